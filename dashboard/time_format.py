"""Times of a record as the page writes them: ``h:mm:ss`` from the record's start, and the
steps of a time axis.

One definition for every table, caption and axis of the dashboard (``hms`` is the printed
report's), so a time reads the same wherever it shows.
"""
from __future__ import annotations

import numpy as np

from ecg_lstm.report.content import hms  # the report's own: a time reads the same on paper

#: Tick steps (s) a time axis may use, smallest first: whole seconds, minutes and hours.
NICE_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


def hms_ms(seconds: float) -> str:
    """``seconds`` as ``h:mm:ss.mmm``: a beat's time, where milliseconds tell beats apart."""
    return hms(seconds) + f".{int(round((seconds % 1) * 1000)):03d}"


def nice_step(span_s: float) -> float:
    """The smallest step of :data:`NICE_STEPS_S` at least ``span_s`` seconds (whole hours beyond)."""
    for s in NICE_STEPS_S:
        if s >= span_s:
            return float(s)
    return 3600.0 * np.ceil(span_s / 3600)
