"""Beat classifier speed: one 30-min record, and 100,000 beats of a long recording.

Prints the timings and writes ``bench/results/classifier.json``.  Timings
include everything ``BeatClassifier.predict`` does (filter, resample, windows,
CNN, LSTM) at given beat positions; best of ``--repeat`` runs.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecg_lstm.classifier.aami import DS2  # noqa: E402
from ecg_lstm.classifier.aami import reference_beats  # noqa: E402
from ecg_lstm.classifier.dataset import default_data_dir  # noqa: E402
from ecg_lstm.classifier.features import beat_features  # noqa: E402
from ecg_lstm.classifier.predict import BeatClassifier  # noqa: E402
from ecg_lstm.record import read_record  # noqa: E402


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--model", default=None)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: on a busy 2-core machine 2 threads spin-wait on each other)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = Path(args.data_dir or default_data_dir())
    clf = BeatClassifier.load(args.model)

    rec = read_record(data / "100")
    peaks, _ = reference_beats(rec)
    ecg = rec.lead()
    clf.predict(ecg, rec.fs, peaks)  # warm-up
    t_rec = best_of(lambda: clf.predict(ecg, rec.fs, peaks), args.repeat)
    t_feat = best_of(lambda: beat_features(ecg, rec.fs, peaks, clf.features), args.repeat)

    # A long recording: DS2 records end to end until 100,000 beats.
    sigs, pk, off = [], [], 0
    for name in DS2 * 3:
        r = read_record(data / name)
        s, _ = reference_beats(r)
        sigs.append(r.lead())
        pk.append(s + off)
        off += r.n_samples
        if sum(map(len, pk)) >= 100_000:
            break
    long_ecg, long_peaks = np.concatenate(sigs), np.concatenate(pk)[:100_000]
    t_long = best_of(lambda: clf.predict(long_ecg, rec.fs, long_peaks), max(2, args.repeat // 2))  # first run warms up oneDNN

    res = {
        "record_100": {"n_beats": int(len(peaks)), "duration_min": round(rec.duration_s / 60, 1),
                       "predict_s": round(t_rec, 4), "features_s": round(t_feat, 4), "target_s": 0.2},
        "beats_100k": {"n_beats": int(len(long_peaks)), "duration_h": round(len(long_ecg) / rec.fs / 3600, 2),
                       "predict_s": round(t_long, 3), "target_s": 5.0},
        "threads": args.threads, "torch": torch.__version__, "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2), "model": clf.name,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "classifier.json").write_text(json.dumps(res, indent=2))
    print(f"record 100 ({len(peaks)} beats, {res['record_100']['duration_min']} min): {t_rec:.3f} s "
          f"(features {t_feat:.3f} s; target <= 0.2 s)")
    print(f"{len(long_peaks)} beats ({res['beats_100k']['duration_h']} h): {t_long:.2f} s (target <= 5 s)")
    print(f"load average during the run: {res['load_avg_1min']} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
