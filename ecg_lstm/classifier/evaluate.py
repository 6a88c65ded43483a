"""EC57-style report of a beat classifier on DS2: ``python -m ecg_lstm.classifier.evaluate``.

Two protocols, both through ``analyze_record`` (the path the CLI uses):
  * reference beats: beats at the annotated positions (the literature's protocol);
  * end to end: beats found by ``ecg_peaks``; a detection within 150 ms of a
    reference beat is matched to it (closest first, one to one), unmatched
    reference beats are *missed* (false negatives of their class), unmatched
    detections are *extra* (false positives of the class they were given).
Writes JSON, Markdown and PNG plots to ``--out`` (default ``reports/``) and,
for the shipped model, copies the Markdown to ``models/EVALUATION.md``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np

from ..record import read_record
from .aami import CLASSES, CLASS_INDEX, DS2
from .aami import reference_beats
from .dataset import default_data_dir
from .ec57 import TOLERANCE_S, confusion, ec57_stats, end_to_end_confusion, expected_calibration_error
from .predict import DEFAULT_PATH, ROOT, BeatClassifier

TARGETS = {"VEB_Se": 0.95, "VEB_P": 0.95, "SVEB_Se": 0.85, "SVEB_P": 0.70, "accuracy": 0.96}
LITERATURE = [("de Chazal et al. 2004", {"VEB_Se": 0.777, "VEB_P": 0.819, "SVEB_Se": 0.759, "SVEB_P": 0.385}),
              ("Mondéjar-Guerra et al. 2019", {"accuracy": 0.945})]


def classify(record, clf, reference: bool):
    """(samples, labels as class indices, probs) through the shared analysis path."""
    from ..analyze import analyze_record

    beats = analyze_record(record, reference_beats=reference, classifier=clf, rhythm=None).beats
    probs = beats[[f"p_{c}" for c in CLASSES]].to_numpy(np.float64)
    labels = np.array([CLASS_INDEX[x] for x in beats["label"]], np.int64)
    return beats["sample"].to_numpy(np.int64), labels, probs


def evaluate(clf: BeatClassifier, data_dir: Path, records=DS2, end_to_end: bool = True) -> dict:
    rows, cms = [], {"reference": np.zeros((5, 5), np.int64), "end_to_end": np.zeros((6, 6), np.int64)}
    all_probs, all_ref = [], []
    t0 = time.perf_counter()
    for r in records:
        rec = read_record(Path(data_dir) / r)
        ref_s, ref_y = reference_beats(rec)
        s, y, p = classify(rec, clf, reference=True)
        pos = np.searchsorted(ref_s, s)  # same positions, looked up to be safe
        assert np.array_equal(ref_s[pos], s), "reference beats out of step with the analysis"
        cm = confusion(ref_y[pos], y)
        cms["reference"] += cm
        all_probs.append(p)
        all_ref.append(ref_y[pos])
        row = {"record": r, "n_beats": int(len(s)), **{f"n_{c}": int((ref_y == i).sum()) for i, c in enumerate(CLASSES)},
               "reference": ec57_stats(cm)}
        if end_to_end:
            ds, dy, _ = classify(rec, clf, reference=False)
            e2e = end_to_end_confusion(ref_s, ref_y, ds, dy, int(round(TOLERANCE_S * rec.fs)))
            cms["end_to_end"] += e2e
            row["end_to_end"] = ec57_stats(e2e)
        rows.append(row)
    probs, ref = np.concatenate(all_probs), np.concatenate(all_ref)
    out = {"model": clf.name, "records": list(records), "tolerance_s": TOLERANCE_S,
           "reference": {**ec57_stats(cms["reference"]), "confusion": cms["reference"].tolist(),
                         "ece": expected_calibration_error(probs, ref)},
           "per_record": rows, "wall_s": round(time.perf_counter() - t0, 1),
           "validation": clf.config.get("validation", {}).get("calibrated", {})}
    if end_to_end:
        out["end_to_end"] = {**ec57_stats(cms["end_to_end"]), "confusion": cms["end_to_end"].tolist()}
    return out


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def markdown(res: dict) -> str:
    ref, e2e = res["reference"], res.get("end_to_end")
    keys = [("VEB_Se", "VEB Se"), ("VEB_P", "VEB +P"), ("SVEB_Se", "SVEB Se"), ("SVEB_P", "SVEB +P"), ("accuracy", "Accuracy")]
    lines = ["# Beat classifier: EC57 evaluation on DS2", "",
             f"Model: `{res['model']}`. Records (DS2, de Chazal 2004): {', '.join(res['records'])}. "
             "Scored with `ecg_lstm.classifier.evaluate` through `analyze_record`, the path of "
             "`python -m ecg_lstm analyze --reference-beats`.", "",
             "## Gross statistics (%)", "",
             "| | " + " | ".join(k[1] for k in keys) + " |", "|---|" + "---|" * len(keys),
             "| reference beats | " + " | ".join(_pct(ref[k]) for k in (k[0] for k in keys)) + " |"]
    if e2e:
        lines.append("| end to end (detected beats) | " + " | ".join(_pct(e2e[k]) for k in (k[0] for k in keys)) + " |")
    lines.append("| target | " + " | ".join(_pct(TARGETS[k]) for k in (k[0] for k in keys)) + " |")
    for name, vals in LITERATURE:
        lines.append(f"| {name} | " + " | ".join(_pct(vals.get(k)) for k in (k[0] for k in keys)) + " |")
    missed = [f"{lab} {_pct(ref[k])} < {_pct(t)}" for k, t in TARGETS.items() for lab in [dict(keys)[k]] if (ref[k] or 0) < t]
    lines += ["", ("**Targets missed at reference beats:** " + "; ".join(missed) + ".") if missed
              else "All targets met at reference beats.", ""]
    if e2e:
        gap = [dict(keys)[k] for k, _ in keys if ref[k] is not None and e2e[k] is not None and ref[k] - e2e[k] > 0.01]
        lines += [("End to end falls more than one point below reference beats on: " + ", ".join(gap) + ".") if gap
                  else "End to end is within one point of reference beats on every gross statistic.", ""]
    lines += [f"Expected calibration error (15 bins) on DS2: {ref['ece']:.4f}; on DS1 validation: "
              f"{res['validation'].get('ece', float('nan')):.4f}.", "",
              "Conventions (de Chazal 2004, EC57): reference Q beats are left out of VEB/SVEB; an F beat "
              "called V is not a VEB false positive; S or V beats called anything else (Q or missed "
              "included) are false negatives. End to end: detections matched to reference beats within "
              f"{int(TOLERANCE_S * 1000)} ms, unmatched reference beats are missed (false negatives), unmatched "
              "detections are extra beats (false positives of their label). Accuracy counts all beats, Q included.", ""]
    for name, cm, extra in (("reference beats", ref["confusion"], False), ("end to end", e2e and e2e["confusion"], True)):
        if not cm:
            continue
        cols = list(CLASSES) + (["missed"] if extra else [])
        lines += [f"## Confusion matrix, {name} (rows: reference, columns: predicted)", "",
                  "| | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
        for i, row in enumerate(cm[: 6 if extra else 5]):
            lines.append(f"| {(list(CLASSES) + ['extra'])[i]} | " + " | ".join(str(v) for v in row[: len(cols)]) + " |")
        st = ref if not extra else e2e
        lines += ["", "| class | Se | +P |", "|---|---|---|"] + \
                 [f"| {c} | {_pct(st[f'Se_{c}'])} | {_pct(st[f'P_{c}'])} |" for c in CLASSES] + [""]
    lines += ["## Per record (reference beats; end-to-end accuracy last)", "",
              "| record | beats | N | S | V | F | Q | VEB Se | VEB +P | SVEB Se | SVEB +P | acc | e2e acc |",
              "|---|" + "---|" * 12]
    for r in res["per_record"]:
        s = r["reference"]
        lines.append(f"| {r['record']} | {r['n_beats']} | " + " | ".join(str(r[f'n_{c}']) for c in CLASSES) + " | "
                     + " | ".join(_pct(s[k]) for k in ("VEB_Se", "VEB_P", "SVEB_Se", "SVEB_P", "accuracy"))
                     + f" | {_pct(r['end_to_end']['accuracy']) if 'end_to_end' in r else '–'} |")
    return "\n".join(lines) + "\n"


def plots(res: dict, out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(res["reference"]["confusion"], float)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(5, 4.4))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(5):
        for j in range(5):
            ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", color="white" if norm[i, j] > 0.5 else "black")
    ax.set(xticks=range(5), yticks=range(5), xticklabels=CLASSES, yticklabels=CLASSES,
           xlabel="predicted", ylabel="reference", title="DS2 confusion (reference beats)")
    fig.tight_layout()
    p1 = out / "beat_confusion.png"
    fig.savefig(p1, dpi=120)
    plt.close(fig)
    recs = res["per_record"]
    fig, ax = plt.subplots(figsize=(11, 3.8))
    x = np.arange(len(recs))
    for k, (key, lab) in enumerate((("accuracy", "accuracy"), ("VEB_Se", "VEB Se"), ("SVEB_Se", "SVEB Se"))):
        ax.bar(x + (k - 1) * 0.27, [100 * (r["reference"][key] or 0) for r in recs], 0.27, label=lab)
    ax.set(xticks=x, xticklabels=[r["record"] for r in recs], ylabel="%", ylim=(0, 105),
           title="DS2 per record (reference beats; 0 where the record has no such beats)")
    ax.legend(loc="lower left", ncols=3)
    fig.tight_layout()
    p2 = out / "beat_per_record.png"
    fig.savefig(p2, dpi=120)
    plt.close(fig)
    return [p1, p2]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="EC57 report of the beat classifier on DS2.")
    p.add_argument("--data-dir", help="MIT-BIH folder (default $ECG_DATA_DIR or data/mitdb)")
    p.add_argument("--model", help="weights (default: the shipped models/beat_lstm.pt)")
    p.add_argument("--out", default=str(ROOT / "reports"), help="report folder (default reports/)")
    p.add_argument("--records", nargs="+", default=list(DS2), help="records (default: all of DS2)")
    p.add_argument("--reference-only", action="store_true", help="skip the end-to-end protocol")
    args = p.parse_args(argv)
    clf = BeatClassifier.load(args.model)
    res = evaluate(clf, Path(args.data_dir or default_data_dir()), args.records, not args.reference_only)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "beat_ec57.json").write_text(json.dumps(res, indent=2))
    md = markdown(res)
    (out / "beat_ec57.md").write_text(md)
    plots(res, out)
    if args.model is None or Path(args.model).resolve() == DEFAULT_PATH.resolve():
        shutil.copy2(out / "beat_ec57.md", ROOT / "models" / "EVALUATION.md")
    r = res["reference"]
    print(f"DS2 reference beats: accuracy {_pct(r['accuracy'])}, VEB Se/+P {_pct(r['VEB_Se'])}/{_pct(r['VEB_P'])}, "
          f"SVEB Se/+P {_pct(r['SVEB_Se'])}/{_pct(r['SVEB_P'])}, ECE {r['ece']:.4f}")
    if "end_to_end" in res:
        e = res["end_to_end"]
        print(f"DS2 end to end:      accuracy {_pct(e['accuracy'])}, VEB Se/+P {_pct(e['VEB_Se'])}/{_pct(e['VEB_P'])}, "
              f"SVEB Se/+P {_pct(e['SVEB_Se'])}/{_pct(e['SVEB_P'])}")
    print(f"report: {out / 'beat_ec57.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
