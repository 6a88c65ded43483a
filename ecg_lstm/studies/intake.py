"""A record on disk as the files a study keeps: what ``studies add`` and ``batch --store`` put in
the store, so that a study opens the same wherever its record came from (an upload, the command
line, a batch).

A study keeps the record's original files, not a path: the path may be gone or hold another
record tomorrow. The files gathered are those an upload of the record would hold: a WFDB
record's header, the signal files it names and its reference annotations; an EDF or CSV file.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import MissingFileError, UnsupportedFormatError

#: Largest WFDB header read to find the signal files it names (the reader's own bound).
MAX_HEADER_BYTES = 1 << 20


def study_options(*, fs: float | None = None, reference_beats: bool = False, lead=None) -> dict:
    """The analysis options a study records (and its identity holds): only those that differ from
    the defaults, so a record added with none is the same study from the page or the command line."""
    out: dict = {}
    if fs is not None:
        out["fs"] = float(fs)
    if reference_beats:
        out["reference_beats"] = True
    if lead is not None:
        out["lead"] = lead
    return out


def record_files(path: str | Path, annotator: str | None = "atr") -> dict[str, bytes]:
    """``{file name: bytes}`` of the record at ``path``: a WFDB record (path without extension, or
    its .hea or .dat) with the signal files its header names and ``<record>.<annotator>`` when there
    is one; or one file of a single-file format (``io.read.FILE_SUFFIXES``: EDF, CSV, ISHNE, DICOM, XML).
    Raises :class:`~ecg_lstm.errors.MissingFileError` when a file
    is missing, :class:`~ecg_lstm.errors.UnsupportedFormatError` for what a study cannot keep."""
    from ..io.read import FILE_SUFFIXES
    from ..io.wfdb_header import parse_header

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in FILE_SUFFIXES:
        if not p.is_file():
            raise MissingFileError(f"{p} not found; check the path")
        return {p.name: p.read_bytes()}
    base = p.with_suffix("") if suffix in (".hea", ".dat") else p
    header = base.with_name(base.name + ".hea")
    if not header.is_file():
        if p.is_file():
            raise UnsupportedFormatError(f"{p.name}: unsupported file type; give a WFDB record (path without "
                                         "extension), an .edf or a .csv file")
        raise MissingFileError(f"not found (no {header.name} in {header.parent}); give a WFDB record path without "
                               "extension (e.g. data/mitdb/100 for 100.hea and 100.dat), an .edf or a .csv file")
    text = header.read_bytes()[:MAX_HEADER_BYTES]
    h = parse_header(text.decode("utf-8", "replace"), header.name)
    if h.seg_name:
        raise UnsupportedFormatError(f"{header.name} is a multi-segment WFDB record; a study keeps one-segment "
                                     "records (convert it with wfdb, e.g. wfdb.rdrecord then wrsamp)")
    files = {header.name: header.read_bytes()}
    for name in dict.fromkeys(h.file_name):
        if not name or Path(name).name != name or name in ("~", ".", ".."):
            raise UnsupportedFormatError(f"{header.name} names the signal file {name!r}, which is not a file "
                                         "beside it; a study keeps a record's files from one folder")
        data = base.with_name(name)
        if not data.is_file():
            raise MissingFileError(f"{data} not found: {header.name} names it as a signal file; copy it beside "
                                   "the header")
        files[name] = data.read_bytes()
    if annotator:
        ann = base.with_name(f"{base.name}.{annotator}")
        if ann.is_file():
            files[ann.name] = ann.read_bytes()
    return files
