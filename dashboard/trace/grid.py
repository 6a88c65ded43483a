"""The grid of ECG paper: exact minor and major squares, whatever ticks plotly picks.

At 25 mm/s and 10 mm/mV a minor square (1 mm) is 0.04 s by 0.1 mV and a major one (5 mm)
0.2 s by 0.5 mV; other speeds and gains scale the steps.
"""
from __future__ import annotations

import numpy as np

from .style import MAJOR_LINE, MINOR_LINE

#: ECG paper: minor squares 1 mm, major 5 mm. At 25 mm/s and 10 mm/mV a minor square is
#: 0.04 s by 0.1 mV and a major one 0.2 s by 0.5 mV.
MINOR_MM, MAJOR_MM = 1.0, 5.0
MINOR_S, MAJOR_S, MINOR_MV, MAJOR_MV = 0.04, 0.2, 0.1, 0.5
#: Most grid lines per direction and kind; beyond that the lines would be a solid tint.
MAX_GRID_LINES = 4000


def grid_lines(a: float, b: float, step: float) -> np.ndarray | None:
    """Multiples of ``step`` covering [a, b], or None where they would be too many (or
    the numbers are beyond float resolution: an absurd amplitude)."""
    with np.errstate(all="ignore"):
        k0, k1 = np.floor(a / step), np.ceil(b / step)
        count = k1 - k0
    if not (np.isfinite(k0) and np.isfinite(k1)) or not 0 < count <= MAX_GRID_LINES:
        return None
    return (k0 + np.arange(int(count) + 1)) * step


def paper_grid(x0: float, x1: float, y0: float, y1: float, step_s=(MINOR_S, MAJOR_S),
               step_mv=(MINOR_MV, MAJOR_MV), minor: bool = True) -> list[dict]:
    """The paper grid as two line traces (minor, major) of exact squares (``step_s`` and
    ``step_mv``: minor and major steps, in s and mV), whatever ticks plotly picks for the labels.

    The number of lines is bounded (``MAX_GRID_LINES``): a level that would need more is
    left out, so an absurd range costs nothing and raises nothing."""
    out = []
    levels = ((step_s[0], step_mv[0], MINOR_LINE, 0.5),) if minor else ()
    for sx, sy, colour, width in levels + ((step_s[1], step_mv[1], MAJOR_LINE, 1.0),):
        xs, ys = grid_lines(x0, x1, sx), grid_lines(y0, y1, sy)
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
