"""The first seconds of a long record, read without reading the rest: what a page shows while the
whole record is read (a day's CSV takes seconds to parse; its first 10 s, milliseconds).

WFDB (``rdrecord``'s ``sampto``) and CSV (the first rows) only: the formats a day-long record
comes in. For the others, and for anything the full read would refuse, :func:`read_head` gives
None and the caller waits for the whole record.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ECGError
from .record import Record


def read_head(path: str | Path, seconds: float = 10.0, *, fs: float | None = None) -> Record | None:
    """The first ``seconds`` of the record at ``path`` (a WFDB record path, its .hea, or a .csv; ``fs``
    for a CSV without a time column), checked as :func:`~ecg_lstm.io.read.read_record` checks a
    record, without its reference annotations; None for another format or a record the reader refuses."""
    from .csv_format import read_csv
    from .read import check_record
    from .wfdb_format import read_wfdb

    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            rec = read_csv(path, fs=fs, head_s=seconds)
        elif suffix in ("", ".hea", ".dat") and path.with_suffix(".hea").is_file():
            rec = read_wfdb(path.with_suffix("") if suffix else path, annotator=None, head_s=seconds)
        else:
            return None
        return check_record(rec, None)
    except (ECGError, OSError, ValueError):
        return None


def record_seconds(path: str | Path, fs: float | None = None) -> float | None:
    """The length of the record at ``path`` in seconds, from its header (WFDB) or estimated from its
    size and first rows (CSV); None when it cannot be told cheaply."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            head = read_head(path, 1.0, fs=fs)
            if head is None or head.n_samples < 2:
                return None
            with open(path, "rb") as f:
                first = f.read(1 << 16)
            per_row = max(1.0, len(first) / max(1, first.count(b"\n")))
            return path.stat().st_size / per_row / head.fs
        if suffix in ("", ".hea", ".dat"):
            from .wfdb_header import MAX_HEADER_BYTES, parse_header

            hea = path.with_suffix(".hea")
            h = parse_header(hea.read_bytes()[:MAX_HEADER_BYTES].decode("utf-8", "replace"), hea.name)
            return h.sig_len / h.fs if h.sig_len and h.fs else None
    except (ECGError, OSError, ValueError):
        return None
    return None
