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
