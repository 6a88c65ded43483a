"""What the ECG paper marks on the trace: the model's label of each beat above the signal, the
reference annotations under it, and which letters are written where they would crowd.
"""
from __future__ import annotations

import bisect

import numpy as np
import pandas as pd

from .style import CLASS_COLOURS, CLASS_NAMES


def thin_labels(times: np.ndarray, priority: np.ndarray, min_gap_s: float) -> np.ndarray:
    """Mask of the labels to write so that no two are closer than ``min_gap_s``.

    Labels are taken in order of ``priority`` (higher first; ties by time), each kept
    only if no label already kept lies within ``min_gap_s``: at a wide window the
    ectopic beats keep their letters and the normal ones between them give way.
    """
    times = np.asarray(times, dtype=np.float64)
    keep = np.zeros(len(times), dtype=bool)
    if not len(times):
        return keep
    if min_gap_s <= 0 or len(times) == 1:
        keep[:] = True
        return keep
    order = np.lexsort((times, -np.asarray(priority, dtype=np.float64)))
    taken: list[float] = []
    for i in order:
        t = times[i]
        j = bisect.bisect_left(taken, t)
        if (j == 0 or t - taken[j - 1] >= min_gap_s) and (j == len(taken) or taken[j] - t >= min_gap_s):
            taken.insert(j, t)
            keep[i] = True
    return keep


def label_priority(labels: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Ectopic and unsure beats first: a normal, confident beat's letter says least."""
    unsure = np.where(np.isfinite(conf), 1.0 - conf, 0.0)
    return (labels != "N").astype(np.float64) * 2.0 + unsure


def beat_traces(beats: pd.DataFrame, ecg: np.ndarray, i0: int, i1: int, y_mark: float, px_per_s: float,
                min_gap_s: float, selected: int | None = None) -> tuple[list[dict], dict]:
    """Markers of the beats between samples ``i0`` and ``i1``: the class letter on a row at
    ``y_mark`` (mV; letters thinned to ``min_gap_s`` s apart), a dot on the signal, and a ring
    around row ``selected`` of ``beats``. Each marker carries its row in ``beats`` (``customdata``)
    for click selection. ``px_per_s``: the window's scale, to size the markers.

    Returns (trace dicts, {time rounded to 10 ms: label}) for the reference row to compare with."""
    data: list[dict] = []
    s = beats["sample"].to_numpy(np.int64)
    rows = np.flatnonzero((s >= i0) & (s < i1))
    if not len(rows):
        return data, {}
    b = beats.iloc[rows]
    samples = b["sample"].to_numpy(np.int64)
    with np.errstate(all="ignore"):
        amp = np.asarray(ecg[samples], dtype=np.float64)
        amp = np.where(np.abs(amp) < 3e38, amp, np.nan)
    labels = b["label"].fillna("").astype(str).to_numpy()
    conf = b["confidence"].to_numpy(float) if "confidence" in b else np.full(len(b), np.nan)
    times = b["time_s"].to_numpy(float)
    label_at = dict(zip(np.round(times, 2), labels))
    written = thin_labels(times, label_priority(labels, conf), min_gap_s)
    spacing_px = np.median(np.diff(times)) * px_per_s if len(times) > 1 else np.inf
    mark_size = 9 if spacing_px >= 14 else 6
    for c in pd.unique(labels):
        m = labels == c
        hover = [f"{CLASS_NAMES.get(c, c)} ({c or '?'})<br>confidence {cf:.2f}<br>t = {x:.3f} s"
                 if np.isfinite(cf) else f"beat<br>t = {x:.3f} s" for cf, x in zip(conf[m], times[m])]
        col = CLASS_COLOURS.get(c, "#616161")
        text = np.where(written[m], c or "?", "")
        data.append(dict(type="scatter", x=times[m], y=np.full(int(m.sum()), y_mark), mode="markers+text",
                         text=text.tolist(), textposition="top center", customdata=rows[m],
                         textfont=dict(color=col, size=11), marker=dict(color=col, size=mark_size,
                                                                       symbol="triangle-down"),
                         # A click selects a beat (ringed on the next draw); the others stay as they are.
                         unselected=dict(marker=dict(opacity=1), textfont=dict(color=col)),
                         name=f"{c or '?'}: {CLASS_NAMES.get(c, c)}", hovertext=hover, hoverinfo="text"))
        data.append(dict(type="scatter", x=times[m], y=amp[m], mode="markers", customdata=rows[m],
                         marker=dict(color=col, size=6, line=dict(width=1, color="white")),
                         unselected=dict(marker=dict(opacity=1)),
                         hovertext=hover, hoverinfo="text", showlegend=False))
    if selected is not None and selected in set(rows.tolist()):
        k = int(np.flatnonzero(rows == selected)[0])
        data.append(dict(type="scatter", x=[times[k]], y=[amp[k] if np.isfinite(amp[k]) else y_mark],
                         mode="markers", hoverinfo="skip", showlegend=False, name="selected beat",
                         marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(width=2, color="#0d47a1"))))
    return data, label_at


def reference_traces(reference: pd.DataFrame, t0: float, t1: float, y: float, model_labels: dict,
                     min_gap_s: float) -> list[dict]:
    """Reference beat letters (AAMI class) on a row at ``y`` (mV) under the trace, between ``t0``
    and ``t1`` (s): grey where the model agrees, red where its label differs or it has no beat
    there (within 0.15 s). ``model_labels``: {time (s): the model's label}."""
    r = reference[(reference["time_s"] >= t0) & (reference["time_s"] < t1)]
    if not len(r):
        return []
    times = r["time_s"].to_numpy(float)
    labels = r["label"].astype(str).to_numpy()
    symbols = r["symbol"].astype(str).to_numpy() if "symbol" in r else labels
    model_t = np.array(sorted(model_labels)) if model_labels else np.zeros(0)
    differs = np.ones(len(r), dtype=bool) if model_labels else np.zeros(len(r), dtype=bool)
    if len(model_t):
        j = np.clip(np.searchsorted(model_t, times), 1, len(model_t)) - 1
        j = np.where((j + 1 < len(model_t)) & (np.abs(model_t[np.minimum(j + 1, len(model_t) - 1)] - times)
                                             < np.abs(model_t[j] - times)), j + 1, j)
        near = np.abs(model_t[j] - times) <= 0.15
        differs = ~near | (np.array([model_labels[k] for k in model_t[j]]) != labels)
    written = thin_labels(times, differs.astype(float), min_gap_s)
    out = []
    for flag, col, name in ((False, "#424242", "reference"), (True, "#b71c1c", "reference ≠ model")):
        m = differs == flag
        if not m.any():
            continue
        hover = [f"reference {s} ({lab})<br>t = {x:.3f} s" for s, lab, x in zip(symbols[m], labels[m], times[m])]
        out.append(dict(type="scatter", x=times[m], y=np.full(int(m.sum()), y), mode="markers+text",
                        text=np.where(written[m], labels[m], "").tolist(), textposition="bottom center",
                        textfont=dict(color=col, size=11), name=name, hovertext=hover, hoverinfo="text",
                        marker=dict(color=col, size=7, symbol="triangle-up")))
    return out
