"""Choose the adaptation settings on DS1 only: ``python -m ecg_lstm.evaluation.adapt_select``.

The shipped model was trained on 18 DS1 records, so its behaviour on them says
little about a new patient. Here every DS1 record is scored by a model that
never saw it:

* the 4 held-out DS1 records (``aami.VALIDATION``) by the shipped model;
* the 18 training records by record-wise cross-validation: 3 folds of 6
  records, one network per fold trained on the other 12 (same recipe as
  ``make train``, one seed, shorter), cached under ``runs/adapt_cv/``.

Each candidate ``AdaptConfig`` runs every protocol of ``evaluate_adaptation``
on those 22 records; the chosen settings and the verdict (does unsupervised
adaptation beat the plain model?) come from here. DS2 is never read: the
record lists are checked.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..beats.aami import DS1, DS2, PACED, TRAIN, VALIDATION
from ..beats.ec57 import ec57_stats
from ..classifier.adapt import AdaptConfig
from ..classifier.predict import BeatClassifier
from ..classifier.template_rules import RhythmConfig
from ..classifier.train import TrainConfig, train
from ..paths import ROOT, default_data_dir
from .beat_classifier import evaluate_adaptation

FOLDS = (("101", "115", "201", "208", "220", "124"), ("108", "116", "207", "209", "230", "122"),
         ("109", "112", "119", "203", "205", "215"))

#: Candidates compared, in the order they were tried (the first is the default of AdaptConfig).
#: Round 1 had l2 = 1 and no pooling after the labelled fit; round 2 tried larger l2 and pooling.
#: Round 3 (unsupervised only: the labelled protocols do not change) added the template rhythm rules.
CANDIDATES = {
    "chosen: l2 3, pooling after labelled fit, rhythm rules": AdaptConfig(),
    "unsupervised pooling only (default of rounds 1-2)": AdaptConfig(unsupervised_method="pooling"),
    "round 1 base: l2 1, no pooling after fit": AdaptConfig(l2=1.0, pool_labelled=0.0),
    "unsupervised by self-training": AdaptConfig(unsupervised_method="self_training"),
    "unsupervised pooling 0.3": AdaptConfig(template_pooling=0.3),
    "unsupervised pooling 0.7": AdaptConfig(template_pooling=0.7),
    "l2 0.3, no pooling after fit": AdaptConfig(l2=0.3, pool_labelled=0.0),
    "l2 3, no pooling after fit": AdaptConfig(l2=3.0, pool_labelled=0.0),
    "l2 10, no pooling after fit": AdaptConfig(l2=10.0, pool_labelled=0.0),
    "l2 10, pooling after fit": AdaptConfig(l2=10.0),
    "l2 1, no propagation through templates": AdaptConfig(l2=1.0, pool_labelled=0.0, prop_weight=0.0),
    "l2 1, propagation weight x2": AdaptConfig(l2=1.0, pool_labelled=0.0, prop_weight=1.0),
    # Round 3: the template rhythm rules, each part removed or changed in turn.
    "rhythm: S boost 3": AdaptConfig(rhythm=RhythmConfig(s_boost=3.0)),
    "rhythm: S boost 8": AdaptConfig(rhythm=RhythmConfig(s_boost=8.0)),
    "rhythm: fixed QRS correlation 0.9": AdaptConfig(rhythm=RhythmConfig(qrs_range=(0.9, 0.9))),
    "rhythm: fixed QRS correlation 0.95": AdaptConfig(rhythm=RhythmConfig(qrs_range=(0.95, 0.95))),
    "rhythm: no fibrillation rule": AdaptConfig(rhythm=RhythmConfig(af_suppress=0.0)),
    "rhythm: no P-wave rule": AdaptConfig(rhythm=RhythmConfig(p_record=2.0)),
    "rhythm: no sinus-RR rule": AdaptConfig(rhythm=RhythmConfig(early_sinus=10.0)),
    "rhythm: beat's own evidence only": AdaptConfig(rhythm=RhythmConfig(template_weight=0.0)),
    "rhythm: template's evidence only": AdaptConfig(rhythm=RhythmConfig(template_weight=1.0)),
    "rhythm: without pooling first": AdaptConfig(template_pooling=0.0),
    "rhythm: no ventricular rules": AdaptConfig(rhythm=RhythmConfig(v_boost=0.0, v_damp=0.0)),
    "rhythm: pooling 0.6": AdaptConfig(template_pooling=0.6),
    "rhythm: pooling 0.8": AdaptConfig(template_pooling=0.8),
}


def check_ds1(records) -> None:
    leaked = sorted(set(records) & set(DS2 + PACED))
    if leaked:
        raise ValueError(f"records {leaked} are DS2 or paced: adaptation settings are chosen on DS1 only")


def fold_models(data_dir, out=ROOT / "runs" / "adapt_cv", quiet=True) -> list[Path]:
    """One network per fold, trained on the TRAIN records outside it (cached)."""
    assert sorted(sum(map(list, FOLDS), [])) == sorted(TRAIN)
    paths = []
    for i, fold in enumerate(FOLDS):
        path = Path(out) / f"fold{i}"
        if not (path / "beat_lstm.pt").exists():
            recs = [r for r in TRAIN if r not in fold]
            check_ds1(recs + list(VALIDATION))
            cfg = TrainConfig(epochs=14, patience=6, seeds=[1337], records=recs, model={"channels": 8})
            train(cfg, path, data_dir, quiet=quiet)
        paths.append(path / "beat_lstm.pt")
    return paths


def score(res_list: list[dict]) -> dict:
    """Gross statistics over several ``evaluate_adaptation`` results (their confusions summed)."""
    protos = list(res_list[0]["protocols"])
    out = {}
    for p in protos:
        cm = sum(np.asarray(r["gross"][p]["confusion"]) for r in res_list)
        st = ec57_stats(cm)
        f1 = lambda se, pp: 2 * se * pp / (se + pp) if se and pp else 0.0
        st["score"] = 0.5 * (f1(st["SVEB_Se"], st["SVEB_P"]) + f1(st["VEB_Se"], st["VEB_P"]))
        out[p] = st
    return out


def run(data_dir, candidates=CANDIDATES, ks=(5, 20, 50)) -> dict:
    check_ds1(list(DS1))
    data_dir = Path(data_dir or default_data_dir())
    sets = [(BeatClassifier.load(), VALIDATION)] + [(BeatClassifier.load(p), f) for p, f in zip(fold_models(data_dir), FOLDS)]
    results = {}
    for name, cfg in candidates.items():
        parts = []
        for clf, recs in sets:
            check_ds1(recs)
            parts.append(evaluate_adaptation(clf, data_dir, recs, ks, cfg, exclude_from_gross=()))
        results[name] = {"gross": score(parts), "validation_only": score(parts[:1]),
                         "per_record": [row for part in parts for row in part["per_record"]]}
        g = results[name]["gross"]
        print(f"{name:16s} " + "  ".join(f"{p} {100 * g[p]['score']:.1f} (S {_p(g[p]['SVEB_Se'])}/{_p(g[p]['SVEB_P'])} "
                                          f"V {_p(g[p]['VEB_Se'])}/{_p(g[p]['VEB_P'])})" for p in g), flush=True)
    return results


def _p(x):
    return "–" if x is None else f"{100 * x:.1f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Compare adaptation settings on DS1 (held-out records + record-wise CV).")
    p.add_argument("--data-dir", help="MIT-BIH folder (default $ECG_DATA_DIR or data/mitdb)")
    p.add_argument("--out", default=str(ROOT / "reports"), help="report folder (default reports/)")
    p.add_argument("--only", nargs="+", help="candidate names to run (default: all)")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    cands = {k: v for k, v in CANDIDATES.items() if not args.only or k in args.only}
    res = run(args.data_dir, cands)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "adapt_ds1.json").write_text(json.dumps(res, indent=2, default=str))
    base = res[next(iter(res))]["gross"]
    verdict = base["adapted"]["score"] > base["automatic"]["score"]
    print(f"DS1 (22 records, none seen by its model): plain score {100 * base['automatic']['score']:.1f}, "
          f"adapted without labels {100 * base['adapted']['score']:.1f}: unsupervised adaptation "
          f"{'beats' if verdict else 'does not beat'} the plain model")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
