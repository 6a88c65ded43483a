"""Beat editing in the Review tab (dashboard.sections.beat_edits), through Streamlit's AppTest:
delete the selected beat, undo, mark a span as artefact, add a beat at a time; the page's
analysis (counts, events) follows each, and the .cor file carries the edits."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("streamlit")
from tests.dashboard.test_dashboard_review import (  # noqa: E402
                                                   _app,
                                                   _files,
                                                   _review_tab,
                                                   _run,
                                                   _upload,
                                                   cuts,  # noqa: F401  (the fixture)
)


def _submit(at, label: str):
    next(b for b in at.button if b.label == label).click()
    return _run(at)


def _number(at, label: str):
    return next(n for n in at.number_input if n.label == label)


def test_delete_undo_artefact_and_add_in_the_review_tab(monkeypatch, cuts, tmp_path):  # noqa: F811
    from dashboard import studies_session
    from ecg_lstm import review
    from ecg_lstm.studies import StudyStore

    monkeypatch.setenv("ECG_STUDY_FILES", str(tmp_path / "studies"))  # a study store of this test's own
    monkeypatch.delenv("ECG_STUDY_DB", raising=False)
    studies_session._open_store.clear()
    at = _review_tab(_upload(_app(monkeypatch), _files(cuts / "c100")))
    plain = at.session_state["analysis"]
    n, total = len(plain.beats), sum(plain.vitals["beat_counts"].values())
    s5 = int(plain.beats["sample"].iloc[5])
    at.session_state["selected_beat"] = 5
    at = _run(at)
    at.button(key="review_delete").click()
    at = _run(at)
    a = at.session_state["analysis"]
    assert len(a.beats) == n - 1 and s5 not in set(a.beats["sample"]) and sum(a.vitals["beat_counts"].values()) == \
        total - 1
    assert any("1 beats deleted" in c.value for c in at.caption)
    at.button(key="review_undo").click()
    at = _run(at)
    assert len(at.session_state["analysis"].beats) == n
    # A span marked as artefact: its beats leave the page's analysis.
    _number(at, "Artefact from (s)").set_value(20.0)
    _number(at, "to (s)").set_value(30.0)
    at = _submit(at, "Mark as artefact")
    t = plain.beats["time_s"].to_numpy()
    k = int(((t >= 20) & (t <= 30)).sum())
    a = at.session_state["analysis"]
    assert k > 5 and len(a.beats) == n - k and not ((a.beats["time_s"] >= 20) & (a.beats["time_s"] <= 30)).any()
    # Relabelling a template leaves its beats marked as artefact out.
    rev = at.session_state["reviews"][at.session_state["record_key"]]
    gone = {s for s, lab in rev["corrections"].items() if lab == "~"}
    at.button(key="template_as_V").click()
    at = _run(at)
    after = at.session_state["reviews"][at.session_state["record_key"]]["corrections"]
    assert {s for s, lab in after.items() if lab == "~"} == gone and "V" in after.values()
    assert len(at.session_state["analysis"].beats) == n - k
    at.button(key="review_undo").click()
    at = _run(at)
    # A beat added 40 ms after one of them is snapped to its R peak and counted again, as reviewed.
    t_beat = float(plain.beats["time_s"].iloc[int(np.searchsorted(t, 25.0))])
    _number(at, "Add a beat at (s)").set_value(round(t_beat + 0.04, 2))
    at = _submit(at, "Add beat")
    b = at.session_state["analysis"]
    assert len(b.beats) == n - k + 1
    row = int(at.session_state["selected_beat"])
    assert abs(b.beats["time_s"].iloc[row] - t_beat) < 0.03
    assert b.beats["reviewed"].iloc[row] and b.beats["label"].iloc[row] == "N"
    # A beat added between two beats (a missed one) enters the table, labelled as chosen.
    t_mid = float(t[60] + t[61]) / 2
    _number(at, "Add a beat at (s)").set_value(round(t_mid, 2))
    at.selectbox(key="review_add_label").select("V")
    at = _submit(at, "Add beat")
    b = at.session_state["analysis"]
    assert len(b.beats) == n - k + 2 and b.beats["added"].sum() == 1
    assert b.beats.loc[b.beats["added"], "label"].tolist() == ["V"] and b.vitals["beat_counts"]["V"] >= 1
    assert abs(float(b.beats.loc[b.beats["added"], "time_s"].iloc[0]) - t_mid) <= 0.08
    rev = at.session_state["reviews"][at.session_state["record_key"]]
    # Kept in the study as the labels are, with an audit entry per edit.
    sid = at.session_state["study_id"]
    store = StudyStore()
    assert store.review(sid)["corrections"] == rev["corrections"]
    assert {"delete beat", "undo", "mark artefact", "add beat"} <= set(store.audit_trail(sid)["action"])
    studies_session._open_store.clear()
    data = review.corrections_bytes(b, rev, plain)
    back = review.new_review()
    assert not review.load_corrections(back, plain, data, "c100.cor").error
    assert back["corrections"] == rev["corrections"]


def test_review_keys(monkeypatch, cuts):  # noqa: F811
    """A technician reviews from the keyboard: N S V F Q label the selected beat, Delete deletes it, J
    selects the next beat to review, Ctrl+Z undoes; the template buttons take no keys (no clash)."""
    at = _review_tab(_upload(_app(monkeypatch), _files(cuts / "c100")))
    at.session_state["selected_beat"] = 3
    at = _run(at)
    keys = {b.key: b.proto.shortcut for b in at.button if b.proto.shortcut}
    assert {keys.get(f"beat_as_{c}", "").upper() for c in "NSVFQ"} == set("NSVFQ")
    assert keys["review_delete"].lower() == "delete" and keys["review_next"].upper() == "J"
    assert keys["review_undo"].lower() == "ctrl+z"
    assert not [k for k in keys if k.startswith("template_as")]
    assert len(set(keys.values())) == len(keys)  # one button per key


def test_template_grid_one_scale_and_click_to_select(monkeypatch, cuts):  # noqa: F811
    """The templates share one amplitude and one time axis, and a click on one selects it."""
    from dashboard import trace

    at = _review_tab(_upload(_app(monkeypatch), _files(cuts / "c100")))
    grid = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("review_grid"))
    import json

    fig = json.loads(grid.proto.spec)
    ranges = {tuple(v["range"]) for k, v in fig["layout"].items() if k.startswith("yaxis") and "range" in v}
    assert len(ranges) == 1  # one amplitude scale for every template
    def values(v):  # plotly writes numpy arrays as typed base64 data
        import base64

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]) if isinstance(v, dict) else v

    ids = [int(values(d["customdata"])[0]) for d in fig["data"]]
    assert trace.template_clicked({"selection": {"points": [{"customdata": ids[-1], "x": 0}]}}) == ids[-1]
    assert trace.template_clicked({"selection": {"points": []}}) is None
    at.session_state["review_grid"] = {"selection": {"points": [{"customdata": ids[-1], "x": 0.0}]}}
    at = _run(at)
    assert int(at.selectbox(key="review_template").value) == ids[-1]
    first = ids[0]
    at.selectbox(key="review_template").set_value(first)  # the drop-down stays free after the click
    at = _run(at)
    assert int(at.selectbox(key="review_template").value) == first
