"""WFDB records: a ``.hea`` header, its ``.dat`` signal file(s), optional annotations.

The header is read and checked first (rate, length, companion files, file
sizes), so a truncated or oversized record is refused before its data is read.
Signals are read as digital values once, checked against the header checksums,
then scaled to physical units (invalid samples become NaN).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import wfdb
from wfdb.io import _signal

from ..errors import (HeaderMismatchError, MalformedRecordError, MissingFileError, SamplingRateError,
                      SignalQualityError, TruncatedRecordError, UnsupportedFormatError)
from ..record import Annotations, Record
from . import check_header, is_ecg_channel


def read_wfdb(path: Path, *, annotator: str | None = "atr", max_hours: float = 48.0) -> Record:
    """Read the WFDB record ``path`` (header path without ``.hea``)."""
    hea = path.with_name(path.name + ".hea")
    if not hea.is_file():
        if path.with_name(path.name + ".dat").is_file():
            raise MissingFileError(f"{path.name}.dat has no header: {hea.name} is missing; "
                                   "put the .hea file next to the .dat file")
        raise MissingFileError(f"record {path} not found: no {hea.name}; give a WFDB record path "
                               "without extension, or an .edf / .csv file")
    try:
        header = wfdb.rdheader(str(path))
    except Exception as e:  # wfdb raises bare ValueError/IndexError on bad text
        raise MalformedRecordError(f"{hea.name}: the header cannot be parsed ({type(e).__name__}: {e}); "
                                   "check it follows the WFDB header format") from e
    if isinstance(header, wfdb.MultiRecord):
        return _read_multisegment(path, header, annotator, max_hours)
    if not header.n_sig:
        raise SignalQualityError(f"{hea.name} declares no signals; the record holds no ECG")
    fs = float(header.fs)
    check_header(hea.name, fs, None, max_hours)
    spf = [int(s or 1) for s in header.samps_per_frame]
    channels = _channels_at_one_rate(header, spf)
    k = spf[channels[0]]
    warnings: list[str] = []
    sig_len = _check_files(path, header, spf, max_hours, warnings)
    if sig_len == 0:
        raise SignalQualityError(f"{hea.name} announces no samples; the record holds no ECG")
    check_header(hea.name, fs * k, sig_len * k, max_hours)

    try:
        rec = wfdb.rdrecord(str(path), channels=channels, physical=False, smooth_frames=k == 1, return_res=64)
    except Exception as e:
        raise MalformedRecordError(f"{path.name}: the signal file cannot be read ({type(e).__name__}: {e})") from e
    digital = rec.d_signal if k == 1 else np.stack(rec.e_d_signal, axis=1)
    if digital is None or digital.shape != (sig_len * k, len(channels)):
        got = 0 if digital is None else digital.shape[0]
        raise TruncatedRecordError(f"{path.name}: the signal file holds {got // k} samples per lead where "
                                   f"{hea.name} announces {sig_len}; the download was probably cut short")
    _check_checksums(path.name, digital, [header.checksum[c] for c in channels])
    signal = _to_physical(digital, [header.adc_gain[c] for c in channels],
                          [header.baseline[c] for c in channels], [header.fmt[c] for c in channels])
    names = [header.sig_name[c] if header.sig_name and header.sig_name[c] else f"ch{c + 1}" for c in channels]
    units = [header.units[c] if header.units and header.units[c] else "mV" for c in channels]
    meta = {"format": f"wfdb-{header.fmt[channels[0]]}", "comments": list(header.comments or []),
            "base_date": _str(header.base_date), "base_time": _str(header.base_time)}
    if warnings:
        meta["warnings"] = warnings
    if len(channels) < header.n_sig:
        meta["dropped_channels"] = [header.sig_name[c] for c in range(header.n_sig) if c not in channels]
    ann, meta["annotations_dropped"] = read_annotations(path, annotator, len(signal), k)
    return Record(path.name, signal, fs * k, names, units, ann, meta)


def _channels_at_one_rate(header, spf: list[int]) -> list[int]:
    """All channels when they share one rate, else the ECG channels (which must share one)."""
    if len(set(spf)) == 1:
        return list(range(header.n_sig))
    names, units = header.sig_name or [""] * header.n_sig, header.units or [""] * header.n_sig
    ecg = [c for c in range(header.n_sig) if is_ecg_channel(names[c] or "", units[c] or "")]
    if not ecg:
        raise SamplingRateError(f"{header.record_name}: channels have different sampling rates and none "
                                "looks like an ECG lead; convert the record to one rate")
    if len({spf[c] for c in ecg}) > 1:
        rates = ", ".join(f"{names[c]} {header.fs * spf[c]:g} Hz" for c in ecg)
        raise SamplingRateError(f"{header.record_name}: the ECG channels have different sampling rates "
                                f"({rates}); resample them to one rate")
    return ecg


def _check_files(path: Path, header, spf: list[int], max_hours: float, warnings: list[str]) -> int:
    """Check every signal file exists and is long enough; return the samples per lead.

    A file longer than the header says is read (its start is what the header
    describes) with a note in ``warnings``.
    """
    files: dict[str, list[int]] = {}
    for c, name in enumerate(header.file_name):
        files.setdefault(name, []).append(c)
    for name, chans in files.items():
        if name == "~" or Path(name).name != name:
            raise UnsupportedFormatError(f"{path.name}.hea: signal file {name!r} is not supported; "
                                         "signal files must sit next to the header")
        fmts = {header.fmt[c] for c in chans}
        if len(fmts) > 1 or not fmts <= set(_signal.DAT_FMTS):
            raise UnsupportedFormatError(f"{path.name}.hea: signal format {'/'.join(sorted(fmts))} is not a "
                                         f"WFDB format (accepted: {', '.join(_signal.DAT_FMTS)})")
        if not path.with_name(name).is_file():
            raise MissingFileError(f"{name} is missing: the header {path.name}.hea needs it; "
                                   "put it next to the header")
    sig_len = header.sig_len
    if sig_len is None:  # allowed by WFDB: the length follows from the first file's size
        name, chans = next(iter(files.items()))
        fmt, offset = header.fmt[chans[0]], header.byte_offset[chans[0]] or 0
        size = path.with_name(name).stat().st_size - offset
        sig_len = int(size // (_signal.BYTES_PER_SAMPLE[fmt] * sum(spf[c] for c in chans) or 1))
    check_header(f"{path.name}.hea", float(header.fs), sig_len, max_hours)
    for name, chans in files.items():
        fmt = header.fmt[chans[0]]
        if fmt in _signal.COMPRESSED_FMTS:
            continue  # FLAC: the size says nothing; the shape check after reading does
        offset = header.byte_offset[chans[0]] or 0
        need = offset + math.ceil(sig_len * sum(spf[c] for c in chans) * _signal.BYTES_PER_SAMPLE[fmt])
        have = path.with_name(name).stat().st_size
        if have < need:
            raise TruncatedRecordError(f"{name} holds {have} bytes where {path.name}.hea announces {need} "
                                       f"({sig_len} samples per lead); the file is truncated, download it again")
        if have > need + 4:  # 4: the padding some writers add to the last bytes
            warnings.append(f"{name} holds {have - need} bytes more than {path.name}.hea describes; "
                            "they were not read")
    return int(sig_len)


def _check_checksums(name: str, digital: np.ndarray, checksums: list) -> None:
    """Compare each lead's 16-bit sample sum with the header's checksum, where given."""
    want = [(i, int(c)) for i, c in enumerate(checksums) if c is not None]
    if not want:
        return
    # Column by column: numpy's axis-0 reductions of an (n, 2) array are ~50x slower.
    bad = [i for i, c in want if c % 65536 != int(digital[:, i].sum(dtype=np.int64)) % 65536]
    if bad:
        raise HeaderMismatchError(f"{name}: the data do not match the header checksum of lead(s) "
                                  f"{', '.join(str(i) for i in bad)}; the .dat file is corrupt or belongs to "
                                  "another header")


def _to_physical(digital: np.ndarray, gain: list, baseline: list, fmts: list[str]) -> np.ndarray:
    """(digital - baseline) / gain as float64; invalid-sample codes become NaN."""
    # WFDB: a gain of 0 means "uncalibrated", read as 200 units per mV.
    g = np.array([float(x) if x else 200.0 for x in gain])
    if not np.all(np.isfinite(g)):
        raise MalformedRecordError("the header gives a non-finite ADC gain; fix the header")
    signal = digital.astype(np.float64)
    for j, fmt in enumerate(fmts):  # column by column: broadcasting over (n, 2) is slow
        col = signal[:, j]
        col -= float(baseline[j])
        col /= g[j]
        invalid = _signal.INVALID_SAMPLE_VALUE.get(fmt)
        if invalid is not None and digital[:, j].min() <= invalid:  # the code is the format's lowest value
            col[digital[:, j] == invalid] = np.nan
    return signal


def read_annotations(path: Path, annotator: str | None, n_samples: int,
                     k: int = 1) -> tuple[Annotations | None, int]:
    """Annotation file ``path.annotator`` if it exists (else None), and how many were dropped.

    Annotations outside the signal are dropped (they can be neither shown nor
    scored); ``k`` scales frame numbers to samples.
    """
    if not annotator or not path.with_name(f"{path.name}.{annotator}").is_file():
        return None, 0
    try:
        a = wfdb.rdann(str(path), annotator)
        sample = np.asarray(a.sample, dtype=np.int64) * k
        symbol = np.asarray(a.symbol, dtype=str)
        aux = [s or "" for s in (a.aux_note or [""] * len(sample))]
    except Exception as e:
        raise MalformedRecordError(f"{path.name}.{annotator}: the annotation file cannot be read "
                                   f"({type(e).__name__}: {e}); read the record with annotator=None "
                                   "to skip it") from e
    if len(symbol) != len(sample) or len(aux) != len(sample):
        raise MalformedRecordError(f"{path.name}.{annotator}: the annotation file is inconsistent; "
                                   "read the record with annotator=None to skip it")
    keep = (sample >= 0) & (sample < n_samples)
    if not keep.all():
        sample, symbol = sample[keep], symbol[keep]
        aux = [s for s, ok in zip(aux, keep) if ok]
    return Annotations(sample, symbol, aux, annotator), int((~keep).sum())


def _read_multisegment(path: Path, header, annotator, max_hours) -> Record:
    """Multi-segment records: wfdb joins the segments (no size or checksum checks)."""
    check_header(f"{path.name}.hea", float(header.fs), header.sig_len, max_hours)
    try:
        rec = wfdb.rdrecord(str(path), m2s=True)
    except Exception as e:
        raise MalformedRecordError(f"{path.name}: the multi-segment record cannot be read "
                                   f"({type(e).__name__}: {e}); check every segment is present") from e
    signal = np.asarray(rec.p_signal, dtype=np.float64)
    if header.sig_len and signal.shape[0] != header.sig_len:
        raise TruncatedRecordError(f"{path.name}: the segments hold {signal.shape[0]} samples where the header "
                                   f"announces {header.sig_len}; a segment is truncated or missing")
    meta = {"format": "wfdb-multisegment", "comments": list(header.comments or []),
            "base_date": _str(header.base_date), "base_time": _str(header.base_time)}
    ann, meta["annotations_dropped"] = read_annotations(path, annotator, len(signal))
    return Record(path.name, signal, float(rec.fs), list(rec.sig_name), list(rec.units), ann, meta)


def _str(value) -> str | None:
    return None if value is None else str(value)
