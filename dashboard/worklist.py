"""The Studies page: every study kept on this computer, a row each; open one, or delete it.

The table sorts by any column (click its head) and filters by status and by text (label,
record or reviewer). Opening a study reads its files and its saved analysis from the store,
not analysing again, and brings back its review as it was last saved.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import loading, studies_session
from dashboard.markdown_text import md_escape
from dashboard.time_format import hms

#: Rows the table shows at most (the newest changes first); the filters find the others.
MAX_ROWS = 5000


def table(studies: pd.DataFrame) -> pd.DataFrame:
    """The worklist as shown: one row per study."""
    def when(t) -> str:
        return "" if t is None or pd.isna(t) else f"{pd.Timestamp(t):%Y-%m-%d %H:%M}"

    return pd.DataFrame({
        "study": studies["id"].astype(int),
        "label": studies["label"].astype(str),
        "record": studies["record_name"].astype(str),
        "length": [hms(d) for d in studies["duration_s"]],
        "recorded": studies["recorded_at"].fillna("").astype(str),
        "added (UTC)": [when(t) for t in studies["created_at"]],
        "status": [s + (f" (amendment {a})" if a else "") for s, a in zip(studies["status"], studies["amendment"])],
        "reviewer": studies["reviewer"].fillna("").astype(str),
        "corrections": studies["n_corrections"].astype(int),
        "AF burden %": studies["af_burden_pct"].astype(float).round(1),
        "PVC burden %": studies["pvc_burden_pct"].astype(float).round(2),
        "pauses": studies["n_pauses"].fillna(0).astype(int),
        "last change (UTC)": [when(t) for t in studies["updated_at"]],
    })


def render() -> None:
    st.title("Studies", anchor=False)
    s = studies_session.store()
    if s is None:
        st.error(md_escape(f"The study store is not available: {studies_session.store_problem()}. Records can still "
                           "be opened on the Record page; they are not kept."), icon=":material/database:")
        return
    from ecg_lstm.studies import STATUSES
    from ecg_lstm.studies.db import shown

    st.caption(md_escape(f"Kept in {shown(s.url)}; files in {s.folder}."))
    c = st.columns([1, 2])
    status = c[0].selectbox("Status", ["all", *STATUSES], key="worklist_status")
    text = c[1].text_input("Search label, record or reviewer", key="worklist_text", max_chars=100)
    studies = s.list(status=None if status == "all" else status, text=text.strip() or None)
    if studies.empty:
        st.info("No study yet: open a record on the Record page (or `python -m ecg_lstm studies add`, or a batch "
                "with `--store`), and it is kept here." if status == "all" and not text else "No study matches.",
                icon=":material/inbox:")
        return
    shown_rows = table(studies.head(MAX_ROWS))
    more = f" (the {MAX_ROWS:,} changed last shown)" if len(studies) > MAX_ROWS else ""
    st.caption(f"{len(studies):,} stud{'y' if len(studies) == 1 else 'ies'}{more}. Select a row, then open it.")
    st.dataframe(shown_rows, key="worklist_table", on_select="rerun", selection_mode="single-row", hide_index=True,
                 width="stretch", height=min(600, 38 + 35 * len(shown_rows)))
    rows = _selected()
    if not rows or rows[0] >= len(shown_rows):
        return
    sid = int(shown_rows["study"].iloc[rows[0]])
    b = st.columns([2, 2, 3])
    if b[0].button(f"Open study {sid}", key="worklist_open", type="primary", icon=":material/folder_open:"):
        with st.spinner("Opening the study..."):
            ok = loading.open_stored(sid)
        if ok:
            st.switch_page(st.session_state["record_page"])
        err = st.session_state.get("load_error")
        if err:
            st.error(md_escape(err[1]), icon=":material/error:")
    with b[2].popover("Delete…", icon=":material/delete:"):
        st.write(f"Delete study {sid}: its review, audit trail, analysis and the files no other study uses.")
        if st.button(f"Delete study {sid} for good", key="worklist_delete", type="primary"):
            s.delete(sid)
            if studies_session.study_id() == sid:
                st.session_state.pop("study_id", None)
            st.rerun()


def _selected() -> list[int]:
    try:
        return list(st.session_state["worklist_table"]["selection"]["rows"])
    except (KeyError, TypeError):
        return []
