"""The review in the browser session: each record's corrections kept across reruns and record
switches, and the page's analysis made the one with them.

The review itself (corrections, undo, Adapt, ``.cor`` files) is ``ecg_lstm.review``; each change
is saved in the study store before the page shows it (:mod:`dashboard.studies_session`). This
module keeps its dicts in ``st.session_state["reviews"][record_key]`` (the record's digest)
and caches what is slow to build: the record's adapter, and the relabelled analysis.

:func:`sync` runs once per page run, before anything is drawn: it hands the reviewed (or
adapted) labels to ``analyze.relabel``, so vitals, rhythm and events come from the one analysis
path, as on the command line. The session-state keys are listed in :mod:`dashboard.state`.
"""
from __future__ import annotations

import streamlit as st

from dashboard import loading, studies_session
from ecg_lstm import review as review_model
from ecg_lstm.errors import ECGError


def reviews() -> dict:
    """Every record's review of this session, by record key."""
    return st.session_state.setdefault("reviews", {})


def current_review() -> dict | None:
    """The review of the record shown (made on first use); None before a record is opened."""
    key = st.session_state.get("record_key")
    return reviews().setdefault(key, review_model.new_review()) if key else None


@st.cache_resource(max_entries=2, show_spinner=False)
def adapter(record_key: str, _plain):
    """The record's :class:`~ecg_lstm.classifier.adapt.RecordAdapter`, built once per record
    (``record_key``) from its analysis as opened; None without a beat classifier."""
    clf, _, _ = loading.models()
    return review_model.record_adapter(clf, _plain)


@st.cache_resource(max_entries=4, show_spinner=False)
def relabelled(record_key: str, sig: str, _plain, _rev: dict | None, as_shipped: bool = False):
    """The analysis of the record with the reviewed (and adapted) labels, once per record and
    signature of its corrections (``sig``: ``ecg_lstm.review.signature``)."""
    saved = studies_session.reviewed_analysis(sig, _plain.record)  # the study's, saved with this review
    if saved is not None:
        return saved
    _, rhythm, _ = loading.models()
    return review_model.relabelled_analysis(_plain, adapter(record_key, _plain), _rev, rhythm, as_shipped)


def sync() -> None:
    """Make ``st.session_state["analysis"]`` the current record with its corrections.

    Called once per run before the page is drawn. A record just opened (loading set a new
    ``analysis_key``) becomes the plain analysis of ``record_key``; its corrections (from this
    session, else from a .cor file that came with it) are applied."""
    state = st.session_state
    if state.get("analysis") is None:
        return
    if state.get("analysis_key") != state.get("review_shown_key"):  # a record was just opened
        state["record_key"] = state["analysis_key"]
        state["analysis_plain"] = state["analysis"]
        state["review_applied"] = ""
        state.pop("selected_beat", None)
    studies_session.refresh()  # another session saved a change to this study: load it first
    if state.get("incoming_corrections"):  # also when the same record was opened again with its .cor
        _load_incoming(state)
    state.pop("incoming_corrections", None)
    key, plain = state["record_key"], state["analysis_plain"]
    rev = reviews().get(key)
    # The opened analysis is adapted to the record (no labels); the reviewer may ask for the
    # shipped model's own labels instead (the Review tab's switch).
    as_shipped = bool(state.get("labels_as_shipped")) and bool(plain.model.get("adaptation"))
    sig = review_model.signature(rev, as_shipped)
    if sig != state.get("review_applied"):
        if sig:
            try:
                with st.spinner("Relabelling the record: vitals, rhythm and events follow the labels..."):
                    state["analysis"] = relabelled(key, sig, plain, rev, as_shipped)
            except ECGError as e:  # e.g. a label the adaptation refuses: nothing else is lost
                state["review_error"] = f"The corrections could not be applied ({e}); the last one is undone."
                if rev is not None and not review_model.undo(rev):
                    review_model.clear(rev)
                sig = review_model.signature(rev, as_shipped)
                state["analysis"] = plain
                if sig:
                    try:
                        state["analysis"] = relabelled(key, sig, plain, rev, as_shipped)
                    except ECGError:  # back to the analysis as opened
                        if rev is not None:
                            review_model.clear(rev)
                        state["labels_as_shipped"], as_shipped, sig = False, False, ""
        else:
            state["analysis"] = plain
        if not studies_session.save_review(rev, state["analysis"], sig):  # refused (disk full...): back to the saved
            saved, adapted = studies_session.saved_review()
            rev["corrections"], rev["adapted"] = dict(saved), adapted
            rev["history"].clear()
            review_model.touch(rev)
            sig = review_model.signature(rev, as_shipped)
            state["analysis"] = relabelled(key, sig, plain, rev, as_shipped) if sig else plain
        state["review_applied"] = sig
    state["analysis_key"] = key + (f"-r{sig}" if sig else "")
    state["review_shown_key"] = state["analysis_key"]
    state["labels_adapted"] = bool(rev and rev["adapted"] and rev["corrections"])
    state["labels_unsupervised"] = bool(plain.model.get("adaptation")) and not as_shipped


def _load_incoming(state) -> None:
    """Corrections that came with the record just opened (an uploaded .cor, or one beside a
    local record): loaded unless this session already holds corrections of the record."""
    data, file_name = state["incoming_corrections"]
    rev = reviews().setdefault(state["record_key"], review_model.new_review())
    studies_session.note_action("corrections loaded", "from a .cor file")
    loaded = review_model.load_corrections(rev, state["analysis_plain"], data, file_name)
    state["review_error" if loaded.error else "review_note"] = loaded.message
