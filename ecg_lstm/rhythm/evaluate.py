"""AF episode and duration statistics of the shipped rhythm model on DS2:
``python -m ecg_lstm.rhythm.evaluate`` (writes reports/rhythm.{json,md} and
models/RHYTHM_EVALUATION.md).

The comparison follows ANSI/AAMI EC57 as implemented by PhysioNet's
reference comparator ``epicmp -a``:

- reference AF episodes are the intervals annotated ``(AFIB``; an episode ends
  at the next rhythm annotation of another kind;
- episode sensitivity: a reference episode counts as detected when any part of
  it overlaps a detected AF episode (no minimum overlap for AF; the 50 % rule
  applies to ST episodes only); episode positive predictivity likewise for
  detected episodes against reference AF;
- duration sensitivity = overlap / reference AF time; duration positive
  predictivity = overlap / detected AF time, where detected time during
  reference atrial flutter ``(AFL`` is excluded (neither true nor false);
- the first 5 minutes of each record are a learning period, left out
  (``epicmp -f`` default); ``--from-s 0`` compares whole records.

Gross statistics pool episodes and durations over records; average
statistics are the mean of per-record values over records where they are defined.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from ..io.read import read_record
from ..paths import MODELS_DIR, ROOT, default_data_dir
from ..signal.peaks import ecg_peaks
from .labels import CLASSES, DS2, code_class, codes_at, load_reference
from .predict import AF_LABELS, RhythmClassifier, episodes_from_probs

LEARNING_PERIOD_S = 300.0


def _clip(intervals, t0: float, t1: float):
    return [(max(a, t0), min(b, t1)) for a, b in intervals if min(b, t1) > max(a, t0)]


def _overlap(a: tuple, others) -> float:
    return float(sum(max(0.0, min(a[1], b) - max(a[0], s)) for s, b in others))


def _subtract(iv: tuple, holes) -> float:
    """Length of ``iv`` not covered by ``holes``."""
    return (iv[1] - iv[0]) - _overlap(iv, holes)


def ec57_af(ref_af, test_af, ref_afl=(), t0: float = 0.0, t1: float = float("inf")) -> dict:
    """EC57 AF statistics for one record.

    ``ref_af``, ``test_af``, ``ref_afl`` are lists of (start_s, end_s);
    the comparison covers [t0, t1).  Returns counts and durations in seconds:
    STP, FN (reference episodes detected / missed), PTP, FP (detected episodes
    true / false), ref_s, test_s (test AF time outside reference flutter),
    overlap_s.
    """
    ref, test, afl = _clip(ref_af, t0, t1), _clip(test_af, t0, t1), _clip(ref_afl, t0, t1)
    stp = sum(_overlap(r, test) > 0 for r in ref)
    ptp = fp = 0
    test_s = 0.0
    for t in test:
        dur = _subtract(t, afl)
        if dur <= 0:
            continue  # entirely within reference flutter: ignored
        test_s += dur
        if _overlap(t, ref) > 0:
            ptp += 1
        else:
            fp += 1
    return {"STP": int(stp), "FN": int(len(ref) - stp), "PTP": ptp, "FP": fp,
            "ref_s": float(sum(b - a for a, b in ref)), "test_s": float(test_s),
            "overlap_s": float(sum(_overlap(r, test) for r in ref))}


def _ratio(a, b):
    return float(a / b) if b > 0 else None


def summarise(per_record: dict) -> dict:
    """Gross and average episode / duration Se and +P (fractions, None if undefined)."""
    tot = {k: sum(r[k] for r in per_record.values()) for k in ("STP", "FN", "PTP", "FP", "ref_s", "test_s", "overlap_s")}
    gross = {"episode_se": _ratio(tot["STP"], tot["STP"] + tot["FN"]),
             "episode_ppv": _ratio(tot["PTP"], tot["PTP"] + tot["FP"]),
             "duration_se": _ratio(tot["overlap_s"], tot["ref_s"]),
             "duration_ppv": _ratio(tot["overlap_s"], tot["test_s"])}

    def mean(vals):
        vals = [v for v in vals if v is not None]
        return float(np.mean(vals)) if vals else None

    avg = {"episode_se": mean(_ratio(r["STP"], r["STP"] + r["FN"]) for r in per_record.values()),
           "episode_ppv": mean(_ratio(r["PTP"], r["PTP"] + r["FP"]) for r in per_record.values()),
           "duration_se": mean(_ratio(r["overlap_s"], r["ref_s"]) for r in per_record.values()),
           "duration_ppv": mean(_ratio(r["overlap_s"], r["test_s"]) for r in per_record.values())}
    return {"gross": gross, "average": avg, "totals": tot}


def intervals_s(intervals, fs: float, codes) -> list[tuple[float, float]]:
    return [(a / fs, b / fs) for a, b, c in intervals if c in codes]


def evaluate_record(clf: RhythmClassifier, ref: dict, beats, labels=None, t0: float = LEARNING_PERIOD_S) -> dict:
    """EC57 AF comparison and beat-level rhythm agreement for one record."""
    fs, n = ref["fs"], ref["n_samples"]
    probs = clf.predict_beats(beats, fs, labels)
    eps = episodes_from_probs(probs, beats, fs, n, **clf.post)
    test_af = [(r.start_s, r.end_s) for r in eps.itertuples() if r.label in AF_LABELS]
    out = ec57_af(intervals_s(ref["intervals"], fs, ("AFIB",)), test_af,
                  intervals_s(ref["intervals"], fs, ("AFL",)), t0, n / fs)
    # Share of reference flutter time labelled AF (flutter is merged into the AF class).
    afl = _clip(intervals_s(ref["intervals"], fs, ("AFL",)), t0, n / fs)
    out["afl_s"] = float(sum(b - a for a, b in afl))
    out["afl_as_af_s"] = float(sum(_overlap(a, test_af) for a in afl))
    # Beat-level confusion: reference rhythm class at the beat vs the episode label there.
    codes = codes_at(beats, ref["intervals"])
    ep_lab = eps["label"].to_numpy()[np.clip(np.searchsorted(eps["start_sample"].to_numpy(), beats, "right") - 1, 0, None)]
    ref_cls = np.array([code_class(c) if c else "" for c in codes])
    conf = np.zeros((len(CLASSES), len(CLASSES)), np.int64)
    for i, a in enumerate(CLASSES):
        for j, b in enumerate(CLASSES):
            conf[i, j] = int(np.sum((ref_cls == a) & (ep_lab == b) & (np.asarray(beats) / fs >= t0)))
    out["beat_confusion"] = conf.tolist()
    out["n_episodes"] = int(len(eps))
    return out


def _detected_beats(data_dir: Path, rec: str):
    record = read_record(Path(data_dir) / rec)
    peaks, _ = ecg_peaks(record.lead(), record.fs)
    return np.asarray(peaks, np.int64)


def run(data_dir: Path, clf: RhythmClassifier, records=DS2, t0: float = LEARNING_PERIOD_S, log=print) -> dict:
    """All evaluation conditions on ``records``."""
    refs = {r: load_reference(data_dir, r) for r in records}
    conditions = {"reference beats": lambda r: (refs[r]["beats"], None),
                  "reference beats + reference beat classes": lambda r: (refs[r]["beats"], refs[r]["beat_class"])}
    try:
        from ..signal.peaks import ecg_peaks  # noqa: F401

        conditions["detected beats"] = lambda r: (_detected_beats(data_dir, r), None)
    except ImportError:
        log("ecg_lstm.signal.peaks is not available: detected-beat condition skipped")
    report = {"records": list(records), "learning_period_s": t0, "conditions": {}}
    for name, get in conditions.items():
        per = {}
        for r in records:
            beats, labels = get(r)
            per[r] = evaluate_record(clf, refs[r], beats, labels, t0)
        summ = summarise(per)
        conf = np.sum([p["beat_confusion"] for p in per.values()], axis=0)
        afl = sum(p["afl_s"] for p in per.values())
        report["conditions"][name] = {**summ, "per_record": per, "beat_confusion": conf.tolist(),
                                      "afl_s": afl, "afl_as_af_share": _ratio(sum(p["afl_as_af_s"] for p in per.values()), afl)}
        g = summ["gross"]
        log(f"{name}: episode Se {_pct(g['episode_se'])} +P {_pct(g['episode_ppv'])}, "
            f"duration Se {_pct(g['duration_se'])} +P {_pct(g['duration_ppv'])}")
    return report


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def to_markdown(report: dict, config: dict) -> str:
    lines = ["# Rhythm model: evaluation on DS2", "",
             f"Model `{config.get('name', 'rhythm_lstm')}` trained on DS1 only ({config.get('created', '?')}). "
             f"Records: {' '.join(report['records'])}. EC57 AF comparison (epicmp rules), first "
             f"{report['learning_period_s']:.0f} s of each record excluded as learning period. "
             "In DS2, AF occurs in five records only (202, 210, 219, 221, 222) and flutter in two (202, 222): "
             "the episode statistics rest on few episodes and the duration statistics mostly on 210, 219 and 221.", ""]
    for name, c in report["conditions"].items():
        g, a = c["gross"], c["average"]
        lines += [f"## {name}", "",
                  "| statistic | gross | average |", "|---|---|---|",
                  f"| AF episode sensitivity | {_pct(g['episode_se'])} | {_pct(a['episode_se'])} |",
                  f"| AF episode positive predictivity | {_pct(g['episode_ppv'])} | {_pct(a['episode_ppv'])} |",
                  f"| AF duration sensitivity | {_pct(g['duration_se'])} | {_pct(a['duration_se'])} |",
                  f"| AF duration positive predictivity | {_pct(g['duration_ppv'])} | {_pct(a['duration_ppv'])} |", "",
                  f"Reference AF episodes: {c['totals']['STP'] + c['totals']['FN']} "
                  f"({c['totals']['ref_s'] / 60:.1f} min); detected AF episodes: {c['totals']['PTP'] + c['totals']['FP']} "
                  f"({c['totals']['test_s'] / 60:.1f} min). Reference flutter: {c['afl_s'] / 60:.1f} min, of which "
                  f"{_pct(c['afl_as_af_share'])} labelled AF (flutter is merged into the AF class).", "",
                  "Per record (AF records and records with false AF):", "",
                  "| record | ref AF s | detected AF s | overlap s | episodes TP/FN | detections TP/FP |",
                  "|---|---|---|---|---|---|"]
        for r, p in c["per_record"].items():
            if p["ref_s"] > 0 or p["test_s"] > 0:
                lines.append(f"| {r} | {p['ref_s']:.0f} | {p['test_s']:.0f} | {p['overlap_s']:.0f} | "
                             f"{p['STP']}/{p['FN']} | {p['PTP']}/{p['FP']} |")
        conf = np.asarray(c["beat_confusion"])
        lines += ["", "Beat-level rhythm (rows reference, columns output):", "",
                  "| | " + " | ".join(CLASSES) + " |", "|---" * (len(CLASSES) + 1) + "|"]
        lines += [f"| {a} | " + " | ".join(str(v) for v in conf[i]) + " |" for i, a in enumerate(CLASSES)]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--weights", type=Path, default=None, help="default: models/rhythm_lstm.pt")
    p.add_argument("--out", type=Path, default=ROOT / "reports")
    p.add_argument("--from-s", type=float, default=LEARNING_PERIOD_S, help="start of the comparison in each record (s)")
    p.add_argument("--no-install", action="store_true", help="do not copy the report to models/RHYTHM_EVALUATION.md")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    clf = RhythmClassifier.load(args.weights)
    report = run(args.data_dir or default_data_dir(), clf, DS2, args.from_s)
    report["model"] = clf.config
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rhythm.json").write_text(json.dumps(report, indent=2))
    md = to_markdown(report, clf.config)
    (args.out / "rhythm.md").write_text(md)
    if not args.no_install:
        shutil.copy(args.out / "rhythm.md", MODELS_DIR / "RHYTHM_EVALUATION.md")
    print(f"wrote {args.out / 'rhythm.json'} and {args.out / 'rhythm.md'}")
    return report


if __name__ == "__main__":
    main()
