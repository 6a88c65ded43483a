"""The printable report of an analysis: summary, vitals, beat counts, events
(with the reviewer's decisions), and a strip of ECG for each event.

Two forms of the same content:

* :func:`html_report`: one self-contained HTML file (no scripts, fonts or
  images to fetch), so it opens offline and can be archived with the record.
  Strips scale to the page width, so a 10-s strip prints whole on A4 and on
  Letter; each carries a 1-s and a 1-mV scale bar, which stay true at any zoom.
* :func:`pdf_report`: a PDF (A4 or Letter) drawn with matplotlib's PdfPages,
  which the project already has, so the PDF needs no new dependency (no
  browser engine, no HTML-to-PDF converter).  Strips there are at 25 mm/s and
  10 mm/mV exactly.

Patient and reviewer fields are typed by the user and only written into the
report; they are never logged or stored.

    from ecg_lstm.report.document import html_report, pdf_report
    Path("208.html").write_text(html_report(analysis))
    Path("208.pdf").write_bytes(pdf_report(analysis, paper="A4"))
"""
from __future__ import annotations

import datetime as _dt
import html
import io
import unicodedata

import numpy as np

from ..beats.aami import CLASSES
from ..signal.quality import noisy_share_pct

#: Seconds of ECG shown around each event, and most events drawn (the table lists all).
STRIP_S, MAX_STRIPS = 10.0, 40
#: Paper scale of the strips: 25 mm/s, 10 mm/mV, drawn at this many px per mm.
PX_PER_MM = 4.0
CLASS_COLOURS = {"N": "#2e7d32", "S": "#1565c0", "V": "#c62828", "F": "#6a1b9a", "Q": "#616161"}
#: Paper sizes (width, height) in mm.
PAPER_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
#: Patient and reviewer fields, in the order printed (keys of the ``people`` argument).
PEOPLE_FIELDS = {"patient_name": "Patient", "patient_id": "Patient ID", "birth_date": "Date of birth",
                 "reviewer": "Reviewed by", "review_date": "Review date", "comments": "Comments"}
#: Readable names of the vitals printed (key: (name, unit, digits)).
VITALS_FIELDS = {
    "hr_mean_bpm": ("Heart rate, mean", "bpm", 0), "hr_min_bpm": ("Heart rate, minimum", "bpm", 0),
    "hr_max_bpm": ("Heart rate, maximum", "bpm", 0), "rr_mean_ms": ("RR interval, mean", "ms", 0),
    "rr_min_ms": ("RR interval, shortest", "ms", 0), "rr_max_ms": ("RR interval, longest", "ms", 0),
    "sdnn_ms": ("SDNN (variability of normal beats)", "ms", 0),
    "rmssd_ms": ("RMSSD (beat-to-beat variability)", "ms", 0), "pnn50_pct": ("pNN50", "%", 1),
    "sdann_ms": ("SDANN (5-min means)", "ms", 0), "sdnn_index_ms": ("SDNN index (5-min SDs)", "ms", 0),
    "lf_ms2": ("LF power (0.04-0.15 Hz)", "ms²", 0), "hf_ms2": ("HF power (0.15-0.4 Hz)", "ms²", 0),
    "lf_hf_ratio": ("LF/HF ratio", "", 2), "ectopic_burden_pct": ("Ectopic beats", "%", 1),
    "v_burden_pct": ("Ventricular ectopic beats", "%", 1), "s_burden_pct": ("Supraventricular ectopic beats", "%", 1),
}
CLASS_NAMES = {"N": "N normal", "S": "S supraventricular ectopic", "V": "V ventricular ectopic", "F": "F fusion",
               "Q": "Q unclassifiable"}
DECISION_WORDS = {"accepted": "accepted", "rejected": "rejected", "": "not reviewed"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{margin-bottom:.2rem} .muted{color:#555} table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;vertical-align:top} th{background:#f2f2f2}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}
.card{border:1px solid #ccc;border-radius:.5rem;padding:.5rem .9rem;min-width:9rem}
.card b{display:block;font-size:1.4rem} .strip{margin:.4rem 0 1.4rem;break-inside:avoid}
.strip svg{width:100%;height:auto;display:block} .rejected td{color:#777;text-decoration:line-through}
@page{margin:12mm}
@media print{body{margin:0;max-width:none;font-size:10pt} h2{break-after:avoid} tr{break-inside:avoid}}
"""


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _num(v, digits: int = 0, unit: str = "") -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    if not np.isfinite(f):
        return "–"
    return f"{f:,.{digits}f}" + (f" {unit}" if unit else "")


def _strip_window(y: np.ndarray) -> tuple[float, float, float]:
    """(baseline, low, high) in mV of a strip: whole 0.5-mV squares, at least +-1 mV."""
    ok = np.isfinite(y)
    base = float(np.nanmedian(y)) if ok.any() else 0.0
    lo = min(float(np.nanmin(y)) - base, -1.0) if ok.any() else -1.0
    hi = max(float(np.nanmax(y)) - base, 1.0) if ok.any() else 1.0
    return base, np.floor(lo * 2) / 2 - 0.5, np.ceil(hi * 2) / 2 + 0.5


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
    base, lo, hi = _strip_window(y)
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
                 f'font-family="sans-serif">{_hms(start_s)} – {_hms(end_s)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[list], head: list[str], row_class: list[str] | None = None) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    cls = row_class or [""] * len(rows)
    body = "".join((f"<tr class='{c}'>" if c else "<tr>") + "".join(f"<td>{html.escape(str(v))}</td>" for v in r)
                   + "</tr>" for r, c in zip(rows, cls))
    return f"<table><tr>{th}</tr>{body}</table>"


#: Longest text of one report field, in characters (a name, an ID, a comment line).
MAX_FIELD_CHARS = 200


def plain_field(value, max_chars: int = MAX_FIELD_CHARS) -> str:
    """``value`` as one line of printable text for a report: Unicode NFC, without byte-order
    marks, control or other invisible format characters (which a PDF font cannot draw, and which
    can reorder what is shown), runs of white space as one space, at most ``max_chars``."""
    text = unicodedata.normalize("NFC", str(value))
    text = "".join(" " if c in "\t\n\r\v\f" else c for c in text
                   if c in "\t\n\r\v\f" or unicodedata.category(c)[0] != "C")
    text = " ".join(text.split())
    return text if len(text) <= max_chars else text[:max_chars - 1] + "…"


def _people_rows(people: dict | None) -> list[list[str]]:
    """Patient and reviewer fields that were filled in, as (label, value) rows of plain text."""
    people = people or {}
    rows = [[label, plain_field(people.get(k) or "")] for k, label in PEOPLE_FIELDS.items()]
    return [r for r in rows if r[1]]


def _record_rows(analysis) -> list[list[str]]:
    rec = analysis.record
    return [["Record", rec.name], ["Duration", _hms(round(rec.duration_s))], ["Sampling rate", f"{rec.fs:g} Hz"],
            ["Leads", ", ".join(rec.lead_names)], ["Analysed lead", rec.lead_names[analysis.lead_index]],
            ["Beat positions", analysis.beat_source],
            ["Models", ", ".join(f"{k.replace('_', ' ')}: {val}" for k, val in (analysis.model or {}).items())
             or "none"]]


def _vitals_rows(analysis) -> list[list[str]]:
    v = analysis.vitals or {}
    rows = [[name, _num(v.get(k), digits, unit)] for k, (name, unit, digits) in VITALS_FIELDS.items()
            if v.get(k) is not None]
    rows.append(["Noisy signal", _num(noisy_share_pct(analysis.quality), 1, "%")])
    rows.append(["Beats", f"{len(analysis.beats):,}"])
    return rows


def _events(analysis, events=None):
    """Events sorted by time, with a ``decision`` column ("" when not reviewed)."""
    ev = analysis.events if events is None else events
    if ev is None or not len(ev):
        return None
    ev = ev.sort_values("start_s", kind="stable").reset_index(drop=True)
    if "decision" not in ev:
        ev = ev.assign(decision="")
    return ev


def _event_rows(ev) -> list[list]:
    return [[r.type, _hms(r.start_s), _num(r.end_s - r.start_s, 1, "s"), getattr(r, "n_beats", ""),
             "noisy" if bool(getattr(r, "noisy", False)) else "", DECISION_WORDS.get(r.decision, r.decision),
             getattr(r, "description", "")] for r in ev.itertuples()]


EVENT_HEAD = ["type", "start", "duration", "beats", "signal", "review", "description"]


def _strip_events(ev):
    """Events that get a strip: rejected ones left out; alarming events first, then runs,
    rhythms and pauses, then isolated beats, each group in time order."""
    ev = ev[ev["decision"] != "rejected"]
    single = ev["n_beats"].fillna(0).to_numpy() <= 1 if "n_beats" in ev else np.zeros(len(ev), bool)
    alarm = ev["alarm"].fillna(False).to_numpy(bool) if "alarm" in ev else np.zeros(len(ev), bool)
    rank = np.where(alarm, 0, np.where(single, 2, 1))
    return ev.iloc[np.argsort(rank, kind="stable")].head(MAX_STRIPS), len(ev)


def html_report(analysis, title: str | None = None, people: dict | None = None, events=None) -> str:
    """The whole report as one HTML string (UTF-8, self-contained).

    ``people``: patient and reviewer fields (keys of :data:`PEOPLE_FIELDS`);
    ``events``: the events to list (default ``analysis.events``), e.g. with the
    reviewer's ``decision`` column (rejected events are listed struck through
    and get no strip).
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
    people_rows = _people_rows(people)
    if people_rows:
        out.append("<h2>Patient and review</h2>" + _table(people_rows, ["field", "value"]))
    out.append("<h2>Record</h2>" + _table(_record_rows(analysis), ["field", "value"]))
    cards = [("Heart rate, mean", _num(v.get("hr_mean_bpm"), 0, "bpm")),
             ("Heart rate, min / max", f"{_num(v.get('hr_min_bpm'))} / {_num(v.get('hr_max_bpm'))} bpm"),
             ("Ectopic beats", _num(v.get("ectopic_burden_pct"), 1, "%")),
             ("Noisy signal", _num(noisy_share_pct(analysis.quality), 1, "%")),
             ("Beats", f"{len(analysis.beats):,}")]
    out.append("<h2>Vitals</h2><div class='cards'>" + "".join(
        f"<div class='card'>{html.escape(k)}<b>{html.escape(val)}</b></div>" for k, val in cards) + "</div>")
    out.append(_table(_vitals_rows(analysis), ["measure", "value"]))
    out.append(_table([[CLASS_NAMES[c], f"{counts[c]:,}"] for c in CLASSES], ["beat class", "beats"]))
    ep = analysis.rhythm_episodes
    if ep is not None and len(ep):
        out.append("<h2>Rhythm episodes</h2>" + _table(
            [[r.label, _hms(r.start_s), _hms(r.end_s), _num(r.end_s - r.start_s, 0, "s")] for r in ep.itertuples()],
            ["rhythm", "start", "end", "duration"]))
    ev = _events(analysis, events)
    out.append("<h2>Events</h2>")
    if ev is None:
        out.append("<p>No arrhythmia event was flagged.</p>")
    else:
        out.append(_table(_event_rows(ev), EVENT_HEAD,
                          ["rejected" if d == "rejected" else "" for d in ev["decision"]]))
        samples, labels = analysis.beats["sample"].to_numpy(), analysis.beats["label"].fillna("").to_numpy()
        shown, n = _strip_events(ev)
        out.append(f"<h2>Event strips</h2><p class='muted'>Lead {html.escape(lead)}; ECG paper of 25 mm/s and "
                   "10 mm/mV, scaled to the page: the blue bars are 1 s and 1 mV"
                   + (f"; {MAX_STRIPS} of {n} events, runs and rhythm changes first" if n > MAX_STRIPS else "")
                   + ".</p>")
        for r in shown.itertuples():
            start = max(0.0, min(r.start_s - 2.0, rec.duration_s - STRIP_S))
            out.append(f"<div class='strip'><h3>{html.escape(str(r.type))} at {_hms(r.start_s)}</h3>"
                       + svg_strip(ecg, rec.fs, start, min(rec.duration_s, start + STRIP_S), samples, labels,
                                   mark=(r.start_s, r.end_s)) + "</div>")
    out.append("</body></html>")
    return "\n".join(out)


# --- PDF ------------------------------------------------------------------------------------------

_MM = 1 / 25.4  # inches per mm
MARGIN_MM = 12.0
STRIPS_PER_PAGE = 4
EVENT_ROWS_PER_PAGE = 40


def pdf_report(analysis, paper: str = "A4", title: str | None = None, people: dict | None = None,
               events=None) -> bytes:
    """The report as a PDF (``paper``: "A4" or "Letter"); the same content as :func:`html_report`.

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
    ev = _events(analysis, events)
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": title, "Creator": "ecg-lstm"}) as pdf:
        # Page 1: patient, record, vitals, beat classes.
        fig = Figure(figsize=(pw * _MM, ph * _MM))
        y = _pdf_text(fig, ph, title, [], top_mm=MARGIN_MM, size=16, bold=True)
        y = _pdf_text(fig, ph, f"Generated {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by ecg-lstm. Automated "
                      "analysis; it does not replace review by a clinician.", [], top_mm=y + 2, size=8)
        counts = (analysis.vitals or {}).get("beat_counts") or {c: 0 for c in CLASSES}
        for head, rows in (("Patient and review", _people_rows(people)), ("Record", _record_rows(analysis)),
                           ("Vitals", _vitals_rows(analysis)),
                           ("Beat classes", [[CLASS_NAMES[c], f"{counts[c]:,}"] for c in CLASSES])):
            if rows:
                y = _pdf_text(fig, ph, head, rows, top_mm=y + 5)
        pdf.savefig(fig)
        # Event list, EVENT_ROWS_PER_PAGE rows a page.
        if ev is not None:
            rows = _event_rows(ev)
            for k in range(0, len(rows), EVENT_ROWS_PER_PAGE):
                fig = Figure(figsize=(pw * _MM, ph * _MM))
                _pdf_events(fig, pw, ph, rows[k:k + EVENT_ROWS_PER_PAGE],
                            f"Events {k + 1}-{min(k + EVENT_ROWS_PER_PAGE, len(rows))} of {len(rows)}")
                pdf.savefig(fig)
            shown, _ = _strip_events(ev)
            strips = list(shown.itertuples())
            for k in range(0, len(strips), STRIPS_PER_PAGE):
                fig = Figure(figsize=(pw * _MM, ph * _MM))
                for j, r in enumerate(strips[k:k + STRIPS_PER_PAGE]):
                    _pdf_strip(fig, analysis, r, pw, ph, j)
                pdf.savefig(fig)
    return buf.getvalue()


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
    base, lo, hi = _strip_window(y)
    lo, hi = max(lo, -3.0), min(hi, 3.0)  # 60 mm of paper at most: bigger swings are clipped
    h_mm = (hi - lo) * 10.0
    slot = (ph - 2 * MARGIN_MM) / STRIPS_PER_PAGE
    top = MARGIN_MM + j * slot + 8
    ax = fig.add_axes([MARGIN_MM / pw, 1 - (top + h_mm) / ph, width_mm / pw, h_mm / ph])
    fig.text(MARGIN_MM / pw, 1 - (top - 2) / ph,
             f"{r.type} at {_hms(r.start_s)}  ({rec.lead_names[analysis.lead_index]}, 25 mm/s, 10 mm/mV)",
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
    ax.text(start + dur - 0.05, lo + 0.1, f"{_hms(start)} – {_hms(end)}", fontsize=7, ha="right", zorder=5)
    ax.set_xticks([]), ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_color("#e8959d")
