"""Checks of arguments shared by the library's entry points."""
from __future__ import annotations

import numpy as np

from .errors import SamplingRateError


def check_fs(fs) -> float:
    """``fs`` as a positive, finite float (Hz), else :class:`SamplingRateError`."""
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        fs = float("nan")
    if not np.isfinite(fs) or fs <= 0:
        raise SamplingRateError("sampling rate fs must be a positive number of Hz, e.g. fs=360")
    return fs
