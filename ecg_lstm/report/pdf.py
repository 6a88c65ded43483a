"""The report as a PDF (A4 or Letter), drawn with matplotlib's PdfPages: the project already has
matplotlib, so the PDF needs no new dependency (no browser engine, no HTML-to-PDF converter).

First the clinical summary (:mod:`.summary`, one or two pages) with the technician's comments and
the physician's conclusion and signature, then the strips (:mod:`.strips`) at 25 mm/s and
10 mm/mV exactly, full disclosure pages when asked for, and the audit trail of a study. Text is
wrapped to the page (:mod:`.layout`). The content is the HTML's (:mod:`.document`).
"""
from __future__ import annotations

import datetime as _dt
import io

from .content import AUDIT_HEAD, PAPER_MM, amendment_text, audit_rows
from .layout import Pages
from .pdf_ecg import draw_full_disclosure, draw_strip
from .summary import report_parts

#: Relative column widths of the summary's tables, by section.
TABLE_WIDTHS = {"Heart rate": [3.4, 1.1, 1, 1.1, 1, 0.9, 0.9, 1, 0.8, 0.9],
                "Ectopy": [2.2, 1, 1, 1, 1, 0.7, 2.2, 2.2], "Events": [1.3, 6, 1, 1.5]}
AUDIT_WIDTHS = [1.7, 1.6, 1.6, 1.6, 3.2]


def pdf_report(analysis, paper: str = "A4", title: str | None = None, people: dict | None = None,
               events=None, *, audit=None, amendment: dict | None = None, strips=None,
               full_disclosure: bool = False) -> bytes:
    """The report as a PDF (``paper``: "A4" or "Letter"); the same content as :func:`html_report`.

    ``people``: the report fields (:data:`~ecg_lstm.report.content.PEOPLE_FIELDS`); ``events``: the
    events with the reviewer's ``decision`` (rejected ones are not counted); ``strips``: the
    technician's strips, ``[(start_s, end_s, caption)]`` (default: chosen by the stated rule);
    ``full_disclosure``: add the whole record, a minute a line; ``audit`` and ``amendment``:
    the study's audit trail (last pages) and the signed report this one amends (under the title).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_pdf import PdfPages

    if paper not in PAPER_MM:
        raise ValueError(f"paper {paper!r} is not one of {', '.join(PAPER_MM)}")
    rec = analysis.record
    title = title or f"ECG report: {rec.name}"
    parts = report_parts(analysis, events, people, strips)
    pages = Pages(PAPER_MM[paper], footer=f"{title} · generated {_dt.datetime.now():%Y-%m-%d %H:%M} by ecg-lstm")
    pages.text(title, size=16, bold=True)
    pages.text("Holter / ambulatory ECG report. Automated analysis reviewed by a technician; it does not replace "
               "the physician's reading.", size=8, color="#444")
    amended = amendment_text(amendment)
    if amended:
        pages.text(amended, size=9, bold=True, color="#c62828")
    summary_pages(pages, parts)
    pages.new_page()
    pages.heading(f"ECG strips ({len(parts['strips'])})", keep_mm=8)
    pages.text(parts["strip_rule"], size=8, color="#444")
    if not parts["strips"]:
        pages.text("No strip: nothing to show outside noisy signal.", size=9)
    for k, s in enumerate(parts["strips"], 1):
        draw_strip(pages, analysis, s, k)
    if full_disclosure:
        draw_full_disclosure(pages, analysis)
    trail = audit_rows(audit)
    if trail:
        pages.new_page()
        pages.heading(f"Audit trail ({len(trail)} entries)")
        pages.table(AUDIT_HEAD, trail, AUDIT_WIDTHS, size=7)
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": title, "Creator": "ecg-lstm"}) as pdf:
        pages.save(pdf)
    return buf.getvalue()


def summary_pages(pages: Pages, parts: dict) -> None:
    """The clinical summary, then the physician's conclusion and signature."""
    for sec in parts["summary"]["sections"]:
        pages.heading(sec["head"])
        if sec["rows"]:
            pages.rows(sec["rows"])
        for line in sec["lines"]:
            pages.text(line)
        if sec["table"] is not None:
            head, rows = sec["table"]
            widths = TABLE_WIDTHS.get(sec["head"])
            pages.table(head, rows, widths, align=["l"] + ["r"] * (len(head) - 1)
                        if sec["head"] != "Events" else ["l", "l", "r", "r"])
        for note in sec["notes"]:
            pages.text(note, size=7.5, color="#555")
    con = parts["conclusion"]
    pages.heading("Physician's conclusion", keep_mm=25)
    for line in con["lines"]:
        pages.text(line)
    if not con["lines"]:
        pages.space(14.0)
    pages.rows([[label, value or "_" * 30] for label, value in con["rows"]] + [["Signature", "_" * 30]])
