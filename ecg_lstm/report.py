"""One-file HTML report of an analysis: summary, vitals, beat counts, events,
and a strip of ECG on paper (inline SVG) for each event.

The file has no external resources (no scripts, fonts or images to fetch),
so it opens offline and can be archived with the record.

    from ecg_lstm.report import html_report
    Path("208.html").write_text(html_report(analysis))
"""
from __future__ import annotations

import datetime as _dt
import html

import numpy as np

from .summaries import CLASSES, noisy_share_pct

#: Seconds of ECG shown around each event, and most events drawn (the table lists all).
STRIP_S, MAX_STRIPS = 10.0, 40
#: Paper scale of the strips: 25 mm/s, 10 mm/mV, drawn at this many px per mm.
PX_PER_MM = 4.0
CLASS_COLOURS = {"N": "#2e7d32", "S": "#1565c0", "V": "#c62828", "F": "#6a1b9a", "Q": "#616161"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{margin-bottom:.2rem} .muted{color:#666} table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:left} th{background:#f5f5f5}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}
.card{border:1px solid #ddd;border-radius:.5rem;padding:.5rem .9rem;min-width:9rem}
.card b{display:block;font-size:1.4rem} .strip{margin:.4rem 0 1.4rem;overflow-x:auto}
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


def svg_strip(ecg: np.ndarray, fs: float, start_s: float, end_s: float, samples=None, labels=None,
              mark: tuple[float, float] | None = None) -> str:
    """ECG from ``start_s`` to ``end_s`` as an inline SVG on 25 mm/s, 10 mm/mV paper.

    ``samples``/``labels``: beat positions (record samples) and classes to mark;
    ``mark``: (start, end) in seconds of the event, shaded.
    """
    i0, i1 = max(0, int(start_s * fs)), min(len(ecg), int(end_s * fs))
    y = np.asarray(ecg[i0:i1], float)
    y = np.where(np.isfinite(y), y, np.nan)
    base = np.nanmedian(y) if np.isfinite(y).any() else 0.0
    lo = min(np.nanmin(y) - base, -1.0) if np.isfinite(y).any() else -1.0
    hi = max(np.nanmax(y) - base, 1.0) if np.isfinite(y).any() else 1.0
    lo, hi = np.floor(lo * 2) / 2 - 0.5, np.ceil(hi * 2) / 2 + 0.5  # whole 0.5 mV squares
    px_s, px_mv = 25 * PX_PER_MM, 10 * PX_PER_MM
    w, h = (end_s - start_s) * px_s, (hi - lo) * px_mv
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
             f'viewBox="0 0 {w:.0f} {h:.0f}" style="background:#fff7f7">']
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
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[list], head: list[str]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def html_report(analysis, title: str | None = None) -> str:
    """The whole report as one HTML string (UTF-8, self-contained)."""
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
    out.append("<h2>Record</h2>" + _table([
        ["name", rec.name], ["duration", _hms(round(rec.duration_s))], ["sampling rate", f"{rec.fs:g} Hz"],
        ["leads", ", ".join(rec.lead_names)], ["analysed lead", lead], ["beat positions", analysis.beat_source],
        ["models", ", ".join(f"{k}: {val}" for k, val in (analysis.model or {}).items()) or "none"]],
        ["field", "value"]))
    cards = [("heart rate, mean", _num(v.get("hr_mean_bpm"), 0, "bpm")),
             ("HR min / max", f"{_num(v.get('hr_min_bpm'))} / {_num(v.get('hr_max_bpm'))} bpm"),
             ("SDNN", _num(v.get("sdnn_ms"), 0, "ms")), ("RMSSD", _num(v.get("rmssd_ms"), 0, "ms")),
             ("ectopic burden", _num(v.get("ectopic_burden_pct"), 1, "%")),
             ("noisy signal", _num(noisy_share_pct(analysis.quality), 1, "%")),
             ("beats", f"{len(analysis.beats):,}")]
    out.append("<h2>Vitals</h2><div class='cards'>" + "".join(
        f"<div class='card'>{html.escape(k)}<b>{html.escape(val)}</b></div>" for k, val in cards) + "</div>")
    out.append(_table([[c, f"{counts[c]:,}"] for c in CLASSES], ["class", "beats"]))
    extra = [[k, _num(v.get(k), 2)] for k in ("rr_mean_ms", "sdnn_ms", "rmssd_ms", "pnn50_pct", "lf_ms2", "hf_ms2",
                                               "lf_hf_ratio") if k in v]
    if extra:
        out.append("<h3>Heart-rate variability</h3>" + _table(extra, ["measure", "value"]))
    ep = analysis.rhythm_episodes
    if ep is not None and len(ep):
        out.append("<h2>Rhythm episodes</h2>" + _table(
            [[r.label, _hms(r.start_s), _hms(r.end_s), _num(r.end_s - r.start_s, 0, "s")] for r in ep.itertuples()],
            ["rhythm", "start", "end", "duration"]))
    ev = analysis.events
    out.append("<h2>Events</h2>")
    if ev is None or not len(ev):
        out.append("<p>No arrhythmia event was flagged.</p>")
    else:
        ev = ev.sort_values("start_s", kind="stable")
        out.append(_table([[r.type, _hms(r.start_s), _num(r.end_s - r.start_s, 1, "s"), getattr(r, "n_beats", ""),
                            getattr(r, "description", "")] for r in ev.itertuples()],
                          ["type", "start", "duration", "beats", "description"]))
        samples, labels = analysis.beats["sample"].to_numpy(), analysis.beats["label"].fillna("").to_numpy()
        # Runs, rhythms and pauses before isolated ectopic beats, each group in time order.
        single = ev["n_beats"].fillna(0).to_numpy() <= 1 if "n_beats" in ev else np.zeros(len(ev), bool)
        shown = ev.iloc[np.argsort(single, kind="stable")].head(MAX_STRIPS)
        out.append(f"<h2>Event strips</h2><p class='muted'>Lead {html.escape(lead)}, 25 mm/s, 10 mm/mV"
                   + (f"; {MAX_STRIPS} of {len(ev)} events, runs and rhythm changes first"
                      if len(ev) > MAX_STRIPS else "") + ".</p>")
        for r in shown.itertuples():
            start = max(0.0, min(r.start_s - 2.0, rec.duration_s - STRIP_S))
            out.append(f"<h3>{html.escape(str(r.type))} at {_hms(r.start_s)}</h3><div class='strip'>"
                       + svg_strip(ecg, rec.fs, start, min(rec.duration_s, start + STRIP_S), samples, labels,
                                   mark=(r.start_s, r.end_s)) + "</div>")
    out.append("</body></html>")
    return "\n".join(out)
