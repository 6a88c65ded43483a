"""Train the beat classifier on several processes with DistributedDataParallel.

    torchrun --standalone --nproc_per_node=N -m ecg_lstm.classifier.distributed [--epochs ...]
    make train NPROC=N

The training is train.py's, run on every rank: ``train_member`` sees the process group and
shares each global batch out over the ranks (same windows, augmentation, loss, schedule, early
stopping, calibration and checkpoint; see its docstring for what differs from one process).
Rank 0 validates, logs and writes the run folder; the others follow its early-stopping decision.
This module only joins the process group (NCCL on CUDA GPUs, one process per GPU; gloo on CPUs)
and lets rank 0 build the beat cache first.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist

from .aami import DS1
from .dataset import load_beats
from .predict import ROOT
from .train import TrainConfig, train


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
