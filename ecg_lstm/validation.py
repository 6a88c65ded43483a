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


def check_lead_and_peaks(ecg, fs, peaks) -> tuple[np.ndarray, np.ndarray]:
    """``(ecg, peaks)`` as a 1-D float64 lead and a 1-D array of sample numbers inside it;
    ``ValueError`` naming what is wrong otherwise (``fs`` must be positive and finite)."""
    ecg = np.asarray(ecg, dtype=np.float64)
    peaks = np.asarray(peaks)
    if ecg.ndim != 1:
        raise ValueError(f"ecg must be one lead (1-D), got shape {ecg.shape}")
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"sampling rate must be positive, got {fs}")
    if peaks.ndim != 1 or (len(peaks) and (peaks.min() < 0 or peaks.max() >= len(ecg))):
        raise ValueError("peaks must be a 1-D array of sample numbers inside the signal")
    return ecg, peaks
