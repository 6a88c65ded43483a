"""The report a cardiologist signs, on MIT-BIH records: a summary of at most two pages and a small
whole report for 30 min; its numbers are the page's (vitals, events, AF burden); the strips by rule
show 232's longest pause and never lie in noisy signal; HRV is left out where it does not apply."""
from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from ecg_lstm.analyze import analyze_record
from ecg_lstm.findings.events import event_groups
from ecg_lstm.io.read import read_record
from ecg_lstm.report import html_report, pdf_report
from ecg_lstm.report.strips import in_noise, noisy_spans
from ecg_lstm.report.summary import clinical_summary, report_parts
from ecg_lstm.rhythm.labels import af_burden

#: Most pages of the whole default report of a 30-min record, and of its clinical summary.
MAX_PAGES_30_MIN, MAX_SUMMARY_PAGES = 4, 2


@pytest.fixture(scope="module")
def analyses(mitdb_dir) -> dict:
    """232 (sinus bradycardia, pauses up to 6 s), 201 (AF), 105 (noisy)."""
    return {name: analyze_record(read_record(mitdb_dir / name)) for name in ("232", "201", "105")}


def _pages(pdf: bytes, tmp_path) -> tuple[int, list[str]]:
    if not (shutil.which("pdfinfo") and shutil.which("pdftotext")):
        pytest.skip("pdfinfo / pdftotext (poppler-utils) are not installed: `apt-get install poppler-utils`")
    (tmp_path / "r.pdf").write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(tmp_path / "r.pdf")], check=True, capture_output=True, text=True).stdout
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info)[1]), text.split("\f")


def test_a_30_min_report_is_short_and_its_summary_two_pages(analyses, tmp_path):
    a = analyses["232"]
    n, pages = _pages(pdf_report(a, people={"patient_name": "Jane Doe", "comments": "Checked. " * 40,
                                            "conclusion": "Sinus node disease. " * 20, "physician": "Dr X"}), tmp_path)
    assert n <= MAX_PAGES_30_MIN
    strips_page = next(k for k, p in enumerate(pages) if "ECG strips" in p)
    assert strips_page <= MAX_SUMMARY_PAGES  # the summary fills pages 1-2 at most (0-based: strips from 2)
    summary = "\n".join(pages[:strips_page])
    for words in ("Rhythm", "Sinus rhythm", "sinus bradycardia", "Longest pause", "Ectopy", "Physician's conclusion",
                  "Dr X", "Signature"):
        assert words in summary, words
    assert "OTHER" not in summary and "3,000 ms" not in summary  # the rhythm in words; no capped longest RR


def test_the_numbers_are_the_pages(analyses, tmp_path):
    a = analyses["232"]
    v = a.vitals
    s = clinical_summary(a)
    num = s["numbers"]
    # HR min / max: the vitals' (the page's cards), with the time of each on the same window.
    assert num["hr_min_bpm"] == v["hr_min_bpm"] and num["hr_max_bpm"] == v["hr_max_bpm"]
    ext = s["hr_series"]
    k = np.searchsorted(ext["time_s"], num["hr_min_s"])
    assert 60 / np.round(60 / ext["hr_bpm"][k], 9) == pytest.approx(v["hr_min_bpm"], abs=1e-3)
    assert ext["hr_bpm"][np.searchsorted(ext["time_s"], num["hr_max_s"])] == pytest.approx(v["hr_max_bpm"], abs=1e-3)
    # The longest pause: the longest of the pause events the page lists (5.9 s), not a capped RR.
    pauses = a.events[a.events["type"] == "pause"]
    longest = (pauses["end_s"] - pauses["start_s"]).max()
    assert num["longest_pause_s"] == pytest.approx(longest) and longest > 5.5
    # Beat counts and burdens: the vitals'.
    assert num["v_beats"] == v["beat_counts"]["V"] and num["s_beats"] == v["beat_counts"]["S"]
    assert num["v_burden_pct"] == v["v_burden_pct"] and num["s_burden_pct"] == v["s_burden_pct"]
    # The events table: the page's groups, one row per type.
    table = next(sec["table"] for sec in s["sections"] if sec["head"] == "Events")
    groups = event_groups(a.events)
    assert [r[0] for r in table[1]] == list(groups["type"])
    assert [int(r[2].replace(",", "")) for r in table[1]] == list(groups["count"])
    text = "\n".join(_pages(pdf_report(a), tmp_path)[1])
    assert f"{longest:.1f} s at" in text and f"{v['hr_min_bpm']:.0f} bpm at" in text


def test_af_burden_is_the_pages(analyses):
    a = analyses["201"]
    s = clinical_summary(a)
    page = af_burden(a.rhythm_episodes, a.record.duration_s)  # what the overview shows
    assert s["numbers"]["af_burden_pct"] == pytest.approx(page) and page > 5
    af = a.rhythm_episodes[a.rhythm_episodes["label"].isin(["AFIB", "AFL"])]
    assert s["numbers"]["af_episodes"] == len(af)
    assert s["numbers"]["af_longest_s"] == pytest.approx((af["end_s"] - af["start_s"]).max())
    rhythm = next(sec["lines"] for sec in s["sections"] if sec["head"] == "Rhythm")
    assert any(f"burden {page:.1f} %" in line and line.startswith("Atrial fibrillation") for line in rhythm)
    html = html_report(a)
    assert f"{page:.1f} % of the recording" in html and ">OTHER<" not in html
    # Each AF onset (the first 3) has a strip.
    captions = [st.caption for st in report_parts(a)["strips"]]
    assert sum("Onset of atrial" in c for c in captions) == min(3, len(af))


def test_the_rule_shows_the_longest_pause_first(analyses):
    a = analyses["232"]
    parts = report_parts(a)
    first = parts["strips"][0]
    pauses = a.events[a.events["type"] == "pause"]
    k = (pauses["end_s"] - pauses["start_s"]).idxmax()
    assert first.caption.startswith("Longest pause: 5.9 s")
    assert first.start_s <= pauses.loc[k, "start_s"] and first.end_s >= pauses.loc[k, "end_s"]  # the whole pause
    assert parts["strip_rule"].startswith("Strips chosen by rule: the longest pause")
    assert len(parts["strips"]) <= 8


@pytest.mark.parametrize("name", ["232", "201", "105"])
def test_no_strip_lies_in_noise(analyses, name):
    a = analyses[name]
    spans = noisy_spans(a.quality)
    strips = report_parts(a)["strips"]
    assert strips
    for s in strips:
        assert not in_noise(spans, s.start_s, s.end_s)[0], s.caption
    if name == "105":  # noisy: its runs there are not shown, and the highest rate shown is outside noise
        assert len(spans) and not any("Fastest ventricular run" in s.caption for s in strips)
        assert any(s.caption.startswith("Highest heart rate outside noisy signal") for s in strips)


def test_hrv_only_where_it_applies(analyses, mitdb_dir, tmp_path):
    a = analyses["232"]
    assert a.vitals["hrv_applicable"] is False
    text = "\n".join(_pages(pdf_report(a), tmp_path)[1])
    assert "SDNN" not in text and "RMSSD" not in text and "Not applicable: only" in text
    b = analyze_record(read_record(mitdb_dir / "100"))
    assert b.vitals["hrv_applicable"] is True
    assert "SDNN" in "\n".join(_pages(pdf_report(b), tmp_path)[1])
