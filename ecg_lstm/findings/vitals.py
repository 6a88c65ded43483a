"""Vitals of a record: heart rate, RR statistics, HRV and beat-class counts.

:func:`ecg_vitals` returns one flat, JSON-ready dict (plain ``int``/``float``/
``list``/``dict``, ``None`` where a value is not computable, never NaN) with
the unit in every key name.

Conventions (all documented in the keys' docstring of :func:`ecg_vitals`):

* Heart rate and RR statistics use **all** beats (normal and ectopic, since
  every beat is a heart beat) but only intervals in the physiological range
  0.2-3.0 s; longer gaps are pauses or signal loss and are reported by
  :func:`ecg_lstm.findings.events.detect_events`, not averaged in.
* HR min/max are over the median RR of 10 consecutive beats, so one
  missed or extra beat cannot produce a silly extreme (Holter practice
  reports min/max over a few-beat or one-minute average).
* HRV uses NN intervals only (Task Force 1996), see :mod:`ecg_lstm.findings.hrv`: both
  beats labelled N (every interval when unlabelled), 0.2-3.0 s, and within
  20 % of the median of the 11 surrounding candidate intervals (drops missed
  and extra detections and unlabelled ectopic beats). Frequency domain: Welch
  on the NN series resampled at 4 Hz, needing >= 2 min of NN data and a 5-min
  segment 80 % covered by NN intervals (else ``frequency_domain_reason`` says
  why), and the whole-record Lomb-Scargle estimate (``lomb_*``, no
  interpolation, as PhysioNet's HRV toolkit). SDANN and SDNN index need >= 3
  complete five-minute windows, each 80 % covered by NN intervals.
* Whether HRV means anything for the record (sinus rhythm, enough NN
  intervals) is :func:`ecg_lstm.findings.hrv.hrv_applicability`, which needs the
  rhythm episodes; :func:`ecg_lstm.analyze.analyze_record` adds its answer
  (``hrv_applicable``, ``hrv_not_applicable_reason``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage

from ..beats.aami import CLASSES
from ..errors import RecordError
from ..signal.checks import check_fs
from .hrv import RR_MAX_S, RR_MIN_S, hrv_frequency, hrv_lomb, hrv_time, nn_mask, rounded

#: Consecutive intervals in the window behind HR min/max (9 intervals = 10 beats;
#: odd, so the median is one interval).
HR_WINDOW_INTERVALS = 9
#: Fewest intervals in a minute for that minute's HR in the trend.
TREND_MIN_INTERVALS = 3


def ecg_vitals(peaks, fs: float, labels=None, n_samples: int | None = None, *, memo: dict | None = None) -> dict:
    """Heart rate, RR, HRV and beat counts from beat positions.

    Parameters
    ----------
    peaks : beat positions (samples), strictly increasing non-negative integers.
    fs : sampling rate (Hz) of ``peaks``.
    labels : optional class per beat, one of N/S/V/F/Q, or ``""``/None for a
        beat left unclassified. With labels, HRV uses only intervals between two
        N beats; without, every interval (``nn_source`` says which).
    n_samples : record length (samples); sets ``duration_s`` and the length
        of the per-minute trend (default: up to the last beat).
    memo : optional dict kept between calls on the same beats: the HRV figures (time and
        frequency domain, the costly part of a day of beats) are reused while the NN intervals
        are the ones they came from, e.g. when a correction turns one ectopic beat into another.

    Returns
    -------
    dict with

    * ``n_beats``, ``duration_s``
    * ``hr_mean_bpm`` (60 / mean RR), ``hr_min_bpm``, ``hr_max_bpm`` (extremes of
      60 / median RR over 10 consecutive beats, i.e. 9 intervals), ``hr_trend``: list of
      ``{"minute": i, "hr_bpm": x}`` (60 / median RR of the intervals ending in
      minute ``i``; None with fewer than 3)
    * ``rr_mean_ms``, ``rr_median_ms``, ``rr_min_ms``, ``rr_max_ms``, ``rr_sd_ms``,
      ``n_rr_excluded`` (intervals outside 0.2-3.0 s)
    * ``nn_source``, ``n_nn_intervals``, ``nn_mean_ms``, ``sdnn_ms``, ``rmssd_ms``,
      ``sdsd_ms``, ``nn50_count``, ``pnn50_pct``, ``sdann_ms``, ``sdnn_index_ms``,
      ``n_sdann_windows`` (complete 5-min windows 80 % covered by NN intervals)
    * ``vlf_ms2``, ``lf_ms2``, ``hf_ms2``, ``total_power_ms2``, ``lf_hf_ratio``,
      ``lf_nu``, ``hf_nu``, ``hrv_frequency_method`` (Welch; None under 2 min of
      NN data or with no 5-min segment 80 % covered), ``frequency_domain_reason``
      (why they are None; None when given)
    * ``lomb_vlf_ms2``, ``lomb_lf_ms2``, ``lomb_hf_ms2``, ``lomb_total_power_ms2``,
      ``lomb_lf_hf_ratio``, ``lomb_lf_nu``, ``lomb_hf_nu``, ``hrv_lomb_method``,
      ``lomb_reason``: the whole-record Lomb-Scargle estimate (None under 2 min)
    * ``beat_counts`` ({N, S, V, F, Q, unclassified} or None without labels),
      ``v_burden_pct``, ``s_burden_pct``, ``ectopic_burden_pct`` (share of
      classified beats; None without labels)

    Values are None where not computable: fewer than 2 beats, no interval in
    range, too little NN data. Invalid input raises :class:`SamplingRateError`
    (``fs`` not a positive number) or :class:`RecordError` (peaks not sorted
    integers, labels of the wrong length or unknown class, ``n_samples`` too small).
    """
    fs = check_fs(fs)
    peaks = _check_peaks(peaks)
    lab = _check_labels(labels, len(peaks))
    if n_samples is not None:
        n_samples = int(n_samples)
        if len(peaks) and peaks[-1] >= n_samples:
            raise RecordError(f"a beat lies at sample {int(peaks[-1])}, beyond the record's {n_samples} samples; "
                              "give peaks and n_samples of the same record")
    end = n_samples if n_samples is not None else (int(peaks[-1]) + 1 if len(peaks) else 0)

    rr_s = np.diff(peaks) / fs
    t_s = peaks[1:] / fs  # time of the beat that ends each interval
    ok = (rr_s >= RR_MIN_S) & (rr_s <= RR_MAX_S)
    out = {"n_beats": int(len(peaks)), "duration_s": rounded(end / fs)}
    out.update(_heart_rate(rr_s[ok], t_s[ok], end / fs))
    out["n_rr_excluded"] = int((~ok).sum())

    normal = None if lab is None else lab == "N"
    out["nn_source"] = "all beats (unlabelled)" if lab is None else "N-N intervals (labelled)"
    keep = nn_mask(rr_s, normal)
    rr_ms = rr_s * 1000.0
    if memo is not None and _same(memo.get("peaks"), peaks) and _same(memo.get("keep"), keep) \
            and memo.get("end") == end and memo.get("fs") == fs:
        hrv = memo["hrv"]
    else:
        hrv = {**hrv_time(rr_ms, keep, t_s, duration_s=end / fs), **hrv_frequency(rr_ms, keep, t_s),
               **hrv_lomb(rr_ms, keep, t_s)}
        if memo is not None:
            memo.update(peaks=peaks, keep=keep, end=end, fs=fs, hrv=hrv)
    out.update(hrv)
    out.update(_beat_counts(lab))
    return out


def _same(a, b) -> bool:
    return a is not None and len(a) == len(b) and np.array_equal(a, b)


def _heart_rate(rr: np.ndarray, t: np.ndarray, duration_s: float) -> dict:
    """HR mean/min/max, per-minute trend and RR statistics of in-range intervals (s)."""
    n_min = int(np.ceil(duration_s / 60.0))
    out = dict.fromkeys(("hr_mean_bpm", "hr_min_bpm", "hr_max_bpm"))
    out["hr_trend"] = [{"minute": i, "hr_bpm": None} for i in range(n_min)]
    out.update(dict.fromkeys(("rr_mean_ms", "rr_median_ms", "rr_min_ms", "rr_max_ms", "rr_sd_ms")))
    if len(rr) == 0:
        return out
    if len(rr) >= HR_WINDOW_INTERVALS:
        half = HR_WINDOW_INTERVALS // 2
        win = ndimage.median_filter(rr, size=HR_WINDOW_INTERVALS, mode="nearest")[half:len(rr) - half]
    else:
        win = np.array([np.median(rr)])
    out.update({"hr_mean_bpm": rounded(60.0 / rr.mean()), "hr_min_bpm": rounded(60.0 / win.max()),
                "hr_max_bpm": rounded(60.0 / win.min())})
    # Median RR per minute, vectorised: sort by (minute, RR) and take the middle.
    minute = np.minimum((t // 60.0).astype(np.int64), n_min - 1)
    # One float key sorts by minute, then RR (RR <= 3 s < 10): faster than lexsort.
    count = np.bincount(minute, minlength=n_min)
    srt = np.sort(minute * 10.0 + rr) - np.repeat(np.arange(n_min) * 10.0, count)
    first = np.cumsum(count) - count
    good = np.flatnonzero(count >= TREND_MIN_INTERVALS)
    med = 0.5 * (srt[first[good] + (count[good] - 1) // 2] + srt[first[good] + count[good] // 2])
    for i, m in zip(good.tolist(), med.tolist()):
        out["hr_trend"][i]["hr_bpm"] = rounded(60.0 / m, 2)
    ms = rr * 1000.0
    out.update({"rr_mean_ms": rounded(ms.mean()), "rr_median_ms": rounded(np.median(ms)),
                "rr_min_ms": rounded(ms.min()), "rr_max_ms": rounded(ms.max()),
                "rr_sd_ms": rounded(ms.std(ddof=1)) if len(ms) > 1 else None})
    return out


def _beat_counts(lab: np.ndarray | None) -> dict:
    """Beats per class and ectopic burden (% of classified beats)."""
    if lab is None:
        return {"beat_counts": None, "v_burden_pct": None, "s_burden_pct": None, "ectopic_burden_pct": None}
    counts = {c: int(np.sum(lab == c)) for c in CLASSES}
    counts["unclassified"] = int(np.sum(lab == ""))
    n = len(lab) - counts["unclassified"]
    pct = (lambda k: rounded(100.0 * k / n)) if n else (lambda k: None)
    return {"beat_counts": counts, "v_burden_pct": pct(counts["V"]), "s_burden_pct": pct(counts["S"]),
            "ectopic_burden_pct": pct(counts["V"] + counts["S"])}


def _check_peaks(peaks) -> np.ndarray:
    arr = np.asarray(peaks)
    if arr.ndim != 1:
        raise RecordError(f"peaks must be a 1-D array of sample numbers, got shape {arr.shape}")
    if arr.size == 0:
        return arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise RecordError("peaks must be integer sample numbers")
    if np.issubdtype(arr.dtype, np.floating) and (not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr))):
        raise RecordError("peaks must be whole sample numbers (no NaN or fractions); round them first")
    arr = arr.astype(np.int64)
    if arr[0] < 0:
        raise RecordError("peaks must be non-negative sample numbers")
    if np.any(np.diff(arr) <= 0):
        raise RecordError("peaks must be strictly increasing; sort them and drop duplicates, e.g. np.unique(peaks)")
    return arr


def _check_labels(labels, n: int) -> np.ndarray | None:
    if labels is None:
        return None
    # pd.isna and pd.unique are vectorised and hash-based: fast on 100k labels.
    lab = np.asarray(labels)
    if lab.dtype.kind != "U":  # object arrays, lists with None/NaN for unclassified
        lab = np.asarray(labels, dtype=object).ravel()
        lab = np.where(pd.isna(lab), "", lab).astype(str) if len(lab) else np.zeros(0, dtype=str)
    lab = lab.ravel()
    if len(lab) != n:
        raise RecordError(f"labels has {len(lab)} entries for {n} peaks; give one label per beat")
    bad = set(pd.unique(lab).tolist()) - set(CLASSES) - {""}
    if bad:
        raise RecordError(f"unknown beat labels {sorted(bad)[:5]}; use N, S, V, F, Q or '' (unclassified)")
    return lab
