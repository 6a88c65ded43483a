"""Hostile inputs for the record reader, generated (no data files are committed).

Each :class:`Case` builds its files in a folder and says what a correct reader
does with them: open the record with the right values (``ok``: its ``check``
verifies them), refuse it with a typed error whose message names the problem
(``error``: class and message pattern), or either (random damage: any
:class:`~ecg_lstm.errors.ECGError`, or a record that passes the generic checks).

    python tests/hostile_corpus.py [--heavy] [--only PATTERN] [--report FILE]

runs every case in its own forked process (peak memory per case from
``wait4``) and prints one line per case: input, outcome, peak MB, message.
``make test-hostile`` writes that report to bench/results/hostile.txt;
tests/io/test_hostile.py runs the light cases in the test suite.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import struct
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecg_lstm import errors as E  # noqa: E402
from ecg_lstm.io.limits import MAX_FS, MIN_FS
from ecg_lstm.io.record import Record
from ecg_lstm.io.read import read_record
from ecg_lstm.io.upload import read_record_from_files

FS, N = 360, 3600  # 10 s at 360 Hz
GAIN = 200.0


def synthetic_ecg(n: int = N, fs: float = FS, leads: int = 2, seed: int = 0) -> np.ndarray:
    """An ECG-like signal in mV (72 bpm spikes of ~1 mV on small noise), shape (n, leads)."""
    t = np.arange(n) / fs
    rng = np.random.default_rng(seed)
    beat = np.sin(np.pi * 1.2 * t)[:, None] ** 40
    return beat * np.linspace(1.0, 0.6, leads) + 0.02 * rng.standard_normal((n, leads))


DIGITAL = np.round(synthetic_ecg() * GAIN).astype(np.int16)
TRUTH = DIGITAL / GAIN


@dataclass
class Case:
    """One hostile input: ``build(folder)`` writes its files and returns what to read."""

    name: str
    build: Callable[[Path], "Target"]
    expect: str  # "ok", "error" or "either"
    error: type | tuple = E.ECGError
    match: str = ""
    check: Callable[[Record], None] | None = None
    heavy: bool = False
    env: dict = field(default_factory=dict)


@dataclass
class Target:
    """What the reader is given: a path (read_record) or uploaded bytes (read_record_from_files)."""

    path: Path | None = None
    files: dict | None = None
    kwargs: dict = field(default_factory=dict)
    describe: str = ""
    reader: Callable | None = None  # anything else read against a record (a corrections file)

    def read(self) -> Record:
        if self.reader is not None:
            return self.reader()
        if self.files is not None:
            return read_record_from_files(self.files, **self.kwargs)
        return read_record(self.path, **self.kwargs)


# ---------------------------------------------------------------- builders

def checksum(d: np.ndarray) -> int:
    c = int(d.sum(dtype=np.int64)) % 65536
    return c - 65536 if c >= 32768 else c


def wfdb_files(name="r", fs="360", gains=("200", "200"), fmt="16", d=DIGITAL, sig_len=None, names=("MLII", "V5"),
               baselines=("0", "0"), units=("mV", "mV"), dat=None, extra_lines="") -> dict[str, bytes]:
    """A format-16 WFDB record as {file: bytes}, every header field given as text."""
    n, m = d.shape
    sig_len = str(n) if sig_len is None else sig_len
    lines = [f"{name} {m} {fs} {sig_len}".rstrip()]
    for j in range(m):
        gain = f"{gains[j]}({baselines[j]})/{units[j]}"
        lines.append(f"{name}.dat {fmt} {gain} 16 0 {int(d[0, j])} {checksum(d[:, j])} 0 {names[j]}")
    hea = ("\n".join(lines) + "\n" + extra_lines).encode("utf-8")
    return {f"{name}.hea": hea, f"{name}.dat": d.astype("<i2").tobytes() if dat is None else dat}


def wfdb_written(fmt: str, name="w", d=DIGITAL) -> dict[str, bytes]:
    """A record written by wfdb itself in ``fmt`` (212, 80, 16 ...)."""
    import wfdb

    with tempfile.TemporaryDirectory() as tmp:
        wfdb.wrsamp(name, fs=FS, units=["mV"] * d.shape[1], sig_name=["MLII", "V5"][: d.shape[1]],
                    d_signal=d.astype(np.int64 if fmt != "80" else np.int16), fmt=[fmt] * d.shape[1],
                    adc_gain=[GAIN] * d.shape[1], baseline=[0] * d.shape[1], write_dir=tmp)
        return {p.name: p.read_bytes() for p in Path(tmp).iterdir()}


def atr_bytes(samples, symbols="N", name="r") -> bytes:
    import wfdb

    with tempfile.TemporaryDirectory() as tmp:
        sym = [symbols] * len(samples) if isinstance(symbols, str) else list(symbols)
        wfdb.wrann(name, "atr", np.asarray(samples), symbol=sym, write_dir=tmp)
        return (Path(tmp) / f"{name}.atr").read_bytes()


BEATS = np.arange(150, N, 300)  # 72 bpm reference beats


def write(folder: Path, files: dict[str, bytes], target: str, **kw) -> Target:
    for f, data in files.items():
        (folder / f).write_bytes(data)
    return Target(path=folder / target, kwargs=kw, describe=f"{target} ({', '.join(sorted(files))})")


def upload(files: dict[str, bytes], **kw) -> Target:
    return Target(files=files, kwargs=kw, describe="upload " + ", ".join(sorted(files)))


def zipped(files: dict[str, bytes], prefix="") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in files.items():
            z.writestr(prefix + k, v)
    return buf.getvalue()


def edf_bytes(signals, fs, labels, units, record_s=1.0, n_records_field=None, pmin=None, pmax=None,
              dmin=-32768, dmax=32767, annotations=(), ann_signals=1, duration_field=None, reserved=b"",
              starts=None) -> bytes:
    """A 16-bit EDF(+) file; ``annotations`` (onset, text) spread over ``ann_signals`` annotation signals."""
    n_rec = int(len(signals[0]) / (fs[0] * record_s))
    spr = [int(f * record_s) for f in fs]
    chans, lo_hi = [], []
    for x, k in zip(signals, spr):
        x = np.asarray(x[: n_rec * k], float)
        lo, hi = (float(x.min()) - 1, float(x.max()) + 1) if pmin is None else (pmin, pmax)
        a, b = (float(lo), float(hi)) if np.isfinite([float(lo), float(hi)]).all() and float(hi) > float(lo) \
            else (-1.0, 1.0)
        d = np.clip(np.round((x - a) / (b - a) * 65535 - 32768), -32768, 32767).astype("<i2")
        chans.append(d.reshape(n_rec, k))
        lo_hi.append((lo, hi))
    labels, units = list(labels), list(units)
    if annotations or ann_signals > 1 or starts is not None:
        for a in range(ann_signals):
            rows = np.zeros((n_rec, 120), np.uint8)
            for r in range(n_rec):
                tal = f"+{r * record_s if starts is None else starts[r]:g}\x14\x14\x00".encode() if a == 0 else b""
                tal += b"".join(f"+{t:g}\x14{s}\x14\x00".encode() for k, (t, s) in enumerate(annotations)
                                if k % ann_signals == a and r * record_s <= t < (r + 1) * record_s)
                rows[r, : len(tal)] = np.frombuffer(tal[:120], np.uint8)
            chans.append(rows.view("<i2"))
            labels.append("EDF Annotations")
            units.append("")
            spr.append(60)
            lo_hi.append((-1, 1))
        reserved = reserved or (b"EDF+D" if starts is not None else b"EDF+C")
    ns = len(chans)

    def fld(values, width):
        return b"".join(str(v).ljust(width)[:width].encode("latin-1") for v in values)

    head = (b"0".ljust(8) + b"X X X X".ljust(80) + b"Startdate X X X X".ljust(80) + b"02.03.04" + b"05.06.07"
            + str(256 * (ns + 1)).ljust(8).encode() + reserved.ljust(44)
            + str(n_rec if n_records_field is None else n_records_field).ljust(8).encode()
            + (f"{record_s:g}" if duration_field is None else duration_field).ljust(8).encode()
            + str(ns).ljust(4).encode())
    head += fld(labels, 16) + fld([""] * ns, 80) + fld(units, 8)
    head += fld([f"{p[0]:.6g}"[:8] if isinstance(p[0], float) else p[0] for p in lo_hi], 8)
    head += fld([f"{p[1]:.6g}"[:8] if isinstance(p[1], float) else p[1] for p in lo_hi], 8)
    head += fld([dmin] * ns, 8) + fld([dmax] * ns, 8) + fld([""] * ns, 80) + fld(spr, 8) + fld([""] * ns, 32)
    return head + np.concatenate(chans, axis=1).astype("<i2").tobytes()


def csv_text(columns: dict[str, np.ndarray], fmt="%.6g", sep=",") -> bytes:
    names = list(columns)
    data = np.column_stack([np.asarray(v, float) for v in columns.values()])
    out = io.StringIO()
    out.write(sep.join(names) + "\n")
    np.savetxt(out, data, fmt=fmt, delimiter=sep)
    return out.getvalue().encode("utf-8")


T = np.arange(N) / FS
X = TRUTH[:, 0]


# ---------------------------------------------------------------- checks of OK results

def values(expected: np.ndarray, atol=1e-6, lead=0, fs=FS, n=None):
    def check(rec: Record):
        assert rec.fs == fs, f"fs {rec.fs} != {fs}"
        got = rec.signal[:, lead]
        want = np.asarray(expected, float)
        assert rec.n_samples == (n or len(want)), f"{rec.n_samples} samples, expected {n or len(want)}"
        ok = np.isfinite(want)
        assert np.allclose(got[: len(want)][ok], want[ok], atol=atol), "values differ"
    return check


def that(predicate, what: str):
    """A check asserting ``predicate(rec)``; ``what`` says what it expects."""
    def check(rec):
        assert predicate(rec), what
    return check


def both(*checks):
    def check(rec):
        for c in checks:
            c(rec)
    return check


def meta_has(key, pattern=""):
    def check(rec):
        assert key in rec.metadata, f"metadata lacks {key}"
        assert re.search(pattern, json.dumps(rec.metadata[key]), re.I), f"{key}: {rec.metadata[key]}"
    return check


def generic(rec: Record, max_hours=48.0) -> None:
    """What any record the reader returns must satisfy."""
    x = rec.signal
    assert isinstance(x, np.ndarray) and x.dtype == np.float32 and x.flags.f_contiguous and x.ndim == 2
    n, m = x.shape
    assert n > 0 and m == len(rec.lead_names) == len(rec.units) > 0
    assert np.isfinite(rec.fs) and MIN_FS <= rec.fs <= MAX_FS
    assert rec.duration_s <= max_hours * 3600
    assert not np.isinf(x).any()
    lead = rec.lead(rec.metadata.get("lead"))
    assert not np.isnan(lead).all() and np.nanmax(lead) > np.nanmin(lead)
    assert np.nanmax(np.abs(lead)) < 1e9
    if rec.annotations is not None:
        a = rec.annotations
        assert len(a.sample) == len(a.symbol) == len(a.aux_note)
        assert np.all((a.sample >= 0) & (a.sample < n))
    json.dumps(rec.metadata)


# ---------------------------------------------------------------- the corpus

def cases() -> list[Case]:
    C: list[Case] = []

    def add(name, build, expect, error=E.ECGError, match="", check=None, heavy=False, env=None):
        C.append(Case(name, build, expect, error, match, check, heavy, env or {}))

    W = wfdb_files()
    ok_wfdb = values(TRUTH[:, 0])

    # --- WFDB: the header's numbers
    add("wfdb ok (format 16)", lambda d: write(d, W, "r"), "ok", check=ok_wfdb)
    for fmt in ("212", "16", "24", "32"):
        add(f"wfdb ok written by wfdb, format {fmt}", lambda d, f=fmt: write(d, wfdb_written(f), "w"), "ok",
            check=ok_wfdb)
    small = (DIGITAL // 2).astype(np.int16)  # fits 8 bits
    add("wfdb ok written by wfdb, format 80 (gain 100)",
        lambda d: write(d, wfdb_written("80", d=small), "w"), "ok", check=values(small[:, 0] / GAIN))
    add("wfdb ok, format 61 (big-endian)", lambda d: write(d, wfdb_files(fmt="61", dat=DIGITAL.astype(">i2").tobytes()),
                                                          "r"), "ok", check=ok_wfdb)
    add("wfdb ok, format 160 (offset binary)",
        lambda d: write(d, wfdb_files(fmt="160", dat=(DIGITAL.astype(np.int32) + 32768).astype("<u2").tobytes()), "r"),
        "ok", check=ok_wfdb)
    for fs in ("-360", "inf", "nan", "abc", "0", "-0", "1e999", "360Hz"):
        add(f"wfdb sampling rate {fs!r}", lambda d, f=fs: write(d, wfdb_files(fs=f), "r"), "error",
            E.SamplingRateError, "sampling rate")
    add("wfdb no sampling rate", lambda d: write(d, {**W, "r.hea": b"r 2\n" + W["r.hea"].split(b"\n", 1)[1]}, "r"),
        "error", E.SamplingRateError, "no sampling rate")
    for fs in ("50", "5000"):
        add(f"wfdb sampling rate {fs} Hz out of range", lambda d, f=fs: write(d, wfdb_files(fs=f), "r"), "error",
            E.SamplingRateError, "100..2000 Hz")
    add("wfdb rate with counter frequency '360/1000(0)'",
        lambda d: write(d, wfdb_files(fs="360/1000(0)"), "r"), "ok", check=ok_wfdb)
    for g in ("nan", "inf", "-inf", "abc"):
        add(f"wfdb gain {g}(1024)/mV", lambda d, g=g: write(d, wfdb_files(gains=(g, "200")), "r"), "error",
            (E.AmplitudeError, E.MalformedRecordError), "gain")
    for g in ("1e-300", "1e308", "-200", "1e-5"):
        add(f"wfdb absurd gain {g}", lambda d, g=g: write(d, wfdb_files(gains=(g, g)), "r"), "error",
            E.AmplitudeError, "gain")
    add("wfdb gain 0 (uncalibrated, read as 200)", lambda d: write(d, wfdb_files(gains=("0", "200")), "r"),
        "ok", check=both(ok_wfdb, meta_has("warnings", "uncalibrated")))
    add("wfdb gain 0.002/mV with matching data (1 step = 500 mV)",
        lambda d: write(d, wfdb_files(gains=("0.002", "0.002")), "r"), "error", E.AmplitudeError, "gain")
    for b in ("100000000000000000000000", "1e23", "-99999999999"):
        add(f"wfdb baseline {b}", lambda d, b=b: write(d, wfdb_files(baselines=(b, b)), "r"), "error",
            E.AmplitudeError, "baseline")
    add("wfdb baseline 30000 (lead at -150 mV level)", lambda d: write(d, wfdb_files(baselines=("30000", "0")), "r"),
        "ok", check=values(TRUTH[:, 0] - 150))
    add("wfdb baseline 32000 with gain 20 (lead at -1.6 V)",
        lambda d: write(d, wfdb_files(baselines=("32000", "0"), gains=("20", "200")), "r"), "error",
        E.AmplitudeError, "sits at")
    add("wfdb data in mV labelled uV (reads as 0.001 mV)",
        lambda d: write(d, wfdb_files(units=("uV", "uV")), "r"), "error", E.AmplitudeError, "volts")
    add("wfdb data in uV scale labelled mV (gain 0.2/mV)",
        lambda d: write(d, wfdb_files(gains=("0.2", "0.2")), "r"), "error", E.AmplitudeError, "uV")
    add("wfdb lead name with spaces 'ECG lead II'",
        lambda d: write(d, wfdb_files(names=("ECG lead II", "V5")), "r"), "ok",
        check=that(lambda r: r.lead_names == ["ECG lead II", "V5"], "r.lead_names == ['ECG lead II', 'V5']"))
    add("wfdb 3 signals declared, 2 described",
        lambda d: write(d, {**W, "r.hea": W["r.hea"].replace(b"r 2 360", b"r 3 360")}, "r"), "error",
        E.MalformedRecordError, "declares 3 signals")
    add("wfdb 0 signals", lambda d: write(d, {**W, "r.hea": b"r 0 360 3600\n"}, "r"), "error",
        E.SignalQualityError, "no signals")
    add("wfdb negative length", lambda d: write(d, wfdb_files(sig_len="-5"), "r"), "error",
        E.MalformedRecordError, "negative")
    add("wfdb 10^12 samples announced", lambda d: write(d, wfdb_files(sig_len="1000000000000"), "r"), "error",
        E.RecordTooLongError, "limit")
    add("wfdb no length (taken from the file size)", lambda d: write(d, wfdb_files(sig_len=""), "r"), "ok",
        check=ok_wfdb)
    add("wfdb 2 MB header of comments",
        lambda d: write(d, {**W, "r.hea": W["r.hea"] + b"# comment\n" * 220000}, "r"), "error",
        E.MalformedRecordError, "MB")
    add("wfdb header of binary garbage", lambda d: write(d, {**W, "r.hea": bytes(range(256)) * 4}, "r"), "error",
        E.MalformedRecordError)
    add("wfdb empty header", lambda d: write(d, {**W, "r.hea": b""}, "r"), "error", E.MalformedRecordError,
        "no record line")
    add("wfdb format 999", lambda d: write(d, wfdb_files(fmt="999"), "r"), "error", E.UnsupportedFormatError,
        "format")
    add("wfdb format 16x1000000", lambda d: write(d, wfdb_files(fmt="16x1000000"), "r"), "error",
        E.MalformedRecordError, "samples per frame")
    add("wfdb signal file '../r.dat'",
        lambda d: write(d, {**W, "r.hea": W["r.hea"].replace(b"r.dat", b"../r.dat")}, "r"), "error",
        E.UnsupportedFormatError, "next to the header")
    add("wfdb record name '../../r' in the header",
        lambda d: write(d, {**W, "r.hea": b"../../" + W["r.hea"]}, "r"), "error", E.MalformedRecordError,
        "is a path, not a name")
    add("wfdb .dat missing", lambda d: write(d, {"r.hea": W["r.hea"]}, "r"), "error", E.MissingFileError,
        r"r\.dat is missing")
    add("wfdb .hea missing", lambda d: write(d, {"r.dat": W["r.dat"]}, "r"), "error", E.MissingFileError,
        r"r\.hea is missing")
    for frac in (0.0, 0.5, 0.999):
        add(f"wfdb .dat cut to {frac:.1%}",
            lambda d, f=frac: write(d, {**W, "r.dat": W["r.dat"][: int(f * len(W["r.dat"]))]}, "r"), "error",
            E.TruncatedRecordError, "truncated")
    add("wfdb .dat with 1000 bytes appended", lambda d: write(d, {**W, "r.dat": W["r.dat"] + bytes(1000)}, "r"),
        "ok", check=both(ok_wfdb, meta_has("warnings", "more than")))
    add("wfdb .dat bit flip (checksum catches it)",
        lambda d: write(d, {**W, "r.dat": _flip(W["r.dat"], 5001)}, "r"), "error", E.HeaderMismatchError,
        "checksum")
    add("wfdb ECG channels at two rates",
        lambda d: write(d, {**W, "r.hea": W["r.hea"].replace(b"r.dat 16 ", b"r.dat 16x2 ", 1)}, "r"), "error",
        E.SamplingRateError, "different sampling rates")
    nan0 = DIGITAL.copy()
    nan0[:, 0] = -32768
    add("wfdb first lead all missing", lambda d: write(d, wfdb_files(d=nan0), "r"), "error",
        E.SignalQualityError, "no valid samples")
    add("wfdb first lead all missing, lead='V5' asked",
        lambda d: write(d, wfdb_files(d=nan0), "r", lead="V5"), "ok", check=values(TRUTH[:, 1], lead=1))
    add("wfdb first lead all missing, lead=1 asked",
        lambda d: write(d, wfdb_files(d=nan0), "r", lead=1), "ok", check=values(TRUTH[:, 1], lead=1))
    flat = DIGITAL.copy()
    flat[:, 0] = 7
    add("wfdb first lead flat", lambda d: write(d, wfdb_files(d=flat), "r"), "error", E.SignalQualityError,
        "flat")
    add("wfdb first lead flat, lead='V5' asked", lambda d: write(d, wfdb_files(d=flat), "r", lead="V5"), "ok",
        check=values(TRUTH[:, 1], lead=1))
    add("wfdb lead 'V2' asked, not in record", lambda d: write(d, W, "r", lead="V2"), "error", E.RecordError,
        "leads are MLII, V5")
    add("wfdb decoded size over max_signal_mb", lambda d: write(d, W, "r", max_signal_mb=0.01), "error",
        E.RecordTooLargeError, "ECG_MAX_SIGNAL_MB")
    add("wfdb decoded size over $ECG_MAX_SIGNAL_MB", lambda d: write(d, W, "r"), "error", E.RecordTooLargeError,
        "max_signal_mb", env={"ECG_MAX_SIGNAL_MB": "0.01"})
    add("wfdb 47 h at 2000 Hz, format 80, header only (cut .dat)",
        lambda d: write(d, {"r.hea": f"r 1 2000 {47 * 3600 * 2000}\nr.dat 80 200 8 0 0 0 0 ECG\n".encode(),
                            "r.dat": bytes(1000)}, "r"), "error", E.RecordTooLargeError, "MB")
    add("wfdb 4 leads x 46 h at 2000 Hz announced",
        lambda d: write(d, {"r.hea": (f"r 4 2000 {46 * 3600 * 2000}\n" + "".join(
            f"r.dat 16 200 16 0 0 0 0 V{k}\n" for k in range(4))).encode(), "r.dat": bytes(10)}, "r"),
        "error", E.RecordTooLargeError, "ECG_MAX_SIGNAL_MB")
    uni = "ékg_患者"
    add(f"wfdb record named {uni}", lambda d: write(d, wfdb_files(name=uni), uni), "ok", check=ok_wfdb)
    add(f"wfdb record named {uni} with .atr",
        lambda d: write(d, {**wfdb_files(name=uni), f"{uni}.atr": atr_bytes(BEATS)}, uni), "ok",
        check=that(lambda r: len(r.annotations.sample) == len(BEATS), "len(r.annotations.sample) == len(BEATS)"))
    add(f"upload of record {uni}", lambda d: upload(wfdb_files(name=uni)), "ok", check=ok_wfdb)
    add("wfdb record named 'my record' (space)", lambda d: write(d, wfdb_files(name="my record"), "my record"),
        "error", E.ECGError)

    # --- annotations
    A = atr_bytes(BEATS)
    ok_ann = that(lambda r: list(r.annotations.sample) == list(BEATS), "the reference beats, all of them")
    add("wfdb with .atr", lambda d: write(d, {**W, "r.atr": A}, "r"), "ok", check=both(ok_wfdb, ok_ann))
    no_ref = both(ok_wfdb, that(lambda r: r.annotations is None, "r.annotations is None"),
                  meta_has("annotation_error"))
    for cut in (0.3, 0.9):
        add(f".atr cut to {cut:.0%}", lambda d, c=cut: write(d, {**W, "r.atr": A[: int(c * len(A)) // 2 * 2]}, "r"),
            "ok", check=both(no_ref, meta_has("annotation_error", "cut short")))
    add(".atr empty", lambda d: write(d, {**W, "r.atr": b""}, "r"), "ok",
        check=both(no_ref, meta_has("annotation_error", "empty")))
    add(".atr odd length", lambda d: write(d, {**W, "r.atr": A[:-1]}, "r"), "ok", check=no_ref)
    add(".atr random bytes", lambda d: write(d, {**W, "r.atr": np.random.default_rng(1).bytes(3000)}, "r"), "ok",
        check=no_ref)
    # 10 s of record could need at most 64 KB + 40 B/s of annotations: 2 MB is left out before parsing.
    add(".atr of 2 MB for 10 s of record", lambda d: write(d, {**W, "r.atr": b"\x01\x04" * (1 << 20) + b"\0\0"}, "r"),
        "ok", check=both(no_ref, meta_has("annotation_error", "more than a record of 10 s could need")))
    add(".atr of 2 zero bytes (no annotations)", lambda d: write(d, {**W, "r.atr": b"\0\0"}, "r"), "ok",
        check=that(lambda r: len(r.annotations.sample) == 0, "len(r.annotations.sample) == 0"))
    add(".atr beyond the signal", lambda d: write(d, {**W, "r.atr": atr_bytes([100, 5000, 9000])}, "r"), "ok",
        check=that(lambda r: list(r.annotations.sample) == [100] and r.metadata["annotations_dropped"] == 2,
                   "the annotation inside kept, the 2 outside dropped"))
    add("upload with a truncated .atr", lambda d: upload({**W, "r.atr": A[:12]}), "ok", check=no_ref)

    # --- multi-segment
    def multiseg(d, seg_fs="360", master="r/2 2 360 7200", segs="s1 3600\ns2 3600", drop=()):
        files = {"r.hea": (master + "\n" + segs + "\n").encode()}
        for s in ("s1", "s2"):
            if s not in drop:
                files.update(wfdb_files(name=s, fs=seg_fs if s == "s2" else "360"))
        return write(d, files, "r")

    add("multi-segment ok", lambda d: multiseg(d), "ok", check=values(np.r_[TRUTH[:, 0], TRUTH[:, 0]]))
    add("multi-segment, segment at 250 Hz", lambda d: multiseg(d, seg_fs="250"), "error", E.SamplingRateError,
        "segment s2")
    add("multi-segment, segment missing", lambda d: multiseg(d, drop=("s2",)), "error", E.MissingFileError, "s2")
    add("multi-segment, lengths disagree", lambda d: multiseg(d, master="r/2 2 360 9000"), "error",
        E.HeaderMismatchError, "segments add up")
    add("multi-segment, 10^11 samples", lambda d: multiseg(d, master="r/2 2 360 100000000000",
                                                            segs="s1 99999996400\ns2 3600"), "error",
        E.RecordTooLongError)
    add("multi-segment, 20 h x 200 leads", lambda d: multiseg(d, master=f"r/2 200 360 {20 * 3600 * 360}",
                                                               segs=f"s1 {20 * 3600 * 360 - 3600}\ns2 3600"),
        "error", E.RecordTooLargeError, "MB")

    # --- EDF
    x_mv = TRUTH[:, 0]
    E_OK = edf_bytes([x_mv], [FS], ["ECG II"], ["mV"])
    ok_edf = values(x_mv, atol=1e-3)
    add("edf ok", lambda d: write(d, {"a.edf": E_OK}, "a.edf"), "ok", check=ok_edf)
    add("edf in uV", lambda d: write(d, {"a.edf": edf_bytes([x_mv * 1000], [FS], ["ECG"], ["uV"])}, "a.edf"), "ok",
        check=ok_edf)
    ann = [(0.5, "N"), (1.25, "V"), (1.5, "N"), (2.75, "A"), (3.0, "Note"), (3.1, "N")]
    add("edf+ with annotations over 3 annotation signals (time order)",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], annotations=ann, ann_signals=3)},
                        "a.edf"), "ok",
        check=both(ok_edf, that(lambda r: list(r.annotations.sample) == [round(t * FS) for t, _ in ann],
                                "every annotation, in time order")))
    add("edf header says 2 records, file holds 10",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], n_records_field=2)}, "a.edf"),
        "error", E.HeaderMismatchError, "2 data records")
    add("edf header says 60 records, file holds 10",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], n_records_field=60)}, "a.edf"),
        "error", E.TruncatedRecordError, "truncated")
    add("edf with 7 trailing bytes", lambda d: write(d, {"a.edf": E_OK + b"garbage"}, "a.edf"), "error",
        E.HeaderMismatchError, "appended")
    add("edf with one extra data record", lambda d: write(d, {"a.edf": E_OK + E_OK[-720:]}, "a.edf"), "error",
        E.HeaderMismatchError, "data records")
    add("edf cut in the data", lambda d: write(d, {"a.edf": E_OK[:-100]}, "a.edf"), "error",
        E.TruncatedRecordError, "truncated")
    add("edf cut in the header", lambda d: write(d, {"a.edf": E_OK[:300]}, "a.edf"), "error",
        (E.TruncatedRecordError, E.MalformedRecordError))
    add("edf record count -1 (unknown)",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], n_records_field=-1)}, "a.edf"),
        "ok", check=ok_edf)
    add("edf named .edf but a zip", lambda d: write(d, {"a.edf": zipped(W)}, "a.edf"), "error",
        E.MalformedRecordError, "not an EDF")
    add("edf 0 signals", lambda d: write(d, {"a.edf": E_OK[:252] + b"0   " + E_OK[256:]}, "a.edf"), "error",
        E.MalformedRecordError)
    add("edf 9999 signals", lambda d: write(d, {"a.edf": E_OK[:252] + b"9999" + E_OK[256:]}, "a.edf"), "error",
        E.MalformedRecordError)
    add("edf physical minimum 'nan'",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], pmin="nan", pmax="5")}, "a.edf"),
        "error", E.MalformedRecordError)
    add("edf digital min = max",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], dmin=0, dmax=0)}, "a.edf"),
        "error", E.MalformedRecordError)
    add("edf physical range 1e300 mV",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], pmin="-1e300", pmax="1e300")},
                        "a.edf"), "error", E.AmplitudeError, "far beyond")
    add("edf uV data labelled mV",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv * 1000], [FS], ["ECG"], ["mV"])}, "a.edf"), "error",
        E.AmplitudeError, "uV")
    add("edf+D with a gap",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], starts=[0, 1, 2, 3, 4, 6, 7, 8, 9, 10])},
                        "a.edf"), "error", E.UnsupportedFormatError, "EDF\\+D")
    add("edf+D without gaps",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], starts=list(range(5, 15)))},
                        "a.edf"), "ok", check=ok_edf)
    add("edf data record duration 0",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], duration_field="0")}, "a.edf"),
        "error", E.ECGError)
    add("edf 10^7 data records announced",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["ECG"], ["mV"], n_records_field=10 ** 7)}, "a.edf"),
        "error", E.RecordTooLongError)
    add("edf no ECG channel (EEG)",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv], [FS], ["EEG Fpz-Cz"], ["uV"])}, "a.edf"), "error",
        E.SignalQualityError, "no ECG channel")
    add("edf ECG at 50 Hz", lambda d: write(d, {"a.edf": edf_bytes([x_mv[::7][:500]], [50], ["ECG"], ["mV"])},
                                            "a.edf"), "error", E.SamplingRateError)
    add("edf two ECG rates",
        lambda d: write(d, {"a.edf": edf_bytes([x_mv, x_mv[::2]], [FS, FS // 2], ["ECG I", "ECG II"],
                                               ["mV", "mV"])}, "a.edf"), "error", E.SamplingRateError,
        "different sampling rates")
    add("edf of 16 zero bytes", lambda d: write(d, {"a.edf": bytes(16)}, "a.edf"), "error", E.MalformedRecordError)
    for seed in range(6):
        add(f"edf random damage #{seed}", lambda d, s=seed: write(d, {"a.edf": _damage(E_OK, s, start=8)}, "a.edf"),
            "either")

    # --- CSV
    ok_csv = values(x_mv, atol=1e-5)
    add("csv ok with time column", lambda d: write(d, {"a.csv": csv_text({"time": T, "MLII": x_mv})}, "a.csv"), "ok",
        check=ok_csv)
    add("csv in nV, no unit", lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": x_mv * 1e6})}, "a.csv"),
        "error", E.AmplitudeError, "nV")
    add("csv in uV, no unit", lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": x_mv * 1e3})}, "a.csv"),
        "error", E.AmplitudeError, "uV")
    add("csv in V, no unit", lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": x_mv * 1e-3})}, "a.csv"),
        "error", E.AmplitudeError, "volts")
    add("csv in nV, unit in the header 'ECG (nV)'",
        lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG (nV)": x_mv * 1e6})}, "a.csv"), "ok", check=ok_csv)
    add("csv values of 1e308", lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": np.full(N, 1e308) * np.sign(
        x_mv - 0.1)})}, "a.csv"), "error", E.AmplitudeError, "far beyond")
    big = x_mv.copy()
    big[::100] = 1e308
    add("csv some values of 1e308", lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": big})}, "a.csv"),
        "error", E.AmplitudeError)
    rare = x_mv.copy()
    rare[::1000] = 1e308  # too few to move the robust amplitude check: masked, never silent
    add("csv 1e308 in one sample of 1000", lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": rare})}, "a.csv"),
        "ok", check=both(values(np.where(np.arange(N) % 1000 == 0, np.nan, x_mv), atol=1e-3),
                         that(lambda rec: np.isnan(rec.signal[::1000, 0]).all(), "the 1e308 samples set missing"),
                         meta_has("warnings", "4 values more than 50 mV .* set missing")))
    add("csv second lead of 1e308 values",
        lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": x_mv, "V5": np.full(N, 1e308)})}, "a.csv"), "ok",
        check=both(ok_csv, meta_has("warnings", "beyond any measurement")))
    infs = x_mv.copy()
    infs[::50] = np.inf
    add("csv with inf cells", lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": infs})}, "a.csv"), "ok",
        check=both(values(np.where(np.isinf(infs), np.nan, x_mv), atol=1e-5),
                   that(lambda r: abs(r.metadata["nan_fraction"][0] - 0.02) < 1e-3, "2 % missing")))

    def every_7th(d):
        lines = csv_text({"time": T, "MLII": x_mv, "V5": TRUTH[:, 1]}).decode().splitlines()
        out, k = [lines[0]], 0
        for ln in lines[1:]:
            cells = ln.split(",")
            for j in (1, 2):
                if k % 7 == 0:
                    cells[j] = ""
                k += 1
            out.append(",".join(cells))
        return write(d, {"a.csv": ("\n".join(out) + "\n").encode()}, "a.csv")

    add("csv with every 7th cell empty", every_7th, "ok",
        check=both(that(lambda r: r.fs == FS and r.n_samples == N, "r.fs == FS and r.n_samples == N"),
                   that(lambda r: abs(r.metadata["nan_fraction"][0] - 1 / 7) < 0.01, "1/7 missing"),
                   meta_has("warnings", "cells empty"),
                   values(np.where(np.isnan(_sevenths()), np.nan, x_mv), atol=1e-5)))
    for tname in ("Zeit (s)", "время", "時間 (ms)", "Tiempo", "temps [s]", "Tps", "⏱"):
        scale = 1000 if "ms" in tname else 1
        add(f"csv time column named {tname!r}",
            lambda d, n=tname, k=scale: write(d, {"a.csv": csv_text({n: T * k, "ECG": x_mv})}, "a.csv"), "ok",
            check=both(ok_csv, that(lambda r: r.lead_names == ["ECG"], "r.lead_names == ['ECG']")))
    add("csv time column in ms named 'Zeit'",
        lambda d: write(d, {"a.csv": csv_text({"Zeit": T * 1000, "ECG": x_mv})}, "a.csv"), "either")
    jit = T.copy()
    jit[1000:] += 0.5
    add("csv time column with a jump", lambda d: write(d, {"a.csv": csv_text({"time": jit, "ECG": x_mv})}, "a.csv"),
        "error", E.SamplingRateError, "not uniformly spaced")
    add("csv without time column, no fs", lambda d: write(d, {"a.csv": csv_text({"ECG": x_mv})}, "a.csv"), "error",
        E.SamplingRateError, "fs=")
    add("csv without time column, fs=360", lambda d: write(d, {"a.csv": csv_text({"ECG": x_mv})}, "a.csv", fs=360),
        "ok", check=ok_csv)
    add("csv fs=nan", lambda d: write(d, {"a.csv": csv_text({"ECG": x_mv})}, "a.csv", fs=float("nan")), "error",
        E.SamplingRateError)
    add("csv empty file", lambda d: write(d, {"a.csv": b""}, "a.csv", fs=360), "error", E.ECGError)
    add("csv header only", lambda d: write(d, {"a.csv": b"time,ECG\n"}, "a.csv"), "error", E.SignalQualityError,
        "no data rows")
    add("csv of binary bytes", lambda d: write(d, {"a.csv": np.random.default_rng(3).bytes(5000)}, "a.csv", fs=360),
        "error", E.ECGError)
    add("csv text in the lead", lambda d: write(d, {"a.csv": b"time,ECG\n" + b"".join(
        f"{k / 360},abc\n".encode() for k in range(500))}, "a.csv"), "error", E.MalformedRecordError, "not numeric")
    add("csv lead all empty", lambda d: write(d, {"a.csv": b"time,ECG\n" + b"".join(
        f"{k / 360},\n".encode() for k in range(500))}, "a.csv"), "error", E.SignalQualityError, "no valid samples")
    add("csv flat lead", lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": np.ones(N)})}, "a.csv"), "error",
        E.SignalQualityError, "flat")
    add("csv over max_signal_mb",
        lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": x_mv})}, "a.csv", max_signal_mb=0.005), "error",
        E.RecordTooLargeError, "max_signal_mb")
    add("csv over max_hours",
        lambda d: write(d, {"a.csv": csv_text({"time": T, "ECG": x_mv})}, "a.csv", max_hours=0.001), "error",
        E.RecordTooLongError)
    add("csv time in minutes (0.0028 Hz... no: 6 Hz)",
        lambda d: write(d, {"a.csv": csv_text({"time": T * 60, "ECG": x_mv})}, "a.csv"), "error",
        E.SamplingRateError)
    add("csv with BOM and semicolons",
        lambda d: write(d, {"a.csv": b"\xef\xbb\xbf" + csv_text({"time (ms)": T * 1000, "ECG (mV)": x_mv}, sep=";")},
                        "a.csv"), "ok", check=ok_csv)
    add("csv Markdown in a column name",
        lambda d: write(d, {"a.csv": csv_text({"time": T, "![x](http://host/p.png)": x_mv})}, "a.csv"), "ok",
        check=that(lambda r: r.lead_names == ["![x](http://host/p.png)"], "the name kept whole, as text"))
    add("csv 2 MB header line",
        lambda d: write(d, {"a.csv": b"time," + b"x" * 2_000_000 + b"\n0,1\n"}, "a.csv"), "error", E.ECGError)
    for seed in range(4):
        add(f"csv random damage #{seed}",
            lambda d, s=seed: write(d, {"a.csv": _damage(csv_text({"time": T, "ECG": x_mv}), s)}, "a.csv"), "either")

    # --- uploads and zips
    add("upload WFDB files", lambda d: upload({**W, "r.atr": A}), "ok", check=both(ok_wfdb, ok_ann))
    add("upload zip of a record in a folder", lambda d: upload({"x.zip": zipped({**W, "r.atr": A}, "rec/")}), "ok",
        check=both(ok_wfdb, ok_ann))
    add("upload zip with ../ member names", lambda d: upload({"x.zip": zipped(W, "../../")}), "ok", check=ok_wfdb)
    add("upload file named ../../r.hea",
        lambda d: upload({"../../r.hea": W["r.hea"], "..\\..\\r.dat": W["r.dat"]}), "ok", check=ok_wfdb)
    add("upload file named '..'", lambda d: upload({"..": W["r.hea"]}), "error", E.UnsupportedFormatError,
        "file name")
    add("upload file name with NUL", lambda d: upload({"r\x00.hea": W["r.hea"]}), "error",
        E.UnsupportedFormatError)
    add("upload zip inside a zip", lambda d: upload({"x.zip": zipped({"inner.zip": zipped(W)})}), "error",
        E.UnsupportedFormatError, "another zip")
    add("upload corrupt zip", lambda d: upload({"x.zip": b"PK\x03\x04" + bytes(100)}), "error",
        E.UnsupportedFormatError, "not a readable zip")
    add("upload zip with a bad CRC", lambda d: upload({"x.zip": _bad_crc(zipped(W))}), "error",
        E.MalformedRecordError, "cannot be unpacked")
    add("upload zip marked encrypted", lambda d: upload({"x.zip": _encrypted(zipped(W))}), "error",
        E.UnsupportedFormatError, "encrypted")
    add("upload zip of 1500 files", lambda d: upload({"x.zip": zipped({f"f{k}.txt": b"" for k in range(1500)})}),
        "error", E.RecordError, "1500 files")
    add("upload zip bomb (16 MB of zeros, limit lowered to 1 MB)",
        lambda d: upload({"x.zip": _bomb(16 << 20)}), "error", E.RecordError, "unpacks to more than",
        env={"HOSTILE_MAX_UNZIPPED": str(1 << 20)})
    add("upload zip bomb (1.1 GB of zeros)", lambda d: upload({"x.zip": _bomb(1100 << 20)}), "error", E.RecordError,
        "unpacks to more than", heavy=True)
    big_hea = f"r 1 2000 {47 * 3600 * 2000}\nr.dat 80 200 8 0 0 0 0 ECG\n".encode()
    add("upload zip: a 47 h header after a corrupt .dat (refused before unpacking the .dat)",
        lambda d: upload({"x.zip": _bad_crc(zipped({"r.dat": bytes(5000), "r.hea": big_hea}))}), "error",
        E.RecordTooLargeError, "MB")
    add("upload empty zip", lambda d: upload({"x.zip": zipped({})}), "error", E.MissingFileError, "empty")
    add("upload nothing", lambda d: upload({}), "error", E.MissingFileError)
    add("upload a PDF", lambda d: upload({"scan.pdf": b"%PDF-1.4"}), "error", E.UnsupportedFormatError)
    add("upload .dat without header", lambda d: upload({"r.dat": W["r.dat"]}), "error", E.MissingFileError, ".hea")
    add("upload two records", lambda d: upload({**W, **wfdb_files(name="q")}), "error", E.UnsupportedFormatError,
        "several records")
    add("upload an EDF named .csv", lambda d: upload({"a.csv": E_OK}, fs=360), "error", E.ECGError)
    add("upload a CSV named .edf", lambda d: upload({"a.edf": csv_text({"time": T, "ECG": x_mv})}), "error",
        E.MalformedRecordError, "not an EDF")
    add("upload a header named .HEA", lambda d: upload({"r.HEA": W["r.hea"], "r.dat": W["r.dat"]}), "ok",
        check=ok_wfdb)
    add("upload non-bytes content", lambda d: upload({"r.hea": "text"}), "error", E.RecordError, "bytes")
    add("upload EDF with appended bytes", lambda d: upload({"a.edf": E_OK + b"\0" * 10}), "error",
        E.HeaderMismatchError)
    add("upload CSV in nV", lambda d: upload({"a.csv": csv_text({"time": T, "ECG": x_mv * 1e6})}), "error",
        E.AmplitudeError, "nV")
    add("upload 47 h 2000 Hz format-80 record zipped (677 MB of zeros)",
        lambda d: upload({"big.zip": _big_zip_record()}), "error", E.RecordTooLargeError, "MB", heavy=True)
    for seed in range(8):
        add(f"wfdb random damage #{seed} (header, .dat or .atr)",
            lambda d, s=seed: write(d, _damage_record({**W, "r.atr": A}, s), "r"), "either")
    for seed in range(4):
        add(f"upload zip random damage #{seed}", lambda d, s=seed: upload({"x.zip": _damage(zipped(W), s, 30)}),
            "either")

    # --- long and large (make test-hostile --heavy)
    add("wfdb 24 h, 2 leads, 360 Hz, format 212 (93 MB)", lambda d: _long_wfdb(d, hours=24), "ok",
        check=that(lambda r: r.n_samples == 24 * 3600 * FS, "r.n_samples == 24 * 3600 * FS"), heavy=True)
    add("upload 200 MB format-16 WFDB record (38.6 h x 2 leads)", lambda d: _long_upload(d, 200 << 20), "ok",
        check=that(lambda r: r.n_samples == (200 << 20) // 4, "r.n_samples == (200 << 20) // 4"), heavy=True)
    add("upload 200 MB CSV (2 leads)", lambda d: _big_csv_upload(200 << 20), "either", heavy=True)
    add("upload 200 MB EDF (4 leads, 500 Hz)", lambda d: _big_edf_upload(200 << 20), "ok", heavy=True)
    for fmt, leads in (("80", 1), ("212", 2), ("16", 4)):
        add(f"upload zip, format {fmt}, {leads} lead(s), just under the 1024 MB decoded limit",
            lambda d, f=fmt, k=leads: _near_limit_upload(f, k), "ok", heavy=True)
    add("upload 200 MB CSV with one text cell", lambda d: _big_csv_upload(200 << 20, text_cell=True), "either",
        heavy=True)
    add("upload 48 h 2-lead CSV from disk, as the page spools it (about 810 MB: under the 1024 MB upload cap)",
        lambda d: _long_csv_upload(d, hours=48), "ok",
        check=that(lambda r: r.n_samples == 48 * 3600 * FS and r.signal.dtype == np.float32,
                   "r.n_samples == 48 * 3600 * FS, float32"), heavy=True)
    _corrections_cases(add, W)
    _recorder_format_cases(add)
    return C


def _recorder_format_cases(add) -> None:
    """ISHNE Holter, DICOM waveform, HL7 aECG, Philips Sierra XML and exported EDF+: good files read
    with their own scale, and each kind of damage refused by its own error."""
    import pydicom

    from ecg_lstm.io.dicom_format import write_dicom_ecg
    from ecg_lstm.io.edf_export import edf_bytes as export_edf
    from ecg_lstm.io.ishne_format import FIXED, PREFIX, crc16, ishne_bytes
    from tests.io.test_hl7_aecg import BOMB, XXE, aecg
    from tests.io.test_sierra import sierra

    rec = Record("h", TRUTH.copy(), float(FS), ["MLII", "V5"], ["mV", "mV"], None, {})
    ok = values(TRUTH[:, 0])
    ishne = ishne_bytes(rec)

    def ishne_field(offset, fmt, value, crc=True):
        b = bytearray(ishne)
        struct.pack_into(fmt, b, PREFIX + offset, value)
        if crc:
            var = struct.unpack_from("<i", b, PREFIX)[0]
            b[8:10] = crc16(bytes(b[PREFIX:PREFIX + FIXED + var])).to_bytes(2, "little")
        return bytes(b)

    add("ishne ok", lambda d: upload({"h.ecg": ishne}), "ok", check=ok)
    add("ishne wrong magic", lambda d: upload({"h.ecg": b"ISHNE2.0" + ishne[8:]}), "error", E.MalformedRecordError,
        "not an ISHNE")
    add("ishne CRC mismatch", lambda d: upload({"h.ecg": ishne_field(18, "<5s", b"Mallo", crc=False)}), "error",
        E.HeaderMismatchError, "CRC mismatch")
    add("ishne truncated data", lambda d: upload({"h.ecg": ishne[:-1000]}), "error", E.TruncatedRecordError,
        "announces 3600")
    for leads in (0, 13):
        add(f"ishne lead count {leads}", lambda d, k=leads: upload({"h.ecg": ishne_field(146, "<h", k)}), "error",
            E.MalformedRecordError, f"{leads} leads")
    add("ishne rate 50 Hz", lambda d: upload({"h.ecg": ishne_field(262, "<h", 50)}), "error", E.SamplingRateError,
        "100..2000 Hz")
    for seed in range(3):
        add(f"ishne random damage #{seed}", lambda d, s=seed: upload({"h.ecg": _damage(ishne, s, 10)}), "either")

    def dicom(d: Path, change=None) -> bytes:
        path = write_dicom_ecg(rec, d / "w.dcm")
        if change is None:
            return path.read_bytes()
        ds = pydicom.dcmread(path)
        change(ds)
        ds.save_as(path, enforce_file_format=True)
        return path.read_bytes()

    def ct(ds):
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"

    def mu_law(ds):
        ds.WaveformSequence[0].WaveformSampleInterpretation = "MB"

    add("dicom ok", lambda d: upload({"w.dcm": dicom(d)}), "ok", check=ok)
    add("dicom of a non-ECG SOP class (CT image)", lambda d: upload({"w.dcm": dicom(d, ct)}), "error",
        E.UnsupportedFormatError, "not an ECG waveform")
    add("dicom mu-law samples", lambda d: upload({"w.dcm": dicom(d, mu_law)}), "error", E.UnsupportedFormatError,
        "mu-law")
    add("dicom truncated", lambda d: upload({"w.dcm": dicom(d)[:-3000]}), "error", E.TruncatedRecordError,
        "truncated")
    add("dicom wrong magic", lambda d: upload({"w.dcm": b"\0" * 300}), "error", E.MalformedRecordError,
        "not a DICOM file")
    for seed in range(3):
        add(f"dicom random damage #{seed}", lambda d, s=seed: upload({"w.dcm": _damage(dicom(d), s, 140)}), "either")

    add("hl7 aecg ok", lambda d: upload({"e.xml": aecg()}), "ok")
    add("hl7 aecg entity bomb", lambda d: upload({"e.xml": aecg(prolog=BOMB)}), "error", E.MalformedRecordError,
        "<!DOCTYPE")
    add("hl7 aecg external entity (XXE)", lambda d: upload({"e.xml": aecg(prolog=XXE)}), "error",
        E.MalformedRecordError, "<!DOCTYPE")
    add("hl7 aecg rate 5000 Hz", lambda d: upload({"e.xml": aecg(increment='<increment value="0.2" unit="ms"/>')}),
        "error", E.SamplingRateError, "100..2000 Hz")
    add("sierra xml ok (XLI, UTF-16)", lambda d: upload({"s.xml": sierra()}), "ok")
    add("sierra xml unsupported compression", lambda d: upload({"s.xml": sierra(compression="Huffman",
                                                                               payload=b"0" * 99)}),
        "error", E.UnsupportedFormatError, "compression")
    add("sierra xml entity bomb", lambda d: upload({"s.xml": sierra(prolog=BOMB.replace("AnnotatedECG", "r"),
                                                                    encoding="utf-8")}),
        "error", E.MalformedRecordError, "<!DOCTYPE")
    add("edf+ exported with beats and an event", lambda d: upload({"x.edf": export_edf(
        rec, BEATS, ["N"] * len(BEATS), [{"type": "run", "start_sample": 300, "end_sample": 900}])}), "ok",
        check=both(ok, meta_has("edf_annotations", "run")))


def _corrections_cases(add, W) -> None:
    """Reviewed beats (``r.cor``) read against record r: only its own, whole, bounded file changes labels."""
    from ecg_lstm.beats.corrections import read_file, write_labels
    from ecg_lstm.beats.record_identity import record_identity

    other = wfdb_files("o", d=DIGITAL + 7)  # another record: another signal

    def cor(d: Path, of: str = "r", data: bytes | None = None, link: Path | None = None, **kw) -> Target:
        write(d, {**W, **other}, "r")
        rec = read_record(d / of)
        if link is not None:
            (d / "r.cor").symlink_to(link)
        elif data is None:
            write_labels(d / "w", "r", BEATS[:6], ["V"] * 6, FS, "cor", identity=record_identity(rec))
            data = (d / "w" / "r.cor").read_bytes()
        if data is not None:
            (d / "r.cor").write_bytes(data)
        return Target(path=d / "r.cor", describe=f"r.cor against record r {kw or ''}".strip(),
                      reader=lambda: read_file(d / "r.cor", read_record(d / "r"), shown_as="r.cor"))

    def written_for(d: Path, of: str) -> bytes:
        write(d, {**W, **other}, "r")
        path = write_labels(d / "w", of, BEATS[:6], ["V"] * 6, FS, "cor", identity=record_identity(read_record(d / of)))
        return path.read_bytes()

    ok_cor = that(lambda c: list(c.samples) == list(BEATS[:6]) and set(c.labels) == {"V"}, "the six V beats")
    add("cor of its own record", lambda d: cor(d), "ok", check=ok_cor)
    add("cor written for another record", lambda d: cor(d, data=written_for(d, "o")), "error",
        E.ForeignCorrectionsError, "record o .*not of record r")
    add("cor of random bytes", lambda d: cor(d, data=np.random.default_rng(4).bytes(4096)), "error",
        E.CorrectionsError)
    add("cor cut in half", lambda d: cor(d, data=written_for(d, "r")[: len(written_for(d, "r")) // 4 * 2]), "error",
        E.CorrectionsError, "cut short")
    add("cor as a link to a system file", lambda d: cor(d, link=Path("/etc/hostname")), "error", E.CorrectionsError,
        "link")
    add("cor of 2 MB for 10 s of record", lambda d: cor(d, data=b"\x01\x04" * (1 << 20) + b"\0\0"), "error",
        E.CorrectionsError)


def _sevenths() -> np.ndarray:
    m = np.zeros(N)
    k = np.arange(N) * 2  # cell counter of lead 1 (two cells a row)
    m[k % 7 == 0] = np.nan
    return m


def _flip(data: bytes, i: int) -> bytes:
    b = bytearray(data)
    b[i % len(b)] ^= 0x10
    return bytes(b)


def _damage(data: bytes, seed: int, start: int = 0) -> bytes:
    """Random bit flips, cut or spliced bytes (seeded)."""
    rng = np.random.default_rng(seed)
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 12))):
        i = int(rng.integers(start, len(b)))
        op = rng.integers(4)
        if op == 0:
            b[i] ^= 1 << int(rng.integers(8))
        elif op == 1:
            b[i] = int(rng.integers(256))
        elif op == 2:
            del b[i]
        else:
            b.insert(i, int(rng.integers(256)))
    if rng.random() < 0.3:
        b = b[: int(rng.integers(start + 1, len(b)))]
    return bytes(b)


def _damage_record(files: dict[str, bytes], seed: int) -> dict[str, bytes]:
    which = ["r.hea", "r.dat", "r.atr"][seed % 3]
    return {**files, which: _damage(files[which], seed)}


def _bad_crc(z: bytes) -> bytes:
    b = bytearray(z)
    i = b.find(b"PK\x03\x04")
    crc_at = i + 14
    b[crc_at] ^= 0xFF
    # and in the central directory, so that only the data check fails
    j = b.find(b"PK\x01\x02")
    b[j + 16] ^= 0xFF
    return bytes(b)


def _encrypted(z: bytes) -> bytes:
    b = bytearray(z)
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = b.find(sig)
        while i >= 0:
            flags = struct.unpack_from("<H", b, i + off)[0] | 1
            struct.pack_into("<H", b, i + off, flags)
            i = b.find(sig, i + 4)
    return bytes(b)


def _bomb(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("r.hea", W_HEA_BIG)
        with z.open("r.dat", "w", force_zip64=True) as f:
            chunk = bytes(1 << 20)
            for _ in range(size >> 20):
                f.write(chunk)
    return buf.getvalue()


W_HEA_BIG = b"r 1 360\nr.dat 16 200 16 0 0 0 0 ECG\n"


def _big_zip_record() -> bytes:
    n = 47 * 3600 * 2000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.hea", f"big 1 2000 {n}\nbig.dat 80 200 8 0 0 0 0 ECG\n")
        with z.open("big.dat", "w", force_zip64=True) as f:
            chunk = bytes(1 << 22)
            left = n
            while left > 0:
                f.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return buf.getvalue()


def _tiled(n: int, leads: int = 2) -> np.ndarray:
    reps = -(-n // N)
    return np.tile(DIGITAL[:, :leads], (reps, 1))[:n]


def _long_wfdb(folder: Path, hours: float) -> Target:
    import wfdb

    n = int(hours * 3600 * FS)
    d = _tiled(n)
    wfdb.wrsamp("long", fs=FS, units=["mV", "mV"], sig_name=["MLII", "V5"], d_signal=d.astype(np.int64),
                fmt=["212", "212"], adc_gain=[GAIN, GAIN], baseline=[0, 0], write_dir=str(folder))
    return Target(path=folder / "long", describe="long (.hea, .dat 212)")


def _long_upload(folder: Path, size: int) -> Target:
    n = size // 4
    d = _tiled(n)
    files = wfdb_files(name="big", d=d)
    return upload(files)


def _big_csv_upload(size: int, text_cell: bool = False) -> Target:
    rows = size // 24
    d = _tiled(rows) / GAIN
    out = io.BytesIO()
    out.write(b"time,MLII,V5\n")
    t = np.arange(rows) / FS
    np.savetxt(out, np.column_stack([t, d]), fmt=["%.6f", "%.3f", "%.3f"], delimiter=",")
    data = out.getvalue()
    if text_cell:
        i = data.index(b"\n", len(data) // 2) + 1
        j = data.index(b",", i) + 1
        data = data[:j] + b"n/a" + data[data.index(b",", j):]
    return upload({"big.csv": data})


def _long_csv_upload(folder: Path, hours: float) -> Target:
    """``hours`` of two leads in mV (three decimals, no time column) written to a file in pieces; the
    upload is the file on disk (what ``dashboard/upload_spool.py`` hands the reader)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    n, piece = int(hours * 3600 * FS), 100 * N
    block = np.round(_tiled(piece) / GAIN, 3)
    path = folder / "long.csv"
    with open(path, "wb") as f:
        f.write(b"MLII,V5\n")
        for i in range(0, n, piece):
            b = block[:n - i]
            pacsv.write_csv(pa.table({"MLII": b[:, 0], "V5": b[:, 1]}), f,
                            pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return upload({"long.csv": path}, fs=FS)


def _near_limit_upload(fmt: str, leads: int) -> Target:
    """A zipped record whose decoded signal is just under the default 1024 MB (zeros plus one beat)."""
    n = int(1024e6 / 8 / leads) - 1000
    n -= n % 2
    per = {"80": 1, "212": 1.5, "16": 2}[fmt]
    size = int(n * leads * per)
    buf = io.BytesIO()
    lines = [f"big {leads} 1000 {n}"] + [f"big.dat {fmt} 200 12 0 0" for _ in range(leads)]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.hea", "\n".join(lines) + "\n")
        with z.open("big.dat", "w", force_zip64=True) as f:
            zero = 128 if fmt == "80" else 0  # format 80 is offset binary
            f.write(bytes([zero, 100, zero]) * 40)  # a few nonzero samples: not flat
            left = size - 120
            chunk = bytes([zero]) * (1 << 22)
            while left > 0:
                f.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return upload({"big.zip": buf.getvalue()})


def _big_edf_upload(size: int) -> Target:
    fs, leads = 500, 4
    n = size // (2 * leads)
    n -= n % fs
    x = (_tiled(n, 1)[:, 0] / GAIN).astype(np.float64)
    data = edf_bytes([x] * leads, [fs] * leads, ["I", "II", "V1", "V5"], ["mV"] * leads, pmin=-10.0, pmax=10.0)
    return upload({"big.edf": data})


# ---------------------------------------------------------------- running

@dataclass
class Outcome:
    case: str
    outcome: str  # "OK", "clear error", "TRACEBACK", "SILENT WRONG", "WRONG ERROR", "MISSED"
    message: str
    peak_mb: float = 0.0
    seconds: float = 0.0
    describe: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome in ("OK", "clear error")


def run_case(case: Case, folder: Path) -> Outcome:
    """Build and read one case in ``folder``; judge the result against the case's expectation."""
    from ecg_lstm.io import upload as upload_mod
    from ecg_lstm.io import tempfiles

    old_env = {k: os.environ.get(k) for k in case.env}
    os.environ.update({k: v for k, v in case.env.items() if not k.startswith("HOSTILE_")})
    old_limit = upload_mod.MAX_UNZIPPED_BYTES
    t0 = time.perf_counter()
    if "HOSTILE_MAX_UNZIPPED" in case.env:
        upload_mod.MAX_UNZIPPED_BYTES = int(case.env["HOSTILE_MAX_UNZIPPED"])
    target = None
    try:
        target = case.build(folder)
        _reset_peak()
        t0 = time.perf_counter()
        rec = target.read()
        peak = _peak_mb() or 0.0  # the reader's peak, before the checks below allocate their own
    except E.ECGError as e:
        peak = _peak_mb() or 0.0
        msg = str(e)
        if case.expect == "ok":
            return Outcome(case.name, "WRONG ERROR", f"{type(e).__name__}: {msg}", describe=_d(target))
        if not isinstance(e, case.error if isinstance(case.error, tuple) else (case.error,)):
            return Outcome(case.name, "WRONG ERROR", f"expected {_names(case.error)}, got {type(e).__name__}: {msg}",
                           describe=_d(target))
        if not msg or "Traceback" in msg or (case.match and not re.search(case.match, msg)):
            return Outcome(case.name, "WRONG ERROR", f"message lacks {case.match!r}: {msg}", describe=_d(target))
        return Outcome(case.name, "clear error", f"{type(e).__name__}: {msg}", peak,
                       seconds=time.perf_counter() - t0, describe=_d(target))
    except BaseException as e:  # noqa: BLE001 - the point is to catch everything
        tb = traceback.format_exception_only(type(e), e)[-1].strip()
        return Outcome(case.name, "TRACEBACK", tb, describe=_d(target))
    finally:
        upload_mod.MAX_UNZIPPED_BYTES = old_limit
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    seconds = time.perf_counter() - t0
    left = list(Path(tempfile.gettempdir()).glob(tempfiles.PREFIX + f"*-{os.getpid()}-*"))
    if left:
        return Outcome(case.name, "SILENT WRONG", f"temporary files left behind: {left}", describe=_d(target))
    if target.reader is not None:  # not a record: its own check alone
        if case.expect == "error":
            return Outcome(case.name, "MISSED", f"read without error; expected {_names(case.error)}",
                           describe=_d(target))
        try:
            if case.check is not None:
                case.check(rec)
        except AssertionError as e:
            return Outcome(case.name, "SILENT WRONG", f"read, but wrong: {e}", describe=_d(target))
        return Outcome(case.name, "OK", "read", peak, seconds=seconds, describe=_d(target))
    if case.expect == "error":
        return Outcome(case.name, "MISSED", f"read without error ({rec.n_samples} samples at {rec.fs:g} Hz); "
                       f"expected {_names(case.error)}", describe=_d(target))
    try:
        generic(rec, target.kwargs.get("max_hours", 48.0))
        if case.check is not None:
            case.check(rec)
    except AssertionError as e:
        return Outcome(case.name, "SILENT WRONG", f"read, but wrong: {e}", describe=_d(target))
    note = "; ".join(rec.metadata.get("warnings", []))[:200]
    return Outcome(case.name, "OK", f"{rec.n_samples} samples x {rec.signal.shape[1]} leads at {rec.fs:g} Hz"
                   + (f"; note: {note}" if note else ""), peak, seconds=seconds, describe=_d(target))


def _reset_peak() -> None:
    """Start the peak-memory count after the case's files are built (Linux: /proc/self/clear_refs)."""
    import gc

    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_mb() -> float | None:
    """Peak resident memory of this process since :func:`_reset_peak`, in MB (None off Linux)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(ln.split()[1]) / 1024 for ln in f if ln.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        return None


def _d(target: Target | None) -> str:
    return target.describe if target is not None else ""


def _names(err) -> str:
    return "/".join(e.__name__ for e in (err if isinstance(err, tuple) else (err,)))


def run_forked(case: Case, folder: Path) -> Outcome:
    """Run one case in a forked child; its peak resident memory comes from wait4."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            out = run_case(case, folder)
            payload = json.dumps(out.__dict__).encode()
        except BaseException as e:  # noqa: BLE001
            payload = json.dumps(Outcome(case.name, "TRACEBACK", repr(e)).__dict__).encode()
        with os.fdopen(w, "wb") as f:
            f.write(payload)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        payload = f.read()
    _, status, usage = os.wait4(pid, 0)
    try:
        out = Outcome(**json.loads(payload))
    except (ValueError, TypeError):
        out = Outcome(case.name, "TRACEBACK", f"the reading process died (status {status})")
    if not out.peak_mb:  # no /proc: the whole child's peak, building the files included
        out.peak_mb = usage.ru_maxrss / 1024  # kB on Linux
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--heavy", action="store_true", help="also the long and large cases (~200 MB uploads)")
    p.add_argument("--only", help="regex on case names")
    p.add_argument("--report", help="write the report to this file too")
    args = p.parse_args(argv)
    selected = [c for c in cases() if (args.heavy or not c.heavy) and (not args.only or re.search(args.only, c.name))]
    lines, results = [], []
    hdr = f"{'outcome':<12} {'peak MB':>8} {'s':>6}  case | input | message"
    print(hdr)
    for case in selected:
        with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
            out = run_forked(case, Path(tmp))
        results.append(out)
        line = f"{out.outcome:<12} {out.peak_mb:8.0f} {out.seconds:6.2f}  {out.case} | {out.describe} | " \
               f"{out.message.replace(chr(10), ' ')[:300]}"
        lines.append(line)
        print(line, flush=True)
    count = {k: sum(o.outcome == k for o in results) for k in
             ("OK", "clear error", "TRACEBACK", "SILENT WRONG", "WRONG ERROR", "MISSED")}
    worst = max(results, key=lambda o: o.peak_mb) if results else None
    summary = (f"\n{len(results)} cases: " + ", ".join(f"{v} {k}" for k, v in count.items())
               + (f"; worst peak memory {worst.peak_mb:.0f} MB ({worst.case})" if worst else "")
               + f"\nconditions: {os.cpu_count()} CPUs, shared machine; peak = max resident memory of the forked "
                 "process while reading (the imported libraries, ~110 MB, and an upload's bytes included; "
                 "building the case's files not)")
    print(summary)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(hdr + "\n" + "\n".join(lines) + "\n" + summary + "\n", encoding="utf-8")
    return 0 if all(o.passed for o in results) else 1


if __name__ == "__main__":
    sys.exit(main())
