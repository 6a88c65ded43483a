"""What matters first, for the top of the overview: the rhythm in words (the report's own
statements, :func:`ecg_lstm.findings.rhythm_statement.rhythm_statements`), the longest pause with
its time, the heart-rate range with the times of its minimum and maximum
(:func:`ecg_lstm.report.hr_extremes`, the vitals' own 10-beat window), AF and ectopic burden, and
the alarms (:func:`ecg_lstm.findings.events.alarm_summary`). The events counted are the reviewer's:
rejected ones are left out, as in the report. Times are clock times when the record has a start
time, else ``h:mm:ss`` from its start.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.time_format import clock_time
from ecg_lstm.findings.events import EventRules, alarm_summary, alarms, with_decisions
from ecg_lstm.findings.rhythm_statement import af_figures, rhythm_statements
from ecg_lstm.report import hr_extremes


def counted(events: pd.DataFrame | None, decisions: dict | None) -> pd.DataFrame:
    """The events with the reviewer's decisions, rejected ones left out, ``alarm`` as the page
    alarms now (:func:`ecg_lstm.findings.events.alarms`)."""
    if events is None or not len(events):
        return pd.DataFrame(columns=["type", "start_sample", "end_sample", "start_s", "end_s", "n_beats",
                                     "description", "noisy", "alarm", "id", "decision"])
    ev = with_decisions(events.sort_values("start_s", kind="stable").reset_index(drop=True), decisions or {})
    ev = ev[ev["decision"] != "rejected"].reset_index(drop=True)
    return ev.assign(alarm=alarms(ev))


def headline_of(analysis, decisions: dict | None = None) -> dict:
    """``{"rhythm": [statements], "facts": [short phrases], "alarms": sentence}`` of ``analysis``."""
    rec = analysis.record
    v = analysis.vitals or {}

    def when(t: float) -> str:
        return clock_time(rec, t)

    ev = counted(analysis.events, decisions)
    af = af_figures(analysis)
    rhythm = rhythm_statements(analysis, ev, af, when)
    facts = []
    pauses = ev[ev["type"] == "pause"]
    if len(pauses):
        length = (pauses["end_s"] - pauses["start_s"]).to_numpy(float)
        k = int(np.argmax(length))
        facts.append(f"Longest pause {length[k]:.1f} s at {when(float(pauses['start_s'].iloc[k]))}")
    else:
        facts.append(f"No pause over {EventRules().pause_s:.1f} s outside noisy signal")
    ext = hr_extremes(analysis.beats, rec.fs)
    if ext["hr_min_s"] is not None:
        facts.append(f"HR {ext['hr_min_bpm']:.0f}–{ext['hr_max_bpm']:.0f} bpm (lowest at {when(ext['hr_min_s'])}, "
                     f"highest at {when(ext['hr_max_s'])})")
    if af["rhythm_classified"]:
        facts.append(f"AF burden {af['af_burden_pct']:.1f} %" + (
            f" ({af['af_episodes']:,} episode{'s' if af['af_episodes'] > 1 else ''})" if af["af_episodes"] else ""))
    counts = v.get("beat_counts")
    if counts:
        parts = [f"{c} {v.get(f'{c.lower()}_burden_pct') or 0:.1f} % ({counts.get(c, 0):,} beats)" for c in "VS"]
        facts.append("Ectopy: " + ", ".join(parts))
    return {"rhythm": rhythm, "facts": facts, "alarms": alarm_summary(ev, when)}


@st.cache_data(max_entries=8, show_spinner=False)
def _cached(key: str, book: tuple, _analysis) -> dict:
    return headline_of(_analysis, dict(book))


def headline(analysis, decisions: dict | None = None) -> dict:
    """:func:`headline_of`, computed once per analysis and set of decisions (the page reruns often)."""
    key = st.session_state.get("analysis_key")
    if not key:
        return headline_of(analysis, decisions)
    return _cached(key, tuple(sorted((decisions or {}).items())), analysis)
