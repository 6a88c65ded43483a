"""Heart rate, RR and HRV (ecg_lstm.findings.vitals, ecg_lstm.findings.hrv)."""
import json

import numpy as np
import pytest

from ecg_lstm.errors import RecordError, SamplingRateError
from ecg_lstm.findings.vitals import ecg_vitals

AAMI = {**dict.fromkeys("NLRej", "N"), **dict.fromkeys("AaJS", "S"), "V": "V", "E": "V", "F": "F",
        **dict.fromkeys("/fQ", "Q")}


def peaks_from_rr(rr_s, fs=1000, start=0.5):
    """Beat samples from a sequence of RR intervals (s)."""
    return np.round((start + np.concatenate([[0.0], np.cumsum(rr_s)])) * fs).astype(np.int64)


def modulated_peaks(freq_hz, amp_s, fs=1000, duration_s=600.0, mean_rr=0.8):
    """Beats whose RR follows mean_rr + amp_s * sin(2 pi f t): a pure HRV tone."""
    t, out = 1.0, []
    while t < duration_s:
        out.append(t)
        t += mean_rr + amp_s * np.sin(2 * np.pi * freq_hz * t)
    return np.round(np.array(out) * fs).astype(np.int64)


def reference_beats(mitdb_dir, record):
    wfdb = pytest.importorskip("wfdb")
    ann = wfdb.rdann(str(mitdb_dir / record), "atr")
    sym = np.asarray(ann.symbol)
    keep = np.isin(sym, list(AAMI))
    return ann.sample[keep], np.array([AAMI[s] for s in sym[keep]])


def test_constant_rate_exact():
    v = ecg_vitals(peaks_from_rr([0.75] * 200), 1000)
    assert v["hr_mean_bpm"] == pytest.approx(80.0)
    assert v["hr_min_bpm"] == v["hr_max_bpm"] == pytest.approx(80.0)
    assert v["rr_mean_ms"] == v["rr_median_ms"] == pytest.approx(750.0)
    assert v["sdnn_ms"] == 0 and v["rmssd_ms"] == 0 and v["nn50_count"] == 0
    assert v["n_nn_intervals"] == 200 and v["nn_source"] == "all beats (unlabelled)"
    assert v["beat_counts"] is None and v["v_burden_pct"] is None


def test_time_domain_hand_computed():
    rr = np.array([800, 860, 800, 810, 820, 800]) / 1000
    v = ecg_vitals(peaks_from_rr(rr), 1000)
    d = np.diff(rr * 1000)  # 60, -60, 10, 10, -20
    assert v["nn50_count"] == 2
    assert v["pnn50_pct"] == pytest.approx(40.0)
    assert v["rmssd_ms"] == pytest.approx(np.sqrt(np.mean(d ** 2)), abs=1e-3)
    assert v["sdsd_ms"] == pytest.approx(np.std(d, ddof=1), abs=1e-3)
    assert v["sdnn_ms"] == pytest.approx(np.std(rr * 1000, ddof=1), abs=1e-3)


def test_nn_only_between_two_normal_beats():
    rr = [0.8] * 10
    labels = list("NNNVNNNSNNN")  # V at 3, S at 7: intervals 2,3,6,7 touch them
    v = ecg_vitals(peaks_from_rr(rr), 1000, labels=labels)
    assert v["n_nn_intervals"] == 6
    assert v["nn_source"] == "N-N intervals (labelled)"
    assert v["beat_counts"] == {"N": 9, "S": 1, "V": 1, "F": 0, "Q": 0, "unclassified": 0}
    assert v["v_burden_pct"] == pytest.approx(100 / 11, abs=1e-3)
    assert v["ectopic_burden_pct"] == pytest.approx(200 / 11, abs=1e-3)
    # Unclassified beats are not N and are left out of the burden denominator.
    v = ecg_vitals(peaks_from_rr(rr), 1000, labels=["N"] * 9 + ["", None])
    assert v["n_nn_intervals"] == 8 and v["beat_counts"]["unclassified"] == 2 and v["v_burden_pct"] == 0


def test_missed_and_extra_beats_are_filtered():
    rng = np.random.default_rng(1)
    rr = 0.8 + 0.02 * rng.standard_normal(300)
    clean = ecg_vitals(peaks_from_rr(rr), 1000)
    peaks = peaks_from_rr(rr)
    missed = np.delete(peaks, 150)  # one 1.6 s interval instead of two 0.8 s
    extra = np.sort(np.append(peaks, peaks[100] + 300))  # 0.3 s + 0.5 s instead of 0.8 s
    for p, lost in ((missed, 2), (extra, 1)):
        v = ecg_vitals(p, 1000)
        assert v["n_nn_intervals"] == clean["n_nn_intervals"] - lost
        assert v["sdnn_ms"] == pytest.approx(clean["sdnn_ms"], rel=0.05)
        # The 10-beat median window keeps HR extremes sensible.
        assert 65 < v["hr_min_bpm"] and v["hr_max_bpm"] < 90
    assert ecg_vitals(missed, 1000)["rmssd_ms"] == pytest.approx(clean["rmssd_ms"], rel=0.05)


def test_out_of_range_intervals_excluded_from_hr():
    v = ecg_vitals(peaks_from_rr([1.0] * 50 + [8.0] + [1.0] * 50), 1000)  # 8 s gap: signal loss
    assert v["n_rr_excluded"] == 1
    assert v["hr_mean_bpm"] == pytest.approx(60.0)
    assert v["rr_max_ms"] == pytest.approx(1000.0)


def test_hr_trend_per_minute():
    p = peaks_from_rr([1.0] * 179, start=0.5)  # beats 0.5 .. 179.5 s
    v = ecg_vitals(p, 1000, n_samples=240 * 1000)
    assert [m["minute"] for m in v["hr_trend"]] == [0, 1, 2, 3]
    assert [m["hr_bpm"] for m in v["hr_trend"]] == [60.0, 60.0, 60.0, None]
    v = ecg_vitals(p, 1000)  # without n_samples: up to the last beat
    assert len(v["hr_trend"]) == 3
    # Minute 0 at 60 bpm, minute 1 at 120 bpm, minute 2 at 75 bpm with an outlier.
    rr = [1.0] * 59 + [0.5] * 120 + [0.8] * 30 + [2.5] + [0.8] * 40
    v = ecg_vitals(peaks_from_rr(rr, start=0.5), 1000)
    assert [m["hr_bpm"] for m in v["hr_trend"]] == [60.0, 120.0, 75.0]


@pytest.mark.parametrize("freq,band,other", [(0.1, "lf_ms2", "hf_ms2"), (0.25, "hf_ms2", "lf_ms2")])
def test_frequency_domain_recovers_a_tone(freq, band, other):
    amp_ms = 30.0  # a sine of amplitude A has power A^2 / 2
    v = ecg_vitals(modulated_peaks(freq, amp_ms / 1000), 1000)
    assert v[band] == pytest.approx(amp_ms ** 2 / 2, rel=0.15)
    assert v[other] < 0.05 * v[band]
    assert v["total_power_ms2"] == pytest.approx(v["vlf_ms2"] + v["lf_ms2"] + v["hf_ms2"], abs=0.01)
    assert v["lf_nu"] + v["hf_nu"] == pytest.approx(100.0, abs=0.01)
    if band == "lf_ms2":
        assert v["lf_hf_ratio"] > 20


def test_frequency_needs_two_minutes():
    v = ecg_vitals(peaks_from_rr([0.8] * 120), 1000)  # 96 s
    assert v["lf_ms2"] is None and v["hf_ms2"] is None and v["lf_hf_ratio"] is None
    assert v["sdnn_ms"] is not None
    v = ecg_vitals(modulated_peaks(0.25, 0.03, duration_s=150), 1000)
    assert v["hf_ms2"] is not None and v["hf_ms2"] > 200


@pytest.mark.parametrize("peaks", [[], [500]])
def test_too_few_beats_gives_none_not_error(peaks):
    v = ecg_vitals(peaks, 360, labels=["N"] * len(peaks))
    assert v["n_beats"] == len(peaks)
    for key in ("hr_mean_bpm", "hr_min_bpm", "rr_mean_ms", "sdnn_ms", "rmssd_ms", "pnn50_pct", "lf_ms2"):
        assert v[key] is None
    json.dumps(v, allow_nan=False)


@pytest.mark.parametrize("fs", [0, -360, float("nan"), None, "abc"])
def test_bad_fs(fs):
    with pytest.raises(SamplingRateError):
        ecg_vitals([10, 400, 800], fs)


@pytest.mark.parametrize("peaks,labels,n_samples", [
    ([10, 800, 400], None, None),       # unsorted
    ([10, 400, 400], None, None),       # duplicate
    ([-5, 400, 800], None, None),       # negative
    ([10.5, 400, 800], None, None),     # fractional
    ([[10, 400]], None, None),          # 2-D
    ([10, 400, 800], ["N", "N"], None),  # wrong length
    ([10, 400, 800], ["N", "X", "N"], None),  # unknown class
    ([10, 400, 800], None, 500),        # beat beyond the record
])
def test_bad_input_raises_record_error(peaks, labels, n_samples):
    with pytest.raises(RecordError):
        ecg_vitals(peaks, 360, labels=labels, n_samples=n_samples)


def test_record_100(mitdb_dir):
    peaks, labels = reference_beats(mitdb_dir, "100")
    v = ecg_vitals(peaks, 360, labels=labels, n_samples=650000)
    assert 74 < v["hr_mean_bpm"] < 77  # MIT-BIH 100: ~75 bpm normal sinus rhythm
    assert 60 < v["hr_min_bpm"] < v["hr_mean_bpm"] < v["hr_max_bpm"] < 100
    assert v["beat_counts"]["V"] == 1 and v["beat_counts"]["S"] == 33
    assert 20 < v["sdnn_ms"] < 80 and 10 < v["rmssd_ms"] < 60
    assert v["lf_ms2"] > 0 and v["hf_ms2"] > 0 and v["sdann_ms"] is not None
    assert len(v["hr_trend"]) == 31 and all(70 < m["hr_bpm"] < 85 for m in v["hr_trend"][:30])
    json.dumps(v, allow_nan=False)


def test_matches_neurokit2_on_record_100(mitdb_dir):
    nk = pytest.importorskip("neurokit2")
    peaks, labels = reference_beats(mitdb_dir, "100")
    # Longest stretch of N beats: the same NN series for both libraries.
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (labels == "N").astype(int), [0]])))
    starts, stops = edges[::2], edges[1::2]
    i = np.argmax(stops - starts)
    stretch = peaks[starts[i]:stops[i]]
    ours = ecg_vitals(stretch, 360)
    assert ours["n_nn_intervals"] == len(stretch) - 1  # the filter rejected nothing here
    theirs = nk.hrv_time(stretch, sampling_rate=360)
    assert ours["sdnn_ms"] == pytest.approx(theirs["HRV_SDNN"].iloc[0], abs=0.01)
    assert ours["rmssd_ms"] == pytest.approx(theirs["HRV_RMSSD"].iloc[0], abs=0.01)
    assert ours["nn50_count"] * 100 / (len(stretch) - 1) == pytest.approx(theirs["HRV_pNN50"].iloc[0], abs=0.01)


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(gaps=st.lists(st.integers(1, 4000), min_size=0, max_size=400),
                  classes=st.lists(st.sampled_from(["N", "S", "V", "F", "Q", ""]), min_size=400, max_size=400),
                  labelled=st.booleans())
def test_any_sorted_peaks_give_json_without_nan(gaps, classes, labelled):
    peaks = np.cumsum(gaps).astype(np.int64)
    labels = classes[:len(peaks)] if labelled else None
    v = ecg_vitals(peaks, 360, labels=labels)
    text = json.dumps(v, allow_nan=False)  # raises on NaN/inf
    assert "NaN" not in text and v["n_beats"] == len(peaks)
    if v["hr_min_bpm"] is not None:
        assert 20 - 1e-6 <= v["hr_min_bpm"] <= v["hr_max_bpm"] <= 300 + 1e-6
