"""The event families called one by one on hand-made beat sequences: ectopic runs and patterns
(ecg_lstm.findings.events.ectopy), rate events and AV block (ecg_lstm.findings.events.rates), and
the entry point that combines them (ecg_lstm.findings.events.detect), which must agree."""
import numpy as np
import pandas as pd
import pytest

from ecg_lstm.findings.events.detect import detect_events
from ecg_lstm.findings.events.ectopy import ectopic_runs, patterns
from ecg_lstm.findings.events.rates import av_block, rate_events
from ecg_lstm.findings.events.rules import EventRules

FS = 360
RULES = EventRules()


def seq(labels, rr_s=0.8, start=100):
    """(samples, labels) from a label string (one char per beat) and RR in s (scalar or per interval)."""
    rr = np.broadcast_to(np.asarray(rr_s, float), (max(len(labels) - 1, 0),))
    samples = start + np.round(np.concatenate([[0.0], np.cumsum(rr)]) * FS).astype(np.int64)
    return samples[:len(labels)], np.array(list(labels), dtype=str)


def none(n):
    return np.zeros(n, bool)


def kinds(ev):
    return [e[0] for e in ev]


# -- ectopy: runs ----------------------------------------------------------------------------------

def test_ventricular_runs_by_length_and_in_run_mask():
    """1 V -> pvc, 2 -> couplet, 5 at 120 bpm -> vt; only the VT's beats are marked in_run."""
    s, lab = seq("NNNVNNNNVVNNNNVVVVVNNN", rr_s=0.5)
    ev, in_run = [], none(len(s))
    ectopic_runs(s, lab, FS, RULES, ev, "V", none(len(s)), in_run)
    assert [(k, a, b, n) for k, a, b, n, _ in ev] == [("pvc", s[3], s[3], 1), ("couplet", s[8], s[9], 2),
                                                      ("vt", s[14], s[18], 5)]
    assert np.flatnonzero(in_run).tolist() == [14, 15, 16, 17, 18]
    assert ev[2][4] == "Run of 5 ventricular beats at 120 bpm lasting 2.0 s"


def test_slow_ventricular_run_is_ivr():
    s, lab = seq("NNVVVVNN", rr_s=1.0)  # 60 bpm < vt_min_bpm
    ev = []
    ectopic_runs(s, lab, FS, RULES, ev, "V", none(len(s)), none(len(s)))
    assert kinds(ev) == ["ivr"] and ev[0][3] == 4


def test_skipped_v_beats_are_not_pvcs():
    """V beats already in a bigeminy/trigeminy (``skip``) are not listed again as PVCs."""
    s, lab = seq("NVNNVNNNVN")
    skip = none(len(s))
    skip[[1, 4]] = True
    ev = []
    ectopic_runs(s, lab, FS, RULES, ev, "V", skip, none(len(s)))
    assert [(k, a) for k, a, *_ in ev] == [("pvc", s[8])]


@pytest.mark.parametrize("p,want", [
    ([0.95, 0.95, 0.5], [("couplet", 2, 3), ("pvc", 4, 4)]),   # [V V v] -> couplet + PVC
    ([0.5, 0.95, 0.95], [("pvc", 2, 2), ("couplet", 3, 4)]),   # [v V V] -> PVC + couplet
    ([0.9, 0.86, 0.99], [("vt", 2, 4)]),                       # all sure: a VT
])
def test_doubtful_v_beats_split_a_run(p, want):
    """A V run is a VT only with run_min_beats consecutive beats of p_V >= vt_min_p (0.85)."""
    s, lab = seq("NNVVVNN", rr_s=0.45)
    p_v = np.r_[1.0, 1.0, p, 1.0, 1.0]
    ev = []
    ectopic_runs(s, lab, FS, RULES, ev, "V", none(len(s)), none(len(s)), p_v)
    got = sorted((k, a, b) for k, a, b, *_ in ev)
    assert got == sorted((k, s[i], s[j]) for k, i, j in want)


def test_supraventricular_runs_and_af_skip():
    """S runs: pac, sv_couplet, svt_run; a run touching AF (``skip``) is no S ectopy at all."""
    s, lab = seq("NNSNNNSSNNNSSSSNN", rr_s=0.5)
    ev, in_run = [], none(len(s))
    ectopic_runs(s, lab, FS, RULES, ev, "S", none(len(s)), in_run)
    assert [(k, a, b, n) for k, a, b, n, _ in ev] == [("pac", s[2], s[2], 1), ("sv_couplet", s[6], s[7], 2),
                                                      ("svt_run", s[11], s[14], 4)]
    assert np.flatnonzero(in_run).tolist() == [11, 12, 13, 14]
    in_af = none(len(s))
    in_af[13:] = True  # AF from the middle of the svt run on
    ev = []
    ectopic_runs(s, lab, FS, RULES, ev, "S", in_af, none(len(s)))
    assert kinds(ev) == ["pac", "sv_couplet"]
    ev = []
    ectopic_runs(s, lab, FS, EventRules(report_pac=False), ev, "S", none(len(s)), none(len(s)))
    assert kinds(ev) == ["sv_couplet", "svt_run"]


# -- ectopy: patterns ------------------------------------------------------------------------------

def test_bigeminy_pattern():
    """V N V N V N V after N beats: one bigeminy from the N before the first V to the last V;
    its V beats are returned so they are not PVCs too."""
    s, lab = seq("NNN" + "NV" * 4 + "NN")
    ev = []
    used = patterns(s, lab, FS, RULES, ev)
    assert np.flatnonzero(used).tolist() == [4, 6, 8, 10]
    assert [(k, a, b, n) for k, a, b, n, _ in ev] == [("bigeminy", s[3], s[10], 8)]
    assert ev[0][4].startswith("Ventricular bigeminy: 4 ventricular beats, every 2nd beat, at 75 bpm")


def test_trigeminy_pattern():
    s, lab = seq("N" + "NNV" * 3 + "N")
    ev = []
    used = patterns(s, lab, FS, RULES, ev)
    assert np.flatnonzero(used).tolist() == [3, 6, 9]
    assert [(k, a, b, n) for k, a, b, n, _ in ev] == [("trigeminy", s[1], s[9], 9)]


def test_pattern_starting_with_v_has_no_lead_in():
    s, lab = seq("VNVNVNN")
    ev = []
    patterns(s, lab, FS, RULES, ev)
    assert [(k, a, b, n) for k, a, b, n, _ in ev] == [("bigeminy", s[0], s[4], 5)]


@pytest.mark.parametrize("labels", ["NVNVNN", "NVNVVNVNN", "NVNSNVNN", "NNNNN", ""])
def test_no_pattern(labels):
    """Too few cycles, a couplet breaking the chain, an S beat in place of an N, no V, no beats."""
    s, lab = seq(labels)
    ev = []
    used = patterns(s, lab, FS, RULES, ev)
    assert ev == [] and not used.any() and used.shape == (len(labels),)


def test_pattern_min_cycles_rule():
    s, lab = seq("NVNVNN")
    ev = []
    patterns(s, lab, FS, EventRules(pattern_min_cycles=2), ev)
    assert kinds(ev) == ["bigeminy"]


# -- rates -----------------------------------------------------------------------------------------

def _rates(rr, in_run=None, noisy=None, rules=RULES):
    s, _ = seq("N" * (len(rr) + 1), rr_s=rr)
    ev = []
    rate_events(s, FS, rules, ev, none(len(s)) if in_run is None else in_run, noisy)
    return s, ev


def test_pause_between_its_two_beats():
    rr = [0.8] * 10 + [2.5] + [0.8] * 10
    s, ev = _rates(rr)
    assert [(k, a, b, n) for k, a, b, n, _ in ev] == [("pause", s[10], s[11], 2)]
    assert ev[0][4] == "Pause of 2.5 s"
    _, ev = _rates(rr, rules=EventRules(pause_s=3.0))
    assert ev == []


def test_bradycardia_spans_exactly_the_slow_intervals():
    """12 intervals of 1.5 s (40 bpm) between 0.8 s ones: with a 5-beat median, the episode is
    the 13 beats around the slow intervals, 18 s."""
    rr = [0.8] * 10 + [1.5] * 12 + [0.8] * 10
    s, ev = _rates(rr)
    assert [(k, a, b, n) for k, a, b, n, _ in ev] == [("bradycardia", s[10], s[22], 13)]
    assert ev[0][4] == "Bradycardia: 40 bpm average (below 50 bpm) for 18.0 s"


def test_short_bradycardia_is_not_sustained():
    rr = [0.8] * 10 + [1.5] * 5 + [0.8] * 10  # 7.5 s < rate_min_s
    _, ev = _rates(rr)
    assert ev == []


def test_gaps_beyond_3_s_are_pauses_not_bradycardia():
    rr = [0.8] * 10 + [4.0] * 5 + [0.8] * 10
    s, ev = _rates(rr)
    assert kinds(ev) == ["pause"] * 5
    assert [a for _, a, *_ in ev] == s[10:15].tolist()


def test_tachycardia_and_ectopic_runs():
    """30 intervals at 0.5 s (120 bpm) are tachycardia, unless they lie in a VT/SVT run."""
    rr = [0.5] * 30
    s, ev = _rates(rr)
    assert [(k, a, b, n) for k, a, b, n, _ in ev] == [("tachycardia", s[0], s[30], 31)]
    _, ev = _rates(rr, in_run=np.ones(31, bool))
    assert ev == []


def test_rate_events_in_noise_are_dropped():
    noisy = np.ones(33, bool)
    _, ev = _rates([0.8] * 10 + [1.5] * 12 + [0.8] * 10, noisy=noisy)
    assert ev == []
    noisy = np.zeros(22, bool)
    noisy[11] = True  # the beat after the pause
    _, ev = _rates([0.8] * 10 + [2.5] + [0.8] * 10, noisy=noisy)
    assert ev == []


def test_rate_events_need_two_beats():
    ev = []
    rate_events(np.array([100]), FS, RULES, ev, none(1), None)
    assert ev == []


# -- rates: AV block -------------------------------------------------------------------------------

def _block_seq(rr, labels=None):
    s, lab = seq(labels or "N" * (len(rr) + 1), rr_s=rr)
    return s, lab


def test_av_block_three_dropped_beats():
    """Intervals of twice the 0.8 s cycle (ratio 2.0) are dropped beats; 3 within 20 s make one
    event from the first dropped interval's start to the last one's end."""
    rr = [0.8] * 8 + [1.6, 0.8, 1.6, 0.8, 1.6] + [0.8] * 5
    s, lab = _block_seq(rr)
    ev = []
    av_block(s, lab, FS, RULES, ev, none(len(s)))
    assert [(k, a, b, n) for k, a, b, n, _ in ev] == [("av_block2", s[8], s[13], 6)]
    assert ev[0][4].startswith("Second-degree AV block pattern: 3 dropped beats")


def test_av_block_needs_three_dropped_beats_close_together():
    rr = [0.8] * 8 + [1.6, 0.8, 1.6] + [0.8] * 8
    s, lab = _block_seq(rr)
    ev = []
    av_block(s, lab, FS, RULES, ev, none(len(s)))
    assert ev == []
    # three dropped beats, but 30 s of sinus rhythm between the second and third
    rr = [0.8] * 8 + [1.6, 0.8, 1.6] + [0.8] * 38 + [1.6] + [0.8] * 5
    s, lab = _block_seq(rr)
    av_block(s, lab, FS, RULES, ev, none(len(s)))
    assert ev == []


def test_av_block_long_2_to_1_block_stays_a_block():
    """In 2:1 block every interval is doubled: each adds half its length to the running cycle,
    so the block does not become the new normal: all 10 are dropped beats."""
    rr = [0.8] * 8 + [1.6] * 10 + [0.8] * 4
    s, lab = _block_seq(rr)
    ev = []
    av_block(s, lab, FS, RULES, ev, none(len(s)))
    assert len(ev) == 1 and ev[0][4].startswith("Second-degree AV block pattern: 10 dropped beats")
    assert (ev[0][1], ev[0][2]) == (s[8], s[18])


def test_av_block_skips_ectopic_and_excluded_intervals():
    """A long interval after a V beat is a compensatory pause, not a dropped beat; AF or noise
    (``excluded``) hides the intervals too."""
    rr = [0.8] * 8 + [1.6, 0.8, 1.6, 0.8, 1.6] + [0.8] * 5
    labels = "N" * 9 + "V" + "N" * 9  # beat 9 ends the first long interval
    s, lab = _block_seq(rr, labels)
    ev = []
    av_block(s, lab, FS, RULES, ev, none(len(s)))
    assert ev == []  # only 2 dropped beats left
    s, lab = _block_seq(rr)
    excluded = none(len(s))
    excluded[12] = True
    av_block(s, lab, FS, RULES, ev, excluded)
    assert ev == []


# -- detect_events combines them -------------------------------------------------------------------

def _families(samples, labels, rules=RULES):
    """The families called in turn as detect_events documents: patterns first (their V beats are
    skipped by the V runs), V runs, S runs, rate events (without intervals in runs), AV block."""
    ev, in_run = [], none(len(samples))
    pattern_v = patterns(samples, labels, FS, rules, ev)
    ectopic_runs(samples, labels, FS, rules, ev, "V", pattern_v, in_run, np.ones(len(samples)))
    ectopic_runs(samples, labels, FS, rules, ev, "S", none(len(samples)), in_run)
    rate_events(samples, FS, rules, ev, in_run, None)
    av_block(samples, labels, FS, rules, ev, none(len(samples)))
    return sorted((k, int(a), int(b), int(n), d) for k, a, b, n, d in ev)


@pytest.mark.parametrize("labels,rr", [
    ("NNN" + "NV" * 4 + "NNNVNNNVVNNNSNNSSSSNN", 0.8),
    ("N" * 10 + "VVVVV" + "N" * 30, 0.45),                         # VT inside tachycardia
    ("N" * 40, [0.8] * 8 + [1.6, 0.8, 1.6, 0.8, 1.6] + [0.8] * 10 + [2.5] + [1.5] * 12 + [0.8] * 3),
])
def test_detect_events_agrees_with_the_families(labels, rr):
    s, lab = seq(labels, rr_s=rr)
    want = _families(s, lab)
    assert want  # each sequence has events to compare
    got = detect_events(pd.DataFrame({"sample": s, "label": list(labels)}), FS)
    got = sorted(zip(got["type"], got["start_sample"].astype(int), got["end_sample"].astype(int),
                     got["n_beats"].astype(int), got["description"]))
    assert got == want
