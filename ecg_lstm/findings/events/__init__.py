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
  :func:`ecg_lstm.signal.ventricular_flutter.ventricular_flutter_segments`), so it is found with
  detected and with reference beats alike.  ``aflutter`` episodes come from
  the rhythm model's AF episodes split by :func:`ecg_lstm.findings.atrial_flutter.split_atrial_flutter`.
* ``av_block2`` (second-degree AV block pattern) comes from RR intervals of
  about twice the running sinus cycle (see :func:`ecg_lstm.findings.events.rates.av_block`).

Trust: every event has ``noisy`` (it lies in signal the quality index calls
noisy on its local verdict, see :mod:`ecg_lstm.signal.quality`; its beats may
be artefacts) and ``alarm`` (a live monitor should alarm on it: VT of 5 beats
or more at 100 bpm or faster, a pause of 3 s or more, ventricular flutter /
fibrillation, not noisy; see :func:`.episodes.alarm_flags`).  Consecutive
events of one type, at most a minute apart, form episodes
(:func:`.episodes.event_episodes`).  Thresholds
tuned on data were tuned on DS1 records only (the beat classifier's training
half of MIT-BIH); DS2 records are used only to report how they do.

Layout: :mod:`.rules` (columns, types, thresholds), :mod:`.ectopy` (V and S runs, patterns),
:mod:`.rates` (rate events, pauses, AV block), :mod:`.detect` (the entry point that
combines them), :mod:`.episodes` (alarms, episodes), :mod:`.review` (decisions, summaries).
"""
from .detect import detect_events
from .episodes import EPISODE_COLUMNS, alarm_flags, alarm_summary, alarm_words, episode_numbers, event_episodes
from .review import DECISIONS, alarming, alarms, event_groups, event_ids, hourly_summary, with_decisions
from .rules import ALARM_TYPES, COLUMNS, EVENT_TYPES, RHYTHM_EVENTS, SIGNAL_TYPES, EventRules

__all__ = ["detect_events", "EventRules", "COLUMNS", "EVENT_TYPES", "ALARM_TYPES", "SIGNAL_TYPES", "RHYTHM_EVENTS",
           "DECISIONS", "event_ids", "with_decisions", "event_groups", "hourly_summary", "alarming", "alarms",
           "alarm_flags", "alarm_summary", "alarm_words", "episode_numbers", "event_episodes", "EPISODE_COLUMNS"]
