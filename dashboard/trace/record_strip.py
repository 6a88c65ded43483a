"""The navigator: the whole record in one strip, events marked and noisy stretches greyed;
a click anywhere selects that time."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.time_format import hms, nice_step

from .points import NAVIGATOR_CLICK_POINTS, NAVIGATOR_POINTS, WEBGL_ABOVE


def merge_spans(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Touching or overlapping [start, end] spans merged (inputs sorted by start)."""
    if not len(starts):
        return starts, ends
    new = np.r_[True, starts[1:] > np.maximum.accumulate(ends)[:-1]]
    return starts[new], np.maximum.reduceat(ends, np.flatnonzero(new))


#: Samples checked at a time for values that cannot be drawn.
CHECK_BLOCK = 1 << 20


def _plottable(ecg: np.ndarray) -> np.ndarray:
    """The lead as it is (float32 or float64, contiguous: no copy for a record's lead), or, where it holds
    values that cannot be drawn (NaN, infinities, beyond 1e30), a float32 copy with those at 0. Checked
    block by block: a day's lead as float64, with its masks, took 0.5 GB more than the record itself."""
    x = np.asarray(ecg)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float32)
    x = np.ascontiguousarray(x)
    with np.errstate(all="ignore"):
        def drawable(b):
            return bool(np.isfinite(b).all() and np.abs(b).max(initial=0.0) < 1e30)

        if all(drawable(x[i:i + CHECK_BLOCK]) for i in range(0, len(x), CHECK_BLOCK)):
            return x
        out = np.empty(len(x), np.float32)
        for i in range(0, len(x), CHECK_BLOCK):
            b = x[i:i + CHECK_BLOCK]
            out[i:i + CHECK_BLOCK] = np.where(np.isfinite(b) & (np.abs(b) < 1e30), b, 0.0)
        return out


def navigator(ecg: np.ndarray, fs: float, events: pd.DataFrame | None = None,
              noisy: pd.DataFrame | None = None, height: int = 130) -> go.Figure:
    """The whole record, downsampled, with events marked and noisy stretches greyed.
    Clicking anywhere in the strip selects that time (hover is by x, so any height works).

    Built as plain trace dicts: the noisy stretches are one filled trace, not one shape
    each (plotly's ``add_vrect`` per stretch took half a minute for a 24 h record)."""
    n = len(ecg)
    x = _plottable(ecg)
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
        s0, s1 = merge_spans(seg["start_s"].to_numpy(float), seg["end_s"].to_numpy(float))
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
                     hovertext=[hms(v) for v in xs], hoverinfo="text"))
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
        hover = [f"{e} at {hms(x)}" + (f" (+{k - 1} more)" if k > 1 else "")
                 for e, x, k in zip(ev_type[first], ev_t[first], counts)]
        data.append(dict(type="scatter", x=ev_t[first], y=np.full(int(first.sum()), hi), mode="markers",
                         marker=dict(color="#e65100", size=9, symbol="diamond"), name="events",
                         selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
                         hovertext=hover, hoverinfo="text"))
    tick = nice_step(dur / 10)
    ticks = np.arange(0, dur + 1e-9, tick)
    # Side margins as small as the slider's, so the slider under it lines up with the time axis.
    layout = dict(height=height, margin=dict(l=10, r=10, t=5, b=25), showlegend=False, plot_bgcolor="#fafafa",
                  dragmode=False, hovermode="x", clickmode="event+select",
                  xaxis=dict(range=[0, dur], tickmode="array", tickvals=ticks, ticktext=[hms(v) for v in ticks],
                             showgrid=False, fixedrange=True),
                  yaxis=dict(visible=False, fixedrange=True, range=[lo - 0.05 * (hi - lo), hi + 0.1 * (hi - lo)]))
    return go.Figure({"data": data, "layout": layout}, _validate=False)
