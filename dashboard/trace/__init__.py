"""Plotly figures of the dashboard, one kind per module:

- :mod:`.paper`: the ECG on paper (true gain and speed), beats and events marked;
- :mod:`.marks`: the beat letters and reference annotations on that trace, thinned to fit;
- :mod:`.grid`: the paper's minor and major squares;
- :mod:`.leads`: every lead at once (stacked, or the 12-lead print layout);
- :mod:`.record_strip`: the navigator, the whole record in one clickable strip;
- :mod:`.plots`: heart-rate trend, RR tachogram, Poincaré plot, median beats, confusion
  matrix, training curves;
- :mod:`.strips`: the review's template grid and beat strips;
- :mod:`.style` and :mod:`.points`: class colours, shapes and names; point budgets.

Figures only lay out arrays computed by the library (``ecg_lstm.report.figures``). The names
below are the package's public face: ``from dashboard import trace; trace.ecg_paper(...)``.
"""
from __future__ import annotations

from .grid import MAJOR_MM, MAJOR_MV, MAJOR_S, MAX_GRID_LINES, MINOR_MM, MINOR_MV, MINOR_S, grid_lines, paper_grid
from .leads import LAYOUT_3X4, RHYTHM_LEAD, leads_paper, twelve_lead_layout
from .marks import beat_traces, label_priority, reference_traces, thin_labels
from .paper import (EVENT_BAND_PX, GAINS_MM_MV, LABEL_BAND_PX, LABEL_PX, MAX_PLOT_PX, MIN_PLOT_PX, NOMINAL_PLOT_PX,
                    PX_PER_MM, REF_BAND_PX, SPEEDS_MM_S, TRACE_MARGIN, ecg_paper, unchecked, y_range)
from .plots import confusion, hr_trend, median_beats, poincare, tachogram, time_axis, training_curves
from .points import DETAIL_POINTS, NAVIGATOR_CLICK_POINTS, NAVIGATOR_POINTS, WEBGL_ABOVE, downsample, scatter
from .record_strip import merge_spans, navigator
from .strips import GRID_TEMPLATES, STRIP_HALF_S, beat_strips, template_clicked, template_grid
from .style import (CLASS_COLOURS, CLASS_DASHES, CLASS_NAMES, CLASS_SYMBOLS, EVENT_BAND, MAJOR_LINE, MINOR_LINE,
                    NOISY_BAND, PAPER, TOP_LEGEND)

__all__ = [
    "CLASS_COLOURS", "CLASS_DASHES", "CLASS_NAMES", "CLASS_SYMBOLS", "DETAIL_POINTS", "EVENT_BAND", "EVENT_BAND_PX",
    "GAINS_MM_MV", "GRID_TEMPLATES", "LAYOUT_3X4", "RHYTHM_LEAD", "leads_paper", "twelve_lead_layout",
    "LABEL_BAND_PX", "LABEL_PX", "MAJOR_LINE", "MAJOR_MM", "MAJOR_MV", "MAJOR_S",
    "MAX_GRID_LINES", "MAX_PLOT_PX", "MINOR_LINE", "MINOR_MM", "MINOR_MV", "MINOR_S", "MIN_PLOT_PX",
    "NAVIGATOR_CLICK_POINTS", "NAVIGATOR_POINTS", "NOISY_BAND", "NOMINAL_PLOT_PX", "PAPER", "PX_PER_MM",
    "REF_BAND_PX", "SPEEDS_MM_S", "STRIP_HALF_S", "TOP_LEGEND", "TRACE_MARGIN", "WEBGL_ABOVE",
    "beat_strips", "beat_traces", "confusion", "downsample", "ecg_paper", "grid_lines", "hr_trend",
    "label_priority", "median_beats", "merge_spans", "navigator", "paper_grid", "poincare", "reference_traces",
    "scatter", "tachogram", "template_clicked", "template_grid", "thin_labels", "time_axis", "training_curves",
    "unchecked", "y_range",
]
