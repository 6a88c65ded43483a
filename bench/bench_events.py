"""Trust of the arrhythmia events against the MIT-BIH reference rhythm annotations.

For each record, with detected and with reference beats (both labelled by the
shipped classifier), counts:

* ``vt`` events, and those marked noisy or alarming (105, 208: no reference
  run of three V beats in 208; 105's runs lie in noise);
* supraventricular events (pac, sv_couplet, svt_run) that start inside
  reference atrial fibrillation (201, 202, 203);
* ``vflutter`` / ``aflutter`` / ``av_block2`` events, and how many reference
  VFL / AFL / BII episodes they overlap, and how many of them lie outside one.

DS1 records (201, 203, 207, 208) are the ones the thresholds were set on;
DS2 records (105, 202, 222, 231) are reported, never tuned on.
Figures are printed and written to ``bench/results/events.json``.
Usage: python bench/bench_events.py --data-dir data/mitdb [--records 105 208 ...]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecg_lstm.analyze import analyze_record  # noqa: E402
from ecg_lstm.beats.aami import DS1  # noqa: E402
from ecg_lstm.io.read import read_record  # noqa: E402
from ecg_lstm.rhythm.labels import rhythm_intervals  # noqa: E402

RESULTS = ROOT / "bench" / "results"
RECORDS = ("105", "208", "201", "202", "203", "207", "222", "231")
#: Event type -> reference rhythm code it should find.
MATCH = {"vflutter": "VFL", "aflutter": "AFL", "av_block2": "BII"}
SV = ("pac", "sv_couplet", "svt_run")


def _overlaps(a0, a1, spans) -> bool:
    return any(a0 <= b and a1 >= a for a, b in spans)


def record_figures(rec, reference_beats: bool) -> dict:
    a = analyze_record(rec, reference_beats=reference_beats)
    ev = a.events
    ann = rec.annotations
    iv = rhythm_intervals(ann.sample, ann.aux_note, rec.n_samples) if ann is not None else []
    spans = {code: [(s, e) for s, e, c in iv if c == code] for code in (*MATCH.values(), "AFIB")}
    out = {"events": {k: int(v) for k, v in ev["type"].value_counts().items()}}
    vt = ev[ev["type"] == "vt"]
    out["vt"] = {"n": len(vt), "noisy": int(vt["noisy"].sum()), "alarming": int(vt["alarm"].sum())}
    sv = ev[ev["type"].isin(SV)]
    out["sv_events_in_reference_af"] = int(sum(_overlaps(s, s, spans["AFIB"]) for s in sv["start_sample"]))
    for kind, code in MATCH.items():
        e = ev[ev["type"] == kind]
        sp = spans[code]
        if not len(e) and not sp:
            continue
        inside = sum(_overlaps(s, t, sp) for s, t in zip(e["start_sample"], e["end_sample"]))
        found = sum(_overlaps(a0, a1, list(zip(e["start_sample"], e["end_sample"]))) for a0, a1 in sp)
        out[kind] = {"events": len(e), "outside_reference": len(e) - inside, "reference_episodes": len(sp),
                     "reference_episodes_found": found,
                     "reference_s": round(sum(b - a for a, b in sp) / rec.fs, 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default="data/mitdb")
    ap.add_argument("--records", nargs="+", default=list(RECORDS))
    args = ap.parse_args()
    res = {}
    for name in args.records:
        rec = read_record(Path(args.data_dir) / name)
        split = "DS1" if name in DS1 else "DS2"
        for ref in (False, True):
            key = f"{name} ({split}, {'reference' if ref else 'detected'} beats)"
            res[key] = record_figures(rec, ref)
            f = res[key]
            parts = [f"VT {f['vt']['n']} ({f['vt']['noisy']} noisy, {f['vt']['alarming']} alarming)",
                     f"S events in ref AF {f['sv_events_in_reference_af']}"]
            for kind in ("vflutter", "aflutter", "av_block2"):
                if kind in f:
                    k = f[kind]
                    parts.append(f"{kind} {k['events']} ({k['outside_reference']} outside ref), ref "
                                 f"{MATCH[kind]} found {k['reference_episodes_found']}/{k['reference_episodes']}")
            print(f"{key}: " + "; ".join(parts), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "events.json").write_text(json.dumps(res, indent=1))
    print(f"written to {RESULTS / 'events.json'}")


if __name__ == "__main__":
    main()
