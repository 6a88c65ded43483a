"""Temporary folders of our own: uploads and renamed links are read from disk
(wfdb reads files, not bytes), and nothing of a record may stay behind.

Every folder is ``<temp dir>/ecg-lstm-<kind>-<pid>-<random>``. A folder is
removed as soon as its record is read; what is left when the process ends is
removed at exit (``atexit``, and on SIGTERM/SIGHUP where this module may set a
handler); what a killed process left (SIGKILL, power loss) is swept the next
time any process of ours makes one (a running server at its next upload, not
only at its next start), once the process named in it is gone.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

PREFIX = "ecg-lstm-"
_live: set[Path] = set()
_lock = threading.Lock()
_started = False


def private_tempdir(kind: str) -> Path:
    """A new empty folder ``ecg-lstm-<kind>-<pid>-*`` in the system temp dir, removed at exit.
    Folders that ended processes left behind are swept first (one listing of the temp dir)."""
    _start()
    sweep_stale()
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-{os.getpid()}-"))
    with _lock:
        _live.add(path)
    return path


def remove(path: Path) -> None:
    """Remove a folder made by :func:`private_tempdir` (now rather than at exit)."""
    shutil.rmtree(path, ignore_errors=True)
    with _lock:
        _live.discard(path)


def sweep_stale(folder: str | Path | None = None) -> list[Path]:
    """Remove folders of ours whose process has ended (e.g. a server killed mid-upload); return them."""
    root = Path(folder or tempfile.gettempdir())
    gone = []
    try:
        candidates = list(root.glob(PREFIX + "*"))
    except OSError:
        return gone
    for p in candidates:
        parts = p.name[len(PREFIX):].split("-")
        if len(parts) < 3 or not parts[1].isdigit() or not p.is_dir():
            continue
        pid = int(parts[1])
        if pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(p, ignore_errors=True)
        gone.append(p)
    return gone


def cleanup() -> None:
    """Remove every folder this process still holds."""
    with _lock:
        paths = list(_live)
        _live.clear()
    for p in paths:
        shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process
    return True


def _start() -> None:
    """Once per process: clean up at exit (and on SIGTERM/SIGHUP where this module may)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    atexit.register(cleanup)
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread (Streamlit runs scripts elsewhere)
    for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        previous = signal.getsignal(sig)
        if previous not in (signal.SIG_DFL, None):
            continue  # the application handles it (and exits through atexit)

        def handler(signum, frame, _sig=sig):
            cleanup()
            signal.signal(_sig, signal.SIG_DFL)
            os.kill(os.getpid(), _sig)

        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):
            pass
