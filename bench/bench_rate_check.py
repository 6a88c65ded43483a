"""How the sampling-rate screen (ecg_lstm.signal.rate_check) does on MIT-BIH: every record read at
its true rate, and with its header stating half and twice the rate (the samples unchanged).

    python bench/bench_rate_check.py [--data-dir DIR]     # make bench-rate-check

Prints one line a record and a summary per set (DS1, on which the rules were set; DS2; paced),
and writes bench/results/rate_check.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecg_lstm.beats.aami import DS1, DS2, PACED  # noqa: E402
from ecg_lstm.io import read_record  # noqa: E402
from ecg_lstm.paths import default_data_dir  # noqa: E402
from ecg_lstm.signal import ecg_peaks  # noqa: E402
from ecg_lstm.signal.rate_check import rate_plausibility  # noqa: E402

STATED = {"true": 1.0, "half": 0.5, "double": 2.0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    data = args.data_dir or default_data_dir()
    rows = {}
    for rec in DS1 + DS2 + PACED:
        r = read_record(data / rec)
        x = r.lead()
        rows[rec] = {}
        for name, k in STATED.items():
            peaks, _ = ecg_peaks(x, r.fs * k)
            check = rate_plausibility(x, r.fs * k, peaks)
            rows[rec][name] = {"hr_bpm": check["hr_bpm"], "r_width_ms": check["r_width_ms"], "ratio": check["ratio"],
                               "flagged": check["warning"] is not None}
        print(rec, "  ".join(f"{n}: ratio {v['ratio']:5.2f} {'FLAG' if v['flagged'] else '    '}"
                             for n, v in rows[rec].items()), flush=True)
    summary = {}
    for set_name, recs in (("DS1", DS1), ("DS2", DS2), ("paced", PACED)):
        summary[set_name] = {n: sum(rows[r][n]["flagged"] for r in recs) for n in STATED} | {"records": len(recs)}
        s = summary[set_name]
        print(f"{set_name}: flagged at the true rate {s['true']}/{s['records']}, stated at half {s['half']}/"
              f"{s['records']}, at twice {s['double']}/{s['records']}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "rate_check.json").write_text(json.dumps({"summary": summary, "records": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
