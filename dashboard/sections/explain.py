"""Why this label: one beat's explanation (``ecg_lstm.explain``) for the selected beat.

The selected beat is ``st.session_state["selected_beat"]`` (row index into
``analysis.beats``), set by a click on the trace or by this panel's own beat
number and "next S" / "next V" buttons.  The explainer (model and similar-beat
index) loads once per server; a record's features once per record; each beat's
explanation is cached, so going back to a beat is instant.
"""
from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboard import trace
from dashboard.time_format import hms
from dashboard.markdown_text import md_escape as _plain  # the phrases hold | and other Markdown characters

TARGETS = ("the label", "N", "S", "V", "F", "Q")


@st.cache_resource(show_spinner=False)
def explainer():
    """The shipped classifier and its similar-beat index, loaded once per server."""
    from ecg_lstm.explain.core import Explainer

    return Explainer.load()


def _record_key(analysis) -> tuple:
    beats = analysis.beats
    return (st.session_state.get("analysis_key", ""), analysis.record.name, analysis.lead_index, len(beats),
            int(beats["sample"].iloc[-1]) if len(beats) else -1)


@st.cache_resource(max_entries=2, show_spinner=False)
def _prepared(key: tuple, _analysis):
    """Features and LSTM inputs of every beat of one record (about 0.1 s for 30 min)."""
    return explainer().prepare_analysis(_analysis)


@st.cache_data(max_entries=64, show_spinner=False)
def _explained(key: tuple, beat: int, target: str | None, _prep) -> tuple[dict, float]:
    t0 = time.perf_counter()
    ex = explainer().explain(_prep, beat, target=target).to_json_dict()
    return ex, time.perf_counter() - t0


def _default_beat(analysis) -> int:
    labels = analysis.beats["label"].astype(str).to_numpy()
    ectopic = np.flatnonzero(np.isin(labels, ["S", "V"]))
    return int(ectopic[0]) if len(ectopic) else 0


def _set_beat(i: int) -> None:
    st.session_state["selected_beat"] = int(i)
    st.session_state["explain_beat"] = int(i)


def _from_input() -> None:
    st.session_state["selected_beat"] = int(st.session_state["explain_beat"])


def _jump(labels: np.ndarray, cls: str, step: int) -> None:
    """Select the next (step 1) or previous (step -1) beat labelled ``cls``, wrapping around."""
    cur = int(st.session_state.get("selected_beat", 0))
    hits = np.flatnonzero(labels == cls)
    if not len(hits):
        return
    after = hits[hits > cur] if step > 0 else hits[hits < cur][::-1]
    _set_beat(int(after[0]) if len(after) else int(hits[0] if step > 0 else hits[-1]))


def _selector(analysis) -> int:
    n = len(analysis.beats)
    sel = st.session_state.get("selected_beat")
    if not isinstance(sel, (int, np.integer)) or not 0 <= sel < n:
        sel = _default_beat(analysis)
        st.session_state["selected_beat"] = int(sel)
    if st.session_state.get("explain_beat") != sel:  # the trace (or another tab) chose a beat
        st.session_state["explain_beat"] = int(sel)
    labels = analysis.beats["label"].astype(str).to_numpy()
    cols = st.columns([2, 1, 1, 1, 1, 2], vertical_alignment="bottom")
    cols[0].number_input(f"Beat (0 to {n - 1})", min_value=0, max_value=n - 1, step=1, key="explain_beat",
                         on_change=_from_input, help="Row of the beats table; a click on the trace selects one too")
    for col, (cls, step, text) in zip(cols[1:5], (("S", -1, "previous S"), ("S", 1, "next S"),
                                                   ("V", -1, "previous V"), ("V", 1, "next V"))):
        col.button(text, key=f"explain_{text.replace(' ', '_')}", on_click=_jump, args=(labels, cls, step),
                   disabled=not (labels == cls).any(), width="stretch")
    cols[5].selectbox("Explain the logit of", TARGETS, key="explain_target",
                      help="The label's own logit, or another class's (why not N?)")
    return int(sel)


def beat_figure(ex: dict) -> go.Figure:
    """The beat over the record's median beat, the attribution as a colour band under them."""
    t = np.asarray(ex["time_s"]) * 1000
    attr = np.asarray(ex["sample_attribution"])
    lim = float(np.abs(attr).max()) or 1.0
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.8, 0.2], vertical_spacing=0.03)
    fig.add_trace(go.Scatter(x=t, y=ex["median_wave"], name="record's median beat", line=dict(color="#9e9e9e")),
                  1, 1)
    fig.add_trace(go.Scatter(x=t, y=ex["beat_wave"], name="this beat", line=dict(color="#111", width=2)), 1, 1)
    fig.add_trace(go.Heatmap(x=t, z=attr[None], zmin=-lim, zmax=lim, colorscale="RdBu", reversescale=True,
                             showscale=False, hovertemplate="%{x:.0f} ms: %{z:+.3f}<extra></extra>"), 2, 1)
    fig.update_yaxes(title_text="R amplitudes", row=1, col=1)
    fig.update_yaxes(showticklabels=False, row=2, col=1)
    fig.update_xaxes(title_text="ms from R (band: red pushed towards the label, blue against)", row=2, col=1)
    fig.update_layout(height=330, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.12))
    return fig


def feature_figure(ex: dict, top: int = 12) -> go.Figure:
    feats = sorted(ex["features"], key=lambda f: -abs(f["attribution"]))[:top][::-1]
    vals = [f["attribution"] for f in feats]
    fig = go.Figure(go.Bar(x=vals, y=[f["text"] for f in feats], orientation="h",
                           marker_color=["#c62828" if v > 0 else "#1565c0" for v in vals],
                           customdata=[f["kind"] for f in feats],
                           hovertemplate="%{y}<br>%{customdata} feature: %{x:+.3f}<extra></extra>"))
    fig.update_layout(height=330, margin=dict(l=10, r=10, t=30, b=10), title="Feature contributions",
                      xaxis_title="contribution to the logit")
    return fig


def context_figure(ex: dict) -> go.Figure:
    """Contribution of each beat of the context. The beat's own bar usually dwarfs its neighbours':
    the axis is scaled to the neighbours and the own bar, cut at the top, carries its value."""
    off, val, lab = ex["context_offsets"], np.asarray(ex["context_attribution"]), ex["context_labels"]
    fig = go.Figure(go.Bar(x=off, y=val, marker_color=[trace.CLASS_COLOURS.get(c, "#616161") for c in lab],
                           customdata=lab, hovertemplate="beat %{x:+d} (%{customdata}): %{y:+.3f}<extra></extra>"))
    own = float(val[off.index(0)])
    others = np.abs(np.delete(val, off.index(0))) if len(val) > 1 else np.zeros(1)
    lim = 1.3 * max(float(others.max()), 1e-3)
    if abs(own) > lim:
        fig.update_yaxes(range=[-lim, lim])
        fig.add_annotation(x=0, y=np.sign(own) * lim, text=f"this beat {own:+.2f}", showarrow=False,
                           yshift=-10 if own > 0 else 10, xshift=45, font=dict(size=11))
    fig.add_vline(x=0, line_dash="dot")
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10),
                      title="Which beats of the LSTM's context drove it (colour: that beat's label)",
                      xaxis_title="beat relative to this one", yaxis_title="contribution")
    return fig


def gate_figure(ex: dict) -> go.Figure:
    gates = ("input", "forget", "output", "cell")
    fig = make_subplots(rows=2, cols=4, shared_xaxes=True, shared_yaxes=True, horizontal_spacing=0.02,
                        vertical_spacing=0.08, subplot_titles=[f"{d} {g}" for d in ("forward", "backward")
                                                               for g in gates])
    x = ex["lstm_window_offsets"]
    for r, d in enumerate(("forward", "backward")):
        for k, g in enumerate(gates):
            z = np.asarray(ex["lstm_state"][d][g]).T
            kw = dict(zmin=0, zmax=1, colorscale="Viridis") if g != "cell" else dict(zmin=-3, zmax=3, colorscale="RdBu")
            fig.add_trace(go.Heatmap(x=x, z=z, showscale=False, **kw,
                                     hovertemplate=f"{d} {g}<br>beat %{{x:+d}}, unit %{{y}}: %{{z:.2f}}<extra></extra>"),
                          r + 1, k + 1)
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def similar_figure(ex: dict, cls: str) -> go.Figure:
    t = np.asarray(ex["time_s"]) * 1000
    fig = go.Figure()
    for s in (s for s in ex["similar"] if s["class"] == cls):
        fig.add_trace(go.Scatter(x=t, y=s["wave"], line=dict(color=trace.CLASS_COLOURS.get(cls), width=1),
                                 name=f"{s['record']} @ {s['sample']} (cos {s['similarity']:.2f})"))
    fig.add_trace(go.Scatter(x=t, y=ex["beat_wave"], line=dict(color="#111", width=2), name="this beat"))
    fig.update_layout(height=200, margin=dict(l=10, r=10, t=10, b=10), showlegend=False)
    return fig


def render(analysis) -> None:
    beats = analysis.beats
    if not len(beats):
        st.info("This record has no beats to explain.", icon=":material/info:")
        return
    try:
        ex_model = explainer()
    except Exception as e:  # noqa: BLE001  (a missing model must not take the page down)
        st.info(f"The beat classifier is not available, so labels cannot be explained ({type(e).__name__}).",
                icon=":material/info:")
        return
    beat = _selector(analysis)
    shown = str(beats["label"].iloc[beat]) if "label" in beats else ""
    target = st.session_state.get("explain_target", TARGETS[0])
    # "The label" is the one on the trace (adapted to the record, or reviewed), not the shipped model's.
    target = (shown if shown in TARGETS[1:] else None) if target == TARGETS[0] else target
    key = _record_key(analysis)
    with st.spinner("Explaining the beat..."):
        prep = _prepared(key, analysis)
        ex, dt = _explained(key, beat, target, prep)

    label = shown or ex["label"]
    st.markdown(f"**Beat {beat}** at {hms(float(beats['time_s'].iloc[beat]))} "
                f"({float(beats['time_s'].iloc[beat]):.3f} s): **{label}** "
                f"({_plain(trace.CLASS_NAMES.get(label, label))}); the shipped model alone: {ex['label']}, "
                f"p = {ex['probs'][ex['label']]:.2f}")
    if shown and shown != ex["label"]:
        st.caption(_plain(f"The trace shows {shown} for this beat: the label adapted to this record or reviewed, "
                          f"where the shipped model alone gives {ex['label']}. What follows is what speaks for and "
                          f"against {ex['target']} in the shipped model (its {ex['target']} logit; p = "
                          f"{ex['probs'].get(ex['target'], 0.0):.2f})."))
    st.markdown(_plain(ex["summary"]))
    c1, c2 = st.columns([1, 1])
    c1.plotly_chart(beat_figure(ex), key="explain_beat_fig")
    c2.plotly_chart(feature_figure(ex), key="explain_feature_fig")
    st.plotly_chart(context_figure(ex), key="explain_context_fig")
    with st.expander("The LSTM's gates and cell state over its 64-beat window (first member)"):
        st.caption("Each row is one of the 32 units of a direction; the dotted beat 0 is this beat. "
                   "Gates run from 0 (closed) to 1 (open).")
        st.plotly_chart(gate_figure(ex), key="explain_gate_fig")
    st.markdown("**Similar training beats** (DS1, nearest in the classifier's embedding)")
    classes = [c for c in "NSVFQ" if any(s["class"] == c for s in ex["similar"])]
    if not classes:
        st.info(_plain(ex.get("similar_note") or "No similar-beat index."), icon=":material/info:")
    else:
        cols = st.columns(len(classes))
        for col, cls in zip(cols, classes):
            sims = [s for s in ex["similar"] if s["class"] == cls]
            col.caption(f"{cls}: {trace.CLASS_NAMES.get(cls, cls)} · records "
                        + ", ".join(sorted({s['record'] for s in sims})) + f" · cos {sims[0]['similarity']:.2f}")
            col.plotly_chart(similar_figure(ex, cls), key=f"explain_similar_{cls}",
                             config={"displayModeBar": False})
    err = max(ex["beat_completeness_error"], ex["context_completeness_error"])
    st.caption(f"Integrated gradients, {ex['ig_steps']} gradient evaluations; the attributions sum to the "
               f"logit differences within {100 * max(ex['beat_completeness_gap'], ex['context_completeness_gap']):.1f} %"
               f" ({err:.3f} logit); "
               f"explained in {dt:.2f} s. Model: {_plain(ex_model.clf.name)}.")
