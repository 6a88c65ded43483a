"""Rate and conduction events from RR intervals: bradycardia, tachycardia, pauses, and the
second-degree AV block pattern."""
from __future__ import annotations

import bisect

import numpy as np
from scipy import ndimage

from ...signal.spans import runs
from ..hrv import RR_MAX_S
from .rules import duration_text, mean_rate


def rate_events(samples, fs, rules, ev, in_run, noisy):
    """pause, bradycardia and tachycardia from RR intervals."""
    if len(samples) < 2:
        return
    rr = np.diff(samples) / fs
    for i in np.flatnonzero(rr > rules.pause_s):
        if noisy is not None and noisy[i:i + 2].any():
            continue
        ev.append(("pause", samples[i], samples[i + 1], 2, f"Pause of {rr[i]:.1f} s"))
    size = max(1, min(rules.rate_median_beats, len(rr)))
    hr = 60.0 / ndimage.median_filter(rr, size=size, mode="nearest")
    run_iv = in_run[:-1] | in_run[1:]  # intervals touching an ectopic run
    # Gaps longer than any physiological RR (no beats found: signal loss, or
    # ventricular flutter waves that are not beats) are not bradycardia.
    for kind, cond, word in (("bradycardia", (hr < rules.brady_bpm) & (rr <= RR_MAX_S), "below"),
                             ("tachycardia", (hr > rules.tachy_bpm) & ~run_iv, "above")):
        for s, n in zip(*runs(cond)):
            first, last = s, s + n  # beats around intervals s..s+n-1
            dur = (samples[last] - samples[first]) / fs
            if dur < rules.rate_min_s or n + 1 < rules.rate_min_beats:
                continue
            if noisy is not None and noisy[first:last + 1].mean() > rules.noisy_overlap:
                continue
            thr = rules.brady_bpm if kind == "bradycardia" else rules.tachy_bpm
            ev.append((kind, samples[first], samples[last], int(n + 1),
                       f"{kind.capitalize()}: {mean_rate(samples, first, last, fs):.0f} bpm average "
                       f"({word} {thr:.0f} bpm) for {duration_text(dur)}"))


def av_block(samples, labels, fs, rules, ev, excluded):
    """``av_block2`` events: beats dropped from a regular sinus rhythm.

    A running sinus cycle is the median of the last 8 accepted intervals
    between normal beats (unlabelled beats count as normal).  An interval of
    ``rules.block_ratio`` times it is a dropped beat, and adds half its length
    to the running cycle: in 2:1 block the atria keep their rate, so a long
    run of doubled intervals stays a block and does not become the new
    normal.  Intervals touching an ectopic beat, AF or noisy signal
    (``excluded``) are skipped.  P waves are not checked, so sinoatrial exit
    block looks the same; the description says "pattern".
    """
    if len(samples) < 10:
        return
    rr = np.diff(samples) / fs
    normal = np.isin(labels, ["N", ""])
    ok = normal[:-1] & normal[1:] & ~excluded[:-1] & ~excluded[1:] & (rr <= RR_MAX_S)
    lo, hi = rules.block_ratio
    recent: list[float] = []  # the cycle's intervals in arrival order, and the same sorted:
    ranked: list[float] = []  # the median is read off the sorted copy (a day holds 100,000 intervals)
    dropped = []
    for i in np.flatnonzero(ok).tolist():  # a Python loop: only normal intervals, a few per second
        r = float(rr[i])
        if len(recent) >= 4:
            m = len(ranked) // 2
            base = ranked[m] if len(ranked) % 2 else (ranked[m - 1] + ranked[m]) / 2  # statistics.median's
            ratio = r / base
            if lo <= ratio <= hi:
                dropped.append(i)
                r = r / 2
            elif not 0.7 <= ratio <= 1.3:
                continue  # a sudden change that is no dropped beat is left out of the cycle
        recent.append(r)
        bisect.insort(ranked, r)
        if len(recent) > 8:
            del ranked[bisect.bisect_left(ranked, recent.pop(0))]
    if len(dropped) < rules.block_min_dropped:
        return
    d = np.asarray(dropped)
    gap = np.diff(samples[d]) / fs > rules.block_gap_s
    for grp in np.split(d, np.flatnonzero(gap) + 1):
        if len(grp) < rules.block_min_dropped:
            continue
        a, b = grp[0], grp[-1] + 1
        dur = (samples[b] - samples[a]) / fs
        ev.append(("av_block2", samples[a], samples[b], int(b - a + 1),
                   f"Second-degree AV block pattern: {len(grp)} dropped beats (RR about twice the sinus cycle) "
                   f"over {duration_text(dur)}, {mean_rate(samples, a, b, fs):.0f} bpm average"))
