"""DICOM waveform ECGs (``.dcm``), read with pydicom: the 12-lead, General and Ambulatory ECG
Waveform Storage SOP classes (DICOM PS3.3 A.34, C.10.9), as hospital systems archive them.

A file of another SOP class (an image, a report, a blood-pressure waveform) is refused
by its SOPClassUID. Of the multiplex groups of the Waveform Sequence, the longest is read
(a 12-lead file also holds a median beat); the others are named in ``metadata["dicom"]``.

The samples are decoded here rather than by pydicom's ``waveform_array``: that function
ignores the sensitivity unit and reshapes whatever bytes it finds (a file cut short gives a
numpy error, not a clear one). The scaling is the standard's, as pydicom applies it: Channel
Baseline is "the offset of the encoded sample value 0 from actual 0 using the units defined in
the Channel Sensitivity Units Sequence" (PS3.3 C.10.9.1.4.2), so per channel
``value = stored x ChannelSensitivity x ChannelSensitivityCorrectionFactor + ChannelBaseline``
in the unit of ChannelSensitivityUnitsSequence (uV, mV ...), then mV. A channel without a
sensitivity or with a non-voltage unit is refused rather than read at a guessed scale.
Lead names: Channel Label when present, else the Channel Source code meaning ("Lead I
(Einthoven)" -> "I"). The patient fields go to ``metadata["patient"]`` only.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import (
    HeaderMismatchError,
    MalformedRecordError,
    SignalQualityError,
    TruncatedRecordError,
    UnsupportedFormatError,
)
from .limits import check_header, check_size, mv_factor
from .record import Record

#: The ECG waveform SOP classes read here.
ECG_SOP_CLASSES = {"1.2.840.10008.5.1.4.1.1.9.1.1": "12-lead ECG", "1.2.840.10008.5.1.4.1.1.9.1.2": "General ECG",
                   "1.2.840.10008.5.1.4.1.1.9.1.3": "Ambulatory ECG"}
_DTYPES = {(8, "SB"): "i1", (16, "SS"): "<i2", (32, "SL"): "<i4", (8, "UB"): "u1", (16, "US"): "<u2",
           (32, "UL"): "<u4"}
MAX_CHANNELS = 64


def read_dicom(path: Path, *, max_hours: float = 48.0, max_signal_mb: float = 1024.0) -> Record:
    """Read the longest multiplex group of a DICOM ECG waveform file."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    name = path.name
    try:  # large values are read only when used: the sizes are checked first
        ds = pydicom.dcmread(path, defer_size=1 << 16)
    except InvalidDicomError:
        raise MalformedRecordError(f"{name} is not a DICOM file (no 'DICM' preamble); export the ECG as DICOM "
                                   "waveform, or give the file the right extension") from None
    except Exception as e:  # pydicom raises many kinds on a damaged file
        raise MalformedRecordError(f"{name}: the DICOM file cannot be read ({type(e).__name__}); it is damaged or "
                                   "cut short: export it again") from e
    sop = str(ds.get("SOPClassUID", ""))
    if sop not in ECG_SOP_CLASSES:
        raise UnsupportedFormatError(f"{name} is a DICOM file of SOP class {sop or '(none)'}, not an ECG waveform; "
                                     "accepted: 12-lead, General and Ambulatory ECG Waveform Storage")
    groups = list(ds.get("WaveformSequence") or [])
    if not groups:
        raise SignalQualityError(f"{name}: the DICOM ECG holds no Waveform Sequence; it has no signal")
    sizes = [int(g.get("NumberOfWaveformSamples") or 0) for g in groups]
    k = int(np.argmax(sizes))
    g = groups[k]
    n, m = sizes[k], int(g.get("NumberOfWaveformChannels") or 0)
    if not 1 <= m <= MAX_CHANNELS:
        raise MalformedRecordError(f"{name}: the waveform declares {m} channels; the file is corrupt")
    fs = _float(g.get("SamplingFrequency"))
    check_header(name, fs, n, max_hours)
    check_size(name, n, m, max_signal_mb)
    if n == 0:
        raise SignalQualityError(f"{name}: the DICOM waveform announces no samples; it holds no ECG")
    bits, interp = int(g.get("WaveformBitsAllocated") or 0), str(g.get("WaveformSampleInterpretation") or "")
    if interp in ("MB", "AB"):
        raise UnsupportedFormatError(f"{name}: the waveform is {'mu' if interp == 'MB' else 'A'}-law compressed "
                                     f"({interp}), which is not read here; export it as linear 16-bit samples (SS)")
    if (bits, interp) not in _DTYPES:
        raise UnsupportedFormatError(f"{name}: waveform samples of {bits} bits, interpretation {interp!r}, are not "
                                     "read here; export them as 8, 16 or 32-bit integers (SB, SS, SL)")
    channels = list(g.get("ChannelDefinitionSequence") or [])
    if len(channels) != m:
        raise HeaderMismatchError(f"{name}: the waveform declares {m} channels but defines {len(channels)}; "
                                  "the file is corrupt")
    dtype = np.dtype(_DTYPES[bits, interp])
    data = bytes(g.get("WaveformData") or b"")
    need = n * m * dtype.itemsize
    if len(data) < need:
        raise TruncatedRecordError(f"{name}: the waveform holds {len(data) // (m * dtype.itemsize)} samples per "
                                   f"channel where its header announces {n}; the file is truncated")
    signal = np.frombuffer(data, dtype=dtype, count=n * m).reshape(n, m).astype(np.float64)
    del data
    names = []
    for j, ch in enumerate(channels):
        factor, label = _scale(name, j, ch)
        col = signal[:, j]
        col *= factor[1]
        col += factor[0]
        names.append(label)
    meta = {"format": f"dicom-{ECG_SOP_CLASSES[sop].lower().replace(' ', '-')}", "comments": [],
            **_start(ds), "patient": _patient(ds),
            "dicom": {"sop_class": ECG_SOP_CLASSES[sop], "group": str(g.get("MultiplexGroupLabel") or k + 1),
                      "other_groups": [str(o.get("MultiplexGroupLabel") or i + 1)
                                       for i, o in enumerate(groups) if i != k]}}
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return Record(stem, signal, fs, _unique(names), ["mV"] * m, None, meta)


def _scale(name: str, j: int, ch) -> tuple[tuple[float, float], str]:
    """((baseline in mV, factor from stored units to mV), lead name) of channel ``j``."""
    label = str(ch.get("ChannelLabel") or "").strip() or _lead_name(ch) or f"ch{j + 1}"
    sens = _float(ch.get("ChannelSensitivity"))
    if not (np.isfinite(sens) and sens != 0):
        raise MalformedRecordError(f"{name}: channel {label} states no Channel Sensitivity, so its samples have "
                                   "no known voltage; export the ECG with its calibration")
    units = list(ch.get("ChannelSensitivityUnitsSequence") or [])
    unit = str(units[0].get("CodeValue") or "") if units else ""
    to_mv = mv_factor(unit)
    if to_mv is None:
        raise UnsupportedFormatError(f"{name}: channel {label} is in {unit or 'no unit'}, not a voltage; "
                                     "only ECG channels in V, mV or uV are read")
    corr = _float(ch.get("ChannelSensitivityCorrectionFactor", 1.0))
    base = _float(ch.get("ChannelBaseline", 0.0))
    if not (np.isfinite(corr) and np.isfinite(base)):
        raise MalformedRecordError(f"{name}: channel {label} has a correction factor or baseline that is not a "
                                   "number; the file is corrupt")
    return (base * to_mv, sens * corr * to_mv), label


def _lead_name(ch) -> str:
    src = list(ch.get("ChannelSourceSequence") or [])
    meaning = str(src[0].get("CodeMeaning") or "") if src else ""
    meaning = re.sub(r"\s*\(.*?\)", "", meaning).split(",")[0].strip()
    return re.sub(r"^lead\s+", "", meaning, flags=re.IGNORECASE)


def _unique(names: list[str]) -> list[str]:
    return names if len(set(names)) == len(names) else [f"{n}_{j + 1}" for j, n in enumerate(names)]


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _start(ds) -> dict:
    """base_date / base_time from AcquisitionDateTime (else the acquisition or content date and time)."""
    text = str(ds.get("AcquisitionDateTime") or "")
    date, time = text[:8], text[8:14]
    if len(date) < 8:
        date = str(ds.get("AcquisitionDate") or ds.get("ContentDate") or "")
        time = str(ds.get("AcquisitionTime") or ds.get("ContentTime") or "")[:6]
    iso_date = f"{date[:4]}-{date[4:6]}-{date[6:8]}" if re.fullmatch(r"\d{8}", date) else None
    iso_time = f"{time[:2]}:{time[2:4]}:{time[4:6]}" if re.fullmatch(r"\d{6}", time) else None
    return {"base_date": iso_date, "base_time": iso_time}


def _patient(ds) -> dict:
    return {"name": str(ds.get("PatientName") or ""), "id": str(ds.get("PatientID") or ""),
            "birth_date": str(ds.get("PatientBirthDate") or ""), "sex": str(ds.get("PatientSex") or "")}


# ------------------------------------------------------------------- writing

#: SCP-ECG lead codes (coding scheme SCPECG), as DICOM's CID 3001 gives them.
SCPECG_LEADS = {"I": "1", "II": "2", "V1": "3", "V2": "4", "V3": "5", "V4": "6", "V5": "7", "V6": "8",
                "III": "61", "AVR": "62", "AVL": "63", "AVF": "64"}


def write_dicom_ecg(record: Record, path: str | Path) -> Path:
    """Write ``record`` as a General ECG Waveform Storage file (16-bit samples at each lead's own step,
    in uV; the lead names as Channel Labels and, where SCP-ECG has one, as the channel source code)."""
    import datetime as dt

    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from .digitise import lead_step_nv, to_int16

    x = np.asarray(record.signal, dtype=np.float64)
    n, m = x.shape
    steps = [lead_step_nv(x[:, j]) for j in range(m)]
    digital = to_int16(x, steps)
    sop = "1.2.840.10008.5.1.4.1.1.9.1.2"
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = sop, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientName, ds.PatientID = "ECG", "", ""
    date, time = record.metadata.get("base_date"), record.metadata.get("base_time")
    if date:
        stamp = dt.date.fromisoformat(date).strftime("%Y%m%d")
        ds.ContentDate = ds.AcquisitionDate = stamp
        if time:
            ds.ContentTime = ds.AcquisitionTime = dt.time.fromisoformat(time).strftime("%H%M%S")
            ds.AcquisitionDateTime = stamp + ds.AcquisitionTime
    group = Dataset()
    group.MultiplexGroupLabel = "RHYTHM"
    group.SamplingFrequency = f"{record.fs:.10g}"
    group.NumberOfWaveformChannels, group.NumberOfWaveformSamples = m, n
    group.WaveformBitsAllocated, group.WaveformSampleInterpretation = 16, "SS"
    group.ChannelDefinitionSequence = [_channel(str(nm), step) for nm, step in zip(record.lead_names, steps)]
    group.WaveformData = digital.astype("<i2").tobytes()
    ds.WaveformSequence = [group]
    path = Path(path)
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


def _channel(name: str, step_nv: int):
    from pydicom.dataset import Dataset

    src = Dataset()
    code = SCPECG_LEADS.get(name.upper())
    src.CodeValue = f"5.6.3-9-{code or '0'}"
    src.CodingSchemeDesignator = "SCPECG"
    src.CodeMeaning = f"Lead {name}" if code else "Unspecified lead"
    unit = Dataset()
    unit.CodeValue, unit.CodingSchemeDesignator, unit.CodeMeaning = "uV", "UCUM", "microvolt"
    ch = Dataset()
    ch.ChannelLabel = name[:64]
    ch.ChannelSourceSequence = [src]
    ch.ChannelSensitivity = f"{step_nv / 1000:.10g}"
    ch.ChannelSensitivityUnitsSequence = [unit]
    ch.ChannelSensitivityCorrectionFactor, ch.ChannelBaseline = "1", "0"
    ch.WaveformBitsStored = 16
    return ch
