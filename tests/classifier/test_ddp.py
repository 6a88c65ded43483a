"""Distributed training (classifier/train.py under torchrun): the one-process loop, shared out over a process group."""
import os
import socket
import subprocess
import sys
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist

from ecg_lstm.classifier.dataset import BeatSet
from ecg_lstm.classifier.features import RR_SECONDS
from ecg_lstm.classifier.model import ModelConfig
from ecg_lstm.classifier.train import TrainConfig, augment, batch_loss, pick_device, train_member

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tiny(n_records: int, n: int, seed: int) -> BeatSet:
    """Random beats shaped like the real features (labels of every class)."""
    rng = np.random.default_rng(seed)
    total = n_records * n
    return BeatSet([f"r{i}" for i in range(n_records)], np.arange(0, total + 1, n, dtype=np.int64),
                   rng.normal(size=(total, 2, 117)).astype(np.float32), rng.normal(size=(total, 28)).astype(np.float32),
                   rng.integers(0, 5, total).astype(np.int64), np.arange(total, dtype=np.int64))


def test_one_process_ddp_step_is_the_single_process_step():
    """In a one-rank process group (DDP wrapper, rank 0 validating) train_member must reproduce
    itself without one: same windows, augmentation, loss and updates."""
    cfg = TrainConfig(epochs=2, batch_size=4, seq_len=16, seeds=[3], threads=1, device="cpu")
    tr, va = _tiny(2, 300, 0), _tiny(1, 200, 1)
    tr.labels[::7] = -100  # beats without a label (unreviewed corrections) are left out of the loss
    mcfg = ModelConfig(n_rr=28)
    dev = pick_device("cpu")
    ref, ref_hist = train_member(cfg, 3, tr, va, mcfg, dev, quiet=True)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1)
    try:
        got, hist = train_member(cfg, 3, tr, va, mcfg, dev, quiet=True)
    finally:
        dist.destroy_process_group()
    assert len(hist) == len(ref_hist) == 2
    # One rank keeps PyTorch's weighted mean and DDP's average over one rank is exact, so the two
    # runs agree bit for bit (a last-bit difference would grow: Adam rescales the ~0 gradients of
    # the batch-normed conv biases into full-size steps).
    got_sd = got.state_dict()
    for k, a in ref.state_dict().items():
        assert torch.equal(got_sd[k], a), k
    assert "processes" not in ref_hist[0] and hist[0]["processes"] == 1
    for a, b in zip(ref_hist, hist):
        assert {k: v for k, v in b.items() if k not in ("wall_s", "processes")} == \
            {k: v for k, v in a.items() if k != "wall_s"}


@pytest.mark.parametrize("world", [1, 2, 3])
def test_rank_slices_of_the_loss_add_up_to_the_weighted_mean(world):
    """batch_loss: the ranks' slices ``rank::world`` of a global batch, each normalised by the
    class-weighted size of the whole batch, add up (after DDP's average) to one process's
    class-weighted mean, value and gradient; unlabelled beats (-100) count for nothing."""
    g = torch.Generator().manual_seed(world)
    logits = torch.randn(6, 16, 5, generator=g, requires_grad=True)  # (sequences, beats, classes)
    y = torch.randint(0, 5, (6, 16), generator=g)
    y[:, ::3] = -100
    y[world - 1] = -100  # one sequence without a labelled beat: a rank may get nothing to learn from
    cw = torch.tensor([1.0, 3.1, 7.7, 2.5, 19.9])
    ref = torch.nn.functional.cross_entropy(logits.reshape(-1, 5), y.reshape(-1), weight=cw)
    (ref_grad,) = torch.autograd.grad(ref, logits)
    parts = [batch_loss(logits[r::world].reshape(-1, 5), y[r::world].reshape(-1), y, cw, world) for r in range(world)]
    assert all(torch.isfinite(p) for p in parts)
    total = sum(parts) / world  # DDP averages the ranks' gradients
    (grad,) = torch.autograd.grad(total, logits)
    if world == 1:  # bit for bit: one process keeps PyTorch's own weighted mean
        assert total.item() == ref.item() and torch.equal(grad, ref_grad)
    torch.testing.assert_close(total, ref, rtol=1e-6, atol=0)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-5, atol=1e-9)


def test_augment_draws_are_reproducible_and_keep_rr_ratios():
    """Ranks seeded alike augment alike; heart-rate scaling touches RR seconds, not RR ratios."""
    cfg = TrainConfig(aug_rate=1.4)
    rng = np.random.default_rng(0)
    w = torch.as_tensor(rng.normal(size=(4, 8, 2, 117)).astype(np.float32))
    rr = torch.as_tensor(rng.uniform(0.5, 1.5, size=(4, 8, 28)).astype(np.float32))
    w0, rr0 = w.clone(), rr.clone()
    a = augment(cfg, w, rr, torch.Generator().manual_seed(9))
    assert torch.equal(w, w0) and torch.equal(rr, rr0)  # the training arrays are left as they were
    b = augment(cfg, w, rr, torch.Generator().manual_seed(9))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], w)
    sec = list(RR_SECONDS)
    other = [i for i in range(28) if i not in set(sec)]
    assert torch.equal(a[1][:, :, other], rr[:, :, other])
    k = a[1][:, :, sec] / rr[:, :, sec]  # one factor per sequence, within [1/1.4, 1.4]
    torch.testing.assert_close(k, k[:, :1, :1].expand_as(k))
    assert (k > 1 / 1.4 - 1e-6).all() and (k < 1.4 + 1e-6).all() and k[:, 0, 0].std() > 0


def test_torchrun_two_gloo_processes_train_one_epoch(tmp_path, mitdb_dir):
    """`make train NPROC=2` on a CPU: torchrun, 2 gloo ranks, one epoch on two DS1 records."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ECG_DATA_DIR": str(mitdb_dir), "PYTHONPATH": str(ROOT)}
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "ecg_lstm.classifier.train", "--backend", "gloo", "--epochs", "1", "--seeds", "5",
           "--records", "101", "--val-records", "106", "--data-dir", str(mitdb_dir), "--out", str(out), "--quiet"]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "on 2 processes" in r.stdout
    hist = json.loads((out / "history.json").read_text())["members"][0]["history"]
    assert len(hist) == 1 and hist[0]["processes"] == 2 and np.isfinite(hist[0]["loss"])
    from ecg_lstm.classifier.predict import BeatClassifier

    clf = BeatClassifier.load(out / "beat_lstm.pt")  # the checkpoint format of single-process training
    w = np.random.default_rng(0).normal(size=(70, 2, 117)).astype(np.float32)
    p = clf.probs_from_features(w, np.zeros((70, 28), np.float32))
    assert p.shape == (70, 5) and np.allclose(p.sum(1), 1, atol=1e-5)
