"""HRV on all MIT-BIH records: which get frequency measures (Welch, Lomb-Scargle), where HRV
applies, and the agreement with NeuroKit2 on the same NN intervals.

Two protocols per record: reference beats with their AAMI labels (the annotation), and
detected beats labelled by the shipped models (what the CLI and dashboard report). For the
reference protocol, NeuroKit2's SDANN5, SDNNI5 and Lomb LF/HF are computed on our NN series
(records with at least 5 qualifying windows). NeuroKit2 0.2.13 places its 5-min windows by
the running sum of the intervals it is given, gaps ignored, so where many intervals are left
out (noise, ectopic beats) its windows drift from clock time and the two differ; on records
with few gaps they agree within a few tenths of a ms. Figures are printed and written to
``bench/results/hrv.json``.
Usage: python bench/bench_hrv.py [--data-dir data/mitdb] [--records 100 203 ...]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecg_lstm.analyze import analyze_record  # noqa: E402
from ecg_lstm.findings.hrv import nn_mask  # noqa: E402
from ecg_lstm.io.read import read_record  # noqa: E402
from ecg_lstm.findings.vitals import ecg_vitals  # noqa: E402

RESULTS = ROOT / "bench" / "results"
AAMI = {**dict.fromkeys("NLRej", "N"), **dict.fromkeys("AaJS", "S"), "V": "V", "E": "V", "F": "F",
        **dict.fromkeys("/fQ", "Q")}


def reference_protocol(rec) -> tuple[dict, dict | None]:
    ann = rec.annotations
    sym = np.asarray(ann.symbol)
    keep = np.isin(sym, list(AAMI))
    peaks, labels = np.asarray(ann.sample)[keep], np.array([AAMI[s] for s in sym[keep]])
    v = ecg_vitals(peaks, rec.fs, labels=labels, n_samples=rec.n_samples)
    nk_row = None
    if v["n_sdann_windows"] >= 5:
        try:
            import neurokit2 as nk
        except ImportError:
            return v, None
        rr = np.diff(peaks) / rec.fs
        ok = nn_mask(rr, labels == "N")
        series = {"RRI": rr[ok] * 1000, "RRI_Time": (peaks[1:] / rec.fs)[ok]}
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            t = nk.hrv_time(series)
            f = nk.hrv_frequency(series, psd_method="lomb", interpolation_rate=None, normalize=False)
        nk_row = {"sdann_ms": float(t["HRV_SDANN5"].iloc[0]), "sdnn_index_ms": float(t["HRV_SDNNI5"].iloc[0]),
                  "lomb_lf_hf_ratio": float(f["HRV_LFHF"].iloc[0])}
    return v, nk_row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("ECG_DATA_DIR", "data/mitdb"))
    ap.add_argument("--records", nargs="*")
    args = ap.parse_args()
    data = Path(args.data_dir)
    names = args.records or sorted(p.stem for p in data.glob("*.hea"))
    keys = ("sdann_ms", "sdnn_index_ms", "n_sdann_windows", "lf_hf_ratio", "lomb_lf_hf_ratio")
    rows, diffs = [], {k: [] for k in ("sdann_ms", "sdnn_index_ms", "lomb_lf_hf_ratio")}
    print(f"{'rec':>4} {'protocol':>9} {'SDANN':>7} {'SDNNi':>7} {'win':>3} {'Welch':>5} {'Lomb':>5} {'HRV':>4}  "
          "LF/HF Welch / Lomb")
    for name in names:
        rec = read_record(data / name)
        ref, nk_row = reference_protocol(rec)
        a = analyze_record(rec)
        for proto, v in (("reference", ref), ("detected", a.vitals)):
            row = {"record": name, "protocol": proto, **{k: v.get(k) for k in keys},
                   "welch": v["lf_ms2"] is not None, "lomb": v["lomb_lf_ms2"] is not None,
                   "applicable": v.get("hrv_applicable"), "frequency_domain_reason": v["frequency_domain_reason"]}
            rows.append(row)
            app = {None: "-", True: "yes", False: "no"}[row["applicable"]]
            fmt = lambda x, nd=1: "—" if x is None else f"{x:.{nd}f}"  # noqa: E731
            print(f"{name:>4} {proto:>9} {fmt(row['sdann_ms']):>7} {fmt(row['sdnn_index_ms']):>7} "
                  f"{row['n_sdann_windows']:>3} {str(row['welch']):>5} {str(row['lomb']):>5} {app:>4}  "
                  f"{fmt(row['lf_hf_ratio'], 2)} / {fmt(row['lomb_lf_hf_ratio'], 2)}")
        if nk_row:
            for k in diffs:
                diffs[k].append(ref[k] - nk_row[k] if k != "lomb_lf_hf_ratio" else ref[k] / nk_row[k] - 1)
    summary = {}
    for proto in ("reference", "detected"):
        r = [x for x in rows if x["protocol"] == proto]
        summary[proto] = {"records": len(r), "welch": sum(x["welch"] for x in r), "lomb": sum(x["lomb"] for x in r),
                          "sdann": sum(x["sdann_ms"] is not None for x in r)}
        if proto == "detected":
            summary[proto]["hrv_applicable"] = sum(bool(x["applicable"]) for x in r)
        print(f"{proto}: {summary[proto]}")
    if diffs["sdann_ms"]:
        agree = {k: round(float(np.max(np.abs(v))), 4) for k, v in diffs.items()}
        within = int(np.sum((np.abs(diffs["sdann_ms"]) <= 2.0) & (np.abs(diffs["sdnn_index_ms"]) <= 1.0)))
        summary["neurokit2_max_abs_difference"] = {**agree, "records": len(diffs["sdann_ms"]),
                                                   "within_2ms_1ms": within, "units": "ms, ms, relative"}
        print(f"vs NeuroKit2 on {len(diffs['sdann_ms'])} records (same NN series): max |SDANN diff| "
              f"{agree['sdann_ms']} ms, max |SDNN index diff| {agree['sdnn_index_ms']} ms ({within} records within "
              f"2 ms / 1 ms; the rest have gaps NeuroKit2's windows ignore), max |LF/HF (Lomb) ratio - 1| "
              f"{agree['lomb_lf_hf_ratio']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "hrv.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    print(f"written to {RESULTS / 'hrv.json'}")


if __name__ == "__main__":
    main()
