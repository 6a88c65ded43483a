"""A study's export (ecg_lstm.studies.export) on SQLite and PostgreSQL: the corrections file reads
back with wfdb, the events carry the decisions, the report has the audit trail and the amendment,
and every signed PDF comes out byte for byte."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.studies.export import audit_csv, export_study, safe_stem


def _normal_beat(analysis, k: int) -> int:
    """The sample of a beat labelled N with N neighbours (relabelled V, it is one isolated PVC)."""
    lab = analysis.beats["label"].to_numpy()
    ok = [i for i in range(5, len(lab) - 5) if (lab[i - 2:i + 3] == "N").all()]
    return int(analysis.beats["sample"].iloc[ok[k]])


def test_safe_stem():
    assert safe_stem("s100") == "s100" and safe_stem("rec 1/../x") == "rec_1_x"
    assert safe_stem("../..") == "record" and safe_stem("--rm") == "rm" and safe_stem("") == "record"
    assert safe_stem("é" * 5) == "record" and len(safe_stem("a" * 500)) == 100


def test_export_after_review_and_sign_off(store, record_100, tmp_path):
    import wfdb

    files, analysis = record_100
    sid = store.add(files, analysis, who="A. Tech", label="Ward 3")
    b1, b2 = _normal_beat(analysis, 10), _normal_beat(analysis, 200)
    store.save_review(sid, "A. Tech", "relabel beat", ({}, False), ({b1: "V"}, False), target="beat 11")
    pvc = f"pvc@{b1}-{b1}"
    store.decide_event(sid, "A. Tech", pvc, "rejected")
    store.set_fields(sid, "A. Tech", {"patient_id": "P-17", "comments": "=cmd|' /C calc'!A0"})
    pdf = b"%PDF-1.4 the signed report"
    digest = store.sign(sid, "Dr B", pdf)
    # A change after the sign-off opens amendment 1: the next report says what it amends.
    store.save_review(sid, "A. Tech", "relabel beat", ({b1: "V"}, False), ({b1: "V", b2: "S"}, False))

    out = tmp_path / "export"
    paths = export_study(store, sid, out)
    assert sorted(p.name for p in paths) == ["s100.cor", "s100.edf", "s100_audit.csv", "s100_events.csv",
                                             "s100_report.html", "s100_signed_0.pdf"]
    assert all(p.parent == out and p.is_file() for p in paths)

    ann = wfdb.rdann(str(out / "s100"), "cor")
    got = {s: sym for s, sym in zip(ann.sample.tolist(), ann.symbol) if sym != '"'}  # not the notes
    assert got == {b1: "V", b2: "A"}  # S is written as WFDB's A (atrial premature)
    from ecg_lstm.io.read import read_record

    edf = read_record(out / "s100.edf")
    notes: dict[int, set] = {}
    for on, _, text in edf.metadata["edf_annotations"]:
        notes.setdefault(round(on * 360), set()).add(text)
    assert "V" in notes[b1] and "S" in notes[b2]  # the reviewed labels leave as EDF+ too (events beside them)

    ev = pd.read_csv(out / "s100_events.csv", keep_default_na=False)
    row = ev[ev["id"] == pvc]
    assert len(row) == 1 and row["decision"].iloc[0] == "rejected" and row["type"].iloc[0] == "pvc"
    assert set(ev["decision"]) <= {"", "accepted", "rejected"}

    page = (out / "s100_report.html").read_text()
    assert "<h2>Audit trail</h2>" in page and "P-17" in page and "ECG report: Ward 3" in page
    assert "Amendment 1 of the report signed by Dr B on " in page and f"SHA-256 {digest[:16]}…" in page
    assert "1 beat: model → V" in page and "amendment opened" in page
    assert (out / "s100_signed_0.pdf").read_bytes() == pdf

    trail = pd.read_csv(out / "s100_audit.csv", keep_default_na=False)
    assert list(trail.columns) == ["at", "who", "action", "target", "old", "new"]
    assert list(trail["action"]) == list(store.audit_trail(sid)["action"])
    assert trail["at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    fields = trail[trail["action"] == "report fields"]
    assert '"patient_id": "P-17"' in fields["new"].iloc[0]


def test_export_without_corrections_writes_no_cor(store, record_100, tmp_path):
    files, analysis = record_100
    sid = store.add(files, analysis, who="A. Tech")
    names = sorted(p.name for p in export_study(store, sid, tmp_path / "o"))
    assert names == ["s100.edf", "s100_audit.csv", "s100_events.csv", "s100_report.html"]
    page = (tmp_path / "o" / "s100_report.html").read_text()
    assert "study added" in page and "Amendment" not in page


def test_export_remakes_a_lost_analysis(store, record_100, tmp_path):
    import shutil

    files, analysis = record_100
    sid = store.add(files, analysis, who="A. Tech")
    shutil.rmtree(store.analysis_folder(sid))
    export_study(store, sid, tmp_path / "o")
    ev = pd.read_csv(tmp_path / "o" / "s100_events.csv", keep_default_na=False)
    assert len(ev) == len(analysis.events)
    assert store.analysis_folder(sid).is_dir()  # kept for the next time
    np.testing.assert_array_equal(store.analysis(sid, analysis.record).beats["sample"], analysis.beats["sample"])


def test_audit_csv_defuses_formulas():
    trail = pd.DataFrame({"at": [pd.Timestamp("2026-01-02 03:04:05")], "who": ["=1+1"], "action": ["status"],
                          "target": ["@x"], "old": [None], "new": [{"a": 1}]})
    text = audit_csv(trail)
    assert "'=1+1" in text and "'@x" in text and "2026-01-02T03:04:05Z" in text and '"{""a"": 1}"' in text


def test_export_of_a_missing_study(store, tmp_path):
    from ecg_lstm.studies import StoreError

    with pytest.raises(StoreError, match="no study 99"):
        export_study(store, 99, tmp_path / "o")
    assert not (tmp_path / "o").exists()
