"""The "Why this label" tab through Streamlit's AppTest: a 2-minute cut of DS1 record 208."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
import wfdb  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
TAB = "Why this label"


@pytest.fixture(scope="module")
def cut208(mitdb_dir, tmp_path_factory) -> list[tuple[str, bytes, str]]:
    """The first 2 minutes of 208 (V beats from the first seconds) as uploaded files."""
    out = tmp_path_factory.mktemp("explain_cut")
    rec = wfdb.rdrecord(str(mitdb_dir / "208"), sampto=360 * 120, physical=False)
    rec.record_name, rec.file_name = "e208", ["e208.dat"] * rec.n_sig
    rec.wrsamp(write_dir=str(out))
    return [(f"e208.{e}", (out / f"e208.{e}").read_bytes(), "application/octet-stream") for e in ("hea", "dat")]


@pytest.fixture(scope="module")
def app(cut208):
    mp = pytest.MonkeyPatch()  # module-scoped: undone after this file's tests
    mp.setenv("ECG_DATA_DIR", "/nonexistent-ecg-data")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.file_uploader(key="upload").set_value(cut208)
    at.run()
    assert "analysis" in at.session_state, "the upload did not open"
    at.session_state["main_tabs"] = TAB
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    yield at
    mp.undo()


def _labels(at: AppTest) -> np.ndarray:
    return at.session_state["analysis"].beats["label"].astype(str).to_numpy()


def test_panel_renders_for_the_first_ectopic_beat(app):
    at = app
    labels = _labels(at)
    sel = at.session_state["selected_beat"]
    assert labels[sel] in ("S", "V") and not np.isin(labels[:sel], ["S", "V"]).any()
    assert at.number_input(key="explain_beat").value == sel
    assert not at.error
    # beat, features, context, gates, similar beats (at least one class)
    assert len(at.get("plotly_chart")) >= 5
    text = " ".join(m.value for m in at.markdown)
    assert f"Labelled {labels[sel]}" in text.replace("\\", "")


def test_next_v_and_beat_input_move_the_selection(app):
    at = app
    labels = _labels(at)
    cur = at.session_state["selected_beat"]
    at.button(key="explain_next_V").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    nxt = at.session_state["selected_beat"]
    assert labels[nxt] == "V" and nxt > cur and not (labels[cur + 1:nxt] == "V").any()
    # The number input selects a beat, and the panel follows.
    at.number_input(key="explain_beat").set_value(3)
    at.run()
    assert at.session_state["selected_beat"] == 3
    # A beat chosen elsewhere (a click on the trace) is picked up by the panel's own input.
    at.session_state["selected_beat"] = 7
    at.run()
    assert not at.exception
    assert at.number_input(key="explain_beat").value == 7
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Beat 7" in text


def test_the_label_explained_is_the_one_on_the_trace(app, monkeypatch):
    """"The label" is the trace's (adapted to the record, or reviewed), whatever the shipped model says
    alone; another class is explained when asked for."""
    from dashboard.sections import explain

    asked, real = [], explain._explained
    monkeypatch.setattr(explain, "_explained", lambda key, beat, target, prep: asked.append(target)
                        or real(key, beat, target, prep))
    at = app
    labels = _labels(at)
    beat = int(np.flatnonzero(labels == "V")[0])
    at.session_state["selected_beat"] = beat
    at.run()
    assert not at.exception and asked[-1] == "V"
    assert f"Beat {beat}" in " ".join(m.value for m in at.markdown).replace("\\", "")
    at.selectbox(key="explain_target").set_value("N")
    at.run()
    assert asked[-1] == "N"
    at.selectbox(key="explain_target").set_value("the label")
    at.run()
