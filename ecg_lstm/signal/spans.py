"""Runs and gaps in a sample or beat mask: the small helpers several stages share.

``runs`` (run-length encoding of a mask), ``long_runs`` (only the runs of a minimum
length), ``bridge_gaps`` (NaN gaps bridged so that filters can run) and ``blocks`` (a long
signal cut into consecutive blocks, each with context either side).
"""
from __future__ import annotations

import numpy as np


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of every run of True in ``mask`` (run-length encoding)."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    start, stop = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return start, stop - start


def long_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """``mask`` keeping only its runs of at least ``min_len`` True values."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = ends - starts >= min_len
    marks = np.zeros(len(mask) + 1, dtype=np.int64)
    np.add.at(marks, starts[keep], 1)
    np.add.at(marks, ends[keep], -1)
    return np.cumsum(marks[:-1]) > 0


def bridge_gaps(ecg: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Bridge NaN gaps linearly so that the filters can run; return the gap mask.

    Filtering spreads a single NaN over the whole lead, so gaps are bridged
    first; the flat bridge then reads as poor quality, and no beat is kept there.
    """
    gaps = ~np.isfinite(ecg)
    if not gaps.any():
        return ecg, None
    x = np.flatnonzero(~gaps)
    filled = ecg.copy()
    filled[gaps] = np.interp(np.flatnonzero(gaps), x, ecg[x])
    return filled, gaps


def blocks(n: int, step: int, pad: int):
    """``(start, a, b)`` for the consecutive blocks ``[start, start + step)`` of ``n`` samples, each
    read as ``[a, b)``: with ``pad`` samples of context either side (fewer at the signal's ends), so
    that a filter's edge effects fall outside the block."""
    for start in range(0, n, step):
        yield start, max(0, start - pad), min(n, start + step + pad)
