"""The report of a reviewed study: its audit trail as the last section and, for a report that
replaces a signed one, the amendment line at the top; the same text in the HTML and in the PDF."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.analyze import Analysis
from ecg_lstm.io.record import Record
from ecg_lstm.report import html_report, pdf_report
from ecg_lstm.report.content import amendment_text, audit_rows, change_text, utc_text

FS = 360.0
DIGEST = "abcd" * 16
AMENDMENT = {"number": 1, "signed_by": "Dr B", "signed_at": dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.timezone.utc),
             "sha256": DIGEST}
LINE = "Amendment 1 of the report signed by Dr B on 2026-12-07 12:00 UTC (SHA-256 abcdabcdabcdabcd…)"


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    x = np.arange(int(30 * FS)) / FS
    rec = Record("demo", np.c_[np.sin(2 * np.pi * x) ** 50 * 1.5], FS, ["MLII"], ["mV"])
    t = np.arange(0.25, 30, 1.0)
    beats = pd.DataFrame({"sample": np.round(t * FS).astype(np.int64), "time_s": t, "label": "N"})
    quality = pd.DataFrame({"start_s": [0.0], "end_s": [30.0], "noisy": [False]})
    return Analysis(rec, 0, "detected", beats, {"beat_counts": dict(N=30, S=0, V=0, F=0, Q=0)}, quality,
                    pd.DataFrame())


@pytest.fixture()
def audit() -> pd.DataFrame:
    """A trail as ``StudyStore.audit_trail`` gives it: SQLite's times come without their zone (UTC)."""
    return pd.DataFrame({
        "at": [dt.datetime(2026, 12, 7, 11, 0, 5), pd.Timestamp("2026-12-07 13:30:00+01:00"),
               dt.datetime(2026, 12, 7, 12, 40, tzinfo=dt.timezone.utc)],
        "who": ["A. Tech\x1b[31m", "Dr B", "A. Tech"],
        "action": ["relabel template", "signed", "event rejected"],
        "target": ["template 4", "report", "ev-17"],
        "old": [{"labels": {"": [10, 20], "S": [30]}, "adapted": False}, "reviewed", None],
        "new": [{"labels": {"V": [10, 20, 30]}, "adapted": True}, {"sha256": DIGEST}, "rejected"]})


def test_change_text_is_short_and_readable():
    assert change_text({"labels": {"N": [1, 2, 3]}, "adapted": False},
                       {"labels": {"V": [1, 2, 3]}, "adapted": False}) == "3 beats: N → V"
    assert change_text({"labels": {"V": [5]}, "adapted": True}, {"labels": {"": [5]}, "adapted": False}) == \
        "1 beat: V → model; adaptation undone"
    assert change_text({"beats": 150_000}, {"beats": 150_000}) == "150,000 beats relabelled"
    assert change_text("in review", "reviewed") == "in review → reviewed"
    assert change_text({"patient_id": ""}, {"patient_id": "P-17"}) == "patient_id: – → P-17"
    many = change_text({"labels": {}}, {"labels": {c: [k] for k, c in enumerate("NSVFQ")}})
    assert many.count("→") == 3 and many.endswith("… 2 more")
    assert utc_text(None) == "–" and utc_text(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05"


def test_audit_rows(audit):
    rows = audit_rows(audit)
    assert rows[0] == ["2026-12-07 11:00:05", "A. Tech[31m", "relabel template", "template 4",
                       "2 beats: model → V; 1 beat: S → V; rest adapted to them"]
    assert rows[1][0] == "2026-12-07 12:30:00"  # converted to UTC
    assert rows[1][4] == "reviewed → sha256: abcdabcdabcd…" and rows[2][4] == "rejected"
    assert audit_rows(None) == [] and audit_rows(audit.iloc[:0]) == []
    assert amendment_text(AMENDMENT) == LINE and amendment_text({"number": 0}) is None and amendment_text(None) is None


def test_html_has_the_amendment_at_the_top_and_the_trail_last(analysis, audit):
    page = html_report(analysis, audit=audit, amendment=AMENDMENT)
    assert LINE in page and page.index(LINE) < page.index("<h2>Recording</h2>")
    assert page.index("<h2>Audit trail</h2>") > page.index("<h2>Events</h2>")
    assert "<td>2 beats: model → V; 1 beat: S → V; rest adapted to them</td>" in page
    assert "\x1b" not in page
    plain = html_report(analysis)
    assert "Audit trail" not in plain and "Amendment" not in plain


def test_pdf_has_the_amendment_and_the_trail(analysis, audit, tmp_path):
    pdf = pdf_report(analysis, audit=audit, amendment=AMENDMENT)
    assert pdf.startswith(b"%PDF")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed: `apt-get install poppler-utils` to read the PDF")
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert " ".join(LINE.split()) in " ".join(text.split())
    assert "Audit trail (3 entries)" in text
    assert "2026-12-07 12:30:00" in text and "2 beats: model → V" in text and "ev-17" in text
    pages = text.split("\f")
    assert "Audit trail" in pages[-2] and "Audit trail" not in pages[0]  # its own, last page


def test_people_from_file_maps_each_readers_fields():
    from ecg_lstm.report import people_from_file

    assert people_from_file({"first_name": "Ada", "last_name": "Byron", "id": "H-77", "birth_date": ""}) == \
        {"patient_name": "Ada Byron", "patient_id": "H-77"}
    assert people_from_file({"name": "Byron^Ada", "id": "", "birth_date": "19001210"}) == \
        {"patient_name": "Byron Ada", "birth_date": "19001210"}
    assert people_from_file(None) == {}
