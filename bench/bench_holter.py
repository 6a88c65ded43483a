"""Holter-size records: time and peak memory, stage by stage, from 30 min to a 14-day patch.

For each size (records made from MIT-BIH by ``bench/holter_records.py``: 30 min, 24 h, 48 h and
7 days of two leads at 360 Hz; 14 days of one lead at 250 Hz, as a patch monitor records):

* **whole process**: ``python -m ecg_lstm analyze RECORD --out-dir ...`` in a fresh interpreter,
  as a user runs it (imports, reading, both classifiers, writing the beats and the summary):
  wall time and peak resident memory (``/usr/bin/time``-style, from ``getrusage``);
* **stages**: the same steps as ``analyze_record`` called one by one in another fresh
  interpreter, each with its time and the peak resident memory while it ran (sampled every
  10 ms): read, detect (its own filters included), filter (resample and band-pass for the
  classifier), features, beat LSTM, signal quality (its own filter included), rhythm LSTM,
  rhythm episodes (with the flutter split), vitals (HR, HRV), events (the flutter scan
  included). One after another, where ``analyze_record`` runs some side by side on two cores;
* **per hour**: whole-process seconds per hour of record (cost must grow linearly);
* **recompute**: the library's recompute after one corrected beat on the 24 h record
  (``analyze.relabel`` with what the analysis keeps: labels, counts, burden, rhythm, events,
  HRV), median of 5 corrections;
* **extra records**: seconds each extra 30-min record adds to one multi-record ``analyze`` run.

Figures are printed as one table and written to ``bench/results/holter.json``.
Usage: python bench/bench_holter.py [--data-dir data/mitdb] [--sizes 30min 24h 48h 7d 14d]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.holter_records import join_records  # noqa: E402

RESULTS = ROOT / "bench" / "results"
#: name: (hours, leads, fs) of each record.
SIZES = {"30min": (0.5, 2, None), "24h": (24.0, 2, None), "48h": (48.0, 2, None), "7d": (168.0, 2, None),
         "14d": (336.0, 1, 250.0)}
LIMITS = ["--max-hours", "400", "--max-signal-mb", "20000"]

# Runs in a fresh interpreter: analyze_record's steps one by one, each timed with the peak RSS
# seen while it ran.
STAGES = r"""
import json, sys, threading, time
sys.path.insert(0, {root!r})
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
stage, top = ["imports"], {{}}
def watch():
    while True:
        top[stage[0]] = max(top.get(stage[0], 0.0), rss())
        time.sleep(0.01)
threading.Thread(target=watch, daemon=True).start()
times = {{}}
def run(name, fn):
    stage[0] = name
    t = time.perf_counter()
    out = fn()
    times[name] = time.perf_counter() - t
    top[name] = max(top.get(name, 0.0), rss())
    return out
t0 = time.perf_counter()
import numpy as np
from ecg_lstm.analyze import _default_classifier, _default_rhythm, _hrv_applicability
from ecg_lstm.findings.atrial_flutter import split_atrial_flutter
from ecg_lstm.findings.events import detect_events
from ecg_lstm.findings.vitals import ecg_vitals
from ecg_lstm.io.read import read_record
from ecg_lstm.rhythm.incremental import beat_probs
from ecg_lstm.rhythm.predict import episodes_from_probs
from ecg_lstm.signal.peaks import ecg_peaks
from ecg_lstm.signal.quality import signal_quality
from ecg_lstm.signal.rate_check import rate_plausibility
from ecg_lstm.signal.ventricular_flutter import ventricular_flutter_segments
import pandas as pd
clf, rm = _default_classifier(), _default_rhythm()
times["imports"] = time.perf_counter() - t0
rec = run("read", lambda: read_record({path!r}, annotator=None, max_hours=400, max_signal_mb=20000))
idx = rec.lead_index()
x, fs = rec.signal[:, idx], rec.fs
def detect():
    p = ecg_peaks(x, fs)[0]
    rate_plausibility(x, fs, p)
    return p
peaks = run("detect", detect)
from ecg_lstm.classifier import features as F
prep = run("filter", lambda: F.prepare_signal(x, fs, clf.features, pad=clf.features.window))
# the classifier's path: windows made a batch at a time, as BeatClassifier.predict does
w, f = run("features", lambda: F.features_of_prepared(prep, fs, peaks, clf.features, lazy=True))
probs = run("beat LSTM", lambda: clf.probs_from_features(w, f))
del w, prep
labels = np.asarray(list("NSVFQ"))[probs.argmax(axis=1)]
quality = run("quality", lambda: signal_quality(x, fs, peaks))
rp = run("rhythm LSTM", lambda: beat_probs(rm, peaks, fs, labels))
episodes = run("rhythm episodes", lambda: split_atrial_flutter(
    episodes_from_probs(rp, peaks, fs, rec.n_samples, **rm.post), rec.signal, fs, peaks))
beats = pd.DataFrame({{"sample": peaks, "time_s": peaks / fs, "label": labels}})
run("vitals", lambda: (ecg_vitals(peaks, fs, labels=labels, n_samples=rec.n_samples),
                       _hrv_applicability(beats, episodes, rec.duration_s)))
run("events", lambda: detect_events(beats, fs, rhythm_episodes=episodes, peaks_quality=quality,
                                    flutter_segments=ventricular_flutter_segments(x, fs, peaks, quality)))
print(json.dumps({{"times_s": times, "peak_rss_mb": top, "beats": int(len(peaks))}}))
"""

# The library's recompute after one corrected beat on a record (analyze.relabel).
RECOMPUTE = r"""
import json, statistics, sys, time
sys.path.insert(0, {root!r})
import numpy as np
from ecg_lstm.analyze import analyze_record, relabel
from ecg_lstm.io.read import read_record
a = analyze_record(read_record({path!r}, annotator=None))
labels = a.beats["label"].to_numpy().copy()
probs = a.beats[[f"p_{{c}}" for c in "NSVFQ"]].to_numpy()
relabel(a, labels, probs, "reviewed")  # the first relabel keeps what the next ones reuse
rng, times = np.random.default_rng(0), []
for _ in range(5):
    i = int(rng.integers(len(labels)))
    labels[i] = "V" if labels[i] != "V" else "N"
    t = time.perf_counter()
    relabel(a, labels, probs, "reviewed")
    times.append(time.perf_counter() - t)
print(json.dumps({{"recompute_s": statistics.median(times), "all_s": times}}))
"""


def whole_process(paths: list[Path], out: Path) -> dict:
    """``python -m ecg_lstm analyze`` on ``paths`` in a fresh process: wall time and peak RSS."""
    wrapper = ("import resource, sys, time; t = time.perf_counter(); sys.argv = ['ecg_lstm'] + sys.argv[1:]; "
               "from ecg_lstm.commands.main import main; rc = main(sys.argv[1:]); "
               "print('BENCH', time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024); "
               "sys.exit(rc)")
    cmd = [sys.executable, "-c", wrapper, "analyze", *map(str, paths), "--out-dir", str(out), *LIMITS]
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if res.returncode != 0:
        raise RuntimeError(f"analyze failed: {res.stderr[-2000:]}")
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("BENCH")][-1].split()
    return {"wall_s": round(wall, 2), "in_process_s": round(float(line[1]), 2), "peak_rss_mb": round(float(line[2]))}


def child(code: str, **kw) -> dict:
    res = subprocess.run([sys.executable, "-c", code.format(root=str(ROOT), **kw)], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-2000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("ECG_DATA_DIR", str(ROOT / "data" / "mitdb")))
    ap.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    ap.add_argument("--work-dir", default=None, help="where the long records are written (default: a temp dir)")
    ap.add_argument("--no-stages", action="store_true", help="whole-process figures only")
    args = ap.parse_args(argv)
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
               "date": time.strftime("%Y-%m-%d"), "sizes": {}}
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp:
        tmp = Path(tmp)
        for size in args.sizes:
            hours, leads, fs = SIZES[size]
            path = join_records(args.data_dir, tmp, hours=hours, leads=leads, fs=fs)
            row = {"hours": hours, "leads": leads, "fs_hz": fs or 360.0,
                   "whole": whole_process([path], tmp / f"out_{size}")}
            row["whole"]["s_per_hour"] = round(row["whole"]["wall_s"] / hours, 3)
            if not args.no_stages:
                row["stages"] = child(STAGES, path=str(path))
            if size == "24h":
                row["recompute"] = child(RECOMPUTE, path=str(path))
            results["sizes"][size] = row
            print(_row_text(size, row), flush=True)
            for f in tmp.glob(f"{path.name}.*"):
                f.unlink()
        rec = Path(args.data_dir)
        names = (rec / "RECORDS").read_text().split()[:11]
        one = whole_process([rec / names[0]], tmp / "multi1")
        eleven = whole_process([rec / n for n in names], tmp / "multi11")
        results["extra_30min_record_s"] = round((eleven["wall_s"] - one["wall_s"]) / 10, 3)
    print(f"each extra 30-min record in one analyze run: {results['extra_30min_record_s']:.2f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "holter.json").write_text(json.dumps(results, indent=2))
    print(f"written to {RESULTS / 'holter.json'}")
    return 0


def _row_text(size: str, row: dict) -> str:
    w = row["whole"]
    text = [f"{size:>6}: whole process {w['wall_s']:.1f} s ({w['s_per_hour']:.2f} s per hour), "
            f"peak {w['peak_rss_mb']:,} MB"]
    if "stages" in row:
        st = row["stages"]
        text.append("        " + ", ".join(f"{k} {v:.2f} s/{st['peak_rss_mb'].get(k, 0):,.0f} MB"
                                          for k, v in st["times_s"].items()))
    if "recompute" in row:
        text.append(f"        recompute after one correction: {row['recompute']['recompute_s']:.3f} s")
    return "\n".join(text)


if __name__ == "__main__":
    sys.exit(main())
