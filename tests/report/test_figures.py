"""The arrays behind the dashboard's plots (ecg_lstm.report.figures) and the HTML report."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.io.record import Annotations, Record
from ecg_lstm.report import figures as summaries


def _beats(times, labels, fs=360.0) -> pd.DataFrame:
    t = np.asarray(times, float)
    return pd.DataFrame({"sample": np.round(t * fs).astype(np.int64), "time_s": t, "label": list(labels),
                         "confidence": np.full(len(t), 0.9)})


def test_rr_series_hr_trend_and_poincare():
    t = np.cumsum(np.r_[0.5, np.full(59, 1.0)])  # 60 bpm for a minute
    rr = summaries.rr_series(_beats(t, "N" * 60))
    assert np.allclose(rr["rr_ms"], 1000.0) and np.allclose(rr["hr_bpm"], 60.0) and rr["valid"].all()
    trend = summaries.hr_trend(_beats(t, "N" * 60), window_s=10.0)
    assert np.allclose(trend["hr_bpm"], 60.0) and len(trend) == 6
    p = summaries.poincare(_beats(t, "N" * 60))
    assert len(p["rr_n_ms"]) == 58 and p["sd1_ms"] == pytest.approx(0.0)
    # A 5-s gap (signal loss) is not an RR interval.
    gap = summaries.rr_series(_beats([1, 2, 7, 8], "NNNN"))
    assert gap["valid"].tolist() == [True, False, True]


def test_median_beats_per_class():
    fs = 360.0
    ecg = np.zeros(3600)
    n_at, v_at = [360, 1080, 1800], [720, 1440]
    for s in n_at:
        ecg[s] = 1.0
    for s in v_at:
        ecg[s - 20:s + 20] = -0.5
    beats = pd.DataFrame({"sample": n_at + v_at, "time_s": np.r_[n_at, v_at] / fs, "label": ["N"] * 3 + ["V"] * 2})
    med = summaries.median_beats(ecg, fs, beats.sort_values("sample"))
    assert set(med) == {"N", "V"} and med["N"]["n"] == 3 and med["V"]["n"] == 2
    zero = int(np.argmin(np.abs(med["N"]["t_ms"])))
    assert med["N"]["median"][zero] == pytest.approx(1.0)
    assert med["V"]["median"][zero] == pytest.approx(-0.5)


def test_compare_with_reference_counts_matches_misses_and_extras():
    fs = 360.0
    ref_t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    ann = Annotations(np.round(ref_t * fs).astype(np.int64), np.array(["N", "N", "V", "A", "N"]), [""] * 5)
    # Beat 3 s labelled N (wrong), beat 5 s missed, an extra beat at 6 s; others within 150 ms.
    beats = _beats([1.05, 2.0, 3.0, 4.1, 6.0], "NNNSN")
    cmp = summaries.compare_with_reference(beats, ann, fs)
    conf = cmp["confusion"]
    assert conf.loc["N", "N"] == 2 and conf.loc["V", "N"] == 1 and conf.loc["S", "S"] == 1
    assert conf.loc["N", "(missed)"] == 1 and conf.loc["(none)", "N"] == 1
    per = cmp["per_class"].set_index("class")
    assert per.loc["V", "Se %"] == 0.0 and per.loc["S", "Se %"] == 100.0
    assert per.loc["N", "+P %"] == pytest.approx(100 * 2 / 4)
    assert cmp["disagreements"]["time_s"].round(2).tolist() == [3.0, 5.0, 6.0]
    assert cmp["n_matched"] == 4 and cmp["agreement_pct"] == pytest.approx(75.0)


def test_a_detection_matches_one_reference_beat_only():
    fs = 360.0
    ann = Annotations(np.array([100, 110]), np.array(["N", "N"]), [""] * 2)
    cmp = summaries.compare_with_reference(_beats([105 / fs], "N"), ann, fs)
    assert cmp["n_matched"] == 1 and cmp["confusion"].loc["N", "(missed)"] == 1


def test_html_report_is_self_contained():
    from ecg_lstm.analyze import Analysis
    from ecg_lstm.report import html_report

    fs = 360.0
    x = np.arange(int(60 * fs)) / fs
    ecg = np.sin(2 * np.pi * 1.0 * x) ** 50
    rec = Record("demo<b>", np.c_[ecg], fs, ["MLII"], ["mV"])
    t = np.arange(0.25, 60, 1.0)
    beats = _beats(t, ["N"] * len(t))
    events = pd.DataFrame({"type": ["pvc", "vt"], "start_s": [10.0, 30.0], "end_s": [10.0, 33.0],
                           "start_sample": [3600, 10800], "end_sample": [3600, 11880], "n_beats": [1, 4],
                           "description": ["Isolated <premature> beat", "Run"]})
    quality = pd.DataFrame({"start_s": [0.0], "end_s": [60.0], "noisy": [False]})
    a = Analysis(rec, 0, "detected", beats, {"hr_mean_bpm": 60.0}, quality, events)
    html = html_report(a)
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "demo&lt;b&gt;" in html and "<premature>" not in html  # escaped
    assert html.count("<svg") == 2 and "src=" not in html and "<script" not in html
    # By the rule: the run gets a strip, the isolated beat none (it is counted in the events table).
    assert "Fastest ventricular run: 4 beats at 60 bpm, 0:00:30" in html and "<td>pvc</td>" in html
