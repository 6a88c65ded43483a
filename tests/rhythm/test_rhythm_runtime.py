"""Rhythm classifier inference in batches gives the labels and probabilities of one plain forward pass."""
import numpy as np
import pytest
import torch

from ecg_lstm.beats.aami import reference_beats
from ecg_lstm.io.read import read_record
from ecg_lstm.rhythm import predict
from ecg_lstm.rhythm.features import rhythm_inputs
from ecg_lstm.rhythm.model import RhythmLSTM
from ecg_lstm.rhythm.predict import DEFAULT_WEIGHTS, RhythmClassifier


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
