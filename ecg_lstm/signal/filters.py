"""Filtering and resampling of ECG signals.

``ecg_clean`` is the one cleaning step the whole library (detector, classifier,
dashboard) shares.  Its default must stay stable: the shipped classifier was
trained on its output.
"""
from __future__ import annotations

import numpy as np
from scipy import signal as sps

#: Internal sampling rate (Hz) that detection and classification work at.
INTERNAL_FS = 360.0


def ecg_clean(ecg: np.ndarray, fs: float, method: str = "bandpass") -> np.ndarray:
    """Remove baseline wander, powerline interference and high-frequency noise.

    Parameters
    ----------
    ecg : 1-D signal (any amplitude unit; returned in the same unit).
    fs : sampling rate in Hz.
    method : ``"bandpass"`` (default): zero-phase 2nd-order Butterworth
        high-pass at 0.5 Hz (baseline) and 4th-order low-pass at 40 Hz (EMG and
        powerline, both 50 and 60 Hz lie above it); ``"none"``: unchanged.
    """
    ecg = np.asarray(ecg, dtype=np.float64)
    if method == "none":
        return ecg.copy()
    if method != "bandpass":
        raise ValueError(f"unknown method {method!r}; use 'bandpass' or 'none'")
    hp = sps.butter(2, 0.5, btype="highpass", fs=fs, output="sos")
    high = min(40.0, 0.45 * fs)
    lp = sps.butter(4, high, btype="lowpass", fs=fs, output="sos")
    return sps.sosfiltfilt(np.vstack([hp, lp]), ecg)


def resample(ecg: np.ndarray, fs: float, fs_out: float = INTERNAL_FS) -> np.ndarray:
    """Resample ``ecg`` from ``fs`` to ``fs_out`` Hz (polyphase, anti-aliased).

    Sample ``i`` of the output lies at time ``i / fs_out``; map positions back
    to the input with :func:`to_record_samples`.
    """
    ecg = np.asarray(ecg, dtype=np.float64)
    if fs == fs_out:
        return ecg.copy()
    from fractions import Fraction

    frac = Fraction(fs_out / fs).limit_denominator(1000)
    return sps.resample_poly(ecg, frac.numerator, frac.denominator)


def to_record_samples(idx: np.ndarray, fs_from: float, fs_record: float, n_samples: int | None = None) -> np.ndarray:
    """Map sample numbers at ``fs_from`` back to the record's own rate ``fs_record``."""
    out = np.rint(np.asarray(idx, dtype=np.float64) * (fs_record / fs_from)).astype(np.int64)
    if n_samples is not None:
        out = np.clip(out, 0, n_samples - 1)
    return out
