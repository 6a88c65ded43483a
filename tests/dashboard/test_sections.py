"""The page's sections on a small synthetic record (no MIT-BIH): the overview's wording of
numbers, the trace and the reference comparison drawn through AppTest, the explanation's
context figure, and the app's tabs covering every section."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_overview_numbers_and_the_training_warning():
    from dashboard.sections import overview
    from ecg_lstm.io.record import Record

    assert overview.fmt(None) == "–" and overview.fmt(float("nan")) == "–"
    assert overview.fmt(1234.56, 1, "ms") == "1,234.6 ms" and overview.fmt("n/a") == "n/a"
    assert overview.duration(125) == "2 min 05 s" and overview.duration(3725) == "1 h 02 min 05 s"
    trained = {"beat": {"106", "208"}, "rhythm": {"208"}}
    rec = Record("208", np.zeros((10, 1)), 360.0, ["MLII"], ["mV"])
    assert overview.training_record(rec, trained) == ["beat", "rhythm"]
    rec.fs = 250.0  # the same name at another rate is another record
    assert overview.training_record(rec, trained) == []


def test_overview_ds2_line_says_how_good_the_labels_are():
    from dashboard.sections import overview

    facts = {"beat": {"reference beats": {"VEB Se": 91.8, "SVEB +P": 36.2},
                      "end to end (detected beats)": {"VEB Se": 92.3, "SVEB +P": 34.9}}}
    line = overview.ds2_line(facts, "detected")
    assert "end to end (detected beats)" in line and "VEB Se 92.3" in line
    assert "Fewer than half of the S labels are right there (35 %)" in line
    assert "Measured without adaptation" in overview.ds2_line(facts, "detected", adapted=True)
    assert overview.ds2_line({"beat": {}}, "detected") is None


def _sections_page():
    """An AppTest script: a synthetic record whose reference disagrees on one beat, drawn by the
    trace (dashboard.sections.trace_view) and the reference comparison (dashboard.sections.reference)."""
    import numpy as np
    import streamlit as st

    from dashboard.sections import reference, trace_view
    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.io.record import Annotations, Record

    class AllNormal:
        name = "all normal"

        def predict(self, ecg, fs, peaks):
            return np.array(["N"] * len(peaks), dtype=object), np.tile(np.eye(5)[0], (len(peaks), 1))

    fs = 250.0
    t = np.arange(int(fs * 40)) / fs
    ecg = np.sin(2 * np.pi * 0.6 * t) ** 40 * 1.2
    plain = analyze_record(Record("s", ecg[:, None], fs, ["MLII"], ["mV"]), classifier=AllNormal(), rhythm=None)
    symbols = np.array(["N"] * len(plain.beats), dtype=object)
    symbols[5] = "V"
    ann = Annotations(plain.beats["sample"].to_numpy(), symbols, [""] * len(symbols))
    analysis = analyze_record(Record("s", ecg[:, None], fs, ["MLII"], ["mV"], annotations=ann),
                              classifier=AllNormal(), rhythm=None)
    st.session_state.setdefault("analysis_key", "synthetic")
    trace_view.render(analysis)
    reference.render(analysis)


def test_trace_and_reference_comparison_of_a_synthetic_record():
    at = AppTest.from_function(_sections_page, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    import json

    fig = json.loads(next(e for e in at.get("plotly_chart") if e.proto.id.endswith("-ecg_chart")).proto.spec)
    assert any(str(d.get("name", "")).startswith("reference") for d in fig["data"])
    table = next(d.value for d in at.dataframe if "reference" in d.value.columns)
    assert list(table["reference"]) == ["V"] and list(table["predicted"]) == ["N"]
    assert re.fullmatch(r"0:00:\d\d\.\d{3}", table["time"].iloc[0])
    assert len(at.session_state["disagree_table_times"]) == 1


def test_the_explanations_context_figure_keeps_the_neighbours_readable():
    from dashboard.sections import explain

    ex = {"context_offsets": [-2, -1, 0, 1, 2], "context_attribution": [0.1, -0.2, 5.0, 0.05, 0.0],
          "context_labels": ["N", "N", "V", "N", "N"]}
    fig = explain.context_figure(ex)
    lo, hi = fig.layout.yaxis.range
    assert hi == pytest.approx(1.3 * 0.2) and lo == -hi  # scaled to the neighbours, not to this beat
    assert fig.layout.annotations[0].text == "this beat +5.00"
    assert [c for c in fig.data[0].marker.color] == ["#2e7d32", "#2e7d32", "#c62828", "#2e7d32", "#2e7d32"]


def test_every_section_is_a_tab_or_part_of_the_page():
    """dashboard.app draws every section module: none is left off the page."""
    tree = ast.parse((ROOT / "dashboard" / "app.py").read_text())
    used = {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "render"
            and isinstance(n.value, ast.Name)}
    sections = {p.stem for p in (ROOT / "dashboard" / "sections").glob("*.py") if p.stem != "__init__"
                and "def render(" in p.read_text()}
    assert sections and sections <= used, sections - used
