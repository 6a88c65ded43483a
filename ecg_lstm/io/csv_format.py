"""CSV files: one column per lead, a header row with the column names.

The sampling rate comes from ``fs=`` or from a time column (``time``, ``time_s``,
``t``, ``seconds``, ``Elapsed time``; ``time_ms``/``ms`` in milliseconds) whose
steps must be uniform to within half a sample. A leading sample-index column
(``sample``, ``sample #``, ``index`` or unnamed, counting up by one) is dropped.
Units: a name suffix like ``MLII (mV)`` or ``MLII [uV]``, or a second header
row of units as PhysioNet's ``rdsamp -c -H -v -p`` writes; default mV (a lead
whose amplitude does not fit mV is refused by the reader's amplitude check,
with the likely unit named).

A time column is also recognised by name in other languages (``Zeit``,
``tiempo``, ``temps``, ``tempo``, ``czas``, ``время``, ``時間``, ``时间`` ...,
accents ignored, with an ``(s)``/``(ms)`` suffix) and, whatever its name, by
its content when it is the first column and rises in uniform steps to a
plausible sampling rate: a time column is never analysed as an ECG lead.

Empty cells stay NaN (the analysis bridges them); their share per lead is
``metadata["nan_fraction"]`` and a warning says how many there were.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import HeaderMismatchError, MalformedRecordError, SamplingRateError, SignalQualityError
from .csv_table import read_table
from .limits import MAX_FS, MIN_FS, check_header, check_size
from .record import Record

_TIME_S = {"time", "time_s", "times", "t", "s", "sec", "secs", "seconds", "elapsed time", "elapsed_time",
           "time (s)", "time [s]", "time(s)", "time_sec"}
_TIME_MS = {"time_ms", "ms", "milliseconds", "time (ms)", "time [ms]", "time(ms)", "elapsed time (ms)"}
# "time" in other languages, accents removed (see _fold).
_TIME_WORDS = {"zeit", "tiempo", "temps", "tempo", "czas", "tijd", "aika", "tid", "ido", "cas", "idő", "ido",
               "vreme", "vrijeme", "laiks", "laikas", "aeg", "zaman", "thoi gian", "waktu", "masa", "zeitpunkt",
               "время", "час", "χρονος", "χρόνος", "זמן", "وقت", "समय", "時間", "时间", "시간", "เวลา", "sekunden",
               "segundos", "secondes", "secondi", "sekundy", "sekunder", "zeit_s", "tiempo_s", "temps_s",
               "timestamp", "elapsed", "elapsed_s", "secs_elapsed"}
_INDEX = {"", "sample", "samples", "sample #", "sample_#", "sample_index", "sample index", "index", "idx", "n", "#"}
# A unit suffix is a short word ("mV", "uV", "s", "ms", "mmHg"): "![x](http://host/p.png)" is a name.
_UNIT = re.compile(r"^(.*?)\s*[\(\[]\s*([^\)\]\s/:.]{0,8})\s*[\)\]]\s*$")


def read_csv(path: Path, *, fs: float | None = None, max_hours: float = 48.0,
             max_signal_mb: float = 1024.0, head_s: float | None = None) -> Record:
    """Read a CSV of ECG leads; ``fs`` in Hz when the file has no time column; with ``head_s``, only
    the rows of its first ``head_s`` seconds."""
    name = path.name
    with open(path, "rb") as f:
        first = f.readline(65536).decode("utf-8", "replace")
    sep = max((",", ";", "\t"), key=first.count)
    header = [_clean(c) for c in first.strip().split(sep)]
    time_j = next((j for j, c in enumerate(header) if _time_unit(c)), None)
    peek = None
    if time_j is None and header and not _is_number(header[0]):
        peek = _peek_time(path, sep, header[0])  # an unnamed or foreign-named time column
        time_j = 0 if peek else None
    if fs is None and time_j is None:
        raise SamplingRateError(f"{name} has no time column (time, time_s, t or seconds); "
                                "give the sampling rate in Hz with fs=")
    try:
        # Row limits refuse an over-long or oversized file without reading all of it.
        rate = fs or (peek[1] if peek else _peek_rate(path, sep, time_j, header[time_j]))
        limit = int(max_hours * 3600 * min(rate, MAX_FS) * 1.01) + 3
        leads = max(1, len(header) - 1)
        size_rows = int(max_signal_mb * 1e6 / 8 / leads) + 2
        rows = min(limit, size_rows) if head_s is None else max(3, int(head_s * rate))
        table = read_table(path, sep, rows, clean=_clean, is_unit_row=_is_unit_row,
                           time_col=lambda names: _time_column(names, peek), counter_col=_counter_column)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as e:
        raise MalformedRecordError(f"{name} cannot be parsed as CSV ({type(e).__name__}: {e}); "
                                   "give a comma-separated file with a header row of column names") from e
    if len(table.names) == 0 or table.rows == 0:
        raise SignalQualityError(f"{name} holds no data rows; give a CSV with a header row and one row per sample")
    if table.rows >= size_rows:  # more rows than the memory limit allows: refuse before going on
        check_size(name, table.rows, leads, max_signal_mb)
    cols, units = table.names, table.units
    bad = [c for c, b in zip(cols, table.not_numeric) if b]
    if bad:
        raise MalformedRecordError(f"{name}: column(s) {', '.join(bad)} are not numeric; the CSV must hold "
                                   "only a time or sample column and ECG leads")
    time_j, keep = table.time_j, list(table.lead_cols)
    if time_j is not None:
        unit = _time_unit(cols[time_j]) or (peek[0] if peek else "s")
        t = table.time * (1e-3 if unit == "ms" else 1.0)
        table.time = None
        fs_t = _rate_from_time(t, name)
        del t
        if not _UNIT.match(cols[time_j]) and cols[time_j].lower() not in _TIME_S and not MIN_FS <= fs_t <= MAX_FS \
                and MIN_FS <= fs_t * 1e3 <= MAX_FS:  # 'Zeit' with no unit, in milliseconds
            fs_t *= 1e3
        if fs and abs(fs - fs_t) > 0.01 * fs:
            raise HeaderMismatchError(f"{name}: its time column gives {fs_t:g} Hz but fs={fs:g} was given; "
                                      "drop fs= or fix the time column")
        fs = fs or fs_t
    signal = table.leads
    if table.is_counter and keep and keep[0] == table.counter_j:
        keep.pop(0)
        signal = signal[:, 1:]  # still column-major: no copy
    if not keep:
        raise SignalQualityError(f"{name} has no lead column besides time/sample; add one column per lead")
    if table.rows >= limit and table.rows / fs <= max_hours * 3600 and rate < fs:
        # The first rows gave too low a rate, so the row limit cut a record within max_hours: read again.
        return read_csv(path, fs=fs, max_hours=max_hours, max_signal_mb=max_signal_mb)
    check_header(name, float(fs), table.rows, max_hours)
    names, lead_units = [], []
    for j in keep:
        m = _UNIT.match(cols[j])
        names.append((m.group(1) if m else cols[j]) or f"ch{j + 1}")
        lead_units.append(units[j] or (m.group(2) if m else "") or "mV")
    meta = {"format": "csv", "comments": [], "base_date": None, "base_time": None}
    missing = [int(np.isnan(signal[:, i]).sum()) for i in range(signal.shape[1])]
    if any(missing):
        meta["warnings"] = [f"{n}: {k} cells empty or not a number ({100 * k / len(signal):.1f} %) read as "
                            "missing samples" for n, k in zip(names, missing) if k]
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return Record(stem, signal, float(fs), names, lead_units, None, meta)


def _time_column(names: list[str], peek) -> int | None:
    """The time column among ``names``: the first named like one, else the first when its values rose
    like time (``peek``)."""
    j = next((j for j, c in enumerate(names) if _time_unit(c)), None)
    return 0 if j is None and peek and names else j


def _counter_column(names: list[str], time_j: int | None) -> int | None:
    """The first column besides time when it is named like a sample counter (checked on its values)."""
    j = next((j for j in range(len(names)) if j != time_j), None)
    return j if j is not None and names[j].lower() in _INDEX else None


def _fold(name: str) -> str:
    """Lower case without accents or a unit suffix: 'Tiempo (s)' -> 'tiempo'."""
    base = _UNIT.match(name)
    text = (base.group(1) if base else name).strip().lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _time_unit(name: str) -> str | None:
    """'s' or 'ms' when ``name`` names a time column, else None."""
    low = name.lower()
    if low in _TIME_MS:
        return "ms"
    if low in _TIME_S:
        return "s"
    m = _UNIT.match(name)
    suffix = m.group(2).strip().lower() if m else ""
    if _fold(name) in _TIME_WORDS or _fold(name) in _TIME_S:
        return "ms" if suffix == "ms" else "s"
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _peek_time(path: Path, sep: str, col: str) -> tuple[str, float] | None:
    """(unit, rate) when the first column rises in uniform steps at a plausible rate, like a time column.

    An ECG lead never rises steadily, so such a column is time, whatever its name;
    a step of 1 from 0 or 1 is a sample counter, not time.
    """
    try:
        t = pd.to_numeric(pd.read_csv(path, sep=sep, usecols=[0], nrows=2000).iloc[:, 0], errors="coerce")
    except Exception:
        return None
    t = t.to_numpy(np.float64)
    if len(t) < 3 or not np.all(np.isfinite(t)):
        return None
    d = np.diff(t)
    step = (t[-1] - t[0]) / (len(t) - 1)
    if not step > 0 or np.any(d <= 0) or np.abs(d - step).max() > 0.5 * step or _is_counter(t):
        return None
    m = _UNIT.match(col)
    suffix = m.group(2).strip().lower() if m else ""
    for unit, k in (("ms", 1e-3), ("s", 1.0)) if suffix == "ms" else (("s", 1.0), ("ms", 1e-3)):
        if MIN_FS <= 1.0 / (step * k) <= MAX_FS:
            return unit, 1.0 / (step * k)
    return None


def _peek_rate(path: Path, sep: str, j: int, col: str) -> float:
    """Rough rate in Hz from the first rows of the time column (MAX_FS when unclear)."""
    t = pd.to_numeric(pd.read_csv(path, sep=sep, usecols=[j], nrows=2000).iloc[:, 0], errors="coerce").dropna()
    step = np.median(np.diff(t.to_numpy(np.float64))) if len(t) > 2 else 0.0
    step *= 1e-3 if _time_unit(col) == "ms" else 1.0
    rate = 1.0 / step if step > 0 else MAX_FS
    return rate * 1e3 if rate < MIN_FS <= rate * 1e3 <= MAX_FS else rate  # a time column in ms, unnamed as such


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
