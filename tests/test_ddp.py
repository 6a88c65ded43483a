"""Distributed training (classifier/distributed.py): the DDP step is train.py's step, shared out."""
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
from ecg_lstm.classifier.distributed import ddp_member
from ecg_lstm.classifier.model import ModelConfig
from ecg_lstm.classifier.train import TrainConfig, pick_device, train_member

ROOT = Path(__file__).resolve().parent.parent


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
    """With one rank, the DDP loop must reproduce train_member: same windows, augmentation, loss and updates."""
    cfg = TrainConfig(epochs=2, batch_size=4, seq_len=16, seeds=[3], threads=1, device="cpu")
    tr, va = _tiny(2, 300, 0), _tiny(1, 200, 1)
    tr.labels[::7] = -100  # beats without a label (unreviewed corrections) are left out of the loss
    mcfg = ModelConfig(n_rr=28)
    dev = pick_device("cpu")
    ref, ref_hist = train_member(cfg, 3, tr, va, mcfg, dev, quiet=True)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1)
    try:
        got, hist = ddp_member(cfg, 3, tr, va, mcfg, dev, quiet=True)
    finally:
        dist.destroy_process_group()
    assert len(hist) == len(ref_hist) == 2
    # A conv bias followed by batch norm has a zero gradient in exact arithmetic; Adam scales
    # its rounding noise up to full-size steps, so those biases (and the BN running means they
    # shift) differ by ~lr. Every other weight must agree.
    noise = {f"encoder.net.{i}.bias" for i in (0, 3, 6)} | {f"encoder.net.{i}.running_mean" for i in (1, 4, 7)}
    got_sd = got.state_dict()
    for k, a in ref.state_dict().items():
        if k not in noise:
            torch.testing.assert_close(got_sd[k], a, rtol=1e-4, atol=1e-5, msg=k)
    for a, b in zip(ref_hist, hist):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
        assert b["score"] == pytest.approx(a["score"], abs=1e-9)


def test_torchrun_two_gloo_processes_train_one_epoch(tmp_path, mitdb_dir):
    """`make train NPROC=2` on a CPU: torchrun, 2 gloo ranks, one epoch on two DS1 records."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ECG_DATA_DIR": str(mitdb_dir), "PYTHONPATH": str(ROOT)}
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "ecg_lstm.classifier.distributed", "--backend", "gloo", "--epochs", "1", "--seeds", "5",
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
