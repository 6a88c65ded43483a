"""Beat classifier: split, dataset cache, tiny training, weights errors, edge cases."""
import json

import numpy as np
import pytest
import torch

from ecg_lstm.beats import aami
from ecg_lstm.classifier.dataset import cache_key, load_beats
from ecg_lstm.classifier.features import FEATURES_VERSION, RR_NAMES, RR_SECONDS, FeatureConfig, rr_features
from ecg_lstm.classifier.model import BeatLSTM, ModelConfig
from ecg_lstm.classifier.predict import BeatClassifier, save_checkpoint
from ecg_lstm.errors import ModelError

TINY = {"channels": 8, "emb": 8, "hidden": 8}


def test_inter_patient_split():
    ds1, ds2, paced = set(aami.DS1), set(aami.DS2), set(aami.PACED)
    assert len(aami.DS1) == len(ds1) == 22 and len(aami.DS2) == len(ds2) == 22
    assert not ds1 & ds2 and not paced & (ds1 | ds2)
    assert paced == {"102", "104", "107", "217"}
    assert set(aami.VALIDATION) < ds1 and not set(aami.TRAIN) & set(aami.VALIDATION)
    assert set(aami.TRAIN) | set(aami.VALIDATION) == ds1


def test_aami_mapping():
    lab = aami.aami_labels(["N", "L", "R", "e", "j", "A", "a", "J", "S", "V", "E", "F", "/", "f", "Q", "+", "~", "!", "|", "["])
    assert lab.tolist() == [0] * 5 + [1] * 4 + [2, 2, 3, 4, 4, 4] + [-1] * 5


def test_rr_features_see_prematurity():
    t = np.arange(20) * 0.8
    t[10] -= 0.3  # premature beat
    f = rr_features(t, FeatureConfig())
    assert f[10, 0] < -0.4 and f[10, 1] > 0.3  # short pre-RR, long post-RR relative to local rhythm
    assert abs(f[5, 0]) < 1e-6
    assert rr_features(np.array([1.0]), FeatureConfig()).shape == (1, len(RR_NAMES))
    assert [RR_NAMES[i] for i in RR_SECONDS] == ["pre_s", "post_s"]


def test_rr_irregularity_tells_fibrillation_from_ectopy():
    """Sinus rhythm with a premature beat reads as regular; random RR (fibrillation) as irregular."""
    cfg, col = FeatureConfig(), RR_NAMES.index("irreg_median")
    sinus = np.arange(60) * 0.8
    sinus[30] -= 0.3
    af = np.cumsum(np.random.default_rng(0).uniform(0.4, 1.2, 60))
    f_sinus, f_af = rr_features(sinus, cfg), rr_features(af, cfg)
    assert f_sinus[30, col] < 0.05 and np.median(f_af[:, col]) > 0.2
    # The premature beat is premature against the preceding beats' mean, and the beat after it is not.
    pre_prev = RR_NAMES.index("log_pre_prev10")
    assert f_sinus[30, pre_prev] < -0.3 and abs(f_sinus[20, pre_prev]) < 1e-6


def test_sinus_reference_survives_majority_ectopy():
    """Where premature beats outnumber sinus ones, the record median describes the ectopic rhythm,
    but the longer-half median still finds the sinus interval."""
    rr = np.array([1.0, 0.5, 0.5] * 30)  # two premature beats per sinus beat
    t = np.concatenate([[0.0], np.cumsum(rr)])
    f = rr_features(t, FeatureConfig())
    col = RR_NAMES.index("log_pre_sinus")
    premature = np.flatnonzero(np.isclose(np.diff(t, prepend=-1.0), 0.5))
    assert np.all(f[premature, col] < -0.5)


def test_dataset_cache(tmp_path, mitdb_dir):
    a = load_beats(["100"], mitdb_dir, cache_dir=tmp_path)
    files = list(tmp_path.glob("beats_*.npz"))
    assert len(files) == 1 and len(a.labels) == 2273 and a.windows.shape[1] == 2
    mtime = files[0].stat().st_mtime_ns
    b = load_beats(["100"], mitdb_dir, cache_dir=tmp_path)
    assert files[0].stat().st_mtime_ns == mtime and np.array_equal(a.labels, b.labels)
    assert cache_key(["100"], mitdb_dir, FeatureConfig(pre_s=0.3)) != cache_key(["100"], mitdb_dir, FeatureConfig())


def test_tiny_training_loss_falls(tmp_path, mitdb_dir):
    from ecg_lstm.classifier.train import TrainConfig, train

    torch.manual_seed(0)
    cfg = TrainConfig(epochs=3, seq_len=16, batch_size=16, records=["119", "220"], val_records=["118"],
                      model=TINY, patience=10, seeds=[0])
    config = train(cfg, tmp_path / "run", mitdb_dir, quiet=True)
    hist = json.loads((tmp_path / "run" / "history.json").read_text())["members"][0]["history"]
    assert len(hist) == 3 and hist[-1]["loss"] < hist[0]["loss"]
    assert {"loss", "wall_s", "score", "ece"} <= set(hist[0])
    assert config["temperature"] > 0
    clf = BeatClassifier.load(tmp_path / "run" / "beat_lstm.pt")
    labels, probs = clf.predict(np.random.default_rng(0).normal(size=3600), 360.0, np.array([500, 800, 1100]))
    assert labels.shape == (3,) and np.allclose(probs.sum(1), 1)


def test_training_refuses_ds2(tmp_path):
    from ecg_lstm.classifier.train import TrainConfig, train

    with pytest.raises(ValueError, match="DS1 only"):
        train(TrainConfig(records=["100"], val_records=["118"]), tmp_path)


def _tiny_checkpoint(path, **model):
    cfg = ModelConfig(**{**TINY, **model})
    config = {"features": FeatureConfig().to_dict(), "features_version": FEATURES_VERSION, "model": cfg.to_dict(), "seq_len": 16, "temperature": 1.0}
    save_checkpoint(path, BeatLSTM(cfg), config)
    return config


def test_weights_errors(tmp_path):
    good = tmp_path / "good.pt"
    config = _tiny_checkpoint(good)
    assert BeatClassifier.load(good).seq_len == 16
    with pytest.raises(ModelError, match="not found"):
        BeatClassifier.load(tmp_path / "missing.pt")
    data = good.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="corrupt or truncated"):
        BeatClassifier.load(tmp_path / "trunc.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a model at all")
    with pytest.raises(ModelError):
        BeatClassifier.load(tmp_path / "junk.pt")
    # weights of one size, config announcing another
    ckpt = torch.load(good, weights_only=True)
    ckpt["config"]["model"]["hidden"] = 12
    torch.save(ckpt, tmp_path / "mismatch.pt")
    with pytest.raises(ModelError, match="does not match"):
        BeatClassifier.load(tmp_path / "mismatch.pt")
    ckpt["config"]["model"]["hidden"] = TINY["hidden"]
    ckpt["config"]["features_version"] = -1
    torch.save(ckpt, tmp_path / "old.pt")
    with pytest.raises(ModelError, match="features version"):
        BeatClassifier.load(tmp_path / "old.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(ModelError, match="not a beat classifier checkpoint"):
        BeatClassifier.load(tmp_path / "other.pt")
    assert config["seq_len"] == 16


def test_few_beats_and_edges(tmp_path):
    _tiny_checkpoint(tmp_path / "m.pt")
    clf = BeatClassifier.load(tmp_path / "m.pt")
    ecg = np.sin(np.linspace(0, 60, 3000))
    for peaks in ([], [0], [2999], [0, 10, 2999], list(range(5, 3000, 60))):
        labels, probs = clf.predict(ecg, 250.0, np.array(peaks, dtype=np.int64))
        assert labels.shape == (len(peaks),) and probs.shape == (len(peaks), 5)
        assert np.all(np.isfinite(probs)) and np.allclose(probs.sum(1), 1)
        assert set(labels) <= set(aami.CLASSES)
    # unsorted peaks come back in the caller's order
    l1, p1 = clf.predict(ecg, 250.0, np.array([100, 700, 1300]))
    l2, p2 = clf.predict(ecg, 250.0, np.array([1300, 100, 700]))
    assert np.allclose(p1[[2, 0, 1]], p2, atol=1e-6)
    with pytest.raises(ValueError):
        clf.predict(ecg, 250.0, np.array([5000]))


def test_folded_batchnorm_gives_the_same_logits():
    """Inference folds BatchNorm into the convolutions; the logits must not change."""
    import copy

    from ecg_lstm.classifier.predict import fold_batchnorm, sequence_logits

    torch.manual_seed(0)
    model = BeatLSTM(ModelConfig(**TINY, n_rr=len(RR_NAMES) + 13))
    for m in model.modules():  # non-trivial running statistics, as after training
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 2)
    model.eval()
    w, rr = torch.randn(100, 2, 117), torch.randn(100, len(RR_NAMES) + 13)
    folded = fold_batchnorm(copy.deepcopy(model))
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in folded.modules())
    assert torch.allclose(sequence_logits(model, w, rr, 16), sequence_logits(folded, w, rr, 16), atol=1e-4)
