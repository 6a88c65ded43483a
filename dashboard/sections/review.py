"""Review: the record's beat templates, corrections, and adaptation from them.

A Holter analyst reviews *templates* (families of beats of one shape and timing), not
single beats: relabel a template and all its beats follow; relabel a single beat (the
one selected on the trace, or one the system asks about); undo; then "Adapt", which
relabels the rest of the record from the corrections (``RecordAdapter.with_labels``).
The beats the system most wants reviewed (``RecordAdapter.query``) come first.

Corrections are kept per record in ``st.session_state["reviews"][record_key]`` (the
record's digest), so they survive reruns and record switches, and are saved as a WFDB
annotation file (``ecg_lstm.beats.corrections``, extension ``cor``, reviewed beats only) that
is read back when the record is opened again with it.

With corrections, the page shows the relabelled analysis: :func:`sync` hands the reviewed
(or adapted) labels to ``analyze.relabel``, so vitals, rhythm and events come from the one
analysis path, as on the command line.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboard import loading, trace
from dashboard.plain import md_escape
from ecg_lstm.errors import ECGError

LABELS = ("N", "S", "V", "F", "Q")
#: Undo steps kept per record.
MAX_UNDO = 200
#: Beats offered for review at a time.
QUERY_K = 20
#: Templates drawn in the overview grid (all are in the table).
GRID_TEMPLATES = 12
#: Seconds of ECG each side of a beat in a strip.
STRIP_HALF_S = 1.5


# --- per-record review state (plain dicts: testable without Streamlit) -----------------------

def new_review() -> dict:
    return {"corrections": {}, "history": [], "adapted": False, "loaded_from": None}


def correct(rev: dict, samples, label: str) -> int:
    """Label the beats at ``samples`` (sample numbers) as ``label``; one undo step. Returns
    how many beats changed."""
    if label not in LABELS:
        raise ValueError(f"unknown beat label {label!r}: use one of {', '.join(LABELS)}")
    samples = [int(s) for s in np.atleast_1d(samples)]
    changed = sum(rev["corrections"].get(s) != label for s in samples)
    if changed:
        _push(rev)
        rev["corrections"].update({s: label for s in samples})
        touch(rev)
    return changed


def adapt(rev: dict) -> None:
    """Relabel the rest of the record from the corrections (one undo step)."""
    if rev["corrections"] and not rev["adapted"]:
        _push(rev)
        rev["adapted"] = True
        touch(rev)


def undo(rev: dict) -> bool:
    """Back one step (a correction, a template relabel or an adaptation)."""
    if not rev["history"]:
        return False
    rev["corrections"], rev["adapted"] = rev["history"].pop()
    touch(rev)
    return True


def touch(rev: dict) -> None:
    """Mark the corrections changed (their signature is computed again)."""
    rev["version"] = rev.get("version", 0) + 1


def _push(rev: dict) -> None:
    rev["history"].append((dict(rev["corrections"]), rev["adapted"]))
    del rev["history"][:-MAX_UNDO]


def signature(rev: dict | None, as_shipped: bool = False) -> str:
    """Short hash of what the labels depend on (corrections, whether adapted to them, and
    whether the model's own labels are taken as shipped rather than adapted to the record);
    "" for the analysis as opened. Kept in ``rev`` until the corrections change (a relabelled
    24 h template holds some 100,000 beats)."""
    sig = ""
    if rev and rev["corrections"]:
        key = rev.get("version", 0)
        if rev.get("_sig", (None,))[0] != key:
            items = sorted(rev["corrections"].items())
            rev["_sig"] = (key, hashlib.sha256(repr((items, rev["adapted"])).encode()).hexdigest()[:10])
        sig = rev["_sig"][1]
    return ("s" + sig) if as_shipped else sig


def reviews() -> dict:
    return st.session_state.setdefault("reviews", {})


def current_review() -> dict | None:
    key = st.session_state.get("record_key")
    return reviews().setdefault(key, new_review()) if key else None


# --- the relabelled analysis ------------------------------------------------------------------

@st.cache_resource(max_entries=2, show_spinner=False)
def adapter(record_key: str, _plain):
    """The record's :class:`~ecg_lstm.classifier.adapt.RecordAdapter` (features, templates,
    the model's hidden states), built once per record; None without a beat classifier."""
    from ecg_lstm.signal.spans import bridge_gaps
    from ecg_lstm.classifier.adapt import RecordAdapter

    clf, _, _ = loading.models()
    if clf is None or not len(_plain.beats):
        return None
    rec = _plain.record
    ecg, _ = bridge_gaps(rec.signal[:, _plain.lead_index])  # as analyze_record feeds the classifier
    return RecordAdapter(clf, ecg, rec.fs, _plain.beats["sample"].to_numpy(np.int64))


def reviewed_labels(plain, ad, corrections: dict, adapted: bool,
                    as_shipped: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, probabilities, reviewed mask) of every beat: the model's (those of the opened
    analysis, or with ``as_shipped`` the shipped model's, not adapted to the record), the
    reviewed beats overriding them, and with ``adapted`` the rest relabelled from the reviewed
    ones."""
    samples = plain.beats["sample"].to_numpy(np.int64)
    rs = np.fromiter(corrections, np.int64, len(corrections))
    idx = np.searchsorted(samples, rs)
    ok = (idx < len(samples)) & (samples[np.minimum(idx, len(samples) - 1)] == rs)
    idx, labs = idx[ok], np.array([corrections[int(s)] for s in rs[ok]], dtype=object)
    probs = plain.beats[[f"p_{c}" for c in LABELS]].to_numpy(float).copy()
    if adapted and ad is not None and len(idx):
        labels, probs = ad.with_labels(idx, list(labs))
        labels = np.asarray(labels, dtype=object)
    else:
        if as_shipped and ad is not None:
            labels, probs = ad.plain()
            labels, probs = np.asarray(labels, dtype=object).copy(), np.asarray(probs, float).copy()
        else:
            labels = plain.beats["label"].to_numpy(dtype=object).copy()
        labels[idx] = labs
        probs[idx] = np.eye(len(LABELS))[[LABELS.index(x) for x in labs]]
    mask = np.zeros(len(samples), bool)
    mask[idx] = True
    return labels, probs, mask


@st.cache_resource(max_entries=4, show_spinner=False)
def relabelled(record_key: str, sig: str, _plain, _rev: dict | None, as_shipped: bool = False):
    """The analysis of the record with the reviewed (and adapted) labels: beats and signal
    quality as they were, vitals, rhythm and events from the new labels (``analyze.relabel``)."""
    from ecg_lstm.analyze import relabel

    plain = _plain
    corrections, adapted = (_rev["corrections"], _rev["adapted"]) if _rev else ({}, False)
    labels, probs, mask = reviewed_labels(plain, adapter(record_key, plain), corrections, adapted, as_shipped)
    _, rhythm, _ = loading.models()
    base = plain.model.get("beat_classifier", "beat classifier") + (" as shipped" if as_shipped else "")
    name = base + (f" + {int(mask.sum())} reviewed beats" if mask.any() else "") + \
        (" (rest adapted to them)" if adapted and mask.any() else "")
    out = relabel(plain, labels, probs, name, rhythm=rhythm)
    out.beats["reviewed"] = mask
    return out


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
    if state.get("incoming_corrections"):  # also when the same record was opened again with its .cor
        _load_incoming(state)
    state.pop("incoming_corrections", None)
    key, plain = state["record_key"], state["analysis_plain"]
    rev = reviews().get(key)
    # The opened analysis is adapted to the record (no labels); the reviewer may ask for the
    # shipped model's own labels instead (the Review tab's switch).
    as_shipped = bool(state.get("labels_as_shipped")) and bool(plain.model.get("adaptation"))
    sig = signature(rev, as_shipped)
    if sig != state.get("review_applied"):
        if sig:
            try:
                with st.spinner("Relabelling the record: vitals, rhythm and events follow the labels..."):
                    state["analysis"] = relabelled(key, sig, plain, rev, as_shipped)
            except ECGError as e:  # e.g. a label the adaptation refuses: nothing else is lost
                state["review_error"] = f"The corrections could not be applied ({e}); the last one is undone."
                if rev is not None and not undo(rev):
                    rev["corrections"], rev["adapted"] = {}, False
                    touch(rev)
                sig = signature(rev, as_shipped)
                state["analysis"] = plain
                if sig:
                    try:
                        state["analysis"] = relabelled(key, sig, plain, rev, as_shipped)
                    except ECGError:  # back to the analysis as opened
                        if rev is not None:
                            rev["corrections"], rev["adapted"] = {}, False
                            touch(rev)
                        state["labels_as_shipped"], as_shipped, sig = False, False, ""
        else:
            state["analysis"] = plain
        state["review_applied"] = sig
    state["analysis_key"] = key + (f"-r{sig}" if sig else "")
    state["review_shown_key"] = state["analysis_key"]
    state["labels_adapted"] = bool(rev and rev["adapted"] and rev["corrections"])
    state["labels_unsupervised"] = bool(plain.model.get("adaptation")) and not as_shipped


def _load_incoming(state) -> None:
    """Corrections that came with the record just opened (an uploaded .cor, or one beside a
    local record): loaded unless this session already holds corrections of the record."""
    incoming = state.get("incoming_corrections")
    if not incoming:
        return
    data, file_name = incoming
    rev = reviews().setdefault(state["record_key"], new_review())
    if rev["corrections"]:
        state["review_note"] = (f"This session's {len(rev['corrections'])} corrections of the record are kept; "
                                f"{file_name} was not loaded over them.")
        return
    plain = state["analysis_plain"]
    try:
        samples, labels = read_corrections(data)
    except (ECGError, OSError) as e:
        state["review_error"] = f"{file_name} could not be read: {e}"
        return
    if not len(samples):
        state["review_error"] = (f"{file_name} could not be read as corrections: it holds no beat annotation; "
                                 "the record is shown without corrections.")
        return
    from ecg_lstm.beats.corrections import match_labels

    peaks = plain.beats["sample"].to_numpy(np.int64)
    idx, labs = match_labels(peaks, samples, labels, plain.record.fs)
    rev["corrections"] = {int(peaks[i]): str(lab) for i, lab in zip(idx, labs)}
    rev["adapted"] = bool(rev["corrections"])
    rev["loaded_from"] = file_name
    touch(rev)
    missed = len(samples) - len(idx)
    state["review_note"] = (f"{len(idx)} reviewed beats loaded from {file_name}; the rest of the record is "
                            "relabelled from them (Adapt)." + (f" {missed} reviewed beats match no beat here "
                                                               "and were left out." if missed else ""))


# --- corrections files ------------------------------------------------------------------------

def read_corrections(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Samples and labels of a corrections file given as bytes (wfdb reads files: it goes
    through a private temporary folder, removed at once, or at exit if the server stops)."""
    from ecg_lstm.beats.corrections import read_labels
    from ecg_lstm.io.tempfiles import private_tempdir, remove

    tmp = private_tempdir("cor")
    try:
        # Named "record", not after the record: its name may hold characters a file name cannot.
        (tmp / "record.cor").write_bytes(data)
        return read_labels(tmp / "record")
    finally:
        remove(tmp)


def corrections_bytes(analysis, rev: dict) -> bytes:
    """The reviewed beats as a WFDB annotation file (``.cor``), as bytes."""
    from ecg_lstm.beats.corrections import write_labels
    from ecg_lstm.io.tempfiles import private_tempdir, remove

    items = sorted(rev["corrections"].items())
    tmp = private_tempdir("cor")
    try:
        path = write_labels(tmp, "record", [s for s, _ in items], [lab for _, lab in items], analysis.record.fs)
        return path.read_bytes()
    finally:
        remove(tmp)


def split_corrections(files: dict[str, bytes]) -> tuple[dict[str, bytes], tuple[bytes, str] | None]:
    """Uploaded files without their ``.cor`` file, and that file (bytes, name) if there was one
    (also looked for inside a zip, whose bytes are passed on unchanged)."""
    import io
    import zipfile

    record = {n: b for n, b in files.items() if not n.lower().endswith(".cor")}
    cor = [(b, n) for n, b in files.items() if n.lower().endswith(".cor")]
    for n, b in record.items():
        if n.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(b)) as zf:
                    for m in zf.infolist():
                        if m.filename.lower().endswith(".cor") and m.file_size < 64 << 20:
                            cor.append((zf.read(m), Path(m.filename).name))
            except (zipfile.BadZipFile, OSError, ValueError, EOFError):
                pass  # the reader reports a bad zip
    return record, (cor[0] if cor else None)


# --- the view ---------------------------------------------------------------------------------

@st.cache_data(max_entries=4, show_spinner=False)
def _template_view(analysis_key: str, _analysis, _templates) -> pd.DataFrame:
    """One row per template with the labels now shown (after corrections)."""
    T = _templates
    lab = _analysis.beats["label"].fillna("").astype(str).to_numpy()
    reviewed = _analysis.beats["reviewed"].to_numpy(bool) if "reviewed" in _analysis.beats else np.zeros(len(lab), bool)
    tab = T.table.copy()
    counts = pd.crosstab(T.beat_template, lab).reindex(index=tab["template"], columns=list(LABELS), fill_value=0)
    for c in LABELS:
        tab[c] = counts[c].to_numpy()
    tab["label"] = np.asarray(LABELS)[counts.to_numpy().argmax(1)] if len(tab) else []
    tab["reviewed"] = np.bincount(T.beat_template[reviewed], minlength=T.n_templates)[tab["template"]]
    return tab


def _order(tab: pd.DataFrame, T, query: np.ndarray) -> pd.DataFrame:
    """Templates holding the beats most worth reviewing first (in query order), then by size."""
    first = {}
    for rank, b in enumerate(query):
        first.setdefault(int(T.beat_template[b]), rank)
    tab = tab.assign(_rank=[first.get(int(t), len(query) + i) for i, t in enumerate(tab["template"])])
    return tab.sort_values("_rank", kind="stable").drop(columns="_rank")


def _grid(tab: pd.DataFrame, T) -> go.Figure:
    """Median beat of each template (small multiples), coloured and dashed by its label."""
    tab = tab.head(GRID_TEMPLATES)
    cols = 4
    rows = max(1, -(-len(tab) // cols))
    titles = [f"T{t} · {n:,} beats · {lab}" for t, n, lab in zip(tab["template"], tab["count"], tab["label"])]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.04, vertical_spacing=0.12)
    x = T.time_axis_s() * 1000.0
    for i, (t, lab) in enumerate(zip(tab["template"], tab["label"])):
        fig.add_trace(go.Scatter(x=x, y=T.medians[int(t)], mode="lines", showlegend=False,
                                 line=dict(color=trace.CLASS_COLOURS.get(lab, "#616161"), width=2,
                                           dash=trace.CLASS_DASHES.get(lab, "solid")),
                                 hovertemplate=f"T{t}: %{{x:.0f}} ms<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(showticklabels=False, zeroline=True, zerolinecolor="#bbb")
    fig.update_yaxes(showticklabels=False, zeroline=False)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=150 * rows + 30, margin=dict(l=5, r=5, t=30, b=5), plot_bgcolor=trace.PAPER)
    return fig


def _strips(analysis, beat_idx: list[int], height: int = 170) -> go.Figure:
    """A few seconds of ECG around each beat (mV), the beat marked with its label."""
    rec, lead = analysis.record, analysis.lead_index
    ecg = rec.signal[:, lead]
    beats = analysis.beats
    n = max(1, len(beat_idx))
    fig = make_subplots(rows=1, cols=n, horizontal_spacing=0.03)
    for j, b in enumerate(beat_idx):
        s = int(beats["sample"].iloc[b])
        i0, i1 = max(0, s - int(STRIP_HALF_S * rec.fs)), min(len(ecg), s + int(STRIP_HALF_S * rec.fs))
        t = np.arange(i0, i1) / rec.fs
        fig.add_trace(go.Scatter(x=t, y=ecg[i0:i1], mode="lines", line=dict(color="#111", width=1), showlegend=False,
                                 hoverinfo="skip"), row=1, col=j + 1)
        ticks = np.arange(np.ceil(i0 / rec.fs), i1 / rec.fs, 1.0)
        fig.update_xaxes(tickvals=ticks, ticktext=[trace._hms(v) for v in ticks], row=1, col=j + 1)
        lab = str(beats["label"].iloc[b] or "?")
        fig.add_trace(go.Scatter(x=[s / rec.fs], y=[float(np.nan_to_num(ecg[s]))], mode="markers+text", text=[lab],
                                 textposition="top center", showlegend=False, cliponaxis=False,
                                 textfont=dict(color=trace.CLASS_COLOURS.get(lab, "#616161"), size=14),
                                 marker=dict(color=trace.CLASS_COLOURS.get(lab, "#616161"), size=9,
                                             symbol=trace.CLASS_SYMBOLS.get(lab, "cross")),
                                 hovertemplate=f"beat {b} at %{{x:.2f}} s<extra></extra>"), row=1, col=j + 1)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=25, b=25), plot_bgcolor=trace.PAPER)
    return fig


def _relabel_buttons(prefix: str, current: str) -> str | None:
    """Five buttons, one per class; returns the class clicked."""
    cols = st.columns(len(LABELS))
    out = None
    for c, lab in zip(cols, LABELS):
        if c.button(f"{lab} · {trace.CLASS_NAMES[lab]}", key=f"{prefix}_{lab}", width="stretch",
                    type="primary" if lab == current else "secondary"):
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
    rev = current_review()
    notes()
    plain = state.get("analysis_plain", analysis)
    if rev is None or not len(plain.beats):
        st.info("No beats to review.")
        return
    ad = adapter(state["record_key"], plain)
    if ad is None or not (plain.beats["label"].astype(str) != "").any():
        st.info("The beat classifier is not available: there are no labels to review.")
        return
    if plain.model.get("adaptation"):
        _model_switch()
    n_corr = len(rev["corrections"])
    top = st.columns([3, 1, 1, 2])
    top[0].markdown(f"**{n_corr:,} reviewed beats**" + (" · rest of the record adapted to them" if rev["adapted"]
                                                        and n_corr else ""))
    if top[1].button("Undo", key="review_undo", icon=":material/undo:", disabled=not rev["history"], width="stretch"):
        undo(rev)
        _changed()
    if top[2].button("Adapt", key="review_adapt", icon=":material/model_training:", type="primary",
                     disabled=not n_corr or rev["adapted"], width="stretch",
                     help="Relabel the rest of the record from the reviewed beats (about a second for 30 min)."):
        adapt(rev)
        _changed()
    top[3].download_button("Save corrections (WFDB .cor)", data=lambda: corrections_bytes(analysis, rev),
                           file_name=f"{analysis.record.name}.cor", mime="application/octet-stream",
                           on_click="ignore", icon=":material/save:", key="review_save", disabled=not n_corr,
                           width="stretch")
    _save_beside(analysis, rev)
    _worth(plain)

    reviewed_idx = np.flatnonzero(analysis.beats["reviewed"].to_numpy(bool)) if "reviewed" in analysis.beats \
        else np.zeros(0, np.int64)
    query = ad.query(QUERY_K, exclude=reviewed_idx)
    T = ad.template_table()
    _single_beat(analysis, rev, query, T)
    st.divider()
    _templates(analysis, rev, query, T)


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
    from dashboard.sections import model as model_files
    from dashboard.sections.overview import model_facts

    adapted = bool(st.session_state.get("labels_unsupervised") or st.session_state.get("labels_adapted"))
    row = model_files.protocol_row(model_facts()["beat"], plain.beat_source, adapted=adapted)
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
        try:
            target.write_bytes(corrections_bytes(analysis, rev))
        except OSError as e:
            st.error(md_escape(f"Could not write {target}: {e.strerror or e}"), icon=":material/error:")
        else:
            st.success(md_escape(f"Saved {len(rev['corrections'])} reviewed beats to {target}; opening the record "
                                 "again loads them."), icon=":material/check:")


def _single_beat(analysis, rev: dict, query: np.ndarray, T) -> None:
    beats = analysis.beats
    st.markdown("**Beats to review first** (the system's choice: one per template, the least certain first)")
    if len(query):
        q = beats.iloc[query]
        view = pd.DataFrame({"time": [trace._hms(x) for x in q["time_s"]], "label": q["label"].to_numpy(),
                             "confidence": q["confidence"].round(2).to_numpy(),
                             "template": T.beat_template[query]})
        st.session_state["review_query"] = [int(i) for i in query]
        st.dataframe(view, hide_index=True, height=min(250, 38 + 35 * len(view)), key="review_query_table",
                     on_select=lambda: _query_selected(analysis), selection_mode="single-row")
    else:
        st.caption("Every beat the system would ask about has been reviewed.")
    st.button("Next beat to review", key="review_next", icon=":material/skip_next:", disabled=not len(query),
              on_click=_select_query, args=(0, analysis))
    sel = st.session_state.get("selected_beat")
    if sel is None or not (0 <= int(sel) < len(beats)):
        st.caption("Select a beat on the trace, in the list above, or press Next to relabel it.")
        return
    sel = int(sel)
    b = beats.iloc[sel]
    lab = str(b["label"] or "?")
    how = "reviewed" if int(b["sample"]) in rev["corrections"] else f"model, confidence {b['confidence']:.2f}"
    st.markdown(f"Selected beat at **{trace._hms(b['time_s'])}** ({b['time_s']:.2f} s): **{lab}** "
                f"{trace.CLASS_NAMES.get(lab, '')} ({how}) · template T{int(T.beat_template[sel])}")
    st.plotly_chart(_strips(analysis, [sel]), key="review_beat_strip", config={"displayModeBar": False,
                                                                               "staticPlot": True})
    new = _relabel_buttons("beat_as", lab)
    if new:
        correct(rev, [int(b["sample"])], new)
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


def _templates(analysis, rev: dict, query: np.ndarray, T) -> None:
    tab = _order(_template_view(st.session_state.get("analysis_key", ""), analysis, T), T, query)
    st.markdown(f"**Templates** · {T.n_templates} beat families of this record, those to review first on top")
    st.plotly_chart(_grid(tab, T), key="review_grid", config={"displayModeBar": False, "staticPlot": True})
    ids = [int(t) for t in tab["template"]]
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
    members = np.flatnonzero(T.beat_template == t)
    reps = [int(i) for i in info[t].representatives][:3] or members[:3].tolist()
    st.plotly_chart(_strips(analysis, reps), key="review_template_strips",
                    config={"displayModeBar": False, "staticPlot": True})
    st.caption(f"Representative beats of T{t}; premature index (pre-RR / local RR) {info[t].pre_rr_ratio:.2f}. "
               "Relabelling the template relabels all its beats.")
    new = _relabel_buttons("template_as", info[t].label)
    if new:
        correct(rev, analysis.beats["sample"].to_numpy(np.int64)[members], new)
        _changed()
