"""EDF and EDF+ files (https://www.edfplus.info/specs/).

Read with numpy rather than ``wfdb.io.convert.edf.read_edf``: the latter (wfdb
4.3.1) offsets every sample by one digital step, averages multi-rate channels
with a wrong formula, and rejects EDF+D files without looking at them. Only the
ECG channels are kept, at their common rate; "EDF Annotations" text becomes
:class:`~ecg_lstm.record.Annotations` (a WFDB beat code as the symbol when the
text is one, else ``"``, the WFDB note code; the text is the aux note).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import (HeaderMismatchError, MalformedRecordError, SamplingRateError, SignalQualityError,
                      TruncatedRecordError, UnsupportedFormatError)
from ..record import Annotations, Record
from . import check_header, is_ecg_channel

# Per-signal header fields and their widths, in file order.
_FIELDS = (("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8), ("pmax", 8), ("dmin", 8),
           ("dmax", 8), ("prefilter", 80), ("spr", 8), ("reserved", 32))
_BEAT_CODES = set("NLRBAaJSVrFejnE/fQ?|~+x\"[]!")
_TAL = re.compile(rb"([+-]\d+(?:\.\d*)?)(?:\x15(\d+(?:\.\d*)?))?\x14(.*?)\x14\x00", re.DOTALL)


def read_edf(path: Path, *, annotator: str | None = "atr", max_hours: float = 48.0) -> Record:
    """Read the ECG channels of an EDF/EDF+ file; ``annotator=None`` skips its annotations."""
    name = path.name
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(256)
        if len(head) < 256 or head[:8] != b"0       ":
            raise MalformedRecordError(f"{name} is not an EDF file (its first bytes are not an EDF header); "
                                       "export the recording as EDF, or give it the right extension")
        ns = _int(head[252:256], name, "number of signals")
        if not 0 < ns <= 4096:
            raise MalformedRecordError(f"{name}: the header declares {ns} signals; the file is corrupt")
        sig = _signal_fields(f.read(256 * ns), ns, name)
    header_bytes = _int(head[184:192], name, "header size")
    if header_bytes != 256 * (ns + 1):
        raise HeaderMismatchError(f"{name}: the header size field says {header_bytes} bytes but {ns} signals "
                                  f"need {256 * (ns + 1)}; the file is corrupt")
    reserved = head[192:236].decode("ascii", "replace").strip()
    n_records = _int(head[236:244], name, "number of data records")
    duration = _float(head[244:252], name, "data record duration")
    spr = np.array([_int(s, name, "samples per record") for s in sig["spr"]])
    if duration <= 0 or np.any(spr < 0) or spr.sum() == 0:
        raise SignalQualityError(f"{name} holds no signal samples (annotations only?); give a file with ECG")
    record_bytes = 2 * int(spr.sum())
    if n_records < 0:  # -1: unknown while recording; the file size tells
        n_records = (size - header_bytes) // record_bytes
    labels = [s.decode("latin-1").strip() for s in sig["label"]]
    units = [s.decode("latin-1").strip().replace("µ", "u") for s in sig["unit"]]
    is_ann = [lab == "EDF Annotations" for lab in labels]
    ecg = [i for i in range(ns) if not is_ann[i] and spr[i] > 0 and is_ecg_channel(labels[i], units[i])]
    if not ecg:
        raise SignalQualityError(f"{name} has no ECG channel (channels: {', '.join(labels)}); "
                                 "ECG channels are named like ECG, II, V1 or recorded in mV/uV")
    if len({int(spr[i]) for i in ecg}) > 1:
        rates = ", ".join(f"{labels[i]} {spr[i] / duration:g} Hz" for i in ecg)
        raise SamplingRateError(f"{name}: the ECG channels have different sampling rates ({rates}); "
                                "resample them to one rate")
    fs = float(spr[ecg[0]] / duration)
    check_header(name, fs, int(n_records * spr[ecg[0]]), max_hours)
    if size < header_bytes + n_records * record_bytes:
        raise TruncatedRecordError(f"{name} holds {size} bytes where its header announces "
                                   f"{header_bytes + n_records * record_bytes} ({n_records} data records); "
                                   "the file is truncated, export or download it again")

    data = np.fromfile(path, dtype="<i2", count=n_records * record_bytes // 2, offset=header_bytes)
    data = data.reshape(n_records, -1)
    starts = np.concatenate([[0], np.cumsum(spr)])
    pmin, pmax = (np.array([_float(v, name, "physical range") for v in sig[k]]) for k in ("pmin", "pmax"))
    dmin, dmax = (np.array([_float(v, name, "digital range") for v in sig[k]]) for k in ("dmin", "dmax"))
    signal = np.empty((n_records * int(spr[ecg[0]]), len(ecg)))
    for j, i in enumerate(ecg):
        if dmax[i] <= dmin[i] or pmax[i] == pmin[i]:
            raise MalformedRecordError(f"{name}: channel {labels[i]} has an empty digital or physical range; "
                                       "the header is corrupt")
        scale = (pmax[i] - pmin[i]) / (dmax[i] - dmin[i])
        signal[:, j] = data[:, starts[i]:starts[i + 1]].ravel()
        signal[:, j] = (signal[:, j] - dmin[i]) * scale + pmin[i]

    meta = {"format": "edf+" if reserved.startswith("EDF+") else "edf", "comments": [],
            "base_date": _date(head[168:176]), "base_time": head[176:184].decode("ascii", "replace").strip()
            .replace(".", ":")}
    dropped = [labels[i] for i in range(ns) if i not in ecg and not is_ann[i]]
    if dropped:
        meta["dropped_channels"] = dropped
    ann = None
    if any(is_ann):
        tals = [data[:, starts[i]:starts[i + 1]] for i in range(ns) if is_ann[i]]
        onsets, texts = _parse_tals(tals, name, duration, reserved.startswith("EDF+D"))
        if annotator and texts:
            sample = np.round(np.asarray(onsets) * fs).astype(np.int64)
            keep = (sample >= 0) & (sample < len(signal))
            symbol = np.array([t if t in _BEAT_CODES else '"' for t in texts], dtype=str)
            ann = Annotations(sample[keep], symbol[keep], [t for t, k in zip(texts, keep) if k], "edf")
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return Record(stem, signal, fs, [labels[i] or f"ch{i + 1}" for i in ecg], [units[i] or "mV" for i in ecg],
                  ann, meta)


def _signal_fields(raw: bytes, ns: int, name: str) -> dict[str, list[bytes]]:
    if len(raw) < 256 * ns:
        raise TruncatedRecordError(f"{name}: the file ends inside its header; it is truncated")
    out, pos = {}, 0
    for key, width in _FIELDS:
        out[key] = [raw[pos + i * width: pos + (i + 1) * width] for i in range(ns)]
        pos += width * ns
    return out


def _parse_tals(tals: list[np.ndarray], name: str, duration: float, discontinuous: bool):
    """Onsets (s from the first data record) and texts of the EDF+ annotations.

    The first TAL of each data record only gives the record's start time; for
    EDF+D files these must follow each other without gaps (gaps are refused).
    """
    onsets, texts, start = [], [], None
    for block in tals:
        for r, row in enumerate(block):
            first = True
            for m in _TAL.finditer(row.tobytes()):
                onset = float(m.group(1))
                for text in m.group(3).split(b"\x14"):
                    text = text.decode("utf-8", "replace").strip()
                    if first and not text:  # time-keeping: when this data record starts
                        start = onset if start is None else start
                        if discontinuous and abs(onset - start - r * duration) > 1e-3:
                            raise UnsupportedFormatError(
                                f"{name} is a discontinuous EDF+D file with gaps between data records; "
                                "export it as one continuous recording (EDF+C)")
                    elif text:
                        onsets.append(onset)
                        texts.append(text)
                first = False
    return [t - (start or 0.0) for t in onsets], texts


def _int(raw: bytes, name: str, what: str) -> int:
    try:
        return int(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise MalformedRecordError(f"{name}: the EDF header field '{what}' is not a number; "
                                   "the file is corrupt") from None


def _float(raw: bytes, name: str, what: str) -> float:
    try:
        value = float(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise MalformedRecordError(f"{name}: the EDF header field '{what}' is not a number; "
                                   "the file is corrupt") from None
    if not np.isfinite(value):
        raise MalformedRecordError(f"{name}: the EDF header field '{what}' is not finite; the file is corrupt")
    return value


def _date(raw: bytes) -> str | None:
    """dd.mm.yy as ISO yyyy-mm-dd (years 85..99 are 19xx, per the EDF spec)."""
    try:
        d, m, y = (int(x) for x in raw.decode("ascii").strip().split("."))
    except (UnicodeDecodeError, ValueError):
        return None
    return f"{(1900 if y >= 85 else 2000) + y:04d}-{m:02d}-{d:02d}"
