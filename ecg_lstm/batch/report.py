"""HTML summary of a batch archive: ``python -m ecg_lstm.batch.report OUT`` (``make batch-report``).

Reads ``records.parquet`` and ``events.parquet`` back with pandas (an archive's
summary tables are one row per record or event: thousands of rows, well within
pandas; DuckDB would only pay off for queries over ``beats/``). Like the
record report (ecg_lstm/report/) the page is one self-contained file with no
scripts, fonts or images to fetch: histograms are inline SVG drawn here, which
keeps it viewable offline and archivable. Record ids and error messages are
escaped: they are shown as plain text.
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ..findings.events import EVENT_TYPES

#: Events shown as columns of the "most events" table (the others are in the totals).
KEY_EVENTS = ("vt", "couplet", "bigeminy", "svt_run", "afib", "pause")
TOP_N = 25
_CSS = """body{font:14px system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0} td,th{padding:.2em .6em;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left} .cards{display:flex;flex-wrap:wrap;gap:.6em}
.card{border:1px solid #ddd;border-radius:6px;padding:.5em .8em} .card b{display:block;font-size:1.3em}
.hists{display:flex;flex-wrap:wrap;gap:1.5em} .muted{color:#777} .err{text-align:left;max-width:40em}"""


def histogram_svg(values: np.ndarray, title: str, unit: str, bins: int = 20, width: int = 300,
                  height: int = 160, log_count: bool = False) -> str:
    """A bar histogram of ``values`` (NaN dropped) as inline SVG, axis ends labelled in ``unit``."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    head = f"<figure><figcaption><b>{html.escape(title)}</b> <span class='muted'>({len(v)} records)</span></figcaption>"
    if not len(v):
        return head + "<p class='muted'>no values</p></figure>"
    lo, hi = float(v.min()), float(v.max())
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi if hi > lo else lo + 1))
    shown = np.log1p(counts) if log_count else counts.astype(float)
    top, pad = max(shown.max(), 1), 18
    bw = width / bins
    bars = "".join(
        f"<rect x='{i * bw:.1f}' y='{height - pad - (height - 2 * pad) * s / top:.1f}' width='{bw - 1:.1f}' "
        f"height='{(height - 2 * pad) * s / top:.1f}' fill='#1565c0'><title>{edges[i]:.1f}-{edges[i + 1]:.1f} {unit}: "
        f"{c} records</title></rect>" for i, (c, s) in enumerate(zip(counts, shown)) if c)
    axis = (f"<text x='0' y='{height - 3}' font-size='11'>{lo:.1f}</text>"
            f"<text x='{width}' y='{height - 3}' font-size='11' text-anchor='end'>{hi:.1f} {html.escape(unit)}</text>"
            f"<text x='0' y='11' font-size='11' fill='#777'>max {counts.max()} records/bin"
            f"{' (log scale)' if log_count else ''}</text>")
    return (head + f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img'>"
            + bars + axis + "</svg></figure>")


def _table(df: pd.DataFrame, cls: dict | None = None) -> str:
    cls = cls or {}
    head = "".join(f"<th class='{cls.get(c, '')}'>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td class='{cls.get(c, '')}'>{html.escape(_fmt(v))}</td>" for c, v in r.items())
                   + "</tr>" for _, r in df.iterrows())
    return f"<table><tr>{head}</tr>{rows}</table>"


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    if isinstance(v, (float, np.floating)):
        return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"
    return str(v)


def batch_report(out: str | Path) -> str:
    """The HTML summary of the archive in ``out`` (records.parquet and events.parquet)."""
    out = Path(out)
    rec = pd.read_parquet(out / "records.parquet")
    ev_path = out / "events.parquet"
    ev = pd.read_parquet(ev_path) if ev_path.exists() else pd.DataFrame(columns=["record_id", "type"])
    ok, failed = rec[rec["status"] == "ok"], rec[rec["status"] != "ok"]
    hours = float(ok["duration_s"].sum()) / 3600 if len(ok) else 0.0
    title = f"Batch summary: {out.name}"
    cards = [("records", len(rec)), ("analysed", len(ok)), ("failed", len(failed)), ("hours of ECG", f"{hours:.1f}"),
             ("beats", f"{int(ok['n_beats'].sum()):,}" if len(ok) else 0), ("events", f"{len(ev):,}"),
             ("with AF", int((ok["af_burden_pct"] > 0).sum()) if "af_burden_pct" in ok else 0)]
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p class='muted'>{html.escape(str(out.resolve()))}; written "
             f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Models: "
             f"{html.escape('; '.join(sorted(ok['model_version'].dropna().unique())) or 'none')}</p>",
             "<div class='cards'>" + "".join(f"<div class='card'>{html.escape(k)}<b>{html.escape(str(v))}</b></div>"
                                             for k, v in cards) + "</div>", "<h2>Distributions</h2><div class='hists'>"]
    for col, name, unit, log in (("af_burden_pct", "AF burden", "%", True), ("v_burden_pct", "PVC burden", "%", True),
                                 ("hr_mean_bpm", "Mean heart rate", "bpm", False),
                                 ("noisy_share_pct", "Noisy share", "%", True)):
        if col in ok:
            parts.append(histogram_svg(ok[col].to_numpy(float), name, unit, log_count=log))
    parts.append("</div>")
    if len(ok):
        cols = ["record_id", "duration_s", "n_events", *[f"n_{t}" for t in KEY_EVENTS if f"n_{t}" in ok],
                "af_burden_pct", "v_burden_pct", "hr_mean_bpm"]
        top = ok.sort_values(["n_events", "record_id"], ascending=[False, True]).head(TOP_N)[
            [c for c in cols if c in ok]].copy()
        top["duration_s"] = top["duration_s"] / 3600
        top = top.rename(columns={"record_id": "record", "duration_s": "hours", "n_events": "events",
                                  "af_burden_pct": "AF %", "v_burden_pct": "PVC %", "hr_mean_bpm": "HR bpm",
                                  **{f"n_{t}": t for t in KEY_EVENTS}})
        parts += [f"<h2>Records with the most events</h2><p class='muted'>top {len(top)} of {len(ok)}</p>", _table(top)]
        totals = ev["type"].value_counts() if len(ev) else pd.Series(dtype=int)
        tot = pd.DataFrame({"event": list(EVENT_TYPES), "events": [int(totals.get(t, 0)) for t in EVENT_TYPES],
                            "records": [int((ok.get(f"n_{t}", pd.Series(dtype=float)) > 0).sum()) for t in EVENT_TYPES],
                            "meaning": list(EVENT_TYPES.values())})
        parts += ["<h2>Events in the archive</h2>", _table(tot[tot["events"] > 0], {"meaning": "err"})]
    parts.append(f"<h2>Failures ({len(failed)})</h2>")
    if len(failed):
        f = failed[["record_id", "error_type", "error"]].rename(columns={"record_id": "record", "error_type": "type"})
        parts += ["<p class='muted'>A rerun of the batch tries these again.</p>", _table(f, {"error": "err"})]
    else:
        parts.append("<p>none</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ecg_lstm.batch.report",
                                description="HTML summary of a batch archive (records.parquet, events.parquet).")
    p.add_argument("archive", help="the --out folder of `python -m ecg_lstm batch`")
    p.add_argument("--html", help="output file (default ARCHIVE/report.html)")
    args = p.parse_args(argv)
    if not (Path(args.archive) / "records.parquet").is_file():
        print(f"error: {args.archive} has no records.parquet; run `python -m ecg_lstm batch SOURCE --out "
              f"{args.archive}` first", file=sys.stderr)
        return 2
    dest = Path(args.html or Path(args.archive) / "report.html")
    dest.write_text(batch_report(args.archive), encoding="utf-8")
    print(f"wrote {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
