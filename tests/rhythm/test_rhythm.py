"""Rhythm model: hand-made RR sequences, a DS2 AF record, episode and EC57 arithmetic, bad weights."""
import numpy as np
import pandas as pd
import pytest
import torch

from ecg_lstm.errors import ModelError, RecordError, SamplingRateError
from ecg_lstm.rhythm.evaluate import ec57_af, summarise
from ecg_lstm.rhythm.features import cosen, rhythm_inputs
from ecg_lstm.rhythm.labels import CLASSES, codes_at, rhythm_intervals
from ecg_lstm.rhythm.predict import DEFAULT_WEIGHTS, RhythmClassifier, af_burden, episodes_from_probs, episodes_to_wfdb, merge_short_runs

FS = 360.0


@pytest.fixture(scope="module")
def clf():
    if not DEFAULT_WEIGHTS.exists():
        pytest.skip("models/rhythm_lstm.pt not installed; run `make train-rhythm`")
    return RhythmClassifier.load()


def _peaks(rr_s, fs=FS):
    return np.round(np.cumsum(np.r_[1.0, rr_s]) * fs).astype(np.int64)


def _sinus(rng, n=400):
    return 0.8 + rng.normal(0, 0.015, n)


def _af(rng, n=400):
    return rng.uniform(0.4, 1.2, n)


def _ectopic(rng, n=400, every=9):
    """Regular 0.8 s rhythm with an isolated premature beat (short-long pair) every ``every`` beats."""
    rr, labels = _sinus(rng, n), np.full(n + 1, "N", dtype=object)
    for i in range(5, n - 1, every):
        rr[i], rr[i + 1] = 0.5, 1.1
        labels[i + 1] = "V"  # peak i+1 ends the short interval rr[i]
    return rr, labels


def test_sinus_is_not_af(clf):
    peaks = _peaks(_sinus(np.random.default_rng(1)))
    eps = clf.predict(peaks, FS)
    assert af_burden(eps, peaks[-1] / FS) < 5.0
    assert (eps["label"] == "N").any()


def test_irregularly_irregular_is_af(clf):
    peaks = _peaks(_af(np.random.default_rng(2)))
    eps = clf.predict(peaks, FS)
    assert af_burden(eps, peaks[-1] / FS) > 90.0


@pytest.mark.parametrize("with_labels", [True, False])
def test_regular_with_isolated_ectopics_is_not_af(clf, with_labels):
    rr, labels = _ectopic(np.random.default_rng(3))
    peaks = _peaks(rr)
    eps = clf.predict(peaks, FS, labels=labels if with_labels else None)
    assert af_burden(eps, peaks[-1] / FS) < 10.0


def test_input_is_independent_of_sampling_rate(clf):
    # RR in steps of 50 ms, so the beat times are whole samples at both rates
    rr = np.round(_af(np.random.default_rng(4), 200) / 0.05) * 0.05
    p360 = clf.predict_beats(_peaks(rr, 360.0), 360.0)
    p500 = clf.predict_beats(_peaks(rr, 500.0), 500.0)
    assert np.abs(p360 - p500).max() < 1e-4


def test_episodes_cover_the_record(clf):
    rr = np.r_[_sinus(np.random.default_rng(5), 150), _af(np.random.default_rng(6), 200), _sinus(np.random.default_rng(7), 150)]
    peaks = _peaks(rr)
    n = int(peaks[-1] + 100)
    eps = clf.predict(peaks, FS, n_samples=n)
    assert list(eps.columns) == ["label", "start_sample", "end_sample", "start_s", "end_s", "confidence"]
    assert eps["start_sample"].iloc[0] == 0 and eps["end_sample"].iloc[-1] == n
    assert (eps["start_sample"].to_numpy()[1:] == eps["end_sample"].to_numpy()[:-1]).all()
    assert (eps["label"].to_numpy()[1:] != eps["label"].to_numpy()[:-1]).all()
    assert eps["confidence"].between(0, 1).all()
    # the AF stretch (about 1 s + 120 s .. 280 s) is found, within 15 s at each end
    af = eps[eps["label"] == "AFIB"]
    assert len(af) == 1
    t_on, t_off = 1.0 + rr[:150].sum(), 1.0 + rr[:350].sum()
    assert abs(af["start_s"].iloc[0] - t_on) < 15 and abs(af["end_s"].iloc[0] - t_off) < 15


def test_ds2_af_record_yields_overlapping_af_episode(clf, mitdb_dir):
    from ecg_lstm.rhythm.labels import load_reference

    ref = load_reference(mitdb_dir, "202")  # DS2: sinus, then AF and flutter
    eps = clf.predict(ref["beats"], ref["fs"], n_samples=ref["n_samples"])
    ref_af = [(a / ref["fs"], b / ref["fs"]) for a, b, c in ref["intervals"] if c == "AFIB"]
    test_af = [(r.start_s, r.end_s) for r in eps.itertuples() if r.label == "AFIB"]
    stats = ec57_af(ref_af, test_af)
    assert stats["STP"] >= 1
    assert stats["overlap_s"] > 0.5 * stats["ref_s"]


def test_episode_merging_hand_case():
    # 10 beats 1 s apart: N N N AF(strong) N N AF AF AF AF, record 12 s long
    p = np.tile([0.9, 0.05, 0.05], (10, 1))
    p[[3, 6, 7, 8, 9]] = [0.05, 0.9, 0.05]
    peaks = np.arange(1, 11) * 100
    eps = episodes_from_probs(p, peaks, fs=100.0, n_samples=1200, smooth_beats=1, min_episode_s=2.0)
    # beat 3 is a 1 s AF run -> merged into N; AF from beat 6 (t=7 s) to the end
    assert eps["label"].tolist() == ["N", "AFIB"]
    assert eps["start_sample"].tolist() == [0, 700] and eps["end_sample"].tolist() == [700, 1200]
    assert eps["start_s"].tolist() == [0.0, 7.0] and eps["end_s"].tolist() == [7.0, 12.0]
    assert af_burden(eps, 12.0) == pytest.approx(100 * 5 / 12)
    samples, symbols, aux = episodes_to_wfdb(eps)
    assert samples.tolist() == [0, 700] and symbols == ["+", "+"] and aux == ["(N", "(AFIB"]


def test_hysteresis_keeps_af_through_a_dip():
    p = np.tile([0.05, 0.9, 0.05], (6, 1))
    p[:2] = [0.9, 0.05, 0.05]
    p[3] = [0.5, 0.45, 0.05]  # AF probability dips below 0.6 but stays above 0.4
    eps = episodes_from_probs(p, np.arange(6) * 100, fs=100.0, smooth_beats=1, min_episode_s=0.0)
    assert eps["label"].tolist() == ["N", "AFIB"]


def test_merge_short_runs_prefers_longer_neighbour():
    lab = np.array([0, 0, 0, 2, 1, 1, 1, 1, 1])
    t = np.arange(9, dtype=float)
    assert merge_short_runs(lab, t, 9.0, 2.0).tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1]


def test_ec57_arithmetic_hand_case():
    ref_af = [(100.0, 200.0), (400.0, 450.0), (600.0, 700.0)]
    ref_afl = [(800.0, 900.0)]
    test_af = [(150.0, 250.0), (300.0, 320.0), (620.0, 640.0), (820.0, 880.0), (880.0, 950.0)]
    s = ec57_af(ref_af, test_af, ref_afl)
    # reference: 1st and 3rd detected (any overlap), 2nd missed
    assert (s["STP"], s["FN"]) == (2, 1)
    # detections: 150-250 and 620-640 true; 300-320 false; 820-880 lies in flutter (ignored);
    # 880-950 is false, and only its 50 s outside flutter count as detected time
    assert (s["PTP"], s["FP"]) == (2, 2)
    assert s["ref_s"] == 250 and s["overlap_s"] == 50 + 20
    assert s["test_s"] == 100 + 20 + 20 + 50
    g = summarise({"r": s})["gross"]
    assert g["duration_se"] == pytest.approx(70 / 250) and g["duration_ppv"] == pytest.approx(70 / 190)
    # the learning period clips episodes: from t0 = 160 s the first reference episode is 40 s
    s2 = ec57_af(ref_af, test_af, ref_afl, t0=160.0)
    assert s2["ref_s"] == 40 + 50 + 100


def test_rhythm_intervals_and_codes():
    iv = rhythm_intervals([10, 50, 80, 120], ["(N", "(AFIB", "(AFIB", "(N"], 200)
    assert iv == [(0, 10, ""), (10, 50, "N"), (50, 120, "AFIB"), (120, 200, "N")]
    assert codes_at([0, 10, 49, 50, 119, 199], iv).tolist() == ["", "N", "N", "AFIB", "AFIB", "N"]


def test_cosen_separates_regular_from_random():
    rng = np.random.default_rng(0)
    reg = 0.8 + rng.normal(0, 0.01, (50, 30))
    irr = rng.uniform(0.4, 1.2, (50, 30))
    assert cosen(irr).mean() > cosen(reg).mean() + 1.0
    seq, feat = rhythm_inputs(_peaks(irr[0]), FS)
    assert seq.shape == (31, 30, 5) and np.isfinite(seq).all() and np.isfinite(feat).all()


def test_corrupt_or_mismatched_weights_raise_model_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a weights file")
    with pytest.raises(ModelError):
        RhythmClassifier.load(bad)
    other = tmp_path / "other.pt"
    torch.save({"lstm.weight_hh_l0": torch.zeros(128, 32), "x": torch.zeros(3)}, other)
    with pytest.raises(ModelError):
        RhythmClassifier.load(other)
    with pytest.raises(ModelError):
        RhythmClassifier.load(tmp_path / "missing.pt")


def test_bad_inputs_raise(clf):
    with pytest.raises(SamplingRateError):
        clf.predict([1, 2, 3], 0)
    with pytest.raises(RecordError):
        clf.predict([3, 2, 1, 5, 6, 7, 8, 9, 10], FS)
    with pytest.raises(RecordError):
        clf.predict(np.arange(20) * 300, FS, labels=["N"] * 3)
    assert clf.predict([100, 400], FS).empty
    assert af_burden(pd.DataFrame(columns=["label", "start_s", "end_s"]), 10.0) == 0.0
    assert set(CLASSES) == {"N", "AFIB", "OTHER"}


def test_train_cli_smoke(tmp_path, mitdb_dir):
    """One short epoch on DS1 writes a run folder whose weights load."""
    from ecg_lstm.rhythm.train import main

    run = main(["--data-dir", str(mitdb_dir), "--out", str(tmp_path), "--final-epochs", "1", "--steps", "2",
                "--copies", "0", "--synthetic", "1", "--threads", "1", "--records", "101", "201"])
    assert {p.name for p in run.iterdir()} == {"weights.pt", "config.json", "history.json"}
    clf = RhythmClassifier.load(run / "weights.pt")
    assert clf.config["train_records"] == ["101", "201"]
