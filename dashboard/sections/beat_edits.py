"""Beat editing in the Review tab, as in a Holter editor: delete the selected beat, mark a span
as artefact (its beats leave the counts, HRV and events), add a beat the detector missed
(snapped to its R peak). Each is one correction of the review (``ecg_lstm.review``): undone
with Undo, saved in the study and to the ``.cor`` file like the labels.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import studies_session, trace
from dashboard.markdown_text import md_escape
from dashboard.time_format import hms
from ecg_lstm import review as review_model

#: An added beat closer than this to a beat already there is refused (the same beat twice).
MIN_GAP_S = 0.15


def edit_panel(analysis, plain, rev: dict, sel) -> bool:
    """The three edits; True when one changed the review (the caller reruns the page)."""
    beats, fs = analysis.beats, analysis.record.fs
    st.markdown("**Edit beats**")
    counts = review_model.edit_counts(rev["corrections"], plain.beats["sample"].to_numpy(np.int64))
    if any(counts.values()):
        st.caption(f"{counts['deleted']:,} beats deleted, {counts['artefact']:,} in spans marked as artefact, "
                   f"{counts['added']:,} added: none of the first two is counted, in HRV or in an event.")
    ok = sel is not None and 0 <= int(sel) < len(beats)
    cols = st.columns(3)
    with cols[0]:
        if st.button("Delete beat", key="review_delete", icon=":material/delete:", disabled=not ok, width="stretch",
                     shortcut="Delete",
                     help="The selected beat is no beat (noise, a T wave counted twice): it leaves the counts. "
                          "Key Delete."):
            b = beats.iloc[int(sel)]
            studies_session.note_action("delete beat", f"beat at {hms(b['time_s'])} (sample {int(b['sample'])})")
            return bool(review_model.delete(rev, [int(b["sample"])]))
    centre = float(st.session_state.get("trace_center_s") or (beats["time_s"].iloc[int(sel)] if ok else 0.0))
    width = float(st.session_state.get("trace_width_s") or 10)
    with cols[1], st.form("review_artefact_form", border=False):
        lo = st.number_input("Artefact from (s)", 0.0, analysis.record.duration_s, max(0.0, centre - width / 2),
                             step=0.5, key=f"review_artefact_from_{centre:.1f}")
        hi = st.number_input("to (s)", 0.0, analysis.record.duration_s,
                             min(analysis.record.duration_s, centre + width / 2), step=0.5,
                             key=f"review_artefact_to_{centre:.1f}")
        if st.form_submit_button("Mark as artefact", icon=":material/blur_on:"):
            t = beats["time_s"].to_numpy(float)
            inside = beats["sample"].to_numpy(np.int64)[(t >= lo) & (t <= hi)]
            if not len(inside):
                st.warning(md_escape(f"No beat between {lo:.1f} s and {hi:.1f} s."), icon=":material/info:")
                return False
            studies_session.note_action("mark artefact", f"{hms(lo)}-{hms(hi)}: {len(inside):,} beats")
            return bool(review_model.mark_artefact(rev, inside))
    with cols[2], st.form("review_add_form", border=False):
        clicked = st.session_state.get("trace_clicked_s")  # a click on the trace between beats
        at = float(clicked) if clicked is not None and abs(float(clicked) - centre) <= width / 2 else \
            float(beats["time_s"].iloc[int(sel)]) if ok else centre
        t_s = st.number_input("Add a beat at (s)", 0.0, analysis.record.duration_s, at, step=0.05,
                              key=f"review_add_at_{at:.2f}",
                              help="Click the trace where the beat is missing, or type its time; snapped to the "
                                   "R peak within 75 ms.")
        lab = st.selectbox("as", review_model.LABELS, key="review_add_label",
                           format_func=lambda c: f"{c} · {trace.CLASS_NAMES[c]}")
        if st.form_submit_button("Add beat", icon=":material/add:"):
            return _add(analysis, plain, rev, t_s, lab or "N", fs)
    return False


def _add(analysis, plain, rev: dict, t_s: float, label: str, fs: float) -> bool:
    rec = plain.record
    s = review_model.snap_to_r(rec.signal[:, plain.lead_index], fs, min(int(round(t_s * fs)), rec.n_samples - 1))
    have = analysis.beats["sample"].to_numpy(np.int64)
    if len(have) and np.abs(have - s).min() < MIN_GAP_S * fs:
        st.warning(md_escape(f"A beat is already within {MIN_GAP_S * 1000:.0f} ms of {hms(s / fs)} ({s / fs:.2f} s): "
                             "select it to relabel it instead."), icon=":material/info:")
        return False
    studies_session.note_action("add beat", f"{label} at {hms(s / fs)} (sample {s})")
    review_model.add_beat(rev, s, label)
    st.session_state["selected_beat"] = int(np.searchsorted(have, s))
    return True
