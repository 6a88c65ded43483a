"""WFDB records: a ``.hea`` header, its ``.dat`` signal file(s), optional annotations.

The header is parsed strictly before wfdb sees it (:mod:`.wfdb_header`). Every
field is then checked (rate, gains, baselines,
length, companion files, file sizes, the decoded size against the memory
limit) so that a bad or oversized record is refused before its data is read.
Signals are read by wfdb as digital values once (16-bit where the format
allows), checked against the header checksums, then scaled to physical units
with the gains parsed here (invalid samples become NaN).

wfdb's header parser only accepts ASCII record and file names; a record named
e.g. ``ékg_患者`` is read through ASCII-named links in a private temporary folder.
"""
from __future__ import annotations

import math
import os
import re
import shutil
from pathlib import Path

import numpy as np
import wfdb
from wfdb.io import _signal

from ..errors import (
    HeaderMismatchError,
    MalformedRecordError,
    MissingFileError,
    SamplingRateError,
    SignalQualityError,
    TruncatedRecordError,
    UnsupportedFormatError,
)
from .limits import check_header, check_size
from .record import Annotations, Record
from .tempfiles import private_tempdir, remove
from .wfdb_header import Header, channels_at_one_rate, read_header

# Formats whose samples fit in 16 bits: read as int16 (a quarter of wfdb's default int64).
_FMT_16 = {"16", "61", "80", "160", "212", "310", "311"}
#: Samples per lead read at a time (about 46 min at 360 Hz).
READ_BLOCK_SAMPLES = 1 << 20
_WFDB_NAME = re.compile(r"^[-\w.]+$", re.ASCII)


def read_wfdb(path: Path, *, annotator: str | None = "atr", max_hours: float = 48.0,
              max_signal_mb: float = 1024.0, head_s: float | None = None) -> Record:
    """Read the WFDB record ``path`` (header path without ``.hea``); with ``head_s``, only its first
    ``head_s`` seconds (no checksum: it covers the whole record), its length in ``metadata["sig_len"]``."""
    hea = path.with_name(path.name + ".hea")
    if not hea.is_file():
        if path.with_name(path.name + ".dat").is_file():
            raise MissingFileError(f"{path.name}.dat has no header: {hea.name} is missing; "
                                   "put the .hea file next to the .dat file")
        raise MissingFileError(f"record {path} not found: no {hea.name}; give a WFDB record path "
                               "without extension, or an .edf / .csv file")
    header = read_header(path)
    if header.seg_name is not None:
        return _read_multisegment(path, header, annotator, max_hours, max_signal_mb)
    if not header.n_sig:
        raise SignalQualityError(f"{hea.name} declares no signals; the record holds no ECG")
    fs = header.fs
    check_header(hea.name, fs, None, max_hours)
    spf = header.samps_per_frame
    channels = channels_at_one_rate(header, spf)
    k = spf[channels[0]]
    warnings: list[str] = list(header.warnings)
    sig_len = _check_files(path, header, spf, max_hours, warnings, len(channels), max_signal_mb)
    if sig_len == 0:
        raise SignalQualityError(f"{hea.name} announces no samples; the record holds no ECG")
    check_header(hea.name, fs * k, sig_len * k, max_hours)
    check_size(hea.name, sig_len * k, len(channels), max_signal_mb)

    res = 16 if all(header.fmt[c] in _FMT_16 for c in range(header.n_sig)) else 32
    whole = sig_len
    if head_s is not None:
        sig_len = max(1, min(sig_len, int(head_s * fs)))
    with _wfdb_names(path, annotator) as alias:
        signal = _read_signal(path, alias, header, channels, k, sig_len, res, checksum=sig_len == whole)
        names = [header.sig_name[c] or f"ch{c + 1}" for c in channels]
        units = [header.units[c] or "mV" for c in channels]
        meta = {"format": f"wfdb-{header.fmt[channels[0]]}", "comments": list(header.comments),
                "base_date": header.base_date, "base_time": header.base_time, "sig_len": whole * k}
        if len(channels) < header.n_sig:
            meta["dropped_channels"] = [header.sig_name[c] for c in range(header.n_sig) if c not in channels]
        ann, meta["annotations_dropped"] = read_annotations(alias, annotator, len(signal), k, meta,
                                                            shown=path.name, fs=header.fs * k)
    warnings += meta.pop("warnings", [])
    if warnings:
        meta["warnings"] = warnings
    return Record(path.name, signal, fs * k, names, units, ann, meta)


class _wfdb_names:
    """The record itself, or, when its names are not ASCII (wfdb's parser drops such
    characters), ASCII-named links to its files in a private temporary folder."""

    def __init__(self, path: Path, annotator: str | None):
        self.path, self.annotator, self.tmp = path, annotator, None

    def __enter__(self) -> Path:
        path = self.path
        text = path.with_name(path.name + ".hea").read_bytes().decode("utf-8", "replace")
        files = [ln.split()[0] for ln in text.splitlines()[1:] if ln.strip() and not ln.lstrip().startswith("#")]
        if all(_WFDB_NAME.match(n) for n in [path.name, *files]):
            return path
        self.tmp = private_tempdir("wfdb")
        alias = {n: f"s{i}{Path(n).suffix if Path(n).suffix.isascii() else ''}"
                 for i, n in enumerate(dict.fromkeys(files))}
        lines = text.splitlines()
        first = True
        for i, ln in enumerate(lines):
            if not ln.strip() or ln.lstrip().startswith("#"):
                continue
            tok = ln.split(maxsplit=1)
            if first:
                lines[i] = "rec" + tok[0][len(tok[0].split("/")[0]):] + (" " + tok[1] if len(tok) > 1 else "")
                first = False
            elif tok[0] in alias:
                lines[i] = alias[tok[0]] + (" " + tok[1] if len(tok) > 1 else "")
        (self.tmp / "rec.hea").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for name, new in alias.items():
            _link(path.with_name(name), self.tmp / new)
        if self.annotator and path.with_name(f"{path.name}.{self.annotator}").is_file():
            _link(path.with_name(f"{path.name}.{self.annotator}"), self.tmp / f"rec.{self.annotator}")
        return self.tmp / "rec"

    def __exit__(self, *exc) -> None:
        if self.tmp is not None:
            remove(self.tmp)


def _link(src: Path, dst: Path) -> None:
    if not src.is_file():
        return
    try:
        os.symlink(src.resolve(), dst)
    except OSError:  # no symlinks on this file system: a copy
        shutil.copyfile(src, dst)


def _check_files(path: Path, header: Header, spf: list[int], max_hours: float, warnings: list[str],
                 n_leads: int | None = None, max_signal_mb: float = 0.0) -> int:
    """Check every signal file exists and is long enough; return the samples per lead.

    A file longer than the header says is read (its start is what the header
    describes) with a note in ``warnings``.
    """
    files: dict[str, list[int]] = {}
    for c, name in enumerate(header.file_name):
        files.setdefault(name, []).append(c)
    for name, chans in files.items():
        if name == "~" or Path(name).name != name or name in (".", ".."):
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
        if fmt in _signal.COMPRESSED_FMTS:
            raise MalformedRecordError(f"{path.name}.hea gives no number of samples, which a FLAC-compressed "
                                       "record needs; add it to the record line")
        size = path.with_name(name).stat().st_size - offset
        sig_len = int(size // (_signal.BYTES_PER_SAMPLE[fmt] * sum(spf[c] for c in chans) or 1))
    check_header(f"{path.name}.hea", float(header.fs), sig_len, max_hours)
    if n_leads is not None:  # the decoded size, before the file sizes (a 47 h header may come with a cut file)
        k = max(spf[c] for c in range(header.n_sig))
        check_size(f"{path.name}.hea", sig_len * k, n_leads, max_signal_mb)
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


def _read_signal(path: Path, alias: Path, header: Header, channels: list[int], k: int, sig_len: int,
                 res: int, checksum: bool = True) -> np.ndarray:
    """The physical signal (n, leads), read in blocks of :data:`READ_BLOCK_SAMPLES` per lead: the digital
    values of one block at a time beside the result, not the whole record's (a day's digital copy and
    the library's own buffers once doubled the reader's memory)."""
    hea = f"{path.name}.hea"
    n = sig_len * k
    # One read where the library cannot seek: several samples per frame (rare, short records) or no
    # length in the header (taken from the file's size).
    whole = k > 1 or not header.sig_len
    block = sig_len if whole else READ_BLOCK_SAMPLES
    gains = [abs(header.adc_gain[c]) for c in channels]
    # float32 (the library's signal type) unless the header's gain or baseline make values beyond its
    # range: those are read in float64 for the reader's amplitude checks to name them.
    big = any(g == 0 or (2.0 ** 32 + abs(header.baseline[c])) / g > 1e30 for g, c in zip(gains, channels))
    signal = np.empty((n, len(channels)), dtype=np.float64 if big else np.float32, order="F")
    sums = np.zeros(len(channels), np.int64)
    for a in range(0, sig_len, block):
        b = min(sig_len, a + block)
        try:
            rec = wfdb.rdrecord(str(alias), channels=channels, physical=False, smooth_frames=k == 1,
                                return_res=res, **({} if whole else {"sampfrom": a, "sampto": b}))
        except Exception as e:
            raise MalformedRecordError(f"{path.name}: the signal file cannot be read ({type(e).__name__}: {e})") from e
        if rec.n_sig != len(channels) or float(rec.fs) != header.fs or [rec.fmt[i] for i in range(rec.n_sig)] != \
                [header.fmt[c] for c in channels]:
            raise MalformedRecordError(f"{hea}: the header is read differently by the WFDB library; "
                                       "check it follows the WFDB header format")
        digital = rec.d_signal if k == 1 else np.stack(rec.e_d_signal, axis=1)
        del rec
        if digital is None or digital.shape != ((b - a) * k, len(channels)):
            got = a * k + (0 if digital is None else digital.shape[0])
            raise TruncatedRecordError(f"{path.name}: the signal file holds {got // k} samples per lead where "
                                       f"{hea} announces {sig_len}; the download was probably cut short")
        # Column by column: numpy's axis-0 reductions of an (n, 2) array are ~50x slower.
        sums += [int(digital[:, i].sum(dtype=np.int64)) for i in range(len(channels))]
        _to_physical(digital, [header.adc_gain[c] for c in channels], [header.baseline[c] for c in channels],
                     [header.fmt[c] for c in channels], out=signal[a * k:b * k])
    if checksum:
        _check_checksums(path.name, sums, [header.checksum[c] for c in channels])
    return signal


def _check_checksums(name: str, sums: np.ndarray, checksums: list) -> None:
    """Compare each lead's 16-bit sample sum (``sums``: the sums of its digital values) with the
    header's checksum, where given."""
    want = [(i, int(c)) for i, c in enumerate(checksums) if c is not None]
    if not want:
        return
    bad = [i for i, c in want if c % 65536 != int(sums[i]) % 65536]
    if bad:
        raise HeaderMismatchError(f"{name}: the data do not match the header checksum of lead(s) "
                                  f"{', '.join(str(i) for i in bad)}; the .dat file is corrupt or belongs to "
                                  "another header")


def _to_physical(digital: np.ndarray, gain: list, baseline: list, fmts: list[str],
                 out: np.ndarray | None = None) -> np.ndarray:
    """(digital - baseline) / gain as float64, or into ``out`` (e.g. float32); invalid-sample codes become NaN."""
    # Column-major: each lead contiguous, as every later step reads the signal lead by lead (the
    # reader's checks, filters, detector, classifier); column by column: broadcasting over (n, 2) is slow.
    signal = np.empty(digital.shape, dtype=np.float64, order="F") if out is None else out
    for j, fmt in enumerate(fmts):
        col = signal[:, j]
        d = digital[:, j]
        col[:] = d
        col -= float(baseline[j])
        col /= float(gain[j])
        invalid = _signal.INVALID_SAMPLE_VALUE.get(fmt)
        if invalid is not None and d.min() <= invalid:  # the code is the format's lowest value
            col[d == invalid] = np.nan
    return signal


#: Largest annotation file read for a record: this many bytes per second of record, plus a floor. A beat
#: takes 2 bytes (8 after a long gap), rhythm and noise notes a few more: 40 bytes/s holds 20 annotations
#: a second, four times a heart rate of 300 bpm. A larger file is left out before it is parsed.
MAX_ANNOTATION_BYTES_PER_S, MIN_ANNOTATION_BYTES = 40, 1 << 16


def read_annotations(path: Path, annotator: str | None, n_samples: int, k: int = 1, meta: dict | None = None,
                     shown: str | None = None, fs: float | None = None) -> tuple[Annotations | None, int]:
    """Annotation file ``path.annotator`` if it exists and is sound (else None), and how many were dropped.

    A damaged annotation file (empty, cut short, unreadable) does not stop the
    record from opening: it is left out and the reason goes to
    ``meta["annotation_error"]`` and ``meta["warnings"]``. A file is whole when
    it ends with the format's end-of-file code (two zero bytes). Annotations
    outside the signal are dropped (they can be neither shown nor scored);
    ``k`` scales frame numbers to samples. With ``fs`` (Hz, of the samples), a file larger
    than a record of ``n_samples`` could need is left out unparsed (:data:`MAX_ANNOTATION_BYTES_PER_S`).
    """
    file = path.with_name(f"{path.name}.{annotator}") if annotator else None
    if file is None or not file.is_file():
        return None, 0
    label = f"{shown or path.name}.{annotator}"
    try:
        size = file.stat().st_size
        with open(file, "rb") as f:
            if size >= 2:
                f.seek(size - 2)
            tail = f.read(2)
        if size == 0:
            raise ValueError("the file is empty")
        if size % 2 or tail != b"\x00\x00":
            raise ValueError("the file is cut short: it lacks the end-of-file code")
        if fs and size > MIN_ANNOTATION_BYTES + MAX_ANNOTATION_BYTES_PER_S * n_samples / fs:
            raise ValueError(f"the file is {size:,} bytes, more than a record of {n_samples / fs:,.0f} s could "
                             "need; it was not read")
        a = wfdb.rdann(str(path), annotator)
        sample = np.asarray(a.sample, dtype=np.int64) * k
        symbol = np.asarray(a.symbol, dtype=str)
        aux = [s or "" for s in (a.aux_note or [""] * len(sample))]
        if len(symbol) != len(sample) or len(aux) != len(sample):
            raise ValueError("its fields are inconsistent")
        if len(sample) and np.any(np.diff(sample) < 0):
            raise ValueError("its sample numbers go backwards")
    except Exception as e:
        why = str(e) if isinstance(e, ValueError) and str(e).startswith(("the file", "its")) else \
            f"{type(e).__name__}: {e}"
        note = f"{label}: the annotation file is damaged ({why}); the record was read without its reference"
        if meta is not None:
            meta["annotation_error"] = note
            meta.setdefault("warnings", []).append(note)
        return None, 0
    keep = (sample >= 0) & (sample < n_samples)
    if not keep.all():
        sample, symbol = sample[keep], symbol[keep]
        aux = [s for s, ok in zip(aux, keep) if ok]
    return Annotations(sample, symbol, aux, annotator), int((~keep).sum())


def _read_multisegment(path: Path, header: Header, annotator, max_hours, max_signal_mb) -> Record:
    """Multi-segment records: every segment header is checked (rate, length, files) first;
    wfdb then joins the segments."""
    hea = f"{path.name}.hea"
    check_header(hea, header.fs, header.sig_len, max_hours)
    if header.sig_len is None:
        raise MalformedRecordError(f"{hea} gives no number of samples for the multi-segment record; add it")
    if sum(header.seg_len) != header.sig_len:
        raise HeaderMismatchError(f"{hea}: the segments add up to {sum(header.seg_len)} samples where the record "
                                  f"line announces {header.sig_len}; the header is inconsistent")
    check_size(hea, header.sig_len, header.n_sig, max_signal_mb)
    if not all(_WFDB_NAME.match(n) for n in [path.name, *header.seg_name]):
        raise UnsupportedFormatError(f"{hea}: multi-segment records must have ASCII names; rename the record "
                                     "and its segments")
    for seg, length in zip(header.seg_name, header.seg_len):
        if seg == "~":
            continue
        seg_path = path.with_name(seg)
        if not seg_path.with_name(seg + ".hea").is_file():
            raise MissingFileError(f"segment {seg} is missing: {hea} needs {seg}.hea; put it next to the header")
        sh = read_header(seg_path)
        if sh.seg_name is not None:
            raise MalformedRecordError(f"{seg}.hea is itself multi-segment; the record is malformed")
        if abs(sh.fs - header.fs) > 1e-9 * header.fs:
            raise SamplingRateError(f"{path.name}: segment {seg} is sampled at {sh.fs:g} Hz but the record at "
                                    f"{header.fs:g} Hz; segments must share the record's rate")
        if length and sh.n_sig and sh.sig_len is not None and sh.sig_len != length:
            raise HeaderMismatchError(f"{path.name}: segment {seg} holds {sh.sig_len} samples where {hea} "
                                      f"announces {length}; the header is inconsistent")
        if sh.n_sig and length:
            _check_files(seg_path, sh, sh.samps_per_frame, max_hours, [])
            if len(set(sh.samps_per_frame)) > 1:
                raise UnsupportedFormatError(f"{seg}.hea: multi-rate segments are not supported; "
                                             "convert the record to one rate")
    try:
        rec = wfdb.rdrecord(str(path), m2s=True)
    except Exception as e:
        raise MalformedRecordError(f"{path.name}: the multi-segment record cannot be read "
                                   f"({type(e).__name__}: {e}); check every segment is present") from e
    if rec.p_signal is None:
        raise SignalQualityError(f"{path.name}: the multi-segment record holds no signal")
    signal = np.asarray(rec.p_signal, dtype=np.float64)
    if signal.shape[0] != header.sig_len:
        raise TruncatedRecordError(f"{path.name}: the segments hold {signal.shape[0]} samples where the header "
                                   f"announces {header.sig_len}; a segment is truncated or missing")
    meta = {"format": "wfdb-multisegment", "comments": list(header.comments),
            "base_date": header.base_date, "base_time": header.base_time}
    ann, meta["annotations_dropped"] = read_annotations(path, annotator, len(signal), 1, meta, fs=header.fs)
    names = [n or f"ch{j + 1}" for j, n in enumerate(rec.sig_name)]
    units = [u or "mV" for u in rec.units]
    return Record(path.name, signal, header.fs, names, units, ann, meta)
