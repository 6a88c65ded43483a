"""Beat explanation speed: the per-record preparation and the per-beat explanation (target < 1 s).

Prints the timings and writes ``bench/results/explain.json``.  Beats: up to
``--per-class`` beats of each label the model gives in DS1 records 208, 209 and
119 (V, F, S and N beats), at reference beat positions.  The per-beat time is
``Explainer.explain`` plus ``to_json_dict`` (what the dashboard and the CLI
need); the PNG of the CLI is timed apart.
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

from ecg_lstm.beats.aami import CLASSES, reference_beats  # noqa: E402
from ecg_lstm.paths import default_data_dir  # noqa: E402
from ecg_lstm.explain import Explainer  # noqa: E402
from ecg_lstm.explain.plots import save_png  # noqa: E402
from ecg_lstm.io.read import read_record  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--records", nargs="+", default=["208", "209", "119"])
    p.add_argument("--per-class", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = Path(args.data_dir or default_data_dir())
    t = time.perf_counter()
    ex = Explainer.load()
    t_load = time.perf_counter() - t
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    per_beat, per_label, prep_s, steps, png_s = [], {}, [], [], None
    for name in args.records:
        rec = read_record(data / name)
        peaks, _ = reference_beats(rec)
        t = time.perf_counter()
        prep = ex.prepare(rec.lead(), rec.fs, peaks)
        prep_s.append(time.perf_counter() - t)
        pred = prep.logits.argmax(1).numpy()
        ex.explain(prep, 0)  # warm-up
        for c in range(len(CLASSES)):
            hits = np.flatnonzero(pred == c)
            for i in rng.choice(hits, min(args.per_class, len(hits)), replace=False):
                t = time.perf_counter()
                e = ex.explain(prep, int(i))
                d = e.to_json_dict()
                dt = time.perf_counter() - t
                per_beat.append(dt)
                steps.append(e.ig_steps)
                per_label.setdefault(CLASSES[c], []).append(dt)
                if png_s is None:
                    t = time.perf_counter()
                    save_png(d, out / "explain_example.png")
                    png_s = time.perf_counter() - t
    times = np.array(per_beat)
    res = {
        "n_beats": int(len(times)), "records": args.records,
        "per_beat_s": {"median": round(float(np.median(times)), 3), "p90": round(float(np.percentile(times, 90)), 3),
                       "max": round(float(times.max()), 3), "mean": round(float(times.mean()), 3)},
        "per_label_median_s": {k: round(float(np.median(v)), 3) for k, v in per_label.items()},
        "share_under_1s": round(float((times < 1.0).mean()), 4),
        "gradient_evaluations": {"median": int(np.median(steps)), "max": int(max(steps))},
        "prepare_record_s": [round(x, 3) for x in prep_s], "load_s": round(t_load, 3),
        "first_png_s": round(png_s or 0.0, 3), "target_s": 1.0,
        "threads": args.threads, "torch": torch.__version__, "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2),
    }
    (out / "explain.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
    print(f"explain: median {res['per_beat_s']['median']} s, p90 {res['per_beat_s']['p90']} s, "
          f"max {res['per_beat_s']['max']} s per beat over {res['n_beats']} beats (target < 1 s); "
          f"load average {res['load_avg_1min']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
