"""Are the beat-window attributions faithful?  A deletion test on DS2 (evaluation only).

``python -m ecg_lstm.explain.faithfulness`` (``make evaluate-explain``): for a
seeded sample of DS2 beats of each predicted class, the samples of the beat
window with the largest attribution towards the label are replaced by the
record's median beat, and the drop of the label's calibrated logit is compared
with replacing as many samples drawn at random (mean of ``--random`` draws).
The target: at 10 % of the samples, the attributed ones change the logit more
than random ones on at least 80 % of beats.  Two variants:

- *CNN path*: the hand-made features stay as they are, so only what the
  attribution covers (the waveform the CNN reads) changes;
- *end to end*: the 13 morphology features are recomputed from the edited
  window, as ``predict`` would compute them for such a beat.

Also reported: how often the single feature with the largest attribution is
an RR feature, for beats labelled S.  DS2 is only scored here: nothing in the
explainer (baseline, steps, index) was chosen from these results.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from ..beats.aami import CLASSES, DS2
from ..classifier.dataset import load_beats
from ..classifier.features import RR_NAMES, morph_features
from ..paths import MODELS_DIR, ROOT
from .core import Explainer
from .phrases import FEATURE_NAMES as FEATURE_LIST

FRACTIONS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
TARGET_FRACTION, TARGET_SHARE = 0.1, 0.8
#: Neighbour deletion: how many neighbouring beats (never the beat itself) are replaced.
NEIGHBOURS = (1, 2, 4, 8)


def deletion(explainer: Explainer, prep, i: int, rng: np.random.Generator, n_random: int = 10,
             fractions=FRACTIONS) -> dict:
    """Deletion curves of beat ``i`` (time order) for its label: logit drop per fraction, for the most
    attributed samples and for random ones, with features fixed and with morphology recomputed."""
    c = int(prep.logits[i].argmax())
    attr_w, attr_f, f_base, f_x, gap, _ = explainer.attribute_beat(prep, i, c)
    attr = attr_w.sum(0).numpy()
    L = len(attr)
    x = prep.windows[i]
    template = (prep.base_window[0]).numpy()
    ranked = np.argsort(-attr, kind="stable")
    masks = []  # per fraction: 1 + n_random index sets
    for q in fractions:
        k = max(1, int(round(q * L)))
        masks.append([ranked[:k]] + [rng.choice(L, k, replace=False) for _ in range(n_random)])
    wins = []
    for sets in masks:
        for idx in sets:
            w = x.copy()
            w[0, idx], w[1, idx] = template[idx], 0.0  # this sample becomes the median beat's
            wins.append(w)
    wins = np.stack(wins)
    fixed = np.repeat(prep.features[i][None], len(wins), 0)
    recomputed = fixed.copy()
    recomputed[:, len(RR_NAMES):] = morph_features(wins, explainer.clf.features)
    out = {"label": CLASSES[c], "logit": f_x, "baseline_logit": f_base, "gap": gap,
           "top_feature": FEATURE_LIST[int(np.argmax(attr_f.numpy()))]}
    with torch.no_grad():
        for name, feats in (("cnn", fixed), ("end_to_end", recomputed)):
            lg = explainer.beat_logits(prep, i, c, torch.as_tensor(wins), torch.as_tensor(feats)).numpy()
            drop = (f_x - lg).reshape(len(fractions), 1 + n_random)
            out[name] = {"top": drop[:, 0].tolist(), "random": drop[:, 1:].mean(1).tolist()}
    out["context"] = context_deletion(explainer, prep, i, c, rng, n_random)
    return out


def context_deletion(explainer: Explainer, prep, i: int, c: int, rng: np.random.Generator, n_random: int = 10,
                     counts=NEIGHBOURS) -> dict:
    """The same test for the neighbour attribution: the k neighbouring beats (never beat ``i`` itself) with
    the largest attribution become the median beat (their LSTM inputs), against k random neighbours."""
    attr, _, _, _ = explainer.attribute_context(prep, i, c)
    a, b = explainer.context_span(prep, i)
    own = i - a
    others = np.delete(np.arange(b - a), own)
    ranked = others[np.argsort(-attr[others], kind="stable")]
    sets = []
    for k in counts:
        k = min(k, len(others))
        sets += [ranked[:k]] + [rng.choice(others, k, replace=False) for _ in range(n_random)]
    if not len(others):
        return {"top": [0.0] * len(counts), "random": [0.0] * len(counts)}
    spans = []
    for z, z0 in zip(prep.z, prep.z0):
        zs = z[a:b].repeat(len(sets), 1, 1)
        for r, idx in enumerate(sets):
            zs[r, idx] = z0
        spans.append(zs)
    with torch.no_grad():
        lg = explainer.context_logits(prep, i, c, spans).numpy()
    drop = (float(prep.logits[i, c]) - lg).reshape(len(counts), 1 + n_random)
    return {"top": drop[:, 0].tolist(), "random": drop[:, 1:].mean(1).tolist()}


def sample_beats(pred: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``per_class`` beats of each predicted class (indices into the concatenated DS2 beats)."""
    picks = [rng.choice(np.flatnonzero(pred == c), min(per_class, int((pred == c).sum())), replace=False)
             for c in range(len(CLASSES))]
    return np.sort(np.concatenate(picks))


def evaluate(data_dir=None, per_class: int = 150, n_random: int = 10, seed: int = 0, records=DS2,
             verbose: bool = True) -> dict:
    explainer = Explainer.load()
    bs = load_beats(records, data_dir)
    rng = np.random.default_rng(seed)
    preps, pred = [], []
    for r in range(len(bs.records)):
        w, rr, _ = bs.record(r)
        p = explainer.prepare_features(w, rr, bs.samples[bs.offsets[r]:bs.offsets[r + 1]])
        preps.append(p)
        pred.append(p.logits.argmax(1).numpy())
    pred = np.concatenate(pred)
    chosen = sample_beats(pred, per_class, rng)
    rec_of = np.searchsorted(bs.offsets, chosen, side="right") - 1
    rows, t0 = [], time.perf_counter()
    for k, (g, r) in enumerate(zip(chosen, rec_of)):
        res = deletion(explainer, preps[r], int(g - bs.offsets[r]), rng, n_random)
        res.update(record=bs.records[r], reference=CLASSES[int(bs.labels[g])])
        rows.append(res)
        if verbose and (k + 1) % 50 == 0:
            print(f"  {k + 1}/{len(chosen)} beats, {time.perf_counter() - t0:.0f} s", flush=True)
    return summarise(rows, n_random, time.perf_counter() - t0)


def summarise(rows: list[dict], n_random: int, seconds: float) -> dict:
    j = FRACTIONS.index(TARGET_FRACTION)
    out = {"n_beats": len(rows), "n_random": n_random, "fractions": list(FRACTIONS), "seconds": round(seconds, 1),
           "per_label": {}, "max_completeness_gap": max(r["gap"] for r in rows)}
    for variant in ("cnn", "end_to_end"):
        top = np.array([r[variant]["top"] for r in rows])
        rnd = np.array([r[variant]["random"] for r in rows])
        out[variant] = {"share_top_beats_random_at_10pct": float((top[:, j] > rnd[:, j]).mean()),
                        "mean_drop_top": top.mean(0).round(4).tolist(), "mean_drop_random": rnd.mean(0).round(4).tolist(),
                        "median_drop_top": np.median(top, 0).round(4).tolist(),
                        "median_drop_random": np.median(rnd, 0).round(4).tolist()}
    top = np.array([r["context"]["top"] for r in rows])
    rnd = np.array([r["context"]["random"] for r in rows])
    out["context"] = {"neighbours": list(NEIGHBOURS),
                      "share_top_beats_random": ((top > rnd).mean(0)).round(4).tolist(),
                      "mean_drop_top": top.mean(0).round(4).tolist(), "mean_drop_random": rnd.mean(0).round(4).tolist()}
    labels = np.array([r["label"] for r in rows])
    for lab in CLASSES:
        sel = [r for r, l in zip(rows, labels) if l == lab]
        if not sel:
            continue
        d = {"n": len(sel)}
        for variant in ("cnn", "end_to_end"):
            top = np.array([r[variant]["top"][j] for r in sel])
            rnd = np.array([r[variant]["random"][j] for r in sel])
            d[variant] = float((top > rnd).mean())
        d["context_at_4"] = float(np.mean([r["context"]["top"][2] > r["context"]["random"][2] for r in sel]))
        d["top_feature_is_rr"] = float(np.mean([r["top_feature"] in RR_NAMES for r in sel]))
        out["per_label"][lab] = d
    s_true = [r for r in rows if r["label"] == "S" and r["reference"] == "S"]
    out["s_true_positives"] = {"n": len(s_true),
                               "top_feature_is_rr": float(np.mean([r["top_feature"] in RR_NAMES for r in s_true]))
                               if s_true else None}
    return out


def write_report(res: dict, out_dir: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "explain_faithfulness.json").write_text(json.dumps(res, indent=1))
    x = [100 * q for q in res["fractions"]]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, variant, title in zip(axes, ("cnn", "end_to_end"), ("features fixed (CNN path)",
                                                                 "morphology features recomputed")):
        ax.plot(x, res[variant]["mean_drop_top"], "o-", color="#c62828", label="most attributed samples")
        ax.plot(x, res[variant]["mean_drop_random"], "o--", color="0.4", label="random samples")
        ax.axvline(100 * TARGET_FRACTION, color="k", lw=0.6, ls=":")
        ax.set_xlabel("% of the beat window replaced by the median beat")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("mean drop of the label's logit")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Deletion test, {res['n_beats']} DS2 beats", fontsize=11)
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    plt.close(fig)
    (out_dir / "explain_faithfulness.md").write_text(markdown_table(res))


def markdown_table(res: dict) -> str:
    lines = ["| % replaced | " + " | ".join(f"{100 * q:g}" for q in res["fractions"]) + " |",
             "|---|" + "---|" * len(res["fractions"])]
    for variant, name in (("cnn", "features fixed"), ("end_to_end", "morphology recomputed")):
        for kind in ("top", "random"):
            vals = res[variant][f"mean_drop_{kind}"]
            lines.append(f"| {name}, {'most attributed' if kind == 'top' else 'random'} | "
                         + " | ".join(f"{v:.2f}" for v in vals) + " |")
    ctx = res.get("context")
    if ctx:
        lines += ["", "| neighbouring beats replaced | " + " | ".join(str(k) for k in ctx["neighbours"]) + " |",
                  "|---|" + "---|" * len(ctx["neighbours"])]
        for kind in ("top", "random"):
            lines.append(f"| {'most attributed' if kind == 'top' else 'random'} | "
                         + " | ".join(f"{v:.3f}" for v in ctx[f"mean_drop_{kind}"]) + " |")
        lines.append("| share of beats where most attributed > random | "
                     + " | ".join(f"{100 * v:.1f} %" for v in ctx["share_top_beats_random"]) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Deletion test of the beat explanations on DS2.")
    p.add_argument("--data-dir", default=None, help="MIT-BIH folder (default $ECG_DATA_DIR or data/mitdb)")
    p.add_argument("--per-class", type=int, default=150, help="DS2 beats per predicted class (default 150)")
    p.add_argument("--random", type=int, default=10, help="random deletions averaged per beat (default 10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-dir", default=str(ROOT / "reports"))
    p.add_argument("--png", default=str(MODELS_DIR / "explain_deletion.png"))
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    res = evaluate(args.data_dir, args.per_class, args.random, args.seed)
    write_report(res, Path(args.out_dir), Path(args.png))
    j = FRACTIONS.index(TARGET_FRACTION)
    print(json.dumps({k: v for k, v in res.items() if k not in ("cnn", "end_to_end", "context")}, indent=1))
    for variant in ("cnn", "end_to_end"):
        share = res[variant]["share_top_beats_random_at_10pct"]
        verdict = "meets" if share >= TARGET_SHARE else "misses"
        print(f"{variant}: attributed 10 % beats random 10 % on {100 * share:.1f} % of beats ({verdict} the 80 % "
              f"target); mean drop {res[variant]['mean_drop_top'][j]:.2f} vs {res[variant]['mean_drop_random'][j]:.2f}")
    print(markdown_table(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
