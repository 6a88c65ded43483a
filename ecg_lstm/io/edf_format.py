"""EDF and EDF+ files (https://www.edfplus.info/specs/), read with edfio.

edfio (pure Python on numpy, maintained) reads the header, maps the data
records lazily and decodes EDF+ annotations in time order across several
annotation signals. On the EDF files of tests/hostile_corpus.py it agrees with
pyedflib to 1e-15 mV and gives the annotations in the same order; pyedflib is
a compiled extension and refuses a data-record count of -1 (which EDF allows
for a recording still running), and MNE is a far heavier dependency; so edfio.
wfdb's own EDF reader stays unused: in wfdb 4.3.1 it offsets every sample by
one digital step.

What is checked here, before any sample is decoded: the header's data-record
count against the file (edfio only warns and carries on with what it finds:
a file cut short, longer, or with trailing bytes is refused here), the
sampling rate, the length and the decoded size. Only the ECG channels are kept,
at their common rate; "EDF Annotations" text becomes
:class:`~ecg_lstm.io.record.Annotations` (a WFDB beat code as the symbol when the
text is one, else ``"``, the WFDB note code; the text is the aux note), and every
annotation as written, with its duration, goes to ``metadata["edf_annotations"]``
as ``[onset_s, duration_s or None, text]`` (written by :mod:`.edf_export`).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import edfio
import numpy as np

from ..errors import (
    HeaderMismatchError,
    MalformedRecordError,
    SamplingRateError,
    SignalQualityError,
    TruncatedRecordError,
    UnsupportedFormatError,
)
from .limits import check_header, check_size, is_ecg_channel
from .record import Annotations, Record

_BEAT_CODES = set("NLRBAaJSVrFejnE/fQ?|~+x\"[]!")


def read_edf(path: Path, *, annotator: str | None = "atr", max_hours: float = 48.0,
             max_signal_mb: float = 1024.0) -> Record:
    """Read the ECG channels of an EDF/EDF+ file; ``annotator=None`` skips its annotations."""
    name = path.name
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(256)
    if len(head) < 256 or head[:8] != b"0       ":
        raise MalformedRecordError(f"{name} is not an EDF file (its first bytes are not an EDF header); "
                                   "export the recording as EDF, or give it the right extension")
    declared = _int(head[236:244], name, "number of data records")
    ns = _int(head[252:256], name, "number of signals")
    header_bytes = _int(head[184:192], name, "header size")
    if not 0 < ns <= 4096:
        raise MalformedRecordError(f"{name}: the header declares {ns} signals; the file is corrupt")
    if header_bytes != 256 * (ns + 1):
        raise HeaderMismatchError(f"{name}: the header size field says {header_bytes} bytes but {ns} signals "
                                  f"need {256 * (ns + 1)}; the file is corrupt")
    if size < header_bytes:
        raise TruncatedRecordError(f"{name}: the file ends inside its header; it is truncated")
    try:
        duration = float(head[244:252].decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        duration = float("nan")
    if not (np.isfinite(duration) and duration > 0):
        raise MalformedRecordError(f"{name}: the data record duration {head[244:252].decode('latin-1').strip()!r} "
                                   "is not a positive number of seconds; the file is corrupt")
    if head[192:197] == b"EDF+D" and declared == -1:
        raise MalformedRecordError(f"{name}: an EDF+D file must state its number of data records; it is corrupt")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            edf = edfio.read_edf(path, lazy_load_data=True, header_encoding="latin-1")
    except Exception as e:  # edfio raises ValueError & co. on fields it cannot parse
        raise MalformedRecordError(f"{name}: the EDF header cannot be read ({type(e).__name__}: {e}); "
                                   "the file is corrupt, export it again") from e
    found = edf.num_data_records
    with open(path, "rb") as f:  # samples per data record of every signal, annotations included
        f.seek(256 + 216 * ns)
        raw = f.read(8 * ns)
    record_bytes = 2 * sum(_int(raw[8 * i:8 * i + 8], name, "samples per data record") for i in range(ns))
    if record_bytes == 0 or edf.data_record_duration <= 0:
        raise SignalQualityError(f"{name} holds no signal samples (annotations only?); give a file with ECG")
    extra = (size - header_bytes) - found * record_bytes
    unknown = declared == -1
    if unknown:  # unknown while recording: the file size tells (a cut last record is dropped)
        declared = found
    del caught
    signals = edf.signals
    labels = [s.label.strip() for s in signals]
    units = [s.physical_dimension.strip().replace("µ", "u") for s in signals]
    spr = [s.samples_per_data_record for s in signals]
    ecg = [i for i in range(len(signals)) if spr[i] > 0 and is_ecg_channel(labels[i], units[i])]
    if not ecg:
        raise SignalQualityError(f"{name} has no ECG channel (channels: {', '.join(labels) or 'none'}); "
                                 "ECG channels are named like ECG, II, V1 or recorded in mV/uV")
    if len({spr[i] for i in ecg}) > 1:
        rates = ", ".join(f"{labels[i]} {signals[i].sampling_frequency:g} Hz" for i in ecg)
        raise SamplingRateError(f"{name}: the ECG channels have different sampling rates ({rates}); "
                                "resample them to one rate")
    fs = float(signals[ecg[0]].sampling_frequency)
    n = declared * spr[ecg[0]]
    check_header(name, fs, n, max_hours)
    check_size(name, n, len(ecg), max_signal_mb)
    if found < declared:
        raise TruncatedRecordError(f"{name} holds {size} bytes where its header announces "
                                   f"{header_bytes + declared * record_bytes} ({declared} data records); "
                                   "the file is truncated, export or download it again")
    if found > declared or (extra and not unknown):
        raise HeaderMismatchError(f"{name}: the header announces {declared} data records ({declared * record_bytes} "
                                  f"bytes of data) but the file holds {size - header_bytes} bytes of data; "
                                  "the header's record count is wrong or bytes were appended: export it again")
    discontinuous = edf.reserved.startswith("EDF+D")
    if discontinuous:
        try:
            continuous = edf.is_continuous
        except Exception as e:
            raise MalformedRecordError(f"{name}: the EDF+D time-keeping annotations cannot be read "
                                       f"({type(e).__name__}); the file is corrupt") from e
        if not continuous:
            raise UnsupportedFormatError(f"{name} is a discontinuous EDF+D file with gaps between data records; "
                                         "export it as one continuous recording (EDF+C)")

    signal = np.empty((n, len(ecg)))
    notes: list[str] = []
    for j, i in enumerate(ecg):
        s = signals[i]
        if not (np.isfinite(s.physical_min) and np.isfinite(s.physical_max)):
            raise MalformedRecordError(f"{name}: channel {labels[i]} has a physical range that is not a number "
                                       f"({s.physical_min}..{s.physical_max}); the header is corrupt")
        if s.digital_max <= s.digital_min or s.physical_max == s.physical_min:
            raise MalformedRecordError(f"{name}: channel {labels[i]} has an empty digital or physical range; "
                                       "the header is corrupt")
        # edfio's own scaling, column by column into one array (no second copy of the record).
        scale = (s.physical_max - s.physical_min) / (s.digital_max - s.digital_min)
        col = signal[:, j]
        digital = s.get_digital_slice(0, edf.duration)  # read, not kept by edfio
        if len(digital) != n:
            raise TruncatedRecordError(f"{name}: channel {labels[i]} holds {len(digital)} samples where the header "
                                       f"announces {n}; the file is corrupt")
        col[:] = digital
        col -= s.digital_min
        col *= scale
        col += s.physical_min
        # Per the EDF spec samples lie in the digital range; outside it (e.g. a writer's padding) they
        # mean nothing, and would read as volts.
        outside = (digital < s.digital_min) | (digital > s.digital_max)
        del digital
        if outside.any():
            col[outside] = np.nan
            notes.append(f"{labels[i]}: {int(outside.sum())} samples outside the header's digital range "
                         "were set missing")

    meta = {"format": "edf+" if edf.reserved.startswith("EDF+") else "edf", "comments": [],
            "base_date": _date(head[168:176]),
            "base_time": head[176:184].decode("ascii", "replace").strip().replace(".", ":")}
    if notes:
        meta["warnings"] = notes
    dropped = [labels[i] for i in range(len(signals)) if i not in ecg]
    if dropped:
        meta["dropped_channels"] = dropped
    ann = None
    if annotator:
        try:
            found_ann = edf.annotations  # in time order, time-keeping entries left out
        except Exception as e:  # damaged annotation text: the signal is still good
            found_ann = ()
            msg = f"{name}: the EDF+ annotations are damaged ({type(e).__name__}); the record was read without them"
            meta["annotation_error"] = msg
            meta.setdefault("warnings", []).append(msg)
        texts = [a.text.strip() for a in found_ann]
        onsets = [a.onset for a in found_ann]
        if found_ann:  # every annotation as written: (onset s, duration s or None, text)
            meta["edf_annotations"] = [[float(a.onset), None if a.duration is None else float(a.duration), t]
                                       for a, t in zip(found_ann, texts)]
        if any(texts):
            sample = np.round(np.asarray(onsets, dtype=np.float64) * fs).astype(np.int64)
            keep = (sample >= 0) & (sample < n) & np.array([bool(t) for t in texts])
            symbol = np.array([t if t in _BEAT_CODES else '"' for t in texts], dtype=str)
            ann = Annotations(sample[keep], symbol[keep], [t for t, k in zip(texts, keep) if k], "edf")
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return Record(stem, signal, fs, [labels[i] or f"ch{i + 1}" for i in ecg], [units[i] or "mV" for i in ecg],
                  ann, meta)


def _int(raw: bytes, name: str, what: str) -> int:
    try:
        return int(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise MalformedRecordError(f"{name}: the EDF header field '{what}' is not a number; "
                                   "the file is corrupt") from None


def _date(raw: bytes) -> str | None:
    """dd.mm.yy as ISO yyyy-mm-dd (years 85..99 are 19xx, per the EDF spec)."""
    try:
        d, m, y = (int(x) for x in raw.decode("ascii").strip().split("."))
    except (UnicodeDecodeError, ValueError):
        return None
    return f"{(1900 if y >= 85 else 2000) + y:04d}-{m:02d}-{d:02d}"
