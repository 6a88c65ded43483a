"""Overview: what the record is, then what matters first (the rhythm in words, the longest
pause, the heart-rate range with the times of its extremes, AF and ectopic burden, the alarms),
then its vitals at a glance, with what they are worth: the model's figures on patients it
never saw, a warning when the record is one it was trained on, a warning on the S labels
while the reviewer has not corrected them, and HRV marked not applicable where the rhythm is
not sinus. Times are clock times when the record has a start time, else h:mm:ss from its start.

Record text (name, lead names, header comments) is escaped or shown as plain text.
"""
from __future__ import annotations

import streamlit as st

from dashboard.markdown_text import md_escape
from dashboard.sections import events as events_section
from dashboard.sections import review
from dashboard.sections.headline import headline
from dashboard.sections.model import model_facts
from ecg_lstm.findings.hrv import hrv_applicability
from ecg_lstm.report.model_card import protocol_row
from ecg_lstm.rhythm.labels import af_burden
from ecg_lstm.signal.quality import noisy_share_pct

#: MIT-BIH's sampling rate: a record named like a training record is that record only at this rate.
MITDB_FS = 360.0


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


def training_record(rec, trained_on: dict[str, set[str]]) -> list[str]:
    """Which shipped models were trained on this record (by MIT-BIH name and rate)."""
    if abs(float(rec.fs) - MITDB_FS) > 1e-6:
        return []
    name = str(rec.name).strip()
    return [what for what, recs in trained_on.items() if name in recs]


def label_origin(analysis) -> str:
    """Where the beat labels come from, in words."""
    state = st.session_state
    n_rev = int(analysis.beats["reviewed"].sum()) if "reviewed" in analysis.beats else 0
    model = ("the model, adapted to this record (no labels)" if state.get("labels_unsupervised")
             else "the shipped model as is")
    if n_rev:
        return (f"{n_rev:,} beats labelled by the reviewer, the others by "
                + ("the model adapted to the reviewed beats" if state.get("labels_adapted") else model))
    return model


def ds2_line(facts: dict, beat_source: str, adapted: bool = False, s_check: str | None = "") -> str | None:
    """One sentence with the beat model's DS2 figures for this record's protocol, and where fewer
    than half of the S labels are right there, a word on them (``s_check`` None: none, as the page
    says it apart in :func:`s_warning`)."""
    row = protocol_row(facts["beat"], beat_source, adapted)
    if row is None:
        return None
    name, f = row
    parts = [f"{k} {f[k]:.1f}" for k in ("VEB Se", "VEB +P", "SVEB Se", "SVEB +P", "Accuracy") if k in f]
    line = f"Beat labels, as good as on unseen patients (DS2, {name}): " + " · ".join(parts) + " %."
    if adapted and "adapt" not in name.lower():
        line += " (Measured without adaptation; no DS2 figure of the adapted model yet.)"
    if f.get("SVEB +P") is not None and f["SVEB +P"] < 50 and s_check is not None:
        line += f" Fewer than half of the S labels are right there ({f['SVEB +P']:.0f} %): check them" + (
            f" ({s_check})." if s_check else ".")
    return line


def s_warning(facts: dict, beat_source: str, adapted: bool, check: str | None) -> str | None:
    """The warning on the S labels while the reviewer has not corrected them (``check``: from
    :func:`s_label_check`; None: corrected, no warning), where fewer than half are right on DS2."""
    row = protocol_row(facts["beat"], beat_source, adapted)
    if row is None or check is None or row[1].get("SVEB +P") is None or row[1]["SVEB +P"] >= 50:
        return None
    return (f"Fewer than half of the model's S labels are right on patients it never saw (DS2: "
            f"{row[1]['SVEB +P']:.0f} %): check them" + (f" ({check})." if check else ".")
            + " This goes once they are reviewed, or the record is relabelled from reviewed beats (Adapt).")


def s_label_check(beats, adapted_to_review: bool) -> str | None:
    """Whether the S labels still need the reviewer's check, and how many: None once the reviewer
    has corrected them (every S label reviewed, or the record relabelled from reviewed beats by
    Adapt); ``""`` while nothing is reviewed; else "N S labels not reviewed"."""
    if "reviewed" not in beats or not beats["reviewed"].any():
        return ""
    if adapted_to_review:
        return None
    s = beats["label"].astype(str).to_numpy() == "S"
    left = int((s & ~beats["reviewed"].to_numpy(bool)).sum())
    return None if left == 0 else f"{left:,} S label{'s' if left > 1 else ''} not reviewed"


def render(analysis) -> None:
    rec = analysis.record
    v = analysis.vitals or {}
    counts = v.get("beat_counts")  # None when no classifier ran
    noisy = noisy_share_pct(analysis.quality)
    facts = model_facts()
    st.markdown(
        f"**{md_escape(rec.name)}** · {duration(rec.duration_s)} · {rec.fs:g} Hz · "
        f"leads {md_escape(', '.join(rec.lead_names))} (analysed: {md_escape(rec.lead_names[analysis.lead_index])}) · "
        f"beats {analysis.beat_source}"
        + (" · reference annotations present" if rec.annotations is not None else ""))
    review.notes()  # corrections loaded with the record, or why not
    # What matters first: the rhythm, the longest pause, the heart-rate range, AF and ectopy, alarms.
    top = headline(analysis, events_section.decisions())
    with st.container(border=True):
        st.markdown("  \n".join(md_escape(line) for line in top["rhythm"]))
        st.markdown(" · ".join(md_escape(f) for f in top["facts"]))
        st.markdown(md_escape(top["alarms"]))
    # What the reader noticed in the file (values set missing, a longer signal file, ...) and what the
    # analysis doubts (a sampling rate that looks wrong): record text, so shown escaped.
    for note in [*((rec.metadata or {}).get("warnings") or []), *getattr(analysis, "warnings", [])]:
        st.warning(md_escape(str(note)), icon=":material/warning:")
    trained = training_record(rec, facts["trained_on"])
    if trained:
        models = f"the {trained[0]} model was" if len(trained) == 1 else f"the {' and '.join(trained)} models were"
        st.warning(f"Record {md_escape(rec.name)} is one of the MIT-BIH records {models} "
                   "trained on (DS1). Its labels and any agreement with the reference here say "
                   "nothing about how the model does on a new patient; the DS2 figures below do.",
                   icon=":material/school:")
    adapted = bool(st.session_state.get("labels_adapted") or st.session_state.get("labels_unsupervised"))
    line = ds2_line(facts, analysis.beat_source, adapted=adapted, s_check=None)
    if counts and counts.get("S"):  # the S labels' warning, until the reviewer has corrected them
        check = s_label_check(analysis.beats, bool(st.session_state.get("labels_adapted")))
        warn = s_warning(facts, analysis.beat_source, adapted, check)
        if warn:
            st.warning(warn, icon=":material/rule:")
    hrv = hrv_applicability(analysis.beats, analysis.rhythm_episodes, rec.duration_s)
    c = st.columns(6)
    c[0].metric("HR mean", fmt(v.get("hr_mean_bpm"), 0, "bpm"), border=True)
    c[1].metric("HR min–max", f"{fmt(v.get('hr_min_bpm'))}–{fmt(v.get('hr_max_bpm'))} bpm", border=True,
                help="Extremes of the heart rate over 10 consecutive beats.")
    if hrv["applicable"]:
        c[2].metric("SDNN / RMSSD", f"{fmt(v.get('sdnn_ms'))} / {fmt(v.get('rmssd_ms'))} ms", border=True,
                    help="Heart-rate variability over normal-to-normal intervals (Task Force 1996).")
    else:
        c[2].metric("SDNN / RMSSD", "not applicable", border=True, help="HRV " + hrv["reason"] + ".")
    c[3].metric("Ectopic burden", fmt(v.get("ectopic_burden_pct"), 1, "%"),
                border=True, help="Supraventricular + ventricular ectopic beats, share of classified beats.")
    c[4].metric("Noisy signal", fmt(noisy, 1, "%"), border=True,
                help="Share of the record in 10-s segments whose quality is too low to trust.")
    c[5].metric("Events", f"{len(analysis.events) if analysis.events is not None else 0}", border=True)
    extra = []
    if hrv["applicable"]:
        if v.get("lf_hf_ratio") is not None:
            extra.append(f"LF/HF {fmt(v.get('lf_hf_ratio'), 2)}")
        if v.get("pnn50_pct") is not None:
            extra.append(f"pNN50 {fmt(v.get('pnn50_pct'), 1)} %")
    ep = analysis.rhythm_episodes
    if ep is not None and len(ep) and "label" in ep:
        af = f"AF/flutter burden {fmt(af_burden(ep, rec.duration_s), 1)} %"
        r = facts["rhythm"]
        if "AF duration sensitivity" in r and "AF duration positive predictivity" in r:
            af += (f" (DS2: AF time found {r['AF duration sensitivity']:.0f} %, "
                   f"right {r['AF duration positive predictivity']:.0f} %)")
        extra.append(af)
    labels = " · ".join(f"{k} **{counts[k]:,}**" for k in ("N", "S", "V", "F", "Q")) if counts else "not classified"
    st.markdown(f"Beats: {len(analysis.beats):,} ({labels})" + (" · " + " · ".join(extra) if extra else ""))
    notes = []
    if not hrv["applicable"]:
        notes.append("HRV not applicable: " + hrv["reason"] + ".")
    if counts:
        notes.append(f"Labels from {label_origin(analysis)}." + (" " + line if line else ""))
    if notes:
        st.caption("  \n".join(notes))
    comments = (rec.metadata or {}).get("comments") or []
    if comments:
        with st.expander("Header comments"):
            st.text("\n".join(str(c) for c in comments))  # record text: plain
    for note in st.session_state.get("model_notes", []):
        st.warning(md_escape(note), icon=":material/info:")
