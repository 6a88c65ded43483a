"""Checks of a signal and its sampling rate at the entry points of the signal stage and after.

A signal's sampling rate must lie in the reader's range (:data:`ecg_lstm.io.limits.MIN_FS` ..
``MAX_FS``, defined once there): :func:`check_lead` holds the signal stage to it. Beat times
alone (``check_fs``, for the findings) only need a positive rate. Every refusal is an
:class:`~ecg_lstm.errors.ECGError` (also a ``ValueError``), so the CLI names it in one line.
"""
from __future__ import annotations

import numpy as np

from ..errors import RecordError, SamplingRateError, SignalQualityError
from ..io.limits import MAX_FS, MIN_FS

#: Shortest signal (s) a detector can work on (it needs a few beats to adapt).
MIN_DURATION_S = 2.0


def check_fs(fs) -> float:
    """``fs`` as a positive, finite float (Hz), else :class:`SamplingRateError`."""
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        fs = float("nan")
    if not np.isfinite(fs) or fs <= 0:
        raise SamplingRateError("sampling rate fs must be a positive number of Hz, e.g. fs=360")
    return fs


def _floats(x) -> np.ndarray:
    """``x`` as float64, except float32 (records are read as float32): a day of a lead is not copied
    to float64 at once; each stage converts the blocks it filters."""
    x = np.asarray(x)
    return x if x.dtype == np.float32 else x.astype(np.float64, copy=False)


def check_lead_and_peaks(ecg, fs, peaks) -> tuple[np.ndarray, np.ndarray]:
    """``(ecg, peaks)`` as a 1-D float lead (float32 kept as it is, anything else float64) and a 1-D
    array of sample numbers inside it; otherwise a :class:`RecordError` (a ``ValueError``) naming
    what is wrong (``fs`` must be positive and finite)."""
    ecg = _floats(ecg)
    peaks = np.asarray(peaks)
    if ecg.ndim != 1:
        raise RecordError(f"ecg must be one lead (1-D), got shape {ecg.shape}")
    if not np.isfinite(fs) or fs <= 0:
        raise RecordError(f"sampling rate must be positive, got {fs}")
    if peaks.ndim != 1 or (len(peaks) and (peaks.min() < 0 or peaks.max() >= len(ecg))):
        raise RecordError("peaks must be a 1-D array of sample numbers inside the signal")
    return ecg, peaks


def check_lead(ecg, fs) -> tuple[np.ndarray, float]:
    """Check the input at the boundary; return a 1-D float array (float32 kept as it is, anything
    else float64) and fs."""
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise SamplingRateError(f"sampling rate must be a number in Hz, got {fs!r}") from None
    if not np.isfinite(fs) or not MIN_FS <= fs <= MAX_FS:
        raise SamplingRateError(f"sampling rate {fs} Hz is outside the supported {MIN_FS:g}-{MAX_FS:g} Hz; "
                                "check the record header")
    x = np.asarray(ecg)
    if x.ndim == 2 and 1 in x.shape:
        x = x.ravel()
    if x.ndim != 1:
        raise SignalQualityError(f"expected one ECG lead (1-D array), got shape {x.shape}; pick a lead first")
    if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise SignalQualityError(f"ECG must be real numbers, got dtype {x.dtype}")
    x = _floats(x)
    if x.size < MIN_DURATION_S * fs:
        raise SignalQualityError(f"signal is {x.size / fs:.2f} s long; R-peak detection needs at least "
                                 f"{MIN_DURATION_S:g} s")
    if not np.isfinite(x).all():
        raise SignalQualityError("signal contains NaN or infinite samples; interpolate or trim the gaps first")
    return x, fs
