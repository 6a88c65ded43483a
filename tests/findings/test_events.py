"""Arrhythmia event rules (ecg_lstm.findings.events)."""
import functools

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.errors import RecordError, SamplingRateError
from ecg_lstm.findings.events import COLUMNS, EVENT_TYPES, EventRules, detect_events

FS = 360
AAMI = {**dict.fromkeys("NLRej", "N"), **dict.fromkeys("AaJS", "S"), "V": "V", "E": "V", "F": "F",
        **dict.fromkeys("/fQ", "Q")}


def beats(labels, rr_s=0.8, start=100):
    """Beat table from a label string (one char per beat) and RR (s, scalar or per interval)."""
    rr = np.broadcast_to(np.asarray(rr_s, float), (max(len(labels) - 1, 0),))
    samples = start + np.round(np.concatenate([[0.0], np.cumsum(rr)]) * FS).astype(np.int64)
    return pd.DataFrame({"sample": samples[:len(labels)], "label": list(labels)})


def of(ev, kind):
    return ev[ev["type"] == kind].reset_index(drop=True)


def test_columns_order_and_empty():
    ev = detect_events(beats("NNNNNNNN"), FS)
    assert list(ev.columns) == COLUMNS and len(ev) == 0
    ev = detect_events(pd.DataFrame({"sample": [], "label": []}), FS)
    assert list(ev.columns) == COLUMNS and len(ev) == 0
    seq = "NNNNVNNVVNNNSNNNNVVVNN"
    ev = detect_events(beats(seq), FS)
    assert ev["start_sample"].is_monotonic_increasing
    assert set(ev["type"]) <= set(EVENT_TYPES)
    assert (ev["start_s"] == ev["start_sample"] / FS).all() and (ev["end_s"] == ev["end_sample"] / FS).all()


def test_ventricular_runs_by_length():
    b = beats("NNNVNNNNVVNNNNVVVVVNNN", rr_s=0.5)  # 120 bpm
    ev = detect_events(b, FS)
    s = b["sample"].to_numpy()
    assert list(ev["type"]) == ["pvc", "couplet", "vt"]  # a VT run is not also PVCs/couplets
    assert (ev["start_sample"].tolist(), ev["end_sample"].tolist()) == ([s[3], s[8], s[14]], [s[3], s[9], s[18]])
    assert ev["n_beats"].tolist() == [1, 2, 5]
    assert ev["description"][2] == "Run of 5 ventricular beats at 120 bpm lasting 2.0 s"


def test_slow_ventricular_run_is_ivr_and_long_run_sustained():
    ev = detect_events(beats("NN" + "V" * 6 + "NN", rr_s=1.0), FS)  # 60 bpm
    assert list(ev["type"]) == ["ivr"]
    ev = detect_events(beats("NN" + "V" * 80 + "NN", rr_s=0.4), FS)  # 150 bpm, 31.6 s
    vt = of(ev, "vt")
    assert len(vt) == 1 and vt["n_beats"][0] == 80
    assert vt["description"][0].startswith("Sustained run of 80 ventricular beats at 150 bpm")
    assert len(of(ev, "tachycardia")) == 0  # VT intervals are not counted as tachycardia


def test_supraventricular_runs():
    b = beats("NNSNNNSSNNNSSSSNN", rr_s=0.5)
    ev = detect_events(b, FS)
    assert list(ev["type"]) == ["pac", "sv_couplet", "svt_run"]
    assert ev["n_beats"].tolist() == [1, 2, 4]
    assert ev["start_sample"][2] == b["sample"][11] and ev["end_sample"][2] == b["sample"][14]
    assert list(detect_events(b, FS, rules=EventRules(report_pac=False))["type"]) == ["sv_couplet", "svt_run"]


def test_bigeminy_absorbs_its_pvcs():
    seq = "NNN" + "NV" * 4 + "NNN" + "NV" * 2 + "NN"  # 4 cycles, then only 2 (too few)
    b = beats(seq)
    s = b["sample"].to_numpy()
    ev = detect_events(b, FS)
    big = of(ev, "bigeminy")
    assert len(big) == 1
    assert big["start_sample"][0] == s[3] and big["end_sample"][0] == s[10] and big["n_beats"][0] == 8
    assert big["description"][0].startswith("Ventricular bigeminy: 4 ventricular beats, every 2nd beat")
    # PVCs inside the bigeminy are not listed again; the 2-cycle tail gives 2 PVCs.
    assert of(ev, "pvc")["start_sample"].tolist() == [s[15], s[17]]


def test_bigeminy_first_v_without_cycle_and_broken_chain():
    # S before the first V: the episode starts at that V, which still counts.
    seq = "NNSV" + "NV" * 3 + "NN"
    b = beats(seq)
    big = of(detect_events(b, FS), "bigeminy")
    assert len(big) == 1 and big["start_sample"][0] == b["sample"][3] and big["n_beats"][0] == 7
    assert "4 ventricular beats" in big["description"][0]
    # Three V beats one N apart are enough (the MIT-BIH "(B" convention).
    assert list(detect_events(beats("NNVNVNVNN"), FS)["type"]) == ["bigeminy"]
    # A couplet breaks the pattern: its V beats belong to no cycle, so the two
    # cycles before it stay PVCs and the four after it are bigeminy.
    seq = "N" + "NV" * 3 + "VNV" + "NV" * 3 + "N"
    b = beats(seq)
    ev = detect_events(b, FS)
    assert list(ev["type"]) == ["pvc", "pvc", "couplet", "bigeminy"]
    assert of(ev, "bigeminy")["start_sample"][0] == b["sample"][8]


def test_trigeminy():
    seq = "N" + "NNV" * 5 + "NNNN"
    b = beats(seq)
    ev = detect_events(b, FS)
    tri = of(ev, "trigeminy")
    assert list(ev["type"]) == ["trigeminy"]
    assert tri["start_sample"][0] == b["sample"][1] and tri["end_sample"][0] == b["sample"][15]
    assert tri["n_beats"][0] == 15 and "5 ventricular beats, every 3rd" in tri["description"][0]
    assert len(of(detect_events(beats("N" + "NNV" * 2 + "NN"), FS), "trigeminy")) == 0
    # A couplet is not part of the pattern; the trigeminy resumes after it.
    ev = detect_events(beats("NNVVNNVNNVNNVNN"), FS)
    assert list(ev["type"]) == ["couplet", "trigeminy"] and ev["n_beats"].tolist() == [2, 9]
    # An S beat between breaks the pattern.
    assert len(of(detect_events(beats("NNVNNVNSVNNVNN"), FS), "trigeminy")) == 0


def test_pause_threshold_configurable():
    rr = [0.8] * 10 + [2.5] + [0.8] * 5 + [1.9] + [0.8] * 5
    b = beats("N" * 23, rr_s=rr)
    ev = detect_events(b, FS)
    p = of(ev, "pause")
    assert len(p) == 1 and p["start_sample"][0] == b["sample"][10] and p["end_sample"][0] == b["sample"][11]
    assert p["description"][0] == "Pause of 2.5 s"
    assert len(of(detect_events(b, FS, rules=EventRules(pause_s=1.5)), "pause")) == 2


def test_bradycardia_sustained_only():
    rr = [0.8] * 20 + [1.5] * 12 + [0.8] * 20 + [1.5] * 5 + [0.8] * 10  # 18 s then 7.5 s at 40 bpm
    b = beats("N" * (len(rr) + 1), rr_s=rr)
    ev = detect_events(b, FS)
    br = of(ev, "bradycardia")
    # An abrupt step from 75 to 40 bpm is, in RR alone, what 2:1 AV block looks like: both are reported.
    assert len(br) == 1 and list(ev["type"]) == ["bradycardia", "av_block2"]
    assert of(ev, "av_block2")["start_sample"][0] == b["sample"][20]
    # The centred 5-interval median follows a step in rate exactly.
    assert br["start_sample"][0] == b["sample"][20] and br["end_sample"][0] == b["sample"][32]
    assert br["n_beats"][0] == 13
    assert "40 bpm" in br["description"][0]
    assert len(of(detect_events(b, FS, rules=EventRules(rate_min_s=5.0)), "bradycardia")) == 2
    # A long stretch without beats (signal loss) is a pause, not bradycardia.
    b = beats("N" * 24, rr_s=[0.8] * 10 + [30.0, 4.0, 30.0] + [0.8] * 10)
    assert list(detect_events(b, FS)["type"]) == ["pause", "pause", "pause"]


def test_tachycardia_robust_to_single_ectopic_beat():
    rr = [0.8] * 10 + [0.5] * 15 + [0.3, 0.7] + [0.5] * 15 + [0.8] * 10  # PVC with compensatory pause
    labels = "N" * 26 + "V" + "N" * 26
    b = beats(labels, rr_s=rr)
    ev = detect_events(b, FS)
    ta = of(ev, "tachycardia")
    assert len(ta) == 1 and ta["n_beats"][0] >= 30
    assert len(of(ev, "pvc")) == 1  # the PVC is still reported in its own right
    assert len(of(detect_events(b, FS, rules=EventRules(tachy_bpm=130)), "tachycardia")) == 0


def test_rate_events_dropped_in_noise():
    rr = [0.8] * 10 + [3.0] + [0.8] * 10
    b = beats("N" * 22, rr_s=rr)
    s = b["sample"].to_numpy()
    q = pd.DataFrame({"start_sample": [s[9]], "end_sample": [s[12]], "noisy": [True]})
    assert len(detect_events(b, FS, peaks_quality=q)) == 0
    q["noisy"] = False
    assert list(detect_events(b, FS, peaks_quality=q)["type"]) == ["pause"]


def test_rhythm_episodes_pass_through():
    b = beats("N" * 100, rr_s=0.6)
    eps = pd.DataFrame({"label": ["N", "AFIB", "AFL", "OTHER"], "start_sample": [0, 3600, 10800, 18000],
                        "end_sample": [3600, 10800, 18000, 21000], "confidence": 0.9})
    ev = detect_events(b, FS, rhythm_episodes=eps)
    assert list(ev["type"]) == ["afib", "aflutter"]
    assert ev["start_sample"].tolist() == [3600, 10800] and ev["end_sample"].tolist() == [10800, 18000]
    assert ev["start_s"].tolist() == [10.0, 30.0]
    assert ev["description"][0].startswith("Atrial fibrillation for 20.0 s")
    assert ev["n_beats"][0] == int(((b["sample"] >= 3600) & (b["sample"] <= 10800)).sum())


def test_unlabelled_beats_give_only_rate_events():
    b = beats("N" * 40, rr_s=[0.8] * 20 + [2.4] + [0.8] * 18).drop(columns="label")
    assert list(detect_events(b, FS)["type"]) == ["pause"]


@pytest.mark.parametrize("bad", [
    pd.DataFrame({"sample": [300, 100], "label": ["N", "N"]}),
    pd.DataFrame({"sample": [100, 100], "label": ["N", "N"]}),
    pd.DataFrame({"position": [1, 2]}),
    [100, 200],
])
def test_bad_beats(bad):
    with pytest.raises(RecordError):
        detect_events(bad, FS)


def test_bad_fs():
    with pytest.raises(SamplingRateError):
        detect_events(beats("NNN"), 0)


# --- MIT-BIH: reference beats and rhythm annotations --------------------------------------------

@functools.lru_cache(maxsize=8)
def reference(mitdb_dir, record):
    """Reference beats (AAMI classes) and rhythm episodes from the .atr aux notes."""
    wfdb = pytest.importorskip("wfdb")
    ann = wfdb.rdann(str(mitdb_dir / record), "atr")
    sym = np.asarray(ann.symbol)
    keep = np.isin(sym, list(AAMI))
    b = pd.DataFrame({"sample": ann.sample[keep], "label": [AAMI[s] for s in sym[keep]]})
    n = wfdb.rdheader(str(mitdb_dir / record)).sig_len
    marks = [(s, a.strip("\x00 ").lstrip("(")) for s, a, y in zip(ann.sample, ann.aux_note, sym)
             if y == "+" and a.startswith("(")]
    ends = [m[0] for m in marks[1:]] + [n]
    eps = pd.DataFrame([(lab, s, e) for (s, lab), e in zip(marks, ends)],
                       columns=["label", "start_sample", "end_sample"])
    return b, eps, n


def coverage(ev, eps, ref_label, types, n):
    """Share of reference-episode time covered by detected events, and episodes hit."""
    det = np.zeros(n + 1, bool)
    for a, b in zip(*(ev.loc[ev["type"].isin(types), c] for c in ("start_sample", "end_sample"))):
        det[a:b + 1] = True
    ref = eps[eps["label"] == ref_label]
    total = (ref["end_sample"] - ref["start_sample"]).sum()
    covered = sum(det[a:b].sum() for a, b in zip(ref["start_sample"], ref["end_sample"]))
    hits = sum(det[a:b].any() for a, b in zip(ref["start_sample"], ref["end_sample"]))
    return covered / total, hits, len(ref)


@pytest.mark.parametrize("record,ref_label,types,min_cov,min_hit", [
    ("119", "B", ["bigeminy"], 0.85, 1.0),
    ("119", "T", ["trigeminy"], 0.85, 1.0),
    ("208", "T", ["trigeminy"], 0.8, 1.0),
    ("203", "VT", ["vt", "ivr"], 0.5, 1.0),   # reference VT lasts to the next rhythm mark; ours to the last V
    ("207", "VT", ["vt", "ivr"], 0.5, 1.0),
    ("209", "SVTA", ["svt_run"], 0.85, 1.0),
])
def test_reference_episodes_are_detected(mitdb_dir, record, ref_label, types, min_cov, min_hit):
    b, eps, n = reference(mitdb_dir, record)
    ev = detect_events(b, FS)
    cov, hits, total = coverage(ev, eps, ref_label, types, n)
    assert total > 0
    assert cov >= min_cov, f"{record} {ref_label}: {cov:.0%} of reference time covered"
    assert hits >= min_hit * total


def test_bigeminy_precision_on_119(mitdb_dir):
    b, eps, n = reference(mitdb_dir, "119")
    ev = detect_events(b, FS)
    ref = np.zeros(n + 1, bool)
    for a, e in zip(*(eps.loc[eps["label"] == "B", c] for c in ("start_sample", "end_sample"))):
        ref[a:e + 1] = True
    big = of(ev, "bigeminy")
    inside = sum(ref[a:e + 1].mean() for a, e in zip(big["start_sample"], big["end_sample"]))
    assert inside / len(big) > 0.9  # detected bigeminy lies within reference (B episodes


def test_pauses_on_232(mitdb_dir):
    b, _, _ = reference(mitdb_dir, "232")
    rr = np.diff(b["sample"].to_numpy()) / FS
    p = of(detect_events(b, FS), "pause")
    assert len(p) == int((rr > 2.0).sum()) > 50
    longest = ((p["end_sample"] - p["start_sample"]) / FS).max()
    assert 5.5 < longest < 6.5  # 232 has pauses of up to ~6 s


@pytest.mark.parametrize("record", ["201", "203"])
def test_afib_pass_through(mitdb_dir, record):
    b, eps, n = reference(mitdb_dir, record)
    ev = detect_events(b, FS, rhythm_episodes=eps)
    af = of(ev, "afib")
    ref = eps[eps["label"] == "AFIB"].reset_index(drop=True)
    assert len(af) == len(ref) > 0
    assert af["start_sample"].tolist() == ref["start_sample"].tolist()
    assert af["end_sample"].tolist() == ref["end_sample"].tolist()


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@hypothesis.settings(max_examples=80, deadline=None)
@hypothesis.given(st.text(alphabet="NNNNSVVF", min_size=0, max_size=300))
def test_every_v_beat_reported_exactly_once(seq):
    b = beats(seq, rr_s=0.7)
    ev = detect_events(b, FS)
    lab = b["label"].to_numpy()
    s = b["sample"].to_numpy()
    seen = np.zeros(len(b), int)
    for kind, a, e in zip(ev["type"], ev["start_sample"], ev["end_sample"]):
        if kind in ("pvc", "couplet", "vt", "ivr", "bigeminy", "trigeminy"):
            inside = (s >= a) & (s <= e) & (lab == "V")
            seen += inside
    assert (seen[lab == "V"] == 1).all()  # no V beat missed, none in two events
    assert ev["start_sample"].is_monotonic_increasing
