"""The sampling-rate screen (signal/rate_check.py): a header that states half or twice the true
rate is flagged from the beats themselves; an ordinary ECG is not. Synthetic signals only."""
from __future__ import annotations

import numpy as np
import pytest

from ecg_lstm.analyze import analyze_record
from ecg_lstm.io.record import Record
from ecg_lstm.signal.rate_check import MIN_BEATS, r_wave_width_ms, rate_plausibility

FS, BPM, SIGMA_S = 360.0, 75.0, 0.010  # a Gaussian R wave of 10 ms: 23.5 ms wide at half height


def _ecg(seconds=60.0, fs=FS, bpm=BPM, sigma_s=SIGMA_S):
    t = np.arange(int(seconds * fs)) / fs
    beats = np.arange(0.5, seconds - 0.5, 60.0 / bpm)
    x = 0.05 * np.sin(2 * np.pi * 0.2 * t)
    for b in beats:
        x += 1.0 * np.exp(-0.5 * ((t - b) / sigma_s) ** 2) + 0.2 * np.exp(-0.5 * ((t - b - 0.25) / 0.04) ** 2)
    return x, np.round(beats * fs).astype(np.int64)


def test_r_wave_width_is_the_half_height_width_of_the_median_beat():
    x, peaks = _ecg()
    expected = 2 * np.sqrt(2 * np.log(2)) * SIGMA_S * 1000  # full width at half maximum of a Gaussian
    assert r_wave_width_ms(x, FS, peaks) == pytest.approx(expected, abs=4.0)  # the 0.5-40 Hz filter widens a bit


def test_an_ordinary_ecg_at_its_true_rate_is_not_flagged():
    x, peaks = _ecg()
    out = rate_plausibility(x, FS, peaks)
    assert out["warning"] is None
    assert out["hr_bpm"] == pytest.approx(BPM, rel=0.01)


@pytest.mark.parametrize("bpm", [45.0, 120.0])
def test_slow_and_fast_hearts_at_their_true_rate_are_not_flagged(bpm):
    x, peaks = _ecg(bpm=bpm)
    assert rate_plausibility(x, FS, peaks)["warning"] is None


@pytest.mark.parametrize("factor, word", [(0.5, "too low"), (2.0, "too high")])
def test_a_header_stating_half_or_twice_the_rate_is_flagged(factor, word):
    x, peaks = _ecg()
    out = rate_plausibility(x, FS * factor, peaks)  # the same samples, another stated rate
    assert out["warning"] and word in out["warning"] and f"{FS * factor:g} Hz" in out["warning"]
    assert out["hr_bpm"] == pytest.approx(BPM * factor, rel=0.01)


def test_too_few_beats_say_nothing():
    x, peaks = _ecg(seconds=10.0)
    assert len(peaks) < MIN_BEATS
    assert rate_plausibility(x, FS / 2, peaks)["warning"] is None


def test_the_analysis_carries_the_warning_into_its_json():
    x, _ = _ecg()
    halved = analyze_record(Record("halved", x[:, None], FS / 2, ["MLII"], ["mV"]), classifier=None, rhythm=None)
    assert any("too low" in w for w in halved.warnings)
    assert halved.to_json_dict()["warnings"] == halved.warnings
    true = analyze_record(Record("true", x[:, None], FS, ["MLII"], ["mV"]), classifier=None, rhythm=None)
    assert true.warnings == [] and "warnings" not in true.to_json_dict()
