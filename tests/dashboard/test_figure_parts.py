"""The parts of the dashboard's figures one by one: time formatting (dashboard.time_format),
the paper's grid (dashboard.trace.grid), beat marks (dashboard.trace.marks), point budgets
(dashboard.trace.points), the navigator (dashboard.trace.record_strip), the rhythm plots
(dashboard.trace.plots), the review's strips (dashboard.trace.strips) and the class encoding
(dashboard.trace.style). Synthetic signals only."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import time_format
from dashboard.trace import grid, marks, paper, plots, points, record_strip, strips, style

FS = 250.0


def test_times_read_as_hours_minutes_seconds():
    assert time_format.hms(0) == "0:00:00"
    assert time_format.hms(59.99) == "0:00:59"
    assert time_format.hms(3 * 3600 + 61) == "3:01:01"
    assert time_format.hms_ms(61.25) == "0:01:01.250"
    assert [time_format.nice_step(s) for s in (0.5, 7, 31, 7200, 9000)] == [1.0, 10.0, 60.0, 7200.0, 10800.0]


def test_grid_lines_are_bounded():
    assert grid.grid_lines(0.0, 1.0, 0.2).round(6).tolist() == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert grid.grid_lines(0.0, 1e300, 0.1) is None  # too many: left out, not drawn
    assert grid.grid_lines(0.0, np.inf, 0.1) is None
    assert len(grid.paper_grid(0.0, 2.0, -1.0, 1.0, minor=False)) == 1


def _beats(labels) -> pd.DataFrame:
    n = len(labels)
    s = (np.arange(n) * 0.8 * FS + 0.4 * FS).astype(np.int64)
    return pd.DataFrame({"sample": s, "time_s": s / FS, "label": labels, "confidence": np.full(n, 0.9)})


def test_beat_marks_carry_their_rows_and_ring_the_selected_beat():
    ecg = np.zeros(int(10 * FS))
    beats = _beats(list("NNVNSNNNNNNN"))
    traces, label_at = marks.beat_traces(beats, ecg, int(2 * FS), int(6 * FS), y_mark=1.0, px_per_s=100.0,
                                         min_gap_s=0.1, selected=4)
    rows = sorted(int(r) for t in traces if "customdata" in t for r in t["customdata"])
    inside = np.flatnonzero((beats["sample"] >= 2 * FS) & (beats["sample"] < 6 * FS))
    assert sorted(set(rows)) == inside.tolist()
    assert any(t.get("name") == "selected beat" for t in traces)
    assert sorted(label_at.values()) == sorted(beats["label"].iloc[inside])
    assert marks.beat_traces(beats, ecg, 0, 10, 1.0, 100.0, 0.1) == ([], {})  # no beat in view


def test_reference_letters_red_where_the_model_differs():
    ref = pd.DataFrame({"time_s": [1.0, 2.0, 3.0], "label": ["N", "V", "N"], "symbol": ["N", "V", "N"]})
    out = marks.reference_traces(ref, 0.0, 10.0, -1.0, {1.0: "N", 2.0: "N"}, min_gap_s=0.1)
    by_name = {t["name"]: list(t["x"]) for t in out}
    assert by_name == {"reference": [1.0], "reference ≠ model": [2.0, 3.0]}  # 3.0: no model beat near


def test_long_traces_are_reduced_keeping_their_peaks():
    t = np.arange(100_000) / FS
    y = np.zeros_like(t)
    y[54_321] = 5.0
    tt, yy = points.downsample(t, y, 1000)
    assert len(tt) <= 1000 and yy.max() == 5.0
    assert points.scatter(10).type == "scatter" and points.scatter(points.WEBGL_ABOVE + 1).type == "scattergl"


def test_navigator_merges_noisy_stretches():
    s0, s1 = record_strip.merge_spans(np.array([0.0, 5.0, 20.0]), np.array([6.0, 10.0, 30.0]))
    assert s0.tolist() == [0.0, 20.0] and s1.tolist() == [10.0, 30.0]
    ecg = np.sin(np.arange(int(60 * FS)) / FS * 2 * np.pi)
    events = pd.DataFrame({"start_s": [10.0, 10.01, 40.0], "type": ["PVC", "PVC", "VT"]})
    fig = record_strip.navigator(ecg, FS, events=events)
    marks_ = next(t for t in fig.data if t.name == "events")
    assert len(marks_.x) == 2 and "(+1 more)" in marks_.hovertext[0]  # one diamond per strip pixel


def test_plots_label_time_in_hours_minutes_seconds():
    trend = pd.DataFrame({"time_s": [0.0, 3600.0], "hr_bpm": [60, 70], "hr_min_bpm": [55, 65], "hr_max_bpm": [65, 75]})
    fig = plots.hr_trend(trend)
    assert fig.layout.xaxis.ticktext[1] == time_format.hms(fig.layout.xaxis.tickvals[1])
    assert fig.layout.xaxis.title.text == "time (h:mm:ss)"


def test_review_strips_and_template_grid():
    from types import SimpleNamespace

    from ecg_lstm.io.record import Record

    ecg = np.sin(np.arange(int(20 * FS)) / FS * 2 * np.pi * 1.2) ** 40
    beats = _beats(list("NNVNNNNNNNNNNNNNNNNNNNNN"))
    analysis = SimpleNamespace(record=Record("s", ecg[:, None], FS, ["MLII"], ["mV"]), lead_index=0, beats=beats)
    fig = strips.beat_strips(analysis, [0, 2])
    marked = [t for t in fig.data if t.mode == "markers+text"]
    assert [t.text[0] for t in marked] == ["N", "V"]
    assert marked[1].marker.symbol == style.CLASS_SYMBOLS["V"]
    tab = pd.DataFrame({"template": [0, 1], "count": [20, 4], "label": ["N", "V"]})
    T = SimpleNamespace(medians=np.zeros((2, 50)), time_axis_s=lambda: np.linspace(-0.2, 0.3, 50))
    grid_fig = strips.template_grid(tab, T)
    assert [t.line.dash for t in grid_fig.data] == [style.CLASS_DASHES["N"], style.CLASS_DASHES["V"]]


@pytest.mark.parametrize("gain", paper.GAINS_MM_MV)
def test_paper_keeps_its_gain_for_a_small_signal(gain):
    fig = paper.ecg_paper(np.zeros(int(20 * FS)), FS, 5, 15, gain_mm_mv=gain)
    y0, y1 = fig["meta"]["y_range"]
    plot_px = fig["layout"]["height"] - paper.TRACE_MARGIN["t"] - paper.TRACE_MARGIN["b"]
    assert plot_px / (y1 - y0) == pytest.approx(gain * paper.PX_PER_MM, rel=0.02)
