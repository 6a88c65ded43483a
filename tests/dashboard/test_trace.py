"""The ECG trace: y range at every window, gain and speed as on ECG paper, thinned labels,
reference annotations, a bounded paper grid (absurd amplitudes never raise), and, through
Streamlit's AppTest, the trace controls: gain/speed settings, paging, the navigator, the
same event selected again, and a click on a beat setting ``selected_beat``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import trace

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
CUT_S = 120


@pytest.fixture(scope="module")
def rec100(mitdb_dir):
    """Record 100 (MLII, mV) and its reference beats."""
    import wfdb

    r = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=360 * 300)
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr", sampto=360 * 300)
    return r.p_signal[:, 0], ann


def _beats(samples: np.ndarray, fs: float, labels=None) -> pd.DataFrame:
    labels = np.array(["N"] * len(samples), dtype=object) if labels is None else np.asarray(labels, dtype=object)
    return pd.DataFrame({"sample": samples, "time_s": samples / fs, "label": labels,
                         "confidence": np.full(len(samples), 0.9)})


def _plot_px(fig: dict) -> tuple[float, float]:
    lay = fig["layout"]
    m = lay["margin"]
    return lay.get("width", 0) - m["l"] - m["r"], lay["height"] - m["t"] - m["b"]


@pytest.mark.parametrize("width_s", [10, 30, 60])
def test_y_range_fits_the_signal_at_every_window(rec100, width_s):
    ecg, ann = rec100
    beats = _beats(ann.sample[np.isin(ann.symbol, list("NAV"))], 360.0)
    fig = trace.ecg_paper(ecg, 360.0, 100.0, 100.0 + width_s, beats=beats)
    y0, y1 = fig["layout"]["yaxis"]["range"]
    window = ecg[int(100 * 360):int((100 + width_s) * 360)]
    # The whole signal is inside, with room for the labels, and the range is a few mV, not
    # the +-10-20 mV that forcing square paper squares at a wide window gave.
    assert y0 <= window.min() and window.max() <= y1
    assert y1 - y0 < 6.0
    assert not fig["meta"]["clipped"]


def test_gain_is_exact_and_speed_sets_the_width(rec100):
    ecg, _ = rec100
    figs = {g: trace.ecg_paper(ecg, 360.0, 50, 60, gain_mm_mv=g) for g in trace.GAINS_MM_MV}
    for g, fig in figs.items():
        w_px, h_px = _plot_px(fig)
        y0, y1 = fig["layout"]["yaxis"]["range"]
        # plot pixels per mV = gain (mm/mV) x CSS px per mm, within the rounding of the height
        assert h_px / (y1 - y0) == pytest.approx(g * trace.PX_PER_MM, rel=0.02)
    # A small signal keeps the chart at its least height: the mV range then grows, the gain stays.
    assert _plot_px(figs[20])[1] >= _plot_px(figs[10])[1] >= _plot_px(figs[5])[1] >= trace.MIN_PLOT_PX
    spans = {g: np.diff(f["layout"]["yaxis"]["range"])[0] for g, f in figs.items()}
    assert spans[5] > spans[10] >= spans[20]
    w25 = _plot_px(trace.ecg_paper(ecg, 360.0, 50, 60, speed_mm_s=25))[0]
    w50 = _plot_px(trace.ecg_paper(ecg, 360.0, 50, 60, speed_mm_s=50))[0]
    assert w25 == pytest.approx(10 * 25 * trace.PX_PER_MM, abs=1.5)
    assert w50 == pytest.approx(2 * w25, abs=2)
    # The paper grid follows the speed and gain: a major square is 5 mm.
    g = trace.ecg_paper(ecg, 360.0, 50, 60, speed_mm_s=50, gain_mm_mv=20)
    major = next(d for d in g["data"] if d.get("line", {}).get("color") == trace.MAJOR_LINE)
    xs = np.unique(np.asarray(major["x"], float)[np.isfinite(major["x"])])
    assert np.min(np.diff(xs[(xs > 50) & (xs < 60)])) == pytest.approx(5 / 50, abs=1e-3)


def test_y_range_is_cut_not_stretched_by_an_artefact():
    t = np.arange(0, 30, 1 / 250)
    ecg = np.sin(2 * np.pi * 1.2 * t) ** 40 * 1.2
    ecg[2000:2010] = 80.0  # an 80 mV electrode pop
    y0, y1, clipped = trace.y_range(ecg, gain_mm_mv=10)
    assert clipped and y1 - y0 <= trace.MAX_PLOT_PX / (10 * trace.PX_PER_MM) + 1.0
    assert y0 <= 0.0 and y1 >= 1.2  # the ECG itself stays in view


def test_thin_labels_spacing_and_priority():
    times = np.arange(0, 10, 0.1)
    prio = np.zeros(len(times))
    prio[[13, 14, 57]] = 2.0  # ectopic beats
    keep = trace.thin_labels(times, prio, 0.5)
    kept = times[keep]
    assert np.all(np.diff(kept) >= 0.5 - 1e-9)
    assert keep[13] and keep[57]  # the ectopic beats keep their letters
    assert not keep[14]  # 0.1 s after another ectopic one: too close
    assert keep.sum() >= 10 // 0.5 * 0.5  # thinned, not emptied
    assert trace.thin_labels(times, prio, 0.0).all()


def test_labels_never_overlap_at_wide_windows(rec100):
    ecg, ann = rec100
    samples = ann.sample[np.isin(ann.symbol, list("NAV"))]
    labels = np.where(np.arange(len(samples)) % 7 == 0, "S", "N")
    beats = _beats(samples, 360.0, labels)
    for width in (10, 60):
        fig = trace.ecg_paper(ecg, 360.0, 60, 60 + width, beats=beats)
        written = []
        for d in fig["data"]:
            if d.get("mode") == "markers+text" and d.get("textposition") == "top center":
                written += [x for x, s in zip(d["x"], d["text"]) if s]
        written = np.sort(written)
        px_per_s = min(width * 25 * trace.PX_PER_MM, trace.NOMINAL_PLOT_PX) / width
        assert np.all(np.diff(written) * px_per_s >= trace.LABEL_PX - 1e-6)
        if width == 10:  # a 10 s window has room for every letter
            in_pad = (beats["time_s"] >= 60 - 2.5) & (beats["time_s"] < 70 + 2.5)
            assert len(written) == int(in_pad.sum())
        else:  # a minute of beats: thinned, yet every ectopic letter in the window shown
            s_times = beats["time_s"][(beats["label"] == "S") & (beats["time_s"] >= 60) & (beats["time_s"] <= 120)]
            assert len(written) < in_pad.sum() * 6
            assert set(np.round(s_times, 6)) <= set(np.round(written, 6))


def test_reference_drawn_and_disagreements_marked(rec100):
    ecg, ann = rec100
    keep = np.isin(ann.symbol, list("NAV"))
    samples, symbols = ann.sample[keep], np.asarray(ann.symbol)[keep]
    ref = pd.DataFrame({"time_s": samples / 360.0, "symbol": symbols,
                        "label": [{"N": "N", "A": "S", "V": "V"}[s] for s in symbols]})
    model = ref["label"].to_numpy(dtype=object).copy()
    model[5] = "V" if model[5] != "V" else "N"  # one beat the model calls otherwise
    fig = trace.ecg_paper(ecg, 360.0, 0, 10, beats=_beats(samples, 360.0, model), reference=ref)
    names = {d.get("name") for d in fig["data"]}
    assert "reference" in names and "reference ≠ model" in names
    bad = next(d for d in fig["data"] if d.get("name") == "reference ≠ model")
    assert list(bad["x"]) == [pytest.approx(samples[5] / 360.0)]
    # The reference row lies under the signal, the model's labels over it.
    ref_y = next(d for d in fig["data"] if d.get("name") == "reference")["y"][0]
    window = ecg[:3600]
    assert ref_y < window.min()


def test_beat_markers_carry_their_row():
    fs = 250.0
    samples = np.arange(100, 7000, 200)
    beats = _beats(samples, fs)
    fig = trace.ecg_paper(np.zeros(7500), fs, 10, 20, beats=beats, selected=20)
    marks = [d for d in fig["data"] if "customdata" in d and d.get("name") != "time"]
    rows = np.concatenate([np.asarray(d["customdata"]) for d in marks])
    assert set(rows) <= set(range(len(beats)))
    for d in marks:
        assert np.allclose(beats["time_s"].to_numpy()[np.asarray(d["customdata"])], d["x"])
    assert any(d.get("name") == "selected beat" for d in fig["data"])
    # The trace itself is clickable between beats: invisible points 20 ms apart carry -1, not a row.
    times = next(d for d in fig["data"] if d.get("name") == "time")
    assert set(np.asarray(times["customdata"])) == {-1} and np.allclose(np.diff(times["x"]), 0.02)
    assert times["hoverinfo"] == "none"  # "skip" would also drop the click


@pytest.mark.parametrize("value", [1e308, -1e308, 1e300, 1e-300, np.inf, np.nan])
def test_absurd_amplitudes_never_raise_and_the_grid_stays_bounded(value):
    fs = 360.0
    ecg = np.full(3600 * 3, value)
    ecg[::300] = -value if np.isfinite(value) else 0.0
    beats = _beats(np.arange(100, len(ecg), 300), fs)
    for gain in trace.GAINS_MM_MV:
        fig = trace.ecg_paper(ecg, fs, 10, 20, beats=beats, gain_mm_mv=gain)
        n_grid = sum(len(d["x"]) for d in fig["data"][:2])
        assert n_grid <= 6 * 2 * (trace.MAX_GRID_LINES + 1)
        y0, y1 = fig["layout"]["yaxis"]["range"]
        assert np.isfinite(y0) and np.isfinite(y1) and y1 >= y0
        assert trace.MIN_PLOT_PX <= fig["layout"]["height"] <= trace.MAX_PLOT_PX + 60
        trace.unchecked(fig).to_json()  # serialisable as sent to the browser


def test_paper_grid_bounded_for_any_range():
    for y0, y1 in [(1e300, 1e300 + 10), (-1e308, 1e308), (0.0, 1e9), (np.nan, 1.0), (5.0, 5.0)]:
        grid = trace.paper_grid(0.0, 10.0, y0, y1)
        assert sum(len(d["y"]) for d in grid) <= 2 * 3 * 2 * (trace.MAX_GRID_LINES + 1)


def test_navigator_one_noisy_trace_and_click_by_time():
    fs = 100.0
    ecg = np.sin(np.arange(0, 3600 * fs) / fs * 2 * np.pi)
    starts = np.arange(0, 3600, 10.0)
    noisy = pd.DataFrame({"start_s": starts, "end_s": starts + 10, "noisy": (starts // 10) % 3 == 0})
    noisy.loc[1:4, "noisy"] = True  # a run of touching noisy windows: one grey span
    fig = trace.navigator(ecg, fs, noisy=noisy)
    grey = [d for d in fig.data if d.name == "noisy"]
    assert len(grey) == 1
    spans = np.asarray(grey[0].x, dtype=float).reshape(-1, 6)
    assert spans[0, 0] == 0.0 and spans[0, 2] == 50.0  # windows 0-4 merged
    assert fig.layout.hovermode == "x" and fig.layout.clickmode == "event+select"


# --- the controls, through AppTest --------------------------------------------------------

st = pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402
from tests.dashboard.test_dashboard import _cut  # noqa: E402




@pytest.fixture(scope="module")
def app208(mitdb_dir, tmp_path_factory):
    """The dashboard with a 2-min cut of 208 (events, reference annotations) uploaded."""
    out = tmp_path_factory.mktemp("trace_cuts")
    stem = _cut(mitdb_dir, "208", out, new_name="t208")
    mp = pytest.MonkeyPatch()
    mp.setenv("ECG_DATA_DIR", "/nonexistent-ecg-data")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    files = [(f"{stem.name}.{e}", Path(f"{stem}.{e}").read_bytes(), "application/octet-stream")
             for e in ("hea", "dat", "atr")]
    at.file_uploader(key="upload").set_value(files)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    yield at
    mp.undo()


def _figure(at: AppTest) -> dict:
    el = next(e for e in at.get("plotly_chart") if e.proto.id.endswith("-ecg_chart"))
    return json.loads(el.proto.spec)


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_gain_and_speed_settings_redraw_the_trace(app208):
    at = app208
    base = _figure(at)
    assert at.segmented_control(key="trace_gain").value == 10
    assert at.segmented_control(key="trace_speed").value == 25
    at.segmented_control(key="trace_gain").set_value(20)
    tall = _figure(_run(at))
    assert tall["layout"]["height"] > base["layout"]["height"]
    at.segmented_control(key="trace_gain").set_value(10)
    at.segmented_control(key="trace_speed").set_value(50)
    wide = _figure(_run(at))
    assert wide["layout"]["width"] - 70 == pytest.approx(2 * (base["layout"]["width"] - 70), abs=2)
    at.segmented_control(key="trace_speed").set_value(25)
    _run(at)
    # Reference annotations of the record are drawn under the trace.
    assert any(str(d.get("name", "")).startswith("reference") for d in _figure(at)["data"])


def test_paging_buttons_have_arrow_shortcuts(app208):
    at = app208
    at.slider(key="trace_center_s").set_value(30.0)
    _run(at)
    assert at.button(key="trace_next").proto.shortcut == "right"
    assert at.button(key="trace_prev").proto.shortcut == "left"
    at.button(key="trace_next").click()
    _run(at)
    width = at.segmented_control(key="trace_width_s").value
    assert at.slider(key="trace_center_s").value == pytest.approx(30.0 + width)
    at.button(key="trace_prev").click()
    _run(at)
    assert at.slider(key="trace_center_s").value == pytest.approx(30.0)


def test_navigator_click_moves_the_window(app208):
    at = app208
    at.session_state["nav_chart"] = {"selection": {"points": [{"x": 77.3, "y": 0.1}], "point_indices": [0],
                                                   "box": [], "lasso": []}}
    _run(at)
    assert at.slider(key="trace_center_s").value == pytest.approx(77.0, abs=1.0)
    at.slider(key="trace_center_s").set_value(10.0)
    _run(at)
    assert at.slider(key="trace_center_s").value == pytest.approx(10.0)  # the old click is not replayed


def test_same_event_selected_again_moves_back(app208):
    at = app208
    at.session_state["main_tabs"] = "Events"
    _run(at)
    times = at.session_state["events_table_times"]
    if not times:
        pytest.skip("no event in the first 2 minutes of 208")
    row = len(times) - 1
    target = min(times[row], CUT_S)
    sel = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.session_state["events_table"] = sel
    _run(at)
    assert at.slider(key="trace_center_s").value == pytest.approx(target, abs=1.0)
    at.slider(key="trace_center_s").set_value(3.0)  # move away
    _run(at)
    assert at.slider(key="trace_center_s").value == pytest.approx(3.0)
    # Clicking the selected row again deselects it in the table: that click moves back.
    at.session_state["events_table"] = {"selection": {"rows": [], "columns": [], "cells": []}}
    _run(at)
    assert at.slider(key="trace_center_s").value == pytest.approx(target, abs=1.0)
    at.slider(key="trace_center_s").set_value(3.0)
    _run(at)
    at.session_state["events_table"] = sel  # ... and so does selecting it once more
    _run(at)
    assert at.slider(key="trace_center_s").value == pytest.approx(target, abs=1.0)


def test_click_on_a_beat_sets_selected_beat(app208):
    at = app208
    beats = at.session_state["analysis"].beats
    row = len(beats) // 2
    t = float(beats["time_s"].iloc[row])
    at.session_state["ecg_chart"] = {"selection": {"points": [{"x": t, "y": 1.0, "customdata": row,
                                                               "curve_number": 3, "point_index": 0}],
                                                   "point_indices": [0], "box": [], "lasso": []}}
    _run(at)
    assert at.session_state["selected_beat"] == row
    fig = _figure(at)
    assert any(d.get("name") == "selected beat" for d in fig["data"]) or not (
        abs(t - at.slider(key="trace_center_s").value) < 5)
    # A beat chosen elsewhere (the review panel) brings the trace to it.
    other = 3
    at.session_state["selected_beat"] = other
    _run(at)
    assert at.slider(key="trace_center_s").value == pytest.approx(float(beats["time_s"].iloc[other]), abs=1.0)


def test_absurd_amplitudes_never_break_the_page(monkeypatch):
    """Issue 10 item 3: values of 1e308 (or a gain of 1e-300) raised in the paper grid on
    every rerun and the record was lost. The reader now refuses such files with a clear
    error; the trace must hold by itself too: a shown record whose samples become absurd
    still draws, pages and changes gain without an exception."""
    monkeypatch.setenv("ECG_DATA_DIR", "/nonexistent-ecg-data")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    x = np.arange(0, 60, 1 / 250)
    ecg = np.sin(2 * np.pi * 1.2 * x) ** 40 * 1.2
    at.number_input(key="csv_fs").set_value(250.0)
    csv = lambda v: b"MLII\n" + "\n".join(f"{s:.6g}" for s in v).encode()  # noqa: E731
    at.file_uploader(key="upload").set_value([("huge.csv", csv(ecg * 1e308), "text/csv")])
    _run(at)
    assert "analysis" in at.session_state or at.error, "a record that is not shown says why"
    at.file_uploader(key="upload").set_value([("strip.csv", csv(ecg), "text/csv")])
    _run(at)
    signal = at.session_state["analysis"].record.signal
    normal = _figure(at)["layout"]["yaxis"]["range"]
    for value in (1e308, -np.inf, np.nan, 1e-300):
        signal[:, 0] = ecg * value if np.isfinite(value) else value
        for g in trace.GAINS_MM_MV:
            at.segmented_control(key="trace_gain").set_value(g)
            _run(at)
            y0, y1 = _figure(at)["layout"]["yaxis"]["range"]
            assert np.isfinite(y0) and np.isfinite(y1)
            if value == 1e308:  # the page draws the absurd samples, not the old ones
                assert [y0, y1] != normal
        at.button(key="trace_next").click()
        _run(at)


def test_long_record_preview_and_cache_replay(monkeypatch, mitdb_dir, tmp_path):
    """A long record shows its first seconds while it is analysed (here "long" is lowered
    to a minute); opening it again from Streamlit's cache replays that without error, and
    no preview is left on the page."""
    import wfdb

    from dashboard import first_seconds

    monkeypatch.setattr(first_seconds, "PREVIEW_FROM_S", 60.0)
    drawn, shown, preview = [], [], first_seconds.show

    def spy(record, long=False):
        shown.append(record.n_samples)
        drawn.append(preview(record, long))
        return drawn[-1]

    monkeypatch.setattr(first_seconds, "show", spy)
    monkeypatch.setenv("ECG_DATA_DIR", "/nonexistent-ecg-data")
    stems = []
    for name, seconds in (("119", 95), ("100", 75)):
        rec = wfdb.rdrecord(str(mitdb_dir / name), sampto=360 * seconds, physical=False)
        rec.record_name, rec.file_name = f"p{name}", [f"p{name}.dat"] * rec.n_sig
        rec.wrsamp(write_dir=str(tmp_path))
        stems.append(tmp_path / f"p{name}")
    files = [[(f"{s.name}.{e}", Path(f"{s}.{e}").read_bytes(), "application/octet-stream") for e in ("hea", "dat")]
             for s in stems]
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for f in (files[0], files[1], files[0]):  # the third opening is a cache hit
        at.file_uploader(key="upload").set_value(f)
        _run(at)
        assert not at.error, [e.value for e in at.error]
        assert not [e for e in at.get("plotly_chart") if e.proto.id.endswith("-preview_chart")]
        assert at.session_state["analysis"].record.name == f[0][0].split(".")[0]
    assert len(drawn) == 2 and all(d is not None for d in drawn)  # drawn while computing, replayed after
    assert shown == [3600, 3600]  # from the first 10 s, read before the whole record


def _opened(monkeypatch, stem: Path, timeout: float = 120) -> AppTest:
    """The page with the record ``stem`` (.hea, .dat) uploaded and analysed."""
    monkeypatch.setenv("ECG_DATA_DIR", "/nonexistent-ecg-data")
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    at.file_uploader(key="upload").set_value([(f"{stem.name}.{e}", Path(f"{stem}.{e}").read_bytes(),
                                               "application/octet-stream") for e in ("hea", "dat")])
    return _run(at)


def test_window_position_reads_as_clock_time(monkeypatch, mitdb_dir, tmp_path):
    """A record with a start time: the window's position reads as the clock time with the elapsed time
    under it, never as a count of seconds."""
    import datetime

    import wfdb

    rec = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=360 * 150, physical=False)
    wfdb.wrsamp("clk", fs=360, units=["mV", "mV"], sig_name=rec.sig_name, d_signal=rec.d_signal, fmt=["16", "16"],
                adc_gain=rec.adc_gain, baseline=rec.baseline, base_time=datetime.time(8, 30, 0),
                write_dir=str(tmp_path))
    at = _opened(monkeypatch, tmp_path / "clk")
    at.slider(key="trace_center_s").set_value(125.0)
    _run(at)
    text = " ".join(m.value for m in at.markdown)
    assert "08:32:05" in text and "0:02:05 in" in text


def test_rhythm_episode_one_click_away(monkeypatch, mitdb_dir, tmp_path):
    """Record 201 (AF): the rhythm tab sums up AF (burden, episodes, longest, first onset) and a click on
    an episode moves the trace to it."""
    stem = _cut(mitdb_dir, "201", tmp_path, seconds=600)
    at = _opened(monkeypatch, stem, timeout=180)
    at.session_state["main_tabs"] = "Rhythm & HRV"
    _run(at)
    times = at.session_state["rhythm_table_times"]
    ep = at.session_state["analysis"].rhythm_episodes
    assert len(times) == len(ep) > 1
    text = " ".join(c.value for c in at.caption)
    assert "burden" in text and "first onset" in text
    row = len(times) - 1
    at.session_state["rhythm_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    _run(at)
    assert at.slider(key="trace_center_s").value == pytest.approx(times[row], abs=1.0)


def test_a_click_between_beats_is_where_a_beat_is_added(monkeypatch, mitdb_dir, tmp_path):
    """A click on the trace away from the beat markers gives its time, and the Add beat form starts
    from it."""
    stem = _cut(mitdb_dir, "100", tmp_path, seconds=60)
    at = _opened(monkeypatch, stem)
    at.session_state["main_tabs"] = "Review"
    _run(at)
    centre = float(at.session_state["trace_center_s"])
    at.session_state["ecg_chart"] = {"selection": {"points": [{"x": centre + 1.234, "customdata": -1}]}}
    _run(at)
    assert at.session_state["trace_clicked_s"] == pytest.approx(centre + 1.234, abs=1e-3)
    box = next(n for n in at.number_input if n.label == "Add a beat at (s)")
    assert box.value == pytest.approx(centre + 1.234, abs=1e-3)


def test_add_the_window_to_the_report(monkeypatch, mitdb_dir, tmp_path):
    """"Add to report" makes the window shown one of the report's strips (once), as the Export tab lists."""
    stem = _cut(mitdb_dir, "100", tmp_path, seconds=60)
    at = _opened(monkeypatch, stem)
    at.slider(key="trace_center_s").set_value(30.0)
    _run(at)
    at.button(key="trace_add_strip").click()
    _run(at)
    key = at.session_state["record_key"]
    (a, b, caption), = at.session_state["report_strips"][key]
    assert (a, b) == pytest.approx((25.0, 35.0)) and caption == "Strip at 0:00:25"
    assert at.button(key="trace_add_strip").disabled  # the same window is not added twice
    from dashboard.sections.export import report_options

    assert report_options() == {}  # outside a page: the defaults (the page passes the chosen strips)
