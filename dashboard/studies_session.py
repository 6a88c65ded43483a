"""The page's link to the study store: every record opened is a study, every action saved as made.

The store itself (database, files, audit trail) is ``ecg_lstm.studies``; this module keeps
which study the page shows and hands each action to the store:

- :func:`open_study` after a record is opened: the study of that record (made on first
  opening), its corrections, event decisions and report fields put into the session;
- :func:`save_review` from ``review_session.sync``, once the labels are applied and before the
  page is drawn: the change of corrections since the last save, with the action's name;
- :func:`decide_event`, :func:`save_fields`, :func:`set_status`, :func:`sign`: the other actions;
- :func:`refresh`, once per run: another session saved a change to this study? Its state is
  loaded (the last writer wins, action by action; the audit trail shows both).

Without a store (it cannot be opened: the page says why), records open as before, in the
browser session only. Nothing here logs a patient field or a file name.

The library is imported inside the functions: the sidebar draws :func:`who` on the page's first
view, before the library has loaded (``dashboard.loading``).
"""
from __future__ import annotations

import getpass

import streamlit as st


@st.cache_resource(show_spinner=False)
def _open_store():
    """(store, None), or (None, why) when it cannot be opened; once per server."""
    from ecg_lstm.errors import ECGError
    from ecg_lstm.studies import StudyStore

    try:
        return StudyStore(), None
    except ECGError as e:
        return None, str(e)


def store():
    """The study store, or None (see :func:`store_problem`)."""
    return _open_store()[0]


def store_problem() -> str | None:
    return _open_store()[1]


def who() -> str:
    """The reviewer's name (the sidebar's box), else this computer's user name."""
    name = (st.session_state.get("reviewer_name") or "").strip()
    if name:
        return name[:200]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unnamed"


def study_id() -> int | None:
    return st.session_state.get("study_id")


def open_study(files: dict[str, bytes], analysis, label: str, source: str, options: dict) -> None:
    """Make the study of the record just opened the current one (adding it on first opening) and
    load what was saved of it into the session. A store that fails leaves the record open, unsaved."""
    from ecg_lstm.errors import ECGError

    state = st.session_state
    state.pop("study_id", None)
    s = store()
    if s is None:
        _fields_from_file(None)
        return
    try:
        sid = s.add(files, analysis, who=who(), label=label, source=source, options=options)
    except ECGError as e:
        state["study_error"] = f"The record is open but not kept as a study: {e}"
        return
    state["study_id"] = sid
    load_saved(sid)


def load_saved(sid: int, key: str | None = None) -> None:
    """Put the study's saved review, decisions and report fields into the session, under the record's
    key ``key`` (default: the record just opened, ``analysis_key``)."""
    from ecg_lstm.report import PEOPLE_FIELDS

    state, s = st.session_state, store()
    key = key or state.get("analysis_key")
    rev = s.review(sid)
    state.setdefault("reviews", {})[key] = rev
    state["study_saved"] = (dict(rev["corrections"]), rev["adapted"])
    state["study_version"] = rev["study_version"]
    state.setdefault("event_decisions", {})[key] = s.decisions(sid)
    fields = s.get(sid)["report_fields"] or {}
    for k in PEOPLE_FIELDS:
        state[f"report_{k}"] = fields.get(k, "")
    _fields_from_file(sid)


def _fields_from_file(sid: int | None) -> None:
    """Patient fields the record's file carries (ISHNE, DICOM, XML) fill the report's empty fields,
    and are saved in the study (in the database only; never logged)."""
    from ecg_lstm.report import people_from_file

    state = st.session_state
    analysis = state.get("analysis")
    found = people_from_file(analysis.record.metadata.get("patient")) if analysis is not None else {}
    new = {k: v for k, v in found.items() if not state.get(f"report_{k}")}
    for k, v in new.items():
        state[f"report_{k}"] = v
    if new and sid is not None:
        save_fields(new)


def study_line() -> str:
    """The study shown, in a few words: its number, status, and who else changed it last (and when)."""
    from ecg_lstm.errors import ECGError

    sid, s = study_id(), store()
    if sid is None or s is None:
        return ""
    try:
        row = s.get(sid)
        held = s.holder(sid, row)
    except ECGError:
        return ""
    line = f"study {sid}, {row['status']}" + (f" (amendment {row['amendment']})" if row["amendment"] else "")
    if held and held[0] != who():
        changed = row["updated_at"]
        line += f" · {held[0]} is working on it (last change {changed:%H:%M} UTC)"
    return line


def changed_elsewhere() -> bool:
    """Whether another session saved a change to the study shown since this page read it (one small
    query): the trace and tabs, which rerun on their own, then rerun the whole page to load it."""
    from ecg_lstm.errors import ECGError

    sid, s = study_id(), store()
    if sid is None or s is None:
        return False
    try:
        return s.version(sid) != st.session_state.get("study_version")
    except ECGError:
        return False


def refresh() -> None:
    """Load the study again when another session saved a change to it since this page read it."""
    from ecg_lstm.errors import ECGError

    state, sid, s = st.session_state, study_id(), store()
    if sid is None or s is None:
        return
    try:
        version = s.version(sid)
    except ECGError:
        return
    if version is None:  # deleted elsewhere: the record stays open, no longer kept
        state.pop("study_id", None)
        state["study_error"] = "This study was deleted on the Studies page; the record stays open here, not kept."
        return
    if version != state.get("study_version"):
        holder = s.holder(sid)
        load_saved(sid, state.get("record_key"))
        state["review_note"] = ("This study was changed in another session" +
                                (f" (by {holder[0]})" if holder else "") + "; its latest state is shown.")


def save_review(rev: dict, analysis, signature: str = "") -> bool:
    """Save the change of ``rev`` since the last save (``study_saved``), named by the action the page
    set (``review_action``), with the worklist summary of ``analysis``, which is kept too (under the
    review's ``signature``: reopening the study then needs no relabelling). False when the store
    refused it: the caller goes back to the saved state (``study_saved``)."""
    from ecg_lstm.errors import ECGError
    from ecg_lstm.studies import summary_of

    state, sid, s = st.session_state, study_id(), store()
    action, target = state.pop("review_action", ("review change", ""))
    if sid is None or s is None or rev is None:
        return True
    before = state.get("study_saved", ({}, False))
    after = (dict(rev["corrections"]), bool(rev["adapted"]))
    if after == before:
        return True
    try:
        state["study_version"] = s.save_review(sid, who(), action, before, after, target=target,
                                               summary=summary_of(analysis))
    except ECGError as e:
        state["review_error"] = f"{e}. The last change is undone on the page too."
        return False
    state["study_saved"] = after
    if signature:
        try:
            s.keep_reviewed_analysis(sid, signature, analysis)
        except ECGError:
            pass  # only a shortcut for the next opening: the review itself is saved
    return True


def reviewed_analysis(signature: str, record):
    """The current study's analysis saved with the review of this ``signature``, or None."""
    sid, s = study_id(), store()
    if sid is None or s is None or not signature:
        return None
    return s.reviewed_analysis(sid, signature, record)


def saved_review() -> tuple[dict, bool]:
    return st.session_state.get("study_saved", ({}, False))


def note_action(action: str, target: str = "") -> None:
    """Name the review action about to be applied (for its audit entry)."""
    st.session_state["review_action"] = (action, target)


def _guarded(fn, *args) -> bool:
    from ecg_lstm.errors import ECGError

    sid, s = study_id(), store()
    if sid is None or s is None:
        return True
    try:
        fn(s, sid, *args)
    except ECGError as e:
        st.session_state["study_error"] = f"{e}."
        return False
    st.session_state["study_version"] = s.version(sid)
    return True


def decide_event(event_id: str, decision: str, target: str) -> bool:
    return _guarded(lambda s, sid: s.decide_event(sid, who(), event_id, decision, target=target))


def save_fields(fields: dict[str, str]) -> bool:
    return _guarded(lambda s, sid: s.set_fields(sid, who(), fields))


def set_label(label: str) -> bool:
    return _guarded(lambda s, sid: s.set_label(sid, who(), label))


def set_status(status: str) -> bool:
    return _guarded(lambda s, sid: s.set_status(sid, who(), status))


def sign(pdf: bytes, signer: str) -> bool:
    return _guarded(lambda s, sid: s.sign(sid, signer, pdf))


def report_extras() -> dict:
    """``audit`` and ``amendment`` for the report of the current study (empty without one)."""
    from ecg_lstm.studies.export import amendment_of

    s, sid = store(), study_id()
    if s is None or sid is None:
        return {}
    extras = {"audit": s.audit_trail(sid)}
    amendment = amendment_of(s, sid, int(s.get(sid)["amendment"] or 0))
    if amendment:
        extras["amendment"] = amendment
    return extras
