"""A CSV's numeric columns, parsed a million rows at a time into one float32 array.

pandas parses the text (``read_csv(chunksize=)``: its C parser, empty cells, quotes, a PhysioNet
row of units); the chunks are copied straight into the leads' array, column-major, so that a day
of two leads at 360 Hz (about 400 MB of text) is never whole in memory as text or as a table of
float64: what is held is the record itself (250 MB) and one chunk. pyarrow's CSV reader is faster,
but it has no ``skipinitialspace`` and types a column from its first block only, so the messages
that pandas' parse allows (which column is not numeric, which cells are empty) would change.

Two columns are kept in float64: a time column (its uniformity is checked to half a sample,
which float32 cannot resolve after a few hours) and, while it could be a sample counter, the
first column named like one (checked chunk by chunk, then dropped or kept as a lead). A lead
holding a finite value beyond float32's range is kept in float64, so that the reader's amplitude
checks see the number, not an infinity.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Rows parsed at a time.
CHUNK_ROWS = 1 << 20
_F32_MAX = float(np.finfo(np.float32).max)


@dataclass
class Table:
    """What :func:`read_table` found: ``names`` and ``units`` of the columns kept (empty trailing columns
    dropped), ``time`` (float64, or None) for the column ``time_j``, the other columns as ``leads``
    (n × k, column-major; ``lead_cols`` their indices in ``names``), per column whether a cell held
    text and no cell a number (``not_numeric``), and whether column ``counter_j`` counts 0/1, 2, 3..."""
    names: list[str]
    units: list[str]
    time_j: int | None
    time: np.ndarray | None
    lead_cols: list[int]
    leads: np.ndarray
    not_numeric: list[bool]
    counter_j: int | None = None
    is_counter: bool = False
    rows: int = 0
    _filled: int = field(default=0, repr=False)
    _seen: list[bool] = field(default_factory=list, repr=False)  # a non-empty cell in the column
    _prev: float | None = field(default=None, repr=False)  # the counter's last value


def count_lines(path: Path, block: int = 1 << 24) -> int:
    """Lines in the file (a last line without its newline counted): a bound on its rows, read in
    16 MB blocks (0.2 s for 400 MB)."""
    n, last = 0, b"\n"
    with open(path, "rb") as f:
        while data := f.read(block):
            n += data.count(b"\n")
            last = data[-1:]
    return n + (last != b"\n")


def read_table(path: Path, sep: str, nrows: int, *, clean, is_unit_row, time_col, counter_col) -> Table:
    """Parse the CSV at ``path`` (separator ``sep``, at most ``nrows`` data rows) in chunks.

    ``clean(name)`` tidies a column name; ``is_unit_row(row)`` says whether the first data row holds
    units; ``time_col(names)`` and ``counter_col(names, time_j)`` give the index of the time column
    and of a possible sample counter among the names (or None). Raises pandas' parse errors."""
    bound = nrows if nrows <= CHUNK_ROWS else max(1, count_lines(path) - 1)  # a few rows: no need to count
    t: Table | None = None
    for df in pd.read_csv(path, sep=sep, nrows=nrows, skipinitialspace=True, low_memory=False,
                          chunksize=CHUNK_ROWS):
        if t is None:
            t, df = _start(df, min(bound, nrows), clean, is_unit_row, time_col, counter_col)
        _add(t, df)
    if t is None:
        raise pd.errors.EmptyDataError("no columns to parse from file")
    return _finish(t)


def _start(df: pd.DataFrame, rows: int, clean, is_unit_row, time_col, counter_col) -> tuple[Table, pd.DataFrame]:
    names = [clean(c) for c in df.columns]
    empty = [j for j, c in enumerate(names) if not c and df.iloc[:, j].isna().all()]  # trailing separators
    if empty:
        df = df.drop(columns=df.columns[empty])
        names = [c for j, c in enumerate(names) if j not in empty]
    units = [""] * len(names)
    if len(df) and df.dtypes.eq(object).all() and is_unit_row(df.iloc[0]):  # PhysioNet: a row of units
        units = [clean(u) for u in df.iloc[0]]
        df = df.iloc[1:]
        rows -= 1
    time_j = time_col(names)
    counter_j = counter_col(names, time_j)
    lead_cols = [j for j in range(len(names)) if j != time_j]
    rows = max(rows, len(df))
    t = Table(names, units, time_j, np.empty(rows) if time_j is not None else None, lead_cols,
              np.empty((rows, len(lead_cols)), np.float32, order="F"), [True] * len(names), counter_j,
              counter_j is not None)
    t._seen = [False] * len(names)
    return t, df


def _add(t: Table, df: pd.DataFrame) -> None:
    n, start = len(df), t._filled
    if start + n > len(t.leads):  # more rows than lines counted (a file with bare CR line ends)
        _grow(t, max(start + n, 2 * len(t.leads)))
    for j in range(len(t.names)):
        col = df.iloc[:, j]
        v = col.to_numpy(np.float64) if col.dtype.kind in "fiu" else \
            pd.to_numeric(col, errors="coerce").to_numpy(np.float64)
        if not t._seen[j] and col.notna().any():
            t._seen[j] = True
        if t.not_numeric[j] and not np.isnan(v).all():
            t.not_numeric[j] = False
        if j == t.time_j:
            t.time[start:start + n] = v
            continue
        if j == t.counter_j and t.is_counter:
            t.is_counter = _counts_on(v, t._prev)
            t._prev = v[-1] if n else t._prev
        if t.leads.dtype == np.float32:
            with np.errstate(invalid="ignore"):
                if np.any(np.abs(v[np.isfinite(v)]) > _F32_MAX):
                    t.leads = t.leads.astype(np.float64, order="F")
        t.leads[start:start + n, t.lead_cols.index(j)] = v
    t._filled = start + n


def _counts_on(v: np.ndarray, prev) -> bool:
    """Whether ``v`` goes on counting by one from ``prev`` (from 0 or 1 when there is none)."""
    if not len(v):
        return True
    first_ok = v[0] in (0, 1) if prev is None else v[0] == prev + 1
    return bool(first_ok and np.all(np.diff(v) == 1))


def _grow(t: Table, rows: int) -> None:
    leads = np.empty((rows, t.leads.shape[1]), t.leads.dtype, order="F")
    leads[:t._filled] = t.leads[:t._filled]
    t.leads = leads
    if t.time is not None:
        time = np.empty(rows)
        time[:t._filled] = t.time[:t._filled]
        t.time = time


def _finish(t: Table) -> Table:
    n = t._filled
    t.rows = n
    t.not_numeric = [nn and seen for nn, seen in zip(t.not_numeric, t._seen)]
    t.is_counter = t.is_counter and n > 1
    if n < len(t.leads):  # blank lines, or fewer rows than lines: one copy, to keep the array contiguous
        t.leads = np.asfortranarray(t.leads[:n])
        t.time = None if t.time is None else t.time[:n].copy()
    return t
