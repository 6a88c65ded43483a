"""Report fields are plain text: a byte-order mark, control or bidi characters, a ``$`` or a
very long value neither breaks the PDF nor changes what it shows (no MIT-BIH needed)."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from ecg_lstm.analyze import analyze_record
from ecg_lstm.io.record import Record
from ecg_lstm.report import html_report, pdf_report
from ecg_lstm.report.content import MAX_FIELD_CHARS, plain_field


@pytest.fixture(scope="module")
def analysis():
    fs, n = 360.0, 360 * 20
    t = np.arange(n) / fs
    ecg = 0.05 * np.sin(2 * np.pi * 0.3 * t)
    for r in np.arange(0.5, 19.5, 0.8):  # 75 bpm of narrow QRS-like spikes
        ecg += 1.2 * np.exp(-0.5 * ((t - r) / 0.012) ** 2)
    rec = Record("synthetic", ecg[:, None], fs, ["MLII"], ["mV"])
    return analyze_record(rec, classifier=None, rhythm=None)


def test_plain_field_keeps_the_text_and_drops_what_cannot_be_shown():
    assert plain_field("\ufeffJane\u00a0 Doe\n") == "Jane Doe"        # BOM gone, white space folded
    assert plain_field("Ja\u202ene\x00 Doe") == "Jane Doe"          # bidi override and NUL removed
    assert plain_field("e\u0301") == "\u00e9"                       # NFC: one code point
    assert plain_field("line one\r\nline two\tend") == "line one line two end"
    long = plain_field("x" * 5000)
    assert len(long) == MAX_FIELD_CHARS and long.endswith("\u2026")
    assert plain_field("  ") == ""


@pytest.mark.parametrize("value", ["\ufeffJane Doe", "Jane\x00 Doe", "Ja\u202ene Doe", "cost $5 $x^{$",
                                   "\\frac{$", "J" * 5000])
def test_pdf_and_html_reports_accept_any_field_text(analysis, value, tmp_path):
    people = {"patient_name": value, "comments": value, "reviewer": "Dr \ufeffB"}
    pdf = pdf_report(analysis, people=people)
    assert pdf.startswith(b"%PDF")
    page = html_report(analysis, people=people)
    assert plain_field(value) in page.replace("&#x27;", "'") or "$" in value
    assert "\ufeff" not in page and "\x00" not in page and "\u202e" not in page
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
        assert "Dr B" in text
        if "Doe" in value:
            assert "Jane Doe" in text


def test_dates_are_checked_and_printed_alike():
    import datetime as dt

    from ecg_lstm.report import check_fields, parse_date

    assert parse_date("2026-12-07") == parse_date("20261207") == parse_date("7.12.2026") == dt.date(2026, 12, 7)
    assert parse_date("12/07/2026") is None and parse_date("2026-02-30") is None and parse_date("soon") is None
    today = dt.date(2026, 12, 8)
    assert check_fields({"birth_date": "1950-03-01", "review_date": "2026-12-08", "patient_id": "12/07"},
                        today=today) == {}
    errors = check_fields({"birth_date": "1.2.3", "review_date": "2026-12-09", "signature_date": "31.02.2026",
                           "comments": "2026-99-99"}, today=today)
    assert set(errors) == {"birth_date", "review_date", "signature_date"}  # comments are free text
    assert "not a date" in errors["birth_date"] and "YYYY-MM-DD" in errors["birth_date"]
    assert "in the future" in errors["review_date"]
    assert "before 1900" in check_fields({"birth_date": "1850-01-01"}, today=today)["birth_date"]


def test_long_fields_keep_their_lines(analysis):
    from ecg_lstm.report.content import plain_lines

    assert plain_lines("Sinus rhythm.\r\n\r\n\u202eOne pause of 3 s.\n") == ["Sinus rhythm.", "One pause of 3 s."]
    page = html_report(analysis, people={"conclusion": "Line one.\nLine <two>.", "physician": "Dr C",
                                         "signature_date": "20261207"})
    assert "<p>Line one.</p><p>Line &lt;two&gt;.</p>" in page and "2026-12-07" in page and "Dr C" in page
