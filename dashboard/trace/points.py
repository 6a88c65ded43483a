"""How many points a figure sends to the browser: long traces are reduced (keeping their
peaks), and many points are drawn with WebGL."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

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
