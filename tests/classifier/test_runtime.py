"""The beat classifier's batched runtime gives the plain ``sequence_logits`` labels and probabilities."""
import numpy as np
import pytest
import torch

from ecg_lstm.beats.aami import reference_beats
from ecg_lstm.classifier.features import RR_NAMES, beat_features
from ecg_lstm.classifier.model import BeatEnsemble, BeatLSTM, ModelConfig
from ecg_lstm.classifier.predict import DEFAULT_PATH, BeatClassifier, sequence_logits
from ecg_lstm.classifier.runtime import BeatRuntime, inference_device
from ecg_lstm.io.read import read_record
from ecg_lstm.signal.checks import check_lead_and_peaks

N_RR = len(RR_NAMES) + 13


def _ensemble(members=3):
    torch.manual_seed(0)
    return BeatEnsemble(ModelConfig(channels=8, emb=8, hidden=8, n_rr=N_RR), members).eval()


class _Elsewhere(torch.nn.Module):
    """A member that runs its network itself and hands back CPU tensors (as the batch workers' GPU wrapper)."""

    def __init__(self, net):
        super().__init__()
        self.net, self.cfg = net, net.cfg

    def embed(self, w, rr):
        return self.net.embed(w, rr)

    def sequence(self, z):
        return self.net.sequence(z)


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 100, 257])
def test_runtime_matches_the_reference_across_batches(n):
    model = _ensemble()
    w, rr = torch.randn(n, 2, 117), torch.randn(n, N_RR)
    ref = sequence_logits(model, w, rr, 16)
    rt = BeatRuntime(model, 16, device="cpu")
    rt.beat_batch, rt.window_batch = 7, 3  # many batches, the last one partial
    assert torch.allclose(rt.logits(w, rr), ref, atol=1e-5)
    single = model.members[0]
    assert torch.allclose(BeatRuntime(single, 16, "cpu").logits(w, rr), sequence_logits(single, w, rr, 16), atol=1e-5)
    # members that are not BeatLSTM are called as they are
    wrapped = BeatEnsemble(model.cfg, 0)
    wrapped.members = torch.nn.ModuleList(_Elsewhere(m) for m in model.members)
    assert torch.allclose(BeatRuntime(wrapped, 16).logits(w, rr), ref, atol=1e-5)


def test_classifier_runs_on_the_chosen_device_and_follows_a_replaced_model():
    assert inference_device() == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg = ModelConfig(channels=8, emb=8, hidden=8, n_rr=N_RR)
    config = {"features": {}, "seq_len": 16, "model": cfg.to_dict()}
    clf = BeatClassifier(BeatLSTM(cfg), config, device="cpu")
    assert clf.runtime is clf.runtime and clf.runtime.device == torch.device("cpu")
    w, rr = np.random.default_rng(0).normal(size=(40, 2, 117)), np.random.default_rng(1).normal(size=(40, N_RR))
    p = clf.probs_from_features(w, rr)  # float64 input is taken as float32
    assert p.dtype == np.float64 and p.shape == (40, 5) and np.allclose(p.sum(1), 1)
    clf.model = BeatLSTM(cfg).eval()
    assert clf.runtime.model is clf.model
    ref = torch.softmax(sequence_logits(clf.model, torch.as_tensor(w, dtype=torch.float32),
                                        torch.as_tensor(rr, dtype=torch.float32), 16), -1).numpy()
    assert np.abs(clf.probs_from_features(w, rr) - ref).max() <= 1e-5


@pytest.mark.skipif(not DEFAULT_PATH.exists(), reason="no shipped models/beat_lstm.pt")
def test_shipped_model_on_record_208_same_labels_and_probabilities(mitdb_dir):
    clf = BeatClassifier.load(device="cpu")
    rec = read_record(mitdb_dir / "208")
    samples, _ = reference_beats(rec)
    ecg, peaks = check_lead_and_peaks(rec.lead(), rec.fs, samples)
    w, rr = beat_features(ecg, rec.fs, np.sort(peaks).astype(np.int64), clf.features)
    logits = sequence_logits(clf.model, torch.as_tensor(w), torch.as_tensor(rr), clf.seq_len)
    ref = torch.softmax(logits / clf.temperature, dim=-1).numpy()
    fast = clf.probs_from_features(w, rr)
    assert len(fast) > 2500 and len(set(fast.argmax(1))) >= 3  # N, V and more: the labels can differ
    assert np.abs(fast - ref).max() <= 1e-4
    assert np.array_equal(fast.argmax(1), ref.argmax(1))
