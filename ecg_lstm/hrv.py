"""Heart rate variability from beat positions (Task Force 1996 conventions).

Everything here works on NN intervals: the interval between two consecutive
beats that are both normal (labelled ``N``), with artefacts removed
(:func:`nn_mask`). Time domain (:func:`hrv_time`) and frequency domain
(:func:`hrv_frequency`) follow

* Task Force of the ESC and NASPE (1996). Heart rate variability: standards
  of measurement, physiological interpretation and clinical use.
  Circulation 93(5), 1043-1065.

Units: intervals in ms, powers in ms^2, frequencies in Hz.
"""
from __future__ import annotations

import numpy as np
from scipy import interpolate, ndimage, signal

#: Physiological range of an RR interval (s). 0.2 s = 300 bpm, 3.0 s = 20 bpm;
#: anything outside is a missed or double detection (or a pause, which
#: ``detect_events`` reports) and is kept out of HR and HRV statistics.
RR_MIN_S, RR_MAX_S = 0.2, 3.0
#: An NN interval more than this share away from the median of its
#: neighbours is an artefact or an unlabelled ectopic beat (Malik-style 20 % rule).
NN_MAX_DEVIATION = 0.20
#: Neighbours (intervals, centred) in that local median.
NN_MEDIAN_WINDOW = 11

#: Frequency bands (Hz), Task Force 1996. VLF starts at 1/300 Hz, the lowest
#: frequency a 5-min window resolves.
VLF_BAND, LF_BAND, HF_BAND = (0.0033, 0.04), (0.04, 0.15), (0.15, 0.4)
#: Resampling rate (Hz) of the NN series before the Welch periodogram.
RESAMPLE_HZ = 4.0
#: Welch segment (s): the Task Force short-term recording length.
SEGMENT_S = 300.0
#: Shortest NN series (s) with LF/HF reported; shorter gives None.
MIN_FREQ_S = 120.0
#: A Welch segment is used only if this share of it lies inside NN intervals
#: (the rest is interpolated across ectopic beats, noise or artefacts).
MIN_COVERAGE = 0.8
FREQUENCY_METHOD = "welch: cubic spline at 4 Hz, 5-min Hann segments, 50 % overlap, linear detrend"


def nn_mask(rr_s: np.ndarray, normal: np.ndarray | None = None) -> np.ndarray:
    """Which RR intervals are NN intervals.

    Parameters
    ----------
    rr_s : RR intervals (s), ``rr_s[i]`` between beats ``i`` and ``i + 1``.
    normal : bool per beat (``len(rr_s) + 1``), True where the beat is
        labelled N; None counts every beat as normal (unlabelled input).

    Returns
    -------
    bool array like ``rr_s``: both beats normal, interval within
    [RR_MIN_S, RR_MAX_S], and within NN_MAX_DEVIATION of the median of the
    NN_MEDIAN_WINDOW surrounding candidate intervals.
    """
    keep = (rr_s >= RR_MIN_S) & (rr_s <= RR_MAX_S)
    if normal is not None:
        keep &= normal[:-1] & normal[1:]
    idx = np.flatnonzero(keep)
    if len(idx):
        cand = rr_s[idx]
        med = ndimage.median_filter(cand, size=min(NN_MEDIAN_WINDOW, len(cand)), mode="nearest")
        keep[idx[np.abs(cand - med) > NN_MAX_DEVIATION * med]] = False
    return keep


def hrv_time(rr_ms: np.ndarray, keep: np.ndarray, t_s: np.ndarray) -> dict:
    """Time-domain HRV of the NN intervals ``rr_ms[keep]``.

    Successive differences are taken only between adjacent intervals that are
    both NN (they share a normal beat), so no difference spans an excluded beat.
    ``t_s`` is the time (s) of the beat that ends each interval, for SDANN.

    Returns sdnn_ms (ddof=1), rmssd_ms, sdsd_ms (ddof=1), nn50_count,
    pnn50_pct (share of successive differences > 50 ms, as the PhysioNet HRV
    toolkit; NeuroKit2 divides by one more), sdann_ms and sdnn_index_ms over
    5-min windows (None under 3 windows), and the NN count and mean.
    """
    nn = rr_ms[keep]
    pair = keep[:-1] & keep[1:]
    d = np.diff(rr_ms)[pair] if len(rr_ms) > 1 else np.zeros(0)
    out = {
        "n_nn_intervals": int(len(nn)),
        "nn_mean_ms": rounded(nn.mean()) if len(nn) else None,
        "sdnn_ms": rounded(nn.std(ddof=1)) if len(nn) > 1 else None,
        "rmssd_ms": rounded(np.sqrt(np.mean(d ** 2))) if len(d) else None,
        "sdsd_ms": rounded(d.std(ddof=1)) if len(d) > 1 else None,
        "nn50_count": int(np.sum(np.abs(d) > 50)) if len(d) else None,
        "pnn50_pct": rounded(100.0 * np.mean(np.abs(d) > 50)) if len(d) else None,
    }
    out.update(_sdann(nn, t_s[keep]))
    return out


def _sdann(nn: np.ndarray, t: np.ndarray, window_s: float = 300.0) -> dict:
    """SDANN (SD of 5-min mean NN) and SDNN index (mean of 5-min SDNN)."""
    none = {"sdann_ms": None, "sdnn_index_ms": None}
    if len(nn) < 2:
        return none
    w = ((t - t[0]) // window_s).astype(np.int64)
    n = np.bincount(w)
    s1, s2 = np.bincount(w, nn), np.bincount(w, nn * nn)
    ok = n >= 2  # windows with enough NN intervals for an SD
    if ok.sum() < 3:
        return none
    mean = s1[ok] / n[ok]
    sd = np.sqrt(np.maximum(s2[ok] - n[ok] * mean ** 2, 0) / (n[ok] - 1))
    return {"sdann_ms": rounded(mean.std(ddof=1)), "sdnn_index_ms": rounded(sd.mean())}


def hrv_frequency(rr_ms: np.ndarray, keep: np.ndarray, t_s: np.ndarray) -> dict:
    """Frequency-domain HRV: VLF, LF, HF, total power (ms^2), LF/HF, normalised units.

    The NN series (value at the time ``t_s`` of the beat ending each interval)
    is resampled at 4 Hz by cubic spline, then Welch's periodogram (5-min Hann
    segments, 50 % overlap, linear detrend; one segment of the whole series
    when it is 2-5 min long) is averaged over the segments at least 80 %
    covered by NN intervals. This is the Task Force's FFT method on the evenly
    resampled series, as used by Kubios and NeuroKit2 (``psd_method="welch"``);
    the Lomb-Scargle periodogram is not used because it is O(beats x
    frequencies), too slow for 24-h records. On long records the values are
    thus the mean of 5-min spectra (the Task Force's short-term measures
    averaged, as Holter reports give them), not a 24-h spectrum with ULF.
    Returns None values when the NN series is shorter than 2 min or no
    segment is covered well enough.
    """
    keys = ("vlf_ms2", "lf_ms2", "hf_ms2", "total_power_ms2", "lf_hf_ratio", "lf_nu", "hf_nu")
    out = dict.fromkeys(keys)
    out["hrv_frequency_method"] = FREQUENCY_METHOD
    nn, t = rr_ms[keep], t_s[keep]
    if len(nn) < 4 or t[-1] - t[0] < MIN_FREQ_S:
        return out
    grid = np.arange(t[0], t[-1], 1.0 / RESAMPLE_HZ)
    x = interpolate.CubicSpline(t, nn)(grid)
    # A grid point is covered if it falls inside an NN interval: the interval
    # ending at the next beat at or after it is NN.
    j = np.searchsorted(t_s, grid, side="left")
    covered = keep[np.minimum(j, len(keep) - 1)] & (j < len(keep))
    nper = min(int(SEGMENT_S * RESAMPLE_HZ), len(grid))
    step = nper // 2
    starts = np.arange(0, len(grid) - nper + 1, step)
    cs = np.concatenate([[0], np.cumsum(covered)])
    use = starts[(cs[starts + nper] - cs[starts]) / nper >= MIN_COVERAGE]
    if not len(use):
        return out
    f, psd = _welch(x, use, nper)
    df = f[1] - f[0]
    band = {k: float(psd[(f >= lo) & (f < hi)].sum() * df)
            for k, (lo, hi) in zip(("vlf", "lf", "hf"), (VLF_BAND, LF_BAND, HF_BAND))}
    out.update({
        "vlf_ms2": rounded(band["vlf"]), "lf_ms2": rounded(band["lf"]), "hf_ms2": rounded(band["hf"]),
        "total_power_ms2": rounded(sum(band.values())),
        "lf_hf_ratio": rounded(band["lf"] / band["hf"]) if band["hf"] > 0 else None,
        "lf_nu": rounded(100 * band["lf"] / (band["lf"] + band["hf"])) if band["lf"] + band["hf"] > 0 else None,
        "hf_nu": rounded(100 * band["hf"] / (band["lf"] + band["hf"])) if band["lf"] + band["hf"] > 0 else None,
    })
    return out


def _welch(x: np.ndarray, starts: np.ndarray, nper: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD (one-sided, density) averaged over the segments beginning at ``starts``.

    Same estimate as ``scipy.signal.welch(detrend="linear", window="hann")``,
    but only over the chosen segments, with a closed-form linear detrend
    (scipy's least-squares detrend is the slowest step on 24-h records).
    """
    seg = np.lib.stride_tricks.sliding_window_view(x, nper)[starts]
    tc = np.arange(nper) - (nper - 1) / 2.0
    seg = seg - seg.mean(axis=1, keepdims=True) - np.outer(seg @ tc / (tc @ tc), tc)
    win = signal.get_window("hann", nper)
    nfft = max(2048, nper)
    spec = np.abs(np.fft.rfft(seg * win, n=nfft, axis=1)) ** 2 / (RESAMPLE_HZ * (win ** 2).sum())
    spec[:, 1:-1 if nfft % 2 == 0 else None] *= 2  # one-sided: fold the negative frequencies
    return np.fft.rfftfreq(nfft, 1.0 / RESAMPLE_HZ), spec.mean(axis=0)


def rounded(x, nd: int = 3):
    """Plain float rounded to ``nd`` decimals; None for NaN/inf."""
    x = float(x)
    return round(x, nd) if np.isfinite(x) else None
