"""Damaged inputs: real MIT-BIH files, EDF and CSV, mutated at random.

Whatever the damage, a reader returns a valid Record or raises an ECGError,
never another exception and never hangs.
"""
import io
import json
import re
import signal
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb
from hypothesis import HealthCheck, given, settings, strategies as st

from ecg_lstm.errors import ECGError
from ecg_lstm.io.record import Record
from ecg_lstm.io.read import read_record
from ecg_lstm.io.upload import read_record_from_files
from tests import hostile_corpus as hc
from tests.io.test_record import write_edf

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
N_SHORT = 3600  # 10 s at 360 Hz


@contextmanager
def time_limit(seconds=20):
    """Fail instead of hanging (SIGALRM: Unix only)."""
    def fail(*_):
        raise TimeoutError(f"reading took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check(read, max_hours=48.0):
    """Run ``read``; it must give a valid Record or raise an ECGError."""
    try:
        with time_limit():
            rec = read()
    except ECGError as e:
        assert str(e) and "Traceback" not in str(e)
        return None
    assert isinstance(rec, Record)
    hc.generic(rec, max_hours)
    if rec.annotations is not None:
        assert rec.annotations.sample.dtype == np.int64
    json.dumps(rec.metadata)
    return rec


def _short_record(mitdb_dir: Path, name: str) -> dict[str, bytes]:
    """The first 10 s of a real record: its header text (length and checksums updated),
    the matching bytes of its .dat and its annotations in those 10 s."""
    d = wfdb.rdrecord(str(mitdb_dir / name), sampto=N_SHORT, physical=False).d_signal
    lines = (mitdb_dir / f"{name}.hea").read_text().splitlines()
    lines[0] = re.sub(r"^(\S+ \d+ \S+) \d+", rf"\g<1> {N_SHORT}", lines[0])
    for j in range(d.shape[1]):
        tok = lines[1 + j].split()
        tok[6] = str(int(d[:, j].sum()) % 65536 - (65536 if int(d[:, j].sum()) % 65536 >= 32768 else 0))
        lines[1 + j] = " ".join(tok)
    ann = wfdb.rdann(str(mitdb_dir / name), "atr", sampto=N_SHORT - 1)
    with tempfile.TemporaryDirectory() as tmp:
        wfdb.wrann(name, "atr", ann.sample, symbol=ann.symbol, aux_note=ann.aux_note, write_dir=tmp)
        atr = (Path(tmp) / f"{name}.atr").read_bytes()
    dat = (mitdb_dir / f"{name}.dat").read_bytes()[: N_SHORT * 3]  # format 212, 2 leads: 3 bytes a frame
    return {f"{name}.hea": ("\n".join(lines) + "\n").encode(), f"{name}.dat": dat, f"{name}.atr": atr}


@pytest.fixture(scope="module")
def short_records(mitdb_dir):
    recs = {name: _short_record(mitdb_dir, name) for name in ("100", "208")}
    for name, files in recs.items():  # the unmutated short records are valid
        with tempfile.TemporaryDirectory() as tmp:
            for f, data in files.items():
                (Path(tmp) / f).write_bytes(data)
            rec = read_record(Path(tmp) / name)
            assert rec.n_samples == N_SHORT and len(rec.annotations.sample) > 5
    return recs


def read_files_in_dir(files: dict[str, bytes], target: str, **kw):
    with tempfile.TemporaryDirectory() as tmp:
        for f, data in files.items():
            (Path(tmp) / f).write_bytes(data)
        return check(lambda: read_record(Path(tmp) / target, **kw), kw.get("max_hours", 48.0))


# ---------------------------------------------------------------- byte-level mutations

edits = st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete", "set"]), st.floats(0, 1),
                           st.integers(0, 255)), min_size=1, max_size=8)


def mutate(data: bytes, ops) -> bytes:
    b = bytearray(data)
    for op, where, byte in ops:
        i = int(where * len(b))
        if op == "insert":
            b.insert(i, byte)
        elif not b:
            continue
        elif op == "delete":
            del b[min(i, len(b) - 1)]
        elif op == "flip":
            b[min(i, len(b) - 1)] ^= 1 << (byte % 8)
        else:
            b[min(i, len(b) - 1)] = byte
    return bytes(b)


numbers = st.one_of(st.integers(-10 ** 12, 10 ** 12).map(str), st.integers(0, 5000).map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["0", "-1", "nan", "inf", "1e999", "", "x", "360/2", "212x4", "0.0001"]))


def renumber(text: str, picks) -> str:
    """Replace some numbers of ``text`` (header fields) with others."""
    spans = [m.span() for m in re.finditer(r"\d+(?:\.\d+)?", text)]
    for where, new in picks:
        if spans:
            a, b = spans[int(where * len(spans)) % len(spans)]
            text = text[:a] + new + text[b:]
            spans = [m.span() for m in re.finditer(r"\d+(?:\.\d+)?", text)]
    return text


@FUZZ
@given(name=st.sampled_from(["100", "208"]), ops=edits)
def test_wfdb_header_bytes(short_records, name, ops):
    files = dict(short_records[name])
    files[f"{name}.hea"] = mutate(files[f"{name}.hea"], ops)
    read_files_in_dir(files, name)


@FUZZ
@given(name=st.sampled_from(["100", "208"]), picks=st.lists(st.tuples(st.floats(0, 1), numbers), min_size=1,
                                                            max_size=4))
def test_wfdb_header_numbers(short_records, name, picks):
    files = dict(short_records[name])
    files[f"{name}.hea"] = renumber(files[f"{name}.hea"].decode(), picks).encode()
    read_files_in_dir(files, name)


@FUZZ
@given(name=st.sampled_from(["100", "208"]), cut=st.floats(0, 1), ops=st.lists(
    st.tuples(st.sampled_from(["flip", "set", "insert", "delete"]), st.floats(0, 1), st.integers(0, 255)),
    max_size=20), which=st.sampled_from(["dat", "atr"]))
def test_wfdb_data_and_annotation_bytes(short_records, name, cut, ops, which):
    files = dict(short_records[name])
    key = f"{name}.{which}"
    data = mutate(files[key], ops)
    files[key] = data[: int(cut * len(data))] if cut < 0.9 else data
    rec = read_files_in_dir(files, name)
    if which == "dat" and rec is not None:  # a changed .dat must be caught or read in full
        assert rec.n_samples == N_SHORT


@FUZZ
@given(name=st.sampled_from(["100", "208"]), drop=st.sets(st.sampled_from(["hea", "dat", "atr"]), min_size=1),
       target=st.sampled_from(["", ".hea", ".dat"]))
def test_wfdb_dropped_files(short_records, name, drop, target):
    files = {k: v for k, v in short_records[name].items() if k.rsplit(".", 1)[1] not in drop}
    rec = read_files_in_dir(files, name + target)
    if drop & {"hea", "dat"}:
        assert rec is None


@settings(max_examples=15, deadline=None, derandomize=True)
@given(name=st.sampled_from(["100", "208"]), cut=st.floats(0, 0.9999), flips=st.lists(st.floats(0, 1), max_size=3))
def test_full_real_record_truncated_or_damaged(mitdb_dir, name, cut, flips):
    files = {f"{name}.{e}": (mitdb_dir / f"{name}.{e}").read_bytes() for e in ("hea", "dat", "atr")}
    files[f"{name}.dat"] = mutate(files[f"{name}.dat"], [("flip", f, 1) for f in flips])[: int(cut * 1950000)]
    assert read_files_in_dir(files, name) is None  # shorter than announced


# ---------------------------------------------------------------- EDF and CSV

@pytest.fixture(scope="module")
def edf_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("edf") / "a.edf"
    t = np.arange(2500) / 250
    write_edf(path, [np.sin(7 * t) * 500, np.cos(t[::10])], [250, 25], ["ECG II", "Resp"], ["uV", "mV"],
              annotations=[(1.0, "N"), (2.5, "V")])
    data = path.read_bytes()
    assert check(lambda: read_record(path)) is not None
    return data


@FUZZ
@given(ops=edits, region=st.sampled_from(["header", "data", "all"]), truncate=st.booleans(), cut=st.floats(0, 1))
def test_edf_bytes(edf_bytes, ops, region, truncate, cut):
    head = 256 * 4  # 3 signals; the first 8 bytes (version) are kept so the reader looks further
    if region == "data":  # same size: the samples and the annotation text (TALs) change
        ops = [("set" if op in ("insert", "delete") else op, w, b) for op, w, b in ops]
        data = edf_bytes[:head] + mutate(edf_bytes[head:], ops)
    elif region == "header":
        data = edf_bytes[:8] + mutate(edf_bytes[8:head], ops) + edf_bytes[head:]
    else:
        data = edf_bytes[:8] + mutate(edf_bytes[8:], ops)
    read_files_in_dir({"a.edf": data[: int(cut * len(data))] if truncate else data}, "a.edf")


@FUZZ
@given(picks=st.lists(st.tuples(st.floats(0, 1), numbers), min_size=1, max_size=4))
def test_edf_header_numbers(edf_bytes, picks):
    head = 256 * 4
    text = renumber(edf_bytes[8:head].decode("latin-1"), picks)
    read_files_in_dir({"a.edf": edf_bytes[:8] + text.encode("latin-1") + edf_bytes[head:]}, "a.edf")


cells = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10 ** 6, 10 ** 6).map(str),
                  st.sampled_from(["", "nan", "abc", "'x'", " ", "1,5", "1e400"]))
col_names = st.sampled_from(["time", "time_s", "t", "seconds", "time_ms", "sample", "", "MLII", "V5 (mV)",
                             "ECG [uV]", "Resp", "ABP (mmHg)", "x;y", "'MLII'"])


@FUZZ
@given(names=st.lists(col_names, min_size=1, max_size=4), rows=st.integers(0, 400), seed=st.integers(0, 2 ** 16),
       bad=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), cells), max_size=5),
       fs=st.one_of(st.none(), st.sampled_from([50.0, 250.0, 360.0, 3000.0])), time_fs=st.sampled_from([250, 0.5]))
def test_csv_tables(names, rows, seed, bad, fs, time_fs):
    rng = np.random.default_rng(seed)
    table = np.round(rng.standard_normal((rows, len(names))), 4).astype(object)
    for j, n in enumerate(names):
        if n.startswith("time") or n in ("t", "seconds"):
            table[:, j] = np.arange(rows) / time_fs * (1000 if n == "time_ms" else 1)
        elif n == "sample":
            table[:, j] = np.arange(rows)
    for r, c, v in bad:
        if rows:
            table[int(r * rows) % rows, int(c * len(names)) % len(names)] = v
    text = ",".join(names) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in table)
    read_files_in_dir({"a.csv": text.encode()}, "a.csv", fs=fs)


@FUZZ
@given(ops=edits, cut=st.floats(0, 1.2))
def test_csv_bytes(ops, cut):
    t = np.arange(1000) / 360
    text = pd.DataFrame({"time_s": t, "MLII (mV)": np.sin(5 * t), "V5": np.cos(3 * t)}).to_csv(index=False)
    data = mutate(text.encode(), ops)
    read_files_in_dir({"a.csv": data[: int(cut * len(data))] if cut < 1 else data}, "a.csv")


# ---------------------------------------------------------------- uploads

@FUZZ
@given(name=st.sampled_from(["100", "208"]), keep=st.sets(st.sampled_from(["hea", "dat", "atr"])),
       extra=st.lists(st.tuples(st.sampled_from(["x.txt", "a.edf", "b.csv", "../100.hea", "RECORDS", ".hidden",
                                                 "101.hea", "100.dat", "c.zip", "dir/208.atr"]),
                                st.binary(max_size=64)), max_size=2),
       zipped=st.booleans(), ops=edits)
def test_uploads(short_records, name, keep, extra, zipped, ops):
    files = {k: v for k, v in short_records[name].items() if k.rsplit(".", 1)[1] in keep}
    for fname, data in extra:
        files[fname] = data
    if zipped:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for k, v in files.items():
                z.writestr(k, v)
        files = {"upload.zip": mutate(buf.getvalue(), ops) if ops[0][0] == "flip" else buf.getvalue()}
    check(lambda: read_record_from_files(files))
