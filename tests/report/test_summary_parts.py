"""The parts of the clinical summary (no MIT-BIH needed): heart-rate extremes on the vitals' own window
(ecg_lstm.report.periods), the rhythm in words (ecg_lstm.report.rhythm_text), text wrapped to its width
(ecg_lstm.report.layout) and the full disclosure envelope (ecg_lstm.report.pdf_ecg)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.analyze import Analysis
from ecg_lstm.findings.vitals import ecg_vitals
from ecg_lstm.io.record import Record
from ecg_lstm.report.content import hms
from ecg_lstm.report.layout import text_width_mm, wrap
from ecg_lstm.report.pdf_ecg import envelope
from ecg_lstm.report.periods import hr_extremes, period_step, period_table
from ecg_lstm.report.rhythm_text import af_figures, rhythm_statements

FS = 250.0


def _beats(seed: int = 3, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rr = rng.normal(0.8, 0.15, n).clip(0.3, 2.6)
    rr[rng.integers(0, n, 10)] = 3.5  # gaps beyond 3 s: no RR interval
    samples = np.round(np.cumsum(rr) * FS).astype(np.int64)
    return pd.DataFrame({"sample": samples, "time_s": samples / FS, "label": "N"})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hr_extremes_are_the_vitals(seed):
    beats = _beats(seed)
    v = ecg_vitals(beats["sample"], FS)
    ext = hr_extremes(beats, FS)
    assert ext["hr_min_bpm"] == v["hr_min_bpm"] and ext["hr_max_bpm"] == v["hr_max_bpm"]
    assert ext["hr_bpm"].min() == pytest.approx(v["hr_min_bpm"], abs=1e-3)
    k = np.searchsorted(ext["time_s"], ext["hr_max_s"])
    assert ext["hr_bpm"][k] == pytest.approx(v["hr_max_bpm"], abs=1e-3)
    assert hr_extremes(beats.iloc[:1], FS)["hr_min_s"] is None


def _analysis(duration_s: float, episodes: pd.DataFrame | None = None, beats=None) -> Analysis:
    rec = Record("parts", np.zeros((int(duration_s * FS), 1), np.float32), FS, ["MLII"], ["mV"])
    beats = beats if beats is not None else pd.DataFrame({"sample": np.zeros(0, np.int64), "time_s": [], "label": []})
    quality = pd.DataFrame({"start_s": [0.0], "end_s": [duration_s], "noisy": [False]})
    return Analysis(rec, 0, "detected", beats, {}, quality, pd.DataFrame(), episodes)


def test_period_rows():
    assert period_step(1800)[1] == "5 minutes" and period_step(5400)[1] == "10 minutes"
    assert period_step(24 * 3600)[1] == "hour"
    beats = _beats(n=2300)
    dur = float(beats["time_s"].iloc[-1]) + 1.0
    a = _analysis(dur, beats=beats)
    ev = pd.DataFrame({"type": ["pause"], "start_s": [100.0], "end_s": [103.5]})
    tab = period_table(a, ev, hr_extremes(beats, FS), hms)
    assert tab["head"][:5] == ["period", "beats", "HR min", "HR mean", "HR max"]
    assert sum(int(r[1].replace(",", "")) for r in tab["rows"]) == len(beats)
    assert [r[7] for r in tab["rows"]][0] == "1" and tab["rows"][-1][0].endswith(hms(dur))
    step = tab["step_s"]
    assert len(tab["rows"]) == int(np.ceil(dur / step)) - (dur % step < step / 2)  # a short tail joins the last row


def test_rhythm_in_words():
    ep = pd.DataFrame({"label": ["N", "AFIB", "N"], "start_s": [0.0, 600.0, 700.0], "end_s": [600.0, 700.0, 1800.0]})
    a = _analysis(1800.0, ep)
    ev = pd.DataFrame({"type": ["bradycardia", "pause", "vt"], "start_s": [100.0, 300.0, 900.0],
                       "end_s": [130.0, 303.2, 902.0], "n_beats": [20, 2, 5], "noisy": [False, False, True]})
    af = af_figures(a)
    assert af["af_burden_pct"] == pytest.approx(100 / 18) and af["af_episodes"] == 1
    lines = rhythm_statements(a, ev, af, hms)
    assert lines[0] == "Sinus rhythm (94 % of the time) with 1 episode of sinus bradycardia."
    assert lines[1].startswith("Atrial fibrillation, burden 5.6 %: 1 episode, the longest 1 min 40 s from 0:10:00")
    assert "Ventricular tachycardia: none outside noisy signal (1 in noisy signal, possibly artefact)." in lines
    assert lines[-1] == "Pauses of 3 s or more: 1, the longest 3.2 s at 0:05:00."
    assert rhythm_statements(_analysis(60.0), ev.iloc[:0], af_figures(_analysis(60.0)), hms)[0].startswith(
        "Rhythm not classified")


def test_wrap_keeps_each_line_in_its_width():
    text = "A fairly long sentence that must wrap " * 6 + "W" * 120
    lines = wrap(text, 60.0, 9)
    assert len(lines) > 4 and all(text_width_mm(x, 9) <= 60.0 for x in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost
    assert wrap("", 50.0, 9) == [""]


def test_envelope_keeps_the_extremes():
    y = np.sin(np.linspace(0, 60, 21600))
    y[5000] = 3.0
    x, e = envelope(y, 1200)
    assert len(e) == 2400 and e.max() == 3.0 and e.min() == pytest.approx(y.min()) and x.max() < 1


def test_clock_times_when_the_file_has_a_start():
    from ecg_lstm.report.content import clock, clock_and_elapsed, start_text
    from ecg_lstm.report.summary import clinical_summary

    beats = _beats(n=200)
    a = _analysis(float(beats["time_s"].iloc[-1]) + 1.0, beats=beats)
    assert start_text(a.record) is None and clock(a.record, 3725) == "1:02:05"
    a.record.metadata.update(base_date="2026-12-01", base_time="23:30:00")
    assert start_text(a.record) == "2026-12-01 23:30:00"
    assert clock(a.record, 3725) == "day 2 00:32:05"
    assert clock_and_elapsed(a.record, 65) == "23:31:05 (0:01:05 into the recording)"
    s = clinical_summary(a)
    rows = dict(map(tuple, next(sec["rows"] for sec in s["sections"] if sec["head"] == "Recording")))
    assert rows["Start"] == "2026-12-01 23:30:00"
    hr = dict(map(tuple, next(sec["rows"] for sec in s["sections"] if sec["head"] == "Heart rate")))
    assert hr["Minimum"].endswith(f"at {clock(a.record, s['numbers']['hr_min_s'])}") and "23:" in hr["Minimum"] + \
        hr["Maximum"]
    a.record.metadata.update(base_date=None, base_time="08:00:00")
    assert start_text(a.record) == "08:00:00" and clock(a.record, 60) == "08:01:00"
