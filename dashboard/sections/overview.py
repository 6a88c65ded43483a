"""Overview: what the record is, and its vitals at a glance."""
from __future__ import annotations

import streamlit as st

from ecg_lstm.rhythm.predict import af_burden
from ecg_lstm.summaries import noisy_share_pct


def fmt(value, digits: int = 0, unit: str = "") -> str:
    """A number for a card, or an en dash where it is not computable."""
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:  # NaN
        return "–"
    return f"{v:,.{digits}f}{' ' + unit if unit else ''}"


def duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600} h {s % 3600 // 60:02d} min {s % 60:02d} s" if s >= 3600 else f"{s // 60} min {s % 60:02d} s"


def render(analysis) -> None:
    rec = analysis.record
    v = analysis.vitals or {}
    counts = v.get("beat_counts")  # None when no classifier ran
    noisy = noisy_share_pct(analysis.quality)
    st.markdown(
        f"**{rec.name}** · {duration(rec.duration_s)} · {rec.fs:g} Hz · "
        f"leads {', '.join(rec.lead_names)} (analysed: {rec.lead_names[analysis.lead_index]}) · "
        f"beats {analysis.beat_source}"
        + (" · reference annotations present" if rec.annotations is not None else ""))
    c = st.columns(6)
    c[0].metric("HR mean", fmt(v.get("hr_mean_bpm"), 0, "bpm"), border=True)
    c[1].metric("HR min–max", f"{fmt(v.get('hr_min_bpm'))}–{fmt(v.get('hr_max_bpm'))} bpm", border=True,
                help="Extremes of the heart rate over 10 consecutive beats.")
    c[2].metric("SDNN / RMSSD", f"{fmt(v.get('sdnn_ms'))} / {fmt(v.get('rmssd_ms'))} ms", border=True,
                help="Heart-rate variability over normal-to-normal intervals (Task Force 1996).")
    c[3].metric("Ectopic burden", fmt(v.get("ectopic_burden_pct"), 1, "%"),
                border=True, help="Supraventricular + ventricular ectopic beats, share of classified beats.")
    c[4].metric("Noisy signal", fmt(noisy, 1, "%"), border=True,
                help="Share of the record in 10-s segments whose quality is too low to trust.")
    c[5].metric("Events", f"{len(analysis.events) if analysis.events is not None else 0}", border=True)
    extra = []
    if v.get("lf_hf_ratio") is not None:
        extra.append(f"LF/HF {fmt(v.get('lf_hf_ratio'), 2)}")
    if v.get("pnn50_pct") is not None:
        extra.append(f"pNN50 {fmt(v.get('pnn50_pct'), 1)} %")
    ep = analysis.rhythm_episodes
    if ep is not None and len(ep) and "label" in ep:
        extra.append(f"AF/flutter burden {fmt(af_burden(ep, rec.duration_s), 1)} %")
    labels = " · ".join(f"{k} **{counts[k]:,}**" for k in ("N", "S", "V", "F", "Q")) if counts else "not classified"
    st.markdown(f"Beats: {len(analysis.beats):,} ({labels})" + (" · " + " · ".join(extra) if extra else ""))
    for note in st.session_state.get("model_notes", []):
        st.warning(note, icon=":material/info:")
