"""The local Ray's processes end with the batch driver that started them, even one killed with
``kill -9`` (batch/reaper.py). The watcher is tested on a plain child process, then on Ray."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecg_lstm.batch.reaper import _stop, descendants, start_time

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the watcher reads /proc (Linux)")


def _gone_within(pids, seconds: float) -> list[int]:
    """The pids still running after waiting up to ``seconds`` for them to end."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = [p for p in pids if start_time(p) is not None]
        if not alive:
            return []
        time.sleep(0.2)
    return [p for p in pids if start_time(p) is not None]


def _killed_driver(script: str) -> list[int]:
    """Run ``script`` as a driver that prints the pids to watch on its last line, then kills itself."""
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=180,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    return [int(p) for p in r.stdout.split()]


def test_a_killed_driver_leaves_no_child_behind():
    pids = _killed_driver(
        "import os, signal, subprocess\n"
        "from ecg_lstm.batch import reaper\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        "reaper.watch()\n"
        "print(child.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    assert len(pids) == 1 and _gone_within(pids, 30) == []


def test_a_recycled_process_id_is_never_touched():
    child = subprocess.Popen(["sleep", "30"])
    try:
        _stop({child.pid: start_time(child.pid) + 1})  # the same id, another start time: another process
        assert child.poll() is None
        _stop({child.pid: start_time(child.pid)})
        assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        child.kill()


def test_descendants_follow_the_whole_tree():
    outer = subprocess.Popen(["sh", "-c", "sleep 30 & wait"])
    try:
        deadline = time.monotonic() + 10
        while len(descendants(outer.pid)) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        below = descendants(os.getpid())
        assert outer.pid in below and set(descendants(outer.pid)) <= set(below) and descendants(outer.pid)
    finally:
        for p in descendants(outer.pid):
            os.kill(p, signal.SIGKILL)
        outer.kill()


def test_a_killed_batch_driver_leaves_no_ray_process_behind():
    pytest.importorskip("ray", reason="ray is not installed: run `make setup-scale` (CI installs it)")
    pids = _killed_driver(
        "import os, signal\n"
        "from pathlib import Path\n"
        "from ecg_lstm.batch.reaper import descendants\n"
        "from ecg_lstm.batch.runner import start_ray\n"
        "start_ray(workers=1)\n"
        "ray = [p for p in descendants(os.getpid()) if b'reaper' not in Path(f'/proc/{p}/cmdline').read_bytes()]\n"
        "print(' '.join(map(str, ray)), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    assert pids, "no Ray process was started"
    assert _gone_within(pids, 60) == []
