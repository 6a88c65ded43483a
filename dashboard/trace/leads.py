"""Every lead at once on ECG paper: the leads stacked over one window, or a 12-lead record in
the standard print layout (3 rows x 4 columns of 2.5 s, then a 10-s rhythm strip of lead II).

One figure, one time axis, rows a fixed number of millivolts apart at the paper's true gain,
each row named at its left. In the 3x4 layout the time axis runs on through the columns, each
column showing other leads, as an electrocardiograph prints them; a tick marks each change of
lead. The beat letters of the analysis run along the top.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .grid import MAJOR_MM, MINOR_MM, paper_grid
from .points import DETAIL_POINTS, downsample
from .style import CLASS_COLOURS, PAPER

#: The print layout of a 12-lead ECG: rows of four leads, 2.5 s each.
LAYOUT_3X4 = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
RHYTHM_LEAD = "II"
COLUMN_S = 2.5
#: Millivolts between the baselines of two rows (3 cm at 10 mm/mV, as on a cart's print).
ROW_MV = 3.0
PX_PER_MM = 96 / 25.4
MARGIN = dict(l=50, r=10, t=26, b=30)


def twelve_lead_layout(lead_names: list[str]) -> list[list[int]] | None:
    """Lead indices in :data:`LAYOUT_3X4` order (rows of four), plus the rhythm lead as a last row
    of one; None unless the record has all twelve standard leads (names as I, aVR, V1... in any case)."""
    upper = {n.strip().upper().replace("LEAD ", ""): i for i, n in enumerate(lead_names)}
    try:
        rows = [[upper[name.upper()] for name in row] for row in LAYOUT_3X4]
        return rows + [[upper[RHYTHM_LEAD]]]
    except KeyError:
        return None


def _segment(x: np.ndarray, fs: float, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
    i0, i1 = max(0, int(t0 * fs)), min(len(x), int(np.ceil(t1 * fs)) + 1)
    t = np.arange(i0, i1) / fs
    y = np.asarray(x[i0:i1], dtype=np.float64)
    y = y - np.nanmedian(y) if np.isfinite(y).any() else y  # each row on its own baseline
    return downsample(t, y, DETAIL_POINTS // 4) if np.isfinite(y).all() else (t, y)


def leads_paper(signal: np.ndarray, fs: float, lead_names: list[str], start_s: float, end_s: float,
                beats: pd.DataFrame | None = None, layout: str = "stacked", gain_mm_mv: float = 10.0,
                speed_mm_s: float = 25.0) -> dict:
    """The leads of ``signal`` (n, leads) over [start_s, end_s] on paper, as a plotly figure dict.

    ``layout``: ``"stacked"`` (every lead over the whole window, in the record's order) or
    ``"12-lead"`` (:data:`LAYOUT_3X4` from ``start_s``, 10 s, then the rhythm strip; the window's
    end is then ``start_s + 10``). Lead names are record text: escape them before passing them."""
    fs = float(fs)
    if layout == "12-lead":
        rows = twelve_lead_layout(lead_names)
        if rows is None:
            raise ValueError("the 12-lead layout needs the leads I, II, III, aVR, aVL, aVF and V1-V6")
        end_s = start_s + COLUMN_S * len(LAYOUT_3X4[0])
        pieces = [[(lead, start_s + c * COLUMN_S, start_s + (c + 1) * COLUMN_S) for c, lead in enumerate(row)]
                  for row in rows[:-1]] + [[(rows[-1][0], start_s, end_s)]]
    else:
        pieces = [[(i, start_s, end_s)] for i in range(signal.shape[1])]
    data, notes = [], []
    for r, row in enumerate(pieces):
        base = -r * ROW_MV
        for lead, t0, t1 in row:
            t, y = _segment(signal[:, lead], fs, t0, t1)
            data.append(dict(type="scatter", x=t, y=(y + base).astype(np.float32), mode="lines",
                             line=dict(color="#111", width=1.0), hoverinfo="skip", showlegend=False,
                             name=lead_names[lead]))
            notes.append(dict(x=t0, y=base + 0.9, xref="x", yref="y", text=f"<b>{lead_names[lead]}</b>",
                              showarrow=False, xanchor="left", font=dict(size=11)))
            if t0 > start_s:  # a tick where the column (and the lead) changes
                data.append(dict(type="scatter", x=[t0, t0], y=[base - 0.5, base + 0.5], mode="lines",
                                 line=dict(color="#111", width=1.5), hoverinfo="skip", showlegend=False))
    top, bottom = 1.6, -(len(pieces) - 1) * ROW_MV - 1.6
    if beats is not None and len(beats):
        b = beats[(beats["time_s"] >= start_s) & (beats["time_s"] <= end_s)]
        if len(b):
            labels = b["label"].fillna("").astype(str).to_numpy()
            data.append(dict(type="scatter", x=b["time_s"].to_numpy(), y=np.full(len(b), top - 0.3), mode="text",
                             text=labels, textfont=dict(size=11, color=[CLASS_COLOURS.get(c, "#555") for c in labels]),
                             hoverinfo="skip", showlegend=False))
    px_per_mv = gain_mm_mv * PX_PER_MM
    major_mv = MAJOR_MM / gain_mm_mv
    grid = paper_grid(start_s, end_s, bottom, top, step_s=(MINOR_MM / speed_mm_s, MAJOR_MM / speed_mm_s),
                      step_mv=(MINOR_MM / gain_mm_mv, major_mv))
    width_px = int(np.ceil((end_s - start_s) * speed_mm_s * PX_PER_MM))
    ticks = np.arange(np.ceil(start_s), end_s + 1e-9, 1.0)
    layout_ = dict(plot_bgcolor=PAPER, paper_bgcolor="white", margin=MARGIN, showlegend=False, annotations=notes,
                   height=int(round((top - bottom) * px_per_mv)) + MARGIN["t"] + MARGIN["b"],
                   width=width_px + MARGIN["l"] + MARGIN["r"], dragmode="pan",
                   xaxis=dict(range=[start_s, end_s], tickvals=ticks, ticktext=[f"{v:g} s" for v in ticks],
                              zeroline=False, showgrid=False),
                   yaxis=dict(range=[bottom, top], showticklabels=False, zeroline=False, showgrid=False,
                              fixedrange=True))
    return {"data": grid + data, "layout": layout_,
            "meta": {"rows": [[lead_names[p[0]] for p in row] for row in pieces], "end_s": end_s}}
