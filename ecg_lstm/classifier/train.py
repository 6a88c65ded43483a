"""Train the beat classifier on DS1: ``python -m ecg_lstm.classifier.train``.

Writes ``beat_lstm.pt`` (state_dict + config), ``beat_lstm.json`` (config and
validation metrics) and ``history.json`` (per epoch: loss, validation
metrics, wall time) to ``--out``; ``--install`` copies the weights and config
to ``models/``.  Early stopping and temperature scaling use whole held-out DS1
records (``aami.VALIDATION``); DS2 is never read here.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm import tqdm

from ..beats.aami import CLASSES, DS1, DS2, PACED, TRAIN, VALIDATION
from ..beats.ec57 import confusion, ec57_stats, expected_calibration_error
from ..paths import MODELS_DIR, default_data_dir
from .dataset import BeatSet, load_beats
from .features import FEATURES_VERSION, RR_SECONDS, FeatureConfig
from .model import BeatEnsemble, BeatLSTM, ModelConfig
from .predict import save_checkpoint, sequence_logits


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 16          # sequences per step (1,024 beats)
    seq_len: int = 64             # beats per sequence: ~50 s of rhythm context
    lr: float = 3e-3
    weight_decay: float = 1e-4
    class_weight_power: float = 0.7  # weight_c = (n_max / n_c) ** power: softer than inverse frequency
    class_weight_cap: float = 20.0   # Q has 8 DS1 beats; an uncapped weight would dominate
    aug_scale: float = 0.2        # random gain per sequence: robustness to amplitude normalisation
    aug_noise: float = 0.02       # additive noise (in units of the median R amplitude)
    aug_flip: float = 0.5         # probability of inverting a sequence's polarity (lead orientation)
    aug_rate: float = 1.0         # > 1: RR in seconds scaled per sequence by a log-uniform factor in
                                  # [1/x, x], so heart rate alone cannot identify a patient (ratios are
                                  # unchanged); off by default: 1.4 scored lower on validation (MODEL_CARD.md)
    patience: int = 10            # epochs without validation improvement before stopping
    seeds: list = field(default_factory=lambda: [1337, 7, 11])  # one ensemble member per seed
    threads: int = 1             # 1 beats 2 on a shared 2-core CPU: OpenMP threads spin-wait for each other
    device: str = "auto"
    records: list = field(default_factory=lambda: list(TRAIN))
    val_records: list = field(default_factory=lambda: list(VALIDATION))
    model: dict = field(default_factory=dict)  # ModelConfig overrides
    corrections: str | None = None  # folder of <record>.cor reviewer corrections added to training (reviewed_beats.py)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def class_weights(labels: np.ndarray, cfg: TrainConfig) -> torch.Tensor:
    n = np.bincount(labels[labels >= 0], minlength=len(CLASSES)).astype(np.float64)  # unreviewed beats: -100
    w = np.where(n > 0, (n.max() / np.maximum(n, 1)) ** cfg.class_weight_power, 0.0)
    return torch.tensor(np.minimum(w, cfg.class_weight_cap), dtype=torch.float32)


def epoch_windows(bs: BeatSet, seq_len: int, rng: np.random.Generator) -> np.ndarray:
    """(n_windows, seq_len) beat indices: non-overlapping windows at a random offset per record,
    so every beat is seen about once per epoch and window edges move between epochs."""
    out = []
    for i in range(len(bs.records)):
        a, b = int(bs.offsets[i]), int(bs.offsets[i + 1])
        if b - a < seq_len:
            continue
        starts = np.arange(a + rng.integers(0, seq_len), b - seq_len + 1, seq_len)
        out.append(starts[:, None] + np.arange(seq_len)[None, :])
    idx = np.concatenate(out)
    return idx[rng.permutation(len(idx))]


def evaluate_logits(model: BeatLSTM, bs: BeatSet, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels of every beat of ``bs``, record by record as at inference."""
    model.eval()
    logits = [sequence_logits(model, torch.as_tensor(w), torch.as_tensor(rr), seq_len)
              for w, rr, _ in (bs.record(i) for i in range(len(bs.records)))]
    return torch.cat(logits).numpy(), bs.labels


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature minimising the validation NLL (grid search: robust and 1-D)."""
    lt, y = torch.as_tensor(logits, dtype=torch.float64), torch.as_tensor(labels)
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121))
    nll = [nn.functional.cross_entropy(lt / t, y).item() for t in grid]
    return float(grid[int(np.argmin(nll))])


def val_metrics(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> dict:
    probs = torch.softmax(torch.as_tensor(logits) / temperature, -1).numpy()
    st = ec57_stats(confusion(labels, probs.argmax(1)))
    f1 = lambda se, p: 2 * se * p / (se + p) if se and p else 0.0
    st["score"] = 0.5 * (f1(st["SVEB_Se"], st["SVEB_P"]) + f1(st["VEB_Se"], st["VEB_P"]))
    st["ece"] = expected_calibration_error(probs, labels)
    return st


def augment(cfg: TrainConfig, w: torch.Tensor, rr: torch.Tensor, gen: torch.Generator):
    """Random gain, polarity, noise and (``aug_rate`` > 1) heart-rate scaling of one batch.

    ``w`` (b, seq_len, leads, window) beat windows in median-R-amplitude units, ``rr`` (b, seq_len,
    n_rr) RR features; the RR-in-seconds columns are scaled, ratios are left alone. The draws come
    from ``gen`` in a fixed order: DDP ranks seeded alike augment the same global batch alike."""
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


def batch_loss(logits: torch.Tensor, y: torch.Tensor, y_batch: torch.Tensor, weight: torch.Tensor,
               world: int = 1) -> torch.Tensor:
    """Class-weighted cross-entropy of this process's slice of a batch, normalised by the whole batch.

    ``logits`` (n, classes) and ``y`` (n,) are this rank's beats, ``y_batch`` the labels of the
    global batch and ``weight`` the class weights (both on the CPU); beats labelled -100
    (unreviewed corrections) count for nothing. The loss is the weighted sum over the class-weighted
    size of the global batch, so the ``world`` ranks' slices add up to the weighted mean of one
    process; times ``world`` because DDP averages the ranks' gradients instead of adding them.

    With ``world`` 1 it is PyTorch's weighted mean itself: the same number, but the two roundings
    differ in the last bit, and Adam turns last-bit noise in the batch-normed conv biases (zero
    gradient in exact arithmetic) into full-size steps: one-process runs would no longer repeat."""
    if world == 1:
        return nn.functional.cross_entropy(logits, y, weight=weight.to(logits.device))
    norm = max(weight[y_batch[y_batch >= 0]].sum().item(), 1e-12)  # on the CPU: no device sync
    return nn.functional.cross_entropy(logits, y, weight=weight.to(logits.device), reduction="sum") * (world / norm)


def train_member(cfg: TrainConfig, seed: int, tr: BeatSet, va: BeatSet, mcfg: ModelConfig,
                 device: torch.device, quiet: bool) -> tuple[BeatLSTM, list]:
    """One network, early-stopped on the validation records; returns its best state and history.

    Inside a torch.distributed process group (torchrun, :func:`setup_distributed`) every rank runs this loop:
    all draw the same global batch of ``batch_size`` sequences (same seed, same augmentation), each
    trains DistributedDataParallel on its slice ``rank::world`` with the loss normalised by the
    whole batch, so the averaged gradient is the one-process gradient. Batch-norm statistics and
    dropout masks are per rank (no SyncBatchNorm: a collective per layer per step), so the result
    matches one-process training within seed noise, not bit for bit. Rank 0 validates; the others
    take its early-stopping decision.
    """
    grouped = dist.is_available() and dist.is_initialized()
    rank, world = rank_world()
    torch.manual_seed(seed + rank)  # the initial weights are rank 0's: DDP broadcasts them
    use_amp = device.type == "cuda"
    model = BeatLSTM(mcfg).to(device)
    net = model
    if grouped:
        unused = not (mcfg.use_context and mcfg.use_wave and mcfg.use_rr)  # ablations leave layers idle
        net = DDP(model, device_ids=[device.index] if device.type == "cuda" else None, find_unused_parameters=unused)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    cw = class_weights(tr.labels, cfg)
    W, R, Y = (torch.as_tensor(a) for a in (tr.windows, tr.rr, tr.labels))
    gen = torch.Generator().manual_seed(seed)  # the same on every rank: the same global batches
    history, best, best_state, bad = [], -1.0, None, 0
    t0 = time.perf_counter()
    bar = tqdm(range(cfg.epochs), desc=f"seed {seed}" + (f" x{world}" if grouped else ""), disable=quiet or rank != 0)
    for epoch in bar:
        net.train()
        rng = np.random.default_rng(seed + epoch)
        idx = torch.as_tensor(epoch_windows(tr, cfg.seq_len, rng))
        total, steps = 0.0, 0
        for i in range(0, len(idx), cfg.batch_size):
            bi = idx[i:i + cfg.batch_size]
            w, rr = augment(cfg, W[bi], R[bi], gen)
            if len(bi) < world:  # a last batch too small to give every rank a sequence
                continue
            y_batch = Y[bi]
            mine = slice(rank, None, world)
            w, rr, y = w[mine].to(device), rr[mine].to(device), y_batch[mine].to(device)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                logits = net(w, rr)
                loss = batch_loss(logits.float().reshape(-1, mcfg.n_classes), y.reshape(-1), y_batch, cw, world)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
            total, steps = total + loss.item() / world, steps + 1  # this rank's share of the batch loss
        sched.step()
        if world > 1:  # the epoch's loss is the sum of the ranks' shares: one collective per epoch
            t = torch.tensor([total], dtype=torch.float64, device=device)
            dist.all_reduce(t)
            total = t.item()
        row = [None]
        if rank == 0:
            model.cpu()
            vm = val_metrics(*evaluate_logits(model, va, cfg.seq_len))
            model.to(device)
            row[0] = {"epoch": epoch + 1, "loss": total / max(steps, 1), "wall_s": round(time.perf_counter() - t0, 2),
                      **({"processes": world} if grouped else {}),
                      **{k: vm[k] for k in ("score", "accuracy", "SVEB_Se", "SVEB_P", "VEB_Se", "VEB_P", "ece")}}
        if world > 1:
            dist.broadcast_object_list(row, src=0)  # every rank takes rank 0's early-stopping decision
        row = row[0]
        history.append(row)
        bar.set_postfix(loss=f"{row['loss']:.3f}", val=f"{row['score']:.3f}")
        if row["score"] > best:
            best, bad = row["score"], 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= cfg.patience:
                break
    model.cpu().load_state_dict(best_state)
    return model.eval(), history


def train(cfg: TrainConfig, out: Path, data_dir=None, quiet: bool = False, feat=FeatureConfig(),
          fit_member=None) -> dict:
    """Train one member per seed, calibrate the ensemble on validation; returns the saved config.

    Run on every rank of a process group, it trains data-parallel (see :func:`train_member`).
    ``fit_member`` replaces :func:`train_member` (same signature and result)."""
    leaked = sorted(set(cfg.records + cfg.val_records) & set(DS2 + PACED))
    if leaked:
        raise ValueError(f"records {leaked} are DS2 or paced: training and validation use DS1 only")
    if cfg.corrections:
        from .reviewed_beats import check_not_evaluation, correction_records

        check_not_evaluation(correction_records(cfg.corrections))
    device = pick_device(cfg.device)
    if device.type == "cpu":
        torch.set_num_threads(cfg.threads)
    all_recs = [r for r in DS1 if r in cfg.records + cfg.val_records] or cfg.records + cfg.val_records
    beats = load_beats(all_recs, data_dir, feat)
    tr, va = beats.subset(cfg.records), beats.subset(cfg.val_records)
    if cfg.corrections:  # reviewer corrections: only reviewed beats are labelled; DS2 names refused
        from .reviewed_beats import concat, load_corrections

        tr = concat(tr, load_corrections(cfg.corrections, data_dir or default_data_dir(), feat))
    mcfg = ModelConfig.from_dict({"window": feat.window, "n_rr": tr.rr.shape[1], **cfg.model})
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    ensemble, histories = BeatEnsemble(mcfg, len(cfg.seeds)), []
    for k, seed in enumerate(cfg.seeds):
        member, hist = (fit_member or train_member)(cfg, seed, tr, va, mcfg, device, quiet)
        ensemble.members[k].load_state_dict(member.state_dict())
        histories.append({"seed": seed, "best_epoch": int(np.argmax([h["score"] for h in hist]) + 1), "history": hist})
    train_s = time.perf_counter() - t0
    ensemble.eval()
    logits, labels = evaluate_logits(ensemble, va, cfg.seq_len)
    temp = fit_temperature(logits, labels)
    config = {
        "classes": list(CLASSES), "features": feat.to_dict(), "features_version": FEATURES_VERSION,
        "model": mcfg.to_dict(), "members": len(cfg.seeds), "seq_len": cfg.seq_len, "temperature": temp,
        "train": asdict(cfg), "trained": dt.date.today().isoformat(), "device": str(device),
        "train_time_s": round(train_s, 1), "epochs_run": [len(h["history"]) for h in histories],
        "best_epoch": [h["best_epoch"] for h in histories],
        "validation": {"uncalibrated": val_metrics(logits, labels), "calibrated": val_metrics(logits, labels, temp)},
        "n_parameters": sum(p.numel() for p in ensemble.parameters()),
    }
    save_checkpoint(out / "beat_lstm.pt", ensemble, config)
    (out / "beat_lstm.json").write_text(json.dumps(config, indent=2))
    (out / "history.json").write_text(json.dumps({"members": histories, "train_time_s": round(train_s, 1)}, indent=2))
    return config


# -- several processes (torchrun): the same loop on every rank -----------------------------------

def rank_world() -> tuple[int, int]:
    return (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)


def setup_distributed(backend: str | None = None) -> torch.device:
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


def train_distributed(cfg: TrainConfig, out: Path, data_dir=None, quiet: bool = False) -> dict | None:
    """train.py's ``train`` on every rank; rank 0 writes ``out`` and returns the config."""
    rank, world = rank_world()
    if world > 1:
        # Rank 0 builds the beat cache first: ranks writing the same cache file at once would race.
        if rank == 0:
            load_beats([r for r in DS1 if r in cfg.records + cfg.val_records] or cfg.records + cfg.val_records,
                       data_dir)
        dist.barrier()
    if rank == 0:
        return train(cfg, out, data_dir, quiet=quiet)
    # The other ranks take part in every step; their copy of the result is thrown away.
    with tempfile.TemporaryDirectory(prefix="ecg-ddp-") as tmp:
        train(cfg, Path(tmp), data_dir, quiet=True)
    return None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Train the LSTM beat classifier on DS1: one process, or N under torchrun "
                                            "with DistributedDataParallel (`make train NPROC=N`).")
    p.add_argument("--config", help="JSON file with TrainConfig fields")
    p.add_argument("--epochs", type=int)
    p.add_argument("--records", nargs="+", help="training records (DS1 only)")
    p.add_argument("--val-records", nargs="+", help="validation records (DS1 only)")
    p.add_argument("--out", help="run folder (default runs/beat_lstm; runs/beat_lstm_ddp under torchrun)")
    p.add_argument("--data-dir", help="MIT-BIH folder (default $ECG_DATA_DIR or data/mitdb)")
    p.add_argument("--device", help="cpu, cuda or auto (default; under torchrun: this rank's GPU, else the CPU)")
    p.add_argument("--backend", choices=["nccl", "gloo"], help="under torchrun: nccl with CUDA GPUs (default), else gloo")
    p.add_argument("--seeds", nargs="+", type=int, help="one ensemble member per seed (default 1337 7 11)")
    p.add_argument("--no-context", action="store_true", help="ablation: per-beat MLP instead of the LSTM")
    p.add_argument("--no-rr", action="store_true", help="ablation: without RR features")
    p.add_argument("--corrections", help="folder of <record>.cor reviewer corrections to add to training "
                   "(DS2 records refused)")
    p.add_argument("--install", action="store_true", help="copy the weights and config to models/")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    cfg = TrainConfig(**json.loads(Path(args.config).read_text())) if args.config else TrainConfig()
    for name in ("epochs", "records", "val_records", "device", "seeds", "corrections"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    if args.no_context:
        cfg.model["use_context"] = False
    if args.no_rr:
        cfg.model["use_rr"] = False
    grouped = "LOCAL_RANK" in os.environ  # started by torchrun: join its process group
    out = Path(args.out or ("runs/beat_lstm_ddp" if grouped else "runs/beat_lstm"))
    world = 1
    if grouped:
        cfg.device = str(setup_distributed(args.backend))
        world = rank_world()[1]
        try:
            config = train_distributed(cfg, out, args.data_dir, quiet=args.quiet)
        finally:
            dist.destroy_process_group()
    else:
        config = train(cfg, out, args.data_dir, quiet=args.quiet)
    if config is None:  # a rank other than 0: rank 0 reports and installs
        return 0
    v = config["validation"]["calibrated"]
    f = lambda x: "n/a" if x is None else f"{x:.3f}"  # noqa: E731 - Se/+P of a class absent from validation
    on = f" on {world} processes" if world > 1 else ""
    print(f"{out}: {len(cfg.seeds)} members{on}, epochs {config['epochs_run']} in {config['train_time_s']:.0f} s, "
          f"best epochs {config['best_epoch']}; validation ({', '.join(cfg.val_records)}): accuracy {f(v['accuracy'])}, "
          f"VEB Se/+P {f(v['VEB_Se'])}/{f(v['VEB_P'])}, SVEB Se/+P {f(v['SVEB_Se'])}/{f(v['SVEB_P'])}, "
          f"ECE {f(v['ece'])} (T={config['temperature']:.2f})")
    if args.install:
        for name in ("beat_lstm.pt", "beat_lstm.json"):
            shutil.copy2(out / name, MODELS_DIR / name)
        print(f"installed into {MODELS_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
