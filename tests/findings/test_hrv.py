"""HRV numbers a clinician checks: SDANN windows, why frequency measures are missing, the
whole-record Lomb-Scargle estimate, and agreement with NeuroKit2 and PhysioNet's conventions."""
import json

import numpy as np
import pytest

from ecg_lstm.findings.hrv import hrv_lomb, nn_mask
from ecg_lstm.findings.vitals import ecg_vitals
from tests.findings.test_vitals import modulated_peaks as tone_peaks, peaks_from_rr, reference_beats as reference

FS = 1000  # the helpers below make beats at 1000 Hz


# -- SDANN and SDNN index ------------------------------------------------------------------------------

def _stepped_record(tail_rr=0.87, tail_s=5.6):
    """Six 5-min windows at a constant RR each (800 .. 850 ms), then a short tail at ``tail_rr``."""
    t, times = 0.0, []
    for w in range(6):
        step = 0.80 + 0.01 * w
        while t + step <= 300 * (w + 1) + 1e-9:
            t += step
            times.append(t)
    while t + tail_rr <= 1800 + tail_s:
        t += tail_rr
        times.append(t)
    return np.round(np.array(times) * FS).astype(np.int64), int((1800 + tail_s) * FS) + 1


def test_trailing_part_window_does_not_count():
    peaks, n_samples = _stepped_record()
    v = ecg_vitals(peaks, FS, n_samples=n_samples)
    # Interval k belongs to the window of its ending beat; each window's mean is its own RR
    # except the first interval of windows 2..6 (which starts in the window before).
    rr = np.diff(peaks) / FS * 1000
    w = (peaks[1:] / FS // 300).astype(int)
    means = [rr[w == i].mean() for i in range(6)]
    sds = [rr[w == i].std(ddof=1) for i in range(6)]
    assert v["n_sdann_windows"] == 6
    assert v["sdann_ms"] == pytest.approx(np.std(means, ddof=1), abs=1e-3)
    assert v["sdnn_index_ms"] == pytest.approx(np.mean(sds), abs=1e-3)
    assert 18 < v["sdann_ms"] < 19.5  # SD of 800, 810, ..., 850 = 18.7
    # The old rule took the 5.6-s tail as a seventh window: its mean (870) moved SDANN to 24.5.
    assert v["sdann_ms"] < 0.8 * np.std(means + [870.0], ddof=1)


def test_windows_need_nn_coverage():
    peaks, n_samples = _stepped_record()
    labels = np.array(["N"] * len(peaks), dtype=object)
    t = peaks / FS
    in_w2 = np.flatnonzero((t >= 300) & (t < 600))
    labels[in_w2[::2]] = "V"  # every other beat ectopic: no NN interval left in window 2
    v = ecg_vitals(peaks, FS, labels=list(labels), n_samples=n_samples)
    assert v["n_sdann_windows"] == 5 and v["sdann_ms"] is not None
    labels[np.flatnonzero(t >= 600)[::2]] = "V"  # windows 3-6 as well: 1 window left
    v = ecg_vitals(peaks, FS, labels=list(labels), n_samples=n_samples)
    assert v["n_sdann_windows"] == 1 and v["sdann_ms"] is None and v["sdnn_index_ms"] is None


def test_record_203_sdann(mitdb_dir):
    """203 (AF, flutter, many ventricular beats): no 5-min window is 80 % NN, so no SDANN,
    where the partial-window rule reported about 100 ms."""
    peaks, labels = reference(mitdb_dir, "203")
    v = ecg_vitals(peaks, 360, labels=labels, n_samples=650000)
    assert v["n_sdann_windows"] < 3 and v["sdann_ms"] is None and v["sdnn_index_ms"] is None
    assert v["frequency_domain_reason"] and "80 %" in v["frequency_domain_reason"]


# -- why the frequency domain is missing, and Lomb-Scargle -----------------------------------------------

def test_frequency_reason_and_lomb_when_welch_cannot():
    amp = 0.03
    peaks = tone_peaks(0.25, amp, duration_s=900)
    labels = np.array(["N"] * len(peaks), dtype=object)
    # 12 % of the beats ectopic, at random: a quarter of the intervals go, no 5-min segment is
    # 80 % NN. (A regular pattern, every third beat, would alias the tone: periodic sampling
    # is not the Lomb periodogram's case.)
    labels[np.random.default_rng(5).random(len(peaks)) < 0.12] = "V"
    v = ecg_vitals(peaks, FS, labels=list(labels))
    assert v["hf_ms2"] is None and v["lf_hf_ratio"] is None
    assert "80 %" in v["frequency_domain_reason"] and "Lomb-Scargle" in v["frequency_domain_reason"]
    # The whole-record periodogram still finds the 0.25 Hz tone, power A^2 / 2 = 450 ms^2. The
    # gaps spread some of it over the band (517 here, +15 %; +50 % with a third of the beats
    # gone), so 25 %: the estimate is for records Welch cannot serve, not a precise one.
    assert v["lomb_hf_ms2"] == pytest.approx((amp * 1000) ** 2 / 2, rel=0.25)
    assert v["lomb_lf_ms2"] < 0.1 * v["lomb_hf_ms2"] and v["lomb_reason"] is None
    assert "lomb" in v["hrv_lomb_method"].lower() and "no interpolation" in v["hrv_lomb_method"]
    json.dumps(v, allow_nan=False)


@pytest.mark.parametrize("freq,band,other", [(0.1, "lomb_lf_ms2", "lomb_hf_ms2"), (0.25, "lomb_hf_ms2", "lomb_lf_ms2")])
def test_lomb_recovers_a_tone(freq, band, other):
    amp_ms = 30.0
    v = ecg_vitals(tone_peaks(freq, amp_ms / 1000), FS)
    assert v[band] == pytest.approx(amp_ms ** 2 / 2, rel=0.15)
    assert v[other] < 0.05 * v[band]
    assert v["lomb_total_power_ms2"] == pytest.approx(v["lomb_vlf_ms2"] + v["lomb_lf_ms2"] + v["lomb_hf_ms2"],
                                                      abs=0.01)
    assert v["lomb_lf_nu"] + v["lomb_hf_nu"] == pytest.approx(100.0, abs=0.01)
    assert v["frequency_domain_reason"] is None  # clean series: Welch as well
    assert v[band.replace("lomb_", "")] == pytest.approx(v[band], rel=0.15)  # the two estimates agree


def test_lomb_integrates_to_the_variance():
    """PhysioNet's lomb normalises so that the spectrum up to the Nyquist rate sums to the
    variance. White NN noise at a median 1240 ms (Nyquist 0.403 Hz) puts 98 % of it in
    0.0033-0.4 Hz; 10 % tolerance covers the periodogram's sampling error (about 3 %)."""
    rng = np.random.default_rng(3)
    rr = 1.24 + 0.04 * rng.standard_normal(1500)
    v = ecg_vitals(peaks_from_rr(rr), FS)
    nn = np.diff(peaks_from_rr(rr)).astype(float)
    expected = nn.var(ddof=1) * (0.4 - 0.0033) / (0.5 / np.median(nn / 1000))
    assert v["lomb_total_power_ms2"] == pytest.approx(expected, rel=0.10)


def test_lomb_matches_the_direct_sum():
    """astropy's fast method equals scipy's direct Lomb-Scargle sum on the same grid."""
    from scipy.signal import lombscargle

    rng = np.random.default_rng(0)
    peaks = tone_peaks(0.12, 0.02, duration_s=400) + rng.integers(-5, 5, 1)
    rr = np.diff(peaks) / FS
    keep = nn_mask(rr)
    keep[50:60] = False  # a gap
    t, nn = (peaks[1:] / FS)[keep], rr[keep] * 1000
    ours = hrv_lomb(rr * 1000, keep, peaks[1:] / FS)
    span = t[-1] - t[0]
    df = 1 / (4 * span)
    f = df * np.arange(1, int(0.4 / df) + 1)
    p = lombscargle(t, nn - nn.mean(), 2 * np.pi * f)
    psd = 2 * span * p / len(nn)
    lf = psd[(f >= 0.04) & (f < 0.15)].sum() * df
    hf = psd[(f >= 0.15) & (f < 0.4)].sum() * df
    assert ours["lomb_lf_ms2"] == pytest.approx(lf, rel=1e-3)
    assert ours["lomb_hf_ms2"] == pytest.approx(hf, rel=1e-3, abs=1e-3)


def test_slow_rate_leaves_hf_out():
    rr = np.full(400, 1.5)  # 40 bpm: the NN series is sampled at 0.67 Hz, Nyquist 0.33 Hz
    v = ecg_vitals(peaks_from_rr(rr + 0.01 * np.sin(np.arange(400))), FS)
    assert v["lomb_hf_ms2"] is None and v["lomb_lf_ms2"] is not None and "0.33 Hz" in v["lomb_reason"]


def test_too_short_gives_reasons():
    v = ecg_vitals(peaks_from_rr([0.8] * 100), FS)
    assert v["lf_ms2"] is None and v["lomb_lf_ms2"] is None
    assert "2 min" in v["frequency_domain_reason"] and "2 min" in v["lomb_reason"]


def test_welch_has_no_spline_overshoot_across_a_long_gap(mitdb_dir):
    """MIT-BIH 234 has a 27-s span without NN intervals. A cubic spline across it swung to
    172 ms and gave Welch a total power 4.5 times the NN variance; straight across long gaps,
    the power (0.0033-0.4 Hz) stays below the variance and agrees with Lomb-Scargle."""
    peaks, labels = reference(mitdb_dir, "234")
    v = ecg_vitals(peaks, 360, labels=labels, n_samples=650000)
    assert v["total_power_ms2"] < v["sdnn_ms"] ** 2
    assert v["lf_ms2"] == pytest.approx(v["lomb_lf_ms2"], rel=0.25)
    assert v["hf_ms2"] == pytest.approx(v["lomb_hf_ms2"], rel=0.25)


# -- against NeuroKit2 on MIT-BIH ------------------------------------------------------------------------

@pytest.mark.parametrize("record", ["100", "105", "113", "230"])
def test_matches_neurokit2_sdann_and_lomb(mitdb_dir, record):
    """The same NN series (ours, reference beats and labels) given to NeuroKit2.

    Tolerances: SDANN 2 ms and SDNN index 1 ms, because NeuroKit2 starts its 5-min windows at
    the first NN interval (ours at the record start, so a window shifts by < 1 s), leaves out
    the last interval of every window (1 of ~370), and places windows by the running sum of
    the intervals, gaps ignored (these records have few); each moves a window mean by up to
    ~1 ms. On gappy records (108: 9.6 ms) NeuroKit2's windows drift from clock time. LF/HF 2 %: NeuroKit2 integrates astropy's autopower grid (5 samples per peak,
    trapezoids, floating mean) where we sum a 4x grid as PhysioNet's pwr does. Absolute powers
    are not compared: NeuroKit2 does not scale the periodogram to the NN variance."""
    nk = pytest.importorskip("neurokit2")
    pytest.importorskip("astropy")
    peaks, labels = reference(mitdb_dir, record)
    ours = ecg_vitals(peaks, 360, labels=labels, n_samples=650000)
    rr = np.diff(peaks) / 360
    keep = nn_mask(rr, labels == "N")
    series = {"RRI": rr[keep] * 1000, "RRI_Time": (peaks[1:] / 360)[keep]}
    with np.errstate(all="ignore"):
        t = nk.hrv_time(series)
        f = nk.hrv_frequency(series, psd_method="lomb", interpolation_rate=None, normalize=False)
    assert ours["n_sdann_windows"] >= 5  # these records are sinus throughout
    assert ours["sdann_ms"] == pytest.approx(t["HRV_SDANN5"].iloc[0], abs=2.0)
    assert ours["sdnn_index_ms"] == pytest.approx(t["HRV_SDNNI5"].iloc[0], abs=1.0)
    assert ours["lomb_lf_hf_ratio"] == pytest.approx(f["HRV_LFHF"].iloc[0], rel=0.02)


# -- the page ----------------------------------------------------------------------------------------------

def test_hrv_tables_label_both_estimates():
    from dashboard.sections.rhythm import hrv_tables

    v = ecg_vitals(tone_peaks(0.25, 0.03), FS)
    time, freq = hrv_tables(v)
    assert list(freq.columns) == ["band", "Welch, 5-min segments", "Lomb-Scargle, whole record"]
    hf = freq.set_index("band").loc["HF 0.15-0.4 Hz"]
    assert hf["Lomb-Scargle, whole record"] == f"{v['lomb_hf_ms2']:,.0f} ms²"
    assert hf["Welch, 5-min segments"] == f"{v['hf_ms2']:,.0f} ms²"
    v = {**v, "hf_ms2": None, "n_sdann_windows": 1}
    time, freq = hrv_tables(v)
    assert freq.set_index("band").loc["HF 0.15-0.4 Hz", "Welch, 5-min segments"] == "—"
    assert "SDANN (1 × 5 min)" in set(time["measure"])


def _render_hrv():
    import streamlit as st

    from dashboard.sections import rhythm

    rhythm._hrv(st.session_state["hrv_analysis"])


@pytest.mark.parametrize("record,applicable", [("100", True), ("203", False)])
def test_rhythm_tab_shows_hrv_or_why_not(mitdb_dir, record, applicable):
    from streamlit.testing.v1 import AppTest

    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.io.read import read_record

    a = analyze_record(read_record(mitdb_dir / record))
    assert a.vitals["hrv_applicable"] is applicable  # the JSON says what the page says
    at = AppTest.from_function(_render_hrv, default_timeout=60)
    at.session_state["hrv_analysis"] = a
    at.run()
    assert not at.exception
    if applicable:
        assert not at.info and len(at.dataframe) == 2
        freq = at.dataframe[1].value
        assert "Lomb-Scargle, whole record" in freq.columns and (freq["Lomb-Scargle, whole record"] != "—").all()
    else:
        assert len(at.info) == 1 and "HRV not applicable" in at.info[0].value
        assert a.vitals["hrv_not_applicable_reason"].split(" ")[0] in at.info[0].value
        # The numbers stay one click away, with why Welch is missing (203: no 80 % NN segment).
        assert len(at.expander) == 1 and len(at.expander[0].dataframe) == 2
        assert any("Welch not available" in c.value.replace("\\", "") for c in at.expander[0].caption)
