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

from ecg_lstm.beats.aami import DS2  # noqa: E402
from ecg_lstm.beats.aami import reference_beats  # noqa: E402
from ecg_lstm.paths import default_data_dir  # noqa: E402
from ecg_lstm.classifier.features import beat_features  # noqa: E402
from ecg_lstm.classifier.predict import BeatClassifier  # noqa: E402
from ecg_lstm.io.read import read_record  # noqa: E402


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
    out = ROOT / "bench" / "results"
    t_long = best_of(lambda: clf.predict(long_ecg, rec.fs, long_peaks), max(2, args.repeat // 2))  # first run warms up oneDNN

    res = {
        "record_100": {"n_beats": int(len(peaks)), "duration_min": round(rec.duration_s / 60, 1),
                       "predict_s": round(t_rec, 4), "features_s": round(t_feat, 4), "target_s": 0.2},
        "beats_100k": {"n_beats": int(len(long_peaks)), "duration_h": round(len(long_ecg) / rec.fs / 3600, 2),
                       "predict_s": round(t_long, 3), "target_s": 5.0},
        "threads": args.threads, "torch": torch.__version__, "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2), "model": clf.name,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "classifier.json").write_text(json.dumps(res, indent=2))
    print(f"record 100 ({len(peaks)} beats, {res['record_100']['duration_min']} min): {t_rec:.3f} s "
          f"(features {t_feat:.3f} s; target <= 0.2 s)")
    print(f"{len(long_peaks)} beats ({res['beats_100k']['duration_h']} h): {t_long:.2f} s (target <= 5 s)")
    print(f"load average during the run: {res['load_avg_1min']} on {os.cpu_count()} cores")
    bench_adaptation(clf, data, rec, peaks, long_ecg, long_peaks, args.repeat, out)
    return 0


def bench_adaptation(clf, data: Path, rec, peaks, long_ecg, long_peaks, repeat: int, out: Path) -> dict:
    """Templates, per-record adaptation and `analyze --adapt`: writes ``bench/results/adaptation.json``.

    ``analyze --adapt`` is timed as the CLI reports it per record: read the record, detect beats,
    classify with adaptation, vitals, rhythm, events, write CSV/JSON; the models are loaded once
    before (as the CLI does for all its records), Python start-up is not counted."""
    import tempfile

    from ecg_lstm.analyze import analyze_record, write_outputs
    from ecg_lstm.classifier.adapt import RecordAdapter
    from ecg_lstm.classifier.templates import beat_templates, templates_from_features
    from ecg_lstm.rhythm.predict import RhythmClassifier

    ecg = rec.lead()
    rhythm = RhythmClassifier.load()
    _, ref = reference_beats(rec)
    w, f = beat_features(ecg, rec.fs, peaks, clf.features)
    t_tpl = best_of(lambda: beat_templates(ecg, rec.fs, peaks), repeat)
    t_tpl_only = best_of(lambda: templates_from_features(w, f), repeat)
    t_tpl_long = best_of(lambda: beat_templates(long_ecg, rec.fs, long_peaks), 1)
    ad = RecordAdapter(clf, ecg, rec.fs, peaks)
    t_adapter = best_of(lambda: RecordAdapter(clf, ecg, rec.fs, peaks), repeat)
    t_unsup = best_of(ad.unsupervised, repeat)
    times = {}
    for k in (5, 20, 50):
        q = ad.query(k)
        ad.with_labels(q, ref[q])  # warm-up (first autograd call)
        times[f"with_labels_k{k}_s"] = round(best_of(lambda: ad.with_labels(q, ref[q]), repeat), 4)
    first = np.flatnonzero(peaks < 300 * rec.fs)
    times["with_labels_first5min_s"] = round(best_of(lambda: ad.with_labels(first, ref[first]), repeat), 4)
    t_query = best_of(lambda: ad.query(20), repeat)
    t_long_ad = best_of(lambda: RecordAdapter(clf, long_ecg, rec.fs, long_peaks).unsupervised(), 1)
    long_ad = RecordAdapter(clf, long_ecg, rec.fs, long_peaks)
    q_long = long_ad.query(20)
    t_long_lab = best_of(lambda: long_ad.with_labels(q_long, ["N"] * 20), 1)  # the labels do not change the cost

    path = data / rec.name
    with tempfile.TemporaryDirectory() as tmp:
        def cli(adapt):
            r = read_record(path)
            write_outputs(analyze_record(r, classifier=clf, rhythm=rhythm, adapt=adapt), tmp)
        cli(True)
        t_cli_adapt = best_of(lambda: cli(True), repeat)
        t_cli_plain = best_of(lambda: cli(False), repeat)
    res = {
        "record": rec.name, "n_beats": int(len(peaks)), "duration_min": round(rec.duration_s / 60, 1),
        "templates_s": round(t_tpl, 4), "templates_clustering_only_s": round(t_tpl_only, 4), "templates_target_s": 1.0,
        "templates_long": {"n_beats": int(len(long_peaks)), "duration_h": round(len(long_ecg) / rec.fs / 3600, 2),
                           "templates_s": round(t_tpl_long, 3), "target_s": 15.0},
        "adapter_init_s": round(t_adapter, 4), "unsupervised_s": round(t_unsup, 5), "query_k20_s": round(t_query, 4),
        **times, "with_labels_target_s": 5.0,
        "long_adapted_unsupervised_s": round(t_long_ad, 3), "long_with_labels_k20_s": round(t_long_lab, 3),
        "analyze_adapt_end_to_end_s": round(t_cli_adapt, 3), "analyze_plain_end_to_end_s": round(t_cli_plain, 3),
        "analyze_adapt_target_s": 1.0, "load_avg_1min": round(os.getloadavg()[0], 2), "cpu_count": os.cpu_count(),
    }
    (out / "adaptation.json").write_text(json.dumps(res, indent=2))
    print(f"templates, record {rec.name} ({len(peaks)} beats): {t_tpl:.3f} s with features "
          f"({t_tpl_only:.3f} s clustering; target <= 1 s); {len(long_peaks)} beats "
          f"({res['templates_long']['duration_h']} h): {t_tpl_long:.2f} s (target <= 15 s)")
    print(f"adaptation, record {rec.name}: set-up {t_adapter:.3f} s, unsupervised {t_unsup * 1000:.1f} ms, "
          f"query(20) {t_query * 1000:.1f} ms, with labels k=5/20/50 {times['with_labels_k5_s']:.3f}/"
          f"{times['with_labels_k20_s']:.3f}/{times['with_labels_k50_s']:.3f} s, first 5 min "
          f"{times['with_labels_first5min_s']:.3f} s (target <= 5 s)")
    print(f"analyze --adapt, record {rec.name} end to end (read, detect, classify, vitals, rhythm, events, write): "
          f"{t_cli_adapt:.3f} s (plain {t_cli_plain:.3f} s; target <= 1 s); {len(long_peaks)} beats adapted "
          f"without labels: {t_long_ad:.2f} s, refitted to 20 reviewed beats: {t_long_lab:.2f} s")
    return res


if __name__ == "__main__":
    raise SystemExit(main())
