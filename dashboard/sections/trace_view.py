"""The trace: a navigator over the whole record and the chosen window at full resolution.

Other parts of the page (event table, disagreement table, navigator clicks)
move the window by a *selection* in ``st.session_state``; :func:`apply_jumps`
turns a new selection into a new window centre before the slider is drawn.
"""
from __future__ import annotations

import streamlit as st

from dashboard import trace

WIDTHS_S = (5, 10, 20, 30, 60)
#: Selectable tables; each stores the times of its rows under "<key>_times".
JUMP_TABLES = ("events_table", "disagree_table")


def jump_to(t_s: float) -> None:
    """Centre the trace window on ``t_s`` seconds (call before the slider is drawn)."""
    st.session_state["trace_center_s"] = float(max(0.0, t_s))


def _selected_rows(key: str) -> list[int]:
    sel = st.session_state.get(key)
    try:
        return list(sel["selection"]["rows"])
    except (KeyError, TypeError):
        return []


def apply_jumps(analysis) -> None:
    """Apply a new row selection in the event/disagreement tables or a click on
    the navigator. Each selection moves the window once, so the slider stays free."""
    for key in JUMP_TABLES:
        rows = _selected_rows(key)
        sig = (key, tuple(rows), st.session_state.get("analysis_key"))
        times = st.session_state.get(f"{key}_times")
        if rows and sig != st.session_state.get(f"{key}_applied") and times is not None and rows[0] < len(times):
            st.session_state[f"{key}_applied"] = sig
            jump_to(float(times[rows[0]]))
    nav = st.session_state.get("nav_chart")
    try:
        points = nav["selection"]["points"]
    except (KeyError, TypeError):
        points = []
    if points:
        sig = (round(float(points[0]["x"]), 2), st.session_state.get("analysis_key"))
        if sig != st.session_state.get("nav_applied"):
            st.session_state["nav_applied"] = sig
            jump_to(float(points[0]["x"]))


def _step(delta: float, duration: float) -> None:
    st.session_state["trace_center_s"] = float(min(max(0.0, st.session_state.get("trace_center_s", 0.0) + delta),
                                                   duration))


def render(analysis) -> None:
    rec = analysis.record
    duration = rec.duration_s
    apply_jumps(analysis)
    st.session_state["trace_center_s"] = float(min(max(0.0, st.session_state.get("trace_center_s", 0.0)), duration))
    top = st.columns([3, 2, 1, 1, 1])
    lead_names = rec.lead_names
    if st.session_state.get("trace_lead") not in lead_names:
        st.session_state["trace_lead"] = lead_names[analysis.lead_index]
    lead = top[0].segmented_control("Lead", lead_names, key="trace_lead", selection_mode="single") \
        or lead_names[analysis.lead_index]
    width = top[1].segmented_control("Window (s)", WIDTHS_S, default=10, key="trace_width_s") or 10
    top[2].button("◀", key="trace_prev", help="Back one window", on_click=_step, args=(-width, duration),
                  width="stretch")
    top[3].button("▶", key="trace_next", help="Forward one window", on_click=_step, args=(width, duration),
                  width="stretch")
    idx = rec.lead_index(lead)
    ecg = rec.signal[:, idx]
    chart_slot = st.container()  # the ECG window goes above the navigator, drawn once the centre is known
    # The navigator's figure is the same on every run for a record and lead, so the browser
    # does not redraw it when the window moves; the slider under it marks the window.
    st.plotly_chart(_navigator(st.session_state.get("analysis_key", ""), idx, analysis), key="nav_chart",
                    on_select="rerun", selection_mode="points", config={"displayModeBar": False})
    centre = st.slider("Window centre", 0.0, max(duration, 1.0), step=1.0, key="trace_center_s",
                       format="%.0f s", label_visibility="collapsed")
    top[4].markdown(f"<div style='padding-top:2rem'>{trace._hms(round(centre))}</div>", unsafe_allow_html=True)
    start = max(0.0, min(centre - width / 2, duration - width))
    end = min(duration, start + width)
    fig = trace.ecg_paper(ecg, rec.fs, start, end, beats=analysis.beats, lead_name=lead, unit=rec.units[idx],
                          events=analysis.events, uirevision=f"{start:.1f}-{lead}")
    chart_slot.plotly_chart(trace.unchecked(fig), key="ecg_chart", config={"scrollZoom": True, "displaylogo": False})
    st.caption("Drag to pan, scroll to zoom, double-click to reset. Click the whole-record strip, move the slider "
               "under it, or select an event to move the window. Markers: beat class (hover for the confidence).")


@st.cache_resource(max_entries=8, show_spinner=False)
def _navigator(key: str, lead: int, _analysis):
    """Navigator figure of one record and lead (downsampled once, cached on the analysis key).
    A resource cache: the figure is handed out as is, not unpickled anew on every rerun
    (``st.plotly_chart`` only reads it)."""
    rec = _analysis.record
    return trace.navigator(rec.signal[:, lead], rec.fs, events=_analysis.events, noisy=_analysis.quality)
