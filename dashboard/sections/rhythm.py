"""Rhythm and variability: heart-rate trend, RR tachogram, Poincaré plot,
median beat of each class, and the rhythm episodes the model found."""
from __future__ import annotations

import streamlit as st

from dashboard import trace
from dashboard.trace import _hms
from ecg_lstm import summaries


@st.cache_data(max_entries=4, show_spinner=False)
def _summaries(key: str, _analysis) -> dict:
    """RR series, HR trend, Poincaré points and median beats of the analysed lead, once per record."""
    a = _analysis
    return {"rr": summaries.rr_series(a.beats), "trend": summaries.hr_trend(a.beats, window_s=10.0),
            "poincare": summaries.poincare(a.beats),
            "medians": summaries.median_beats(a.record.signal[:, a.lead_index], a.record.fs, a.beats)}


def render(analysis) -> None:
    s = _summaries(st.session_state.get("analysis_key", ""), analysis)
    if len(analysis.beats) < 3:
        st.info("Too few beats for rhythm plots.")
        return
    left, right = st.columns(2)
    with left:
        st.markdown("**Heart-rate trend** (median per 10 s, band: min-max)")
        st.plotly_chart(trace.hr_trend(s["trend"]), key="hr_trend", config={"displaylogo": False})
    with right:
        st.markdown("**RR tachogram**")
        st.plotly_chart(trace.tachogram(s["rr"]), key="tachogram", config={"displaylogo": False})
    left, right = st.columns(2)
    with left:
        p = s["poincare"]
        st.markdown(f"**Poincaré plot** · SD1 {p['sd1_ms']:.0f} ms · SD2 {p['sd2_ms']:.0f} ms"
                    if p["sd1_ms"] == p["sd1_ms"] else "**Poincaré plot**")
        st.plotly_chart(trace.poincare(p), key="poincare", config={"displaylogo": False})
    with right:
        st.markdown("**Median beat of each class**")
        rec = analysis.record
        st.plotly_chart(trace.median_beats(s["medians"], unit=rec.units[analysis.lead_index]), key="medians",
                        config={"displaylogo": False})
    ep = analysis.rhythm_episodes
    if ep is not None and len(ep):
        st.markdown("**Rhythm episodes**")
        view = ep.assign(start=[_hms(t) for t in ep["start_s"]], end=[_hms(t) for t in ep["end_s"]],
                         **{"duration (s)": (ep["end_s"] - ep["start_s"]).round(1)})
        cols = [c for c in ("label", "start", "end", "duration (s)", "confidence") if c in view]
        st.dataframe(view[cols], hide_index=True, width="stretch", height=min(300, 38 + 35 * len(ep)))
