"""Plotly figures of the dashboard: the ECG on paper, the record navigator,
heart-rate trend, RR tachogram, Poincaré plot, median beats, confusion matrix.

Figures only lay out arrays computed by the library (``ecg_lstm.summaries``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

#: Beat class colours (colour-blind safe, distinct on pink paper).
CLASS_COLOURS = {"N": "#2e7d32", "S": "#1565c0", "V": "#c62828", "F": "#6a1b9a", "Q": "#616161", "": "#616161"}
#: A marker shape and a line dash per class as well as a colour: the class reads without colour vision.
CLASS_SYMBOLS = {"N": "circle", "S": "triangle-up", "V": "diamond", "F": "square", "Q": "x", "": "cross"}
CLASS_DASHES = {"N": "solid", "S": "dash", "V": "dot", "F": "dashdot", "Q": "longdash", "": "longdashdot"}
CLASS_NAMES = {"N": "normal", "S": "supraventricular ectopic", "V": "ventricular ectopic",
               "F": "fusion", "Q": "unclassifiable", "": "unlabelled"}
#: ECG paper at 25 mm/s and 10 mm/mV: minor 1 mm = 0.04 s / 0.1 mV, major 5 mm = 0.2 s / 0.5 mV.
MINOR_S, MAJOR_S, MINOR_MV, MAJOR_MV = 0.04, 0.2, 0.1, 0.5
PAPER, MINOR_LINE, MAJOR_LINE = "#fff7f7", "#f6cfd3", "#e8959d"
TOP_LEGEND = dict(orientation="h", yanchor="bottom", y=1.0, x=0)
#: Above this many points a trace is drawn with WebGL; below, as SVG (no GPU context to start,
#: which costs seconds in a browser without GPU).
WEBGL_ABOVE = 8000
#: Most points of the detail window; wider windows are reduced by min-max (lossless at screen width).
DETAIL_POINTS = 12000
#: Points drawn for the whole-record navigator (min-max + LTTB keeps peaks).
NAVIGATOR_POINTS = 4000


def downsample(t: np.ndarray, y: np.ndarray, n_out: int = NAVIGATOR_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Keep ``n_out`` points that preserve the look (MinMaxLTTB) of a long trace."""
    if len(y) <= n_out:
        return t, y
    from tsdownsample import MinMaxLTTBDownsampler

    y = np.ascontiguousarray(y, dtype=np.float64)
    idx = MinMaxLTTBDownsampler().downsample(y, n_out=n_out, parallel=False)
    return t[idx], y[idx]


def scatter(n_points: int, **kw):
    """An SVG scatter trace, or a WebGL one for many points."""
    return (go.Scattergl if n_points > WEBGL_ABOVE else go.Scatter)(**kw)


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def ecg_paper(ecg: np.ndarray, fs: float, start_s: float, end_s: float, beats: pd.DataFrame | None = None,
              lead_name: str = "", unit: str = "mV", events: pd.DataFrame | None = None,
              height: int = 330, uirevision: str | None = None, until_s: float | None = None,
              true_scale: bool = True) -> dict:
    """ECG window [start_s, end_s] at full resolution on pink paper, beats marked.

    Returns a plotly figure as a plain dict (built without plotly's per-call
    validation, which costs more than the drawing for a window with many events).
    Hovering a beat marker shows its class, confidence and time. ``until_s``
    cuts the signal there (the live monitor has not "recorded" the rest yet).
    ``true_scale`` keeps the paper squares square (25 mm/s to 10 mm/mV).
    """
    n = len(ecg)
    # A quarter window of margin each side, so panning a little still shows signal and paper
    # (more would only add points for the browser to draw on every move).
    pad = 0.25 * (end_s - start_s)
    i0, i1 = max(0, int((start_s - pad) * fs)), min(n, int(np.ceil((end_s + pad) * fs)) + 1)
    if until_s is not None:
        i1 = max(i0 + 1, min(i1, int(until_s * fs) + 1))
    t = np.arange(i0, i1) / fs
    y = np.asarray(ecg[i0:i1], float)
    data, shapes, notes = [], [], []
    for ev in ([] if events is None or not len(events) else events.itertuples()):
        if ev.end_s >= start_s - pad and ev.start_s <= end_s + pad:
            # A light wash over the event and a solid band along the top carrying its name.
            x1 = float(max(ev.end_s, ev.start_s + 0.2))
            shapes.append(dict(type="rect", xref="x", yref="paper", x0=float(ev.start_s), x1=x1, y0=0, y1=1,
                               fillcolor="#ffb74d", opacity=0.10, line=dict(width=0), layer="below"))
            shapes.append(dict(type="rect", xref="x", yref="paper", x0=float(ev.start_s), x1=x1, y0=0.94, y1=1,
                               fillcolor="#ef6c00", opacity=0.6, line=dict(width=0)))
            notes.append(dict(x=float(max(ev.start_s, start_s)), y=1.0, xref="x", yref="paper", text=str(ev.type),
                              showarrow=False, xanchor="left", yanchor="top", font=dict(size=11, color="white")))
    tt, yy = downsample(t, y, DETAIL_POINTS) if np.isfinite(y).all() else (t, y)
    # At full resolution the times are implicit (x0 + k dx) and the values float32 (ample for
    # an ECG): a quarter of the bytes to send and parse on every move of the window.
    xs = dict(x0=float(t[0]) if len(t) else 0.0, dx=1.0 / fs) if len(tt) == len(t) else dict(x=tt)
    data.append(dict(type="scattergl" if len(tt) > WEBGL_ABOVE else "scatter", **xs, y=yy.astype(np.float32),
                     mode="lines", line=dict(color="#111", width=1.2), name=lead_name or "ECG",
                     hoverinfo="skip", showlegend=False))
    inside = y[(t >= start_s) & (t <= end_s)]
    finite = inside[np.isfinite(inside)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (-1.0, 1.0)
    if beats is not None and len(beats):
        s = beats["sample"].to_numpy(np.int64)
        b = beats[(s >= i0) & (s < i1)]
        if len(b):
            amp = np.asarray(ecg, float)[b["sample"].to_numpy(np.int64)]
            labels = b["label"].fillna("").astype(str).to_numpy()
            conf = b["confidence"].to_numpy(float) if "confidence" in b else np.full(len(b), np.nan)
            times = b["time_s"].to_numpy(float)
            y_mark = hi + 0.1 * max(hi - lo, 0.5)
            for c in pd.unique(labels):
                m = labels == c
                hover = [f"{CLASS_NAMES.get(c, c)} ({c or '?'})<br>confidence {cf:.2f}<br>t = {x:.3f} s"
                         if np.isfinite(cf) else f"beat<br>t = {x:.3f} s" for cf, x in zip(conf[m], times[m])]
                col = CLASS_COLOURS.get(c, "#616161")
                data.append(dict(type="scatter", x=times[m], y=np.full(int(m.sum()), y_mark), mode="markers+text",
                                 text=[c or "?"] * int(m.sum()), textposition="top center",
                                 textfont=dict(color=col, size=11), marker=dict(color=col, size=9,
                                                                               symbol="triangle-down"),
                                 name=f"{c or '?'}: {CLASS_NAMES.get(c, c)}", hovertext=hover, hoverinfo="text"))
                data.append(dict(type="scatter", x=times[m], y=amp[m], mode="markers",
                                 marker=dict(color=col, size=6, line=dict(width=1, color="white")),
                                 hovertext=hover, hoverinfo="text", showlegend=False))
            hi = y_mark + 0.15 * max(hi - lo, 0.5)
    # Snap the y range to whole major squares so the paper looks right.
    y0 = float(np.floor((lo - 0.1) / MAJOR_MV) * MAJOR_MV)
    y1 = float(np.ceil((hi + 0.1) / MAJOR_MV) * MAJOR_MV)
    ticks = np.arange(np.ceil(i0 / fs), i1 / fs, 1.0 if end_s - start_s <= 30 else 5.0)
    xaxis = dict(range=[start_s, end_s], tickmode="array", tickvals=ticks,
                 ticktext=[_hms(v) if v >= 60 else f"{v:g} s" for v in ticks], zeroline=False, showgrid=False)
    yaxis = dict(range=[y0, y1], dtick=MAJOR_MV, tick0=0, title=dict(text=f"{lead_name} ({unit})"),
                 zeroline=False, showgrid=False)
    if true_scale:
        # True paper scale: a 0.2 s square is as wide as a 0.5 mV square is tall; plotly widens
        # the mV range to fill the height rather than distort the squares.
        yaxis.update(scaleanchor="x", scaleratio=MAJOR_S / MAJOR_MV, constrain="range")
    grid = _paper_grid(min(i0 / fs, start_s), max(i1 / fs, end_s), y0 - 10 * MAJOR_MV, y1 + 10 * MAJOR_MV)
    layout = dict(plot_bgcolor=PAPER, paper_bgcolor="white", height=height, xaxis=xaxis, yaxis=yaxis,
                  margin=dict(l=60, r=10, t=20, b=30), dragmode="pan", hovermode="closest", shapes=shapes,
                  annotations=notes, legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(size=11)),
                  uirevision=uirevision)
    # Grid first, under the ECG and the markers.
    return {"data": grid + data, "layout": layout}


def unchecked(fig: dict) -> go.Figure:
    """A figure dict built here, wrapped without plotly's property validation (which
    ``st.plotly_chart`` would otherwise run on a dict, costing more than building it)."""
    return go.Figure(fig, _validate=False)


def _paper_grid(x0: float, x1: float, y0: float, y1: float) -> list[dict]:
    """The paper grid as two line traces (minor, major): exact 0.04 s / 0.1 mV and
    0.2 s / 0.5 mV squares, whatever ticks plotly picks for the labels."""
    out = []
    for step_x, step_y, colour, width in ((MINOR_S, MINOR_MV, MINOR_LINE, 0.5), (MAJOR_S, MAJOR_MV, MAJOR_LINE, 1.0)):
        xs = np.arange(np.floor(x0 / step_x) * step_x, x1 + step_x, step_x)
        ys = np.arange(np.floor(y0 / step_y) * step_y, y1 + step_y, step_y)
        gx = np.column_stack([xs, xs, np.full_like(xs, np.nan)]).ravel()
        gy = np.column_stack([np.full_like(xs, y0), np.full_like(xs, y1), np.full_like(xs, np.nan)]).ravel()
        hx = np.column_stack([np.full_like(ys, x0 - 1), np.full_like(ys, x1 + 1), np.full_like(ys, np.nan)]).ravel()
        hy = np.column_stack([ys, ys, np.full_like(ys, np.nan)]).ravel()
        # x stays float64 (hours of record at ms resolution); float32 is plenty for millivolts.
        out.append(dict(type="scatter", x=np.round(np.r_[gx, hx], 4), y=np.round(np.r_[gy, hy], 4).astype(np.float32),
                        mode="lines",
                        line=dict(color=colour, width=width), hoverinfo="skip", showlegend=False))
    return out


def navigator(ecg: np.ndarray, fs: float, events: pd.DataFrame | None = None,
              noisy: pd.DataFrame | None = None, height: int = 130) -> go.Figure:
    """The whole record, downsampled, with events marked and noisy stretches greyed.
    Clicking a point (or an event marker) selects that time."""
    t_all = np.arange(len(ecg)) / fs
    t, y = downsample(t_all, np.nan_to_num(np.asarray(ecg, float)))
    fig = go.Figure(scatter(len(t), x=t, y=y, mode="lines", line=dict(color="#455a64", width=0.8),
                                 name="record", hovertemplate="%{x:.1f} s<extra></extra>"))
    if noisy is not None and len(noisy):
        for seg in noisy[noisy["noisy"]].itertuples():
            fig.add_vrect(x0=seg.start_s, x1=seg.end_s, fillcolor="#9e9e9e", opacity=0.25, line_width=0)
    if events is not None and len(events):
        top = float(np.nanmax(y)) if len(y) else 1.0
        fig.add_trace(go.Scatter(x=events["start_s"], y=np.full(len(events), top), mode="markers",
                                 marker=dict(color="#e65100", size=9, symbol="diamond"), name="events",
                                 hovertext=[f"{e.type} at {_hms(e.start_s)}" for e in events.itertuples()],
                                 hoverinfo="text"))
    dur = len(ecg) / fs
    step = _nice_step(dur / 10)
    ticks = np.arange(0, dur + 1e-9, step)
    fig.update_xaxes(range=[0, dur], tickvals=ticks, ticktext=[_hms(v) for v in ticks], showgrid=False)
    fig.update_yaxes(visible=False, fixedrange=True)
    # Side margins as small as the slider's, so the slider under it lines up with the time axis.
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=5, b=25), showlegend=False,
                      plot_bgcolor="#fafafa", dragmode=False, hovermode="closest", clickmode="event+select")
    return fig


def _nice_step(x: float) -> float:
    for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if s >= x:
            return float(s)
    return 3600.0 * np.ceil(x / 3600)


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
    _time_axis(fig, trend["time_s"].max() if len(trend) else 1.0)
    fig.update_yaxes(title="heart rate (bpm)")
    fig.update_layout(height=height, margin=dict(l=60, r=10, t=30, b=40), legend=TOP_LEGEND)
    return fig


def _time_axis(fig: go.Figure, dur: float) -> None:
    step = _nice_step(max(dur, 1.0) / 8)
    ticks = np.arange(0, dur + step, step)
    fig.update_xaxes(tickvals=ticks, ticktext=[_hms(v) for v in ticks], title="time (h:mm:ss)")


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
    _time_axis(fig, float(rr["time_s"].max()) if len(rr) else 1.0)
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
