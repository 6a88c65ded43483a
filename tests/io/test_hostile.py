"""The hostile-input corpus (tests/hostile_corpus.py) through the reader, and temp-file hygiene.

Every case must end as its corpus entry says: the record read with the right
values, or a typed ECGError of the expected class whose message names the
problem; never another exception, never a wrong record, no file left behind.
The long and large cases run in `make test-hostile` (with peak memory).
"""
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests import hostile_corpus as hc
from ecg_lstm.io import tempfiles

CASES = [c for c in hc.cases() if not c.heavy]


def test_corpus_is_large_and_covers_every_outcome():
    everything = hc.cases()
    assert len(everything) >= 100
    kinds = {c.expect for c in everything}
    assert kinds == {"ok", "error", "either"}
    assert len({c.name for c in everything}) == len(everything)  # one line per case in the report


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A temp dir of its own, so that leftovers of this test alone are visible."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, tmp_path, private_tmp):
    work = tmp_path / "work"
    work.mkdir()
    out = hc.run_case(case, work)
    assert out.passed, f"{out.outcome}: {out.message}"
    assert list(private_tmp.iterdir()) == []  # uploads and renamed links leave nothing


def test_stale_upload_folders_are_swept_and_live_ones_kept(private_tmp):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = private_tmp / f"ecg-lstm-upload-{dead.pid}-abc"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "x.dat").write_bytes(b"1" * 100)
    live = private_tmp / f"ecg-lstm-upload-{os.getppid()}-def"
    live.mkdir()
    other = private_tmp / "someone-elses"
    other.mkdir()
    gone = tempfiles.sweep_stale()
    assert gone == [stale] and not stale.exists()
    assert live.exists() and other.exists()


def test_a_running_process_sweeps_at_its_next_upload_not_only_at_its_next_start(private_tmp):
    first = tempfiles.private_tempdir("upload")  # this process has started its temp folders already
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = private_tmp / f"ecg-lstm-upload-{dead.pid}-killed"  # what a killed server left meanwhile
    stale.mkdir()
    (stale / "big.dat").write_bytes(b"0" * 1000)
    second = tempfiles.private_tempdir("upload")
    assert not stale.exists() and first.exists() and second.exists()
    tempfiles.remove(first)
    tempfiles.remove(second)


def _child(code: str, tmp: Path) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(hc.ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)


def test_folders_are_removed_at_exit_and_on_sigterm(private_tmp):
    code = ("from ecg_lstm.io.tempfiles import private_tempdir\n"
            "p = private_tempdir('upload'); (p / 'big.dat').write_bytes(b'0' * 1000); print(p, flush=True)\n")
    exiting = _child(code, private_tmp)
    assert exiting.wait(60) == 0
    killed = _child(code + "import time; time.sleep(60)\n", private_tmp)
    path = Path(killed.stdout.readline().strip())
    assert path.exists()
    killed.send_signal(signal.SIGTERM)
    assert killed.wait(60) == -signal.SIGTERM  # the default action still ends the process
    assert list(private_tmp.iterdir()) == []


def test_report_has_one_line_per_case_with_peak_memory(tmp_path):
    report = tmp_path / "hostile.txt"
    rc = hc.main(["--only", "^(wfdb ok \\(format 16\\)|wfdb sampling rate 'abc'|upload zip inside a zip)$",
                  "--report", str(report)])
    lines = report.read_text(encoding="utf-8").splitlines()
    rows = [ln for ln in lines if ln.startswith(("OK", "clear error"))]
    assert rc == 0 and len(rows) == 3
    assert any(ln.startswith("OK") and "wfdb ok (format 16)" in ln for ln in rows)
    assert any(ln.startswith("clear error") and "SamplingRateError" in ln for ln in rows)
    peaks = [float(ln.split()[2 if ln.startswith("clear") else 1]) for ln in rows]
    assert all(50 < p < 2048 for p in peaks)  # MB, measured per forked case
    assert "3 cases: 1 OK, 2 clear error, 0 TRACEBACK, 0 SILENT WRONG" in report.read_text(encoding="utf-8")
