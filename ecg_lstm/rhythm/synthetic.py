"""Synthetic RR sequences that widen DS1's two atrial fibrillation patients.

DS1 holds AF from two patients only (201, 203), both with fast, very
irregular ventricular response.  Training also sees simple generated rhythms,
so the model learns the textbook contrasts rather than those two patients:

- sinus: slowly drifting rate, respiratory sinus arrhythmia (up to +-15 %), small jitter;
- sinus with isolated ectopic beats: premature beat (coupling 55-85 % of the
  cycle) followed by a compensatory pause, never in bigeminal/trigeminal
  patterns (those are "OTHER" in MIT-BIH); labelled sinus, with the ectopic
  beats flagged when labels are used;
- AF: independent RR intervals around a rate of 55-150 bpm with a coefficient
  of variation of 10-35 % (irregularly irregular);
- paroxysms (:func:`paroxysms`): AF or atrial flutter with variable 2:1-4:1
  conduction spliced into the reference beats of a record without AF, 5 s to
  10 min each, so the model sees onsets and offsets inside real sinus rhythm
  and real ectopy, and learns where an episode starts and ends.  Only
  generated RR are spliced: real AF of one DS1 patient would leak into the
  folds that hold that patient out.

All intervals in seconds.
"""
from __future__ import annotations

import numpy as np

from .features import WINDOW, rhythm_inputs
from .labels import CLASS_INDEX

FS = 1000.0  # generated beat times are rounded to milliseconds


def sinus(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.uniform(0.5, 1.3)
    drift = np.cumsum(rng.normal(0, 0.004 * m, n))
    # Respiratory sinus arrhythmia up to +-15 %, breathing every 3-12 beats with
    # varying depth: marked sinus arrhythmia is a classic false AF alarm.
    depth = rng.uniform(0, 0.15) * (1 + 0.5 * np.sin(2 * np.pi * np.arange(n) / rng.uniform(30, 120)))
    rsa = depth * m * np.sin(2 * np.pi * np.arange(n) / rng.uniform(3, 12) + rng.uniform(0, 6.3))
    rr = m + drift - drift.mean() + rsa + rng.normal(0, rng.uniform(0.005, 0.03) * m, n)
    return np.clip(rr, 0.3, 2.0)


def with_ectopics(rng: np.random.Generator, rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isolated premature beats at least 4 beats apart; labels per beat (len(rr) + 1)."""
    rr = rr.copy()
    labels = np.full(len(rr) + 1, "N", dtype=object)
    p = rng.uniform(0.03, 0.12)
    i = int(rng.integers(2, 6))
    while i < len(rr) - 2:
        if rng.random() < p:
            c = rng.uniform(0.55, 0.85)
            kind = "V" if rng.random() < 0.5 else "S"
            pause = (2 - c) if kind == "V" else rng.uniform(1.0, 2 - c)
            rr[i], rr[i + 1] = c * rr[i], pause * rr[i + 1]
            labels[i + 1] = kind
            i += int(rng.integers(4, 12))
        else:
            i += 1
    return rr, labels


def atrial_fibrillation(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.uniform(0.4, 1.1)
    cv = rng.uniform(0.10, 0.35)
    return np.clip(m * rng.lognormal(-cv ** 2 / 2, cv, n), 0.25, 2.5)


def examples(n_each: int, seed: int = 0, n_beats: int = 300, window: int = WINDOW) -> dict:
    """``n_each`` sequences of each kind as training arrays (seq, feat, target)."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(n_each):
        for kind in ("sinus", "ectopic", "af"):
            if kind == "af":
                rr, labels, target = atrial_fibrillation(rng, n_beats), None, CLASS_INDEX["AFIB"]
            else:
                rr, labels, target = sinus(rng, n_beats), None, CLASS_INDEX["N"]
                if kind == "ectopic":
                    rr, labels = with_ectopics(rng, rr)
            if labels is None:
                labels = np.full(n_beats + 1, "N", dtype=object)
            peaks = np.round(np.cumsum(np.r_[1.0, rr]) * FS).astype(np.int64)
            seq, feat = rhythm_inputs(peaks, FS, labels if rng.random() < 0.5 else None, window)
            parts.append({"seq": seq, "feat": feat, "target": np.full(len(peaks), target, np.int64)})
    return {k: np.concatenate([p[k] for p in parts]) for k in ("seq", "feat", "target")}


def splice(beats_s: np.ndarray, classes: np.ndarray, onset_s: float, rr: np.ndarray, spliced=None):
    """Replace the beats after ``onset_s`` by beats at the ``rr`` intervals (classed "N"); the
    host resumes with its first beat at least 0.8 of its local RR after the last new beat.
    Returns (beat times, classes, spliced: True per new beat, carried over from ``spliced``)."""
    spliced = np.zeros(len(beats_s), bool) if spliced is None else spliced
    i = int(np.searchsorted(beats_s, onset_s))
    new = beats_s[i - 1] + np.cumsum(rr)
    local = np.median(np.diff(beats_s[max(i - 10, 0):i + 1])) if i > 1 else 0.8
    j = int(np.searchsorted(beats_s, new[-1] + 0.8 * local))
    return (np.r_[beats_s[:i], new, beats_s[j:]],
            np.r_[classes[:i], np.full(len(new), "N", dtype=object), classes[j:]],
            np.r_[spliced[:i], np.ones(len(new), bool), spliced[j:]])


def flutter_variable(rng: np.random.Generator, n: int) -> np.ndarray:
    """Atrial flutter, atrial cycle 0.18-0.26 s, conduction changing among 2:1, 3:1 and 4:1."""
    a = rng.uniform(0.18, 0.26)
    k = rng.integers(2, 5, n).astype(float)
    k[1:][rng.random(n - 1) > 0.35] = np.nan  # keep the previous ratio most of the time
    for i in range(1, n):
        k[i] = k[i - 1] if np.isnan(k[i]) else k[i]
    return k * a + rng.normal(0, 0.005, n)


def paroxysms(ref: dict, rng: np.random.Generator, per_10min: float = 2.0):
    """Reference beats of a record without AF with AF / flutter paroxysms spliced in at random
    onsets (5 s-10 min, log-uniform).  Returns (beat samples, beat classes, target: CLASS_INDEX
    of AFIB on spliced beats, -1 elsewhere so the caller takes the host's own rhythm)."""
    fs = ref["fs"]
    t, cls = ref["beats"] / fs, ref["beat_class"]
    af = np.zeros(len(t), bool)
    n = max(1, int(rng.poisson(per_10min * (t[-1] - t[0]) / 600.0)))
    for onset in np.sort(rng.uniform(t[0] + 5.0, t[-1] - 5.0, n))[::-1]:  # last first: earlier onsets stay valid
        dur = float(np.exp(rng.uniform(np.log(5.0), np.log(600.0))))
        if onset + dur > t[-1] - 5.0 or af[np.searchsorted(t, onset):np.searchsorted(t, onset + dur + 2)].any():
            continue
        m = int(dur / 0.3) + 10
        rr = atrial_fibrillation(rng, m) if rng.random() < 0.8 else flutter_variable(rng, m)
        rr = rr[:max(int(np.searchsorted(np.cumsum(rr), dur)), 2)]
        t, cls, af = splice(t, cls, onset, rr, af)
    target = np.where(af, CLASS_INDEX["AFIB"], -1)
    return np.round(t * fs).astype(np.int64), cls, target
