"""Export: beats CSV, a WFDB annotation file, the events with the reviewer's decisions,
and the report (one-file HTML, or PDF on A4 or Letter) with patient and reviewer fields."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from dashboard.markdown_text import md_escape

EXTENSION = "lstm"


def beats_csv(analysis) -> bytes:
    """The beats table as CSV (same columns as the command line writes)."""
    return analysis.beats.to_csv(index=False, float_format="%.6g").encode()


def annotation_bytes(analysis, extension: str = EXTENSION) -> bytes:
    """A WFDB annotation file of the result, written in a temporary folder removed afterwards."""
    from ecg_lstm.analyze import write_annotations

    with tempfile.TemporaryDirectory(prefix="ecg-") as tmp:
        return Path(write_annotations(analysis, tmp, extension)).read_bytes()


def report_html(analysis, people: dict | None = None, events=None, **extras) -> bytes:
    """The HTML report; ``extras``: the study's ``audit`` trail and ``amendment`` (``sections.study``)."""
    from ecg_lstm.report import html_report

    return html_report(analysis, people=people, events=events, **extras).encode("utf-8")


def report_pdf(analysis, paper: str = "A4", people: dict | None = None, events=None, **extras) -> bytes:
    from ecg_lstm.report import pdf_report

    return pdf_report(analysis, paper=paper, people=people, events=events, **extras)


def edf_export(analysis, events) -> bytes:
    """The record as EDF+ with the beats (their labels) and the events as annotations."""
    from ecg_lstm.io.edf_export import edf_bytes

    return edf_bytes(analysis.record, analysis.beats["sample"], analysis.beats["label"], events)


def ishne_export(analysis) -> bytes:
    """The record as an ISHNE 1.0 Holter file (no patient fields: they stay in the study)."""
    from ecg_lstm.io.ishne_format import ishne_bytes

    return ishne_bytes(analysis.record)


def events_csv(events) -> bytes:
    """The events with the reviewer's decision (empty: not reviewed), one row per event."""
    return events.to_csv(index=False, float_format="%.3f").encode()


def _people() -> dict:
    """Patient and reviewer fields for the report: saved in the study as they are typed (in the
    database only: never in a log or a file name), and printed in the report."""
    from dashboard import studies_session
    from ecg_lstm.report import PEOPLE_FIELDS

    def changed(k: str) -> None:
        studies_session.save_fields({k: st.session_state.get(f"report_{k}") or ""})

    kept = "saved in the study" if studies_session.study_id() is not None else "kept in this browser tab only"
    with st.expander(f"Patient and reviewer (printed in the report; {kept})"):
        cols = st.columns(3)
        return {k: cols[i % 3].text_input(label, key=f"report_{k}", max_chars=200, on_change=changed, args=(k,))
                for i, (k, label) in enumerate(PEOPLE_FIELDS.items())}


def render(analysis) -> None:
    from dashboard.sections.events import reviewed_events
    from dashboard.studies_session import report_extras

    name = analysis.record.name
    people = _people()
    reviewed = reviewed_events(analysis)
    c = st.columns(3)
    c[0].download_button("Beats (CSV)", data=lambda: beats_csv(analysis), file_name=f"{name}.csv",
                         mime="text/csv", on_click="ignore", icon=":material/table:", key="dl_csv",
                         width="stretch")
    c[1].download_button(f"Annotations (WFDB .{EXTENSION})", data=lambda: annotation_bytes(analysis),
                         file_name=f"{name}.{EXTENSION}", mime="application/octet-stream", on_click="ignore",
                         icon=":material/label:", key="dl_ann", width="stretch")
    c[2].download_button("Report (HTML)", data=lambda: report_html(analysis, people, reviewed, **report_extras()),
                         file_name=f"{name}_report.html", mime="text/html", on_click="ignore",
                         icon=":material/description:", key="dl_html", width="stretch")
    d = st.columns(3)
    d[0].download_button("Events with review (CSV)", data=lambda: events_csv(reviewed),
                         file_name=f"{name}_events.csv", mime="text/csv", on_click="ignore", icon=":material/rule:",
                         key="dl_events", width="stretch")
    paper = d[1].selectbox("Paper", ["A4", "Letter"], key="report_paper", label_visibility="collapsed")
    d[2].download_button(f"Report (PDF, {paper})",
                         data=lambda: report_pdf(analysis, paper, people, reviewed, **report_extras()),
                         file_name=f"{name}_report.pdf", mime="application/pdf", on_click="ignore",
                         icon=":material/picture_as_pdf:", key="dl_pdf", width="stretch")
    e = st.columns(2)
    e[0].download_button("Record with beats and events (EDF+)", data=lambda: edf_export(analysis, reviewed),
                         file_name=f"{name}.edf", mime="application/octet-stream", on_click="ignore",
                         icon=":material/ecg:", key="dl_edf", width="stretch")
    rec = analysis.record
    e[1].download_button("Holter record (ISHNE .ecg)", data=lambda: ishne_export(analysis), file_name=f"{name}.ecg",
                         mime="application/octet-stream", on_click="ignore", icon=":material/monitor_heart:",
                         key="dl_ishne", width="stretch", disabled=len(rec.lead_names) > 12 or rec.fs != round(rec.fs),
                         help="ISHNE 1.0 holds up to 12 leads at a whole number of Hz.")
    _corrections(analysis)
    st.caption(f"The CSV has one row per beat: sample, time_s, label, confidence and the class probabilities. "
               # The record's name is record text: escaped, and not in a code span it could close.
               f"The annotation file opens with wfdb.rdann\\('{md_escape(name)}', '{EXTENSION}'\\) next to the record. "
               "The report is one HTML file with the summary, vitals, events and an ECG strip per event.")


def _corrections(analysis) -> None:
    """The reviewer's corrections as a WFDB annotation file (reviewed beats only), which opens
    the record again with them when uploaded with it or put beside it."""
    from dashboard.review_session import current_review
    from ecg_lstm.review import corrections_bytes

    rev = current_review()
    if not rev or not rev["corrections"]:
        return
    st.download_button(f"Corrections (WFDB .cor, {len(rev['corrections']):,} reviewed beats)",
                       data=lambda: corrections_bytes(analysis, rev), file_name=f"{analysis.record.name}.cor",
                       mime="application/octet-stream", on_click="ignore", icon=":material/save:", key="dl_cor")
