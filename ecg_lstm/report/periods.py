"""Heart rate over time for the clinical summary: the heart-rate extremes with their times
(:func:`hr_extremes`, on the vitals' own 10-beat window, so the minimum and maximum are
:func:`ecg_lstm.findings.ecg_vitals`'), and one row per hour, or per 5 or 10 minutes in a short
record (:func:`period_table`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage

from ..findings.hrv import RR_MAX_S, RR_MIN_S, rounded
from ..findings.vitals import HR_WINDOW_INTERVALS
from ..rhythm.labels import AF_LABELS

#: Records at least this long (s) get one row per hour; shorter ones per 10 min from an hour,
#: per 5 min under an hour.
HOURLY_FROM_S = 2 * 3600.0


def hr_extremes(beats: pd.DataFrame, fs: float) -> dict:
    """Heart rate over 10 consecutive beats (60 / median of 9 RR intervals in 0.2-3.0 s), as
    :func:`ecg_lstm.findings.ecg_vitals` computes its ``hr_min_bpm`` and ``hr_max_bpm``, with the
    time (s) of each value (the beat closing the window's middle interval).

    Returns ``{"hr_min_bpm", "hr_min_s", "hr_max_bpm", "hr_max_s", "time_s": array, "hr_bpm":
    array}`` (None and empty arrays without an interval in range)."""
    peaks = beats["sample"].to_numpy(np.int64)
    rr = np.diff(peaks) / fs
    t = peaks[1:] / fs
    ok = (rr >= RR_MIN_S) & (rr <= RR_MAX_S)
    rr, t = rr[ok], t[ok]
    out = {"hr_min_bpm": None, "hr_min_s": None, "hr_max_bpm": None, "hr_max_s": None,
           "time_s": np.zeros(0), "hr_bpm": np.zeros(0)}
    if not len(rr):
        return out
    if len(rr) >= HR_WINDOW_INTERVALS:
        half = HR_WINDOW_INTERVALS // 2
        win = ndimage.median_filter(rr, size=HR_WINDOW_INTERVALS, mode="nearest")[half:len(rr) - half]
        tw = t[half:len(rr) - half]
    else:
        win, tw = np.array([np.median(rr)]), np.array([t[len(t) // 2]])
    lo, hi = int(np.argmax(win)), int(np.argmin(win))
    out.update(hr_min_bpm=rounded(60.0 / win[lo]), hr_min_s=float(tw[lo]), hr_max_bpm=rounded(60.0 / win[hi]),
               hr_max_s=float(tw[hi]), time_s=tw, hr_bpm=60.0 / win)
    return out


def period_step(duration_s: float) -> tuple[float, str]:
    """Length (s) of a row of the period table, and its name."""
    if duration_s >= HOURLY_FROM_S:
        return 3600.0, "hour"
    if duration_s >= 3600.0:
        return 600.0, "10 minutes"
    return 300.0, "5 minutes"


def _overlap(starts, ends, edges) -> np.ndarray:
    """Seconds of the spans (starts, ends) inside each period between ``edges``."""
    out = np.zeros(len(edges) - 1)
    for a, b in zip(starts, ends):
        out += np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0, None)
    return out


def period_table(analysis, events: pd.DataFrame, ext: dict, when) -> dict:
    """One row per period: beats, HR min / mean / max (the window of :func:`hr_extremes`; mean =
    60 / mean RR), V and S beats, pauses (the pause events starting in it), AF/flutter and noisy
    signal as % of the period. ``when``: seconds -> the time printed.

    Returns ``{"head", "rows", "step_s", "step_text"}``."""
    rec = analysis.record
    dur = float(rec.duration_s)
    step, name = period_step(dur)
    edges = np.r_[np.arange(0.0, dur, step), dur]
    if len(edges) > 2 and edges[-1] - edges[-2] < step / 2:  # a short tail joins the period before it
        edges = np.r_[edges[:-2], dur]
    n = len(edges) - 1
    t = analysis.beats["time_s"].to_numpy(float)
    lab = analysis.beats["label"].fillna("").astype(str).to_numpy() if "label" in analysis.beats else None
    k = np.clip(np.searchsorted(edges, t, "right") - 1, 0, n - 1)
    beats = np.bincount(k, minlength=n)
    rr = np.diff(t)
    ok = (rr >= RR_MIN_S) & (rr <= RR_MAX_S)
    kr = k[1:][ok]
    rr_sum = np.bincount(kr, weights=rr[ok], minlength=n)
    rr_n = np.bincount(kr, minlength=n)
    kw = np.clip(np.searchsorted(edges, ext["time_s"], "right") - 1, 0, n - 1)
    hr_lo, hr_hi = np.full(n, np.nan), np.full(n, np.nan)
    if len(kw):
        np.fmin.at(hr_lo, kw, ext["hr_bpm"])
        np.fmax.at(hr_hi, kw, ext["hr_bpm"])
    pauses = events[events["type"] == "pause"]["start_s"].to_numpy(float)
    n_pause = np.bincount(np.clip(np.searchsorted(edges, pauses, "right") - 1, 0, n - 1), minlength=n)
    ep = analysis.rhythm_episodes
    af = np.zeros(n)
    if ep is not None and len(ep) and "label" in ep:
        a = ep[ep["label"].isin(AF_LABELS)]
        af = _overlap(a["start_s"].to_numpy(float), a["end_s"].to_numpy(float), edges)
    q = analysis.quality
    noisy = np.zeros(n)
    if q is not None and len(q):
        qn = q[q["noisy"].astype(bool)]
        noisy = _overlap(qn["start_s"].to_numpy(float), qn["end_s"].to_numpy(float), edges)
    span = np.diff(edges)
    rows = []
    for i in range(n):
        mean = 60.0 * rr_n[i] / rr_sum[i] if rr_n[i] else np.nan
        cls = (lambda c: f"{int(((k == i) & (lab == c)).sum()):,}") if lab is not None else (lambda c: "–")

        def bpm(x):
            return "–" if not np.isfinite(x) else f"{x:.0f}"
        rows.append([f"{when(edges[i])}–{when(edges[i + 1])}", f"{int(beats[i]):,}", bpm(hr_lo[i]), bpm(mean),
                     bpm(hr_hi[i]), cls("V"), cls("S"), f"{int(n_pause[i]):,}",
                     f"{100 * af[i] / span[i]:.0f}", f"{100 * noisy[i] / span[i]:.0f}"])
    head = ["period", "beats", "HR min", "HR mean", "HR max", "V", "S", "pauses", "AF %", "noisy %"]
    return {"head": head, "rows": rows, "step_s": step, "step_text": name}
