"""The printable report of an analysis as one self-contained HTML file (no scripts, fonts or
images to fetch), so it opens offline and can be archived with the record.

The content is the PDF's (:mod:`.pdf`): the clinical summary (:mod:`.summary`) with the
technician's comments and the physician's conclusion, then the strips (:mod:`.strips`), full
disclosure when asked for, and the audit trail of a study. Strips scale to the page width, so a
strip prints whole on A4 and on Letter; each carries a 1-s and a 1-mV scale bar, which stay true
at any zoom.

Patient and reviewer fields are typed by the user and only written into the report; they are
never logged or stored here.

    from ecg_lstm.report import html_report, pdf_report
    Path("208.html").write_text(html_report(analysis))
    Path("208.pdf").write_bytes(pdf_report(analysis, paper="A4"))
"""
from __future__ import annotations

import datetime as _dt
import html

import numpy as np

from .content import AUDIT_HEAD, amendment_text, audit_rows, clock, hms, strip_window
from .pdf_ecg import CLASS_COLOURS
from .strips import STRIP_S
from .summary import report_parts

#: Paper scale of the strips: 25 mm/s, 10 mm/mV, drawn at this many px per mm.
PX_PER_MM = 4.0
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{margin-bottom:.2rem} .muted{color:#555} table{border-collapse:collapse;margin:.5rem 0 1rem}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f2f2f2} td.n{text-align:right} p,li{overflow-wrap:anywhere}
.kv{width:100%;table-layout:fixed} .kv th{width:11rem} .kv td{overflow-wrap:anywhere}
.strip{margin:.4rem 0 1.2rem;break-inside:avoid} .strip svg{width:100%;height:auto;display:block}
.amendment{border-left:4px solid #c62828;padding-left:.6rem} .sign td{min-width:16rem;height:1.6rem}
.strips{break-before:page} .note{color:#555;font-size:.85em}
@page{margin:12mm}
@media print{body{margin:0;max-width:none;font-size:9.5pt} h2{break-after:avoid} tr{break-inside:avoid}}
"""


def svg_strip(ecg: np.ndarray, fs: float, start_s: float, end_s: float, samples=None, labels=None,
              mark: tuple[float, float] | None = None, record=None, width_s: float | None = None) -> str:
    """ECG from ``start_s`` to ``end_s`` as an inline SVG on 25 mm/s, 10 mm/mV paper.

    The SVG scales to the width of its container (all of the strip stays on
    the page); a 1-s / 1-mV scale bar and the start time keep it readable at
    any scale.  ``samples``/``labels``: beat positions (record samples) and
    classes to mark; ``mark``: (start, end) in seconds of the event, shaded; ``record``: its
    times are printed as clock times when it has a start time; ``width_s``: seconds of paper drawn
    (default the strip's; a shorter strip leaves the rest blank, at the same scale).
    """
    i0, i1 = max(0, int(start_s * fs)), min(len(ecg), int(end_s * fs))

    def when(t: float) -> str:
        return clock(record, t) if record is not None else hms(t)
    y = np.asarray(ecg[i0:i1], float)
    y = np.where(np.isfinite(y), y, np.nan)
    base, lo, hi = strip_window(y)
    px_s, px_mv = 25 * PX_PER_MM, 10 * PX_PER_MM
    w, h = max(width_s or 0.0, end_s - start_s) * px_s, (hi - lo) * px_mv
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
                 f'font-family="sans-serif">{html.escape(when(start_s))} – {html.escape(when(end_s))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[list], head: list[str], numeric: bool = False) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(
        f"<td{' class=n' if numeric and k else ''}>{html.escape(str(v))}</td>" for k, v in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _rows(rows) -> str:
    return "<table class='kv'>" + "".join(f"<tr><th>{html.escape(str(a))}</th><td>{html.escape(str(b))}</td></tr>"
                               for a, b in rows) + "</table>"


def html_report(analysis, title: str | None = None, people: dict | None = None, events=None, *,
                audit=None, amendment: dict | None = None, strips=None, full_disclosure: bool = False) -> str:
    """The whole report as one HTML string (UTF-8, self-contained).

    ``people``: the report fields (keys of :data:`PEOPLE_FIELDS`); ``events``: the events with the
    reviewer's ``decision`` (default ``analysis.events``; rejected ones are not counted);
    ``strips``: the technician's strips, ``[(start_s, end_s, caption)]`` (default: chosen by the
    stated rule); ``full_disclosure``: the whole record, a minute a line; ``audit``: the study's
    audit trail (a DataFrame with columns at, who, action, target, old, new), printed last;
    ``amendment``: when this report replaces a signed one, ``{"number", "signed_by",
    "signed_at", "sha256"}`` of it, printed at the top.
    """
    rec = analysis.record
    lead = rec.lead_names[analysis.lead_index]
    ecg = rec.signal[:, analysis.lead_index]
    title = title or f"ECG report: {rec.name}"
    parts = report_parts(analysis, events, people, strips)
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           f"<style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
           f"<p class='muted'>Generated {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by ecg-lstm. Holter / "
           "ambulatory ECG report. Automated analysis reviewed by a technician; it does not replace the "
           "physician's reading.</p>"]
    amended = amendment_text(amendment)
    if amended:
        out.append(f"<p class='amendment'><b>{html.escape(amended)}</b></p>")
    for sec in parts["summary"]["sections"]:
        out.append(f"<h2>{html.escape(sec['head'])}</h2>")
        if sec["rows"]:
            out.append(_rows(sec["rows"]))
        out.extend(f"<p>{html.escape(line)}</p>" for line in sec["lines"])
        if sec["table"] is not None:
            out.append(_table(sec["table"][1], sec["table"][0], numeric=sec["head"] != "Events"))
        out.extend(f"<p class='note'>{html.escape(n)}</p>" for n in sec["notes"])
    con = parts["conclusion"]
    out.append("<h2>Physician's conclusion</h2>" + "".join(f"<p>{html.escape(x)}</p>" for x in con["lines"]))
    out.append("<table class='kv sign'>" + "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>"
                                                for a, b in con["rows"] + [["Signature", ""]]) + "</table>")
    samples = analysis.beats["sample"].to_numpy()
    labels = analysis.beats["label"].fillna("").to_numpy() if "label" in analysis.beats else None
    out.append(f"<div class='strips'><h2>ECG strips ({len(parts['strips'])})</h2><p class='muted'>"
               f"{html.escape(parts['strip_rule'])} Lead {html.escape(lead)}; ECG paper of 25 mm/s and 10 mm/mV, "
               "scaled to the page: the blue bars are 1 s and 1 mV.</p>")
    for k, s in enumerate(parts["strips"], 1):
        rows = "".join(svg_strip(ecg, rec.fs, a, min(s.end_s, a + STRIP_S), samples, labels, mark=s.mark,
                                 record=rec, width_s=STRIP_S) for a in np.arange(s.start_s, s.end_s - 1e-6, STRIP_S))
        out.append(f"<div class='strip'><h3>{k}. {html.escape(s.caption)}</h3>{rows}</div>")
    out.append("</div>")
    if full_disclosure:
        out.append(_full_disclosure(analysis))
    trail = audit_rows(audit)
    if trail:
        out.append("<h2>Audit trail</h2>" + _table(trail, AUDIT_HEAD))
    out.append("</body></html>")
    return "\n".join(out)


def _full_disclosure(analysis) -> str:
    """The whole record as SVG lines of a minute (min / max envelope), noisy signal shaded."""
    from .pdf_ecg import FD_LINE_S, FD_POINTS, envelope
    from .strips import noisy_spans

    rec = analysis.record
    ecg = rec.signal[:, analysis.lead_index]
    spans = noisy_spans(analysis.quality)
    w, h = 1000.0, 40.0
    out = [f"<h2 class='strips'>Full disclosure, lead {html.escape(rec.lead_names[analysis.lead_index])}</h2>"
           f"<p class='muted'>{FD_LINE_S:.0f} s a line; noisy signal shaded.</p>"]
    for a in np.arange(0.0, rec.duration_s, FD_LINE_S):
        y = np.asarray(ecg[int(a * rec.fs):int(min(rec.duration_s, a + FD_LINE_S) * rec.fs)], float)
        if not len(y) or not np.isfinite(y).any():
            continue
        x, yy = envelope(y, FD_POINTS)
        x = x * len(y) / (FD_LINE_S * rec.fs)
        yy = np.clip(h / 2 - (yy - np.nanmedian(y)) * 10, 0, h)
        ok = np.isfinite(yy)
        shade = "".join(f'<rect x="{max(s0 - a, 0) / FD_LINE_S * w:.1f}" y="0" height="{h:.0f}" '
                        f'width="{(min(s1 - a, FD_LINE_S) - max(s0 - a, 0)) / FD_LINE_S * w:.1f}" fill="#ddd"/>'
                        for s0, s1 in spans[(spans[:, 1] > a) & (spans[:, 0] < a + FD_LINE_S)])
        pts = " ".join(f"{p:.1f},{q:.1f}" for p, q in zip(x[ok] * w, yy[ok]))
        out.append(f"<div><small>{html.escape(clock(rec, a))}</small><svg xmlns='http://www.w3.org/2000/svg' "
                   f"viewBox='0 0 {w:.0f} {h:.0f}' style='width:100%;height:auto;display:block'>{shade}"
                   f"<polyline points='{pts}' fill='none' stroke='#111' stroke-width='0.6'/></svg></div>")
    return "".join(out)
