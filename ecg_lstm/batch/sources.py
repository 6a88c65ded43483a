"""What a batch analyses: folder trees, list files and PhysioNet databases -> record tasks.

Every record gets a stable ``record_id`` that names it in the Parquet outputs and
makes a rerun resumable: ``<folder name>/<path inside the folder>`` for a folder
tree (``mitdb/100``), ``<db>/<record>`` for a PhysioNet database (the same id as
its downloaded folder), and the entry as written, without extension, for a list file.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import RecordError
from ..io.read import FILE_SUFFIXES

#: File types a folder tree is searched for (a WFDB record is found by its header; the others are
#: single-file records: EDF, CSV, ISHNE .ecg, DICOM .dcm, HL7 aECG / Philips .xml).
RECORD_SUFFIXES = (".hea", *FILE_SUFFIXES)
_DB_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


@dataclass(frozen=True)
class RecordTask:
    """One record to analyse: ``path`` as :func:`~ecg_lstm.io.read.read_record` takes it."""

    record_id: str
    path: str


def find_records(sources: list[str], *, download_dir: str | Path = "data", exclude: str | Path | None = None,
                 progress: bool | None = None, follow_links: bool = False) -> list[RecordTask]:
    """Record tasks of every source, in a stable order.

    A source is a folder (searched recursively for ``.hea`` and the single-file record types);
    links to folders are not followed unless ``follow_links``, which follows them
    once each, loops included, so that a walk stays inside its sources and ends),
    a text file listing one record path per line (``#`` starts a comment; relative
    paths are relative to the list file), or a PhysioNet database name, fetched into
    ``download_dir/<db>`` by ``data_scripts.download`` (which honours ``$ECG_MIRROR``
    and skips files already there and verified). ``exclude`` (the output folder) is
    never searched. Raises :class:`RecordError` for a source that is none of these
    or when two records would get the same id.
    """
    if not sources:
        raise RecordError("no SOURCE given: name a folder, a list file or a PhysioNet database (e.g. mitdb)")
    tasks: list[RecordTask] = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            tasks += _folder(p, exclude, follow_links)
        elif p.is_file():
            tasks += _list_file(p)
        elif _DB_NAME.fullmatch(src):
            tasks += _database(src, Path(download_dir), progress)
        else:
            raise RecordError(f"source {src!r} is not a folder, a list file or a PhysioNet database name "
                              "(e.g. mitdb); check the path")
    seen: dict[str, str] = {}
    for t in tasks:
        if t.record_id in seen and _real(seen[t.record_id]) != _real(t.path):
            raise RecordError(f"two records get the id {t.record_id!r} ({seen[t.record_id]} and {t.path}); "
                              "give their folders different names or list them in one list file")
        seen.setdefault(t.record_id, t.path)
    # The same record named twice (two overlapping sources, two links to one file) is analysed once.
    unique: dict[str, tuple[str, str]] = {}
    for i, p in seen.items():
        unique.setdefault(_real(p), (i, p))
    return [RecordTask(i, p) for i, p in unique.values()]


def _real(path: str) -> str:
    """The file a record path ends up at (a WFDB record by its header), links resolved."""
    p = Path(path)
    header = p.with_name(p.name + ".hea")
    return str((header if header.exists() else p).resolve())


def _folder(root: Path, exclude: str | Path | None, follow_links: bool = False) -> list[RecordTask]:
    skip = Path(exclude).resolve() if exclude is not None else None
    out = []
    seen_dirs = {_inode(root)}  # folders walked so far, by (device, inode): a link loop is walked once
    # os.walk with sorted names: the order (and so the progress bar) is the same on every run.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow_links):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            sub = here / d
            if d.startswith(".") or (skip is not None and sub.resolve() == skip):
                continue
            if sub.is_symlink() and (not follow_links or _inode(sub) in seen_dirs):
                continue  # a link out of the tree, or back into it (a loop): not walked
            seen_dirs.add(_inode(sub))
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            suffix = Path(f).suffix.lower()
            if suffix not in RECORD_SUFFIXES or f.startswith("."):
                continue
            path = here / f
            rel = PurePosixPath(path.relative_to(root).as_posix())
            if suffix == ".hea":
                path, rel = path.with_suffix(""), rel.with_suffix("")
                if rel.name.endswith("_layout"):  # layout header of a multi-segment record: no signal
                    continue
            else:
                rel = rel.with_suffix("")
            out.append(RecordTask(f"{root.resolve().name}/{rel}", str(path)))
    if not out:
        raise RecordError(f"no records ({', '.join(RECORD_SUFFIXES)}) found under {root}")
    return out


def _inode(folder: Path) -> tuple[int, int]:
    st = folder.stat()
    return st.st_dev, st.st_ino


def _list_file(path: Path) -> list[RecordTask]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (UnicodeDecodeError, OSError) as e:
        raise RecordError(f"{path} is not a readable list of record paths ({type(e).__name__}); "
                          "give a text file with one record path per line") from None
    out = []
    for number, line in enumerate(lines, 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if any(not c.isprintable() for c in entry):
            raise RecordError(f"{path}, line {number}: the entry holds control characters; "
                              "give one record path per line")
        rec = Path(entry) if Path(entry).is_absolute() else path.parent / entry
        if rec.is_file() and rec.suffix.lower() not in RECORD_SUFFIXES + (".dat",):
            raise RecordError(f"{path}, line {number}: {entry!r} is a {rec.suffix or 'plain'} file, not "
                              "a record (a WFDB record path without extension or its .hea, or a "
                              f"{', '.join(FILE_SUFFIXES)} file)")
        rid = PurePosixPath(entry.replace("\\", "/"))
        if rid.suffix.lower() in RECORD_SUFFIXES + (".dat",):
            rid = rid.with_suffix("")
        out.append(RecordTask(str(rid).lstrip("/").removeprefix("./"), str(rec)))
    if not out:
        raise RecordError(f"{path} lists no records; give one record path per line")
    return out


def _database(db: str, download_dir: Path, progress: bool | None) -> list[RecordTask]:
    # Imported here: data_scripts is only needed for this kind of source.
    from data_scripts.download import download

    folder = download(db, download_dir, progress=progress).path
    return _folder(folder, None)
