"""CSV files: one column per lead, a header row with the column names.

The sampling rate comes from ``fs=`` or from a time column (``time``, ``time_s``,
``t``, ``seconds``, ``Elapsed time``; ``time_ms``/``ms`` in milliseconds) whose
steps must be uniform to within half a sample. A leading sample-index column
(``sample``, ``sample #``, ``index`` or unnamed, counting up by one) is dropped.
Units: a name suffix like ``MLII (mV)`` or ``MLII [uV]``, or a second header
row of units as PhysioNet's ``rdsamp -c -H -v -p`` writes; default mV.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import HeaderMismatchError, MalformedRecordError, SamplingRateError, SignalQualityError
from ..record import Record
from . import MAX_FS, check_header

_TIME_S = {"time", "time_s", "times", "t", "s", "sec", "secs", "seconds", "elapsed time", "elapsed_time",
           "time (s)", "time [s]", "time(s)", "time_sec"}
_TIME_MS = {"time_ms", "ms", "milliseconds", "time (ms)", "time [ms]", "time(ms)", "elapsed time (ms)"}
_INDEX = {"", "sample", "samples", "sample #", "sample_#", "sample_index", "sample index", "index", "idx", "n", "#"}
_UNIT = re.compile(r"^(.*?)\s*[\(\[]\s*([^\)\]]*)\s*[\)\]]\s*$")


def read_csv(path: Path, *, fs: float | None = None, max_hours: float = 48.0) -> Record:
    """Read a CSV of ECG leads; ``fs`` in Hz when the file has no time column."""
    name = path.name
    with open(path, "rb") as f:
        first = f.readline(65536).decode("utf-8", "replace")
    sep = max((",", ";", "\t"), key=first.count)
    header = [_clean(c) for c in first.strip().split(sep)]
    time_j = next((j for j, c in enumerate(header) if c.lower() in _TIME_S | _TIME_MS), None)
    if fs is None and time_j is None:
        raise SamplingRateError(f"{name} has no time column (time, time_s, t or seconds); "
                                "give the sampling rate in Hz with fs=")
    try:
        # A row limit refuses an over-long file without reading all of it.
        rate = fs or _peek_rate(path, sep, time_j, header[time_j])
        limit = int(max_hours * 3600 * min(rate, MAX_FS) * 1.01) + 3
        df = pd.read_csv(path, sep=sep, nrows=limit, skipinitialspace=True, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as e:
        raise MalformedRecordError(f"{name} cannot be parsed as CSV ({type(e).__name__}: {e}); "
                                   "give a comma-separated file with a header row of column names") from e
    if len(df.columns) == 0 or len(df) == 0:
        raise SignalQualityError(f"{name} holds no data rows; give a CSV with a header row and one row per sample")
    cols = [_clean(c) for c in df.columns]
    empty = [j for j, c in enumerate(cols) if not c and df.iloc[:, j].isna().all()]  # trailing separators
    if empty:
        df = df.drop(columns=df.columns[empty])
        cols = [c for j, c in enumerate(cols) if j not in empty]
    units = [""] * len(cols)
    if df.dtypes.eq(object).all() and _is_unit_row(df.iloc[0]):  # PhysioNet: second row gives the units
        units = [_clean(u) for u in df.iloc[0]]
        df = df.iloc[1:]
    values = df.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad = [c for j, c in enumerate(cols) if np.isnan(values[:, j]).all() and df.iloc[:, j].notna().any()]
    if bad:
        raise MalformedRecordError(f"{name}: column(s) {', '.join(bad)} are not numeric; the CSV must hold "
                                   "only a time or sample column and ECG leads")

    keep = list(range(len(cols)))
    time_j = next((j for j, c in enumerate(cols) if c.lower() in _TIME_S | _TIME_MS), None)
    if time_j is not None:
        keep.remove(time_j)
        t = values[:, time_j] * (1e-3 if cols[time_j].lower() in _TIME_MS else 1.0)
        fs_t = _rate_from_time(t, name)
        if fs and abs(fs - fs_t) > 0.01 * fs:
            raise HeaderMismatchError(f"{name}: its time column gives {fs_t:g} Hz but fs={fs:g} was given; "
                                      "drop fs= or fix the time column")
        fs = fs or fs_t
    if keep and cols[keep[0]].lower() in _INDEX and _is_counter(values[:, keep[0]]):
        keep.pop(0)
    if not keep:
        raise SignalQualityError(f"{name} has no lead column besides time/sample; add one column per lead")
    check_header(name, float(fs), len(values), max_hours)
    names, lead_units = [], []
    for j in keep:
        m = _UNIT.match(cols[j])
        names.append((m.group(1) if m else cols[j]) or f"ch{j + 1}")
        lead_units.append(units[j] or (m.group(2) if m else "") or "mV")
    signal = values[:, keep] if len(keep) < values.shape[1] else values
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return Record(stem, np.ascontiguousarray(signal), float(fs), names, lead_units, None,
                  {"format": "csv", "comments": [], "base_date": None, "base_time": None})


def _peek_rate(path: Path, sep: str, j: int, col: str) -> float:
    """Rough rate in Hz from the first rows of the time column (MAX_FS when unclear)."""
    t = pd.to_numeric(pd.read_csv(path, sep=sep, usecols=[j], nrows=2000).iloc[:, 0], errors="coerce").dropna()
    step = np.median(np.diff(t.to_numpy(np.float64))) if len(t) > 2 else 0.0
    step *= 1e-3 if col.lower() in _TIME_MS else 1.0
    return 1.0 / step if step > 0 else MAX_FS


def _clean(value) -> str:
    """Column name without quotes and spaces around it ('Unnamed: 0' from pandas becomes '')."""
    s = str(value).replace("\ufeff", "").strip().strip("'\"").strip()  # \ufeff: BOM of Excel's UTF-8 CSV
    return "" if s.startswith("Unnamed:") or s == "nan" else s


def _is_unit_row(row: pd.Series) -> bool:
    return all(pd.isna(pd.to_numeric(v, errors="coerce")) for v in row)


def _is_counter(x: np.ndarray) -> bool:
    return len(x) > 1 and np.all(np.diff(x) == 1) and x[0] in (0, 1)


def _rate_from_time(t: np.ndarray, name: str) -> float:
    """Sampling rate in Hz from a time column in seconds; steps must be uniform."""
    if len(t) < 2 or not np.all(np.isfinite(t)):
        raise MalformedRecordError(f"{name}: the time column is too short or has empty cells; "
                                   "fill it in, or drop it and give fs=")
    dt = (t[-1] - t[0]) / (len(t) - 1)
    if not dt > 0:
        raise MalformedRecordError(f"{name}: the time column does not increase; fix it, or drop it and give fs=")
    # Printed times are rounded (e.g. to ms), so allow half a sample of jitter.
    resid = np.abs(t - (t[0] + dt * np.arange(len(t))))
    if resid.max() > 0.5 * dt or np.any(np.diff(t) < 0):
        raise SamplingRateError(f"{name}: the time column is not uniformly spaced (off by up to "
                                f"{resid.max():.4g} s); resample to a fixed rate, or drop it and give fs=")
    fs = 1.0 / dt
    return float(round(fs)) if abs(fs - round(fs)) < 1e-3 * fs else fs
