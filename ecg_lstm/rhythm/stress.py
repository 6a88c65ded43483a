"""Paroxysmal AF stress test on DS1: ``python -m ecg_lstm.rhythm.stress`` (``make bench-af``).

DS1 holds AF from two patients, so paroxysms are made by splicing:

- RR level: in a DS1 record without AF, the reference beats between a random
  onset and onset + D are replaced by an AF RR sequence of D seconds
  (D = 10 s .. 10 min); the host's beats resume after it.  AF RR sequences
  are drawn from published statistics of AF ventricular response (rate 60-150
  bpm, coefficient of variation 0.10-0.30, gamma-distributed intervals above a
  refractory floor, slow drift of the mean: Tateno & Glass 2001; Petrenas et
  al. 2015), or taken from the reference AF beats of a DS1 AF record ("real",
  201/203: with the shipped model these are training data, so only the
  generated kind is out of sample), or are atrial flutter with variable
  2:1-4:1 conduction.  Flutter with fixed conduction is regular and invisible
  to an RR model; it is reported apart, not counted in the AF targets.
- signal level (for the detector: 200 Hz, second lead): the ECG of the host
  record and of the AF stretch of 201/203 are joined (the host resumes at
  onset + D), so the detector meets real f-waves and real joins.

Scored per paroxysm, at each stage of the classifier: beat probabilities
(P(AF) >= 0.5), after smoothing and hysteresis, and the final episodes (after
the minimum-duration merge): share of AF seconds found, episode found (any
overlap), onset/offset error in beats.  False AF is measured on DS1 records
without AF (frequent ectopy: 106, 119 bigeminy, 208 trigeminy, 118/209 PACs)
and on sinus excerpts with spliced multifocal PACs.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..io.read import read_record
from ..paths import ROOT, default_data_dir
from ..signal.filters import resample
from ..signal.peaks import ecg_peaks
from .labels import DS1, load_reference
from .predict import RhythmClassifier, beat_labels, episodes_from_probs, smooth_probs
from .synthetic import splice

#: DS1 records with AF (hosts for real AF RR and AF signal, never hosts of a paroxysm).
AF_RECORDS = ("201", "203")
#: Paroxysm durations in seconds (each host gets one of each, at random onsets).
DURATIONS_S = (10, 15, 20, 30, 60, 120, 300, 600)
AF_INDEX = 1  # CLASSES.index("AFIB")


def generated_af(rng: np.random.Generator, dur_s: float) -> np.ndarray:
    """AF ventricular response: gamma intervals (CV 0.10-0.30) above a 0.25-0.3 s floor, mean
    60-150 bpm drifting slowly."""
    m, cv, floor = rng.uniform(0.4, 1.0), rng.uniform(0.10, 0.30), rng.uniform(0.25, 0.30)
    n = int(dur_s / 0.25) + 10
    drift = np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    k = (max(m - floor, 0.05) / (cv * m)) ** 2  # so that the whole interval has CV ~ cv
    rr = floor + (m - floor) * drift * rng.gamma(k, 1.0 / k, n)
    return _cut(np.clip(rr, 0.25, 2.5), dur_s)


def flutter(rng: np.random.Generator, dur_s: float, variable: bool = True) -> np.ndarray:
    """Atrial flutter: atrial cycle 0.18-0.26 s, conduction 2:1-4:1 (changing or fixed), 5 ms jitter."""
    a = rng.uniform(0.18, 0.26)
    n = int(dur_s / (2 * a)) + 10
    k = np.empty(n)
    k[0] = rng.integers(2, 5)
    for i in range(1, n):
        k[i] = rng.integers(2, 5) if variable and rng.random() < 0.35 else k[i - 1]
    return _cut(k * a + rng.normal(0, 0.005, n), dur_s)


def real_af(rng: np.random.Generator, dur_s: float, pool: list[np.ndarray]) -> np.ndarray:
    """A random stretch of reference AF RR intervals from ``pool`` (concatenated if too short)."""
    seqs = [pool[i] for i in rng.permutation(len(pool))]
    rr = np.concatenate(seqs * (int(dur_s / max(sum(s.sum() for s in seqs), 1.0)) + 2))
    start = int(rng.integers(0, max(len(rr) - int(dur_s / 0.3), 1)))
    return _cut(rr[start:], dur_s)


def _cut(rr: np.ndarray, dur_s: float) -> np.ndarray:
    return rr[:max(int(np.searchsorted(np.cumsum(rr), dur_s)), 2)]


def af_rr_pool(data_dir, records=AF_RECORDS) -> list[np.ndarray]:
    """RR sequences (s) of the reference AFIB stretches of ``records``."""
    pool = []
    for r in records:
        ref = load_reference(data_dir, r)
        for a, b, c in ref["intervals"]:
            t = ref["beats"][(ref["beats"] >= a) & (ref["beats"] < b)] / ref["fs"]
            if c == "AFIB" and len(t) > 10:
                pool.append(np.diff(t))
    return pool


def multifocal_pacs(rng: np.random.Generator, beats_s: np.ndarray, classes: np.ndarray, p: float = 0.3):
    """Premature atrial beats at random coupling (55-85 %, several foci) on a share ``p`` of beats,
    each resetting the sinus node (no compensatory pause): ectopy, not AF."""
    rr = np.diff(beats_s)
    out, cls = [beats_s[0]], [classes[0]]
    for k, r in enumerate(rr):
        if rng.random() < p and cls[-1] != "S":
            out.append(out[-1] + rng.uniform(0.55, 0.85) * r)
            cls.append("S")
        out.append(out[-1] + r)
        cls.append(classes[k + 1])
    return np.asarray(out), np.asarray(cls, dtype=object)


def af_called(probs: np.ndarray, peaks: np.ndarray, fs: float, post: dict) -> np.ndarray:
    """True per beat inside a final AF episode (episodes_from_probs with ``post``)."""
    eps = episodes_from_probs(probs, peaks, fs, None, **post)
    idx = np.clip(np.searchsorted(eps["start_sample"].to_numpy(), peaks, "right") - 1, 0, None)
    return eps["label"].to_numpy()[idx] == "AFIB"


def stages(clf: RhythmClassifier, t_s: np.ndarray, fs: float, labels=None) -> dict:
    """AF per beat at each stage: 'beat' (P(AF) >= 0.5), 'hysteresis' (smoothing + hysteresis),
    'episodes' (final output, after edge refinement and the minimum-duration merge)."""
    peaks = np.round(t_s * fs).astype(np.int64)
    probs = clf.predict_beats(peaks, fs, labels)
    sm = smooth_probs(probs, clf.smooth_beats)
    return {"beat": probs[:, AF_INDEX] >= 0.5,
            "hysteresis": beat_labels(sm, clf.af_enter, clf.af_exit) == AF_INDEX,
            "episodes": af_called(probs, peaks, fs, clf.post)}


def post_scores(clf: RhythmClassifier, data_dir, hosts, grid, pool_records=AF_RECORDS, seed: int = 0) -> list[dict]:
    """Paroxysm summary (generated and real AF spliced into ``hosts``, without and with beat
    labels) for each post-processing setting of ``grid``; probabilities are computed once."""
    cache = []
    for c in rr_cases(data_dir, hosts, ("generated", "real"), seed, pool_records):
        peaks = np.round(c["t_s"] * 360.0).astype(np.int64)
        for given in (False, True):
            cache.append((c, peaks, clf.predict_beats(peaks, 360.0, c["classes"] if given else None)))
    return [_summary([{"dur_s": c["dur_s"], **score_paroxysm(c["t_s"], c["truth"], af_called(pr, pk, 360.0, post))}
                      for c, pk, pr in cache]) for post in grid]


def score_paroxysm(t_s: np.ndarray, truth: np.ndarray, called: np.ndarray) -> dict:
    """Seconds of the paroxysm called AF, whether it was found, onset/offset errors in beats
    (of the called AF run overlapping it most), false AF seconds outside it."""
    dt = np.diff(t_s, append=t_s[-1])
    first, last = np.flatnonzero(truth)[[0, -1]]
    out = {"af_s": float(dt[truth].sum()), "found_s": float(dt[truth & called].sum()),
           "false_s": float(dt[~truth & called].sum()), "found": bool((truth & called).any()),
           "onset_err": None, "offset_err": None}
    if out["found"]:
        starts = np.flatnonzero(np.diff(np.r_[0, called.astype(int)]) == 1)
        stops = np.flatnonzero(np.diff(np.r_[called.astype(int), 0]) == -1)
        best = max(zip(starts, stops), key=lambda ab: np.count_nonzero(truth[ab[0]:ab[1] + 1]))
        out["onset_err"], out["offset_err"] = int(abs(best[0] - first)), int(abs(best[1] - last))
    return out


def rr_cases(data_dir, hosts, kinds=("generated", "real", "flutter", "flutter_fixed"), seed: int = 0,
             pool_records=AF_RECORDS):
    """Spliced paroxysms: one per host, kind and duration."""
    rng = np.random.default_rng(seed)
    pool = af_rr_pool(data_dir, pool_records) if "real" in kinds else []
    for host in hosts:
        ref = load_reference(data_dir, host)
        t = ref["beats"] / ref["fs"]
        for kind in kinds:
            for dur in DURATIONS_S:
                onset = rng.uniform(60.0, max(t[-1] - dur - 60.0, 61.0))
                rr = {"generated": lambda: generated_af(rng, dur), "real": lambda: real_af(rng, dur, pool),
                      "flutter": lambda: flutter(rng, dur), "flutter_fixed": lambda: flutter(rng, dur, False)}[kind]()
                ts, cls, af = splice(t, ref["beat_class"], onset, rr)
                # An excerpt of 2 min either side keeps the test fast; episodes are scored within it.
                keep = (ts > onset - 120.0) & (ts < onset + dur + 120.0)
                ts, cls, af = ts[keep], cls[keep], af[keep]
                yield {"host": host, "kind": kind, "dur_s": dur, "t_s": ts, "classes": cls, "truth": af}


def signal_cases(data_dir, hosts, seed: int = 0, fs_out=(360.0, 200.0), leads=(0, 1)):
    """Real AF ECG (201/203) joined into host ECG; reference beats carried over; detector beats
    per (rate, lead)."""
    rng = np.random.default_rng(seed)
    donors = {r: (read_record(Path(data_dir) / r), load_reference(data_dir, r)) for r in AF_RECORDS}
    for host in hosts:
        rec, ref = read_record(Path(data_dir) / host), load_reference(data_dir, host)
        fs = rec.fs
        for dur in DURATIONS_S[2:]:
            donor = str(rng.choice(AF_RECORDS))
            drec, dref = donors[donor]
            a, b = max(((a, b) for a, b, c in dref["intervals"] if c == "AFIB"), key=lambda ab: ab[1] - ab[0])
            d0 = int(rng.integers(a, max(b - int(dur * fs), a + 1)))
            d1 = min(d0 + int(dur * fs), b)
            h0 = int(rng.integers(int(60 * fs), ref["n_samples"] - int(dur * fs) - int(60 * fs)))
            h1 = h0 + (d1 - d0)
            bh, bd = ref["beats"], dref["beats"]
            beats = np.r_[bh[bh < h0 - 0.2 * fs], bd[(bd >= d0 + 0.2 * fs) & (bd < d1 - 0.2 * fs)] - d0 + h0,
                          bh[bh >= h1 + 0.2 * fs]]
            truth = (beats >= h0) & (beats < h1)
            for lead in leads:
                x = rec.signal[:, lead].copy()
                x[h0:h1] = drec.signal[d0:d1, lead] - drec.signal[d0, lead] + x[h0]
                for f in fs_out:
                    peaks = np.asarray(ecg_peaks(resample(x, fs, f) if f != fs else x, f)[0]) * fs / f
                    yield {"host": host, "dur_s": dur, "lead": rec.lead_names[lead], "fs": f,
                           "ref_t": beats / fs, "ref_truth": truth, "det_t": np.unique(peaks) / fs,
                           "window": (h0 / fs, h1 / fs)}


def _summary(rows: list[dict], min_s: float = 10.0) -> dict:
    rows = [r for r in rows if r["dur_s"] >= min_s]
    if not rows:
        return {}
    on = [r["onset_err"] for r in rows if r["onset_err"] is not None]
    off = [r["offset_err"] for r in rows if r["offset_err"] is not None]
    return {"n": len(rows), "episode_se": float(np.mean([r["found"] for r in rows])),
            "duration_se": sum(r["found_s"] for r in rows) / max(sum(r["af_s"] for r in rows), 1e-9),
            "onset_err_median": float(np.median(on)) if on else None,
            "offset_err_median": float(np.median(off)) if off else None,
            "within_5_beats": float(np.mean([a <= 5 and b <= 5 for a, b in zip(on, off)])) if on else None,
            "false_s": float(sum(r["false_s"] for r in rows))}


def run(clf: RhythmClassifier, data_dir, hosts, *, kinds=("generated", "real", "flutter", "flutter_fixed"),
        ectopy=(), signal_hosts=(), seed: int = 0, pool_records=AF_RECORDS, log=print) -> dict:
    """The whole stress test; returns summaries per kind / duration / stage and the raw rows."""
    out = {"hosts": list(hosts), "rr": {}, "ectopy": {}, "signal": {}}
    rows = []
    for case in rr_cases(data_dir, hosts, kinds, seed, pool_records):
        for given in (False, True):
            st = stages(clf, case["t_s"], 360.0, case["classes"] if given else None)
            for name, called in st.items():
                rows.append({"kind": case["kind"], "labels": given, "stage": name, "dur_s": case["dur_s"],
                             "host": case["host"], **score_paroxysm(case["t_s"], case["truth"], called)})
    for kind in kinds:
        for given in (False, True):
            key = f"{kind}{' +labels' if given else ''}"
            sel = [r for r in rows if r["kind"] == kind and r["labels"] == given]
            out["rr"][key] = {s: _summary([r for r in sel if r["stage"] == s]) for s in ("beat", "hysteresis", "episodes")}
            out["rr"][key]["by_duration"] = {d: _summary([r for r in sel if r["stage"] == "episodes" and r["dur_s"] == d])
                                             for d in DURATIONS_S}
            e = out["rr"][key]["episodes"]
            log(f"{key:24s} episode Se {e['episode_se']:.3f} duration Se {e['duration_se']:.3f} "
                f"onset/offset median {e['onset_err_median']}/{e['offset_err_median']} beats, "
                f"stages beat/hyst/episodes duration Se " + "/".join(
                    f"{out['rr'][key][s]['duration_se']:.3f}" for s in ("beat", "hysteresis", "episodes")))
    rng = np.random.default_rng(seed + 1)
    for rec in ectopy:
        ref = load_reference(data_dir, rec)
        t, cls = ref["beats"] / ref["fs"], ref["beat_class"]
        variants = {"record": (t, cls), "multifocal PACs": multifocal_pacs(rng, t[:1500], cls[:1500])}
        for vname, (tv, cv) in variants.items():
            for given in (False, True):
                st = stages(clf, tv, 360.0, cv if given else None)
                dt = np.diff(tv, append=tv[-1])
                out["ectopy"][f"{rec} {vname}{' +labels' if given else ''}"] = {
                    s: float(dt[c].sum()) for s, c in st.items()} | {"total_s": float(dt.sum())}
    for k, v in out["ectopy"].items():
        if v["episodes"] > 0:
            log(f"false AF {k}: {v['episodes']:.0f} s of {v['total_s']:.0f} s")
    log(f"false AF in ectopy records, episodes: {sum(v['episodes'] for v in out['ectopy'].values()):.0f} s")
    sig = []
    for case in signal_cases(data_dir, signal_hosts, seed):
        for src in ("ref", "det"):
            t = case[f"{src}_t"]
            truth = case["ref_truth"] if src == "ref" else (t >= case["window"][0]) & (t < case["window"][1])
            called = stages(clf, t, 360.0)["episodes"]
            sig.append({"cond": f"{case['lead']} {case['fs']:.0f} Hz {src}", "dur_s": case["dur_s"],
                        **score_paroxysm(t, truth, called)})
    for cond in sorted({r["cond"] for r in sig}):
        out["signal"][cond] = s = _summary([r for r in sig if r["cond"] == cond])
        log(f"signal {cond:22s} episode Se {s['episode_se']:.3f} duration Se {s['duration_se']:.3f} "
            f"onset/offset {s['onset_err_median']}/{s['offset_err_median']} false {s['false_s']:.0f} s")
    out["rows"] = rows
    return out


#: DS1 records without AF and with frequent ectopy (bigeminy 106, 119; trigeminy 208; PACs 118, 209).
ECTOPY_RECORDS = ("106", "119", "208", "118", "209", "223", "207")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--weights", type=Path, default=None, help="default: models/rhythm_lstm.pt")
    p.add_argument("--hosts", nargs="+", default=[r for r in DS1 if r not in AF_RECORDS])
    p.add_argument("--ectopy", nargs="+", default=list(ECTOPY_RECORDS))
    p.add_argument("--signal-hosts", nargs="*", default=["101", "115", "122"])
    p.add_argument("--kinds", nargs="+", default=["generated", "real", "flutter", "flutter_fixed"])
    p.add_argument("--pool", nargs="+", default=list(AF_RECORDS),
                   help="AF records whose AF RR the 'real' paroxysms take (a fold's held-out AF record)")
    p.add_argument("--post", type=json.loads, default={},
                   help='post-processing overrides as JSON, e.g. \'{"min_episode_s": 30, "smooth_beats": 1}\'')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=ROOT / "reports" / "rhythm_stress.json")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    clf = RhythmClassifier.load(args.weights, **args.post)
    data_dir = args.data_dir or default_data_dir()
    report = run(clf, data_dir, args.hosts, kinds=args.kinds, ectopy=args.ectopy,
                 signal_hosts=args.signal_hosts, seed=args.seed, pool_records=args.pool)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, default=str))
    print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main()
