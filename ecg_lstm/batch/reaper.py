"""The local Ray's processes end with the batch driver that started them, even a killed one.

A driver stopped with ``kill -9`` runs no exit handler, and two of the processes Ray starts on
this machine (its dashboard and runtime-environment agents) outlive it, one of them listening
on the loopback. So the driver starts a small watcher (this file, run as a script) in its own
session, tells it the processes below the driver (process
id and start time, read from ``/proc``), and holds the write end of a pipe to it. However the
driver ends, the pipe closes; the watcher then stops every registered process that is still the
same process (same start time: a recycled process id is never touched), SIGTERM first, SIGKILL
after a grace period. Only a local Ray is watched: the processes of a cluster the driver joined
are the cluster's. Linux only (``/proc``, read directly: psutil would list the same processes but is
no dependency of the project, and the watcher must start without the package); elsewhere
:func:`watch` is a no-op.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

#: Seconds between SIGTERM and SIGKILL.
GRACE_S = 3.0

_watcher: subprocess.Popen | None = None


def start_time(pid: int) -> int | None:
    """Start time of process ``pid`` (clock ticks since boot, field 22 of ``/proc/PID/stat``), or None
    when there is no such process or it has ended (a zombie waiting for its parent is no process)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])  # after "pid (comm)": field 3 on


def descendants(pid: int) -> list[int]:
    """Process ids of every process below ``pid`` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def watch() -> None:
    """Register the processes now below this one with the watcher (started on the first call).
    Call it again when more have started (e.g. the workers): each call adds the new ones."""
    global _watcher
    if not Path("/proc/self/stat").exists():
        return
    if _watcher is None or _watcher.poll() is not None:
        # Its own session: Ctrl-C in the terminal reaches the driver and Ray, not the watcher,
        # which must outlive them to act.
        # Run as a script (this file), not a module of the package: it imports the standard library only.
        _watcher = subprocess.Popen([sys.executable, "-I", str(Path(__file__).resolve())], stdin=subprocess.PIPE,
                                    start_new_session=True, text=True, close_fds=True)
    lines = []
    for pid in descendants(os.getpid()):
        st = start_time(pid)
        if pid != _watcher.pid and st is not None:
            lines.append(f"{pid} {st}\n")
    try:
        _watcher.stdin.write("".join(lines))
        _watcher.stdin.flush()
    except (BrokenPipeError, OSError):  # the watcher is gone: nothing to clean up with it
        _watcher = None


def _stop(watched: dict[int, int]) -> None:
    alive = {p: st for p, st in watched.items() if start_time(p) == st}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in alive:
            try:
                os.kill(p, sig)
            except OSError:
                pass
        deadline = time.monotonic() + GRACE_S
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = {p: st for p, st in alive.items() if start_time(p) == st}
        if not alive:
            return


def main() -> int:
    """The watcher: read ``pid starttime`` lines until the driver closes the pipe, then stop them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watched: dict[int, int] = {}
    for line in sys.stdin:
        try:
            pid, st = (int(v) for v in line.split())
        except ValueError:
            continue
        watched[pid] = st
    _stop(watched)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
