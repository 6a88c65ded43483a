"""The rhythm and model plots: heart-rate trend, RR tachogram, Poincaré plot, median beats,
confusion matrix and training curves.

Each lays out arrays the library computed (``ecg_lstm.report.figures``); nothing is computed here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.time_format import hms, nice_step

from .points import scatter
from .style import CLASS_COLOURS, CLASS_DASHES, CLASS_NAMES, CLASS_SYMBOLS, PAPER, TOP_LEGEND


def time_axis(fig: go.Figure, dur: float) -> None:
    """Label the x axis of ``fig`` in h:mm:ss over a record of ``dur`` seconds (about 8 ticks)."""
    step = nice_step(max(dur, 1.0) / 8)
    ticks = np.arange(0, dur + step, step)
    fig.update_xaxes(tickvals=ticks, ticktext=[hms(v) for v in ticks], title="time (h:mm:ss)")


def hr_trend(trend: pd.DataFrame, events: pd.DataFrame | None = None, height: int = 260) -> go.Figure:
    """Heart rate per window (median with min-max band), in bpm."""
    fig = go.Figure()
    if len(trend):
        fig.add_trace(go.Scatter(x=trend["time_s"], y=trend["hr_max_bpm"], line=dict(width=0), hoverinfo="skip",
                                 showlegend=False))
        fig.add_trace(go.Scatter(x=trend["time_s"], y=trend["hr_min_bpm"], fill="tonexty", line=dict(width=0),
                                 fillcolor="rgba(192,57,43,0.15)", name="min-max", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=trend["time_s"], y=trend["hr_bpm"], line=dict(color="#c0392b", width=2),
                                 name="median", hovertemplate="%{y:.0f} bpm at %{x:.0f} s<extra></extra>"))
    time_axis(fig, trend["time_s"].max() if len(trend) else 1.0)
    fig.update_yaxes(title="heart rate (bpm)")
    fig.update_layout(height=height, margin=dict(l=60, r=10, t=30, b=40), legend=TOP_LEGEND)
    return fig


def tachogram(rr: pd.DataFrame, height: int = 260) -> go.Figure:
    """RR interval of every beat (ms) against time, coloured by the closing beat's class."""
    fig = go.Figure()
    for c in pd.unique(rr["label"]) if len(rr) else []:
        m = rr["label"] == c
        fig.add_trace(scatter(int(m.sum()), x=rr["time_s"][m], y=rr["rr_ms"][m], mode="markers",
                              marker=dict(size=5 if c == "N" else 7, color=CLASS_COLOURS.get(c, "#616161"),
                                          symbol=CLASS_SYMBOLS.get(c, "cross")),
                              name=f"{c or '?'} {CLASS_NAMES.get(c, c)}",
                              hovertemplate=f"{c or '?'}: RR %{{y:.0f}} ms at %{{x:.1f}} s<extra></extra>"))
    time_axis(fig, float(rr["time_s"].max()) if len(rr) else 1.0)
    top = min(2500.0, float(rr["rr_ms"].quantile(0.999)) * 1.2) if len(rr) else 2000.0
    fig.update_yaxes(title="RR (ms)", range=[0, top])
    fig.update_layout(height=height, margin=dict(l=60, r=10, t=30, b=40), legend=TOP_LEGEND)
    return fig


def poincare(p: dict, height: int = 340) -> go.Figure:
    """RR(n+1) against RR(n), in ms; the identity line for reference."""
    fig = go.Figure()
    lab = p["label"]
    for c in pd.unique(lab) if len(lab) else []:
        m = lab == c
        fig.add_trace(scatter(int(m.sum()), x=p["rr_n_ms"][m], y=p["rr_next_ms"][m], mode="markers",
                              marker=dict(size=5 if c == "N" else 7, opacity=0.6,
                                          color=CLASS_COLOURS.get(c, "#616161"), symbol=CLASS_SYMBOLS.get(c, "cross")),
                              name=f"{c or '?'} {CLASS_NAMES.get(c, c)}"))
    # Range from the bulk of the points (a few outliers would squash the cloud).
    hi = float(np.quantile(np.r_[p["rr_n_ms"], p["rr_next_ms"]], 0.998)) * 1.25 if len(lab) else 2000.0
    fig.add_trace(go.Scatter(x=[0, hi], y=[0, hi], mode="lines", line=dict(color="#999", dash="dot"),
                             showlegend=False, hoverinfo="skip"))
    fig.update_xaxes(title="RR n (ms)", range=[0, hi])
    fig.update_yaxes(title="RR n+1 (ms)", range=[0, hi], scaleanchor="x")
    fig.update_layout(height=height, margin=dict(l=60, r=10, t=30, b=40), legend=TOP_LEGEND)
    return fig


def median_beats(meds: dict, unit: str = "mV", height: int = 340) -> go.Figure:
    """Median beat of each class overlaid, R peak at 0 ms."""
    fig = go.Figure()
    for c, m in meds.items():
        fig.add_trace(go.Scatter(x=m["t_ms"], y=m["median"], mode="lines",
                                 line=dict(color=CLASS_COLOURS.get(c, "#616161"), width=2,
                                           dash=CLASS_DASHES.get(c, "solid")),
                                 name=f"{c} {CLASS_NAMES.get(c, c)} ({m['n']} beats)"))
        # The class letter at the largest deflection of its median beat (shifted a little per class
        # so letters do not overlap), for readers who cannot tell the colours apart.
        med = np.asarray(m["median"], float)
        if len(med) and np.isfinite(med).any():
            i0 = int(np.nanargmax(np.abs(med)))
            fig.add_annotation(x=float(m["t_ms"][i0]), y=float(med[i0]), text=f"<b>{c or '?'}</b>", showarrow=False,
                               xshift=14 * (1 + list(meds).index(c)), yshift=8 if med[i0] >= 0 else -8,
                               font=dict(color=CLASS_COLOURS.get(c, "#616161"), size=13))
    fig.update_xaxes(title="time from R peak (ms)", zeroline=True)
    fig.update_yaxes(title=f"amplitude ({unit})")
    fig.update_layout(height=height, margin=dict(l=60, r=10, t=30, b=40), legend=TOP_LEGEND,
                      plot_bgcolor=PAPER)
    return fig


def confusion(conf: pd.DataFrame, height: int = 340) -> go.Figure:
    """Confusion matrix (reference rows, predicted columns), counts annotated."""
    z = conf.to_numpy(float)
    zn = z / np.maximum(z.sum(axis=1, keepdims=True), 1)
    fig = go.Figure(go.Heatmap(z=zn, x=list(conf.columns), y=list(conf.index), colorscale="Reds", zmin=0, zmax=1,
                               text=z.astype(int), texttemplate="%{text}", showscale=False,
                               hovertemplate="reference %{y}, predicted %{x}: %{text}<extra></extra>"))
    fig.update_xaxes(title="predicted", side="top")
    fig.update_yaxes(title="reference", autorange="reversed")
    fig.update_layout(height=height, margin=dict(l=60, r=10, t=40, b=10))
    return fig


def training_curves(history: dict, height: int = 300) -> go.Figure:
    """Loss/metric curves from a training history {name: [value per epoch]}."""
    fig = go.Figure()
    for name, values in history.items():
        if isinstance(values, list) and values and all(isinstance(v, (int, float)) for v in values):
            fig.add_trace(go.Scatter(x=np.arange(1, len(values) + 1), y=values, mode="lines+markers", name=name))
    fig.update_xaxes(title="epoch")
    fig.update_layout(height=height, margin=dict(l=60, r=10, t=30, b=40), legend=TOP_LEGEND)
    return fig
