"""Speed and memory of ``analyze`` (load, filter, detect, vitals, and classify).

Measures, on this machine:
  * a 30-min 2-lead MIT-BIH record: median wall time of read + analyze, without
    the classifiers (the foundation's target, <= 0.3 s) and end to end with the
    beat and rhythm classifiers (<= 0.5 s);
  * the same record through NeuroKit2's ``ecg_process`` (the ratio is printed);
  * a 24-hour 2-lead input made by joining all 48 records into one WFDB record:
    wall time and peak resident memory of a fresh process (<= 10 s, <= 2 GB).

Figures are printed and written to ``bench/results/speed.json``.
Usage: python bench/bench_speed.py [--data-dir data/mitdb] [--record 208] [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecg_lstm.analyze import analyze_record  # noqa: E402
from ecg_lstm.io.read import read_record  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def timed(fn, repeat: int) -> float:
    fn()  # warm-up: imports, model load, caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def join_records(data_dir: Path, out_dir: Path) -> Path:
    """Write all records of ``data_dir`` one after another as a single WFDB record."""
    import wfdb

    names = (data_dir / "RECORDS").read_text().split()
    parts = [wfdb.rdrecord(str(data_dir / n), physical=False) for n in names]
    d = np.concatenate([p.d_signal[:, :2] for p in parts]).astype(np.int16)
    first = parts[0]
    wfdb.wrsamp("joined24h", fs=first.fs, units=["mV", "mV"], sig_name=["MLII", "V"], d_signal=d,
                fmt=["212", "212"], adc_gain=[200.0, 200.0], baseline=[1024, 1024], write_dir=str(out_dir))
    return out_dir / "joined24h"


# Runs in a fresh interpreter so that its peak memory is its own.
CHILD = """
import resource, sys, time, json
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from ecg_lstm.analyze import analyze_record
from ecg_lstm.io.record import read_record
t1 = time.perf_counter()
rec = read_record({path!r}, annotator=None)
res = analyze_record(rec, classifier={clf}, rhythm={clf})
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "analyze_s": t2 - t1, "beats": len(res.beats),
                  "hours": rec.duration_s / 3600,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def child_run(path: Path, classify: bool) -> dict:
    code = CHILD.format(root=str(ROOT), path=str(path), clf='"default"' if classify else "None")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default="data/mitdb")
    ap.add_argument("--record", default="208")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-24h", action="store_true")
    ap.add_argument("--skip-neurokit", action="store_true")
    args = ap.parse_args()
    data_dir = Path(args.data_dir)
    path = str(data_dir / args.record)

    res = {"machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, {platform.processor() or 'cpu'}",
           "record": args.record}
    base = timed(lambda: analyze_record(read_record(path), classifier=None, rhythm=None), args.repeat)
    full = timed(lambda: analyze_record(read_record(path)), args.repeat)
    rec = read_record(path)
    res.update(record_minutes=round(rec.duration_s / 60, 1), leads=len(rec.lead_names),
               analyze_30min_s=round(base, 4), analyze_30min_with_classifiers_s=round(full, 4))
    print(f"30-min record {args.record}: read+filter+detect+vitals {base:.3f} s (target <= 0.3 s); "
          f"with beat + rhythm classifiers {full:.3f} s (target <= 0.5 s)")

    if not args.skip_neurokit:
        import neurokit2 as nk

        ecg = rec.lead()
        nk_s = timed(lambda: nk.ecg_process(ecg, sampling_rate=int(rec.fs)), max(1, args.repeat // 2))
        res.update(neurokit_ecg_process_30min_s=round(nk_s, 3), speedup_vs_neurokit=round(nk_s / base, 1))
        print(f"NeuroKit2 ecg_process on the same lead: {nk_s:.3f} s -> ecg-lstm is {nk_s / base:.1f}x faster "
              "(target >= 10x)")

    if not args.skip_24h:
        with tempfile.TemporaryDirectory() as tmp:
            joined = join_records(data_dir, Path(tmp))
            for classify in (False, True):
                r = child_run(joined, classify)
                key = "24h_with_classifiers" if classify else "24h"
                res[key] = {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                print(f"24-hour input ({r['hours']:.1f} h, {r['beats']} beats){' with classifiers' if classify else ''}: "
                      f"{r['analyze_s']:.2f} s (target <= 10 s), peak memory {r['peak_rss_mb']:.0f} MB "
                      "(target <= 2048 MB)")

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(res, indent=2))
    print(f"written to {RESULTS / 'speed.json'}")


if __name__ == "__main__":
    main()
