"""Live monitor: replay the record as a bedside monitor would, in real time or faster.

A fragment reruns every ``TICK_S`` while playing; it advances a cursor kept in
``st.session_state`` by the wall time elapsed times the speed, draws the last
window of ECG, the heart rate of the last beats, and an alarm banner while an
alarming event lies in the visible window: what a bedside monitor alarms on (VT past its
run and rate limits, a pause of 3 s or more, ventricular flutter / fibrillation;
:func:`ecg_lstm.findings.events.alarms`), named with its size ("Pause 5.9 s"). Events inside
noisy signal raise no alarm, nor do events the reviewer rejected; the alarm can be silenced
(it then shows as a quiet notice), and nothing blinks. The time shown is the record's clock
time when it has a start time.
"""
from __future__ import annotations

import html
import time

import numpy as np
import streamlit as st

from dashboard import trace
from dashboard.sections import events
from dashboard.time_format import clock_time

TICK_S = 0.5
WINDOW_S = 8.0
SPEEDS = {"1× (real time)": 1.0, "2×": 2.0, "5×": 5.0, "10×": 10.0, "30×": 30.0}


def _start() -> None:
    st.session_state["live_running"] = True
    st.session_state["live_last_tick"] = time.monotonic()


def _stop() -> None:
    st.session_state["live_running"] = False


def _keep_silence() -> None:
    st.session_state["live_silence_kept"] = st.session_state["live_silenced"]


def _rewind() -> None:
    st.session_state["live_cursor_s"] = WINDOW_S


def advance(state, duration_s: float, speed: float, now: float | None = None) -> float:
    """Move the cursor in ``state`` (the session state) by the wall time since the last
    tick times ``speed``, in seconds of record; stop at the end. A tick later than 2 s
    (a sleeping tab) counts as 2 s, so the replay does not leap."""
    now = time.monotonic() if now is None else now
    last = state.get("live_last_tick", now)
    state["live_last_tick"] = now
    cursor = state.get("live_cursor_s", 0.0) + max(0.0, min(now - last, 2.0)) * speed
    if cursor >= duration_s:
        cursor, state["live_running"] = duration_s, False
    state["live_cursor_s"] = cursor
    return cursor


def alarm_name(row) -> str:
    """An alarming event as the banner names it: "VT 7 beats 150 bpm", "Pause 5.9 s", "VF / flutter"."""
    span = float(row["end_s"]) - float(row["start_s"])
    if row["type"] == "vt":
        n = int(row["n_beats"])
        return f"VT {n} beats" + (f" {60.0 * (n - 1) / span:.0f} bpm" if span > 0 else "")
    if row["type"] == "pause":
        return f"Pause {span:.1f} s"
    if row["type"] == "vflutter":
        return "VF / flutter"
    return str(row["type"])


def monitor_state(analysis, cursor: float, window_s: float = WINDOW_S, decisions: dict | None = None) -> dict:
    """Heart rate (last 8 beats) and the alarming events (``ecg_lstm.findings.events.alarming``: past an
    alarm limit, not in noisy signal, not rejected by the reviewer) overlapping the visible window:
    ``alarms`` their types, ``names`` as the banner writes them."""
    from ecg_lstm.findings.events import alarming

    t = analysis.beats["time_s"].to_numpy(float)
    seen = t[(t <= cursor)][-9:]
    rr = np.diff(seen)
    rr = rr[(rr >= 0.2) & (rr <= 3.0)]
    hr = 60.0 / float(np.median(rr)) if len(rr) else None
    ev = alarming(analysis.events, decisions)  # noise is not an arrhythmia; PVCs are counted, not alarmed
    active = ev[(ev["start_s"] <= cursor) & (ev["end_s"] >= cursor - window_s)] if len(ev) else None
    if active is None or not len(active):
        return {"hr_bpm": hr, "alarms": [], "names": []}
    names = list(dict.fromkeys(alarm_name(r) for _, r in active.iterrows()))
    return {"hr_bpm": hr, "alarms": active["type"].astype(str).unique().tolist(), "names": names}


def render(analysis) -> None:
    dur = analysis.record.duration_s
    # The screen starts full: the cursor begins one window into the record.
    if st.session_state.get("live_cursor_s", 0.0) < WINDOW_S:
        st.session_state["live_cursor_s"] = min(WINDOW_S, dur)
    running = bool(st.session_state.get("live_running"))
    c = st.columns([1, 1, 1, 2])
    c[0].button("Start", key="live_start", on_click=_start, disabled=running, icon=":material/play_arrow:",
                width="stretch")
    c[1].button("Stop", key="live_stop", on_click=_stop, disabled=not running, icon=":material/stop:",
                width="stretch")
    c[2].button("Rewind", key="live_rewind", on_click=_rewind, icon=":material/replay:", width="stretch")
    speed = SPEEDS[c[3].selectbox("Speed", list(SPEEDS), index=0, key="live_speed", label_visibility="collapsed")]
    # Kept outside the widget's own state, which Streamlit forgets while the tab is closed:
    # a silenced alarm stays silenced until it is switched back on.
    st.session_state["live_silenced"] = st.session_state.get("live_silence_kept", False)
    st.toggle("Silence alarms", key="live_silenced", help="Alarms still show, as a quiet notice, while silenced.",
              on_change=_keep_silence)

    @st.fragment(run_every=TICK_S if running else None)
    def screen() -> None:
        if st.session_state.get("live_running"):
            cursor = advance(st.session_state, dur, speed)
            if not st.session_state["live_running"]:
                st.rerun()  # reached the end: redraw the buttons
        else:
            cursor = st.session_state.get("live_cursor_s", 0.0)
        monitor = monitor_state(analysis, cursor, decisions=events.decisions())
        if monitor["alarms"]:
            text = html.escape(", ".join(monitor["names"]))
            if st.session_state.get("live_silenced"):
                st.markdown(f"<div class='ecg-silenced' role='status'>Alarm silenced: {text}</div>",
                            unsafe_allow_html=True)
            else:
                st.markdown(f"<div class='ecg-alarm' role='alert'>ALARM: {text}</div>", unsafe_allow_html=True)
        else:
            st.markdown("<div class='ecg-ok'>No alarm</div>", unsafe_allow_html=True)
        m = st.columns(3)
        m[0].metric("Heart rate", f"{monitor['hr_bpm']:.0f} bpm" if monitor["hr_bpm"] else "–")
        m[1].metric("Time", clock_time(analysis.record, cursor))
        m[2].metric("Speed", f"{speed:g}×")
        rec = analysis.record
        start = max(0.0, cursor - WINDOW_S)
        beats = analysis.beats[analysis.beats["time_s"] <= cursor]
        fig = trace.ecg_paper(rec.signal[:, analysis.lead_index], rec.fs, start, max(start + WINDOW_S, cursor),
                              beats=beats, lead_name=rec.lead_names[analysis.lead_index],
                              unit=rec.units[analysis.lead_index], events=analysis.events, height=300,
                              until_s=cursor, true_scale=False)
        st.plotly_chart(trace.unchecked(fig), key="live_chart", config={"displayModeBar": False, "staticPlot": True})

    screen()
