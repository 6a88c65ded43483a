"""Review: the record's beat templates, corrections, and adaptation from them.

A Holter analyst reviews *templates* (families of beats of one shape and timing), not
single beats: relabel a template and all its beats follow; relabel a single beat (the
one selected on the trace, or one the system asks about); delete a beat, mark a span as
artefact, add a missed beat (:mod:`dashboard.sections.beat_edits`); undo; then "Adapt", which
relabels the rest of the record from the corrections (``RecordAdapter.with_labels``).
The beats the system most wants reviewed (``RecordAdapter.query``) come first.

This module holds the tab's widgets only. The review itself (corrections, undo, Adapt,
``.cor`` files, the template table) is ``ecg_lstm.review``; keeping it per record in the
session and applying it to the page's analysis is :mod:`dashboard.review_session`; the
figures are :mod:`dashboard.trace.strips`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import review_session, studies_session, trace
from dashboard.markdown_text import md_escape
from dashboard.sections import beat_edits
from dashboard.sections import model as model_files
from dashboard.time_format import hms
from ecg_lstm import review as review_model
from ecg_lstm.report.model_card import protocol_row

LABELS = review_model.LABELS
#: Beats offered for review at a time.
QUERY_K = 20


@st.cache_data(max_entries=4, show_spinner=False)
def _template_view(analysis_key: str, _aligned, _templates) -> pd.DataFrame:
    """One row per template with the labels now shown (after corrections), once per analysis."""
    return review_model.template_view(_aligned, _templates)


@st.cache_data(max_entries=4, show_spinner=False)
def _aligned(analysis_key: str, _analysis, _plain) -> pd.DataFrame:
    """The labels shown, in the order of the beats as detected (which the templates index), and each
    one's row on the page (-1: deleted or artefact); once per analysis."""
    return review_model.aligned_beats(_analysis.beats, _plain.beats["sample"].to_numpy(np.int64))


def _relabel_buttons(prefix: str, current: str, keys: bool = False) -> str | None:
    """Five buttons, one per class; returns the class clicked. With ``keys``, the class's letter is
    its keyboard shortcut (the selected beat's buttons: a technician relabels from the keyboard)."""
    cols = st.columns(len(LABELS))
    out = None
    for c, lab in zip(cols, LABELS):
        if c.button(f"{lab} · {trace.CLASS_NAMES[lab]}", key=f"{prefix}_{lab}", width="stretch",
                    type="primary" if lab == current else "secondary", shortcut=lab if keys else None,
                    help=f"Key {lab}" if keys else None):
            out = lab
    return out


def notes() -> None:
    """What happened to the corrections on opening the record or on the last action (once)."""
    for what, show in (("review_error", st.error), ("review_note", st.info)):
        if st.session_state.get(what):
            show(md_escape(st.session_state.pop(what)), icon=":material/rate_review:")


def _changed() -> None:
    """A correction changes labels, vitals and events all over the page: rerun all of it
    (the tab lives in a fragment that would otherwise rerun alone)."""
    st.rerun(scope="app")


def render(analysis) -> None:
    state = st.session_state
    rev = review_session.current_review()
    notes()
    plain = state.get("analysis_plain", analysis)
    if rev is None or not len(plain.beats):
        st.info("No beats to review.")
        return
    ad = review_session.adapter(state["record_key"], plain)
    if ad is None or not (plain.beats["label"].astype(str) != "").any():
        st.info("The beat classifier is not available: there are no labels to review.")
        return
    if plain.model.get("adaptation"):
        _model_switch()
    n_corr = len(rev["corrections"])
    top = st.columns([3, 1, 1, 2])
    top[0].markdown(f"**{n_corr:,} reviewed beats**" + (" · rest of the record adapted to them" if rev["adapted"]
                                                        and n_corr else ""))
    if top[1].button("Undo", key="review_undo", icon=":material/undo:", disabled=not rev["history"], width="stretch",
                     shortcut="Ctrl+Z", help="Undo the last correction (Ctrl+Z)"):
        studies_session.note_action("undo")
        review_model.undo(rev)
        _changed()
    if top[2].button("Adapt", key="review_adapt", icon=":material/model_training:", type="primary",
                     disabled=not n_corr or rev["adapted"], width="stretch",
                     help="Relabel the rest of the record from the reviewed beats (about a second for 30 min)."):
        studies_session.note_action("adapt", f"rest of the record from {n_corr:,} reviewed beats")
        review_model.adapt(rev)
        _changed()
    top[3].download_button("Save corrections (WFDB .cor)",
                           data=lambda: review_model.corrections_bytes(analysis, rev, plain),
                           file_name=f"{analysis.record.name}.cor", mime="application/octet-stream",
                           on_click="ignore", icon=":material/save:", key="review_save", disabled=not n_corr,
                           width="stretch")
    _save_beside(analysis, rev)
    _worth(plain)

    aligned = _aligned(state.get("analysis_key", ""), analysis, plain)
    reviewed_idx = np.flatnonzero(aligned["reviewed"].to_numpy(bool) | (aligned["row"].to_numpy() < 0))
    query = ad.query(QUERY_K, exclude=reviewed_idx)
    T = ad.template_table()
    _single_beat(analysis, rev, query, T, aligned)
    if beat_edits.edit_panel(analysis, plain, rev, state.get("selected_beat")):
        _changed()
    st.divider()
    _templates(analysis, rev, query, T, aligned, plain)


def _model_switch() -> None:
    """Labels of the model adapted to this record (the default), or as shipped. Kept outside
    the widget's own state, which Streamlit forgets while the tab is closed."""
    state = st.session_state
    state["review_unsupervised"] = not state.get("labels_as_shipped", False)

    def changed() -> None:
        state["labels_as_shipped"] = not state["review_unsupervised"]

    st.toggle("Model adapted to this record (no labels needed)", key="review_unsupervised", on_change=changed,
              help="On: the model's labels are pooled over each template of this record and checked against "
                   "its rhythm (chosen on DS1; see the DS2 figures). Off: the shipped model's labels as they are.")
    if state.get("labels_unsupervised") == state.get("labels_as_shipped"):
        _changed()  # switched in this run of the tab: the whole page follows


def _worth(plain) -> None:
    """What the model's labels are worth on unseen patients, per class: where review pays."""
    adapted = bool(st.session_state.get("labels_unsupervised") or st.session_state.get("labels_adapted"))
    row = protocol_row(model_files.model_facts()["beat"], plain.beat_source, adapted=adapted)
    if row is None:
        return
    name, f = row
    parts = [f"{cls} beats: {f[k + ' Se']:.0f} % found, {f[k + ' +P']:.0f} % of its {cls} labels right"
             for cls, k in (("S", "SVEB"), ("V", "VEB")) if f"{k} Se" in f and f"{k} +P" in f]
    if parts:
        st.caption(f"On patients it never saw (DS2, {name}), the model: " + "; ".join(parts) + ".")


def _save_beside(analysis, rev: dict) -> None:
    """For a local record: write <record>.cor beside it, where opening it again finds it."""
    path = st.session_state.get("record_path")
    if not path or not rev["corrections"]:
        return
    from ecg_lstm.beats.corrections import labels_path

    target = labels_path(path)
    if st.button(f"Save beside the record ({md_escape(target.name)})", key="review_save_local",
                 icon=":material/folder:"):
        try:  # a new file renamed over the old one: a link left there is replaced, not written through
            target = review_model.save_beside(path, analysis, rev)
        except OSError as e:
            st.error(md_escape(f"Could not write {target}: {e.strerror or e}"), icon=":material/error:")
        else:
            st.success(md_escape(f"Saved {len(rev['corrections'])} reviewed beats to {target}; opening the record "
                                 "again loads them."), icon=":material/check:")


def _single_beat(analysis, rev: dict, query: np.ndarray, T, aligned) -> None:
    beats = analysis.beats
    rows = aligned["row"].to_numpy()
    st.markdown("**Beats to review first** (the system's choice: one per template, the least certain first)")
    query = query[rows[query] >= 0]  # beats on the page (not deleted, not artefact)
    if len(query):
        q = beats.iloc[rows[query]]
        view = pd.DataFrame({"time": [hms(x) for x in q["time_s"]], "label": q["label"].to_numpy(),
                             "confidence": q["confidence"].round(2).to_numpy(),
                             "template": T.beat_template[query]})
        st.session_state["review_query"] = [int(i) for i in rows[query]]
        st.dataframe(view, hide_index=True, height=min(250, 38 + 35 * len(view)), key="review_query_table",
                     on_select=lambda: _query_selected(analysis), selection_mode="single-row")
    else:
        st.caption("Every beat the system would ask about has been reviewed.")
    st.button("Next beat to review", key="review_next", icon=":material/skip_next:", disabled=not len(query),
              on_click=_select_query, args=(0, analysis), shortcut="J",
              help="Key J; then N, S, V, F or Q labels it, Delete deletes it")
    sel = st.session_state.get("selected_beat")
    if sel is None or not (0 <= int(sel) < len(beats)):
        st.caption("Select a beat on the trace, in the list above, or press Next to relabel it.")
        return
    sel = int(sel)
    b = beats.iloc[sel]
    lab = str(b["label"] or "?")
    how = "reviewed" if int(b["sample"]) in rev["corrections"] else f"model, confidence {b['confidence']:.2f}"
    at = np.flatnonzero(rows == sel)
    tpl = f"template T{int(T.beat_template[at[0]])}" if len(at) else "added by the reviewer"
    st.markdown(f"Selected beat at **{hms(b['time_s'])}** ({b['time_s']:.2f} s): **{lab}** "
                f"{trace.CLASS_NAMES.get(lab, '')} ({how}) · {tpl}")
    st.plotly_chart(trace.beat_strips(analysis, [sel]), key="review_beat_strip",
                    config={"displayModeBar": False, "staticPlot": True})
    new = _relabel_buttons("beat_as", lab, keys=True)
    if new:
        studies_session.note_action("relabel beat", f"beat at {hms(b['time_s'])} (sample {int(b['sample'])}): "
                                                    f"{lab} -> {new}")
        review_model.correct(rev, [int(b["sample"])], new)
        _changed()


def _select(i: int, analysis) -> None:
    """Select beat ``i`` and centre the trace on it (from a widget callback: these run
    before the trace's slider is drawn, so its position may still change)."""
    st.session_state["selected_beat"] = i
    st.session_state["trace_center_s"] = float(analysis.beats["time_s"].iloc[i])


def _select_query(row: int, analysis) -> None:
    query = st.session_state.get("review_query") or []
    if row < len(query):
        _select(int(query[row]), analysis)


def _query_selected(analysis) -> None:
    rows = _selected_rows("review_query_table")
    if rows:
        _select_query(rows[0], analysis)


def _selected_rows(key: str) -> list[int]:
    try:
        return list(st.session_state[key]["selection"]["rows"])
    except (KeyError, TypeError):
        return []


def _templates(analysis, rev: dict, query: np.ndarray, T, aligned, plain) -> None:
    tab = review_model.order_templates(_template_view(st.session_state.get("analysis_key", ""), aligned, T),
                                       T, query)
    rows = aligned["row"].to_numpy()
    st.markdown(f"**Templates** · {T.n_templates} beat families of this record, those to review first on top")
    ids = [int(t) for t in tab["template"]]
    # A click on a template in the grid selects it (applied once: the drop-down stays free after).
    clicked = trace.template_clicked(st.session_state.get("review_grid"))
    if clicked is not None and clicked != st.session_state.get("review_grid_seen"):
        st.session_state["review_grid_seen"] = clicked
        if clicked in ids:
            st.session_state["review_template"] = clicked
    st.plotly_chart(trace.template_grid(tab, T), key="review_grid", on_select="rerun", selection_mode="points",
                    config={"displayModeBar": False})
    st.caption("All templates at one scale (amplitude in units of the record's median R wave, time in ms from "
               "the R peak); click one to select it.")
    info = {int(r.template): r for r in tab.itertuples()}

    # The option text stays the same through relabelling (the browser keeps showing the text it
    # had for the selected option); what changes is said under it.
    t = st.selectbox("Template", ids, format_func=lambda t: f"T{t} · {info[t].count:,} beats", key="review_template")
    if t is None or t not in info:
        return
    r = info[t]
    mix = ", ".join(f"{c} {getattr(r, c):,}" for c in LABELS if getattr(r, c))
    st.markdown(f"**T{t}**: {r.count:,} beats, labelled **{r.label}** {trace.CLASS_NAMES.get(r.label, '')} "
                f"({mix}); {r.reviewed:,} reviewed")
    members = np.flatnonzero((T.beat_template == t) & (rows >= 0))  # deleted and artefact beats stay so
    reps = [int(rows[i]) for i in info[t].representatives if rows[i] >= 0][:3] or rows[members[:3]].tolist()
    st.plotly_chart(trace.beat_strips(analysis, reps), key="review_template_strips",
                    config={"displayModeBar": False, "staticPlot": True})
    st.caption(f"Representative beats of T{t}; premature index (pre-RR / local RR) {info[t].pre_rr_ratio:.2f}. "
               "Relabelling the template relabels all its beats.")
    new = _relabel_buttons("template_as", info[t].label)
    if new:
        studies_session.note_action("relabel template", f"T{t}: {r.count:,} beats -> {new}")
        review_model.correct(rev, plain.beats["sample"].to_numpy(np.int64)[members], new)
        _changed()
