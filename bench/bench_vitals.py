"""Speed of ``ecg_vitals`` and ``detect_events`` on 100,000 beats (about 24 h).

Beats are synthetic (RR 0.55-1.1 s, 10 % S and 10 % V labels, so the event
rules have plenty to report). Target: ``ecg_vitals`` < 0.2 s.
Figures are printed and written to ``bench/results/vitals.json``.
Usage: python bench/bench_vitals.py [--beats 100000] [--repeat 7]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecg_lstm.findings.events import detect_events  # noqa: E402
from ecg_lstm.findings.vitals import ecg_vitals  # noqa: E402

RESULTS = ROOT / "bench" / "results"
FS = 360


def timed(fn, repeat: int) -> float:
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beats", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    peaks = np.cumsum(rng.integers(int(0.55 * FS), int(1.1 * FS), args.beats))
    labels = rng.choice(np.array(list("NNNNNNNNSV")), args.beats)
    beats = pd.DataFrame({"sample": peaks, "label": labels})

    res = {"beats": args.beats, "hours": round(peaks[-1] / FS / 3600, 1)}
    res["vitals_unlabelled_s"] = round(timed(lambda: ecg_vitals(peaks, FS), args.repeat), 4)
    res["vitals_labelled_s"] = round(timed(lambda: ecg_vitals(peaks, FS, labels=labels), args.repeat), 4)
    res["events_s"] = round(timed(lambda: detect_events(beats, FS), args.repeat), 4)
    print(f"{args.beats} beats ({res['hours']} h): ecg_vitals {res['vitals_unlabelled_s']:.3f} s unlabelled, "
          f"{res['vitals_labelled_s']:.3f} s labelled (target < 0.2 s); detect_events {res['events_s']:.3f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "vitals.json").write_text(json.dumps(res, indent=2))
    print(f"written to {RESULTS / 'vitals.json'}")


if __name__ == "__main__":
    main()
