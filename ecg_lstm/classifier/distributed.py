"""Train the beat classifier on several processes with DistributedDataParallel.

    torchrun --standalone --nproc_per_node=N -m ecg_lstm.classifier.distributed [--epochs ...]
    make train NPROC=N

The training recipe is train.py's (same windows, augmentation, loss, schedule,
early stopping, calibration, checkpoint); only the inner step is shared out:
every rank draws the same global batch of ``batch_size`` sequences (same seed,
same augmentation), trains on its slice ``rank::world``, and DDP averages the
gradients. The loss is normalised by the class weights of the *global* batch,
so the averaged gradient is the single-process gradient; what still differs is
that batch-norm statistics and dropout masks are per rank (no SyncBatchNorm: a
rank's slice holds 512 beats, plenty for the statistics, and it saves a
collective per layer per step). So the model matches single-process training
within seed noise, not bit for bit.

NCCL on CUDA GPUs (one process per GPU), gloo on CPUs. Rank 0 validates,
logs and writes the run folder; the others follow its early-stopping decision.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm import tqdm

from .aami import DS1
from .dataset import BeatSet, load_beats
from .features import RR_SECONDS
from .model import BeatLSTM, ModelConfig
from .predict import ROOT
from .train import TrainConfig, class_weights, epoch_windows, evaluate_logits, train, val_metrics


def rank_world() -> tuple[int, int]:
    return (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)


def setup(backend: str | None = None) -> torch.device:
    """Join the process group torchrun described in the environment; returns this rank's device."""
    local = int(os.environ.get("LOCAL_RANK", 0))
    use_cuda = torch.cuda.is_available() and backend != "gloo"
    if use_cuda:
        torch.cuda.set_device(local)
    elif (os.environ.get("LOCAL_WORLD_SIZE") == os.environ.get("WORLD_SIZE")
          and "GLOO_SOCKET_IFNAME" not in os.environ and Path("/sys/class/net/lo").exists()):
        # All ranks on this machine: keep gloo's sockets on the loopback interface.
        os.environ["GLOO_SOCKET_IFNAME"] = "lo"
    if not dist.is_initialized():
        dist.init_process_group(backend or ("nccl" if use_cuda else "gloo"))
    return torch.device("cuda", local) if use_cuda else torch.device("cpu")


def augment(cfg: TrainConfig, w: torch.Tensor, rr: torch.Tensor, gen: torch.Generator):
    """train.py's augmentation of one batch (same draws from ``gen``, in the same order)."""
    n = len(w)
    if cfg.aug_scale:
        w = w * (1 + cfg.aug_scale * (2 * torch.rand(n, 1, 1, 1, generator=gen) - 1))
    if cfg.aug_flip:
        w = w * torch.where(torch.rand(n, 1, 1, 1, generator=gen) < cfg.aug_flip, -1.0, 1.0)
    if cfg.aug_noise:
        w = w + cfg.aug_noise * torch.randn(w.shape, generator=gen)
    if cfg.aug_rate and cfg.aug_rate > 1:
        k = torch.exp(np.log(cfg.aug_rate) * (2 * torch.rand(n, 1, generator=gen) - 1))
        rr = rr.clone()
        rr[:, :, list(RR_SECONDS)] *= k[:, :, None]
    return w, rr


def ddp_member(cfg: TrainConfig, seed: int, tr: BeatSet, va: BeatSet, mcfg: ModelConfig,
               device: torch.device, quiet: bool) -> tuple[BeatLSTM, list]:
    """train.py's ``train_member`` on every rank of the process group (same signature and result)."""
    rank, world = rank_world()
    torch.manual_seed(seed + rank)  # same initial weights come from rank 0 (DDP broadcasts them)
    use_amp = device.type == "cuda"
    model = BeatLSTM(mcfg).to(device)
    unused = not (mcfg.use_context and mcfg.use_wave and mcfg.use_rr)  # ablations leave layers idle
    ddp = DDP(model, device_ids=[device.index] if device.type == "cuda" else None, find_unused_parameters=unused)
    opt = torch.optim.AdamW(ddp.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    cw = class_weights(tr.labels, cfg)
    loss_fn = nn.CrossEntropyLoss(weight=cw.to(device), reduction="sum")
    W, R, Y = (torch.as_tensor(a) for a in (tr.windows, tr.rr, tr.labels))
    gen = torch.Generator().manual_seed(seed)  # identical on every rank: the same global batches
    history, best, best_state, bad = [], -1.0, None, 0
    t0 = time.perf_counter()
    bar = tqdm(range(cfg.epochs), desc=f"seed {seed} x{world}", disable=quiet or rank != 0)
    for epoch in bar:
        ddp.train()
        idx = torch.as_tensor(epoch_windows(tr, cfg.seq_len, np.random.default_rng(seed + epoch)))
        total, steps = 0.0, 0
        for i in range(0, len(idx), cfg.batch_size):
            bi = idx[i:i + cfg.batch_size]
            w, rr = augment(cfg, W[bi], R[bi], gen)
            if len(bi) < world:  # a last batch too small to give every rank a sequence
                continue
            y = Y[bi]
            # Class-weighted size of the global batch (the single-process denominator); beats
            # without a label (-100, unreviewed corrections) count for nothing, as in the loss.
            norm = cw[y[y >= 0]].sum().clamp_min(1e-12)
            mine = slice(rank, None, world)
            w, rr, y = w[mine].to(device), rr[mine].to(device), y[mine].to(device)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                logits = ddp(w, rr)
                # DDP averages gradients over ranks: scale by world so that they add up instead.
                loss = loss_fn(logits.float().reshape(-1, mcfg.n_classes), y.reshape(-1)) * (world / norm.item())
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(ddp.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
            total, steps = total + loss.item() / world, steps + 1
        sched.step()
        row = [None]
        if rank == 0:
            model.cpu()
            vm = val_metrics(*evaluate_logits(model, va, cfg.seq_len))
            model.to(device)
            row[0] = {"epoch": epoch + 1, "loss": total / max(steps, 1), "wall_s": round(time.perf_counter() - t0, 2),
                      "processes": world,
                      **{k: vm[k] for k in ("score", "accuracy", "SVEB_Se", "SVEB_P", "VEB_Se", "VEB_P", "ece")}}
        if world > 1:
            dist.broadcast_object_list(row, src=0)  # every rank takes rank 0's early-stopping decision
        history.append(row[0])
        bar.set_postfix(loss=f"{row[0]['loss']:.3f}", val=f"{row[0]['score']:.3f}")
        if row[0]["score"] > best:
            best, bad = row[0]["score"], 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= cfg.patience:
                break
    model.cpu().load_state_dict(best_state)
    return model.eval(), history


def train_distributed(cfg: TrainConfig, out: Path, data_dir=None, quiet: bool = False) -> dict | None:
    """train.py's ``train`` with :func:`ddp_member`; rank 0 writes ``out`` and returns the config."""
    rank, world = rank_world()
    if world > 1:
        # Rank 0 builds the beat cache first: ranks writing the same cache file at once would race.
        if rank == 0:
            load_beats([r for r in DS1 if r in cfg.records + cfg.val_records] or cfg.records + cfg.val_records,
                       data_dir)
        dist.barrier()
    if rank == 0:
        return train(cfg, out, data_dir, quiet=quiet, fit_member=ddp_member)
    # The other ranks take part in every step; their copy of the result is thrown away.
    with tempfile.TemporaryDirectory(prefix="ecg-ddp-") as tmp:
        train(cfg, Path(tmp), data_dir, quiet=True, fit_member=ddp_member)
    return None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Train the LSTM beat classifier on DS1 with DistributedDataParallel "
                                            "(run it with torchrun, or `make train NPROC=N`).")
    p.add_argument("--config", help="JSON file with TrainConfig fields")
    p.add_argument("--epochs", type=int)
    p.add_argument("--records", nargs="+", help="training records (DS1 only)")
    p.add_argument("--val-records", nargs="+", help="validation records (DS1 only)")
    p.add_argument("--seeds", nargs="+", type=int, help="one ensemble member per seed (default 1337 7 11)")
    p.add_argument("--out", default="runs/beat_lstm_ddp", help="run folder (default runs/beat_lstm_ddp)")
    p.add_argument("--data-dir", help="MIT-BIH folder (default $ECG_DATA_DIR or data/mitdb)")
    p.add_argument("--corrections", help="folder of <record>.cor reviewer corrections to add to training "
                   "(DS2 records refused)")
    p.add_argument("--backend", choices=["nccl", "gloo"], help="default: nccl with CUDA GPUs, else gloo")
    p.add_argument("--install", action="store_true", help="copy the weights and config to models/")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    cfg = TrainConfig(**json.loads(Path(args.config).read_text())) if args.config else TrainConfig()
    for name in ("epochs", "records", "val_records", "seeds", "corrections"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    device = setup(args.backend)
    cfg.device, world = str(device), rank_world()[1]
    try:
        config = train_distributed(cfg, Path(args.out), args.data_dir, quiet=args.quiet)
    finally:
        dist.destroy_process_group()
    if config is None:
        return 0
    v = config["validation"]["calibrated"]
    f = lambda x: "n/a" if x is None else f"{x:.3f}"  # noqa: E731 - Se/+P of a class absent from validation
    print(f"{args.out}: {len(cfg.seeds)} members on {world} processes, epochs {config['epochs_run']} in "
          f"{config['train_time_s']:.0f} s; validation ({', '.join(cfg.val_records)}): accuracy {f(v['accuracy'])}, "
          f"VEB Se/+P {f(v['VEB_Se'])}/{f(v['VEB_P'])}, SVEB Se/+P {f(v['SVEB_Se'])}/{f(v['SVEB_P'])}, "
          f"score {f(v['score'])}")
    if args.install:
        for f in ("beat_lstm.pt", "beat_lstm.json"):
            shutil.copy2(Path(args.out) / f, ROOT / "models" / f)
        print(f"installed into {ROOT / 'models'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
