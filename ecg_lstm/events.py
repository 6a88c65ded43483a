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
  Supraventricular events (``pac``, ``sv_couplet``, ``svt_run``) are not
  listed inside them: in atrial fibrillation or flutter there are no
  premature atrial beats to speak of, only an irregular ventricular response.
* A VT run needs ventricular beats the classifier is sure of (see
  ``EventRules.vt_min_p``): a couplet followed by a doubtful "V" beat is a
  couplet, not a 145-bpm VT.
* ``vflutter`` (ventricular flutter / fibrillation) comes from the signal,
  not from beats: the detector finds no QRS complexes in it (see
  :func:`ecg_lstm.flutter.ventricular_flutter_segments`), so it is found with
  detected and with reference beats alike.  ``aflutter`` episodes come from
  the rhythm model's AF episodes split by :func:`ecg_lstm.flutter.split_atrial_flutter`.
* ``av_block2`` (second-degree AV block pattern) comes from RR intervals of
  about twice the running sinus cycle (see :func:`_av_block`).

Trust: every event has ``noisy`` (it lies in signal the quality index calls
noisy; its beats may be artefacts) and ``alarm`` (a live monitor should
alarm on it: an :data:`ALARM_TYPES` event that is not noisy).  Thresholds
tuned on data were tuned on DS1 records only (the beat classifier's training
half of MIT-BIH); DS2 records are used only to report how they do.
"""
from __future__ import annotations

import statistics

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from .errors import RecordError
from .validation import check_fs
from .hrv import RR_MAX_S

COLUMNS = ["type", "start_sample", "end_sample", "start_s", "end_s", "n_beats", "description", "noisy", "alarm"]

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
    "vflutter": "ventricular flutter / fibrillation: fast sinusoid-like waves without separate QRS complexes",
    "av_block2": "second-degree AV block pattern: beats dropped, RR about twice the sinus cycle",
}

#: Event types a bedside monitor alarms on (when not in noisy signal).  Isolated
#: ectopic beats, couplets and patterns are counted and listed, not alarmed.
ALARM_TYPES = frozenset({"vt", "vflutter", "pause", "bradycardia", "tachycardia", "svt_run", "afib", "aflutter",
                         "av_block2"})
#: Events of these types are never marked noisy: to the quality index, flutter waves look like noise.
SIGNAL_TYPES = frozenset({"vflutter"})

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
    * ``vt_min_p`` = 0.85: each of the >= 3 consecutive beats that make a VT
      run needs a classifier probability of V of at least this (when the beat
      table has ``p_V``); other V-labelled beats of the run are reported as
      PVCs or couplets.  Tuned on DS1 only (runs of >= 3 detected V beats on
      the 22 DS1 records, against reference V runs): 44 runs without a
      reference V run at p >= 0, 10 at 0.85, while 30 of 35 true runs stay.
    * ``noisy_event_s`` = 10: an event shorter than this is ``noisy`` when any
      of its beats lies in a noisy window; a longer one when more than
      ``noisy_overlap`` of its beats do.
    * ``block_ratio`` = (1.8, 2.2): an RR interval between two normal beats
      this many times the running sinus cycle is a dropped beat (a blocked P
      wave doubles the cycle; +-10 % for sinus arrhythmia).  From the
      definition, not tuned: no DS1 record holds second-degree block.
      ``block_min_dropped`` = 3 dropped beats, each within ``block_gap_s`` =
      20 s of the previous, make an ``av_block2`` event (one missed QRS
      looks the same, so one dropped beat is not enough).
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
    vt_min_p: float = 0.85
    noisy_event_s: float = 10.0
    block_ratio: tuple[float, float] = (1.8, 2.2)
    block_min_dropped: int = 3
    block_gap_s: float = 20.0


def detect_events(beats: pd.DataFrame, fs: float, rhythm_episodes: pd.DataFrame | None = None,
                  peaks_quality: pd.DataFrame | None = None, rules: EventRules | None = None,
                  flutter_segments=None) -> pd.DataFrame:
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
    flutter_segments : optional (start_sample, end_sample) spans of ventricular
        flutter / fibrillation, e.g. from :func:`ventricular_flutter_segments`;
        each becomes a ``vflutter`` event.

    Returns
    -------
    DataFrame with columns type, start_sample, end_sample (first and last
    beat of the event; for a pause, the two beats around it), start_s, end_s,
    n_beats, description, noisy (bool: in noisy signal, see
    ``EventRules.noisy_event_s``), alarm (bool: an :data:`ALARM_TYPES` event
    not in noisy signal); sorted by start_sample.
    """
    rules = rules or EventRules()
    fs = check_fs(fs)
    samples, labels = _check_beats(beats)
    p_v = _p_v(beats, len(samples))
    ev: list[tuple] = []
    in_run = np.zeros(len(samples), bool)  # beats inside VT/IVR/SVT runs
    in_af = _af_mask(rhythm_episodes, samples)
    pattern_v = _patterns(samples, labels, fs, rules, ev)
    _ectopic_runs(samples, labels, fs, rules, ev, "V", pattern_v, in_run, p_v)
    _ectopic_runs(samples, labels, fs, rules, ev, "S", in_af, in_run)
    noisy = _noisy_mask(peaks_quality, samples)
    _rate_events(samples, fs, rules, ev, in_run, noisy)
    _av_block(samples, labels, fs, rules, ev, in_af if noisy is None else in_af | noisy)
    _rhythm_events(rhythm_episodes, samples, fs, ev)
    for a, b in (flutter_segments or []):
        a, b = int(a), int(b)
        n = int(np.searchsorted(samples, b, "right") - np.searchsorted(samples, a, "left"))
        ev.append(("vflutter", a, b, n, f"Ventricular flutter / fibrillation for {_dur((b - a) / fs)}"))
    out = pd.DataFrame(ev, columns=["type", "start_sample", "end_sample", "n_beats", "description"])
    out["start_sample"] = out["start_sample"].astype(np.int64)
    out["end_sample"] = out["end_sample"].astype(np.int64)
    out["n_beats"] = out["n_beats"].astype(np.int64)
    out["start_s"] = out["start_sample"] / fs
    out["end_s"] = out["end_sample"] / fs
    out["noisy"] = _event_noisy(out, samples, noisy, fs, rules)
    out["alarm"] = out["type"].isin(ALARM_TYPES).to_numpy() & ~out["noisy"].to_numpy(bool)
    out = out[COLUMNS].sort_values(["start_sample", "end_sample", "type"], kind="stable")
    return out.reset_index(drop=True)


def _event_noisy(out: pd.DataFrame, samples, noisy, fs, rules) -> np.ndarray:
    """Whether each event lies in noisy signal (see ``EventRules.noisy_event_s``)."""
    if noisy is None or not len(out):
        return np.zeros(len(out), bool)
    cs = np.concatenate([[0], np.cumsum(noisy)])
    i = np.searchsorted(samples, out["start_sample"].to_numpy(), "left")
    j = np.searchsorted(samples, out["end_sample"].to_numpy(), "right")
    n_noisy, n = cs[j] - cs[i], np.maximum(j - i, 1)
    short = (out["end_sample"] - out["start_sample"]).to_numpy() / fs < rules.noisy_event_s
    flag = np.where(short, n_noisy > 0, n_noisy / n > rules.noisy_overlap)
    return flag & ~out["type"].isin(SIGNAL_TYPES).to_numpy()


def _p_v(beats: pd.DataFrame, n: int) -> np.ndarray:
    """Classifier probability of V per beat (1 where the table has none: labels are taken as given)."""
    if "p_V" not in beats.columns:
        return np.ones(n)
    p = pd.to_numeric(beats["p_V"], errors="coerce").to_numpy(float)
    return np.where(np.isfinite(p), p, 1.0)


def _af_mask(episodes, samples) -> np.ndarray:
    """True for each beat inside an atrial fibrillation or flutter episode."""
    mask = np.zeros(len(samples), bool)
    if episodes is None or not len(episodes) or "label" not in episodes.columns:
        return mask
    for lab, a, b in zip(episodes["label"].astype(str), episodes["start_sample"], episodes["end_sample"]):
        if RHYTHM_EVENTS.get(lab.strip().lstrip("(").rstrip("\x00").upper()):
            mask[np.searchsorted(samples, a, "left"):np.searchsorted(samples, b, "right")] = True
    return mask


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of every run of True in ``mask`` (run-length encoding)."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    start, stop = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return start, stop - start


def _rate(samples: np.ndarray, i: int, j: int, fs: float) -> float:
    """Mean rate (bpm) over beats i..j inclusive (j > i)."""
    return 60.0 * (j - i) * fs / (samples[j] - samples[i])


def _ectopic_runs(samples, labels, fs, rules, ev, cls, skip, in_run, p_v=None):
    """pvc/couplet/vt/ivr (cls V) or pac/sv_couplet/svt_run (cls S) from runs of ``cls``.

    ``skip``: beats left out (V beats of bigeminy/trigeminy; S beats in AF).
    ``p_v``: probability of V per beat; a V run without ``run_min_beats``
    consecutive beats of ``p_v >= rules.vt_min_p`` is no VT: it is split at
    its doubtful beats into couplets and PVCs.
    """
    word = {"V": "ventricular", "S": "supraventricular"}[cls]
    starts, lens = _runs(labels == cls)
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
            bpm = _rate(samples, s, e, fs)
            dur = (samples[e] - samples[s]) / fs
            if cls == "V":
                kind = "vt" if bpm >= rules.vt_min_bpm else "ivr"
            else:
                kind = "svt_run"
            head = "Sustained run" if dur >= rules.sustained_s else "Run"
            ev.append((kind, samples[s], samples[e], int(n),
                       f"{head} of {n} {word} beats at {bpm:.0f} bpm lasting {_dur(dur)}"))


def _split_doubtful_runs(starts, lens, sure, min_beats):
    """Split each run (start, length) that has no ``min_beats`` consecutive ``sure`` beats
    at its doubtful beats: [V V v] -> [V V] + [v], so it is a couplet and a PVC, not a VT."""
    out_s, out_n = [], []
    for s0, n in zip(starts.tolist(), lens.tolist()):
        if n < min_beats:
            out_s.append(s0), out_n.append(n)
            continue
        ss, sn = _runs(sure[s0:s0 + n])
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


def _av_block(samples, labels, fs, rules, ev, excluded):
    """``av_block2`` events: beats dropped from a regular sinus rhythm.

    A running sinus cycle is the median of the last 8 accepted intervals
    between normal beats (unlabelled beats count as normal).  An interval of
    ``rules.block_ratio`` times it is a dropped beat, and adds half its length
    to the running cycle: in 2:1 block the atria keep their rate, so a long
    run of doubled intervals stays a block and does not become the new
    normal.  Intervals touching an ectopic beat, AF or noisy signal
    (``excluded``) are skipped.  P waves are not checked, so sinoatrial exit
    block looks the same; the description says "pattern".
    """
    if len(samples) < 10:
        return
    rr = np.diff(samples) / fs
    normal = np.isin(labels, ["N", ""])
    ok = normal[:-1] & normal[1:] & ~excluded[:-1] & ~excluded[1:] & (rr <= RR_MAX_S)
    lo, hi = rules.block_ratio
    cycle: list[float] = []
    dropped = []
    for i in np.flatnonzero(ok).tolist():  # a Python loop: only normal intervals, a few per second
        r = rr[i]
        if len(cycle) >= 4:
            base = statistics.median(cycle)  # stdlib: ~20x faster than np.median on 8 values
            ratio = r / base
            if lo <= ratio <= hi:
                dropped.append(i)
                r = r / 2
            elif not 0.7 <= ratio <= 1.3:
                continue  # a sudden change that is no dropped beat is left out of the cycle
        cycle.append(r)
        if len(cycle) > 8:
            cycle.pop(0)
    if len(dropped) < rules.block_min_dropped:
        return
    d = np.asarray(dropped)
    gap = np.diff(samples[d]) / fs > rules.block_gap_s
    for grp in np.split(d, np.flatnonzero(gap) + 1):
        if len(grp) < rules.block_min_dropped:
            continue
        a, b = grp[0], grp[-1] + 1
        dur = (samples[b] - samples[a]) / fs
        ev.append(("av_block2", samples[a], samples[b], int(b - a + 1),
                   f"Second-degree AV block pattern: {len(grp)} dropped beats (RR about twice the sinus cycle) "
                   f"over {_dur(dur)}, {_rate(samples, a, b, fs):.0f} bpm average"))


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


# --- Review: decisions, groups, hourly summary ---------------------------------------------------

#: A reviewer's decision on an event ("" while not reviewed).
DECISIONS = ("", "accepted", "rejected")


def event_ids(events: pd.DataFrame) -> list[str]:
    """A stable id per event (``type@start-end`` in samples): decisions survive a rerun."""
    return [f"{t}@{a}-{b}" for t, a, b in zip(events["type"].astype(str), events["start_sample"], events["end_sample"])]


def with_decisions(events: pd.DataFrame, decisions: dict[str, str] | None) -> pd.DataFrame:
    """``events`` with an ``id`` and a ``decision`` column from ``{id: "accepted"|"rejected"}``.

    A rejected event raises no alarm."""
    out = events.copy()
    out["id"] = event_ids(out)
    decisions = decisions or {}
    out["decision"] = [decisions.get(i, "") for i in out["id"]]
    if "alarm" in out:
        out["alarm"] = out["alarm"].astype(bool) & (out["decision"] != "rejected")
    return out


def event_groups(events: pd.DataFrame) -> pd.DataFrame:
    """One row per event type: count, in noisy signal, alarming, first and last start (s), total duration (s).

    Ordered as :data:`EVENT_TYPES`, so 8,000 PVCs are one row, not 8,000."""
    cols = ["type", "count", "noisy", "alarm", "first_s", "last_s", "total_s"]
    if events is None or not len(events):
        return pd.DataFrame(columns=cols)
    ev = events.assign(dur=events["end_s"] - events["start_s"])
    g = ev.groupby("type", sort=False).agg(count=("type", "size"), noisy=("noisy", "sum"), alarm=("alarm", "sum"),
                                           first_s=("start_s", "min"), last_s=("start_s", "max"),
                                           total_s=("dur", "sum")).reset_index()
    order = {t: k for k, t in enumerate(EVENT_TYPES)}
    g = g.sort_values("type", key=lambda s: s.map(lambda t: order.get(t, len(order))), kind="stable")
    return g[cols].reset_index(drop=True)


def hourly_summary(events: pd.DataFrame, duration_s: float) -> pd.DataFrame:
    """Event counts per hour of the record (rows: hour ``"h:00"``; columns: event types), as Holter
    reports tabulate them.  An event counts in the hour where it starts; every hour of the
    record has a row, also when empty."""
    n_hours = max(1, int(np.ceil(float(duration_s) / 3600.0)))
    hours = [f"{h}:00" for h in range(n_hours)]
    if events is None or not len(events):
        return pd.DataFrame(index=pd.Index(hours, name="hour"))
    h = np.clip((events["start_s"].to_numpy(float) // 3600).astype(int), 0, n_hours - 1)
    tab = pd.crosstab(pd.Categorical(np.asarray(hours)[h], categories=hours), events["type"].astype(str),
                      dropna=False)
    order = [t for t in EVENT_TYPES if t in tab.columns] + [t for t in tab.columns if t not in EVENT_TYPES]
    tab = tab[order]
    tab.index.name, tab.columns.name = "hour", None
    return tab


def alarming(events: pd.DataFrame | None, decisions: dict[str, str] | None = None) -> pd.DataFrame:
    """The events a monitor alarms on: ``alarm`` true (not noisy, an alarm type) and not rejected."""
    if events is None or not len(events):
        return pd.DataFrame(columns=COLUMNS)
    ev = with_decisions(events, decisions) if decisions else events
    if "alarm" not in ev:  # an events table from before the flag: alarm types only
        return ev[ev["type"].isin(ALARM_TYPES)]
    return ev[ev["alarm"].astype(bool)]
