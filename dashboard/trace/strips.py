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
    """Median beat of each template (small multiples), coloured and dashed by its label, all at one
    scale: one amplitude axis for every template (in units of the record's median R wave, as the
    templates are made) and one time axis in ms from the R peak, so that a wide or tall beat looks
    wide or tall beside the others. A click on a template selects it (its points carry its id).

    ``tab``: one row per template (``template``, ``count``, ``label``; see
    ``ecg_lstm.review.template_view``), the first ``GRID_TEMPLATES`` drawn; ``templates``: the
    record's :class:`~ecg_lstm.classifier.templates.Templates` (median waves, time axis)."""
    tab = tab.head(GRID_TEMPLATES)
    cols = 4
    rows = max(1, -(-len(tab) // cols))
    titles = [f"T{t} · {n:,} beats · {lab}" for t, n, lab in zip(tab["template"], tab["count"], tab["label"])]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.04, vertical_spacing=0.12,
                        shared_xaxes="all", shared_yaxes="all")
    x = templates.time_axis_s() * 1000.0
    waves = [templates.medians[int(t)] for t in tab["template"]]
    lo = min((float(np.nanmin(w)) for w in waves), default=-1.0)
    hi = max((float(np.nanmax(w)) for w in waves), default=1.0)
    pad = 0.08 * (hi - lo or 1.0)
    for i, (t, lab, w) in enumerate(zip(tab["template"], tab["label"], waves)):
        fig.add_trace(go.Scatter(x=x, y=w, mode="lines+markers", showlegend=False,
                                 line=dict(color=CLASS_COLOURS.get(lab, "#616161"), width=2,
                                           dash=CLASS_DASHES.get(lab, "solid")),
                                 marker=dict(size=8, opacity=0), customdata=np.full(len(x), int(t)),
                                 selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=1)),
                                 hovertemplate=f"T{t}: %{{x:.0f}} ms (click to select)<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(tickvals=[-200, 0, 200, 400], ticksuffix=" ms", tickfont=dict(size=9), zeroline=True,
                     zerolinecolor="#bbb", showgrid=True, gridcolor="#f3c9c9")
    fig.update_yaxes(range=[lo - pad, hi + pad], showticklabels=False, zeroline=False, showgrid=True,
                     gridcolor="#f3c9c9", dtick=0.5)
    fig.update_yaxes(showticklabels=True, tickfont=dict(size=9), col=1)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=160 * rows + 40, margin=dict(l=5, r=5, t=30, b=5), plot_bgcolor=PAPER,
                      clickmode="event+select", dragmode=False)
    return fig


def template_clicked(selection) -> int | None:
    """The template id a click on :func:`template_grid` selected, or None."""
    try:
        points = selection["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for p in points:
        cd = p.get("customdata")
        cd = cd[0] if isinstance(cd, (list, tuple)) and cd else cd
        if isinstance(cd, (int, float)) and cd >= 0:
            return int(cd)
    return None


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
