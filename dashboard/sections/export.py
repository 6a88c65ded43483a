"""Export: beats CSV, a WFDB annotation file, the events with the reviewer's decisions,
and the report (one-file HTML, or PDF on A4 or Letter) with the patient, technician and
physician fields (laid out a row at a time, checked: the report waits until they are right),
the strips the technician chose and, as an option, full disclosure pages."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from dashboard.markdown_text import md_escape
from dashboard.time_format import hms

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
    """The HTML report; ``extras``: the study's ``audit`` trail and ``amendment`` (``sections.study``),
    ``strips`` and ``full_disclosure`` (default: this page's choice, :func:`report_options`)."""
    from ecg_lstm.report import html_report

    return html_report(analysis, people=people, events=events, **{**report_options(), **extras}).encode("utf-8")


def report_pdf(analysis, paper: str = "A4", people: dict | None = None, events=None, **extras) -> bytes:
    """The PDF report (``extras`` as :func:`report_html`'s)."""
    from ecg_lstm.report import pdf_report

    return pdf_report(analysis, paper=paper, people=people, events=events, **{**report_options(), **extras})


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
    """Patient, technician and physician fields for the report, a row at a time (Tab goes across
    a row, then to the next): saved in the study as they are typed (in the database only: never in
    a log or a file name), and printed in the report."""
    from dashboard import studies_session
    from ecg_lstm.report import PEOPLE_FIELDS
    from ecg_lstm.report.content import DATE_FIELDS, LONG_FIELDS, MAX_FIELD_CHARS, MAX_LONG_CHARS

    def changed(k: str) -> None:
        studies_session.save_fields({k: st.session_state.get(f"report_{k}") or ""})

    kept = "saved in the study" if studies_session.study_id() is not None else "kept in this browser tab only"
    out = {}
    with st.expander(f"Patient, technician and physician (printed in the report; {kept})", expanded=True):
        for row in FIELD_ROWS:
            cols = st.columns(len(row)) if len(row) > 1 else [st]
            for col, k in zip(cols, row):
                kw = dict(key=f"report_{k}", on_change=changed, args=(k,))
                if k in LONG_FIELDS:
                    out[k] = col.text_area(PEOPLE_FIELDS[k], max_chars=MAX_LONG_CHARS, height=80, **kw)
                else:
                    out[k] = col.text_input(PEOPLE_FIELDS[k], max_chars=MAX_FIELD_CHARS,
                                            placeholder="YYYY-MM-DD" if k in DATE_FIELDS else None, **kw)
    return out


#: The report fields as laid out, a row at a time.
FIELD_ROWS = (("patient_name", "patient_id", "birth_date"), ("reviewer", "review_date"), ("comments",),
              ("physician", "signature_date"), ("conclusion",))


def field_errors(people: dict) -> list[str]:
    """What must be fixed in the fields before the report is exported (empty when nothing)."""
    from ecg_lstm.report import check_fields

    return list(check_fields(people).values())


def parse_seconds(text) -> float | None:
    """A time typed as ``h:mm:ss``, ``m:ss`` or seconds (``75``, ``75.5``); None when it is none."""
    s = str(text or "").strip()
    if not s:
        return None
    try:
        parts = [float(p) for p in s.split(":")]
    except ValueError:
        return None
    if len(parts) > 3 or any(p < 0 for p in parts) or any(p >= 60 for p in parts[1:]):
        return None
    value = 0.0
    for p in parts:
        value = value * 60 + p
    return value


def strip_errors(start_text, length_text, duration_s: float) -> tuple[tuple[float, float] | None, list[str]]:
    """``(start_s, end_s)`` of a strip typed by the technician, or None and what is wrong."""
    from ecg_lstm.report.strips import MAX_CHOSEN_S

    start, errors = parse_seconds(start_text), []
    if start is None:
        errors.append(f"Start: {str(start_text)!r} is not a time; write h:mm:ss or seconds.")
    elif start >= duration_s:
        errors.append(f"Start: the record ends at {hms(duration_s)}.")
    try:
        length = float(str(length_text).strip())
    except ValueError:
        length = float("nan")
    if not 1.0 <= length <= MAX_CHOSEN_S:
        errors.append(f"Length: {str(length_text)!r} is not a number of seconds from 1 to {MAX_CHOSEN_S:.0f}.")
    if errors:
        return None, errors
    return (start, min(duration_s, start + length)), []


def strip_book() -> list:
    """The strips the technician chose for the open record: ``[(start_s, end_s, caption)]``."""
    key = st.session_state.get("record_key") or st.session_state.get("analysis_key", "")
    return st.session_state.setdefault("report_strips", {}).setdefault(key, [])


def report_options() -> dict:
    """``strips`` (the technician's, None: by the rule) and ``full_disclosure`` for the report."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx() is None:  # outside a page (a script, a test): the defaults
        return {}
    return {"strips": list(strip_book()) or None, "full_disclosure": bool(st.session_state.get("report_disclosure"))}


def _strips(analysis) -> None:
    """The strips the technician adds for the report (else the rule picks them), and full disclosure."""
    book = strip_book()
    with st.expander(f"ECG strips in the report ({len(book)} chosen)" if book else
                     "ECG strips in the report (chosen by rule: longest pause, fastest runs, AF onsets, HR extremes)"):
        for k, (a, b, cap) in enumerate(book):
            c = st.columns([5, 1])
            c[0].text(f"{k + 1}. {hms(a)} – {hms(b)}  {cap}")
            if c[1].button("Remove", key=f"report_strip_rm_{k}", icon=":material/delete:"):
                book.pop(k)
                st.rerun()
        c = st.columns([2, 1, 4, 1], vertical_alignment="bottom")
        start = c[0].text_input("Start (h:mm:ss)", key="report_strip_start", placeholder="0:17:30")
        length = c[1].text_input("Length (s)", key="report_strip_length", value="7")
        caption = c[2].text_input("Caption", key="report_strip_caption", max_chars=120)
        window, errors = strip_errors(start, length, analysis.record.duration_s) if start else (None, [])
        for e in errors:
            st.error(e, icon=":material/error:")
        if c[3].button("Add", key="report_strip_add", disabled=window is None, icon=":material/add:"):
            book.append((window[0], window[1], caption or "Strip"))
            st.rerun()
        st.toggle("Full disclosure pages (the whole record, a minute a line)", key="report_disclosure")


def render(analysis) -> None:
    from dashboard.sections.events import reviewed_events
    from dashboard.studies_session import report_extras

    name = analysis.record.name
    people = _people()
    errors = field_errors(people)
    for e in errors:
        st.error(e, icon=":material/error:")
    blocked = {"disabled": True, "help": "Fix the fields above first."} if errors else {}
    _strips(analysis)
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
                         icon=":material/description:", key="dl_html", width="stretch", **blocked)
    d = st.columns(3)
    d[0].download_button("Events with review (CSV)", data=lambda: events_csv(reviewed),
                         file_name=f"{name}_events.csv", mime="text/csv", on_click="ignore", icon=":material/rule:",
                         key="dl_events", width="stretch")
    paper = d[1].selectbox("Paper", ["A4", "Letter"], key="report_paper", label_visibility="collapsed")
    d[2].download_button(f"Report (PDF, {paper})",
                         data=lambda: report_pdf(analysis, paper, people, reviewed, **report_extras()),
                         file_name=f"{name}_report.pdf", mime="application/pdf", on_click="ignore",
                         icon=":material/picture_as_pdf:", key="dl_pdf", width="stretch", **blocked)
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
               "The report opens with a one- or two-page clinical summary (rhythm, heart rate with its times, "
               "pauses, ectopy, AF burden, comments and conclusion), then the ECG strips.")


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
