"""Signals in mV back to 16-bit integers, for the writers (ISHNE, DICOM, HL7 aECG).

Every format written here stores integers and a step per lead. A record read from
a 16-bit file (MIT-BIH: 5 uV per step) is written with that same step, found from
its values, so that writing and reading it again gives the same samples; any other
signal gets the finest step (in whole nV) at which it fits 16 bits.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import RecordError

#: 16-bit range kept for samples (-32768 is left free: several formats mean "no data" by it).
LOW, HIGH = -32767, 32767


def lead_step_nv(x: np.ndarray) -> int:
    """The step in whole nV at which lead ``x`` (mV) is stored: its own step (the greatest common
    divisor of the gaps between its values) when its values are whole multiples of one that fits,
    else the finest step that holds its range in 16 bits."""
    v = x[np.isfinite(x)]
    if not len(v):
        return 1000
    big = float(np.abs(v).max())
    floor = max(1, math.ceil(big * 1e6 / HIGH))
    sample = np.unique(v[:: max(1, len(v) // 200_000)])
    gaps = np.diff(sample)
    if len(gaps):
        nv = np.round(gaps * 1e6).astype(np.int64)
        step = int(np.gcd.reduce(nv[nv > 0])) if (nv > 0).any() else 0
        if floor <= step <= HIGH and np.allclose(np.round(v * 1e6 / step) * step, v * 1e6, atol=1e-3):
            return step
    return floor


def to_int16(signal: np.ndarray, steps_nv: list[int]) -> np.ndarray:
    """``signal`` (n, leads) in mV as int16 at ``steps_nv`` per lead; missing samples become 0."""
    if signal.ndim != 2 or signal.shape[1] != len(steps_nv):
        raise RecordError(f"a signal of shape {signal.shape} cannot be written with {len(steps_nv)} lead steps")
    out = np.empty(signal.shape, np.int16)
    for j, step in enumerate(steps_nv):
        col = np.nan_to_num(signal[:, j], nan=0.0) * (1e6 / step)
        out[:, j] = np.clip(np.round(col), LOW, HIGH)
    return out
