"""The dashboard on the study store (``dashboard.studies_session``, ``dashboard.worklist`` run as
``dashboard.studies_page``, the Study tab ``dashboard.sections.study``), through Streamlit's AppTest:
what a reviewer does is saved as it is made, a new session finds it all, the Studies page lists and opens studies, two
sessions on one study see each other's changes, and a store that cannot be opened leaves the
page working, saying why."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.dashboard.test_dashboard import APP, _cut  # noqa: E402
from tests.dashboard.test_dashboard_review import _correct_some, _files, _open_tab, _review_tab, _run  # noqa: E402


@pytest.fixture(scope="module")
def cuts(mitdb_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("study_cuts")
    for name in ("208", "232"):
        _cut(mitdb_dir, name, out)
    return out


@pytest.fixture()
def fresh_store(monkeypatch, tmp_path):
    """A store of this test's own (the dashboard opens it once per server: the cache is cleared)."""
    from dashboard import studies_session

    monkeypatch.setenv("ECG_STUDY_FILES", str(tmp_path / "studies"))
    monkeypatch.delenv("ECG_STUDY_DB", raising=False)
    studies_session._open_store.clear()
    yield tmp_path / "studies"
    studies_session._open_store.clear()


def _session(monkeypatch, who: str = "A. Tech") -> AppTest:
    monkeypatch.setenv("ECG_DATA_DIR", "/nonexistent-ecg-data")
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["reviewer_name"] = who
    return _run(at)


def _open(at: AppTest, files) -> AppTest:
    at.file_uploader(key="upload").set_value(files)
    return _run(at)


def _store():
    from ecg_lstm.studies import StudyStore

    return StudyStore()


def test_review_survives_the_session(monkeypatch, cuts, fresh_store):
    at, corrections = _correct_some(_open(_session(monkeypatch), _files(cuts / "c208")))
    sid = at.session_state["study_id"]
    # Saved before the page showed it: in the database now, with its audit entries.
    store = _store()
    assert store.review(sid)["corrections"] == corrections
    trail = store.audit_trail(sid)
    assert list(trail["action"]) == ["study added", "relabel template", "relabel beat"]
    assert set(trail["who"]) == {"A. Tech"} and trail["target"].iloc[1].startswith("T")
    row = store.get(sid)
    assert row["status"] == "in review" and row["n_corrections"] == len(corrections)
    # A report field typed in the Export tab is saved as typed.
    at = _open_tab(at, "Export")
    at.text_input(key="report_patient_id").input("P-0042")
    at = _run(at)
    assert store.get(sid)["report_fields"]["patient_id"] == "P-0042"

    # The tab is closed; a new session opens the same record: everything is there, the labels
    # from the analysis saved with the review (no relabelling).
    from dashboard import review_session
    from ecg_lstm import review

    review_session.relabelled.clear()
    monkeypatch.setattr(review, "relabelled_analysis", lambda *a, **k: pytest.fail("relabelled again"))
    again = _open(_session(monkeypatch, "B. Tech"), _files(cuts / "c208"))
    assert again.session_state["study_id"] == sid
    rev = again.session_state["reviews"][again.session_state["record_key"]]
    assert rev["corrections"] == corrections
    assert int(again.session_state["analysis"].beats["reviewed"].sum()) == len(corrections)
    assert again.session_state["report_patient_id"] == "P-0042"


def test_worklist_lists_and_opens_a_study(monkeypatch, cuts, fresh_store):
    at = _open(_session(monkeypatch), _files(cuts / "c232"))
    sid = at.session_state["study_id"]
    at = _review_tab(at)
    at.session_state["selected_beat"] = 2
    at = _run(at)
    at.button(key="beat_as_F").click()
    at = _run(at)

    page = _session(monkeypatch, "C. Tech")
    page = _worklist(page)
    table = page.dataframe(key="worklist_table").value
    assert list(table["study"]) == [sid] and table["label"].iloc[0] == "c232"
    assert table["corrections"].iloc[0] == 1 and table["status"].iloc[0] == "in review"
    # Filters: by status and by text.
    page.selectbox(key="worklist_status").select("signed")
    page = _run(page)
    assert not page.dataframe  # no study matches
    page.selectbox(key="worklist_status").select("all")
    page.text_input(key="worklist_text").input("C232")
    page = _run(page)
    assert list(page.dataframe(key="worklist_table").value["study"]) == [sid]
    # Open it: the record, its saved analysis and its review, without analysing again.
    page.session_state["worklist_table"] = {"selection": {"rows": [0], "columns": []}}
    page = _run(page)
    page.button(key="worklist_open").click()
    page = _run(page)
    assert page.session_state["study_id"] == sid
    opened = page.session_state["analysis"]
    assert opened.record.name == "c232" and int(opened.beats["reviewed"].sum()) == 1
    assert opened.beats["label"].iloc[2] == "F"


def _worklist(at: AppTest) -> AppTest:
    at.switch_page("studies_page.py")
    return _run(at)


def test_two_sessions_on_one_study(monkeypatch, cuts, fresh_store):
    a = _review_tab(_open(_session(monkeypatch, "A"), _files(cuts / "c208")))
    b = _review_tab(_open(_session(monkeypatch, "B"), _files(cuts / "c208")))
    assert a.session_state["study_id"] == b.session_state["study_id"]
    a.session_state["selected_beat"] = 4
    a = _run(a)
    a.button(key="beat_as_Q").click()
    a = _run(a)
    b = _run(b)  # B's next run (a reload, a click) loads A's change
    rev_b = b.session_state["reviews"][b.session_state["record_key"]]
    sample = int(a.session_state["analysis"].beats["sample"].iloc[4])
    assert rev_b["corrections"] == {sample: "Q"}
    assert "changed in another session (by A)" in " ".join(i.value for i in b.info).replace("\\", "")
    assert "A is working on it" in " ".join(c.value for c in b.caption).replace("\\", "")
    b.session_state["selected_beat"] = 5
    b = _run(b)
    b.button(key="beat_as_S").click()
    b = _run(b)
    store = _store()
    sid = b.session_state["study_id"]
    assert len(store.review(sid)["corrections"]) == 2  # both kept
    assert list(store.audit_trail(sid)["who"])[-2:] == ["A", "B"]


def test_sign_off_in_the_study_tab(monkeypatch, cuts, fresh_store):
    at = _open(_session(monkeypatch, "Dr *Who*"), _files(cuts / "c232"))  # typed text, Markdown in it
    sid = at.session_state["study_id"]
    at = _open_tab(at, "Study")
    assert any("kept on this computer as a study" in c.value for c in at.caption)
    at.button(key="study_sign").click()
    at = _run(at)
    store = _store()
    signed = store.signed_reports(sid)
    assert len(signed) == 1 and signed["signed_by"].iloc[0] == "Dr *Who*"
    label = next(b.proto.label for b in at.get("download_button") if b.proto.label.startswith("Signed report"))
    assert "Dr \\*Who\\*" in label  # shown as typed, not as emphasis
    assert store.signed_pdf(signed["sha256"].iloc[0]).startswith(b"%PDF")
    assert store.get(sid)["status"] == "signed"
    audit = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert audit["action"].iloc[0] == "signed"


def test_store_that_cannot_open_leaves_the_page_working(monkeypatch, cuts, tmp_path):
    from dashboard import studies_session

    foreign = tmp_path / "notes.sqlite"
    foreign.write_bytes(b"these are someone's notes, not a database" * 20)
    monkeypatch.setenv("ECG_STUDY_DB", f"sqlite:///{foreign}")
    studies_session._open_store.clear()
    try:
        at = _open(_session(monkeypatch), _files(cuts / "c232"))
        assert at.session_state["analysis"] is not None and "study_id" not in at.session_state
        kept = " ".join(c.value for c in at.caption)
        assert "not kept" in kept and "not a SQLite database" in kept
        assert foreign.read_bytes() == b"these are someone's notes, not a database" * 20
    finally:
        studies_session._open_store.clear()


def test_refused_save_is_undone_on_the_page(monkeypatch, cuts, fresh_store):
    """A change the store cannot save (a full disk, the server gone) is refused: the page says so
    and shows the state last saved."""
    from ecg_lstm.studies import StoreError, StudyStore

    at = _review_tab(_open(_session(monkeypatch), _files(cuts / "c232")))
    sid = at.session_state["study_id"]
    before = at.session_state["analysis"].beats["label"].copy()

    def full(*args, **kwargs):
        raise StoreError("the change was not saved (database or disk is full); the study is as it was before it")

    monkeypatch.setattr(StudyStore, "save_review", full)
    at.button(key="template_as_V").click()
    at = _run(at)
    assert any("disk is full" in e.value for e in at.error)
    rev = at.session_state["reviews"][at.session_state["record_key"]]
    assert rev["corrections"] == {} and list(at.session_state["analysis"].beats["label"]) == list(before)
    assert _store().review(sid)["corrections"] == {}


def test_studies_added_on_the_command_line_are_in_the_worklist(monkeypatch, cuts, fresh_store, capsys):
    from ecg_lstm.commands.main import main

    assert main(["studies", "add", str(cuts / "c208"), str(cuts / "c232"), "--who", "night batch"]) == 0
    page = _worklist(_session(monkeypatch))
    table = page.dataframe(key="worklist_table").value
    assert sorted(table["record"]) == ["c208", "c232"] and set(table["status"]) == {"new"}
    assert (table["corrections"] == 0).all() and (table["length"] == "0:02:00").all()


def test_an_ishne_holter_file_fills_the_patient_fields_and_leaves_as_edf_and_ishne(monkeypatch, cuts, fresh_store):
    """A Holter file's patient fields reach the report's fields (and the study, in the database), not
    the analysis' outputs; the record leaves again as EDF+ (beats and events) and as ISHNE."""
    import json

    from dashboard.sections.export import edf_export, ishne_export
    from ecg_lstm.io.ishne_format import ishne_bytes
    from ecg_lstm.io.read import read_record
    from ecg_lstm.io.upload import read_record_from_files

    rec = read_record(str(cuts / "c232"))
    data = ishne_bytes(rec, patient={"first_name": "Ada", "last_name": "Byron", "id": "H-77"})
    at = _open(_session(monkeypatch), [("holter.ecg", data, "application/octet-stream")])
    assert at.session_state["report_patient_name"] == "Ada Byron"
    assert at.session_state["report_patient_id"] == "H-77"
    sid = at.session_state["study_id"]
    assert _store().get(sid)["report_fields"]["patient_id"] == "H-77"
    analysis = at.session_state["analysis"]
    assert "Byron" not in json.dumps(analysis.to_json_dict())
    back = read_record_from_files({"x.ecg": ishne_export(analysis)})
    assert back.signal.shape == analysis.record.signal.shape and back.fs == analysis.record.fs
    edf = read_record_from_files({"x.edf": edf_export(analysis, analysis.events)})
    texts = [a[2] for a in edf.metadata["edf_annotations"]]
    assert len(texts) >= len(analysis.beats) and set(analysis.beats["label"]) <= set(texts)
