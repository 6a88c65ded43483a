"""Rhythm and variability: HRV (or why it does not apply), heart-rate trend, RR tachogram,
Poincaré plot, median beat of each class, and the rhythm episodes the model found."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import trace
from dashboard.markdown_text import md_escape
from dashboard.time_format import clock_time
from ecg_lstm.findings.hrv import hrv_applicability
from ecg_lstm.report import figures as summaries
from ecg_lstm.rhythm.labels import AF_LABELS

#: (label, vitals key, unit, decimals) of the time-domain HRV table.
TIME_ROWS = [("SDNN", "sdnn_ms", "ms", 1), ("RMSSD", "rmssd_ms", "ms", 1), ("pNN50", "pnn50_pct", "%", 1),
             ("SDANN", "sdann_ms", "ms", 1), ("SDNN index", "sdnn_index_ms", "ms", 1),
             ("NN intervals", "n_nn_intervals", "", 0)]
#: (label, key without the "lomb_" prefix, unit, decimals) of the frequency-domain table.
FREQ_ROWS = [("VLF 0.0033-0.04 Hz", "vlf_ms2", "ms²", 0), ("LF 0.04-0.15 Hz", "lf_ms2", "ms²", 0),
             ("HF 0.15-0.4 Hz", "hf_ms2", "ms²", 0), ("Total (VLF+LF+HF)", "total_power_ms2", "ms²", 0),
             ("LF/HF", "lf_hf_ratio", "", 2), ("LF n.u.", "lf_nu", "", 1), ("HF n.u.", "hf_nu", "", 1)]


def _fmt(value, unit: str, nd: int) -> str:
    return "—" if value is None else f"{value:,.{nd}f}" + (f" {unit}" if unit else "")


def hrv_tables(vitals: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The time-domain table and the frequency-domain table (Welch beside Lomb-Scargle), as text."""
    time = pd.DataFrame({"measure": [r[0] for r in TIME_ROWS],
                         "value": [_fmt(vitals.get(k), u, nd) for _, k, u, nd in TIME_ROWS]})
    n_win = vitals.get("n_sdann_windows")
    if n_win is not None:
        time.loc[time["measure"].isin(["SDANN", "SDNN index"]), "measure"] += f" ({n_win} × 5 min)"
    freq = pd.DataFrame({
        "band": [r[0] for r in FREQ_ROWS],
        "Welch, 5-min segments": [_fmt(vitals.get(k), u, nd) for _, k, u, nd in FREQ_ROWS],
        "Lomb-Scargle, whole record": [_fmt(vitals.get("lomb_" + k), u, nd) for _, k, u, nd in FREQ_ROWS],
    })
    return time, freq


def _hrv(analysis) -> None:
    """HRV where it means something; otherwise the reason, from the same decision as the overview."""
    st.markdown("**Heart-rate variability**")
    rec = analysis.record
    h = hrv_applicability(analysis.beats, analysis.rhythm_episodes, rec.duration_s)
    if not h["applicable"]:
        st.info("HRV not applicable: " + md_escape(h["reason"]) + ".")
        # Kept one click away for whoever needs the numbers (research, comparison with other tools).
        with st.expander("The values computed anyway (they do not measure autonomic tone here)"):
            _hrv_values(analysis.vitals)
        return
    _hrv_values(analysis.vitals)


def _hrv_values(v: dict) -> None:
    """Time-domain and frequency-domain tables, with why an estimate is missing."""
    time, freq = hrv_tables(v)
    left, right = st.columns([2, 3])
    with left:
        st.dataframe(time, hide_index=True, width="stretch")
        st.caption("SDANN and SDNN index use the complete 5-min windows at least 80 % covered by NN intervals "
                   "(at least 3 needed).")
    with right:
        st.dataframe(freq, hide_index=True, width="stretch")
        notes = []
        if v.get("frequency_domain_reason"):
            notes.append("Welch not available: " + v["frequency_domain_reason"] + ".")
        if v.get("lomb_reason"):
            notes.append("Lomb-Scargle: " + v["lomb_reason"] + ".")
        notes.append("Lomb-Scargle: periodogram of the NN intervals at their own times, no interpolation, "
                     "scaled to the NN variance (as PhysioNet's HRV toolkit); Welch: the NN series resampled at "
                     "4 Hz, averaged over 5-min segments.")
        st.caption(md_escape(" ".join(notes)))


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
    _hrv(analysis)
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
    episodes(analysis)


def af_line(analysis) -> str:
    """AF burden, the number of episodes, the longest and the first onset, in one sentence."""
    from ecg_lstm.findings.rhythm_statement import af_figures

    af = af_figures(analysis)
    if not af["rhythm_classified"]:
        return "Rhythm not classified (no rhythm model)."
    if not af["af_episodes"]:
        return "No atrial fibrillation or flutter found."
    rec, ep = analysis.record, analysis.rhythm_episodes
    first = float(ep.loc[ep["label"].isin(AF_LABELS), "start_s"].min())
    return (f"AF/flutter burden {af['af_burden_pct']:.1f} %, {af['af_episodes']} episode"
            f"{'s' if af['af_episodes'] > 1 else ''}; longest {af['af_longest_s']:.0f} s at "
            f"{clock_time(rec, af['af_longest_at_s'])}; first onset {clock_time(rec, first)}.")


def episodes(analysis) -> None:
    """The rhythm episodes, each one click away on the trace (``trace_view`` follows the table)."""
    ep = analysis.rhythm_episodes
    if ep is None or not len(ep):
        st.session_state["rhythm_table_times"] = []
        return
    rec = analysis.record
    st.markdown("**Rhythm episodes** (click one to see it on the trace)")
    st.caption(md_escape(af_line(analysis)))
    view = ep.assign(start=[clock_time(rec, t) for t in ep["start_s"]], end=[clock_time(rec, t) for t in ep["end_s"]],
                     **{"duration (s)": (ep["end_s"] - ep["start_s"]).round(1)})
    cols = [c for c in ("label", "start", "end", "duration (s)", "confidence") if c in view]
    # The window opens a little after the onset, so the change of rhythm is in view.
    st.session_state["rhythm_table_times"] = (ep["start_s"] + 2.0).tolist()
    st.dataframe(view[cols], hide_index=True, width="stretch", height=min(300, 38 + 35 * len(ep)),
                 key="rhythm_table", on_select="rerun", selection_mode="single-row")
