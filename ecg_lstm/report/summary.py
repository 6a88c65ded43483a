"""The clinical summary of a report: what a cardiologist reads first, in one or two pages.

:func:`clinical_summary` gives its numbers (``numbers``, a flat dict) and its sections (heading,
rows, lines, a table), which the PDF (:mod:`.pdf`) and the HTML (:mod:`.document`) lay out
alike. Every number comes from what the page shows: the vitals (:func:`ecg_lstm.findings.ecg_vitals`
as the analysis computed them), the events (:func:`ecg_lstm.findings.events.detect_events`, with the
reviewer's decisions: rejected events are not counted), the rhythm episodes
(:func:`ecg_lstm.rhythm.labels.af_burden`), the noise (:func:`ecg_lstm.signal.quality.noisy_share_pct`)
and HRV's applicability (:func:`ecg_lstm.findings.hrv.hrv_applicability`). The times of the
heart-rate extremes come from :func:`hr_extremes`, the vitals' own window, so its minimum and
maximum are the vitals'.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..findings.events import EVENT_TYPES, event_groups
from ..findings.events.rules import EventRules, duration_text
from ..findings.hrv import hrv_applicability
from ..signal.quality import noisy_share_pct
from .content import PEOPLE_FIELDS, clock, field_text, num, people_rows, plain_lines, record_rows, start_text
from .periods import hr_extremes, period_table
from .rhythm_text import af_figures, rhythm_statements

__all__ = ["clinical_summary", "hr_extremes", "period_table", "counted_events"]

#: HRV figures printed where HRV applies (vitals key, name, unit, digits).
HRV_ROWS = (("sdnn_ms", "SDNN", "ms", 0), ("rmssd_ms", "RMSSD", "ms", 0), ("pnn50_pct", "pNN50", "%", 1),
            ("sdann_ms", "SDANN", "ms", 0), ("sdnn_index_ms", "SDNN index", "ms", 0))
#: Event types of each ectopic class: isolated, couplet, runs, patterns.
ECTOPY = {"V": ("Ventricular", "pvc", "couplet", ("vt", "ivr"), ("bigeminy", "trigeminy")),
          "S": ("Supraventricular", "pac", "sv_couplet", ("svt_run",), ())}


def counted_events(analysis, events=None) -> tuple[pd.DataFrame, int]:
    """The events the summary counts (the analysis' or ``events``, rejected ones left out), sorted
    by time, with ``noisy`` and ``alarm`` columns; and how many were rejected."""
    ev = analysis.events if events is None else events
    if ev is None or not len(ev):
        return pd.DataFrame(columns=["type", "start_sample", "end_sample", "start_s", "end_s", "n_beats",
                                     "description", "noisy", "alarm", "decision"]), 0
    ev = ev.sort_values("start_s", kind="stable").reset_index(drop=True)
    for col, default in (("noisy", False), ("alarm", False), ("decision", ""), ("n_beats", 0)):
        if col not in ev:
            ev = ev.assign(**{col: default})
    rejected = ev["decision"].fillna("").astype(str).eq("rejected").to_numpy()
    return ev[~rejected].reset_index(drop=True), int(rejected.sum())


def _run_rate(r) -> float:
    """Mean rate (bpm) of a run event, as the event's description has it."""
    span = float(r.end_s - r.start_s)
    return 60.0 * (int(r.n_beats) - 1) / span if span > 0 and r.n_beats > 1 else float("nan")


def _ectopy(analysis, ev: pd.DataFrame, numbers: dict, when) -> tuple[list[str], list[list[str]], list[str]]:
    """The ectopy table (one row per class) and its notes; fills ``numbers``."""
    v = analysis.vitals or {}
    counts = v.get("beat_counts") or {}
    samples = analysis.beats["sample"].to_numpy(np.int64)
    labels = analysis.beats["label"].fillna("").astype(str).to_numpy() if "label" in analysis.beats else None
    head = ["", "beats", "burden", "isolated", "couplets", "runs", "longest run", "fastest run"]
    rows, notes = [], []
    for cls, (name, single, pair, run_types, pattern_types) in ECTOPY.items():
        total = counts.get(cls)
        isolated = int((ev["type"] == single).sum())
        in_patterns = 0
        pat = ev[ev["type"].isin(pattern_types)]
        if labels is not None:
            for a, b in zip(pat["start_sample"].to_numpy(np.int64), pat["end_sample"].to_numpy(np.int64)):
                i, j = np.searchsorted(samples, a, "left"), np.searchsorted(samples, b, "right")
                in_patterns += int((labels[i:j] == cls).sum())
        runs = ev[ev["type"].isin(run_types)]
        clean = runs[~runs["noisy"].astype(bool).to_numpy()]
        longest = fastest = "–"
        key = cls.lower()
        numbers.update({f"{key}_beats": total, f"{key}_burden_pct": v.get(f"{key}_burden_pct"),
                        f"{key}_isolated": isolated + in_patterns, f"{key}_couplets": int((ev["type"] == pair).sum()),
                        f"{key}_runs": len(runs)})
        if len(clean) < len(runs):
            notes.append(f"{name} runs: {len(runs) - len(clean):,} of {len(runs):,} lie in noisy signal (possibly "
                         "artefact); the longest and fastest are those outside it.")
        if len(clean):
            lr = clean.loc[clean["n_beats"].astype(int).idxmax()]
            rates = np.array([_run_rate(r) for r in clean.itertuples()])
            fr = clean.iloc[int(np.nanargmax(rates))] if np.isfinite(rates).any() else lr
            longest = f"{int(lr['n_beats'])} beats at {when(lr['start_s'])}"
            fastest = f"{_run_rate(fr):.0f} bpm at {when(fr['start_s'])}"
            numbers.update({f"{key}_longest_run_beats": int(lr["n_beats"]),
                            f"{key}_longest_run_s": float(lr["start_s"]), f"{key}_fastest_run_bpm": _run_rate(fr),
                            f"{key}_fastest_run_s": float(fr["start_s"])})
        rows.append([name, "–" if total is None else f"{total:,}", num(v.get(f"{key}_burden_pct"), 1, "%"),
                     f"{isolated + in_patterns:,}", f"{numbers[f'{key}_couplets']:,}", f"{len(runs):,}", longest,
                     fastest])
        if len(pat):
            notes.append(f"{name} bigeminy / trigeminy: {len(pat):,} episodes ({in_patterns:,} of the isolated "
                         f"{name.lower()} beats are in them).")
    if counts:
        other = {c: counts.get(c, 0) for c in ("N", "F", "Q")}
        notes.append(f"Other beats: N {other['N']:,}, F (fusion) {other['F']:,}, Q (unclassifiable) {other['Q']:,}. "
                     "Burden: share of the classified beats.")
    return head, rows, notes


def clinical_summary(analysis, events=None, people: dict | None = None) -> dict:
    """The clinical summary: ``{"numbers": {...}, "sections": [...]}``.

    ``numbers`` holds the figures printed (for the page and tests: ``hr_min_bpm``, ``hr_min_s``,
    ``hr_max_bpm``, ``hr_max_s``, ``hr_mean_bpm``, ``longest_pause_s``, ``longest_pause_at_s``,
    ``af_burden_pct``, ``af_episodes``, ``v_beats``, ``s_beats``, ...; times in seconds from the
    start). Each section is ``{"head", "rows": [[label, value]], "lines": [str], "table": (head,
    rows) or None, "notes": [str]}``; ``hr_series``: :func:`hr_extremes`. ``events``: the events
    with the reviewer's ``decision`` (default ``analysis.events``); ``people``: the report fields
    (the technician's comments are the summary's; the physician's conclusion is printed by the
    renderers, last).
    """
    rec = analysis.record
    v = analysis.vitals or {}
    dur = float(rec.duration_s)

    def when(t: float) -> str:
        return clock(rec, t)

    ev, n_rejected = counted_events(analysis, events)
    numbers: dict = {"duration_s": dur, "n_rejected_events": n_rejected}
    sections: list[dict] = []

    def section(head, rows=(), lines=(), table=None, notes=()):
        sections.append({"head": head, "rows": [list(r) for r in rows], "lines": list(lines), "table": table,
                         "notes": list(notes)})

    patient = people_rows(people, ("patient_name", "patient_id", "birth_date"))
    if patient:
        section("Patient", patient)
    noisy = noisy_share_pct(analysis.quality)
    numbers.update(noisy_pct=noisy, analysable_s=dur * (1 - noisy / 100.0))
    rows = [["Start", start_text(rec) or "not in the file: times are from the start of the recording"],
            ["Duration", duration_text(dur)],
            ["Analysable", f"{duration_text(numbers['analysable_s'])} ({100 - noisy:.1f} %); "
                           f"noisy signal excluded: {duration_text(dur - numbers['analysable_s'])}"],
            *record_rows(analysis)]
    section("Recording", rows)

    # Rhythm, in words.
    af = af_figures(analysis)
    numbers.update(af)
    section("Rhythm", lines=rhythm_statements(analysis, ev, af, when))

    # Heart rate: extremes with their times, and per period.
    ext = hr_extremes(analysis.beats, rec.fs)
    numbers.update({k: ext[k] for k in ("hr_min_bpm", "hr_min_s", "hr_max_bpm", "hr_max_s")})
    numbers["hr_mean_bpm"] = v.get("hr_mean_bpm")
    rows = [["Minimum", f"{num(v.get('hr_min_bpm'))} bpm at {when(ext['hr_min_s'])}" if ext["hr_min_s"] is not None
             else "–"],
            ["Mean", num(v.get("hr_mean_bpm"), 0, "bpm")],
            ["Maximum", f"{num(v.get('hr_max_bpm'))} bpm at {when(ext['hr_max_s'])}" if ext["hr_max_s"] is not None
             else "–"]]
    periods = period_table(analysis, ev, ext, when)
    section("Heart rate", rows, table=(periods["head"], periods["rows"]),
            notes=[f"Minimum and maximum: 60 / median RR of 10 consecutive beats, so a single pause or early beat "
                   f"moves neither; mean: 60 / mean RR, which pauses lower. One row per {periods['step_text']}; "
                   "pauses: those starting in the period."])

    # Pauses, from the pause events (the same list as the page's events).
    pauses = ev[ev["type"] == "pause"]
    pause_s = EventRules().pause_s
    if len(pauses):
        length = (pauses["end_s"] - pauses["start_s"]).to_numpy(float)
        k = int(np.argmax(length))
        numbers.update(longest_pause_s=float(length[k]), longest_pause_at_s=float(pauses["start_s"].iloc[k]),
                       pauses=len(pauses), pauses_3s=int((length >= 3.0).sum()))
        rows = [["Longest pause", f"{length[k]:.1f} s at {when(pauses['start_s'].iloc[k])}"],
                ["Pauses", f"{len(pauses):,} over {pause_s:.1f} s; {numbers['pauses_3s']:,} of 3 s or more"]]
    else:
        numbers.update(longest_pause_s=None, longest_pause_at_s=None, pauses=0, pauses_3s=0)
        rows = [["Longest pause", f"no pause over {pause_s:.1f} s outside noisy signal"]]
    section("Pauses", rows)

    head, rows, notes = _ectopy(analysis, ev, numbers, when)
    section("Ectopy", table=(head, rows), notes=notes)

    if af["af_episodes"]:
        rows = [["AF / flutter burden", f"{af['af_burden_pct']:.1f} % of the recording"],
                ["Episodes", f"{af['af_episodes']:,}"],
                ["Longest", f"{duration_text(af['af_longest_s'])} from {when(af['af_longest_at_s'])}"]]
        section("Atrial fibrillation / flutter", rows)
    elif af["rhythm_classified"]:
        section("Atrial fibrillation / flutter", lines=["None found (AF burden 0 %)."])

    if "hrv_applicable" in v:  # the analysis' decision, which the page shows
        applicable, reason = bool(v["hrv_applicable"]), v.get("hrv_not_applicable_reason") or ""
    else:
        h = hrv_applicability(analysis.beats, analysis.rhythm_episodes, dur)
        applicable, reason = bool(h["applicable"]), h["reason"]
    numbers["hrv_applicable"] = applicable
    if applicable:
        section("Heart-rate variability", [[name, num(v.get(k), d, u)] for k, name, u, d in HRV_ROWS
                                           if v.get(k) is not None])
    else:
        section("Heart-rate variability", lines=[f"Not applicable: {reason}."])

    groups = event_groups(ev)
    if len(groups):
        rows = [[t, EVENT_TYPES.get(t, ""), f"{int(c):,}", f"{int(n):,}"]
                for t, c, n in zip(groups["type"], groups["count"], groups["noisy"])]
        section("Events", table=(["type", "meaning", "count", "in noisy signal"], rows),
                notes=[f"{n_rejected:,} events rejected by the reviewer are not counted."] if n_rejected else [])
    else:
        section("Events", lines=["No arrhythmia event was flagged."])

    tech = people_rows(people, ("reviewer", "review_date"))
    comments = plain_lines((people or {}).get("comments"))
    if tech or comments:
        section(PEOPLE_FIELDS["comments"], tech, lines=comments)
    return {"numbers": numbers, "sections": sections, "hr_series": ext}



def report_parts(analysis, events=None, people: dict | None = None, strips=None) -> dict:
    """Everything the report prints but the audit trail, for the PDF and the HTML alike:
    ``summary`` (:func:`clinical_summary`), ``strips`` (:class:`~ecg_lstm.report.strips.Strip`
    list: the technician's ``strips``, ``[(start_s, end_s, caption)]``, else the rule's),
    ``strip_rule`` (how they were chosen) and ``conclusion`` (the physician's lines, name and
    signature date)."""
    from .strips import report_strips

    summary = clinical_summary(analysis, events, people)
    ev, _ = counted_events(analysis, events)
    shown, rule = report_strips(analysis, ev, summary["hr_series"], strips)
    at = summary["numbers"].get("longest_pause_at_s")
    pause = next((k for k, s in enumerate(shown, 1) if at is not None and s.mark is not None
                  and s.mark[0] <= at + 1e-6 and s.start_s <= at <= s.end_s), None)
    if pause is not None:  # the summary names the strip that shows it
        for sec in summary["sections"]:
            for row in sec["rows"]:
                if row[0] == "Longest pause":
                    row[1] += f" (strip {pause})"
    conclusion = {"lines": plain_lines((people or {}).get("conclusion")),
                  "rows": [[PEOPLE_FIELDS[k], field_text(people, k) or ""] for k in ("physician", "signature_date")]}
    return {"summary": summary, "strips": shown, "strip_rule": rule, "conclusion": conclusion}
