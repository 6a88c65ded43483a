"""Events: what the analysis flagged, grouped by type and into episodes, filtered, reviewed.

The alarms come first, in one sentence (what a monitor alarms on: VT past its run and rate
limits, pauses of 3 s or more, ventricular flutter / fibrillation, never in noisy signal), then
a summary row per event type (8,000 PVCs are one row) with its episodes (events of the type at
most a minute apart: "150 SVT runs in 12 episodes"), then the events of the chosen types, a page
at a time; selecting a row moves the trace there and offers Accept / Reject.  Decisions are kept
in the session state per record (``event_decisions[record_key]``: a beat correction, which
changes the analysis key, keeps them), go into the exports, and a rejected event raises no alarm
in the live monitor.  Long records get an hourly table.  Times are clock times when the record
has a start time, else ``h:mm:ss`` from its start.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.time_format import clock_time, hms
from ecg_lstm.findings.events import (
    EVENT_TYPES,
    EventRules,
    alarm_summary,
    alarm_words,
    alarms,
    episode_numbers,
    event_groups,
    hourly_summary,
    with_decisions,
)

#: Rows per page of the event table.
PAGE_ROWS = 500
#: Records longer than this (s) show the hourly summary open.
HOURLY_FROM_S = 3600.0
DECISION_TEXT = {"": "", "accepted": "✓ accepted", "rejected": "✗ rejected"}


def decisions(key: str | None = None) -> dict[str, str]:
    """The reviewer's decisions ``{event id: "accepted"|"rejected"}`` of the open record (or ``key``)."""
    if key is None:  # the record's digest: the same through beat corrections and reruns
        key = st.session_state.get("record_key") or st.session_state.get("analysis_key", "")
    return st.session_state.setdefault("event_decisions", {}).setdefault(key, {})


def reviewed_events(analysis) -> pd.DataFrame:
    """The analysis' events with ``id`` and ``decision`` columns (what the exports write)."""
    return with_decisions(analysis.events, decisions())


def table(events: pd.DataFrame, record=None) -> pd.DataFrame:
    """Events as shown: start (the record's clock time, else h:mm:ss), duration, type, episode
    (number within its type, when the events carry one), beats, signal, alarm, decision,
    description."""
    return pd.DataFrame({
        "start": [hms(t) if record is None else clock_time(record, t) for t in events["start_s"]],
        "duration (s)": (events["end_s"] - events["start_s"]).round(1),
        "type": events["type"].astype(str),
        "episode": events["episode"] + 1 if "episode" in events else None,
        "beats": events["n_beats"] if "n_beats" in events else None,
        "signal": ["noisy: no alarm" if n else "" for n in events["noisy"]] if "noisy" in events else "",
        "alarm": ["alarm" if a else "" for a in alarms(events)] if len(events) else [],
        "decision": [DECISION_TEXT.get(d, d) for d in events["decision"]] if "decision" in events else "",
        "description": events["description"].astype(str) if "description" in events else "",
    })


@st.cache_data(max_entries=4, show_spinner=False)
def _base(key: str, _events: pd.DataFrame, _record=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(events sorted by time with ids and episodes, table without decisions, per-type groups) of
    one record, built once per record (cached on the analysis key), not on every rerun."""
    events = with_decisions(_events.sort_values("start_s", kind="stable").reset_index(drop=True), {})
    events["episode"] = episode_numbers(events)
    return events, table(events, _record), event_groups(events)


def _decide(decision: str, event_id: str, key: str, target: str = "") -> None:
    """Accept, reject or take back (``""``) the decision on an event: saved in the study first; a
    store that refuses it leaves the decision as it was (the page says why)."""
    from dashboard import studies_session

    if not studies_session.decide_event(event_id, decision, target or event_id):
        return
    book = decisions(key)
    if decision:
        book[event_id] = decision
    else:
        book.pop(event_id, None)


def _groups_table(groups: pd.DataFrame, book: dict, events: pd.DataFrame) -> pd.DataFrame:
    dec = events["id"].map(book).fillna("")
    alarm = pd.Series(alarms(events.assign(decision=dec)), index=events.index)  # a rejected event: none
    return pd.DataFrame({
        "type": groups["type"],
        "meaning": [EVENT_TYPES.get(t, "") for t in groups["type"]],
        "events": groups["count"],
        "episodes": groups["episodes"],
        "in noisy signal": groups["noisy"].astype(int),
        "alarms": [int(alarm[events["type"] == t].sum()) for t in groups["type"]],
        "alarm episodes": [len(set(episode_numbers(events[(events["type"] == t) & alarm]).tolist()))
                           for t in groups["type"]],
        "accepted": [int(((events["type"] == t) & (dec == "accepted")).sum()) for t in groups["type"]],
        "rejected": [int(((events["type"] == t) & (dec == "rejected")).sum()) for t in groups["type"]],
        "first": groups["first"] if "first" in groups else [hms(t) for t in groups["first_s"]],
    })


def alarm_line(base: pd.DataFrame, book: dict, record=None) -> str:
    """The alarms of the record in one sentence, the reviewer's rejections left out."""
    dec = base["id"].map(book).fillna("")
    ev = base[dec != "rejected"]
    return alarm_summary(ev.assign(alarm=alarms(ev)), None if record is None else (lambda t: clock_time(record, t)))


def render(analysis) -> None:
    events = analysis.events
    if events is None or not len(events):
        st.info("No arrhythmia event was flagged in this record.", icon=":material/check_circle:")
        st.session_state["events_table_times"] = []
        return
    key = st.session_state.get("analysis_key", "")
    rec = analysis.record
    base, shown_all, groups = _base(key, events, rec)
    book_key = st.session_state.get("record_key") or key
    book = decisions(book_key)
    st.markdown(alarm_line(base, book, rec))
    rules = EventRules()
    st.caption("A monitor alarms on " + ", ".join(one for one, _ in alarm_words(rules).values())
               + ", never in noisy signal; the other events are counted and reviewed. An episode: events of "
               f"one type at most {rules.episode_gap_s:.0f} s apart.")
    groups = groups.assign(first=[clock_time(rec, t) for t in groups["first_s"]])
    st.dataframe(_groups_table(groups, book, base), hide_index=True, width="stretch", key="events_groups")
    if "noisy" in base and base["noisy"].any():
        st.caption(f"{int(base['noisy'].sum())} events lie in noisy signal: they are listed, marked, and raise no "
                   "alarm (their beats may be artefacts).")
    if analysis.record.duration_s > 600:
        with st.expander("Hourly summary", expanded=analysis.record.duration_s >= HOURLY_FROM_S):
            st.dataframe(hourly_summary(base, analysis.record.duration_s), width="stretch", key="events_hourly")

    c = st.columns([3, 1, 1, 1])
    types = c[0].multiselect("Event types", list(groups["type"]), key="events_filter",
                             placeholder="all types")
    hide_noisy = c[1].toggle("Hide noisy", key="events_hide_noisy")
    only_alarms = c[2].toggle("Alarms only", key="events_alarms_only")
    keep = base["type"].isin(types).to_numpy() if types else pd.Series(True, index=base.index).to_numpy()
    if hide_noisy and "noisy" in base:
        keep &= ~base["noisy"].to_numpy(bool)
    if only_alarms:
        keep &= alarms(base.assign(decision=base["id"].map(book).fillna("")))
    idx = base.index[keep]
    n_pages = max(1, -(-len(idx) // PAGE_ROWS))
    page = int(c[3].number_input("Page", 1, n_pages, 1, key="events_page", disabled=n_pages == 1)) - 1
    idx = idx[page * PAGE_ROWS:(page + 1) * PAGE_ROWS]
    rows = base.loc[idx]
    shown = shown_all.loc[idx].reset_index(drop=True)
    shown["decision"] = [DECISION_TEXT[book.get(i, "")] for i in rows["id"]]
    if len(rows):  # a rejected event raises no alarm
        shown["alarm"] = ["alarm" if a else "" for a in alarms(rows.assign(decision=rows["id"].map(book).fillna("")))]
    # The trace jumps to the row picked in the table (dashboard.sections.trace_view).
    # Centre the window a little after the start, so the onset is in view.
    st.session_state["events_table_times"] = (rows["start_s"] + 2.0).tolist()
    st.caption(f"{len(shown):,} of {len(base):,} events" + (f", page {page + 1} of {n_pages}" if n_pages > 1 else "")
               + ". Select a row to show it on the trace above, then accept or reject it.")
    st.dataframe(shown, key="events_table", on_select="rerun", selection_mode="single-row",
                 hide_index=True, width="stretch", height=min(400, 38 + 35 * max(len(shown), 1)))

    sel = st.session_state.get("events_table")
    picked = list(getattr(getattr(sel, "selection", None), "rows", None) or
                  ((sel or {}).get("selection", {}).get("rows", []) if isinstance(sel, dict) else []))
    if picked and picked[0] < len(rows):
        row = rows.iloc[picked[0]]
        current = book.get(row["id"], "")
        what = f"{row['type']} at {clock_time(rec, row['start_s'])}"
        b = st.columns([3, 1, 1, 1])
        b[0].text(f"{what}: {DECISION_TEXT[current] or 'not reviewed'}")
        b[1].button("Accept", key="event_accept", on_click=_decide, args=("accepted", row["id"], book_key, what),
                    icon=":material/check:", disabled=current == "accepted", width="stretch")
        b[2].button("Reject", key="event_reject", on_click=_decide, args=("rejected", row["id"], book_key, what),
                    icon=":material/close:", disabled=current == "rejected", width="stretch")
        b[3].button("Undo", key="event_undo", on_click=_decide, args=("", row["id"], book_key, what),
                    icon=":material/undo:", disabled=not current, width="stretch")
