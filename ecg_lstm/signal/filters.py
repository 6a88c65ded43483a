"""Filtering and resampling of ECG signals.

``ecg_clean`` is the one cleaning step the whole library (detector, classifier,
dashboard) shares.  Its default must stay stable: the shipped classifier was
trained on its output.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal as sps

from .spans import blocks

#: Internal sampling rate (Hz) that detection and classification work at.
INTERNAL_FS = 360.0
#: Padding (s) each side of a block filtered on its own (:func:`ecg_clean_blocks`): the 0.5 Hz
#: high-pass forgets a block's edge within a few seconds; 20 s leaves differences from filtering
#: the whole lead at once below 1e-12 of the signal.
BLOCK_PAD_S = 20.0


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
    return sps.sosfiltfilt(_bandpass(float(fs)), ecg)


@lru_cache(maxsize=16)
def _bandpass(fs: float) -> np.ndarray:
    """The band-pass of :func:`ecg_clean` at ``fs``, designed once per rate (the detector cleans a
    24 h record in 145 blocks: designing it each time cost a second)."""
    hp = sps.butter(2, 0.5, btype="highpass", fs=fs, output="sos")
    lp = sps.butter(4, min(40.0, 0.45 * fs), btype="lowpass", fs=fs, output="sos")
    return np.vstack([hp, lp])


def ecg_clean_blocks(ecg: np.ndarray, fs: float, block_s: float = 600.0):
    """:func:`ecg_clean` of a long lead, block by block: yields ``(start, clean)`` for consecutive
    blocks of ``block_s`` seconds (``clean`` float64, the block's own samples), each filtered with
    :data:`BLOCK_PAD_S` of signal either side.  The working memory is a block's, not the lead's
    (cleaning 24 h at once holds a gigabyte of filter buffers), and the output equals cleaning the
    whole lead to within 1e-12 of its amplitude.
    """
    n = len(ecg)
    step = max(1, int(round(block_s * fs)))
    for s, a, b in blocks(n, step, int(round(BLOCK_PAD_S * fs))):
        clean = ecg_clean(np.asarray(ecg[a:b], dtype=np.float64), fs)
        yield s, clean[s - a:min(n, s + step) - a]


def resample(ecg: np.ndarray, fs: float, fs_out: float = INTERNAL_FS, axis: int = 0) -> np.ndarray:
    """Resample ``ecg`` from ``fs`` to ``fs_out`` Hz (polyphase, anti-aliased) along ``axis`` (e.g. 1:
    each row of a stack of windows, in one call).

    Sample ``i`` of the output lies at time ``i / fs_out``; map positions back
    to the input with :func:`to_record_samples`.
    """
    ecg = np.asarray(ecg, dtype=np.float64)
    if fs == fs_out:
        return ecg.copy()
    from fractions import Fraction

    frac = Fraction(fs_out / fs).limit_denominator(1000)
    return sps.resample_poly(ecg, frac.numerator, frac.denominator, axis=axis)


def to_record_samples(idx: np.ndarray, fs_from: float, fs_record: float, n_samples: int | None = None) -> np.ndarray:
    """Map sample numbers at ``fs_from`` back to the record's own rate ``fs_record``."""
    out = np.rint(np.asarray(idx, dtype=np.float64) * (fs_record / fs_from)).astype(np.int64)
    if n_samples is not None:
        out = np.clip(out, 0, n_samples - 1)
    return out
