"""ECG on the PDF's pages: strips at 25 mm/s and 10 mm/mV exactly, with 1-s / 1-mV scale bars
and the beat labels (:func:`draw_strip`), and full disclosure pages, a minute a line
(:func:`draw_full_disclosure`)."""
from __future__ import annotations

import numpy as np

from .content import clock, strip_window
from .layout import MARGIN_MM, PT_MM, Pages, literal
from .strips import STRIP_S, Strip, noisy_spans

CLASS_COLOURS = {"N": "#2e7d32", "S": "#1565c0", "V": "#c62828", "F": "#6a1b9a", "Q": "#616161"}
#: Full disclosure: seconds a line, lines a page, and points kept per line (min / max pairs).
FD_LINE_S, FD_LINES, FD_POINTS = 60.0, 30, 1200


def _rows(strip: Strip) -> list[tuple[float, float]]:
    """The strip's window in rows of :data:`STRIP_S` seconds."""
    out, a = [], strip.start_s
    while a < strip.end_s - 1e-6:
        out.append((a, min(strip.end_s, a + STRIP_S)))
        a += STRIP_S
    return out


def draw_strip(pages: Pages, analysis, strip: Strip, number: int) -> None:
    """Strip ``number`` with its caption, each row at 25 mm/s and 10 mm/mV (up to +-3 mV drawn)."""
    rec = analysis.record
    ecg = rec.signal[:, analysis.lead_index]
    rows = _rows(strip)
    parts = []
    for a, b in rows:
        y = np.asarray(ecg[max(0, int(a * rec.fs)):min(len(ecg), int(b * rec.fs))], float)
        base, lo, hi = strip_window(y)
        parts.append((a, b, y, base, max(lo, -3.0), min(hi, 3.0)))
    caption = f"{number}. {strip.caption}  ({rec.lead_names[analysis.lead_index]}, 25 mm/s, 10 mm/mV)"
    first_h = (parts[0][5] - parts[0][4]) * 10.0
    pages.need(9 * 1.35 * PT_MM * 2 + first_h + 3)
    pages.text(caption, size=8.5, bold=True)
    for a, b, y, base, lo, hi in parts:
        h_mm = (hi - lo) * 10.0
        pages.need(h_mm + 2)
        _axes_strip(pages, analysis, a, y, base, lo, hi, h_mm, strip.mark)
        pages.y += h_mm + 2.0
    pages.y += 2.0


def _axes_strip(pages: Pages, analysis, start: float, y: np.ndarray, base: float, lo: float, hi: float,
                h_mm: float, mark) -> None:
    rec = analysis.record
    dur = STRIP_S  # every row is drawn on the same scale, a short last row leaves paper blank
    ax = pages.fig.add_axes([MARGIN_MM / pages.pw, 1 - (pages.y + h_mm) / pages.ph, dur * 25.0 / pages.pw,
                             h_mm / pages.ph])
    ax.set_xlim(start, start + dur)
    ax.set_ylim(lo, hi)
    for k, (step, colour, lw) in enumerate(((0.04, "#f6cfd3", 0.3), (0.2, "#e8959d", 0.6))):
        ax.vlines(np.arange(start, start + dur + 1e-9, step), lo, hi, colors=colour, linewidth=lw, zorder=k)
        ax.hlines(np.arange(lo, hi + 1e-9, step * 2.5), start, start + dur, colors=colour, linewidth=lw, zorder=k)
    if mark is not None:
        ax.axvspan(mark[0], max(mark[1], mark[0] + 0.2), color="#ffb74d", alpha=0.3, zorder=2)
    i0 = max(0, int(start * rec.fs))
    t = (i0 + np.arange(len(y))) / rec.fs
    ax.plot(t, np.clip(y - base, lo, hi), color="#111", linewidth=0.6, zorder=3)
    s = analysis.beats["sample"].to_numpy()
    lab = analysis.beats["label"].fillna("").astype(str).to_numpy() if "label" in analysis.beats else \
        np.full(len(s), "")
    sel = (s >= i0) & (s < i0 + len(y))
    for smp, lb in zip(s[sel], lab[sel]):
        ax.text(smp / rec.fs, hi - 0.15, lb or "?", fontsize=7, ha="center", va="top",
                color=CLASS_COLOURS.get(lb, "#616161"), zorder=4)
    x0, y0 = start + 0.1, lo + 0.15
    ax.plot([x0, x0, x0 + 1.0], [y0 + 1.0, y0, y0], color="#0d47a1", linewidth=1.5, zorder=5)
    ax.text(x0 + 0.5, y0 + 0.05, "1 s", fontsize=7, color="#0d47a1", ha="center", va="bottom", zorder=5)
    ax.text(x0 + 0.05, y0 + 0.95, "1 mV", fontsize=7, color="#0d47a1", va="top", zorder=5)
    end = start + len(y) / rec.fs
    ax.text(start + dur - 0.05, lo + 0.1, literal(f"{clock(rec, start)} – {clock(rec, end)}"), fontsize=7, ha="right",
            zorder=5, usetex=False)
    ax.set_xticks([]), ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_color("#e8959d")


def envelope(y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """x (0..1) and y of a min / max envelope of ``y`` in ``n`` columns (the trace's shape at
    print resolution, in a fraction of the points)."""
    if len(y) <= 2 * n:
        return np.linspace(0, len(y) / max(len(y), 1), len(y), endpoint=False), y
    k = len(y) // n
    m = y[:k * n].reshape(n, k)
    lo, hi = np.nanmin(m, axis=1), np.nanmax(m, axis=1)
    x = np.repeat(np.arange(n) * k / len(y), 2)
    return x, np.ravel(np.c_[lo, hi])


def draw_full_disclosure(pages: Pages, analysis) -> None:
    """The whole record, :data:`FD_LINE_S` seconds a line and :data:`FD_LINES` lines a page,
    at 5 mm/mV; noisy signal shaded grey."""
    import warnings

    rec = analysis.record
    ecg = rec.signal[:, analysis.lead_index]
    dur = float(rec.duration_s)
    spans = noisy_spans(analysis.quality)
    width = pages.width - 16.0  # 16 mm of time labels on the left
    starts = np.arange(0.0, dur, FD_LINE_S)
    for p in range(0, len(starts), FD_LINES):
        pages.new_page()
        pages.text(f"Full disclosure, lead {rec.lead_names[analysis.lead_index]}: {FD_LINE_S:.0f} s a line "
                   f"({width / FD_LINE_S:.1f} mm/s), 5 mm/mV; noisy signal shaded", size=9, bold=True)
        line_h = (pages.bottom - pages.y) / FD_LINES
        top = pages.y
        ax = pages.fig.add_axes([(MARGIN_MM + 16) / pages.pw, 1 - (top + line_h * FD_LINES) / pages.ph,
                                 width / pages.pw, line_h * FD_LINES / pages.ph])
        ax.set_xlim(0, 1)
        ax.set_ylim(-FD_LINES * line_h, 0)
        ax.axis("off")
        for j, a in enumerate(starts[p:p + FD_LINES]):
            y = np.asarray(ecg[int(a * rec.fs):int(min(dur, a + FD_LINE_S) * rec.fs)], float)
            if not len(y):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                x, yy = envelope(y, FD_POINTS)
                base = float(np.nanmedian(y)) if np.isfinite(y).any() else 0.0
            scale = len(y) / (FD_LINE_S * rec.fs)
            mid = -(j + 0.5) * line_h
            ax.plot(x * scale, np.clip((yy - base) * 5.0, -line_h * 0.9, line_h * 0.9) + mid, color="#111",
                    linewidth=0.3)
            for s0, s1 in spans[(spans[:, 1] > a) & (spans[:, 0] < a + FD_LINE_S)]:
                ax.axvspan(max(s0 - a, 0) / FD_LINE_S, min(s1 - a, FD_LINE_S) / FD_LINE_S,
                           ymin=1 - (j + 1) / FD_LINES, ymax=1 - j / FD_LINES, color="#bbbbbb", alpha=0.5, lw=0)
            pages.fig.text(MARGIN_MM / pages.pw, 1 - (top + (j + 0.5) * line_h) / pages.ph,
                           literal(clock(rec, a)), fontsize=6, va="center",
                           usetex=False)
        pages.y = pages.bottom
