"""R-peak detection on the MIT-BIH Arrhythmia Database: ours vs wfdb and NeuroKit2.

Protocol: all 48 records, first lead (channel 0), whole record; reference =
beat annotations only (wfdb's beat symbols); detections and references in the
first and last 0.5 s are left out; a detection matches a reference within
150 ms (``wfdb.processing.compare_annotations``).  Totals are gross (summed
over records).  ``--fs`` resamples each record (scipy, polyphase) first and
scores at that rate; ``--invert`` flips the lead's sign.

Prints per-record and total TP/FN/FP, Se, +P and seconds per record for each
method and writes ``bench/results/qrs.md`` and ``qrs.json``.
Usage: python bench/bench_qrs.py [--data-dir data/mitdb] [--records 100 105]
       [--methods ecglstm xqrs] [--fs 250] [--invert]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecg_lstm.signal.peaks import ecg_peaks  # noqa: E402

RESULTS = ROOT / "bench" / "results"
RECORDS = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 111, 112, 113, 114, 115, 116, 117, 118, 119,
           121, 122, 123, 124, 200, 201, 202, 203, 205, 207, 208, 209, 210, 212, 213, 214, 215, 217, 219,
           220, 221, 222, 223, 228, 230, 231, 232, 233, 234]
BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")
PEERS = ["xqrs", "gqrs", "neurokit", "pantompkins1985", "hamilton2002", "elgendi2010", "kalidas2017"]
# also runnable with --methods (slow on long records): engzeemod2012 christov2004 nabian2018 rodrigues2021
EDGE_S = 0.5
WINDOW_S = 0.15


def load(data_dir: Path, rec: str, fs_out: float | None, invert: bool):
    """First lead and reference beat samples, optionally resampled / inverted."""
    import wfdb
    from scipy.signal import resample_poly
    from fractions import Fraction

    r = wfdb.rdrecord(str(data_dir / rec), channels=[0])
    a = wfdb.rdann(str(data_dir / rec), "atr")
    x = r.p_signal[:, 0].astype(np.float64)
    fs = float(r.fs)
    ref = np.asarray([s for s, sym in zip(a.sample, a.symbol) if sym in BEAT_SYMBOLS], dtype=np.int64)
    if fs_out and fs_out != fs:
        frac = Fraction(fs_out / fs).limit_denominator(1000)
        x = resample_poly(x, frac.numerator, frac.denominator)
        ref = np.rint(ref * fs_out / fs).astype(np.int64)
        fs = float(fs_out)
    if invert:
        x = -x
    return x, fs, ref


def score(ref: np.ndarray, test: np.ndarray, fs: float, n: int) -> dict:
    """TP / FN / FP with a 150-ms window, edges left out."""
    from wfdb.processing import compare_annotations

    lo, hi = int(EDGE_S * fs), n - int(EDGE_S * fs)
    ref = ref[(ref >= lo) & (ref < hi)]
    test = np.unique(test[(test >= lo) & (test < hi)])
    if len(test) == 0:
        return {"tp": 0, "fn": int(len(ref)), "fp": 0}
    c = compare_annotations(ref, test, window_width=int(WINDOW_S * fs))
    return {"tp": int(c.tp), "fn": int(c.fn), "fp": int(c.fp)}


def se_pp(tp: int, fn: int, fp: int) -> tuple[float, float]:
    return 100.0 * tp / max(1, tp + fn), 100.0 * tp / max(1, tp + fp)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "mitdb")
    ap.add_argument("--records", nargs="*", default=[str(r) for r in RECORDS])
    ap.add_argument("--methods", nargs="*", default=["ecglstm"] + PEERS)
    ap.add_argument("--fs", type=float, default=None, help="resample every record to this rate (Hz) first")
    ap.add_argument("--invert", action="store_true", help="flip the lead's sign")
    ap.add_argument("--out", default="qrs", help="basename of the files under bench/results/")
    ap.add_argument("--quiet", action="store_true", help="print totals only")
    args = ap.parse_args(argv)
    if not (Path(args.data_dir) / "100.hea").exists():
        alts = [ROOT / "data" / "mitdb", ROOT.parent / "shared" / "data" / "mitdb"]
        found = [a for a in alts if (a / "100.hea").exists()]
        if not found:
            print(f"MIT-BIH not found at {args.data_dir}; run `make data` or pass --data-dir", file=sys.stderr)
            return 2
        args.data_dir = found[0]

    per = {m: [] for m in args.methods}
    for rec in args.records:
        x, fs, ref = load(args.data_dir, rec, args.fs, args.invert)
        for m in args.methods:
            t0 = time.perf_counter()
            try:
                peaks, _ = ecg_peaks(x, fs, method=m)
                err = None
            except Exception as e:  # a peer failing on a record counts as no detections
                peaks, err = np.zeros(0, np.int64), f"{type(e).__name__}: {e}"
            dt = time.perf_counter() - t0
            s = score(ref, np.asarray(peaks, np.int64), fs, x.size)
            s.update(record=rec, seconds=round(dt, 4), error=err)
            per[m].append(s)
            if not args.quiet:
                se, pp = se_pp(s["tp"], s["fn"], s["fp"])
                print(f"{rec} {m:16s} TP {s['tp']:5d} FN {s['fn']:4d} FP {s['fp']:4d} "
                      f"Se {se:6.2f} +P {pp:6.2f} {dt:6.3f} s" + (f"  [{err}]" if err else ""), flush=True)

    totals = {}
    for m, rows in per.items():
        tp, fn, fp = (sum(r[k] for r in rows) for k in ("tp", "fn", "fp"))
        se, pp = se_pp(tp, fn, fp)
        secs = [r["seconds"] for r in rows]
        totals[m] = {"tp": tp, "fn": fn, "fp": fp, "se": round(se, 3), "ppv": round(pp, 3),
                     "seconds_per_record_mean": round(float(np.mean(secs)), 4),
                     "seconds_per_record_median": round(float(np.median(secs)), 4),
                     "n_records": len(rows), "n_errors": sum(r["error"] is not None for r in rows)}

    cond = f"fs={'native' if not args.fs else f'{args.fs:g} Hz'}, {'inverted' if args.invert else 'upright'} lead"
    lines = [f"# R-peak detection, MIT-BIH, first lead, 150 ms window ({cond})", "",
             "| method | TP | FN | FP | Se % | +P % | s / record (mean) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for m, t in sorted(totals.items(), key=lambda kv: -(kv[1]["se"] + kv[1]["ppv"])):
        lines.append(f"| {m} | {t['tp']} | {t['fn']} | {t['fp']} | {t['se']:.2f} | {t['ppv']:.2f} | "
                     f"{t['seconds_per_record_mean']:.3f} |")
    lines += ["", "## Per record (FN / FP)", "", "| record | " + " | ".join(per) + " |",
              "|---|" + "---:|" * len(per)]
    for i, rec in enumerate(args.records):
        lines.append(f"| {rec} | " + " | ".join(f"{per[m][i]['fn']} / {per[m][i]['fp']}" for m in per) + " |")
    print("\n".join(lines[:4 + len(totals)]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    (RESULTS / f"{args.out}.json").write_text(json.dumps(
        {"protocol": {"window_s": WINDOW_S, "edge_s": EDGE_S, "lead": 0, "fs": args.fs, "invert": args.invert},
         "totals": totals, "per_record": per}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
