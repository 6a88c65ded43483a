"""Heart rate variability from beat positions (Task Force 1996 conventions).

Everything here works on NN intervals: the interval between two consecutive
beats that are both normal (labelled ``N``), with artefacts removed
(:func:`nn_mask`). Time domain (:func:`hrv_time`) and frequency domain
(:func:`hrv_frequency`: Welch on 5-min segments; :func:`hrv_lomb`: the
whole-record Lomb-Scargle periodogram, as PhysioNet's HRV toolkit) follow

* Task Force of the ESC and NASPE (1996). Heart rate variability: standards
  of measurement, physiological interpretation and clinical use.
  Circulation 93(5), 1043-1065.

Whether HRV means anything for a record at all (sinus rhythm, enough NN intervals) is decided
once, by :func:`hrv_applicability`, for the pipeline and the page alike.

Units: intervals in ms, powers in ms^2, frequencies in Hz.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
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
#: Across a gap in the NN series longer than this (s), the resampled series is a straight
#: line, not the cubic spline: a spline over a 27-s noisy span of MIT-BIH 234 swings from
#: 730 to 172 ms and quintuples LF power (Welch total 1389 ms^2 for an NN variance of 306).
#: A gap left by one or two ectopic beats (< 3 s) keeps the spline, as the Task Force advises.
SPLINE_MAX_GAP_S = 3.0
#: Welch segment (s): the Task Force short-term recording length.
SEGMENT_S = 300.0
#: Shortest NN series (s) with LF/HF reported; shorter gives None.
MIN_FREQ_S = 120.0
#: A Welch segment is used only if this share of it lies inside NN intervals
#: (the rest is interpolated across ectopic beats, noise or artefacts).
MIN_COVERAGE = 0.8
FREQUENCY_METHOD = ("welch: cubic spline at 4 Hz (straight across gaps over 3 s), 5-min Hann segments, "
                    "50 % overlap, linear detrend, segments >= 80 % covered by NN intervals")
#: SDANN and SDNN index: non-overlapping windows of this length (s) from the start of the
#: record; only complete windows count, and only those at least MIN_COVERAGE covered by NN
#: intervals. A trailing part-window (the last 5.6 s of a MIT-BIH record) or a window
#: mostly of ectopic beats or noise would otherwise weigh like a full 5 min (Task Force 1996:
#: "5-min segments of the entire recording"; the PhysioNet Cardiovascular Signal Toolkit
#: rejects a window with over 20 % of it missing; NeuroKit2 drops a part-window under half).
SDANN_WINDOW_S = 300.0
#: Fewest such windows for SDANN and the SDNN index (an SD of two means says little).
SDANN_MIN_WINDOWS = 3
#: Lomb-Scargle frequency step: 1 / (this x the NN series' span), as PhysioNet's lomb.
LOMB_OVERSAMPLING = 4
LOMB_METHOD = ("lomb-scargle: whole-record periodogram of the NN series at its own beat times, no interpolation, "
               "mean removed, 4x oversampled grid up to 0.4 Hz "
               "(Press & Rybicki 1989 fast method, astropy), as PhysioNet's HRV toolkit (lomb, pwr)")


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


def hrv_time(rr_ms: np.ndarray, keep: np.ndarray, t_s: np.ndarray, duration_s: float | None = None) -> dict:
    """Time-domain HRV of the NN intervals ``rr_ms[keep]``.

    Successive differences are taken only between adjacent intervals that are
    both NN (they share a normal beat), so no difference spans an excluded beat.
    ``t_s`` is the time (s, from the record start) of the beat that ends each
    interval, for SDANN; ``duration_s`` the record length (default: the last beat).

    Returns sdnn_ms (ddof=1), rmssd_ms, sdsd_ms (ddof=1), nn50_count,
    pnn50_pct (share of successive differences > 50 ms, as the PhysioNet HRV
    toolkit; NeuroKit2 divides by one more), sdann_ms and sdnn_index_ms over
    the complete 5-min windows at least 80 % covered by NN intervals
    (``n_sdann_windows`` of them; None under 3, see :data:`SDANN_WINDOW_S`),
    and the NN count and mean.
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
    end = duration_s if duration_s is not None else (float(t_s[-1]) if len(t_s) else 0.0)
    out.update(_sdann(nn, t_s[keep], end))
    return out


def _sdann(nn: np.ndarray, t: np.ndarray, duration_s: float, window_s: float = SDANN_WINDOW_S) -> dict:
    """SDANN (SD of 5-min mean NN) and SDNN index (mean of 5-min SDNN), in ms.

    ``nn`` in ms ending at times ``t`` (s from the record start). An interval
    belongs to the window its ending beat falls in (PhysioNet's statnn does the
    same); windows are complete (ending by ``duration_s``) and at least
    MIN_COVERAGE covered by NN intervals.
    """
    n_full = int(duration_s // window_s) if np.isfinite(duration_s) and duration_s > 0 else 0
    out = {"sdann_ms": None, "sdnn_index_ms": None, "n_sdann_windows": 0}
    if len(nn) < 2 or n_full == 0:
        return out
    w = (t // window_s).astype(np.int64)
    inside = w < n_full
    w, x = w[inside], nn[inside]
    n = np.bincount(w, minlength=n_full)
    s1, s2 = np.bincount(w, x, minlength=n_full), np.bincount(w, x * x, minlength=n_full)
    ok = (n >= 2) & (s1 >= MIN_COVERAGE * window_s * 1000.0)  # s1: ms of NN data in the window
    out["n_sdann_windows"] = int(ok.sum())
    if ok.sum() < SDANN_MIN_WINDOWS:
        return out
    mean = s1[ok] / n[ok]
    sd = np.sqrt(np.maximum(s2[ok] - n[ok] * mean ** 2, 0) / (n[ok] - 1))
    out.update(sdann_ms=rounded(mean.std(ddof=1)), sdnn_index_ms=rounded(sd.mean()))
    return out


def hrv_frequency(rr_ms: np.ndarray, keep: np.ndarray, t_s: np.ndarray) -> dict:
    """Frequency-domain HRV: VLF, LF, HF, total power (ms^2), LF/HF, normalised units.

    The NN series (value at the time ``t_s`` of the beat ending each interval)
    is resampled at 4 Hz by cubic spline (straight across gaps over 3 s), then Welch's periodogram (5-min Hann
    segments, 50 % overlap, linear detrend; one segment of the whole series
    when it is 2-5 min long) is averaged over the segments at least 80 %
    covered by NN intervals. This is the Task Force's FFT method on the evenly
    resampled series, as used by Kubios and NeuroKit2 (``psd_method="welch"``).
    On long records the values are thus the mean of 5-min spectra (the Task
    Force's short-term measures averaged, as Holter reports give them), not a
    24-h spectrum with ULF. Where no segment qualifies (frequent ectopic beats,
    noise), :func:`hrv_lomb` still gives the whole-record estimate.
    Returns None values when the NN series is shorter than 2 min or no
    segment is covered well enough, and then ``frequency_domain_reason`` says
    which (None when the values are given).
    """
    keys = ("vlf_ms2", "lf_ms2", "hf_ms2", "total_power_ms2", "lf_hf_ratio", "lf_nu", "hf_nu")
    out = dict.fromkeys(keys)
    out["hrv_frequency_method"] = FREQUENCY_METHOD
    out["frequency_domain_reason"] = None
    nn, t = rr_ms[keep], t_s[keep]
    if len(nn) < 4 or t[-1] - t[0] < MIN_FREQ_S:
        out["frequency_domain_reason"] = (f"fewer than {MIN_FREQ_S / 60:.0f} min of NN intervals "
                                          f"({len(nn)} NN intervals)")
        return out
    grid = np.arange(t[0], t[-1], 1.0 / RESAMPLE_HZ)
    x = interpolate.CubicSpline(t, nn)(grid)
    long_gap = np.diff(t) > SPLINE_MAX_GAP_S
    if long_gap.any():
        k = np.minimum(np.searchsorted(t, grid, side="right") - 1, len(long_gap) - 1)
        lin = long_gap[k]
        x[lin] = np.interp(grid[lin], t, nn)
    # A grid point is covered if it falls inside an NN interval: the interval
    # ending at the next beat at or after it is NN.
    j = np.searchsorted(t_s, grid, side="left")
    covered = keep[np.minimum(j, len(keep) - 1)] & (j < len(keep))
    nper = min(int(SEGMENT_S * RESAMPLE_HZ), len(grid))
    step = nper // 2
    starts = np.arange(0, len(grid) - nper + 1, step)
    cs = np.concatenate([[0], np.cumsum(covered)])
    share = (cs[starts + nper] - cs[starts]) / nper
    use = starts[share >= MIN_COVERAGE]
    if not len(use):
        out["frequency_domain_reason"] = (
            f"no {nper / RESAMPLE_HZ / 60:.0f}-min segment is at least {100 * MIN_COVERAGE:.0f} % covered by NN "
            f"intervals (best {100 * share.max():.0f} %): too many ectopic beats, artefacts or noisy spans "
            "for Welch; the whole-record Lomb-Scargle estimate (lomb_*) needs no such segment")
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


def hrv_lomb(rr_ms: np.ndarray, keep: np.ndarray, t_s: np.ndarray) -> dict:
    """Whole-record Lomb-Scargle HRV: ``lomb_vlf_ms2``, ``lomb_lf_ms2``, ``lomb_hf_ms2``,
    ``lomb_total_power_ms2`` (VLF + LF + HF), ``lomb_lf_hf_ratio``, ``lomb_lf_nu``, ``lomb_hf_nu``.

    The periodogram of the NN intervals at the times of their ending beats,
    with no interpolation across ectopic beats or gaps (Lomb 1976; Laguna,
    Moody & Mark 1998), as PhysioNet's HRV toolkit computes it (``lomb`` then
    ``pwr``): mean removed, frequencies k / (4 T) for a series spanning T s, up
    to 0.4 Hz, power scaled so that the spectrum integrates to the NN variance
    (one-sided density ``2 T P(f) / n`` in ms^2/Hz for the classical
    periodogram ``P``). One departure: PhysioNet's lomb stops at half the
    *mean* rate n / T, which gaps (ectopic beats, noise) lower, so a record
    with many ectopic beats got an HF power of 0; here a band is left out
    (None) only when it lies above half the *median* NN rate, the rate at which
    the series is actually sampled (HF needs a median NN under 1.25 s). astropy's
    fast method (Press & Rybicki 1989, also PhysioNet's) keeps a 24-h record
    at 0.4 s on a loaded 2-core machine, where the direct sum is O(beats x frequencies). Gaps
    spread power: with 12 % of the beats ectopic at random, a pure tone's power
    comes out 15 % high (50 % with a third), where Welch's spline across the
    gaps comes out low; read it as the estimate for records Welch cannot serve.
    None values, and ``lomb_reason``, under 2 min of NN data or without astropy.
    """
    keys = ("lomb_vlf_ms2", "lomb_lf_ms2", "lomb_hf_ms2", "lomb_total_power_ms2", "lomb_lf_hf_ratio",
            "lomb_lf_nu", "lomb_hf_nu")
    out = dict.fromkeys(keys)
    out.update(hrv_lomb_method=LOMB_METHOD, lomb_reason=None)
    nn, t = rr_ms[keep], t_s[keep]
    if len(nn) < 4 or t[-1] - t[0] < MIN_FREQ_S:
        out["lomb_reason"] = f"fewer than {MIN_FREQ_S / 60:.0f} min of NN intervals ({len(nn)} NN intervals)"
        return out
    try:
        from astropy.timeseries import LombScargle
    except ImportError:
        out["lomb_reason"] = "astropy is not installed (pip install -r requirements.txt)"
        return out
    span, n = float(t[-1] - t[0]), len(nn)
    df = 1.0 / (LOMB_OVERSAMPLING * span)
    nyquist = 0.5 / (np.median(nn) / 1000.0)
    f = df * np.arange(1, int(min(HF_BAND[1], nyquist) / df) + 1)
    y = nn - nn.mean()
    # normalization="psd" is the classical periodogram P(f) (scipy.signal.lombscargle's default).
    # "fasper" is Press & Rybicki's extirpolation (PhysioNet's lomb); 8 extirpolation points
    # instead of 4 keep band powers within 0.03 % of the direct sum, 8x faster than astropy's
    # default low-rank method on 24 h (0.3 s vs 2.5 s on a loaded 2-core machine).
    p = LombScargle(t, y, fit_mean=False, center_data=False, normalization="psd").power(
        f, method="fast", method_kwds={"algorithm": "fasper", "trig_sum_kwds": {"Mfft": 8}})
    psd = 2.0 * span * p / n
    band = {k: float(psd[(f >= lo) & (f < hi)].sum() * df) if hi <= nyquist else np.nan
            for k, (lo, hi) in zip(("vlf", "lf", "hf"), (VLF_BAND, LF_BAND, HF_BAND))}
    if not np.isfinite(band["hf"]):
        out["lomb_reason"] = (f"median NN interval {np.median(nn):.0f} ms: bands above {nyquist:.2f} Hz "
                              "(half the NN rate) cannot be estimated")
    lf_hf = band["lf"] + band["hf"]
    out.update({
        "lomb_vlf_ms2": rounded(band["vlf"]), "lomb_lf_ms2": rounded(band["lf"]), "lomb_hf_ms2": rounded(band["hf"]),
        "lomb_total_power_ms2": rounded(sum(band.values())),
        "lomb_lf_hf_ratio": rounded(band["lf"] / band["hf"]) if band["hf"] > 0 else None,
        "lomb_lf_nu": rounded(100 * band["lf"] / lf_hf) if lf_hf > 0 else None,
        "lomb_hf_nu": rounded(100 * band["hf"] / lf_hf) if lf_hf > 0 else None,
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


#: HRV is read as autonomic tone only in sinus rhythm (Task Force 1996). Below this share of
#: NN intervals (both beats normal, no artefact) the statistics describe ectopy or artefacts;
#: 80 % is the usual Holter acceptance rule for an HRV analysis.
HRV_MIN_NN_PCT = 80.0
#: Above this share of the record in AF or flutter, the RR variability is the arrhythmia's
#: (in AF the beats are labelled N, so the NN share alone does not see it).
HRV_MAX_AF_PCT = 10.0


def hrv_applicability(beats: pd.DataFrame, rhythm_episodes: pd.DataFrame | None, duration_s: float) -> dict:
    """Whether HRV figures mean anything for this record, and why not.

    Returns ``{"applicable": bool, "reason": str, "nn_share_pct": float, "af_share_pct": float}``:
    not applicable when AF/flutter covers more than ``HRV_MAX_AF_PCT`` % of ``duration_s``
    (seconds), or fewer than ``HRV_MIN_NN_PCT`` % of the RR intervals are NN intervals
    (:func:`ecg_lstm.findings.hrv.nn_mask`), or the beats are not classified. ``reason`` is a
    sentence for the page ("" when applicable).
    """
    from ..rhythm.labels import af_burden

    af = af_burden(rhythm_episodes, duration_s) if rhythm_episodes is not None and len(rhythm_episodes) \
        and "label" in rhythm_episodes and duration_s > 0 else 0.0
    t = beats["time_s"].to_numpy(float)
    labels = beats["label"].fillna("").astype(str).to_numpy() if "label" in beats else np.full(len(t), "")
    nn = 0.0
    if len(t) >= 2:
        nn = 100.0 * float(nn_mask(np.diff(t), labels == "N").mean())
    out = {"applicable": False, "reason": "", "nn_share_pct": nn, "af_share_pct": af}
    if len(t) < 3:
        out["reason"] = "too few beats for heart-rate variability"
    elif not (labels != "").any():
        out["reason"] = "the beats are not classified, so normal-to-normal intervals are unknown"
    elif af > HRV_MAX_AF_PCT:
        out["reason"] = (f"atrial fibrillation or flutter over {af:.0f} % of the record: the beat-to-beat "
                         "variability is the arrhythmia's, not the autonomic tone HRV measures")
    elif nn < HRV_MIN_NN_PCT:
        out["reason"] = (f"only {nn:.0f} % of the RR intervals are between two normal beats (at least "
                         f"{HRV_MIN_NN_PCT:.0f} % needed): too many ectopic beats or artefacts for HRV")
    else:
        out["applicable"] = True
    return out
