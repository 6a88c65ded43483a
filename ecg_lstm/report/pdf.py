"""The report as a PDF (A4 or Letter), drawn with matplotlib's PdfPages: the project already has
matplotlib, so the PDF needs no new dependency (no browser engine, no HTML-to-PDF converter).
Strips are at 25 mm/s and 10 mm/mV exactly. The content is :mod:`.content`'s, as in the HTML.
"""
from __future__ import annotations

import datetime as _dt
import io

import numpy as np

from ..beats.aami import CLASSES
from .content import (
    AUDIT_HEAD,
    CLASS_NAMES,
    EVENT_HEAD,
    MAX_FIELD_CHARS,
    PAPER_MM,
    amendment_text,
    audit_rows,
    event_rows,
    hms,
    people_rows,
    plain_field,
    record_rows,
    report_events,
    strip_events,
    strip_window,
    vitals_rows,
)
from .document import CLASS_COLOURS

_MM = 1 / 25.4  # inches per mm
MARGIN_MM = 12.0
STRIPS_PER_PAGE = 4
EVENT_ROWS_PER_PAGE = 40
AUDIT_ROWS_PER_PAGE = 40
#: Audit trail columns: mm from the left margin, and characters that fit each at 7 pt.
AUDIT_COLS_MM = (0, 30, 62, 94, 126)
AUDIT_COL_CHARS = (19, 20, 20, 20, 44)


def pdf_report(analysis, paper: str = "A4", title: str | None = None, people: dict | None = None,
               events=None, *, audit=None, amendment: dict | None = None) -> bytes:
    """The report as a PDF (``paper``: "A4" or "Letter"); the same content as :func:`html_report`
    (``audit`` and ``amendment`` as there: the audit trail on the last pages, the amendment line
    under the title).

    Strips are drawn at 25 mm/s and 10 mm/mV exactly and span the page width
    inside the margins (186 mm on A4, 192 mm on Letter: 7.4 and 7.7 s), each
    with a 1-s / 1-mV scale bar; the event starts 2 s into its strip.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    if paper not in PAPER_MM:
        raise ValueError(f"paper {paper!r} is not one of {', '.join(PAPER_MM)}")
    pw, ph = PAPER_MM[paper]
    rec = analysis.record
    title = title or f"ECG report: {rec.name}"
    ev = report_events(analysis, events)
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": title, "Creator": "ecg-lstm"}) as pdf:
        # Page 1: patient, record, vitals, beat classes.
        fig = Figure(figsize=(pw * _MM, ph * _MM))
        y = _pdf_text(fig, ph, title, [], top_mm=MARGIN_MM, size=16, bold=True)
        y = _pdf_text(fig, ph, f"Generated {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by ecg-lstm. Automated "
                      "analysis; it does not replace review by a clinician.", [], top_mm=y + 2, size=8)
        amended = amendment_text(amendment)
        if amended:
            y = _pdf_text(fig, ph, amended, [], top_mm=y + 2, size=9, bold=True)
        counts = (analysis.vitals or {}).get("beat_counts") or {c: 0 for c in CLASSES}
        for head, rows in (("Patient and review", people_rows(people)), ("Record", record_rows(analysis)),
                           ("Vitals", vitals_rows(analysis)),
                           ("Beat classes", [[CLASS_NAMES[c], f"{counts[c]:,}"] for c in CLASSES])):
            if rows:
                y = _pdf_text(fig, ph, head, rows, top_mm=y + 5)
        pdf.savefig(fig)
        # Event list, EVENT_ROWS_PER_PAGE rows a page.
        if ev is not None:
            _table_pages(pdf, pw, ph, event_rows(ev), EVENT_ROWS_PER_PAGE, _pdf_events,
                         lambda a, b, n: f"Events {a}-{b} of {n}")
            shown, _ = strip_events(ev)
            strips = list(shown.itertuples())
            for k in range(0, len(strips), STRIPS_PER_PAGE):
                fig = Figure(figsize=(pw * _MM, ph * _MM))
                for j, r in enumerate(strips[k:k + STRIPS_PER_PAGE]):
                    _pdf_strip(fig, analysis, r, pw, ph, j)
                pdf.savefig(fig)
        _table_pages(pdf, pw, ph, audit_rows(audit), AUDIT_ROWS_PER_PAGE, _pdf_audit,
                     lambda a, b, n: f"Audit trail ({a}-{b} of {n} entries)")
    return buf.getvalue()


def _table_pages(pdf, pw: float, ph: float, rows: list, per_page: int, draw, title) -> None:
    """``rows`` on as many pages as they need, ``per_page`` a page, each drawn by ``draw(fig, pw, ph,
    rows, title(first, last, total))``."""
    from matplotlib.figure import Figure

    for k in range(0, len(rows), per_page):
        fig = Figure(figsize=(pw * _MM, ph * _MM))
        draw(fig, pw, ph, rows[k:k + per_page], title(k + 1, min(k + per_page, len(rows)), len(rows)))
        pdf.savefig(fig)


def _pdf_text(fig, ph, head, rows, top_mm, size=10, bold=False) -> float:
    """A heading and (label, value) rows from ``top_mm``; returns the mm below them. Text is drawn
    literally (``usetex`` off, ``$`` escaped: a name is never read as mathtext)."""
    pw = fig.get_figwidth() / _MM
    y = top_mm

    def lit(text, n=MAX_FIELD_CHARS):
        return plain_field(text, n).replace("$", r"\$")

    fig.text(MARGIN_MM / pw, 1 - y / ph, lit(head, 400), fontsize=size if rows == [] else 12,
             fontweight="bold" if bold or rows else "normal", va="top", wrap=True, usetex=False)
    y += (size if rows == [] else 12) * 0.5
    for label, value in rows:
        y += 5.0
        fig.text(MARGIN_MM / pw, 1 - y / ph, lit(label), fontsize=9, va="top", usetex=False)
        fig.text((MARGIN_MM + 70) / pw, 1 - y / ph, lit(value, 110), fontsize=9, va="top", usetex=False)
    return y + 2


def _pdf_events(fig, pw, ph, rows, head) -> None:
    fig.text(MARGIN_MM / pw, 1 - MARGIN_MM / ph, head, fontsize=12, fontweight="bold", va="top")
    cols = [0, 22, 40, 55, 66, 80, 100]  # mm from the left margin
    y = MARGIN_MM + 9
    for c, h in zip(cols, EVENT_HEAD):
        fig.text((MARGIN_MM + c) / pw, 1 - y / ph, h, fontsize=8, fontweight="bold", va="top")
    for r in rows:
        y += 6.0
        for c, v in zip(cols, r):
            text = str(v)[:60] if c == cols[-1] else str(v)
            fig.text((MARGIN_MM + c) / pw, 1 - y / ph, text, fontsize=7, va="top",
                     color="#777" if r[5] == "rejected" else "#111")


def _pdf_audit(fig, pw, ph, rows, head) -> None:
    """One page of the audit trail; cells cut to their column (the HTML report has them longer).
    Drawn literally, as the patient fields are: ``$`` escaped, no TeX."""
    fig.text(MARGIN_MM / pw, 1 - MARGIN_MM / ph, head, fontsize=12, fontweight="bold", va="top")
    y = MARGIN_MM + 9
    for line, bold in [(AUDIT_HEAD, True)] + [(r, False) for r in rows]:
        for c, n, v in zip(AUDIT_COLS_MM, AUDIT_COL_CHARS, line):
            fig.text((MARGIN_MM + c) / pw, 1 - y / ph, plain_field(v, n).replace("$", r"\$"), fontsize=8 if bold else 7,
                     fontweight="bold" if bold else "normal", va="top", usetex=False)
        y += 6.0


def _pdf_strip(fig, analysis, r, pw, ph, j) -> None:
    """One event strip at 25 mm/s and 10 mm/mV, the j-th on its page, with scale bars."""
    rec = analysis.record
    width_mm = pw - 2 * MARGIN_MM
    dur = width_mm / 25.0  # seconds that fit the page width at 25 mm/s
    start = max(0.0, min(r.start_s - 2.0, rec.duration_s - dur))
    end = min(rec.duration_s, start + dur)
    ecg = rec.signal[:, analysis.lead_index]
    i0, i1 = max(0, int(start * rec.fs)), min(len(ecg), int(end * rec.fs))
    y = np.asarray(ecg[i0:i1], float)
    base, lo, hi = strip_window(y)
    lo, hi = max(lo, -3.0), min(hi, 3.0)  # 60 mm of paper at most: bigger swings are clipped
    h_mm = (hi - lo) * 10.0
    slot = (ph - 2 * MARGIN_MM) / STRIPS_PER_PAGE
    top = MARGIN_MM + j * slot + 8
    ax = fig.add_axes([MARGIN_MM / pw, 1 - (top + h_mm) / ph, width_mm / pw, h_mm / ph])
    fig.text(MARGIN_MM / pw, 1 - (top - 2) / ph,
             f"{r.type} at {hms(r.start_s)}  ({rec.lead_names[analysis.lead_index]}, 25 mm/s, 10 mm/mV)",
             fontsize=9, fontweight="bold")
    ax.set_xlim(start, start + dur)
    ax.set_ylim(lo, hi)
    for k, (step, colour, lw) in enumerate(((0.04, "#f6cfd3", 0.3), (0.2, "#e8959d", 0.6))):
        ax.vlines(np.arange(start, start + dur + 1e-9, step), lo, hi, colors=colour, linewidth=lw, zorder=k)
        ax.hlines(np.arange(lo, hi + 1e-9, step * 2.5), start, start + dur, colors=colour, linewidth=lw, zorder=k)
    ax.axvspan(r.start_s, max(r.end_s, r.start_s + 0.2), color="#ffb74d", alpha=0.3, zorder=2)
    t = np.arange(i0, i1) / rec.fs
    ax.plot(t, np.clip(y - base, lo, hi), color="#111", linewidth=0.6, zorder=3)
    s = analysis.beats["sample"].to_numpy()
    lab = analysis.beats["label"].fillna("").to_numpy()
    sel = (s >= i0) & (s < i1)
    for smp, l in zip(s[sel], lab[sel]):
        ax.text(smp / rec.fs, hi - 0.15, l or "?", fontsize=7, ha="center", va="top",
                color=CLASS_COLOURS.get(l, "#616161"), zorder=4)
    # Scale bars: 1 s and 1 mV from the bottom-left corner.
    x0, y0 = start + 0.1, lo + 0.15
    ax.plot([x0, x0, x0 + 1.0], [y0 + 1.0, y0, y0], color="#0d47a1", linewidth=1.5, zorder=5)
    ax.text(x0 + 0.5, y0 + 0.05, "1 s", fontsize=7, color="#0d47a1", ha="center", va="bottom", zorder=5)
    ax.text(x0 + 0.05, y0 + 0.95, "1 mV", fontsize=7, color="#0d47a1", va="top", zorder=5)
    ax.text(start + dur - 0.05, lo + 0.1, f"{hms(start)} – {hms(end)}", fontsize=7, ha="right", zorder=5)
    ax.set_xticks([]), ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_color("#e8959d")
