"""Arrhythmia events from labelled beats: ectopic runs, patterns, pauses, rates.

:func:`detect_events` turns a beat table (positions + N/S/V/F/Q labels) and,
optionally, rhythm episodes into a table of clinician-readable events. The
rules and thresholds live in :class:`EventRules`.

Event types (stable ids, see :data:`EVENT_TYPES`) and how overlaps are resolved:

* Runs of consecutive V beats are classified by length: 1 -> ``pvc``,
  2 -> ``couplet``, >= 3 -> ``vt`` (or ``ivr`` when slower than 100 bpm), so
  a run is never also reported as PVCs or couplets.
* ``bigeminy`` (>= 3 isolated V beats each one N beat apart: V N V N V) and
  ``trigeminy`` (each two N beats apart: V N N V N N V) absorb the PVCs they
  are made of: those PVCs are not listed as separate ``pvc`` events (the
  vitals' beat counts still count every V beat).
* Runs of S beats likewise: 1 -> ``pac``, 2 -> ``sv_couplet``, >= 3 -> ``svt_run``.
* Rate events (``bradycardia``, ``tachycardia``, ``pause``) come from RR
  intervals; tachycardia does not count intervals inside VT/IVR or SVT runs
  (those already are rate events), and bradycardia does not count gaps
  longer than 3 s (no beats found: signal loss or flutter waves; such a gap
  is reported as a ``pause`` only). Rate events are rate-only: tachycardia
  during atrial fibrillation is reported as well as the ``afib`` episode.
  With a quality table, rate events lying in noisy signal are dropped
  (missed or extra beats there are artefacts).
* ``afib`` / ``aflutter`` pass rhythm episodes through with their times.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from .errors import RecordError
from .validation import check_fs
from .hrv import RR_MAX_S

COLUMNS = ["type", "start_sample", "end_sample", "start_s", "end_s", "n_beats", "description"]

#: Event type id -> plain-words meaning.
EVENT_TYPES = {
    "pvc": "isolated premature ventricular beat",
    "couplet": "two consecutive ventricular beats",
    "vt": "ventricular tachycardia: run of >= 3 ventricular beats at >= 100 bpm",
    "ivr": "idioventricular rhythm: run of >= 3 ventricular beats below 100 bpm",
    "bigeminy": "ventricular bigeminy: >= 3 isolated ventricular beats, each one normal beat apart",
    "trigeminy": "ventricular trigeminy: >= 3 isolated ventricular beats, each two normal beats apart",
    "pac": "isolated premature supraventricular beat",
    "sv_couplet": "two consecutive supraventricular beats",
    "svt_run": "supraventricular run: >= 3 consecutive supraventricular beats",
    "pause": "RR interval longer than the pause threshold",
    "bradycardia": "heart rate below the bradycardia threshold, sustained",
    "tachycardia": "heart rate above the tachycardia threshold, sustained",
    "afib": "atrial fibrillation (rhythm episode)",
    "aflutter": "atrial flutter (rhythm episode)",
}

#: Rhythm-episode labels passed through as events.
RHYTHM_EVENTS = {"AFIB": "afib", "AF": "afib", "AFL": "aflutter", "AFLUTTER": "aflutter"}


@dataclass(frozen=True)
class EventRules:
    """Thresholds of :func:`detect_events` (defaults follow common Holter conventions).

    * ``pause_s`` = 2.0: pauses are RR intervals > 2.0 s (the usual Holter
      report threshold; 3.0 s is the common "significant pause" limit).
    * ``brady_bpm`` = 50 / ``tachy_bpm`` = 100 (AHA/ACC/HRS 2018 bradycardia
      guideline: sinus bradycardia < 50 bpm; tachycardia > 100 bpm), each
      sustained for ``rate_min_s`` = 10 s and ``rate_min_beats`` = 4 beats.
      HR is 60 / median of ``rate_median_beats`` = 5 centred RR intervals,
      so one early beat or compensatory pause neither starts nor breaks an episode.
    * ``run_min_beats`` = 3: three or more consecutive ectopic beats form a run
      (VT / SVT run); ``vt_min_bpm`` = 100: slower ventricular runs are ``ivr``.
      ``sustained_s`` = 30: runs at least this long are called sustained.
    * ``pattern_min_cycles`` = 3: bigeminy / trigeminy need three ventricular
      beats in pattern (V N V N V; V N N V N N V).
    * ``report_pac``: list isolated S beats as ``pac`` events.
    * ``noisy_overlap`` = 0.5: bradycardia / tachycardia with more than this
      share of their beats in noisy quality windows are dropped; a pause is
      dropped when either beat around it is in a noisy window.
    * ``sustained_s`` and the 30-s sustained-VT limit, 3-beat runs and 2-s pauses
      are the conventions of ambulatory ECG reporting (ACC/AHA 1999 guidelines
      for ambulatory electrocardiography; ISHNE-HRS 2017 expert consensus on
      ambulatory ECG monitoring).
    """

    pause_s: float = 2.0
    brady_bpm: float = 50.0
    tachy_bpm: float = 100.0
    rate_min_s: float = 10.0
    rate_min_beats: int = 4
    rate_median_beats: int = 5
    run_min_beats: int = 3
    vt_min_bpm: float = 100.0
    sustained_s: float = 30.0
    pattern_min_cycles: int = 3
    report_pac: bool = True
    noisy_overlap: float = 0.5


def detect_events(beats: pd.DataFrame, fs: float, rhythm_episodes: pd.DataFrame | None = None,
                  peaks_quality: pd.DataFrame | None = None, rules: EventRules | None = None) -> pd.DataFrame:
    """Arrhythmia events in a labelled beat sequence.

    Parameters
    ----------
    beats : DataFrame with ``sample`` (int, strictly increasing) and ``label``
        (N/S/V/F/Q, ``""`` when unclassified; absent means all unclassified,
        which leaves only the rate events).
    fs : sampling rate (Hz) of the sample numbers.
    rhythm_episodes : optional DataFrame with ``label``, ``start_sample``,
        ``end_sample``; AFIB and AFL rows become ``afib`` / ``aflutter`` events.
    peaks_quality : optional quality table (``start_sample``, ``end_sample``,
        ``noisy``), e.g. from :func:`ecg_lstm.quality.signal_quality`.
    rules : thresholds; default :class:`EventRules()`.

    Returns
    -------
    DataFrame with columns type, start_sample, end_sample (first and last
    beat of the event; for a pause, the two beats around it), start_s, end_s,
    n_beats, description; sorted by start_sample.
    """
    rules = rules or EventRules()
    fs = check_fs(fs)
    samples, labels = _check_beats(beats)
    ev: list[tuple] = []
    in_run = np.zeros(len(samples), bool)  # beats inside VT/IVR/SVT runs
    pattern_v = _patterns(samples, labels, fs, rules, ev)
    _ectopic_runs(samples, labels, fs, rules, ev, "V", pattern_v, in_run)
    _ectopic_runs(samples, labels, fs, rules, ev, "S", np.zeros(len(samples), bool), in_run)
    noisy = _noisy_mask(peaks_quality, samples)
    _rate_events(samples, fs, rules, ev, in_run, noisy)
    _rhythm_events(rhythm_episodes, samples, fs, ev)
    out = pd.DataFrame(ev, columns=["type", "start_sample", "end_sample", "n_beats", "description"])
    out["start_sample"] = out["start_sample"].astype(np.int64)
    out["end_sample"] = out["end_sample"].astype(np.int64)
    out["n_beats"] = out["n_beats"].astype(np.int64)
    out["start_s"] = out["start_sample"] / fs
    out["end_s"] = out["end_sample"] / fs
    out = out[COLUMNS].sort_values(["start_sample", "end_sample", "type"], kind="stable")
    return out.reset_index(drop=True)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of every run of True in ``mask`` (run-length encoding)."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    start, stop = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return start, stop - start


def _rate(samples: np.ndarray, i: int, j: int, fs: float) -> float:
    """Mean rate (bpm) over beats i..j inclusive (j > i)."""
    return 60.0 * (j - i) * fs / (samples[j] - samples[i])


def _ectopic_runs(samples, labels, fs, rules, ev, cls, skip, in_run):
    """pvc/couplet/vt/ivr (cls V) or pac/sv_couplet/svt_run (cls S) from runs of ``cls``."""
    word = {"V": "ventricular", "S": "supraventricular"}[cls]
    starts, lens = _runs(labels == cls)
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
            bpm = _rate(samples, s, e, fs)
            dur = (samples[e] - samples[s]) / fs
            if cls == "V":
                kind = "vt" if bpm >= rules.vt_min_bpm else "ivr"
            else:
                kind = "svt_run"
            head = "Sustained run" if dur >= rules.sustained_s else "Run"
            ev.append((kind, samples[s], samples[e], int(n),
                       f"{head} of {n} {word} beats at {bpm:.0f} bpm lasting {_dur(dur)}"))


def _patterns(samples, labels, fs, rules, ev) -> np.ndarray:
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
        for a, n in zip(*_runs(link)):
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
                       f"{_rate(samples, first, last, fs):.0f} bpm lasting {_dur(dur)}"))
    return used


def _rate_events(samples, fs, rules, ev, in_run, noisy):
    """pause, bradycardia and tachycardia from RR intervals."""
    if len(samples) < 2:
        return
    rr = np.diff(samples) / fs
    for i in np.flatnonzero(rr > rules.pause_s):
        if noisy is not None and noisy[i:i + 2].any():
            continue
        ev.append(("pause", samples[i], samples[i + 1], 2, f"Pause of {rr[i]:.1f} s"))
    size = max(1, min(rules.rate_median_beats, len(rr)))
    hr = 60.0 / ndimage.median_filter(rr, size=size, mode="nearest")
    run_iv = in_run[:-1] | in_run[1:]  # intervals touching an ectopic run
    # Gaps longer than any physiological RR (no beats found: signal loss, or
    # ventricular flutter waves that are not beats) are not bradycardia.
    for kind, cond, word in (("bradycardia", (hr < rules.brady_bpm) & (rr <= RR_MAX_S), "below"),
                             ("tachycardia", (hr > rules.tachy_bpm) & ~run_iv, "above")):
        for s, n in zip(*_runs(cond)):
            first, last = s, s + n  # beats around intervals s..s+n-1
            dur = (samples[last] - samples[first]) / fs
            if dur < rules.rate_min_s or n + 1 < rules.rate_min_beats:
                continue
            if noisy is not None and noisy[first:last + 1].mean() > rules.noisy_overlap:
                continue
            thr = rules.brady_bpm if kind == "bradycardia" else rules.tachy_bpm
            ev.append((kind, samples[first], samples[last], int(n + 1),
                       f"{kind.capitalize()}: {_rate(samples, first, last, fs):.0f} bpm average "
                       f"({word} {thr:.0f} bpm) for {_dur(dur)}"))


def _rhythm_events(episodes, samples, fs, ev):
    """afib / aflutter events from rhythm episodes (pass-through)."""
    if episodes is None or len(episodes) == 0:
        return
    for col in ("label", "start_sample", "end_sample"):
        if col not in episodes.columns:
            raise RecordError(f"rhythm_episodes lacks column {col!r}; expected label, start_sample, end_sample")
    names = {"afib": "Atrial fibrillation", "aflutter": "Atrial flutter"}
    for lab, a, b in zip(episodes["label"].astype(str), episodes["start_sample"], episodes["end_sample"]):
        kind = RHYTHM_EVENTS.get(lab.strip().lstrip("(").rstrip("\x00").upper())
        if kind is None:
            continue
        i, j = np.searchsorted(samples, a, side="left"), np.searchsorted(samples, b, side="right")
        n = int(j - i)
        rate = f", {_rate(samples, i, j - 1, fs):.0f} bpm average" if n >= 2 else ""
        ev.append((kind, int(a), int(b), n, f"{names[kind]} for {_dur((b - a) / fs)}{rate}"))


def _noisy_mask(quality, samples) -> np.ndarray | None:
    """True for each beat lying in a noisy quality window."""
    if quality is None or len(quality) == 0 or "noisy" not in quality.columns:
        return None
    noisy = np.zeros(len(samples), bool)
    q = quality[quality["noisy"].astype(bool)]
    for a, b in zip(q["start_sample"].to_numpy(np.int64), q["end_sample"].to_numpy(np.int64)):
        noisy[np.searchsorted(samples, a, "left"):np.searchsorted(samples, b, "left")] = True
    return noisy


def _dur(s: float) -> str:
    """Duration in plain words: '4.2 s', '2 min 05 s', '1 h 03 min'."""
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m} min {sec:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def _check_beats(beats) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(beats, pd.DataFrame) or "sample" not in beats.columns:
        raise RecordError("beats must be a DataFrame with a 'sample' column (and 'label': N/S/V/F/Q or '')")
    samples = beats["sample"].to_numpy()
    if len(samples) and (not np.issubdtype(samples.dtype, np.number) or not np.all(np.isfinite(samples))):
        raise RecordError("beats['sample'] must hold whole sample numbers (no NaN)")
    samples = samples.astype(np.int64)
    if np.any(np.diff(samples) <= 0):
        raise RecordError("beats must be sorted by strictly increasing 'sample'; sort and drop duplicates first")
    if "label" in beats.columns:
        lab = beats["label"].to_numpy(dtype=object)
        labels = np.where(pd.isna(lab), "", lab).astype(str)
    else:
        labels = np.full(len(samples), "", dtype=str)
    return samples, labels
