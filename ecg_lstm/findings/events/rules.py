"""The event table's columns, the event types and the thresholds (:class:`EventRules`), and
the two small helpers every event family uses (mean rate over beats, a duration in words)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

#: Event types a bedside monitor alarms on, when not in noisy signal and past the limits of
#: :class:`EventRules` (``alarm_*``): ventricular tachycardia of ``alarm_vt_beats`` beats at
#: ``alarm_vt_bpm`` or faster, pauses of ``alarm_pause_s`` or longer (an asystole reads as a
#: pause of its length), ventricular flutter / fibrillation.  The others (isolated ectopic beats,
#: couplets, patterns, supraventricular runs, rate episodes, AF, AV block) are counted, grouped
#: into episodes and reviewed, not alarmed.
ALARM_TYPES = frozenset({"vt", "vflutter", "pause"})
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
      share of their beats in noisy signal are dropped; a pause is dropped when
      either beat around it is in noisy signal (a beat is in noisy signal on the
      quality table's local verdict, see :mod:`ecg_lstm.signal.quality`).
    * ``vt_min_p`` = 0.85: each of the >= 3 consecutive beats that make a VT
      run needs a classifier probability of V of at least this (when the beat
      table has ``p_V``); other V-labelled beats of the run are reported as
      PVCs or couplets.  Tuned on DS1 only (runs of >= 3 detected V beats on
      the 22 DS1 records, against reference V runs): 44 runs without a
      reference V run at p >= 0, 10 at 0.85, while 30 of 35 true runs stay.
    * ``noisy_event_s`` = 10: an event shorter than this is ``noisy`` when any
      of its beats lies in noisy signal; a longer one when more than
      ``noisy_overlap`` of its beats do.
    * ``block_ratio`` = (1.8, 2.2): an RR interval between two normal beats
      this many times the running sinus cycle is a dropped beat (a blocked P
      wave doubles the cycle; +-10 % for sinus arrhythmia).  From the
      definition, not tuned: no DS1 record holds second-degree block.
      ``block_min_dropped`` = 3 dropped beats, each within ``block_gap_s`` =
      20 s of the previous, make an ``av_block2`` event (one missed QRS
      looks the same, so one dropped beat is not enough).
    * ``alarm_vt_beats`` = 5, ``alarm_vt_bpm`` = 100, ``alarm_pause_s`` = 3.0: the
      events that alarm (see :data:`ALARM_TYPES`): VT runs of 5 beats or more at 100 bpm or
      faster (a bedside monitor's V-Tach alarm has a run and a rate limit of this kind; shorter
      runs are listed, not alarmed), pauses of 3 s or more (the "significant pause" limit), and
      every ventricular flutter / fibrillation.  Set from these conventions, not tuned on data.
    * ``episode_gap_s`` = 60: events of one type at most this far apart (the end of one to
      the start of the next) form one episode (:func:`ecg_lstm.findings.events.event_episodes`):
      232's 115 pauses are 5 episodes to review, its 32 pauses of 3 s or more 3 alarm episodes.
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
    alarm_vt_beats: int = 5
    alarm_vt_bpm: float = 100.0
    alarm_pause_s: float = 3.0
    episode_gap_s: float = 60.0


def mean_rate(samples: np.ndarray, i: int, j: int, fs: float) -> float:
    """Mean rate (bpm) over beats i..j inclusive (j > i)."""
    return 60.0 * (j - i) * fs / (samples[j] - samples[i])


def duration_text(s: float) -> str:
    """Duration in plain words: '4.2 s', '2 min 05 s', '1 h 03 min'."""
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m} min {sec:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"
