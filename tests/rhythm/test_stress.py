"""Paroxysmal AF: splicing (ecg_lstm.rhythm.synthetic), the stress test's generators and scoring
(ecg_lstm.rhythm.stress), and the installed model on a spliced DS1 excerpt and on bigeminy."""
import numpy as np
import pytest

from ecg_lstm.rhythm.dataset import paroxysm_examples
from ecg_lstm.rhythm.labels import CLASS_INDEX, load_reference
from ecg_lstm.rhythm.predict import DEFAULT_WEIGHTS, RhythmClassifier
from ecg_lstm.rhythm.stress import flutter, generated_af, multifocal_pacs, score_paroxysm, stages
from ecg_lstm.rhythm.synthetic import paroxysms, splice


@pytest.fixture(scope="module")
def clf():
    if not DEFAULT_WEIGHTS.exists():
        pytest.skip("models/rhythm_lstm.pt not installed; run `make train-rhythm`")
    return RhythmClassifier.load()


def test_splice_replaces_the_beats_of_the_paroxysm_only():
    t = np.arange(0.0, 100.0, 0.8)
    cls = np.full(len(t), "N", dtype=object)
    cls[10] = "V"
    rr = np.array([0.5, 0.9, 0.6, 0.7, 0.4])
    t2, c2, af = splice(t, cls, 40.0, rr)
    i = np.searchsorted(t, 40.0)
    assert np.array_equal(t2[:i], t[:i]) and c2[10] == "V"
    assert np.allclose(t2[i:i + 5], t[i - 1] + np.cumsum(rr)) and af[i:i + 5].all() and af.sum() == 5
    assert np.all(np.diff(t2) > 0) and np.diff(t2)[i + 4] >= 0.8 * 0.8 - 1e-9  # host resumes after a full-ish cycle
    assert set(t2[i + 5:]) <= set(t)                                             # and keeps its own beats
    # a second splice earlier in the record keeps the first one's flags
    t3, _, af3 = splice(t2, c2, 10.0, rr, af)
    assert af3.sum() == 10


def test_paroxysms_targets_and_lengths(mitdb_dir):
    ref = load_reference(mitdb_dir, "115")
    beats, cls, target = paroxysms(ref, np.random.default_rng(3), per_10min=4.0)
    assert len(beats) == len(cls) == len(target) and np.all(np.diff(beats) > 0)
    af = target == CLASS_INDEX["AFIB"]
    assert set(np.unique(target)) <= {-1, CLASS_INDEX["AFIB"]} and af.any()
    runs = np.split(np.flatnonzero(af), np.flatnonzero(np.diff(np.flatnonzero(af)) > 1) + 1)
    for r in runs:
        assert 4.0 <= (beats[r[-1]] - beats[r[0]]) / ref["fs"] <= 600.0
    ex = paroxysm_examples(ref, np.random.default_rng(3))
    assert (ex["target"] == CLASS_INDEX["AFIB"]).any() and (ex["target"] == CLASS_INDEX["N"]).any()


def test_stress_generators():
    rng = np.random.default_rng(0)
    for _ in range(5):
        rr = generated_af(rng, 120.0)
        assert 110.0 <= rr.sum() <= 121.0 and rr.min() >= 0.25
        assert 0.06 <= rr.std() / rr.mean() <= 0.4
    fixed = flutter(rng, 60.0, variable=False)
    assert fixed.std() < 0.01                     # fixed conduction: regular, invisible to RR
    assert flutter(np.random.default_rng(1), 120.0).std() > 0.05
    t = np.arange(0, 300, 0.8)
    t2, c2 = multifocal_pacs(rng, t, np.full(len(t), "N", dtype=object))
    s = np.flatnonzero(c2 == "S")
    assert 0.15 < len(s) / len(t) < 0.45 and not np.any(np.diff(s) == 1)


def test_score_paroxysm_hand_case():
    t = np.arange(20.0)
    truth = np.zeros(20, bool)
    truth[5:12] = True
    called = np.zeros(20, bool)
    called[7:14] = True
    s = score_paroxysm(t, truth, called)
    assert s["found"] and s["onset_err"] == 2 and s["offset_err"] == 2
    assert s["af_s"] == 7.0 and s["found_s"] == 5.0 and s["false_s"] == 2.0
    assert not score_paroxysm(t, truth, np.zeros(20, bool))["found"]


@pytest.mark.xfail(strict=True, reason="the shipped model reports AF episodes from 30 s (min_episode_s) and "
                   "misses this 20 s paroxysm; the paroxysm-trained candidate finds it (RHYTHM_MODEL_CARD.md)")
def test_20s_paroxysm_in_ds1_sinus_is_found_within_5_beats(clf, mitdb_dir):
    """Generated AF of 20 s spliced into 5 minutes of 115 (sinus): one AF run, boundaries within
    5 beats of the splice, nothing else called AF."""
    ref = load_reference(mitdb_dir, "115")
    t = ref["beats"] / ref["fs"]
    keep = (t > 300) & (t < 600)
    rr = generated_af(np.random.default_rng(11), 20.0)
    ts, _, truth = splice(t[keep], ref["beat_class"][keep], 450.0, rr)
    s = score_paroxysm(ts, truth, stages(clf, ts, 360.0)["episodes"])
    assert s["found"] and s["onset_err"] <= 5 and s["offset_err"] <= 5 and s["false_s"] < 5.0


def test_ventricular_bigeminy_is_not_af(clf):
    """Sinus 0.8 s with every second beat a PVC (coupling 0.5 s, compensatory pause 1.1 s):
    regularly irregular, not AF, with or without beat labels."""
    rng = np.random.default_rng(5)
    rr = np.tile([0.5, 1.1], 200) + rng.normal(0, 0.01, 400)
    t = np.cumsum(np.r_[1.0, rr])
    labels = np.array(["N", "V"] * 200 + ["N"], dtype=object)
    for lab in (None, labels):
        assert not stages(clf, t, 360.0, lab)["episodes"].any()


def test_refine_af_edges_moves_a_late_run_onto_the_irregular_beats():
    """Regular 0.8 s, irregular beats 50-79, regular again; an AF run called at 56-86 (late by 6
    beats, as the window's blur leaves it) is moved to 50-80 within the reach; other labels kept."""
    from ecg_lstm.rhythm.predict import refine_af_edges

    rng = np.random.default_rng(2)
    rr = np.full(140, 0.8) + rng.normal(0, 0.01, 140)
    # every successive change large (alternating long/short by 20-40 %), so the edge is unambiguous
    rr[50:80] = 0.8 * np.exp(np.resize([1, -1], 30) * rng.uniform(0.2, 0.4, 30))
    lab = np.zeros(140, int)
    lab[56:86] = 1
    lab[120:] = 2
    out = refine_af_edges(lab, rr, 10)
    af = np.flatnonzero(out == 1)
    assert abs(af[0] - 50) <= 1 and abs(af[-1] + 1 - 80) <= 1
    assert (out[120:] == 2).all() and set(np.unique(out)) == {0, 1, 2}
