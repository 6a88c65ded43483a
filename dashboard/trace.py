"""Plotly figures of the dashboard: the ECG on paper, the record navigator,
heart-rate trend, RR tachogram, Poincaré plot, median beats, confusion matrix.

Figures only lay out arrays computed by the library (``ecg_lstm.report.figures``).
"""
from __future__ import annotations

import bisect
import html

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
#: ECG paper: minor squares 1 mm, major 5 mm. At 25 mm/s and 10 mm/mV a minor square is
#: 0.04 s by 0.1 mV and a major one 0.2 s by 0.5 mV.
MINOR_MM, MAJOR_MM = 1.0, 5.0
MINOR_S, MAJOR_S, MINOR_MV, MAJOR_MV = 0.04, 0.2, 0.1, 0.5
PAPER, MINOR_LINE, MAJOR_LINE = "#fff7f7", "#f6cfd3", "#e8959d"
#: Band carrying an event's name along the top of the trace.
EVENT_BAND = "#bf360c"
#: ... and of an event inside a noisy stretch (grey: not to be trusted; white text 6:1).
NOISY_BAND = "#616161"
#: Paper speeds (mm/s) and gains (mm/mV) offered, as on an electrocardiograph.
SPEEDS_MM_S, GAINS_MM_MV = (25, 50), (5, 10, 20)
#: Screen pixels per millimetre: the CSS millimetre (96 px per inch). A screen's true pixel
#: pitch is unknown to a web page, so "10 mm/mV" is exact in CSS units, as in browser ECG viewers.
PX_PER_MM = 96 / 25.4
#: Plot area bounds (px): the ECG keeps its gain exact between these; beyond them the
#: millivolt range grows (a small signal) or is cut around the signal's bulk (a huge one).
MIN_PLOT_PX, MAX_PLOT_PX = 170, 640
#: Width (px) assumed for the plot area where the browser's is unknown (a wide page on a
#: laptop); used only to space labels and decide whether the minor grid is legible.
NOMINAL_PLOT_PX = 900
#: Margins of the trace figure (px): left for the mV axis, bottom for the time axis.
TRACE_MARGIN = dict(l=60, r=10, t=22, b=30)
#: Bands (px) above the signal for beat labels and below it for the reference labels, and
#: along the top for the names of events.
LABEL_BAND_PX, REF_BAND_PX, EVENT_BAND_PX = 30, 30, 17
#: Least room (px) a beat label needs along the time axis before labels are thinned.
LABEL_PX = 13
#: Most grid lines per direction and kind; beyond that the lines would be a solid tint.
MAX_GRID_LINES = 4000
TOP_LEGEND = dict(orientation="h", yanchor="bottom", y=1.0, x=0)
#: Above this many points a trace is drawn with WebGL; below, as SVG (no GPU context to start,
#: which costs seconds in a browser without GPU).
WEBGL_ABOVE = 8000
#: Most points of the detail window; wider windows are reduced by min-max (lossless at screen width).
DETAIL_POINTS = 12000
#: Points drawn for the whole-record navigator (min-max + LTTB keeps peaks).
NAVIGATOR_POINTS = 4000
#: Clickable times along the navigator (about one per pixel of a wide strip).
NAVIGATOR_CLICK_POINTS = 1000


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


def y_range(values: np.ndarray, gain_mm_mv: float = 10.0, max_plot_px: int = MAX_PLOT_PX,
            min_plot_px: int = MIN_PLOT_PX) -> tuple[float, float, bool]:
    """Millivolt range (lo, hi, clipped) that shows ``values`` at ``gain_mm_mv``.

    The range is the signal's extent plus 0.1 mV, snapped to whole 5 mm squares, at
    least ``min_plot_px`` tall at the gain. A range taller than ``max_plot_px`` (an
    artefact, a huge or absurd amplitude) is cut to that height around the middle of
    the signal's 1-99 % bulk, so the gain stays exact and the ECG readable; ``clipped``
    says so. Never raises: non-finite or absurd values give a bounded range.
    """
    px_per_mv = float(gain_mm_mv) * PX_PER_MM
    major = MAJOR_MM / float(gain_mm_mv)
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        v = v[np.isfinite(v)]
    if not len(v):
        v = np.zeros(1)
    lo, hi = float(v.min()), float(v.max())
    max_span, min_span = max_plot_px / px_per_mv, min_plot_px / px_per_mv
    clipped = not np.isfinite(hi - lo) or hi - lo + 0.2 > max_span
    if clipped:
        q1, q99 = np.quantile(v, [0.01, 0.99])
        mid = float(q1 / 2 + q99 / 2)  # halves first: q1 + q99 can overflow
        lo, hi = mid - max_span / 2, mid + max_span / 2
    else:
        lo, hi = lo - 0.1, hi + 0.1
        if hi - lo < min_span:
            mid = lo / 2 + hi / 2
            lo, hi = mid - min_span / 2, mid + min_span / 2
    with np.errstate(all="ignore"):
        y0, y1 = np.floor(lo / major) * major, np.ceil(hi / major) * major
    if not (np.isfinite(y0) and np.isfinite(y1)) or y1 <= y0:
        y0, y1 = lo, hi  # beyond float resolution (|v| ~ 1e300): nothing to snap to
    return float(y0), float(y1), bool(clipped)


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


def _label_priority(labels: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Ectopic and unsure beats first: a normal, confident beat's letter says least."""
    unsure = np.where(np.isfinite(conf), 1.0 - conf, 0.0)
    return (labels != "N").astype(np.float64) * 2.0 + unsure


def ecg_paper(ecg: np.ndarray, fs: float, start_s: float, end_s: float, beats: pd.DataFrame | None = None,
              lead_name: str = "", unit: str = "mV", events: pd.DataFrame | None = None,
              height: int | None = None, uirevision: str | None = None, until_s: float | None = None,
              true_scale: bool = True, gain_mm_mv: float = 10.0, speed_mm_s: float = 25.0,
              reference: pd.DataFrame | None = None, selected: int | None = None) -> dict:
    """ECG window [start_s, end_s] at full resolution on pink paper, beats marked.

    Returns a plotly figure as a plain dict (built without plotly's per-call
    validation, which costs more than the drawing for a window with many events).

    ``true_scale``: the paper is drawn at ``gain_mm_mv`` (mm per mV, exact: the figure's
    height follows the signal's range) and ``speed_mm_s`` (mm per s: the figure asks
    for the window's width at that speed; a page narrower than that compresses time,
    never amplitude). Otherwise the range fits a figure ``height`` px tall.
    Beat markers carry their row in ``beats`` (``customdata``) for click selection;
    hovering shows class, confidence and time. At wide windows the beat letters are
    thinned (ectopic beats first), the markers stay. ``reference``: DataFrame of
    reference beats (``time_s``, ``label`` AAMI class, ``symbol``), drawn under the
    trace; a reference class that differs from the model's label is drawn in red.
    ``selected``: row in ``beats`` ringed. ``until_s`` cuts the signal there (the
    live monitor has not "recorded" the rest yet).
    """
    n = len(ecg)
    fs = float(fs)
    width_s = max(float(end_s) - float(start_s), 1.0 / fs)
    # A quarter window of margin each side, so panning a little still shows signal and paper
    # (more would only add points for the browser to draw on every move).
    pad = 0.25 * width_s
    i0, i1 = max(0, int((start_s - pad) * fs)), min(n, int(np.ceil((end_s + pad) * fs)) + 1)
    if until_s is not None:
        i1 = max(i0 + 1, min(i1, int(until_s * fs) + 1))
    i0 = min(i0, max(0, i1 - 1))
    t = np.arange(i0, i1) / fs
    with np.errstate(all="ignore"):
        # Values float32 cannot hold (an absurd gain) become gaps rather than overflow.
        y = np.asarray(ecg[i0:i1], dtype=np.float64)
        y = np.where(np.abs(y) < 3e38, y, np.nan)
    gain = float(gain_mm_mv) if true_scale else 10.0
    speed = float(speed_mm_s) if true_scale else 25.0
    # Plot width (px): the window at paper speed, or the page's when narrower (time compressed).
    plot_w = min(width_s * speed * PX_PER_MM, NOMINAL_PLOT_PX) if true_scale else NOMINAL_PLOT_PX
    px_per_s = plot_w / width_s
    inside = y[(t >= start_s) & (t <= end_s)]
    has_beats = beats is not None and len(beats) > 0
    has_ref = reference is not None and len(reference) > 0
    in_view = [] if events is None or not len(events) else \
        [ev for ev in events.itertuples() if ev.end_s >= start_s - pad and ev.start_s <= end_s + pad]
    bands_px = (LABEL_BAND_PX if has_beats else 0) + (REF_BAND_PX if has_ref else 0) + \
        (EVENT_BAND_PX if in_view else 0)
    if true_scale:
        sig_max_px = MAX_PLOT_PX - bands_px
        lo, hi, clipped = y_range(inside, gain, max_plot_px=sig_max_px, min_plot_px=MIN_PLOT_PX - bands_px)
    else:
        lo, hi, clipped = y_range(inside, gain, max_plot_px=10 ** 6, min_plot_px=0)
    px_per_mv = gain * PX_PER_MM if true_scale else None
    if px_per_mv is None:  # fit mode: the bands take a share of the given height
        plot_h = max(60, (height or 300) - TRACE_MARGIN["t"] - TRACE_MARGIN["b"])
        px_per_mv = max(plot_h - bands_px, 20) / max(hi - lo, 1e-9)
    y_top = hi + ((LABEL_BAND_PX if has_beats else 0) + (EVENT_BAND_PX if in_view else 0)) / px_per_mv
    y_bottom = lo - (REF_BAND_PX / px_per_mv if has_ref else 0.0)
    # The event band's share of the plot's height (paper coordinates), above the beat labels.
    band = EVENT_BAND_PX / max((y_top - y_bottom) * px_per_mv, 1.0)

    data, shapes, notes = [], [], []
    # Event names along the top, thinned like the beat letters (about 7 px per character).
    last_end = -np.inf
    for ev in in_view:
        # A light wash over the event and a solid band along the top carrying its name.
        x1 = float(max(ev.end_s, ev.start_s + 0.2))
        shapes.append(dict(type="rect", xref="x", yref="paper", x0=float(ev.start_s), x1=x1, y0=0, y1=1,
                           fillcolor="#ffb74d", opacity=0.10, line=dict(width=0), layer="below"))
        # Solid dark orange under white text: contrast 5.6:1 (WCAG AA asks 4.5).
        shapes.append(dict(type="rect", xref="x", yref="paper", x0=float(ev.start_s), x1=x1, y0=1 - band, y1=1,
                           fillcolor=NOISY_BAND if getattr(ev, "noisy", False) is True else EVENT_BAND,
                           line=dict(width=0)))
        x = float(max(ev.start_s, start_s))
        if x >= last_end:
            text = str(ev.type)
            last_end = x + (7 * len(text) + 8) / px_per_s
            # On its own box of the band's colour: a short event's band is narrower than its name.
            colour = NOISY_BAND if getattr(ev, "noisy", False) is True else EVENT_BAND
            notes.append(dict(x=x, y=1.0, xref="x", yref="paper", text=html.escape(text), showarrow=False,
                              xanchor="left", yanchor="top", font=dict(size=11, color="white"), bgcolor=colour,
                              borderpad=1))
    tt, yy = downsample(t, y, DETAIL_POINTS) if np.isfinite(y).all() else (t, y)
    # At full resolution the times are implicit (x0 + k dx) and the values float32 (ample for
    # an ECG): a quarter of the bytes to send and parse on every move of the window.
    xs = dict(x0=float(t[0]) if len(t) else 0.0, dx=1.0 / fs) if len(tt) == len(t) else dict(x=tt)
    data.append(dict(type="scattergl" if len(tt) > WEBGL_ABOVE else "scatter", **xs, y=yy.astype(np.float32),
                     mode="lines", line=dict(color="#111", width=1.2), name=lead_name or "ECG",
                     hoverinfo="skip", showlegend=False))
    label_at = {}
    if has_beats:
        s = beats["sample"].to_numpy(np.int64)
        rows = np.flatnonzero((s >= i0) & (s < i1))
        if len(rows):
            b = beats.iloc[rows]
            samples = b["sample"].to_numpy(np.int64)
            with np.errstate(all="ignore"):
                amp = np.asarray(ecg[samples], dtype=np.float64)
                amp = np.where(np.abs(amp) < 3e38, amp, np.nan)
            labels = b["label"].fillna("").astype(str).to_numpy()
            conf = b["confidence"].to_numpy(float) if "confidence" in b else np.full(len(b), np.nan)
            times = b["time_s"].to_numpy(float)
            label_at = dict(zip(np.round(times, 2), labels))
            y_mark = hi + 0.45 * LABEL_BAND_PX / px_per_mv
            written = thin_labels(times, _label_priority(labels, conf), LABEL_PX / px_per_s)
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
    if has_ref:
        # The markers high in the band, their letters beneath them (inside the plot, not clipped).
        data += _reference_traces(reference, i0 / fs, i1 / fs, lo - 0.3 * REF_BAND_PX / px_per_mv, label_at,
                                  LABEL_PX / px_per_s)
    ticks = np.arange(np.ceil(i0 / fs), i1 / fs, 1.0 if width_s <= 30 else 5.0)
    xaxis = dict(range=[float(start_s), float(end_s)], tickmode="array", tickvals=ticks,
                 ticktext=[_hms(v) if v >= 60 else f"{v:g} s" for v in ticks], zeroline=False, showgrid=False)
    major_mv = MAJOR_MM / gain
    yaxis = dict(range=[y_bottom, y_top], dtick=major_mv if (y_top - y_bottom) / major_mv < 60 else None,
                 tick0=0, title=dict(text=f"{lead_name} ({unit})"), zeroline=False, showgrid=False)
    if true_scale:
        plot_h = int(round((y_top - y_bottom) * px_per_mv))
        fig_h = plot_h + TRACE_MARGIN["t"] + TRACE_MARGIN["b"]
        fig_w = int(np.ceil(width_s * speed * PX_PER_MM)) + TRACE_MARGIN["l"] + TRACE_MARGIN["r"]
    else:
        fig_h, fig_w = int(height or 300), None
    # Minor squares only where they are at least 3 px apart: denser, they are a pink tint.
    minor = px_per_s * MINOR_MM / speed >= 3
    grid = _paper_grid(min(i0 / fs, start_s), max(i1 / fs, end_s), y_bottom - 4 * major_mv, y_top + 4 * major_mv,
                       step_s=(MINOR_MM / speed, MAJOR_MM / speed), step_mv=(MINOR_MM / gain, major_mv),
                       minor=minor)
    layout = dict(plot_bgcolor=PAPER, paper_bgcolor="white", height=fig_h, xaxis=xaxis, yaxis=yaxis,
                  margin=TRACE_MARGIN, dragmode="pan", hovermode="closest", shapes=shapes,
                  annotations=notes, legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(size=11)),
                  uirevision=uirevision, clickmode="event+select")
    if fig_w:
        layout["width"] = fig_w
    meta = dict(gain_mm_mv=gain, speed_mm_s=speed, clipped=clipped, y_range=[y_bottom, y_top],
                labels_written=int(sum(len([x for x in d.get("text", []) if x]) for d in data
                                       if d.get("mode") == "markers+text")))
    # Grid first, under the ECG and the markers.
    return {"data": grid + data, "layout": layout, "meta": meta}


def _reference_traces(reference: pd.DataFrame, t0: float, t1: float, y: float, model_labels: dict,
                      min_gap_s: float) -> list[dict]:
    """Reference beat letters (AAMI class) on a row under the trace: grey where the model
    agrees, red where its label differs or it has no beat there (within 0.15 s)."""
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


def unchecked(fig: dict) -> go.Figure:
    """A figure dict built here, wrapped without plotly's property validation (which
    ``st.plotly_chart`` would otherwise run on a dict, costing more than building it)."""
    fig = {k: v for k, v in fig.items() if k != "meta"}
    return go.Figure(fig, _validate=False)


def _grid_lines(a: float, b: float, step: float) -> np.ndarray | None:
    """Multiples of ``step`` covering [a, b], or None where they would be too many (or
    the numbers are beyond float resolution: an absurd amplitude)."""
    with np.errstate(all="ignore"):
        k0, k1 = np.floor(a / step), np.ceil(b / step)
        count = k1 - k0
    if not (np.isfinite(k0) and np.isfinite(k1)) or not 0 < count <= MAX_GRID_LINES:
        return None
    return (k0 + np.arange(int(count) + 1)) * step


def _paper_grid(x0: float, x1: float, y0: float, y1: float, step_s=(MINOR_S, MAJOR_S),
                step_mv=(MINOR_MV, MAJOR_MV), minor: bool = True) -> list[dict]:
    """The paper grid as two line traces (minor, major) of exact squares (``step_s`` and
    ``step_mv``: minor and major steps), whatever ticks plotly picks for the labels.

    The number of lines is bounded (``MAX_GRID_LINES``): a level that would need more is
    left out, so an absurd range costs nothing and raises nothing."""
    out = []
    levels = ((step_s[0], step_mv[0], MINOR_LINE, 0.5),) if minor else ()
    for sx, sy, colour, width in levels + ((step_s[1], step_mv[1], MAJOR_LINE, 1.0),):
        xs, ys = _grid_lines(x0, x1, sx), _grid_lines(y0, y1, sy)
        if xs is None or ys is None:
            continue
        gx = np.column_stack([xs, xs, np.full_like(xs, np.nan)]).ravel()
        gy = np.column_stack([np.full_like(xs, y0), np.full_like(xs, y1), np.full_like(xs, np.nan)]).ravel()
        hx = np.column_stack([np.full_like(ys, x0 - 1), np.full_like(ys, x1 + 1), np.full_like(ys, np.nan)]).ravel()
        hy = np.column_stack([ys, ys, np.full_like(ys, np.nan)]).ravel()
        # x stays float64 (hours of record at ms resolution); float32 is plenty for millivolts.
        with np.errstate(all="ignore"):
            out.append(dict(type="scatter", x=np.round(np.r_[gx, hx], 4),
                            y=np.round(np.r_[gy, hy], 4).astype(np.float32), mode="lines",
                            line=dict(color=colour, width=width), hoverinfo="skip", showlegend=False))
    return out


def _spans(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Touching or overlapping [start, end] spans merged (inputs sorted by start)."""
    if not len(starts):
        return starts, ends
    new = np.r_[True, starts[1:] > np.maximum.accumulate(ends)[:-1]]
    return starts[new], np.maximum.reduceat(ends, np.flatnonzero(new))


def navigator(ecg: np.ndarray, fs: float, events: pd.DataFrame | None = None,
              noisy: pd.DataFrame | None = None, height: int = 130) -> go.Figure:
    """The whole record, downsampled, with events marked and noisy stretches greyed.
    Clicking anywhere in the strip selects that time (hover is by x, so any height works).

    Built as plain trace dicts: the noisy stretches are one filled trace, not one shape
    each (plotly's ``add_vrect`` per stretch took half a minute for a 24 h record)."""
    n = len(ecg)
    with np.errstate(all="ignore"):
        x = np.asarray(ecg, dtype=np.float64)
        x = np.where(np.isfinite(x) & (np.abs(x) < 1e30), x, 0.0)
    if n > NAVIGATOR_POINTS:  # the times of the kept points only (a day has 31 million samples)
        from tsdownsample import MinMaxLTTBDownsampler

        idx = MinMaxLTTBDownsampler().downsample(x, n_out=NAVIGATOR_POINTS, parallel=False)
    else:
        idx = np.arange(n)
    t, y = idx / fs, x[idx]
    lo, hi = (float(np.min(y)), float(np.max(y))) if len(y) else (0.0, 1.0)
    if not hi > lo:
        lo, hi = lo - 1, hi + 1
    data = []
    if noisy is not None and len(noisy) and noisy["noisy"].any():
        seg = noisy[noisy["noisy"]]
        s0, s1 = _spans(seg["start_s"].to_numpy(float), seg["end_s"].to_numpy(float))
        nan = np.full_like(s0, np.nan)
        data.append(dict(type="scatter", x=np.column_stack([s0, s0, s1, s1, s0, nan]).ravel(),
                         y=np.column_stack([np.full_like(s0, lo), np.full_like(s0, hi), np.full_like(s0, hi),
                                            np.full_like(s0, lo), np.full_like(s0, lo), nan]).ravel(),
                         fill="toself", fillcolor="rgba(158,158,158,0.3)", line=dict(width=0), mode="lines",
                         hoverinfo="skip", name="noisy"))
    data.append(dict(type="scattergl" if len(t) > WEBGL_ABOVE else "scatter", x=t, y=y.astype(np.float32),
                     mode="lines", line=dict(color="#455a64", width=0.8), name="record", hoverinfo="skip"))
    # Plotly selects only marker points on a click, never a line: invisible markers evenly
    # spaced along the strip (hover by x) make a click anywhere select its time.
    dur = n / fs
    xs = np.linspace(0.0, dur, NAVIGATOR_CLICK_POINTS)
    data.append(dict(type="scatter", x=xs, y=np.full(len(xs), (lo + hi) / 2), mode="markers", name="time",
                     marker=dict(size=4, opacity=0), selected=dict(marker=dict(opacity=0)),
                     unselected=dict(marker=dict(opacity=0)),
                     hovertext=[_hms(v) for v in xs], hoverinfo="text"))
    if events is not None and len(events):
        # One diamond per strip pixel at most (a day can hold thousands of events, each an SVG
        # node to draw on every lead switch): the first event of each bin, with the count.
        ev_t = events["start_s"].to_numpy(float)
        ev_type = events["type"].astype(str).to_numpy()
        order = np.argsort(ev_t, kind="stable")
        ev_t, ev_type = ev_t[order], ev_type[order]
        bins = np.floor(ev_t / max(dur, 1e-9) * NAVIGATOR_CLICK_POINTS).astype(np.int64)
        first = np.r_[True, bins[1:] != bins[:-1]]
        counts = np.diff(np.r_[np.flatnonzero(first), len(ev_t)])
        hover = [f"{e} at {_hms(x)}" + (f" (+{k - 1} more)" if k > 1 else "")
                 for e, x, k in zip(ev_type[first], ev_t[first], counts)]
        data.append(dict(type="scatter", x=ev_t[first], y=np.full(int(first.sum()), hi), mode="markers",
                         marker=dict(color="#e65100", size=9, symbol="diamond"), name="events",
                         selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
                         hovertext=hover, hoverinfo="text"))
    tick = _nice_step(dur / 10)
    ticks = np.arange(0, dur + 1e-9, tick)
    # Side margins as small as the slider's, so the slider under it lines up with the time axis.
    layout = dict(height=height, margin=dict(l=10, r=10, t=5, b=25), showlegend=False, plot_bgcolor="#fafafa",
                  dragmode=False, hovermode="x", clickmode="event+select",
                  xaxis=dict(range=[0, dur], tickmode="array", tickvals=ticks, ticktext=[_hms(v) for v in ticks],
                             showgrid=False, fixedrange=True),
                  yaxis=dict(visible=False, fixedrange=True, range=[lo - 0.05 * (hi - lo), hi + 0.1 * (hi - lo)]))
    return go.Figure({"data": data, "layout": layout}, _validate=False)


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
