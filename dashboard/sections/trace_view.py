"""The trace: a navigator over the whole record and the chosen window at full resolution.

Other parts of the page (event table, disagreement table, navigator clicks)
move the window by a *selection* in ``st.session_state``; :func:`apply_jumps`
turns a new selection into a new window centre before the slider is drawn.
A click on a beat marker of the trace sets ``st.session_state["selected_beat"]``
(row position in ``analysis.beats``), which the review and explain panels read.
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import trace
from dashboard.markdown_text import md_escape
from dashboard.time_format import clock_time, hms

WIDTHS_S = (5, 10, 20, 30, 60)
#: Selectable tables; each stores the times of its rows under "<key>_times".
JUMP_TABLES = ("events_table", "disagree_table", "rhythm_table")


def jump_to(t_s: float) -> None:
    """Centre the trace window on ``t_s`` seconds (call before the slider is drawn)."""
    st.session_state["trace_center_s"] = float(max(0.0, t_s))


def select_beat(row: int, analysis) -> None:
    """Make beat ``row`` (position in ``analysis.beats``) the selected one and centre the
    trace on it (call before the trace is drawn, e.g. from a button callback)."""
    row = int(row)
    if 0 <= row < len(analysis.beats):
        st.session_state["selected_beat"] = row
        jump_to(float(analysis.beats["time_s"].iloc[row]))


def _selected_rows(key: str) -> list[int]:
    sel = st.session_state.get(key)
    try:
        return list(sel["selection"]["rows"])
    except (KeyError, TypeError):
        return []


def _points(key: str) -> list[dict]:
    sel = st.session_state.get(key)
    try:
        return list(sel["selection"]["points"])
    except (KeyError, TypeError):
        return []


def _clicked(key: str, state: tuple, content=None, deselect_is_click: bool = True) -> object | None:
    """What the user just clicked in widget ``key`` whose selection is now ``state`` (a
    tuple of row numbers or times), or None.

    A selection is a state, not a click: clicking the row (or point) already selected
    deselects it, and selecting it again gives the same state as before. So any change
    counts as a click on what changed: a new item selected, or (``deselect_is_click``) the
    selected one deselected. Selecting the same event again after moving away therefore
    moves back. A selection left over from another record, or from another ``content`` of
    the widget (a table filtered or paged anew), is ignored."""
    scope = (st.session_state.get("analysis_key"), content)
    prev = st.session_state.get(f"{key}_applied")
    st.session_state[f"{key}_applied"] = (scope, state)
    if prev is not None and prev[0] != scope:
        return None
    before = () if prev is None else prev[1]
    if state == before or (not state and not deselect_is_click):
        return None
    return state[0] if state else before[0]


def apply_jumps(analysis) -> None:
    """Apply a click in the event/disagreement tables, on the navigator or on a beat."""
    for key in JUMP_TABLES:
        times = st.session_state.get(f"{key}_times")
        if times is None:  # the table's tab has not been drawn yet
            continue
        row = _clicked(key, tuple(_selected_rows(key)), content=hash(tuple(times)))
        if row is not None and row < len(times):
            jump_to(float(times[row]))
    nav = tuple(round(float(p["x"]), 2) for p in _points("nav_chart")[:1] if "x" in p)
    t = _clicked("nav_chart", nav)
    if t is not None:
        jump_to(float(t))
    at = _clicked_time(_points("ecg_chart"))
    if at is not None and at != st.session_state.get("trace_clicked_s"):
        st.session_state["trace_clicked_s"] = at  # a click on the trace between beats (add a beat there)
    beat = _clicked_beat(_points("ecg_chart"), len(analysis.beats))
    # On the trace only a new selection counts: its figure changes with every move, and a
    # selection the browser drops then must not take the beat back from another panel.
    beat = _clicked("ecg_chart", () if beat is None else (beat,), deselect_is_click=False)
    if beat is not None and beat < len(analysis.beats):
        st.session_state["selected_beat"] = int(beat)
        st.session_state["selected_beat_seen"] = int(beat)  # clicked in view: the window stays
    # A beat selected elsewhere (the review or explain panel) is brought into view once.
    sel = st.session_state.get("selected_beat")
    if isinstance(sel, (int, np.integer)) and sel != st.session_state.get("selected_beat_seen"):
        st.session_state["selected_beat_seen"] = int(sel)
        if 0 <= sel < len(analysis.beats):
            jump_to(float(analysis.beats["time_s"].iloc[int(sel)]))


def _clicked_time(points: list[dict]) -> float | None:
    """Time (s) of a click on the trace itself, away from the beat markers (its points carry -1)."""
    for p in points:
        cd = p.get("customdata")
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        if cd == -1 and "x" in p:
            return round(float(p["x"]), 3)
    return None


def _clicked_beat(points: list[dict], n_beats: int) -> int | None:
    """Row of the beat clicked on the trace (its marker carries the row as customdata)."""
    for p in points:
        cd = p.get("customdata")
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        try:
            row = int(cd)
        except (TypeError, ValueError):
            continue
        if 0 <= row < n_beats:
            return row
    return None


def _step(sign: int, duration: float) -> None:
    """Page the window by one width (back: ``sign`` -1, forward: +1)."""
    width = st.session_state.get("trace_width_s") or 10
    st.session_state["trace_center_s"] = float(min(max(0.0, st.session_state.get("trace_center_s", 0.0)
                                                       + sign * width), duration))


def render(analysis) -> None:
    rec = analysis.record
    duration = rec.duration_s
    apply_jumps(analysis)
    st.session_state["trace_center_s"] = float(min(max(0.0, st.session_state.get("trace_center_s", 0.0)), duration))
    top = st.columns([3, 3, 2, 2, 1, 1, 1])
    lead_names = rec.lead_names
    if st.session_state.get("trace_lead") not in lead_names:
        st.session_state["trace_lead"] = lead_names[analysis.lead_index]
    # Lead names are record text: escaped, as the control renders its options as Markdown.
    lead = top[0].segmented_control("Lead", lead_names, key="trace_lead", selection_mode="single",
                                    format_func=md_escape) or lead_names[analysis.lead_index]
    width = top[1].segmented_control("Window (s)", WIDTHS_S, default=10, key="trace_width_s") or 10
    speed = top[2].segmented_control("Speed (mm/s)", trace.SPEEDS_MM_S, default=25, key="trace_speed") or 25
    gain = top[3].segmented_control("Gain (mm/mV)", trace.GAINS_MM_MV, default=10, key="trace_gain") or 10
    # Keyboard paging through Streamlit's own button shortcuts (1.50+): no third-party
    # component and no script injected into the page. Left/Right arrows page the window
    # wherever the focus is not in a text field or on the slider (which uses them itself).
    top[4].button("◀", key="trace_prev", help="Back one window (← key)", on_click=_step, args=(-1, duration),
                  width="stretch", shortcut="Left")
    top[5].button("▶", key="trace_next", help="Forward one window (→ key)", on_click=_step, args=(1, duration),
                  width="stretch", shortcut="Right")
    idx = rec.lead_index(lead)
    ecg = rec.signal[:, idx]
    view = _view(rec)
    chart_slot = st.container()  # the ECG window goes above the navigator, drawn once the centre is known
    # The navigator's figure is the same on every run for a record and lead, so the browser
    # does not redraw it when the window moves; the slider under it marks the window.
    st.plotly_chart(_navigator(st.session_state.get("analysis_key", ""), idx, analysis), key="nav_chart",
                    on_select="rerun", selection_mode="points", config={"displayModeBar": False})
    centre = st.slider("Window centre", 0.0, max(duration, 1.0), step=1.0, key="trace_center_s",
                       format="%.0f s", label_visibility="collapsed")
    # The slider's own labels are hidden (app.CSS): they can only print seconds ("43377 s").
    at = clock_time(rec, round(centre))
    elapsed = f"<br><small>{hms(round(centre))} in</small>" if at != hms(round(centre)) else ""
    top[6].markdown(f"<div style='padding-top:1.6rem;white-space:nowrap'>{at}{elapsed}</div>",
                    unsafe_allow_html=True)
    start = max(0.0, min(centre - width / 2, duration - width))
    end = min(duration, start + width)
    if view != "One lead":
        _all_leads(chart_slot, analysis, start, end, view, gain, speed)
        return
    selected = st.session_state.get("selected_beat")
    fig = trace.ecg_paper(ecg, rec.fs, start, end, beats=analysis.beats, lead_name=html.escape(lead),
                          unit=html.escape(rec.units[idx]),
                          events=analysis.events, uirevision=f"{start:.1f}-{lead}-{gain}-{speed}",
                          gain_mm_mv=gain, speed_mm_s=speed,
                          reference=_reference(st.session_state.get("analysis_key", ""), analysis),
                          selected=selected if isinstance(selected, (int, np.integer)) else None)
    # "content": the figure's own width, the window at paper speed (the page's width caps it).
    chart_slot.plotly_chart(trace.unchecked(fig), key="ecg_chart", on_select="rerun", selection_mode="points",
                            width="content", config={"scrollZoom": True, "displaylogo": False})
    _add_to_report(rec, start, end)
    notes = []
    if fig["meta"]["clipped"]:
        notes.append("The signal exceeds the chart at this gain and is cut at its edges; lower the gain to see it all.")
    if width * speed * trace.PX_PER_MM > 1.05 * trace.NOMINAL_PLOT_PX:
        notes.append(f"A {width} s window at {speed} mm/s is wider than the page: time is compressed, "
                     f"the mV scale stays {gain} mm/mV.")
    st.caption("Drag to pan, scroll to zoom, double-click to reset; ← → page the window (once a control such as "
               "Window has the focus, the arrows move within it: click the page first). Click the whole-record "
               "strip, move the slider under it, or select an event to move the window. Click a beat to select "
               "it. Top row: the model's class (hover for the confidence); bottom row, when the record has them: "
               "the reference annotations, red where they differ from the model. " + " ".join(notes)
               + (" " + lead_rule(analysis) if rec.signal.shape[1] >= 3 else ""))


def _add_to_report(rec, start: float, end: float) -> None:
    """"Add to report": the window shown becomes one of the report's strips (its middle, at most the
    report's longest strip), captioned with its time; the Export tab lists and removes them."""
    from dashboard.sections.export import strip_book
    from ecg_lstm.report.strips import MAX_CHOSEN_S

    book = strip_book()
    mid, half = (start + end) / 2, min(end - start, MAX_CHOSEN_S) / 2
    window = (max(0.0, mid - half), min(rec.duration_s, mid + half))
    there = any(abs(a - window[0]) < 0.5 and abs(b - window[1]) < 0.5 for a, b, _ in book)
    st.button("In the report" if there else "Add to report", key="trace_add_strip", icon=":material/post_add:",
              disabled=there, on_click=book.append, args=((window[0], window[1],
                                                          f"Strip at {clock_time(rec, window[0])}"),),
              help=f"This window as an ECG strip of the report ({len(book)} chosen so far; the Export tab "
                   "lists them).")


def _view(rec) -> str:
    """One lead, all leads stacked, or the 12-lead print layout (records of three leads or more)."""
    if rec.signal.shape[1] < 3:
        return "One lead"
    views = ["One lead", "All leads"] + (["12-lead"] if trace.twelve_lead_layout(rec.lead_names) else [])
    default = "12-lead" if "12-lead" in views else "One lead"
    return st.segmented_control("View", views, default=default, key="trace_view_mode") or default


def _all_leads(slot, analysis, start: float, end: float, view: str, gain: float, speed: float) -> None:
    rec = analysis.record
    names = [html.escape(n) for n in rec.lead_names]
    fig = trace.leads_paper(rec.signal, rec.fs, names, start, end, beats=analysis.beats,
                            layout="12-lead" if view == "12-lead" else "stacked", gain_mm_mv=gain, speed_mm_s=speed)
    slot.plotly_chart(trace.unchecked(fig), key="leads_chart", width="content",
                      config={"scrollZoom": True, "displaylogo": False})
    st.caption((f"The 12-lead print layout: 2.5 s of each lead from {hms(start)}, a tick at each change of lead, "
                f"then 10 s of lead {trace.RHYTHM_LEAD}. " if view == "12-lead" else
                "Every lead over the window, each on its own baseline. ") + lead_rule(analysis))


def lead_rule(analysis) -> str:
    """Which lead the beats were labelled on, and by which rule; how they were detected."""
    rec = analysis.record
    text = (f"Beats are labelled on lead {md_escape(rec.lead_names[analysis.lead_index])} (the rule: MLII or II "
            "when the record has it, else its first ECG lead). ")
    if analysis.model.get("beat_detection"):
        text += f"Beats detected on {md_escape(analysis.model['beat_detection'])}."
    return text


@st.cache_resource(max_entries=8, show_spinner=False)
def _navigator(key: str, lead: int, _analysis):
    """Navigator figure of one record and lead (downsampled once, cached on the analysis key).
    A resource cache: the figure is handed out as is, not unpickled anew on every rerun
    (``st.plotly_chart`` only reads it)."""
    rec = _analysis.record
    return trace.navigator(rec.signal[:, lead], rec.fs, events=_analysis.events, noisy=_analysis.quality)


@st.cache_resource(max_entries=8, show_spinner=False)
def _reference(key: str, _analysis) -> pd.DataFrame | None:
    """Reference beats of the record (time, AAMI class, symbol), or None; built once per record."""
    rec = _analysis.record
    if rec.annotations is None:
        return None
    from ecg_lstm.beats.aami import reference_table

    # The library's one mapping of reference symbols to AAMI classes; the trace calls the class "label".
    ref = reference_table(rec.annotations, rec.fs)
    return ref[["time_s", "symbol", "reference"]].rename(columns={"reference": "label"})
