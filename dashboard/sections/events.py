"""Events: what the analysis flagged; selecting a row moves the trace there."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.trace import _hms


def table(events: pd.DataFrame) -> pd.DataFrame:
    """Events as shown: start (h:mm:ss), duration, type, beats, description."""
    return pd.DataFrame({
        "start": [_hms(t) for t in events["start_s"]],
        "duration (s)": (events["end_s"] - events["start_s"]).round(1),
        "type": events["type"].astype(str),
        "beats": events["n_beats"] if "n_beats" in events else None,
        "description": events["description"].astype(str) if "description" in events else "",
    })


@st.cache_data(max_entries=4, show_spinner=False)
def _shown(key: str, _events: pd.DataFrame) -> tuple[pd.DataFrame, list[float], str]:
    """(table, jump time of each row in s, counts line) of one record's events, built once
    per record (cached on the analysis key) rather than on every move of the trace."""
    events = _events.sort_values("start_s", kind="stable").reset_index(drop=True)
    counts = " · ".join(f"{k}: **{n}**" for k, n in events["type"].value_counts().items())
    # Centre the window a little after the start, so the onset is in view.
    return table(events), (events["start_s"] + 2.0).tolist(), counts


def render(analysis) -> None:
    events = analysis.events
    if events is None or not len(events):
        st.info("No arrhythmia event was flagged in this record.", icon=":material/check_circle:")
        st.session_state["events_table_times"] = []
        return
    shown, times, counts = _shown(st.session_state.get("analysis_key", ""), events)
    st.markdown(counts)
    st.session_state["events_table_times"] = times
    st.dataframe(shown, key="events_table", on_select="rerun", selection_mode="single-row",
                 hide_index=True, width="stretch", height=min(400, 38 + 35 * len(shown)))
    st.caption("Select a row to show that event on the trace above.")
