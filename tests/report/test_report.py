"""The printable report (ecg_lstm.report: document, pdf, content, summary, strips): HTML that fits A4 and
Letter, scale bars, readable names, patient and reviewer fields, strips by rule or chosen, no line past the
margin, and a PDF checked by rendering it to PNG."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.analyze import Analysis
from ecg_lstm.io.record import Record
from ecg_lstm.report import html_report, pdf_report
from ecg_lstm.report.content import PAPER_MM
from ecg_lstm.report.strips import STRIP_S

FS = 360.0


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    x = np.arange(int(90 * FS)) / FS
    ecg = np.sin(2 * np.pi * 1.0 * x) ** 50 * 1.5
    rec = Record("demo<b>", np.c_[ecg], FS, ["MLII"], ["mV"])
    t = np.arange(0.25, 90, 1.0)
    beats = pd.DataFrame({"sample": np.round(t * FS).astype(np.int64), "time_s": t, "label": "N"})
    beats.loc[10, "label"] = "V"
    events = pd.DataFrame({"type": ["pvc", "vt", "pause"], "start_s": [10.25, 30.25, 60.25],
                           "end_s": [10.25, 33.25, 62.25], "start_sample": [3690, 10890, 21690],
                           "end_sample": [3690, 11970, 22410], "n_beats": [1, 4, 2],
                           "description": ["Isolated <premature> beat", "Run", "Pause of 2.0 s"],
                           "noisy": [False, False, True], "alarm": [False, True, False],
                           "decision": ["", "accepted", "rejected"]})
    quality = pd.DataFrame({"start_s": [0.0], "end_s": [90.0], "noisy": [False]})
    vitals = {"hr_mean_bpm": 60.0, "rr_mean_ms": 1000.0, "sdnn_ms": 12.0, "beat_counts": dict(N=89, S=0, V=1, F=0, Q=0)}
    return Analysis(rec, 0, "detected", beats, vitals, quality, events)


PEOPLE = {"patient_name": "Ada <Lovelace>", "patient_id": "P-17", "reviewer": "Dr Reviewer", "comments": "checked"}


def _pdf_text(pdf: bytes, tmp_path, *args) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed: `apt-get install poppler-utils` to read the PDF")
    (tmp_path / "r.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", *args, str(tmp_path / "r.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_html_strips_fit_the_page_with_scale_bars(analysis):
    html = html_report(analysis, people=PEOPLE)
    # Strips scale to the page width (viewBox + width:100%), so no second is cut at A4/Letter.
    assert ".strip svg{width:100%;height:auto" in html and "@page{margin:12mm}" in html
    svgs = re.findall(r"<svg [^>]*viewBox=\"0 0 (\d+) (\d+)\"", html)
    # By the rule: the fastest ventricular run, and the heart-rate extremes (one strip: the rate is
    # even); the rejected pause gets none.
    assert len(svgs) == 2
    assert all(int(w) == STRIP_S * 25 * 4 for w, _ in svgs)  # all 7 s of each strip are in the drawing
    assert html.count(">1 s</text>") == 2 and html.count(">1 mV</text>") == 2
    assert "Strips chosen by rule: the longest pause" in html and "Fastest ventricular run: 4 beats" in html
    # Readable names, not keys; no raw event list (one table of counts by type).
    assert "rr_mean_ms" not in html and "hr_mean_bpm" not in html and "<h2>Heart rate</h2>" in html
    assert "Isolated &lt;premature&gt; beat" not in html and "<td>vt</td>" in html
    # Patient and reviewer fields, escaped as plain text.
    assert "Ada &lt;Lovelace&gt;" in html and "<Lovelace>" not in html and "Dr Reviewer" in html
    assert "Patient ID" in html and "P-17" in html
    assert "1 events rejected by the reviewer are not counted" in html
    assert "src=" not in html and "<script" not in html


def test_html_without_people_has_no_patient_section(analysis):
    page = html_report(analysis)
    assert "<h2>Patient</h2>" not in page and "<h2>Physician's conclusion</h2>" in page


def test_chosen_strips_replace_the_rule(analysis):
    page = html_report(analysis, strips=[(40.0, 52.0, "Patient felt <dizzy>"), (80.0, 85.0, "")])
    assert "2 strips chosen by the technician." in page and "Strips chosen by rule" not in page
    assert "Patient felt &lt;dizzy&gt; (0:00:40)" in page and "Strip (0:01:20)" in page
    assert page.count("<svg") == 3  # 12 s: two rows of 7 s; 5 s: one row


@pytest.mark.parametrize("paper", list(PAPER_MM))
def test_pdf_pages_and_strips(analysis, paper, tmp_path):
    pdf = pdf_report(analysis, paper=paper, people=PEOPLE)
    assert pdf.startswith(b"%PDF")
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: `apt-get install poppler-utils` to render the PDF")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == 2  # the summary, the strips
    from matplotlib.image import imread

    w_mm, h_mm = PAPER_MM[paper]
    img = imread(pages[0])
    assert abs(img.shape[1] / img.shape[0] - w_mm / h_mm) < 0.01  # the paper size asked for
    strips = imread(pages[1])[..., :3]
    # Non-blank strips: the pink paper grid and the dark trace are both drawn.
    pink = (strips[..., 0] > 0.85) & (strips[..., 1] < 0.85) & (strips[..., 2] < 0.9)
    dark = strips.max(axis=2) < 0.4
    assert pink.mean() > 0.02 and dark.mean() > 0.001
    # Two strips (the rejected pause has none): two bands of grid down the page.
    from scipy.ndimage import binary_closing

    rows = binary_closing(pink.mean(axis=1) > 0.15, np.ones(9))  # rows of ECG paper
    bands = np.flatnonzero(np.diff(np.r_[0, rows.astype(int)]) == 1)
    assert len(bands) == 2


def test_pdf_says_what_a_summary_says(analysis, tmp_path):
    text = _pdf_text(pdf_report(analysis, people={**PEOPLE, "physician": "Dr Heart", "signature_date": "07.12.2026",
                                                  "conclusion": "Sinus rhythm.\nOne short VT run."}), tmp_path)
    summary = text.split("\f")[0]
    for words in ("Recording", "Rhythm", "Heart rate", "Pauses", "Ectopy", "Events", "Physician's conclusion",
                  "Dr Heart", "2026-12-07", "One short VT run.", "page 1 of 2"):
        assert words in summary, words
    assert "ECG strips (2)" in text.split("\f")[1]


def test_no_line_runs_off_the_page(analysis, tmp_path):
    """Long names, comments and a long conclusion are wrapped inside the margins."""
    people = {"patient_name": "W" * 300, "comments": " ".join(["Wordy"] * 300), "conclusion": "M" * 1500,
              "reviewer": "A. Very-Long-Technician-Name " * 8}
    pdf = pdf_report(analysis, people=people, strips=[(1.0, 60.0, "X" * 200)], full_disclosure=True)
    xml = _pdf_text(pdf, tmp_path, "-bbox")
    width = float(re.search(r'<page width="([\d.]+)"', xml)[1])
    right = [float(x) for x in re.findall(r'xMax="([\d.]+)"', xml)]
    assert right and max(right) <= width - 12 / 25.4 * 72 + 1.0  # inside the 12-mm right margin


def test_full_disclosure_is_an_option(analysis, tmp_path):
    plain = _pdf_text(pdf_report(analysis), tmp_path)
    full = _pdf_text(pdf_report(analysis, full_disclosure=True), tmp_path)
    assert "Full disclosure" not in plain and "Full disclosure, lead MLII" in full
    assert full.count("\f") == plain.count("\f") + 1  # 90 s: one page
    assert "Full disclosure" in html_report(analysis, full_disclosure=True)


def test_pdf_rejects_unknown_paper(analysis):
    with pytest.raises(ValueError, match="A4"):
        pdf_report(analysis, paper="A5")


@pytest.mark.browser
@pytest.mark.parametrize("paper", list(PAPER_MM))
def test_html_prints_whole_strips_in_chromium(analysis, paper, tmp_path):
    """Chromium prints the HTML report on the paper: every strip keeps all of its seconds
    (its drawing is not wider than the printed page), and the printed PDF has the strips."""
    import base64

    from dashboard import browser

    if not all(browser.find_browser()):
        pytest.skip("headless Chromium not installed (apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium")
    page = tmp_path / "report.html"
    page.write_text(html_report(analysis, people=PEOPLE), encoding="utf-8")
    w_mm, h_mm = PAPER_MM[paper]
    content_px = (w_mm - 2 * 12) / 25.4 * 96  # the printable width inside the 12-mm @page margins
    with browser.chromium(width=int(content_px), height=1200) as d:
        d.get(page.as_uri())
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": int(content_px), "height": 1200, "deviceScaleFactor": 1, "mobile": False})
        boxes = d.execute_script(
            "return [...document.querySelectorAll('.strip svg')].map(s => {const r = s.getBoundingClientRect();"
            "return [r.left, r.right, s.viewBox.baseVal.width, s.parentElement.getBoundingClientRect().width];})")
        assert len(boxes) == 2
        for left, right, vb_w, parent_w in boxes:
            assert left >= -0.5 and right <= content_px + 0.5  # nothing drawn past the page edge
            assert right - left == pytest.approx(parent_w, abs=1)  # scaled to the page width
            assert vb_w == STRIP_S * 25 * 4  # and still the whole strip
        pdf = base64.b64decode(d.execute_cdp_cmd("Page.printToPDF", {
            "paperWidth": w_mm / 25.4, "paperHeight": h_mm / 25.4, "preferCSSPageSize": True,
            "printBackground": True})["data"])
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        (tmp_path / "r.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "p")], check=True)
        assert len(list(tmp_path.glob("p-*.png"))) >= 2
        out = Path(__file__).resolve().parents[2] / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(sorted(tmp_path.glob("p-*.png"))[-1], out / f"report_print_{paper}.png")
