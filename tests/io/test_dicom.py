"""DICOM waveform ECGs (ecg_lstm.io.dicom_format): pydicom's real 12-lead sample, the MIT-BIH round
trip, and the files refused by name (another SOP class, cut short, compressed samples ...)."""
import io

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from ecg_lstm import errors as E
from ecg_lstm.io import read_record, read_record_from_files
from ecg_lstm.io.dicom_format import write_dicom_ecg
from ecg_lstm.io.record import Record
from tests.io.roundtrip import assert_same_analysis, assert_same_record, excerpt

# A real 12-lead resting ECG (anonymised) that pydicom ships as test data, under pydicom's MIT licence.
SAMPLE = get_testdata_file("waveform_ecg.dcm")


def test_real_12_lead_sample_reads_with_its_own_scale_names_and_start():
    rec = read_record(SAMPLE)
    assert rec.lead_names == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    assert rec.fs == 1000.0 and rec.n_samples == 10000  # the RHYTHM group, not the 1.2 s median beat
    ds = pydicom.dcmread(SAMPLE)
    raw = ds.waveform_array(0)  # pydicom's own scaling, in uV (baseline 0 here, where both agree)
    assert np.allclose(rec.signal, raw / 1000.0)
    assert rec.metadata["base_date"] == "2013-01-25" and rec.metadata["base_time"] == "10:59:19"
    assert rec.metadata["dicom"]["other_groups"] == ["MEDIAN BEAT"]
    assert rec.metadata["patient"]["sex"] == "F"
    assert 0.3 < np.ptp(rec.lead("II")) < 5  # a plausible ECG in mV, not uV


def test_mitdb_excerpt_round_trip_reads_and_analyses_the_same(mitdb_dir, tmp_path):
    rec = excerpt(mitdb_dir)
    got = read_record(write_dicom_ecg(rec, tmp_path / "100.dcm"))
    assert_same_record(got, rec)
    assert got.metadata["format"] == "dicom-general-ecg"
    assert_same_analysis(got, mitdb_dir)


def _small(tmp_path) -> pydicom.Dataset:
    t = np.arange(2500) / 250
    x = np.stack([np.sin(2 * np.pi * 1.2 * t) ** 41, 0.5 * np.sin(2 * np.pi * 1.2 * t) ** 41], 1)
    path = write_dicom_ecg(Record("s", x, 250.0, ["II", "V1"], ["mV", "mV"], None, {}), tmp_path / "s.dcm")
    return pydicom.dcmread(path)


def _bytes(ds) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def test_channel_baseline_is_in_sensitivity_units_and_millivolt_sensitivity_is_understood(tmp_path):
    """Channel Baseline is in the units of the sensitivity (PS3.3 C.10.9.1.4.2), added after scaling,
    as pydicom's ``waveform_array`` adds it."""
    ds = _small(tmp_path)
    want = read_record_from_files({"s.dcm": _bytes(ds)}).signal
    for ch in ds.WaveformSequence[0].ChannelDefinitionSequence:
        ch.ChannelBaseline = "-0.1"  # stored 0 lies 0.1 mV above true 0
        ch.ChannelSensitivity = f"{float(ch.ChannelSensitivity) / 1000:g}"
        ch.ChannelSensitivityUnitsSequence[0].CodeValue = "mV"
    got = read_record_from_files({"s.dcm": _bytes(ds)}).signal
    assert np.allclose(got, want - 0.1, atol=1e-12)
    assert np.allclose(got[:, 0], ds.waveform_array(0)[:, 0], atol=1e-9)  # pydicom's reading, in mV here


def _set(path, value):
    def change(ds):
        *parents, leaf = path.split(".")
        obj = ds
        for p in parents:
            obj = getattr(obj, p.rstrip("]0[")) [0] if p.endswith("[0]") else getattr(obj, p)
        setattr(obj, leaf, value)
        return ds
    return change


def _other_sop(ds):
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT image
    return ds


def _no_sensitivity(ds):
    del ds.WaveformSequence[0].ChannelDefinitionSequence[0].ChannelSensitivity
    return ds


@pytest.mark.parametrize("case, change, error, match", [
    ("another SOP class (CT)", _other_sop, E.UnsupportedFormatError, "not an ECG waveform"),
    ("mu-law samples", _set("WaveformSequence[0].WaveformSampleInterpretation", "MB"), E.UnsupportedFormatError,
     "mu-law"),
    ("rate 50 Hz", _set("WaveformSequence[0].SamplingFrequency", "50"), E.SamplingRateError, "100..2000 Hz"),
    ("rate 5000 Hz", _set("WaveformSequence[0].SamplingFrequency", "5000"), E.SamplingRateError, "100..2000 Hz"),
    ("0 channels", _set("WaveformSequence[0].NumberOfWaveformChannels", 0), E.MalformedRecordError, "0 channels"),
    ("3 channels, 2 defined", _set("WaveformSequence[0].NumberOfWaveformChannels", 3), E.HeaderMismatchError,
     "defines 2"),
    ("more samples than stored", _set("WaveformSequence[0].NumberOfWaveformSamples", 5000), E.TruncatedRecordError,
     "announces 5000"),
    ("no sensitivity", _no_sensitivity, E.MalformedRecordError, "Channel Sensitivity"),
    ("a 49 h waveform", _set("WaveformSequence[0].NumberOfWaveformSamples", 49 * 3600 * 250), E.RecordTooLongError,
     "limit"),
])
def test_bad_files_are_refused_by_name(tmp_path, case, change, error, match):
    data = _bytes(change(_small(tmp_path)))
    with pytest.raises(error, match=match):
        read_record_from_files({"s.dcm": data})


def test_not_dicom_and_cut_short_and_a_real_image_are_refused(tmp_path):
    data = _bytes(_small(tmp_path))
    with pytest.raises(E.MalformedRecordError, match="not a DICOM file"):
        read_record_from_files({"s.dcm": b"\0" * 200})
    with pytest.raises(E.TruncatedRecordError, match="truncated"):
        read_record_from_files({"s.dcm": data[: len(data) - 4000]})
    with pytest.raises(E.UnsupportedFormatError, match="not an ECG waveform"):
        read_record(get_testdata_file("CT_small.dcm"))
