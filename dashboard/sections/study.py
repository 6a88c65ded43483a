"""Study: what is kept of this record and where, its status, sign-off, and the audit trail.

Every action on the page is saved in the study as it is made (``ecg_lstm.studies``); this tab
shows the study's state and the trail of who did what, and signs the report: the signed PDF is
stored with its SHA-256, and a later change opens an amendment that keeps the signed version.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import studies_session
from dashboard.markdown_text import md_escape


def what_is_kept() -> str:
    """A sentence for the page on what is kept of an opened record, and where."""
    s = studies_session.store()
    if s is None:
        return ("Records are analysed in memory on this computer and not kept: the study store is not available "
                f"({studies_session.store_problem()}). Nothing is sent elsewhere.")
    from ecg_lstm.studies.db import shown

    return (f"Each record opened is kept on this computer as a study: its files and analysis in {s.folder}, the "
            f"review (corrections, event decisions, report fields, patient fields you type) and its audit trail in "
            f"the database {shown(s.url)}. Nothing is sent elsewhere; delete a study on the Studies page.")


def audit_table(trail: pd.DataFrame) -> pd.DataFrame:
    """The audit trail as shown, newest first: time (UTC), who, action, what, old -> new."""
    def short(v) -> str:
        if isinstance(v, dict) and "labels" in v:
            return ", ".join(f"{lab or 'model'}: {len(s):,}" for lab, s in v["labels"].items()) + \
                (" (adapted)" if v.get("adapted") else "")
        if isinstance(v, dict):
            return ", ".join(f"{k}: {x}" for k, x in v.items())
        return "" if v is None else str(v)

    t = trail.iloc[::-1]
    return pd.DataFrame({"time (UTC)": pd.to_datetime(t["at"]).dt.strftime("%Y-%m-%d %H:%M:%S"), "who": t["who"],
                         "action": t["action"], "what": t["target"], "before": [short(v) for v in t["old"]],
                         "after": [short(v) for v in t["new"]]})


def render(analysis) -> None:
    s, sid = studies_session.store(), studies_session.study_id()
    st.caption(md_escape(what_is_kept()))
    if st.session_state.get("study_error"):
        st.error(md_escape(st.session_state.pop("study_error")), icon=":material/database:")
    if s is None or sid is None:
        return
    row = s.get(sid)
    held = s.holder(sid, row)
    if held and held[0] != studies_session.who():
        st.warning(md_escape(f"{held[0]} changed this study last, at {row['updated_at']:%H:%M} UTC. Both of you can work "
                             "on it: each change is saved, the later one stays for the same beat, and the trail "
                             "below shows both."), icon=":material/group:")
    c = st.columns([2, 2, 3])
    st.session_state["study_label"] = row["label"]
    c[0].text_input(f"Study {sid}" + (f" · amendment {row['amendment']}" if row["amendment"] else "") + ": label",
                    key="study_label", max_chars=200, on_change=_label_changed,
                    help="The study's name in the worklist, as you choose it (e.g. a ward and a bed).")
    statuses = ["new", "in review", "reviewed"]
    if row["status"] == "signed":
        c[1].markdown("**Status: signed**")
    else:
        st.session_state["study_status"] = row["status"]
        c[1].selectbox("Status", statuses, key="study_status", on_change=_status_changed)
    _sign(analysis, row, c[2])
    _signed(s, sid)
    st.markdown("**Audit trail** · every action on this study, who and when; never edited")
    st.dataframe(audit_table(s.audit_trail(sid)), hide_index=True, width="stretch", key="study_audit")


def _label_changed() -> None:
    studies_session.set_label(st.session_state["study_label"])


def _status_changed() -> None:
    studies_session.set_status(st.session_state["study_status"])


def _sign(analysis, row: dict, col) -> None:
    signer = col.text_input("Signed by", value=studies_session.who(), key="study_signer", max_chars=200)
    if col.button("Sign the report", key="study_sign", icon=":material/signature:", type="primary"):
        from dashboard.sections.events import reviewed_events
        from dashboard.sections.export import report_pdf
        from ecg_lstm.report import PEOPLE_FIELDS

        people = {k: st.session_state.get(f"report_{k}") or "" for k in PEOPLE_FIELDS}
        with st.spinner("Building the report to sign..."):
            pdf = report_pdf(analysis, "A4", people, reviewed_events(analysis), **studies_session.report_extras())
        if studies_session.sign(pdf, signer.strip()):
            st.session_state["review_note"] = f"Report signed by {signer.strip()}."
        st.rerun(scope="app")


def _signed(s, sid: int) -> None:
    signed = s.signed_reports(sid)
    for r in signed.itertuples():
        # The signer's name is typed text: a button label renders Markdown, so it is escaped.
        st.download_button(f"Signed report{f' (amendment {r.amendment})' if r.amendment else ''}: "
                           f"{md_escape(r.signed_by)}, "
                           f"{pd.Timestamp(r.signed_at):%Y-%m-%d %H:%M} UTC, SHA-256 {r.sha256[:12]}…",
                           data=lambda d=r.sha256: s.signed_pdf(d), file_name=f"study{sid}_signed_{r.amendment}.pdf",
                           mime="application/pdf", on_click="ignore", icon=":material/verified:",
                           key=f"study_signed_{r.Index}")
