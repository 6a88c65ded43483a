"""EC57-style report of a beat classifier on DS2: ``python -m ecg_lstm.evaluation.beat_classifier``.

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

from ..analyze import analyze_record
from ..beats.aami import CLASS_INDEX, CLASSES, DS2, reference_beats
from ..beats.ec57 import TOLERANCE_S, confusion, ec57_stats, end_to_end_confusion, expected_calibration_error
from ..classifier.adapt import AdaptConfig, RecordAdapter
from ..classifier.predict import DEFAULT_PATH, BeatClassifier
from ..io.read import read_record
from ..paths import MODELS_DIR, ROOT, default_data_dir

TARGETS = {"VEB_Se": 0.95, "VEB_P": 0.95, "SVEB_Se": 0.85, "SVEB_P": 0.70, "accuracy": 0.96}
LITERATURE = [("de Chazal et al. 2004", {"VEB_Se": 0.777, "VEB_P": 0.819, "SVEB_Se": 0.759, "SVEB_P": 0.385}),
              ("Mondéjar-Guerra et al. 2019", {"accuracy": 0.945})]


def classify(record, clf, reference: bool):
    """(samples, labels as class indices, probs) through the shared analysis path."""
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


#: The patient-adaptive protocols, in report order, with the name each is reported under.
ADAPT_PROTOCOLS = {
    "automatic": "automatic (plain model)",
    "adapted_pooling": "automatic, adapted to the record (no labels), template pooling",
    "adapted": "automatic, adapted to the record (no labels), template rhythm rules (default of --adapt)",
    "k5": "reviewer in the loop, k = 5 beats",
    "k20": "reviewer in the loop, k = 20 beats",
    "k50": "reviewer in the loop, k = 50 beats",
    "first5min": "EC57 patient-specific (first 5 min labelled)",
}
ADAPT_TARGETS = {"adapted_pooling": {"VEB_Se": 0.95, "VEB_P": 0.95, "SVEB_Se": 0.85, "SVEB_P": 0.70},
                 "adapted": {"VEB_Se": 0.95, "VEB_P": 0.95, "SVEB_Se": 0.85, "SVEB_P": 0.70},
                 "k5": {"VEB_Se": 0.97, "VEB_P": 0.97, "SVEB_Se": 0.90, "SVEB_P": 0.90},
                 "k20": {"VEB_Se": 0.97, "VEB_P": 0.97, "SVEB_Se": 0.90, "SVEB_P": 0.90}}
#: EC57 patient-specific protocol: the first 5 minutes are labelled, the remaining 25 scored.
LABELLED_S = 300.0


def adaptation_protocols(adapter, ref_samples: np.ndarray, ref_labels: np.ndarray, fs: float,
                         ks=(5, 20, 50)) -> dict:
    """Per protocol: (predicted class indices, mask of the beats scored) for one record.

    Reviewer protocols: the query function picks the beats, their *reference* labels play the
    reviewer, and only the other beats are scored (a reviewed beat is not a prediction).
    """
    def idx(labels):
        return np.array([CLASS_INDEX[x] for x in labels], np.int64)

    n = len(ref_labels)
    out = {"automatic": (idx(adapter.plain()[0]), np.ones(n, bool)),
           "adapted_pooling": (idx(adapter.unsupervised("pooling")[0]), np.ones(n, bool)),
           "adapted": (idx(adapter.unsupervised("rhythm")[0]), np.ones(n, bool))}
    for k in ks:
        q = adapter.query(k)
        scored = np.ones(n, bool)
        scored[q] = False
        out[f"k{k}"] = (idx(adapter.with_labels(q, ref_labels[q])[0]), scored)
    first = np.flatnonzero(ref_samples < LABELLED_S * fs)
    scored = np.ones(n, bool)
    scored[first] = False
    out["first5min"] = (idx(adapter.with_labels(first, ref_labels[first])[0]), scored)
    return out


def evaluate_adaptation(clf: BeatClassifier, data_dir: Path, records=DS2, ks=(5, 20, 50), config=None,
                        exclude_from_gross=("232",)) -> dict:
    """Every patient-adaptive protocol on ``records`` at reference beats: gross statistics (all
    records, and without ``exclude_from_gross``) and per record."""

    config = config or AdaptConfig()
    protos = ["automatic", "adapted_pooling", "adapted"] + [f"k{k}" for k in ks] + ["first5min"]
    gross = {p: np.zeros((5, 5), np.int64) for p in protos}
    gross_wo = {p: np.zeros((5, 5), np.int64) for p in protos}
    rows, t0 = [], time.perf_counter()
    for r in records:
        rec = read_record(Path(data_dir) / r)
        ref_s, ref_y = reference_beats(rec)
        ad = RecordAdapter(clf, rec.lead(), rec.fs, ref_s, config)
        res = adaptation_protocols(ad, ref_s, ref_y, rec.fs, ks)
        row = {"record": r, "n_beats": int(len(ref_y)), "n_templates": int(ad.templates.n_templates),
               **{f"n_{c}": int((ref_y == i).sum()) for i, c in enumerate(CLASSES)}}
        for p in protos:
            pred, scored = res[p]
            cm = confusion(ref_y[scored], pred[scored])
            gross[p] += cm
            if r not in exclude_from_gross:
                gross_wo[p] += cm
            row[p] = {**ec57_stats(cm), "n_scored": int(scored.sum())}
        rows.append(row)
    out = {"model": clf.name, "records": list(records), "protocols": {p: ADAPT_PROTOCOLS[p] for p in protos},
           "config": _config_dict(config), "per_record": rows, "wall_s": round(time.perf_counter() - t0, 1),
           "gross": {p: {**ec57_stats(gross[p]), "confusion": gross[p].tolist()} for p in protos},
           "excluded_from_second_gross": list(exclude_from_gross),
           "gross_without": {p: {**ec57_stats(gross_wo[p]), "confusion": gross_wo[p].tolist()} for p in protos}}
    return out


def _config_dict(cfg) -> dict:
    from dataclasses import asdict

    return json.loads(json.dumps(asdict(cfg)))


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def adaptation_markdown(res: dict, title: str = "Patient-adaptive protocols on DS2 (reference beats)",
                        scored_note: str = "") -> str:
    keys = [("VEB_Se", "VEB Se"), ("VEB_P", "VEB +P"), ("SVEB_Se", "SVEB Se"), ("SVEB_P", "SVEB +P"), ("accuracy", "Accuracy")]
    excl = ", ".join(res["excluded_from_second_gross"])
    lines = [f"## {title}", "",
             "Each protocol is scored separately and named as reported. *Reviewer in the loop*: the query "
             "function (`adapt.RecordAdapter.query`) picks k beats per record, their reference labels stand "
             "for the reviewer, the record is relabelled (`with_labels`), and only the *other* beats are "
             "scored. *EC57 patient-specific*: every beat of the first 5 minutes is labelled, the remaining "
             "25 minutes are scored. *Adapted (no labels), template pooling*: each beat's prediction pooled "
             "with its beat template's (`unsupervised(\"pooling\")`). *Adapted (no labels), template rhythm "
             "rules*: pooling, then `template_rules.template_rhythm_rules` (same QRS as the dominant template and early "
             "or with another P wave: towards S, except in fibrillation; another QRS with a compensatory "
             "pause: towards V); it is what `analyze --adapt` and the dashboard use, chosen because it beat "
             "pooling on DS1 (22 records, each scored by a model that never saw it: mean SVEB/VEB F1 82.8 vs "
             "56.4). Settings chosen on DS1 only (`make adapt-select`); on DS2 it is worse than pooling for S "
             "beats, and the card says so." + scored_note, ""]
    for name, g in (("Gross statistics, all records (%)", res["gross"]),
                    (f"Gross statistics without record {excl} (%)", res["gross_without"])):
        lines += [f"### {name}", "", "| protocol | beats scored | " + " | ".join(k[1] for k in keys) + " |",
                  "|---|---|" + "---|" * len(keys)]
        for p, label in res["protocols"].items():
            st = g[p]
            lines.append(f"| {label} | {st['n_reference']} | " + " | ".join(_pct(st[k]) for k, _ in keys) + " |")
        lines.append("")
    missed = []
    for p, tgt in ADAPT_TARGETS.items():
        if p in res["gross"]:
            for k, t in tgt.items():
                v = res["gross"][p][k]
                if v is None or v < t:
                    missed.append(f"{res['protocols'][p]}: {dict(keys)[k]} {_pct(v)} < {_pct(t)}")
    lines += ["Targets (issue): adapted without labels VEB ≥ 95 / 95, SVEB ≥ 85 / 70; with k ≤ 20 reviewed "
              "beats VEB ≥ 97 / 97, SVEB ≥ 90 / 90.", "",
              ("**Targets missed (all records):** " + "; ".join(missed) + ".") if missed else "All targets met.", ""]
    protos = list(res["protocols"])
    lines += ["### Per record: SVEB Se / +P and VEB Se / +P (%) by protocol", "",
              "| record | beats | S | V | templates | " + " | ".join(protos) + " |", "|---|---|---|---|---|" + "---|" * len(protos)]
    for r in res["per_record"]:
        cell = lambda st: (f"S {_pct(st['SVEB_Se'])}/{_pct(st['SVEB_P'])} · V {_pct(st['VEB_Se'])}/{_pct(st['VEB_P'])}"
                           f" · acc {_pct(st['accuracy'])}")
        lines.append(f"| {r['record']} | {r['n_beats']} | {r['n_S']} | {r['n_V']} | {r['n_templates']} | "
                     + " | ".join(cell(r[p]) for p in protos) + " |")
    lines += ["", "Protocol columns: " + "; ".join(f"`{p}` = {label}" for p, label in res["protocols"].items()) + ".", ""]
    return "\n".join(lines) + "\n"


def markdown(res: dict) -> str:
    ref, e2e = res["reference"], res.get("end_to_end")
    keys = [("VEB_Se", "VEB Se"), ("VEB_P", "VEB +P"), ("SVEB_Se", "SVEB Se"), ("SVEB_P", "SVEB +P"), ("accuracy", "Accuracy")]
    lines = ["# Beat classifier: EC57 evaluation on DS2", "",
             f"Model: `{res['model']}`. Records (DS2, de Chazal 2004): {', '.join(res['records'])}. "
             "Scored with `ecg_lstm.evaluation.beat_classifier` through `analyze_record`, the path of "
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
    p.add_argument("--no-adaptation", action="store_true",
                   help="skip the patient-adaptive protocols (adapted, k reviewed beats, first 5 min)")
    args = p.parse_args(argv)
    clf = BeatClassifier.load(args.model)
    data_dir = Path(args.data_dir or default_data_dir())
    res = evaluate(clf, data_dir, args.records, not args.reference_only)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "beat_ec57.json").write_text(json.dumps(res, indent=2))
    md = markdown(res)
    if not args.no_adaptation:
        ad = evaluate_adaptation(clf, data_dir, args.records)
        (out / "beat_ec57_adaptation.json").write_text(json.dumps(ad, indent=2))
        md += "\n" + adaptation_markdown(ad)
        for key, label in ad["protocols"].items():
            g = ad["gross"][key]
            print(f"DS2 {label}: accuracy {_pct(g['accuracy'])}, VEB Se/+P {_pct(g['VEB_Se'])}/{_pct(g['VEB_P'])}, "
                  f"SVEB Se/+P {_pct(g['SVEB_Se'])}/{_pct(g['SVEB_P'])} ({g['n_reference']} beats scored)")
    (out / "beat_ec57.md").write_text(md)
    plots(res, out)
    if args.model is None or Path(args.model).resolve() == DEFAULT_PATH.resolve():
        shutil.copy2(out / "beat_ec57.md", MODELS_DIR / "EVALUATION.md")
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
