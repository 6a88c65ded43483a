"""Times of a record as the page writes them: ``h:mm:ss`` from the record's start, the clock time
when the record has a start time (:func:`clock_time`), and the steps of a time axis.

One definition for every table, caption and axis of the dashboard (``hms`` and ``clock`` are the
printed report's), so a time reads the same wherever it shows.
"""
from __future__ import annotations

import numpy as np

from ecg_lstm.report.content import clock, hms  # the report's own: a time reads the same on paper

#: Tick steps (s) a time axis may use, smallest first: whole seconds, minutes and hours.
NICE_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


def clock_time(record, seconds: float) -> str:
    """A time of ``record`` as the page writes it: the clock time (``HH:MM:SS``, "day 2 HH:MM:SS"
    after the first day) when the file has a start time, else ``h:mm:ss`` from the start; never
    a count of seconds."""
    return clock(record, float(seconds))


def hms_ms(seconds: float) -> str:
    """``seconds`` as ``h:mm:ss.mmm``: a beat's time, where milliseconds tell beats apart."""
    return hms(seconds) + f".{int(round((seconds % 1) * 1000)):03d}"


def nice_step(span_s: float) -> float:
    """The smallest step of :data:`NICE_STEPS_S` at least ``span_s`` seconds (whole hours beyond)."""
    for s in NICE_STEPS_S:
        if s >= span_s:
            return float(s)
    return 3600.0 * np.ceil(span_s / 3600)
