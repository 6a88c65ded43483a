"""The ECG on paper: a window of the record at full resolution, at a true gain (mm/mV) and
paper speed (mm/s), with the beats, the reference annotations and the events marked.
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.time_format import hms

from .grid import MAJOR_MM, MINOR_MM, paper_grid
from .marks import beat_traces, reference_traces
from .points import DETAIL_POINTS, WEBGL_ABOVE, downsample
from .style import EVENT_BAND, NOISY_BAND, PAPER

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


def _event_marks(in_view: list, start_s: float, band: float, px_per_s: float) -> tuple[list[dict], list[dict]]:
    """(shapes, annotations) of the events in view: a light wash over each, a solid band of
    ``band`` (share of the plot's height) along the top carrying its name. Names are thinned
    like the beat letters (about 7 px per character)."""
    shapes, notes = [], []
    last_end = -np.inf
    for ev in in_view:
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
    return shapes, notes


#: Spacing (s) of the trace's clickable time points.
CLICK_STEP_S = 0.02


def ecg_paper(ecg: np.ndarray, fs: float, start_s: float, end_s: float, beats: pd.DataFrame | None = None,
              lead_name: str = "", unit: str = "mV", events: pd.DataFrame | None = None,
              height: int | None = None, uirevision: str | None = None, until_s: float | None = None,
              true_scale: bool = True, gain_mm_mv: float = 10.0, speed_mm_s: float = 25.0,
              reference: pd.DataFrame | None = None, selected: int | None = None) -> dict:
    """ECG window [start_s, end_s] (s) at full resolution on pink paper, beats marked.

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

    shapes, notes = _event_marks(in_view, start_s, band, px_per_s)
    data = []
    tt, yy = downsample(t, y, DETAIL_POINTS) if np.isfinite(y).all() else (t, y)
    # At full resolution the times are implicit (x0 + k dx) and the values float32 (ample for
    # an ECG): a quarter of the bytes to send and parse on every move of the window.
    xs = dict(x0=float(t[0]) if len(t) else 0.0, dx=1.0 / fs) if len(tt) == len(t) else dict(x=tt)
    data.append(dict(type="scattergl" if len(tt) > WEBGL_ABOVE else "scatter", **xs, y=yy.astype(np.float32),
                     mode="lines", line=dict(color="#111", width=1.2), name=lead_name or "ECG",
                     hoverinfo="skip", showlegend=False))
    # Plotly selects marker points, never a line: invisible markers along the trace, 20 ms apart, make
    # a click anywhere on it give its time (customdata -1, no beat), e.g. to add a missed beat there.
    k = max(1, int(round(CLICK_STEP_S * fs)))
    if len(t):
        data.append(dict(type="scatter", x=t[::k], y=np.nan_to_num(y[::k]).astype(np.float32), mode="markers",
                         marker=dict(size=6, opacity=0), selected=dict(marker=dict(opacity=0)),
                         unselected=dict(marker=dict(opacity=0)), customdata=np.full(len(t[::k]), -1),
                         hoverinfo="none", showlegend=False, name="time"))
    label_at = {}
    if has_beats:
        marks, label_at = beat_traces(beats, ecg, i0, i1, hi + 0.45 * LABEL_BAND_PX / px_per_mv, px_per_s,
                                      LABEL_PX / px_per_s, selected)
        data += marks
    if has_ref:
        # The markers high in the band, their letters beneath them (inside the plot, not clipped).
        data += reference_traces(reference, i0 / fs, i1 / fs, lo - 0.3 * REF_BAND_PX / px_per_mv, label_at,
                                 LABEL_PX / px_per_s)
    ticks = np.arange(np.ceil(i0 / fs), i1 / fs, 1.0 if width_s <= 30 else 5.0)
    xaxis = dict(range=[float(start_s), float(end_s)], tickmode="array", tickvals=ticks,
                 ticktext=[hms(v) if v >= 60 else f"{v:g} s" for v in ticks], zeroline=False, showgrid=False)
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
    grid = paper_grid(min(i0 / fs, start_s), max(i1 / fs, end_s), y_bottom - 4 * major_mv, y_top + 4 * major_mv,
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


def unchecked(fig: dict) -> go.Figure:
    """A figure dict built here, wrapped without plotly's property validation (which
    ``st.plotly_chart`` would otherwise run on a dict, costing more than building it)."""
    fig = {k: v for k, v in fig.items() if k != "meta"}
    return go.Figure(fig, _validate=False)
