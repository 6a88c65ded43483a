"""The review's small multiples: the median beat of each template, and a few seconds of ECG
around single beats."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.time_format import hms

from .style import CLASS_COLOURS, CLASS_DASHES, CLASS_SYMBOLS, PAPER

#: Templates drawn in the overview grid (all are in the table).
GRID_TEMPLATES = 12
#: Seconds of ECG each side of a beat in a strip.
STRIP_HALF_S = 1.5


def template_grid(tab: pd.DataFrame, templates) -> go.Figure:
    """Median beat of each template (small multiples), coloured and dashed by its label.

    ``tab``: one row per template (``template``, ``count``, ``label``; see
    ``ecg_lstm.review.template_view``), the first ``GRID_TEMPLATES`` drawn; ``templates``: the
    record's :class:`~ecg_lstm.classifier.templates.Templates` (median waves, time axis)."""
    tab = tab.head(GRID_TEMPLATES)
    cols = 4
    rows = max(1, -(-len(tab) // cols))
    titles = [f"T{t} · {n:,} beats · {lab}" for t, n, lab in zip(tab["template"], tab["count"], tab["label"])]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.04, vertical_spacing=0.12)
    x = templates.time_axis_s() * 1000.0
    for i, (t, lab) in enumerate(zip(tab["template"], tab["label"])):
        fig.add_trace(go.Scatter(x=x, y=templates.medians[int(t)], mode="lines", showlegend=False,
                                 line=dict(color=CLASS_COLOURS.get(lab, "#616161"), width=2,
                                           dash=CLASS_DASHES.get(lab, "solid")),
                                 hovertemplate=f"T{t}: %{{x:.0f}} ms<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(showticklabels=False, zeroline=True, zerolinecolor="#bbb")
    fig.update_yaxes(showticklabels=False, zeroline=False)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=150 * rows + 30, margin=dict(l=5, r=5, t=30, b=5), plot_bgcolor=PAPER)
    return fig


def beat_strips(analysis, beat_idx: list[int], height: int = 170) -> go.Figure:
    """A few seconds of ECG around each beat (rows ``beat_idx`` of ``analysis.beats``; mV of the
    analysed lead), the beat marked with its label; ``height`` in px."""
    rec, lead = analysis.record, analysis.lead_index
    ecg = rec.signal[:, lead]
    beats = analysis.beats
    n = max(1, len(beat_idx))
    fig = make_subplots(rows=1, cols=n, horizontal_spacing=0.03)
    for j, b in enumerate(beat_idx):
        s = int(beats["sample"].iloc[b])
        i0, i1 = max(0, s - int(STRIP_HALF_S * rec.fs)), min(len(ecg), s + int(STRIP_HALF_S * rec.fs))
        t = np.arange(i0, i1) / rec.fs
        fig.add_trace(go.Scatter(x=t, y=ecg[i0:i1], mode="lines", line=dict(color="#111", width=1), showlegend=False,
                                 hoverinfo="skip"), row=1, col=j + 1)
        ticks = np.arange(np.ceil(i0 / rec.fs), i1 / rec.fs, 1.0)
        fig.update_xaxes(tickvals=ticks, ticktext=[hms(v) for v in ticks], row=1, col=j + 1)
        lab = str(beats["label"].iloc[b] or "?")
        fig.add_trace(go.Scatter(x=[s / rec.fs], y=[float(np.nan_to_num(ecg[s]))], mode="markers+text", text=[lab],
                                 textposition="top center", showlegend=False, cliponaxis=False,
                                 textfont=dict(color=CLASS_COLOURS.get(lab, "#616161"), size=14),
                                 marker=dict(color=CLASS_COLOURS.get(lab, "#616161"), size=9,
                                             symbol=CLASS_SYMBOLS.get(lab, "cross")),
                                 hovertemplate=f"beat {b} at %{{x:.2f}} s<extra></extra>"), row=1, col=j + 1)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=25, b=25), plot_bgcolor=PAPER)
    return fig
