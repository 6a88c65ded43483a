"""Ectopic beat events: runs of V or S beats (pvc, couplet, vt, ivr; pac, sv_couplet, svt_run)
and the bigeminy / trigeminy patterns."""
from __future__ import annotations

import numpy as np

from ...signal.spans import runs
from .rules import duration_text, mean_rate


def ectopic_runs(samples, labels, fs, rules, ev, cls, skip, in_run, p_v=None):
    """pvc/couplet/vt/ivr (cls V) or pac/sv_couplet/svt_run (cls S) from runs of ``cls``.

    ``skip``: beats left out (V beats of bigeminy/trigeminy; S beats in AF).
    ``p_v``: probability of V per beat; a V run without ``run_min_beats``
    consecutive beats of ``p_v >= rules.vt_min_p`` is no VT: it is split at
    its doubtful beats into couplets and PVCs.
    """
    word = {"V": "ventricular", "S": "supraventricular"}[cls]
    starts, lens = runs(labels == cls)
    if cls == "S":  # a run that touches AF is no supraventricular ectopy
        cs = np.concatenate([[0], np.cumsum(skip)])
        keep = cs[starts + lens] == cs[starts]
        starts, lens = starts[keep], lens[keep]
    if cls == "V" and p_v is not None:
        starts, lens = _split_doubtful_runs(starts, lens, p_v >= rules.vt_min_p, rules.run_min_beats)
    # Isolated beats are most events in a long record: add them in one go.
    one = starts[(lens == 1) & ~skip[starts]]
    if cls == "V" or rules.report_pac:
        kind, text = ("pvc" if cls == "V" else "pac"), f"Isolated premature {word} beat"
        ev.extend((kind, x, x, 1, text) for x in samples[one].tolist())
    for s, n in zip(starts[lens > 1].tolist(), lens[lens > 1].tolist()):
        e = s + n - 1
        if n < rules.run_min_beats:
            ev.append(("couplet" if cls == "V" else "sv_couplet", samples[s], samples[e], int(n),
                       f"Couplet: {n} consecutive {word} beats"))
        else:
            in_run[s:e + 1] = True
            bpm = mean_rate(samples, s, e, fs)
            dur = (samples[e] - samples[s]) / fs
            if cls == "V":
                kind = "vt" if bpm >= rules.vt_min_bpm else "ivr"
            else:
                kind = "svt_run"
            head = "Sustained run" if dur >= rules.sustained_s else "Run"
            ev.append((kind, samples[s], samples[e], int(n),
                       f"{head} of {n} {word} beats at {bpm:.0f} bpm lasting {duration_text(dur)}"))


def _split_doubtful_runs(starts, lens, sure, min_beats):
    """Split each run (start, length) that has no ``min_beats`` consecutive ``sure`` beats
    at its doubtful beats: [V V v] -> [V V] + [v], so it is a couplet and a PVC, not a VT."""
    out_s, out_n = [], []
    for s0, n in zip(starts.tolist(), lens.tolist()):
        if n < min_beats:
            out_s.append(s0), out_n.append(n)
            continue
        ss, sn = runs(sure[s0:s0 + n])
        if len(sn) and sn.max() >= min_beats:
            out_s.append(s0), out_n.append(n)
            continue
        k = s0
        for a, m in zip((ss + s0).tolist(), sn.tolist()):
            out_s.extend(range(k, a)), out_n.extend([1] * (a - k))  # doubtful beats alone
            out_s.append(a), out_n.append(m)
            k = a + m
        out_s.extend(range(k, s0 + n)), out_n.extend([1] * (s0 + n - k))
    return np.asarray(out_s, np.int64), np.asarray(out_n, np.int64)


def patterns(samples, labels, fs, rules, ev) -> np.ndarray:
    """Bigeminy (V N V N V ...) and trigeminy (V N N V N N V ...); returns their V beats.

    A pattern is a chain of at least ``pattern_min_cycles`` isolated V beats
    (no V right before or after), each separated from the next by exactly one
    (bigeminy) or two (trigeminy) N beats, as the MIT-BIH annotators mark
    "(B" and "(T" episodes. The event starts at the N beat(s) before the first
    V when they are there, and ends at the last V.
    """
    used = np.zeros(len(samples), bool)
    cs = np.concatenate([[0], np.cumsum(labels == "N")])  # cs[b] - cs[a] = N beats in a..b-1
    v = np.flatnonzero(labels == "V")
    if len(v) < 2:
        return used
    gap = np.diff(v)
    isolated = np.concatenate([[True], gap > 1]) & np.concatenate([gap > 1, [True]])
    for kind, k in (("bigeminy", 1), ("trigeminy", 2)):
        # Link V m-1 -> V m: exactly k beats between them, all N, both V isolated.
        link = (gap == k + 1) & (cs[v[1:]] - cs[v[:-1] + 1] == k) & isolated[1:] & isolated[:-1]
        for a, n in zip(*runs(link)):
            chain = v[a:a + n + 1]  # link a joins V a and V a+1
            if len(chain) < rules.pattern_min_cycles:
                continue
            used[chain] = True
            lead_in = chain[0] >= k and cs[chain[0]] - cs[chain[0] - k] == k
            first, last = (chain[0] - k if lead_in else chain[0]), chain[-1]
            dur = (samples[last] - samples[first]) / fs
            every = "2nd" if k == 1 else "3rd"
            ev.append((kind, samples[first], samples[last], int(last - first + 1),
                       f"Ventricular {kind}: {len(chain)} ventricular beats, every {every} beat, at "
                       f"{mean_rate(samples, first, last, fs):.0f} bpm lasting {duration_text(dur)}"))
    return used
