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


def render(analysis) -> None:
    events = analysis.events
    if events is None or not len(events):
        st.info("No arrhythmia event was flagged in this record.", icon=":material/check_circle:")
        st.session_state["events_table_times"] = []
        return
    events = events.sort_values("start_s", kind="stable").reset_index(drop=True)
    counts = events["type"].value_counts()
    st.markdown(" · ".join(f"{k}: **{n}**" for k, n in counts.items()))
    # Centre the window a little after the start, so the onset is in view.
    st.session_state["events_table_times"] = (events["start_s"] + 2.0).tolist()
    st.dataframe(table(events), key="events_table", on_select="rerun", selection_mode="single-row",
                 hide_index=True, width="stretch", height=min(400, 38 + 35 * len(events)))
    st.caption("Select a row to show that event on the trace above.")
