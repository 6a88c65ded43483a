"""Which ECG strips the report prints: those the technician chose, else the most significant by a
stated rule (:data:`STRIP_RULE`), never in noisy signal.

A strip is a window of :data:`STRIP_S` seconds (one row at 25 mm/s across A4 or Letter);
a window the technician chose may be longer, and is then printed in rows of that length.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .content import clock, plain_field

#: Seconds of one strip row: 175 mm at 25 mm/s, inside the margins of A4 (186 mm) and Letter.
STRIP_S = 7.0
#: Longest window (s) the technician may choose for one strip (its rows follow each other).
MAX_CHOSEN_S = 60.0
#: How many AF / flutter onsets and ventricular flutter episodes get a strip.
MAX_AF_ONSETS, MAX_VFLUTTER = 3, 2
#: The rule, as printed under the strips' heading.
STRIP_RULE = ("the longest pause; the fastest ventricular run; the fastest supraventricular run; "
              f"each ventricular flutter / fibrillation episode (the first {MAX_VFLUTTER}); "
              f"the onset of each atrial fibrillation / flutter episode (the first {MAX_AF_ONSETS}); "
              "the highest and the lowest heart rate. None lies in noisy signal (ventricular flutter aside: the "
              "noise measure takes its waves for noise); where one would, the next of its kind is shown (the next "
              "longest pause, the next fastest run, the next highest rate).")


@dataclass
class Strip:
    """One strip: the window drawn (``start_s`` to ``end_s``), the span marked on it (``mark``:
    the event, or None), its caption, and whether the technician chose it."""

    start_s: float
    end_s: float
    caption: str
    mark: tuple[float, float] | None = None
    chosen: bool = False


def noisy_spans(quality: pd.DataFrame | None) -> np.ndarray:
    """The noisy stretches of the record, (start_s, end_s) rows, merged and sorted."""
    if quality is None or not len(quality) or "noisy" not in quality:
        return np.zeros((0, 2))
    q = quality[quality["noisy"].astype(bool)].sort_values("start_s")
    spans: list[list[float]] = []
    for a, b in zip(q["start_s"].to_numpy(float), q["end_s"].to_numpy(float)):
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return np.asarray(spans, float).reshape(-1, 2)


def in_noise(spans: np.ndarray, a, b) -> np.ndarray:
    """Whether each window (a, b) overlaps a noisy span (vectorised over ``a``, ``b``)."""
    a, b = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
    if not len(spans):
        return np.zeros(len(a), bool)
    # The first span ending after a starts before b: overlap.
    k = np.searchsorted(spans[:, 1], a, "right")
    return (k < len(spans)) & (spans[np.minimum(k, len(spans) - 1), 0] < b)


def _place(a: float, b: float, dur: float, spans: np.ndarray, lead_s: float | None = None) -> float | None:
    """Start of a clean window showing the event (a, b): centred on a short event (or ``lead_s``
    before its start), else starting 1 s before it; shifted up to a window's length to leave noise;
    None when no clean window shows the event's start."""
    if lead_s is not None:
        want = a - lead_s
    elif b - a <= STRIP_S - 1.0:
        want = 0.5 * (a + b) - STRIP_S / 2
    else:
        want = a - 1.0
    hi = max(0.0, dur - STRIP_S)
    shifts = np.r_[0.0, np.ravel(np.c_[np.arange(0.5, STRIP_S, 0.5), -np.arange(0.5, STRIP_S, 0.5)])]
    starts = np.clip(want + shifts, 0.0, hi)
    keep = (starts <= a) & (starts + STRIP_S >= min(b, a + 0.5))  # the event's start stays in view
    starts = starts[keep]
    if not len(starts):
        return None
    clean = ~in_noise(spans, starts, starts + STRIP_S)
    return float(starts[np.argmax(clean)]) if clean.any() else None


def chosen_strips(record, chosen) -> list[Strip]:
    """The technician's strips, ``[(start_s, end_s, caption), ...]``, inside the record and at most
    :data:`MAX_CHOSEN_S` long each, in the order given."""
    dur = float(record.duration_s)
    out = []
    for item in chosen or []:
        a, b, caption = (list(item) + [""])[:3]
        a, b = float(a), float(b)
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        a = min(max(a, 0.0), dur)
        b = min(max(b, a + 1.0), dur, a + MAX_CHOSEN_S)
        if b <= a:
            continue
        text = plain_field(caption) or "Strip"
        out.append(Strip(a, b, f"{text} ({clock(record, a)})", mark=None, chosen=True))
    return out


def rule_strips(analysis, events: pd.DataFrame, ext: dict) -> list[Strip]:
    """The strips of :data:`STRIP_RULE`, in its order. ``events``: the events counted (rejected ones
    left out); ``ext``: :func:`ecg_lstm.report.periods.hr_extremes` of the beats."""
    rec = analysis.record
    dur = float(rec.duration_s)
    spans = noisy_spans(analysis.quality)
    ev = events if events is not None else pd.DataFrame(columns=["type", "start_s", "end_s", "noisy"])
    noisy = ev["noisy"].astype(bool) if "noisy" in ev else pd.Series(False, index=ev.index)
    ev = ev[~noisy.to_numpy(bool)]
    out: list[Strip] = []

    def when(t):
        return clock(rec, t)

    def first_clean(rows, caption, lead_s=None, limit=1, noise=spans):
        n = 0
        for k, r in enumerate(rows.itertuples()):
            start = _place(float(r.start_s), float(r.end_s), dur, noise, lead_s)
            if start is None:
                continue
            out.append(Strip(start, min(dur, start + STRIP_S), caption(r, k), (float(r.start_s), float(r.end_s))))
            n += 1
            if n >= limit:
                return

    pauses = ev[ev["type"] == "pause"]
    pauses = pauses.iloc[np.argsort(-(pauses["end_s"] - pauses["start_s"]).to_numpy(float), kind="stable")]
    first_clean(pauses, lambda r, k: f"{'Longest pause' if k == 0 else 'Longest pause outside noisy signal'}: "
                f"{r.end_s - r.start_s:.1f} s at {when(r.start_s)}")
    for types, name in ((("vt", "ivr"), "ventricular"), (("svt_run",), "supraventricular")):
        runs = ev[ev["type"].isin(types)]
        if len(runs):
            span = (runs["end_s"] - runs["start_s"]).to_numpy(float)
            rate = np.where(span > 0, 60.0 * (runs["n_beats"].to_numpy(float) - 1) / np.where(span > 0, span, 1), 0)
            runs = runs.assign(rate=rate).iloc[np.argsort(-rate, kind="stable")]
            first_clean(runs, lambda r, k, name=name: f"Fastest {name} run: {int(r.n_beats)} beats at "
                        f"{r.rate:.0f} bpm, {when(r.start_s)}")
    first_clean(ev[ev["type"] == "vflutter"], lambda r, k: f"Ventricular flutter / fibrillation from {when(r.start_s)}",
                lead_s=2.0, limit=MAX_VFLUTTER, noise=np.zeros((0, 2)))  # flutter waves read as noise
    af = ev[ev["type"].isin(["afib", "aflutter"])]
    first_clean(af, lambda r, k: f"Onset of {'atrial flutter' if r.type == 'aflutter' else 'atrial fibrillation'} "
                f"at {when(r.start_s)}", lead_s=3.0, limit=MAX_AF_ONSETS)
    t, hr = ext["time_s"], ext["hr_bpm"]
    if len(t):
        clean = ~in_noise(spans, np.clip(t - STRIP_S / 2, 0, None), t + STRIP_S / 2)
        for sign, word in ((-1.0, "Highest"), (1.0, "Lowest")):
            if not clean.any():
                break
            order = np.argsort(sign * hr, kind="stable")
            k = order[np.argmax(clean[order])]
            target = ext["hr_max_bpm"] if sign < 0 else ext["hr_min_bpm"]
            label = f"{word} heart rate" if target is not None and abs(hr[k] - target) < 0.5 else \
                f"{word} heart rate outside noisy signal"
            start = float(np.clip(t[k] - STRIP_S / 2, 0.0, max(0.0, dur - STRIP_S)))
            out.append(Strip(start, min(dur, start + STRIP_S), f"{label}: {hr[k]:.0f} bpm (10 beats) at {when(t[k])}",
                             (float(t[k]), float(t[k]))))
    return _merge(out)


def _merge(strips: list[Strip]) -> list[Strip]:
    """Strips whose windows overlap by more than half: one strip with both captions."""
    out: list[Strip] = []
    for s in strips:
        for o in out:
            if min(o.end_s, s.end_s) - max(o.start_s, s.start_s) > 0.5 * (s.end_s - s.start_s):
                o.caption += "; " + s.caption[0].lower() + s.caption[1:]
                break
        else:
            out.append(s)
    return out


def report_strips(analysis, events: pd.DataFrame, ext: dict, chosen=None) -> tuple[list[Strip], str]:
    """The strips to print and the sentence saying how they were chosen: the technician's
    (``chosen``: ``[(start_s, end_s, caption)]``) when there are any, else :func:`rule_strips`."""
    picked = chosen_strips(analysis.record, chosen)
    if picked:
        return picked, f"{len(picked)} strip{'s' if len(picked) > 1 else ''} chosen by the technician."
    return rule_strips(analysis, events, ext), "Strips chosen by rule: " + STRIP_RULE
