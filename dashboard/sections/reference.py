"""Comparison with the record's reference annotations (when it has them)."""
from __future__ import annotations

import streamlit as st

from dashboard import trace
from dashboard.markdown_text import md_escape
from dashboard.time_format import hms_ms
from ecg_lstm.report import figures as summaries
from ecg_lstm.errors import ECGError


@st.cache_data(max_entries=4, show_spinner=False)
def _compare(key: str, _analysis) -> dict:
    a = _analysis
    return summaries.compare_with_reference(a.beats, a.record.annotations, a.record.fs)


def render(analysis) -> None:
    ann = analysis.record.annotations
    if ann is None:
        st.info("This record has no reference annotations (for WFDB, upload its .atr file with the .hea and .dat).",
                icon=":material/info:")
        st.session_state["disagree_table_times"] = []
        return
    if not len(analysis.beats) or analysis.beats["label"].fillna("").eq("").all():
        st.info("The beats are not classified (no beat classifier loaded), so there is nothing to compare.")
        return
    try:
        cmp = _compare(st.session_state.get("analysis_key", ""), analysis)
    except ECGError as e:
        st.error(f"The reference annotations could not be compared: {md_escape(e)}")
        return
    st.markdown(f"{cmp['n_reference']:,} reference beats, {cmp['n_matched']:,} matched within 150 ms "
                f"(EC57 rule); the class agrees on **{cmp['agreement_pct']:.1f} %** of matched beats.")
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(trace.confusion(cmp["confusion"]), key="confusion", config={"displayModeBar": False})
    with right:
        per = cmp["per_class"]
        st.dataframe(per.style.format({"Se %": "{:.1f}", "+P %": "{:.1f}"}, na_rep="–"), hide_index=True,
                     width="stretch")
        st.caption("Se: share of the reference beats of a class that the model labels so. "
                   "+P: share of the model's beats of a class that the reference labels so. "
                   "This is one record; the model's evaluation on DS2 is under *Model*.")
    dis = cmp["disagreements"]
    st.markdown(f"**Beats where the model and the reference disagree** ({len(dis):,}; select one to show it)")
    st.session_state["disagree_table_times"] = dis["time_s"].tolist()
    view = dis.assign(time=[hms_ms(t) for t in dis["time_s"]])
    st.dataframe(view[["time", "reference", "predicted", "confidence"]], key="disagree_table", on_select="rerun",
                 selection_mode="single-row", hide_index=True, width="stretch", height=300,
                 column_config={"confidence": st.column_config.NumberColumn(format="%.2f")})
