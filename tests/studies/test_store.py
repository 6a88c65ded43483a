"""The study store (``ecg_lstm.studies.store``) on SQLite and on PostgreSQL (the same tests on both): add, reopen, every
action saved with its audit entry, sign-off and amendments, delete leaving nothing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.studies import StoreError, StudyStore, manifest, summary_of
from ecg_lstm.studies.tables import audit, correction, event_decision, signed_report, study, study_file


def _beats(analysis, n=3):
    return [int(s) for s in analysis.beats["sample"].to_numpy()[:n]]


def test_add_is_idempotent_and_lists(store, record_100):
    files, analysis = record_100
    sid = store.add(files, analysis, who="A. Tech", label="Ward 3, bed 2")
    assert store.add(files, analysis, who="A. Tech") == sid  # the same record opened again
    assert len(store.blobs.digests()) == len(files)
    other = store.add(files, analysis, who="A. Tech", options={"reference_beats": True})
    assert other != sid and len(store.blobs.digests()) == len(files)  # the files are kept once
    listed = store.list()
    assert list(listed["id"]) == [other, sid]
    row = listed.set_index("id").loc[sid]
    assert row["label"] == "Ward 3, bed 2" and row["status"] == "new" and row["n_beats"] == len(analysis.beats)
    assert row["duration_s"] == pytest.approx(300.0)
    assert store.find(manifest(files, {})) == sid


def test_everything_survives_a_new_store(store, record_100, tmp_path):
    files, analysis = record_100
    sid = store.add(files, analysis, who="A. Tech")
    b = _beats(analysis)
    store.save_review(sid, "A. Tech", "relabel beat", ({}, False), ({b[0]: "V"}, False), target="beat 1")
    store.save_review(sid, "A. Tech", "adapt", ({b[0]: "V"}, False), ({b[0]: "V", b[1]: "S"}, True))
    store.decide_event(sid, "A. Tech", "ev-1", "rejected")
    store.set_fields(sid, "A. Tech", {"patient_id": "P-17", "comments": "noisy first hour"})
    store.set_status(sid, "A. Tech", "reviewed")
    again = StudyStore(store.url, store.folder)  # another process, or the server restarted
    rev = again.review(sid)
    assert rev["corrections"] == {b[0]: "V", b[1]: "S"} and rev["adapted"] is True
    assert again.decisions(sid) == {"ev-1": "rejected"}
    row = again.get(sid)
    assert row["report_fields"] == {"patient_id": "P-17", "comments": "noisy first hour"}
    assert row["status"] == "reviewed" and row["reviewer"] == "A. Tech" and row["n_corrections"] == 2
    trail = again.audit_trail(sid)
    assert list(trail["action"]) == ["study added", "relabel beat", "adapt", "event rejected", "report fields",
                                     "status"]
    assert set(trail["who"]) == {"A. Tech"} and trail["at"].is_monotonic_increasing
    relabel = trail.iloc[1]
    assert relabel["old"]["labels"] == {"": [b[0]]} and relabel["new"]["labels"] == {"V": [b[0]]}
    assert trail.iloc[5]["old"] == "in review" and trail.iloc[5]["new"] == "reviewed"
    loaded = again.analysis(sid, analysis.record)
    pd.testing.assert_frame_equal(loaded.beats, analysis.beats)
    pd.testing.assert_frame_equal(loaded.events, analysis.events)
    assert loaded.vitals["n_beats"] == analysis.vitals["n_beats"]
    again.close()


def test_versions_tell_a_second_session_to_reload(store, record_100):
    files, analysis = record_100
    sid = store.add(files, analysis, who="A")
    other = StudyStore(store.url, store.folder)
    seen = other.version(sid)
    b = _beats(analysis)
    store.save_review(sid, "A", "relabel beat", ({}, False), ({b[0]: "V"}, False))
    assert other.version(sid) == seen + 1
    # Last writer wins, action by action: B relabels another beat from what it had read.
    other.save_review(sid, "B", "relabel beat", ({}, False), ({b[1]: "S"}, False))
    assert store.review(sid)["corrections"] == {b[0]: "V", b[1]: "S"}
    assert store.holder(sid)[0] == "B"
    assert list(store.audit_trail(sid)["who"])[-2:] == ["A", "B"]
    other.close()


def test_sign_then_change_opens_an_amendment(store, record_100):
    files, analysis = record_100
    sid = store.add(files, analysis, who="A")
    with pytest.raises(StoreError, match="signer"):
        store.sign(sid, " ", b"%PDF")
    digest = store.sign(sid, "Dr B", b"%PDF-1.4 first")
    assert store.get(sid)["status"] == "signed"
    b = _beats(analysis)
    store.save_review(sid, "A", "relabel beat", ({}, False), ({b[0]: "V"}, False))
    row = store.get(sid)
    assert row["status"] == "in review" and row["amendment"] == 1
    assert store.signed_pdf(digest) == b"%PDF-1.4 first"  # the signed version is kept
    store.sign(sid, "Dr B", b"%PDF-1.4 amended")
    signed = store.signed_reports(sid)
    assert list(signed["amendment"]) == [0, 1] and signed["sha256"].nunique() == 2
    actions = list(store.audit_trail(sid)["action"])
    assert actions[-4:] == ["signed", "amendment opened", "relabel beat", "signed"]


def test_bad_values_are_refused(store, record_100):
    files, analysis = record_100
    sid = store.add(files, analysis, who="A")
    with pytest.raises(ValueError, match="decision"):
        store.decide_event(sid, "A", "e", "maybe")
    with pytest.raises(ValueError, match="sign"):
        store.set_status(sid, "A", "signed")
    with pytest.raises(StoreError, match="no study 999"):
        store.get(999)
    assert store.version(sid) == 1  # nothing was saved


def test_label_is_the_users_choice(store, record_100):
    files, analysis = record_100
    sid = store.add(files, analysis, who="A")
    store.set_label(sid, "A", "  Ward 3,   bed 2 ")
    assert store.get(sid)["label"] == "Ward 3, bed 2"
    entry = store.audit_trail(sid).iloc[-1]
    assert entry["action"] == "label" and entry["old"] == "s100" and entry["new"] == "Ward 3, bed 2"
    with pytest.raises(StoreError, match="empty"):
        store.set_label(sid, "A", "   ")


def test_filters(store, record_100):
    files, analysis = record_100
    a = store.add(files, analysis, who="A", label="Holter Smith")
    b = store.add(files, analysis, who="A", label="Patch Jones", options={"x": 1})
    store.set_status(b, "Kim", "reviewed")
    assert list(store.list(status="reviewed")["id"]) == [b]
    assert list(store.list(text="smith")["id"]) == [a]
    assert list(store.list(text="KIM")["id"]) == [b]  # the reviewer too
    assert store.list(status="signed").empty


def test_large_change_audits_counts(store, record_100, monkeypatch):
    from ecg_lstm.studies import actions

    monkeypatch.setattr(actions, "AUDIT_SAMPLES", 10)
    files, analysis = record_100
    sid = store.add(files, analysis, who="A")
    samples = analysis.beats["sample"].to_numpy(np.int64)
    after = {int(s): "N" for s in samples}
    store.save_review(sid, "A", "relabel template", ({}, False), (after, False),
                      summary=summary_of(analysis))
    assert len(store.review(sid)["corrections"]) == len(samples)
    entry = store.audit_trail(sid).iloc[-1]
    assert entry["old"] == {"beats": len(samples)} and entry["target"] == f"{len(samples):,} beats"
    # And back: every row goes.
    store.save_review(sid, "A", "undo", (after, False), ({}, False))
    assert store.review(sid)["corrections"] == {} and store.get(sid)["n_corrections"] == 0


def test_delete_leaves_nothing(store, record_100):
    from sqlalchemy import func, select

    files, analysis = record_100
    keep = store.add(files, analysis, who="A", options={"keep": True})
    sid = store.add(files, analysis, who="A")
    store.save_review(sid, "A", "relabel beat", ({}, False), ({_beats(analysis)[0]: "V"}, False))
    store.decide_event(sid, "A", "e1", "accepted")
    pdf_digest = store.sign(sid, "Dr B", b"%PDF only this study")
    folder = store.analysis_folder(sid)
    assert folder.is_dir()
    store.delete(sid)
    with store.engine.connect() as c:
        for table in (audit, correction, event_decision, study_file, signed_report):
            assert c.execute(select(func.count()).select_from(table).where(table.c.study_id == sid)).scalar() == 0
        assert c.execute(select(func.count()).select_from(study).where(study.c.id == sid)).scalar() == 0
    assert not folder.exists()
    assert pdf_digest not in store.blobs.digests()
    # The files the other study uses stay, and it opens.
    assert len(store.blobs.digests()) == len(files) and store.files(keep).keys() == files.keys()
    store.delete(keep)
    assert store.blobs.digests() == set() and store.count() == 0
    assert not any(p.is_file() for p in store.blobs.root.rglob("*"))
