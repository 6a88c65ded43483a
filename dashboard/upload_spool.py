"""The uploader's files kept on disk, not in memory.

Streamlit holds every uploaded file in the server's memory for as long as the uploader shows it
(its upload handler spools the request to disk, then reads it whole). A day's CSV is 400 MB: held
beside the analysis of that day, it would double what the server needs. So the page writes the
files to a private folder as soon as they arrive (zips unpacked, with the reader's guards), hands
Streamlit's copies back (the same call as ``st.chat_input`` makes when it is done with a file),
and reads, analyses and keeps the study from that folder. The folder stays while its session may
read it again (another sampling rate typed in for a CSV); the oldest of more than
:data:`MAX_KEPT` go, as do all at exit (``ecg_lstm.io.tempfiles``).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

#: Spooled uploads kept at once in this server, whatever the session (each is at most the upload cap).
MAX_KEPT = 4
_kept: OrderedDict[str, Path] = OrderedDict()
_lock = threading.Lock()


def spool(files: dict) -> dict:
    """Write ``files`` ({name: UploadedFile or bytes}) to a new private folder; returns what the page
    keeps of it: ``folder``, ``main`` (the file to read in it) and ``names`` (every file written).
    Raises the reader's :class:`~ecg_lstm.errors.ECGError` (nothing is kept then)."""
    from ecg_lstm.io.tempfiles import private_tempdir, remove
    from ecg_lstm.io.upload import store_files

    folder = private_tempdir("upload")
    try:
        main, names = store_files(files, folder)
    except BaseException:
        remove(folder)
        raise
    with _lock:
        _kept[str(folder)] = folder
        old = [_kept.popitem(last=False)[1] for _ in range(max(0, len(_kept) - MAX_KEPT))]
    for p in old:
        remove(p)
    return {"folder": str(folder), "main": main, "names": names}


def files_of(spooled: dict | None) -> dict[str, Path] | None:
    """``{name: path}`` of a spooled upload, or None when its folder has gone (spooled too long ago)."""
    if not spooled:
        return None
    folder = Path(spooled["folder"])
    paths = {n: folder / n for n in spooled["names"]}
    return paths if all(p.is_file() for p in paths.values()) else None


def release(uploads) -> None:
    """Let the uploaded bytes leave the server's memory once they are on disk: each file is handed back
    to Streamlit's upload manager, and emptied where the widget's value still holds it (the session
    keeps that value until two reruns later). The widget still lists the files; from the next run on it
    returns none. Streamlit versions without the manager's call keep their copy: the page still works."""
    for u in uploads or []:
        u.truncate(0)  # the file object's own reference to the bytes
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        for u in uploads or []:
            ctx.uploaded_file_mgr.remove_file(ctx.session_id, u.file_id)
    except (ImportError, AttributeError):
        pass
