"""Ablation on DS2: ``python -m ecg_lstm.evaluation.ablation``.

Short trainings (same seed, same epochs, early stopping on DS1 validation)
of the full model and of variants without sequence context, without RR
features and without the CNN, each scored on DS2 at reference beats.
Writes ``reports/ablation.json`` and ``reports/ablation.md``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..beats.aami import DS2
from ..classifier.predict import BeatClassifier
from ..classifier.train import TrainConfig, train
from ..paths import ROOT, default_data_dir
from .beat_classifier import evaluate

VARIANTS = {
    "full (CNN + features + BiLSTM)": {},
    "no sequence context (per-beat MLP)": {"use_context": False},
    "no RR features": {"use_rr": False},
    "no CNN (features + BiLSTM)": {"use_wave": False},
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--runs", default=str(ROOT / "runs" / "ablation"))
    p.add_argument("--out", default=str(ROOT / "reports"))
    args = p.parse_args(argv)
    data_dir = Path(args.data_dir or default_data_dir())
    rows = []
    for i, (name, model) in enumerate(VARIANTS.items()):
        run = Path(args.runs) / f"variant{i}"
        cfg = TrainConfig(epochs=args.epochs, patience=args.epochs, seeds=[1337], model=model)
        config = train(cfg, run, data_dir, quiet=True)
        res = evaluate(BeatClassifier.load(run / "beat_lstm.pt"), data_dir, DS2, end_to_end=False)["reference"]
        rows.append({"variant": name, "model": model, "epochs": config["epochs_run"][0], "best_epoch": config["best_epoch"][0],
                     "train_time_s": config["train_time_s"], "val_score": config["validation"]["calibrated"]["score"],
                     **{k: res[k] for k in ("accuracy", "VEB_Se", "VEB_P", "SVEB_Se", "SVEB_P", "ece")}})
        print(rows[-1], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(json.dumps(rows, indent=2))
    pct = lambda x: "–" if x is None else f"{100 * x:.1f}"
    md = ["| variant | DS2 acc | VEB Se | VEB +P | SVEB Se | SVEB +P | DS2 ECE | train s |", "|---|" + "---|" * 7]
    md += [f"| {r['variant']} | {pct(r['accuracy'])} | {pct(r['VEB_Se'])} | {pct(r['VEB_P'])} | {pct(r['SVEB_Se'])} | "
           f"{pct(r['SVEB_P'])} | {r['ece']:.3f} | {r['train_time_s']:.0f} |" for r in rows]
    (out / "ablation.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
