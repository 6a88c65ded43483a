"""The printable report of an analysis: summary, vitals, beat counts, events
(with the reviewer's decisions), and a strip of ECG for each event.

Two forms of the same content:

* :func:`html_report`: one self-contained HTML file (no scripts, fonts or
  images to fetch), so it opens offline and can be archived with the record.
  Strips scale to the page width, so a 10-s strip prints whole on A4 and on
  Letter; each carries a 1-s and a 1-mV scale bar, which stay true at any zoom.
* :func:`~ecg_lstm.report.pdf.pdf_report` (:mod:`.pdf`): a PDF (A4 or Letter)
  with the same content (:mod:`.content`).  Strips there are at 25 mm/s and
  10 mm/mV exactly.

Patient and reviewer fields are typed by the user and only written into the
report; they are never logged or stored.

    from ecg_lstm.report import html_report, pdf_report
    Path("208.html").write_text(html_report(analysis))
    Path("208.pdf").write_bytes(pdf_report(analysis, paper="A4"))
"""
from __future__ import annotations

import datetime as _dt
import html

import numpy as np

from ..beats.aami import CLASSES
from ..signal.quality import noisy_share_pct
from .content import (
    AUDIT_HEAD,
    CLASS_NAMES,
    EVENT_HEAD,
    MAX_STRIPS,
    STRIP_S,
    amendment_text,
    audit_rows,
    event_rows,
    hms,
    num,
    people_rows,
    record_rows,
    report_events,
    strip_events,
    strip_window,
    vitals_rows,
)

#: Paper scale of the strips: 25 mm/s, 10 mm/mV, drawn at this many px per mm.
PX_PER_MM = 4.0
CLASS_COLOURS = {"N": "#2e7d32", "S": "#1565c0", "V": "#c62828", "F": "#6a1b9a", "Q": "#616161"}
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{margin-bottom:.2rem} .muted{color:#555} table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;vertical-align:top} th{background:#f2f2f2}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}
.card{border:1px solid #ccc;border-radius:.5rem;padding:.5rem .9rem;min-width:9rem}
.card b{display:block;font-size:1.4rem} .strip{margin:.4rem 0 1.4rem;break-inside:avoid}
.strip svg{width:100%;height:auto;display:block}
.amendment{border-left:4px solid #c62828;padding-left:.6rem} .rejected td{color:#777;text-decoration:line-through}
@page{margin:12mm}
@media print{body{margin:0;max-width:none;font-size:10pt} h2{break-after:avoid} tr{break-inside:avoid}}
"""


def svg_strip(ecg: np.ndarray, fs: float, start_s: float, end_s: float, samples=None, labels=None,
              mark: tuple[float, float] | None = None) -> str:
    """ECG from ``start_s`` to ``end_s`` as an inline SVG on 25 mm/s, 10 mm/mV paper.

    The SVG scales to the width of its container (all of the strip stays on
    the page); a 1-s / 1-mV scale bar and the start time keep it readable at
    any scale.  ``samples``/``labels``: beat positions (record samples) and
    classes to mark; ``mark``: (start, end) in seconds of the event, shaded.
    """
    i0, i1 = max(0, int(start_s * fs)), min(len(ecg), int(end_s * fs))
    y = np.asarray(ecg[i0:i1], float)
    y = np.where(np.isfinite(y), y, np.nan)
    base, lo, hi = strip_window(y)
    px_s, px_mv = 25 * PX_PER_MM, 10 * PX_PER_MM
    w, h = (end_s - start_s) * px_s, (hi - lo) * px_mv
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
             f'viewBox="0 0 {w:.0f} {h:.0f}" preserveAspectRatio="xMinYMin meet" style="background:#fff7f7">']
    if mark is not None:
        x0 = (max(mark[0], start_s) - start_s) * px_s
        x1 = (min(max(mark[1], mark[0] + 0.2), end_s) - start_s) * px_s
        parts.append(f'<rect x="{x0:.1f}" y="0" width="{max(x1 - x0, 2):.1f}" height="{h:.0f}" fill="#ffb74d" '
                     'fill-opacity="0.3"/>')
    for step, colour, width in ((PX_PER_MM, "#f6cfd3", 0.5), (5 * PX_PER_MM, "#e8959d", 1.0)):
        d = "".join(f"M{x:.1f} 0V{h:.0f}" for x in np.arange(0, w + 0.1, step))
        d += "".join(f"M0 {yy:.1f}H{w:.0f}" for yy in np.arange(0, h + 0.1, step))
        parts.append(f'<path d="{d}" stroke="{colour}" stroke-width="{width}" fill="none"/>')
    t = (np.arange(i0, i1) / fs - start_s) * px_s
    yy = (hi - (y - base)) * px_mv
    ok = np.isfinite(yy)
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(t[ok], yy[ok]))
    parts.append(f'<polyline points="{pts}" fill="none" stroke="#111" stroke-width="1.2"/>')
    if samples is not None and labels is not None:
        s = np.asarray(samples, np.int64)
        for smp, lab in zip(s[(s >= i0) & (s < i1)], np.asarray(labels)[(s >= i0) & (s < i1)]):
            x = (smp / fs - start_s) * px_s
            lab = html.escape(str(lab) or "?")
            parts.append(f'<text x="{x:.1f}" y="14" font-size="12" text-anchor="middle" '
                         f'fill="{CLASS_COLOURS.get(lab, "#616161")}" font-family="sans-serif">{lab}</text>')
    # Scale bars, bottom left: 1 s across, 1 mV up, with their labels.
    x0, y0 = 8.0, h - 8.0
    parts.append(f'<path d="M{x0:.1f} {y0 - px_mv:.1f}V{y0:.1f}H{x0 + px_s:.1f}" stroke="#0d47a1" '
                 'stroke-width="2.5" fill="none"/>')
    parts.append(f'<text x="{x0 + px_s / 2:.1f}" y="{y0 - 4:.1f}" font-size="12" text-anchor="middle" '
                 'fill="#0d47a1" font-family="sans-serif">1 s</text>')
    parts.append(f'<text x="{x0 + 4:.1f}" y="{y0 - px_mv + 12:.1f}" font-size="12" fill="#0d47a1" '
                 'font-family="sans-serif">1 mV</text>')
    parts.append(f'<text x="{w - 6:.1f}" y="{h - 6:.1f}" font-size="12" text-anchor="end" fill="#333" '
                 f'font-family="sans-serif">{hms(start_s)} – {hms(end_s)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[list], head: list[str], row_class: list[str] | None = None) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    cls = row_class or [""] * len(rows)
    body = "".join((f"<tr class='{c}'>" if c else "<tr>") + "".join(f"<td>{html.escape(str(v))}</td>" for v in r)
                   + "</tr>" for r, c in zip(rows, cls))
    return f"<table><tr>{th}</tr>{body}</table>"


def html_report(analysis, title: str | None = None, people: dict | None = None, events=None, *,
                audit=None, amendment: dict | None = None) -> str:
    """The whole report as one HTML string (UTF-8, self-contained).

    ``people``: patient and reviewer fields (keys of :data:`PEOPLE_FIELDS`);
    ``events``: the events to list (default ``analysis.events``), e.g. with the
    reviewer's ``decision`` column (rejected events are listed struck through
    and get no strip); ``audit``: the study's audit trail (a DataFrame with
    columns at, who, action, target, old, new), printed last, so that the
    report shows who changed what; ``amendment``: when this report replaces a
    signed one, ``{"number", "signed_by", "signed_at", "sha256"}`` of it,
    printed at the top.
    """
    rec = analysis.record
    v = analysis.vitals or {}
    counts = v.get("beat_counts") or {c: 0 for c in CLASSES}  # all 0 when no classifier ran
    lead = rec.lead_names[analysis.lead_index]
    ecg = rec.signal[:, analysis.lead_index]
    title = title or f"ECG report: {rec.name}"
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           f"<style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
           f"<p class='muted'>Generated {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by ecg-lstm. "
           "Automated analysis; it does not replace review by a clinician.</p>"]
    amended = amendment_text(amendment)
    if amended:
        out.append(f"<p class='amendment'><b>{html.escape(amended)}</b></p>")
    filled = people_rows(people)
    if filled:
        out.append("<h2>Patient and review</h2>" + _table(filled, ["field", "value"]))
    out.append("<h2>Record</h2>" + _table(record_rows(analysis), ["field", "value"]))
    cards = [("Heart rate, mean", num(v.get("hr_mean_bpm"), 0, "bpm")),
             ("Heart rate, min / max", f"{num(v.get('hr_min_bpm'))} / {num(v.get('hr_max_bpm'))} bpm"),
             ("Ectopic beats", num(v.get("ectopic_burden_pct"), 1, "%")),
             ("Noisy signal", num(noisy_share_pct(analysis.quality), 1, "%")),
             ("Beats", f"{len(analysis.beats):,}")]
    out.append("<h2>Vitals</h2><div class='cards'>" + "".join(
        f"<div class='card'>{html.escape(k)}<b>{html.escape(val)}</b></div>" for k, val in cards) + "</div>")
    out.append(_table(vitals_rows(analysis), ["measure", "value"]))
    out.append(_table([[CLASS_NAMES[c], f"{counts[c]:,}"] for c in CLASSES], ["beat class", "beats"]))
    ep = analysis.rhythm_episodes
    if ep is not None and len(ep):
        out.append("<h2>Rhythm episodes</h2>" + _table(
            [[r.label, hms(r.start_s), hms(r.end_s), num(r.end_s - r.start_s, 0, "s")] for r in ep.itertuples()],
            ["rhythm", "start", "end", "duration"]))
    ev = report_events(analysis, events)
    out.append("<h2>Events</h2>")
    if ev is None:
        out.append("<p>No arrhythmia event was flagged.</p>")
    else:
        out.append(_table(event_rows(ev), EVENT_HEAD,
                          ["rejected" if d == "rejected" else "" for d in ev["decision"]]))
        samples, labels = analysis.beats["sample"].to_numpy(), analysis.beats["label"].fillna("").to_numpy()
        shown, n = strip_events(ev)
        out.append(f"<h2>Event strips</h2><p class='muted'>Lead {html.escape(lead)}; ECG paper of 25 mm/s and "
                   "10 mm/mV, scaled to the page: the blue bars are 1 s and 1 mV"
                   + (f"; {MAX_STRIPS} of {n} events, runs and rhythm changes first" if n > MAX_STRIPS else "")
                   + ".</p>")
        for r in shown.itertuples():
            start = max(0.0, min(r.start_s - 2.0, rec.duration_s - STRIP_S))
            out.append(f"<div class='strip'><h3>{html.escape(str(r.type))} at {hms(r.start_s)}</h3>"
                       + svg_strip(ecg, rec.fs, start, min(rec.duration_s, start + STRIP_S), samples, labels,
                                   mark=(r.start_s, r.end_s)) + "</div>")
    trail = audit_rows(audit)
    if trail:
        out.append("<h2>Audit trail</h2>" + _table(trail, AUDIT_HEAD))
    out.append("</body></html>")
    return "\n".join(out)


# --- PDF ------------------------------------------------------------------------------------------

