"""Which strips the report prints (ecg_lstm.report.strips): the technician's when given, else by the
stated rule, never in noisy signal (no MIT-BIH needed)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.analyze import Analysis
from ecg_lstm.io.record import Record
from ecg_lstm.report.strips import STRIP_S, in_noise, noisy_spans, report_strips
from ecg_lstm.report.summary import counted_events, hr_extremes

FS = 360.0


def _analysis(noisy: list[tuple[float, float]], events: pd.DataFrame) -> Analysis:
    dur = 300.0
    rec = Record("strips", np.zeros((int(dur * FS), 1), np.float32), FS, ["MLII"], ["mV"])
    t = np.arange(0.5, dur, 0.8)
    beats = pd.DataFrame({"sample": np.round(t * FS).astype(np.int64), "time_s": t, "label": "N"})
    starts = np.arange(0.0, dur, 10.0)
    quality = pd.DataFrame({"start_s": starts, "end_s": starts + 10.0,
                            "noisy": [any(a < e and s < b for a, b in noisy) for s, e in zip(starts, starts + 10)]})
    return Analysis(rec, 0, "detected", beats, {}, quality, events)


def _events(rows) -> pd.DataFrame:
    ev = pd.DataFrame(rows, columns=["type", "start_s", "end_s", "n_beats", "noisy"])
    ev["start_sample"] = np.round(ev["start_s"] * FS).astype(np.int64)
    ev["end_sample"] = np.round(ev["end_s"] * FS).astype(np.int64)
    return ev


def _strips(a, chosen=None):
    ev, _ = counted_events(a)
    return report_strips(a, ev, hr_extremes(a.beats, FS), chosen)


def test_in_noise_and_merged_spans():
    spans = noisy_spans(pd.DataFrame({"start_s": [0, 10, 20, 50], "end_s": [10, 20, 30, 60],
                                      "noisy": [False, True, True, True]}))
    assert spans.tolist() == [[10, 30], [50, 60]]
    assert in_noise(spans, [0, 5, 29.9, 30, 45], [10, 10.1, 40, 50, 50.1]).tolist() == [False, True, True, False,
                                                                                          True]


def test_a_pause_in_noise_gives_way_to_the_next_longest():
    ev = _events([("pause", 100.0, 104.0, 2, False), ("pause", 200.0, 202.5, 2, False),
                  ("vt", 150.0, 152.0, 5, True), ("svt_run", 250.0, 252.0, 4, False)])
    a = _analysis([(95.0, 110.0)], ev)
    strips, rule = _strips(a)
    assert rule.startswith("Strips chosen by rule")
    assert strips[0].caption.startswith("Longest pause outside noisy signal: 2.5 s")
    assert strips[0].start_s <= 200.0 and strips[0].end_s >= 202.5
    assert not any("Fastest ventricular run" in s.caption for s in strips)  # the VT is in noise
    assert any(s.caption.startswith("Fastest supraventricular run: 4 beats at 90 bpm") for s in strips)
    spans = noisy_spans(a.quality)
    assert all(not in_noise(spans, s.start_s, s.end_s)[0] for s in strips)
    assert all(s.end_s - s.start_s == pytest.approx(STRIP_S) for s in strips)


def test_af_onsets_the_first_few():
    ev = _events([("afib", float(t), float(t) + 20, 25, False) for t in (30, 90, 150, 210)])
    strips, _ = _strips(_analysis([], ev))
    onsets = [s for s in strips if s.caption.startswith("Onset of atrial fibrillation")]
    assert len(onsets) == 3 and onsets[0].start_s == pytest.approx(27.0)  # 3 s before the onset


def test_the_technicians_strips_replace_the_rule():
    a = _analysis([], _events([("pause", 100.0, 104.0, 2, False)]))
    strips, rule = _strips(a, [(10.0, 20.0, "Chest pain\x00"), (290.0, 400.0, "to the end"), (float("nan"), 1, "x")])
    assert rule == "2 strips chosen by the technician."
    assert [(s.start_s, s.end_s) for s in strips] == [(10.0, 20.0), (290.0, 300.0)]
    assert strips[0].caption == "Chest pain (0:00:10)" and strips[0].chosen
