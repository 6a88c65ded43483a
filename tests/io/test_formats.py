"""The three format readers on small files the tests write themselves: ecg_lstm.io.wfdb_format
(read_wfdb, channels_at_one_rate), ecg_lstm.io.csv_format (read_csv) and ecg_lstm.io.edf_format
(read_edf) give back the signal, the rate and the lead names and units."""
import edfio
import numpy as np
import pandas as pd
import pytest
import wfdb

from ecg_lstm.errors import (
    HeaderMismatchError,
    MalformedRecordError,
    SamplingRateError,
    SignalQualityError,
)
from ecg_lstm.io.csv_format import read_csv
from ecg_lstm.io.edf_format import read_edf
from ecg_lstm.io.record import Record
from ecg_lstm.io.wfdb_format import read_wfdb
from ecg_lstm.io.wfdb_header import channels_at_one_rate
from ecg_lstm.io.wfdb_header import Header


def _leads(fs, seconds=10.0, n=2):
    """(samples, n) ECG-like leads in mV: spikes every 0.8 s on a slow wave, each lead scaled."""
    t = np.arange(int(seconds * fs)) / fs
    spikes = np.exp(-0.5 * (((t + 0.4) % 0.8 - 0.4) / 0.015) ** 2)
    base = spikes + 0.1 * np.sin(2 * np.pi * 0.5 * t)
    return np.stack([(0.6 + 0.4 * j) * base - 0.05 * j for j in range(n)], axis=1)


# -- WFDB ------------------------------------------------------------------------------------------

def _write_wfdb(tmp_path, name="rec", fs=360, leads=("MLII", "V5"), seconds=10.0):
    x = _leads(fs, seconds, len(leads))
    wfdb.wrsamp(name, fs=fs, units=["mV"] * len(leads), sig_name=list(leads), p_signal=x, fmt=["16"] * len(leads),
                adc_gain=[200.0] * len(leads), baseline=[0] * len(leads), write_dir=str(tmp_path))
    return tmp_path / name, x


def test_read_wfdb_signal_rate_and_leads(tmp_path):
    """Values come back within half an ADC step (1/200 mV), with the rate and lead names written."""
    path, x = _write_wfdb(tmp_path, fs=360)
    rec = read_wfdb(path)
    assert isinstance(rec, Record)
    assert rec.name == "rec" and rec.fs == 360.0
    assert rec.lead_names == ["MLII", "V5"] and rec.units == ["mV", "mV"]
    assert rec.signal.shape == x.shape and rec.signal.dtype == np.float32
    np.testing.assert_allclose(rec.signal, x, atol=0.5 / 200 + 1e-9)
    assert rec.metadata["format"] == "wfdb-16"
    assert rec.annotations is None


def test_read_wfdb_with_annotations(tmp_path):
    path, x = _write_wfdb(tmp_path, fs=250)
    beats = np.arange(100, x.shape[0], 200)
    symbols = ["N", "V"] * (len(beats) // 2) + ["N"] * (len(beats) % 2)
    wfdb.wrann("rec", "atr", beats, symbol=symbols, write_dir=str(tmp_path))
    rec = read_wfdb(path)
    assert rec.fs == 250.0
    assert rec.annotations.sample.tolist() == beats.tolist()
    assert rec.annotations.symbol.tolist() == symbols
    assert read_wfdb(path, annotator=None).annotations is None


def test_read_wfdb_channels_at_different_rates_keeps_the_ecg(tmp_path):
    """A record whose ECG has 2 samples per frame and whose respiration has 1 (WFDB multi-rate):
    the ECG is read at twice the frame rate, the respiration is dropped and named."""
    frames, ecg_per_frame = 2000, 2
    ecg = np.round(200 * _leads(500.0, frames * 2 / 500.0, 1)[:, 0]).astype("<i2")
    resp = (np.arange(frames) % 100).astype("<i2")
    data = np.concatenate([ecg.reshape(frames, ecg_per_frame), resp[:, None]], axis=1)
    (tmp_path / "mr.dat").write_bytes(data.astype("<i2").tobytes())
    (tmp_path / "mr.hea").write_text(f"mr 2 250 {frames}\n"
                                     f"mr.dat 16x2 200/mV 16 0 {ecg[0]} {int(ecg.sum()) % 65536} 0 ECG\n"
                                     f"mr.dat 16 1/Ohm 16 0 0 {int(resp.sum()) % 65536} 0 Resp\n")
    rec = read_wfdb(tmp_path / "mr")
    assert rec.fs == 500.0 and rec.lead_names == ["ECG"]
    np.testing.assert_allclose(rec.signal[:, 0], ecg / 200.0)
    assert rec.metadata["dropped_channels"] == ["Resp"]
    # The header's checksum is compared with the data: one off is a corrupt or foreign .dat.
    hea = (tmp_path / "mr.hea").read_text()
    good, bad = (f" {int(ecg.sum() + k) % 65536} 0 ECG" for k in (0, 1))
    (tmp_path / "mr.hea").write_text(hea.replace(good, bad))
    with pytest.raises(HeaderMismatchError, match="checksum of lead"):
        read_wfdb(tmp_path / "mr")


def _header(names, units, spf, fs=250.0):
    return Header("r", len(names), fs, 100, sig_name=list(names), units=list(units), samps_per_frame=list(spf))


def test_channels_at_one_rate_all_when_one_rate():
    h = _header(["ECG", "Resp"], ["mV", "Ohm"], [1, 1])
    assert channels_at_one_rate(h, h.samps_per_frame) == [0, 1]


def test_channels_at_one_rate_ecg_channels_when_rates_differ():
    h = _header(["Resp", "V1", "ABP", "II"], ["Ohm", "mV", "mmHg", "mV"], [1, 4, 1, 4])
    assert channels_at_one_rate(h, h.samps_per_frame) == [1, 3]


def test_channels_at_one_rate_refuses_no_ecg():
    h = _header(["Resp", "ABP"], ["Ohm", "mmHg"], [1, 2])
    with pytest.raises(SamplingRateError, match="none looks like an ECG lead"):
        channels_at_one_rate(h, h.samps_per_frame)


def test_channels_at_one_rate_refuses_ecg_at_two_rates():
    """ECG leads at 250 and 500 Hz cannot be one signal: refused, each lead's rate named."""
    h = _header(["II", "V1", "Resp"], ["mV", "mV", "Ohm"], [1, 2, 1])
    with pytest.raises(SamplingRateError, match="II 250 Hz, V1 500 Hz"):
        channels_at_one_rate(h, h.samps_per_frame)


# -- CSV -------------------------------------------------------------------------------------------

def test_read_csv_with_time_column(tmp_path):
    """The rate comes from the time column; lead names and units from the column names."""
    fs = 250.0
    x = _leads(fs)
    t = np.arange(len(x)) / fs
    df = pd.DataFrame({"time": t, "MLII (mV)": x[:, 0], "V1 [uV]": 1000 * x[:, 1]})
    df.to_csv(tmp_path / "ecg.csv", index=False)
    rec = read_csv(tmp_path / "ecg.csv")
    assert rec.name == "ecg" and rec.fs == fs
    assert rec.lead_names == ["MLII", "V1"] and rec.units == ["mV", "uV"]
    # Held as float32, column-major, as every reader's record (24 bits: more than any ECG digitiser gives).
    assert rec.signal.dtype == np.float32 and rec.signal.flags.f_contiguous
    np.testing.assert_allclose(rec.signal[:, 0], x[:, 0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(rec.signal[:, 1], 1000 * x[:, 1], rtol=1e-6, atol=1e-6)
    assert rec.metadata["format"] == "csv"


def test_read_csv_time_in_ms_and_index_column(tmp_path):
    """A time_ms column gives the rate in Hz from milliseconds; a leading sample counter is dropped."""
    fs = 500.0
    x = _leads(fs, 5.0, 1)[:, 0]
    df = pd.DataFrame({"sample": np.arange(len(x)), "time_ms": np.arange(len(x)) * 1000 / fs, "ECG": x})
    df.to_csv(tmp_path / "ms.csv", index=False)
    rec = read_csv(tmp_path / "ms.csv")
    assert rec.fs == fs and rec.lead_names == ["ECG"] and rec.units == ["mV"]
    assert rec.signal.shape == (len(x), 1)


def test_read_csv_without_time_needs_fs(tmp_path):
    x = _leads(360.0, 5.0)
    pd.DataFrame({"MLII": x[:, 0], "V5": x[:, 1]}).to_csv(tmp_path / "nt.csv", index=False)
    with pytest.raises(SamplingRateError, match="no time column"):
        read_csv(tmp_path / "nt.csv")
    rec = read_csv(tmp_path / "nt.csv", fs=360.0)
    assert rec.fs == 360.0 and rec.lead_names == ["MLII", "V5"]
    np.testing.assert_allclose(rec.signal, x, rtol=1e-6, atol=1e-9)


def test_read_csv_refuses_fs_disagreeing_with_time(tmp_path):
    x = _leads(250.0, 5.0, 1)[:, 0]
    pd.DataFrame({"time": np.arange(len(x)) / 250.0, "ECG": x}).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(HeaderMismatchError, match="250 Hz but fs=360"):
        read_csv(tmp_path / "d.csv", fs=360.0)


def test_read_csv_empty_cells_are_nan_with_a_warning(tmp_path):
    x = _leads(250.0, 5.0, 1)[:, 0]
    df = pd.DataFrame({"time": np.arange(len(x)) / 250.0, "ECG": x})
    df.loc[[10, 11, 12], "ECG"] = np.nan
    df.to_csv(tmp_path / "gap.csv", index=False)
    rec = read_csv(tmp_path / "gap.csv")
    assert np.flatnonzero(np.isnan(rec.signal[:, 0])).tolist() == [10, 11, 12]
    assert any("3 cells empty" in w for w in rec.metadata["warnings"])


def test_read_csv_refuses_text_columns_and_no_rows(tmp_path):
    (tmp_path / "txt.csv").write_text("time,ECG,note\n0,1,a\n0.004,2,b\n0.008,3,c\n")
    with pytest.raises(MalformedRecordError, match="note are not numeric"):
        read_csv(tmp_path / "txt.csv")
    (tmp_path / "none.csv").write_text("time,ECG\n")
    with pytest.raises(SignalQualityError, match="no data rows"):
        read_csv(tmp_path / "none.csv", fs=250.0)


# -- EDF -------------------------------------------------------------------------------------------

def _write_edf(path, fs=256, seconds=10, annotations=()):
    x = _leads(float(fs), seconds, 2)
    t = np.arange(int(seconds * 32)) / 32
    signals = [edfio.EdfSignal(x[:, 0], fs, label="ECG II", physical_dimension="mV", physical_range=(-5, 5)),
               edfio.EdfSignal(x[:, 1], fs, label="V1", physical_dimension="mV", physical_range=(-5, 5)),
               edfio.EdfSignal(np.sin(2 * np.pi * 0.25 * t), 32, label="Resp", physical_dimension="Ohm",
                               physical_range=(-2, 2))]
    edfio.Edf(signals, annotations=[edfio.EdfAnnotation(o, None, s) for o, s in annotations] or None).write(path)
    return x


def test_read_edf_signal_rate_and_leads(tmp_path):
    """The ECG channels come back at their rate within one quantisation step (10 mV / 65535);
    the respiration channel, at another rate, is dropped and named."""
    x = _write_edf(tmp_path / "r.edf", fs=256)
    rec = read_edf(tmp_path / "r.edf")
    assert rec.name == "r" and rec.fs == 256.0
    assert rec.lead_names == ["ECG II", "V1"] and rec.units == ["mV", "mV"]
    assert rec.signal.shape == x.shape
    np.testing.assert_allclose(rec.signal, x, atol=10 / 65535 + 1e-9)
    assert rec.metadata["format"] in ("edf", "edf+")
    assert rec.metadata["dropped_channels"] == ["Resp"]


def test_read_edf_annotations(tmp_path):
    """EDF+ annotation texts become annotations: a beat code as the symbol, other text as a note."""
    fs = 256
    _write_edf(tmp_path / "a.edf", fs=fs, annotations=[(1.0, "N"), (2.5, "V"), (4.0, "lead off")])
    rec = read_edf(tmp_path / "a.edf")
    assert rec.metadata["format"] == "edf+"
    ann = rec.annotations
    assert ann.sample.tolist() == [fs, int(2.5 * fs), 4 * fs]
    assert ann.symbol.tolist() == ["N", "V", '"']
    assert ann.aux_note == ["N", "V", "lead off"]
    assert read_edf(tmp_path / "a.edf", annotator=None).annotations is None


def test_read_edf_refuses_what_is_not_edf(tmp_path):
    (tmp_path / "no.edf").write_bytes(b"not an edf header at all" * 20)
    with pytest.raises(MalformedRecordError, match="not an EDF file"):
        read_edf(tmp_path / "no.edf")
