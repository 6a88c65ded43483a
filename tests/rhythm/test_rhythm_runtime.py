"""Rhythm classifier inference in batches gives the labels and probabilities of one plain forward pass."""
import numpy as np
import pytest
import torch

from ecg_lstm.beats.aami import reference_beats
from ecg_lstm.io.read import read_record
from ecg_lstm.rhythm import features, predict
from ecg_lstm.rhythm.features import rhythm_inputs
from ecg_lstm.rhythm.model import RhythmLSTM
from ecg_lstm.rhythm.predict import DEFAULT_WEIGHTS, RhythmClassifier, episodes_from_probs


def _plain(model, seq, feat) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(seq), torch.from_numpy(feat)), dim=1).numpy()


def test_batches_and_device(monkeypatch):
    torch.manual_seed(0)
    clf = RhythmClassifier(RhythmLSTM(hidden=8), device="cpu")
    assert clf.device == torch.device("cpu") and clf.net is clf.model
    assert RhythmClassifier(RhythmLSTM(hidden=8)).device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    peaks = np.cumsum(np.random.default_rng(0).uniform(200, 400, 300)).astype(np.int64)
    seq, feat = rhythm_inputs(peaks, 360.0)
    monkeypatch.setattr(predict, "CPU_WINDOWS", 7)  # many batches, the last one partial
    assert clf.batch_size(seq.shape) == 7 * torch.get_num_threads()
    probs = clf.predict_beats(peaks, 360.0)
    assert probs.dtype == np.float32 and probs.shape == (300, 3)
    assert np.abs(probs - _plain(clf.model, seq, feat)).max() <= 1e-6
    clf.model = RhythmLSTM(hidden=8).eval()  # a replaced model is the one used
    assert np.abs(clf.predict_beats(peaks, 360.0) - _plain(clf.model, seq, feat)).max() <= 1e-6


@pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="models/rhythm_lstm.pt not installed")
def test_shipped_model_on_record_208_same_labels_and_probabilities(mitdb_dir):
    clf = RhythmClassifier.load(device="cpu")
    rec = read_record(mitdb_dir / "208")
    samples, _ = reference_beats(rec)
    peaks = np.unique(samples)
    seq, feat = rhythm_inputs(peaks, rec.fs, None, clf.window)
    ref = _plain(clf.model, seq, feat)
    fast = clf.predict_beats(peaks, rec.fs)
    assert len(fast) > 2500
    assert np.abs(fast - ref).max() <= 1e-4
    assert np.array_equal(fast.argmax(1), ref.argmax(1))


def _day_like(n: int = 12_000, seed: int = 3):
    """Beats at 360 Hz alternating regular and irregular (AF-like) stretches, 10 % ectopic."""
    rng = np.random.default_rng(seed)
    rr = np.where((np.arange(n) // 1500) % 2 == 1, rng.uniform(0.4, 1.0, n), 0.8 + rng.normal(0, 0.02, n))
    peaks = np.cumsum(np.round(rr * 360)).astype(np.int64)
    labels = np.where(rng.random(n) < 0.1, "V", "N").astype("<U1")
    return peaks, labels, rng


class _CountingRows(RhythmClassifier):
    """The shipped classifier, counting the beats its network is run on."""

    rows = 0

    def probs_from_inputs(self, seq, feat, forward=None):
        self.rows += len(seq)
        return super().probs_from_inputs(seq, feat, forward)


def _flip(labels, idx):
    out = labels.copy()
    out[idx] = np.where(labels[idx] == "N", "S", "N")
    return out


@pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="models/rhythm_lstm.pt not installed")
def test_incremental_after_many_scattered_flag_changes_equals_a_fresh_pass(monkeypatch):
    from ecg_lstm.rhythm import incremental
    from ecg_lstm.rhythm.incremental import RhythmMemo, beat_probs

    rm = RhythmClassifier.load(device="cpu")
    peaks, labels, rng = _day_like()
    n = len(peaks)
    memo = RhythmMemo()
    first = beat_probs(rm, peaks, 360.0, labels, memo)
    assert np.abs(first - rm.predict_beats(peaks, 360.0, labels)).max() <= 1e-6
    assert memo.feat is not None and memo.feat.shape == (n, 7) and memo.feat.dtype == np.float32
    built = []
    monkeypatch.setattr(incremental, "window_features", lambda w: built.append(len(w)) or features.window_features(w))
    for share in (0.4, 0.05):  # an Adapt: flags changed at random over the whole record
        labels = _flip(labels, rng.choice(n, int(share * n), replace=False))
        fast = beat_probs(rm, peaks, 360.0, labels, memo)
        full = rm.predict_beats(peaks, 360.0, labels)
        assert np.abs(fast - full).max() <= 1e-6
        assert episodes_from_probs(fast, peaks, 360.0, **rm.post).equals(
            episodes_from_probs(full, peaks, 360.0, **rm.post))
    assert built == []  # the window features were kept, not built again
    labels = _flip(labels, [n // 2])  # one correction
    assert np.abs(beat_probs(rm, peaks, 360.0, labels, memo) - rm.predict_beats(peaks, 360.0, labels)).max() <= 1e-6
    # As read back from disk (saved_analysis keeps no features): built once, then kept.
    reopened = RhythmMemo(memo.fingerprint, peaks.copy(), memo.flags, memo.labels_given, memo.probs)
    labels = _flip(labels, rng.choice(n, int(0.4 * n), replace=False))
    fast = beat_probs(rm, peaks, 360.0, labels, reopened)
    assert np.abs(fast - rm.predict_beats(peaks, 360.0, labels)).max() <= 1e-6
    assert sum(built) == n and reopened.feat.shape == (n, 7)


@pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="models/rhythm_lstm.pt not installed")
def test_incremental_runs_the_model_only_on_windows_holding_a_changed_flag():
    from ecg_lstm.rhythm.incremental import RhythmMemo, beat_probs

    rm = _CountingRows.load(device="cpu")
    peaks, labels, rng = _day_like()
    n = len(peaks)
    memo = RhythmMemo()
    beat_probs(rm, peaks, 360.0, labels, memo)
    assert rm.rows == n
    # Two stretches of 1,500 changed beats: past the slices, short of the whole record.
    idx = np.r_[2000:3500, 8000:9500]
    labels = _flip(labels, idx)
    rm.rows = 0
    fast = beat_probs(rm, peaks, 360.0, labels, memo)
    reach = rm.window
    assert rm.rows == 2 * (1500 + 2 * reach)  # a flag is read by the windows within reach of it
    assert np.abs(fast - rm.predict_beats(peaks, 360.0, labels)).max() <= 1e-6
    # Other beats (same count, other positions): the memo's features are not reused for them.
    other = peaks + 7
    out = beat_probs(rm, other, 360.0, labels, memo)
    assert np.abs(out - rm.predict_beats(other, 360.0, labels)).max() <= 1e-6
    assert np.array_equal(memo.peaks, other) and memo.feat is not None
    assert np.array_equal(memo.feat, rhythm_inputs(other, 360.0, labels, rm.window)[1])


def test_spans_and_their_mask_cover_the_beats_within_reach_of_a_change():
    from ecg_lstm.rhythm.incremental import _covered, _spans

    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(1, 500))
        changed = np.unique(rng.integers(0, n, int(rng.integers(0, 40))))
        spans = _spans(changed, 7, n)
        want = np.zeros(n, bool)
        for c in changed:
            want[max(0, c - 7):c + 8] = True
        assert np.array_equal(_covered(spans, n), want)
        assert all(a < b for a, b in spans) and all(spans[i][1] < spans[i + 1][0] for i in range(len(spans) - 1))
