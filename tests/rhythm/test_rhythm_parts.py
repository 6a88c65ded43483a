"""The rhythm model's parts: generated rhythms (ecg_lstm.rhythm.synthetic), the network's shapes
(ecg_lstm.rhythm.model) and the training arrays (ecg_lstm.rhythm.dataset), on synthetic input,
and on one MIT-BIH record where the data are present."""
import numpy as np
import pytest
import torch

from ecg_lstm.rhythm.dataset import build, perturb_beats, record_examples
from ecg_lstm.rhythm.features import SEQ_CHANNELS, WINDOW, WINDOW_FEATURES
from ecg_lstm.rhythm.labels import CLASS_INDEX, CLASSES
from ecg_lstm.rhythm.model import RhythmLSTM
from ecg_lstm.rhythm.synthetic import atrial_fibrillation, examples, sinus, with_ectopics

C, F = len(SEQ_CHANNELS), len(WINDOW_FEATURES)
CV = WINDOW_FEATURES.index("cv")
LOG_MEDIAN_RR = WINDOW_FEATURES.index("log_median_rr")


# -- synthetic -------------------------------------------------------------------------------------

def test_examples_shapes_and_classes():
    """n_each sequences of sinus, sinus with ectopics and AF, one example per beat (n_beats + 1
    peaks each): two thirds labelled N, one third AFIB, none OTHER."""
    n_each, n_beats = 2, 60
    ex = examples(n_each, seed=0, n_beats=n_beats)
    per = n_beats + 1
    assert ex["seq"].shape == (3 * n_each * per, WINDOW, C) and ex["seq"].dtype == np.float32
    assert ex["feat"].shape == (3 * n_each * per, F) and ex["feat"].dtype == np.float32
    assert ex["target"].shape == (3 * n_each * per,) and ex["target"].dtype == np.int64
    counts = np.bincount(ex["target"], minlength=len(CLASSES))
    assert counts[CLASS_INDEX["N"]] == 2 * n_each * per
    assert counts[CLASS_INDEX["AFIB"]] == n_each * per
    assert counts[CLASS_INDEX["OTHER"]] == 0
    # in generation order: sinus, ectopic (N), then AF, for each of the n_each rounds
    blocks = ex["target"].reshape(n_each, 3, per)
    assert (blocks[:, :2] == CLASS_INDEX["N"]).all() and (blocks[:, 2] == CLASS_INDEX["AFIB"]).all()
    assert np.isfinite(ex["seq"]).all() and np.isfinite(ex["feat"]).all()


def test_examples_window_and_seed():
    a = examples(1, seed=3, n_beats=40, window=16)
    b = examples(1, seed=3, n_beats=40, window=16)
    c = examples(1, seed=4, n_beats=40, window=16)
    assert a["seq"].shape[1] == 16
    assert all(np.array_equal(a[k], b[k]) for k in a)     # reproducible
    assert not np.array_equal(a["feat"], c["feat"])       # and the seed matters


def test_af_windows_are_more_irregular_than_sinus():
    """The point of the generated AF: its RR windows vary more (coefficient of variation) than
    sinus windows, so the model can learn irregularity rather than two patients' rates."""
    n_beats = 200
    ex = examples(4, seed=1, n_beats=n_beats)
    t = ex["target"].reshape(4, 3, n_beats + 1)
    cv = ex["feat"][:, CV].reshape(4, 3, n_beats + 1)
    assert (t[:, 0] == CLASS_INDEX["N"]).all()
    assert np.median(cv[:, 2]) > 2 * np.median(cv[:, 0])


def test_sinus_and_af_intervals_in_their_ranges():
    rng = np.random.default_rng(0)
    for _ in range(5):
        rr = sinus(rng, 500)
        assert rr.shape == (500,) and rr.min() >= 0.3 and rr.max() <= 2.0
        af = atrial_fibrillation(rng, 3000)
        assert af.min() >= 0.25 and af.max() <= 2.5
        assert 0.38 <= af.mean() <= 1.15            # 55..150 bpm
        assert 0.08 <= af.std() / af.mean() <= 0.40  # CV 10..35 %, with sampling slack


def test_with_ectopics_premature_beats_and_pauses():
    """Each ectopic beat ends an interval shortened to 55-85 % of the cycle; after a V beat the
    next interval is (2 - c) x (a full compensatory pause), after an S beat 1..(2 - c) x;
    ectopic beats are at least 4 beats apart; every other interval is untouched."""
    rng = np.random.default_rng(7)
    rr0 = sinus(rng, 600)
    rr, labels = with_ectopics(rng, rr0)
    assert labels.shape == (601,) and set(labels) <= {"N", "S", "V"}
    ect = np.flatnonzero(labels != "N")
    assert ect.size > 5 and np.all(np.diff(ect) >= 4)
    touched = np.zeros(rr.size, bool)
    for j in ect:
        c = rr[j - 1] / rr0[j - 1]
        assert 0.55 <= c <= 0.85
        after = rr[j] / rr0[j]
        if labels[j] == "V":
            assert after == pytest.approx(2 - c)
        else:
            assert 1.0 <= after <= 2 - c + 1e-12
        touched[[j - 1, j]] = True
    assert np.array_equal(rr[~touched], rr0[~touched])


# -- model -----------------------------------------------------------------------------------------

def test_rhythm_lstm_shapes_on_synthetic_windows():
    torch.manual_seed(0)
    ex = examples(1, seed=0, n_beats=20)
    m = RhythmLSTM().eval()
    seq, feat = torch.from_numpy(ex["seq"][:8]), torch.from_numpy(ex["feat"][:8])
    with torch.no_grad():
        out = m(seq, feat)
    assert out.shape == (8, len(CLASSES)) and torch.isfinite(out).all()


@pytest.mark.parametrize("hidden,window", [(8, 10), (16, 31)])
def test_rhythm_lstm_other_sizes_and_batch_independence(hidden, window):
    """Any window length and hidden size; in eval mode each row's logits do not depend on the
    other rows of the batch."""
    torch.manual_seed(1)
    m = RhythmLSTM(hidden=hidden).eval()
    seq, feat = torch.randn(5, window, C), torch.randn(5, F)
    with torch.no_grad():
        full = m(seq, feat)
        one = torch.cat([m(seq[i:i + 1], feat[i:i + 1]) for i in range(5)])
    assert full.shape == (5, len(CLASSES))
    torch.testing.assert_close(full, one, rtol=1e-5, atol=1e-6)


def test_rhythm_lstm_standardisation_is_in_the_weights():
    """feat_mean / feat_std are buffers: saved with the weights, and used on the features
    (standardising by (mean, std) = shifting the input by -mean and scaling by 1/std)."""
    torch.manual_seed(2)
    m = RhythmLSTM().eval()
    assert {"feat_mean", "feat_std"} <= set(m.state_dict())
    seq, feat = torch.randn(3, 12, C), torch.randn(3, F)
    mean, std = torch.randn(F), torch.rand(F) + 0.5
    with torch.no_grad():
        ref = m(seq, (feat - mean) / std)
        m.feat_mean.copy_(mean)
        m.feat_std.copy_(std)
        got = m(seq, feat)
        clone = RhythmLSTM().eval()
        clone.load_state_dict(m.state_dict())
        again = clone(seq, feat)
    torch.testing.assert_close(got, ref)
    torch.testing.assert_close(again, got)


# -- dataset ---------------------------------------------------------------------------------------

def _regular(n=200, fs=360.0, rr=0.8):
    beats = np.round((1.0 + rr * np.arange(n)) * fs).astype(np.int64)
    return beats, np.array(["N", "V"] * (n // 2), dtype=object)


def test_perturb_beats_without_errors_is_identity():
    beats, cls = _regular()
    b, c = perturb_beats(beats, cls, 360.0, np.random.default_rng(0), jitter_s=0.0, p_miss=0.0, p_extra=0.0)
    assert np.array_equal(b, beats) and np.array_equal(c, cls)


def test_perturb_beats_drops_adds_and_jitters():
    fs = 360.0
    beats, cls = _regular(2000, fs)
    rng = np.random.default_rng(1)
    b, c = perturb_beats(beats, cls, fs, rng, jitter_s=0.0, p_miss=0.0, p_extra=1.0)
    # every interval gets a spurious beat in its middle, labelled Q; the real beats keep theirs
    assert b.size == 2 * beats.size - 1 and np.all(np.diff(b) > 0)
    assert np.array_equal(b[::2], beats) and np.array_equal(c[::2], cls)
    assert np.array_equal(b[1::2], (beats[:-1] + beats[1:]) // 2) and set(c[1::2]) == {"Q"}
    b, c = perturb_beats(beats, cls, fs, rng, jitter_s=0.0, p_miss=0.5, p_extra=0.0)
    assert 0.4 < b.size / beats.size < 0.6
    assert np.all(np.isin(b, beats)) and np.array_equal(c, cls[np.searchsorted(beats, b)])
    b, _ = perturb_beats(beats, cls, fs, rng, jitter_s=0.01, p_miss=0.0, p_extra=0.0)
    assert np.std(b - beats) == pytest.approx(0.01 * fs, rel=0.1)


def test_record_examples_targets_follow_the_rhythm_intervals():
    """Targets are the class of the rhythm in force at each beat: -1 before the first rhythm
    annotation and in rhythms invisible in RR (PREX), OTHER for any other code."""
    fs = 360.0
    beats, cls = _regular(100, fs)
    intervals = [(0, 5000, ""), (5000, 12000, "N"), (12000, 18000, "AFIB"), (18000, 22000, "PREX"),
                 (22000, 26000, "AFL"), (26000, 40000, "B")]
    ref = {"fs": fs, "beats": beats, "beat_class": cls, "intervals": intervals}
    ex = record_examples(ref)
    assert ex["seq"].shape == (100, WINDOW, C) and ex["feat"].shape == (100, F)
    want = {"": -1, "N": CLASS_INDEX["N"], "AFIB": CLASS_INDEX["AFIB"], "PREX": -1, "AFL": CLASS_INDEX["AFIB"],
            "B": CLASS_INDEX["OTHER"]}
    for (a, b, code) in intervals:
        inside = (beats >= a) & (beats < b)
        assert inside.any()
        assert (ex["target"][inside] == want[code]).all(), code
        assert (ex["code"][inside] == code).all()


def test_record_examples_labels_and_rate_scale():
    """use_labels sets the 'labels given' channel and flags the V beats; rate_scale multiplies
    every RR, which shifts the log median RR feature by log(rate_scale)."""
    fs = 360.0
    beats, cls = _regular(100, fs)
    ref = {"fs": fs, "beats": beats, "beat_class": cls, "intervals": [(0, 10 ** 6, "N")]}
    with_l = record_examples(ref, use_labels=True)
    without = record_examples(ref, use_labels=False)
    given, ectopic = SEQ_CHANNELS.index("labels_given"), SEQ_CHANNELS.index("ectopic")
    assert (with_l["seq"][:, :, given] == 1).all() and (without["seq"][:, :, given] == 0).all()
    assert with_l["seq"][:, :, ectopic].any() and not without["seq"][:, :, ectopic].any()
    slow = record_examples(ref, rate_scale=1.5)
    np.testing.assert_allclose(slow["feat"][:, LOG_MEDIAN_RR] - with_l["feat"][:, LOG_MEDIAN_RR],
                               np.log(1.5), atol=1e-5)


def test_build_on_an_af_record(mitdb_dir):
    """build() on record 201 (AF episodes): the reference beats with and without labels plus
    `copies` perturbed copies, every array one row per example, AF among the targets."""
    from ecg_lstm.rhythm.labels import load_reference

    ref = load_reference(mitdb_dir, "201")
    data = build(mitdb_dir, ["201"], copies=1, seed=0)
    n = len(data["target"])
    assert data["seq"].shape == (n, WINDOW, C) and data["feat"].shape == (n, F)
    assert 2.9 * len(ref["beats"]) < n < 3.1 * len(ref["beats"])  # 2 reference + 1 perturbed (+-1 %)
    assert (data["target"] == CLASS_INDEX["AFIB"]).sum() > 0.1 * n
