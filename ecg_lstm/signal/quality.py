"""Per-segment signal quality of one ECG lead.

``signal_quality`` cuts the lead into windows (10 s by default) and scores
each from 0 (no usable ECG) to 1 (clean), from four indices:

* flat line / saturation (the share of the window that is constant or sits
  at the window's extreme value: a lead off or a clipped amplifier);
* pSQI: the share of 5-40 Hz power that lies in the QRS band 5-15 Hz
  (about 0.5-0.8 on clean ECG; lower with muscle noise, higher with motion);
* kSQI: kurtosis of the cleaned signal (ECG is peaky, > 5; noise is ~3);
* when R peaks are given, plausibility of the beat count: a window whose
  rate is outside 24-240 bpm (no beats found, or far too many) keeps at
  most 30 % of its score.

quality = flat/saturation score x (pSQI score + kSQI score) / 2 (x the
rate factor); a window is ``noisy`` when its quality is below 0.5.  The
scores are a screening aid for the display and the summaries, not a
validated clinical index.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import signal as sps

from ..errors import SamplingRateError, SignalQualityError
from .checks import check_lead
from .filters import ecg_clean_blocks

NOISY_BELOW = 0.5
#: Seconds of signal cleaned and scored at a time.
QUALITY_BLOCK_S = 600.0
COLUMNS = ["start_sample", "end_sample", "start_s", "end_s", "quality", "noisy"]


def _ramp(v, lo: float, hi: float):
    """0 at ``lo``, 1 at ``hi`` (either order), linear in between (element-wise)."""
    return np.clip((np.asarray(v, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)


def _windows_quality(raw: np.ndarray, clean: np.ndarray, fs: float, n_peaks: np.ndarray | None) -> np.ndarray:
    """Quality of each row of ``raw`` / ``clean`` (one window per row, same length)."""
    n = raw.shape[1]
    if n < fs:  # too short to say anything
        return np.zeros(raw.shape[0])
    scale = np.maximum(1.0, np.abs(raw).max(axis=1))
    # flat line / saturation: samples without change, or stuck at an extreme
    flat = np.mean(np.abs(np.diff(raw, axis=1)) <= 1e-9 * scale[:, None], axis=1)
    at_ext = np.maximum(np.mean(raw >= raw.max(axis=1, keepdims=True), axis=1),
                        np.mean(raw <= raw.min(axis=1, keepdims=True), axis=1))
    s_flat = _ramp(np.maximum(flat, 5 * at_ext), 0.5, 0.2)
    sd = clean.std(axis=1)
    dead = sd < 1e-6 * scale
    # pSQI: QRS band (5-15 Hz) share of the 5-40 Hz power, from Welch's averaged periodogram (Hann
    # window, half overlap, mean removed per segment), computed here with one FFT call over every
    # segment of every window: scipy's welch took four times as long on a 24 h record. Scaling
    # constants cancel in the ratio, and 5-40 Hz holds neither the DC nor the Nyquist bin.
    f, p = _welch(clean, fs, min(n, int(2 * fs)))
    tot = p[:, (f >= 5) & (f <= 40)].sum(axis=1)
    qrs = p[:, (f >= 5) & (f <= 15)].sum(axis=1)
    psqi = np.where(tot > 0, qrs / np.where(tot > 0, tot, 1.0), 0.0)
    s_p = np.minimum(_ramp(psqi, 0.3, 0.5), _ramp(psqi, 0.95, 0.85))
    # kSQI: ECG is peaky (kurtosis >> 3), noise is not
    z = (clean - clean.mean(axis=1, keepdims=True)) / np.where(dead, 1.0, sd)[:, None]
    z *= z  # z ** 4 as (z ** 2) ** 2: numpy's general power is three times slower
    s_k = _ramp(np.mean(z * z, axis=1), 3.5, 6.0)
    score = s_flat * (0.5 * s_p + 0.5 * s_k)
    if n_peaks is not None:
        hr = 60.0 * n_peaks / (n / fs)
        s_hr = np.minimum(_ramp(hr, 15, 24), _ramp(hr, 300, 240))
        score = score * (0.3 + 0.7 * s_hr)
    return np.clip(np.where(dead, 0.0, score), 0.0, 1.0)


def _welch(x: np.ndarray, fs: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and the unscaled Welch power of each row of ``x`` (``scipy.signal.welch``'s
    segments, window and detrending; its density scaling left out)."""
    step = nperseg - nperseg // 2
    n_seg = (x.shape[1] - nperseg) // step + 1
    seg = np.lib.stride_tricks.sliding_window_view(x, nperseg, axis=1)[:, ::step][:, :n_seg]
    seg = (seg - seg.mean(axis=-1, keepdims=True)) * sps.get_window("hann", nperseg)
    spec = np.fft.rfft(seg, axis=-1)
    return np.fft.rfftfreq(nperseg, 1.0 / fs), (spec.real ** 2 + spec.imag ** 2).mean(axis=1)


def signal_quality(ecg, fs: float, peaks=None, window_s: float = 10.0) -> pd.DataFrame:
    """Signal quality per window of ``window_s`` seconds.

    Parameters
    ----------
    ecg : 1-D signal (any unit).
    fs : sampling rate in Hz.
    peaks : optional R-peak sample numbers (at ``fs``), e.g. from ``ecg_peaks``;
        when given, windows with an implausible beat rate lose quality.
    window_s : window length in seconds (the last window may be shorter).

    Returns
    -------
    DataFrame with columns start_sample, end_sample (exclusive), start_s,
    end_s, quality (0..1, 1 = clean), noisy (quality < 0.5).
    """
    x, fs = check_lead(ecg, fs) if np.size(ecg) >= 2 * float(fs) else _short(ecg, fs)
    if window_s <= 0:
        raise ValueError(f"window_s must be positive, got {window_s}")
    step = max(1, int(round(window_s * fs)))
    starts = np.arange(0, x.size, step)
    pk = None if peaks is None else np.sort(np.asarray(peaks, dtype=np.int64))
    ends = np.minimum(starts + step, x.size)
    counts = None if pk is None else np.searchsorted(pk, ends) - np.searchsorted(pk, starts)
    q = np.zeros(starts.size)
    # Cleaned and scored a block of windows at a time (whole windows per block): a 24 h lead
    # cleaned at once held a gigabyte of filter and spectrum buffers.
    per_block = max(1, int(QUALITY_BLOCK_S // window_s))
    for b0, clean in ecg_clean_blocks(x, fs, block_s=per_block * step / fs):
        w0 = b0 // step
        raw = x[b0:b0 + clean.size]
        n_full = clean.size // step  # all windows but a shorter last one, scored at once
        if n_full:
            q[w0:w0 + n_full] = _windows_quality(raw[:n_full * step].reshape(n_full, step),
                                                 clean[:n_full * step].reshape(n_full, step), fs,
                                                 None if counts is None else counts[w0:w0 + n_full])
        if n_full * step < clean.size:
            q[w0 + n_full] = _windows_quality(raw[None, n_full * step:], clean[None, n_full * step:], fs,
                                              None if counts is None else counts[w0 + n_full:w0 + n_full + 1])[0]
    return pd.DataFrame({"start_sample": starts.astype(np.int64), "end_sample": ends.astype(np.int64),
                         "start_s": starts / fs, "end_s": ends / fs, "quality": q, "noisy": q < NOISY_BELOW})


def _short(ecg, fs):
    """Validate a signal shorter than the detector's minimum (quality still works)."""
    x = np.asarray(ecg, dtype=np.float64).ravel()
    fs = float(fs)
    if not np.isfinite(fs) or fs <= 0:
        raise SamplingRateError(f"sampling rate must be a positive number in Hz, got {fs}")
    if x.size < 30 or not np.isfinite(x).all():
        raise SignalQualityError("signal is too short or contains NaN; nothing to score")
    return x, fs


def noisy_share_pct(quality: pd.DataFrame) -> float:
    """Share of the record's time in segments flagged noisy, in %."""
    if quality is None or not len(quality):
        return 0.0
    span = (quality["end_s"] - quality["start_s"]).to_numpy(float)
    total = span.sum()
    return float(100.0 * span[quality["noisy"].to_numpy(bool)].sum() / total) if total > 0 else 0.0
