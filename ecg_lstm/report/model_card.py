"""What the shipped models' files say about them, as numbers: the DS2 figures of the beat
model (``models/EVALUATION.md``) and of the rhythm model (``models/RHYTHM_EVALUATION.md``),
the records each was trained on (``models/*_lstm.json``) and the training histories.

The reports are Markdown written by ``make evaluate``; their pipe tables are read here, so a
page can say what the labels it shows are worth on patients the model never saw. Every reader
takes the models folder (default: the shipped ``models/``) and gives an empty result when a
file is missing or holds no such table.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..paths import MODELS_DIR


def markdown_tables(text: str) -> list[list[list[str]]]:
    """The pipe tables of a Markdown text, each as rows of stripped cells (header first,
    the ``|---|`` rule left out)."""
    tables, rows = [], []
    for line in text.splitlines() + [""]:
        line = line.strip()
        if line.startswith("|") and line.endswith("|"):
            cells = [c.strip() for c in line[1:-1].split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                rows.append(cells)
        elif rows:
            tables.append(rows)
            rows = []
    return tables


def number(cell: str) -> float | None:
    """A table cell as a number ("91.8", "86.0%"), or None ("–", text)."""
    try:
        return float(cell.rstrip("%").strip())
    except ValueError:
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def ds2_figures(models_dir: Path | None = None) -> dict[str, dict[str, float]]:
    """The beat model's gross DS2 figures (%), per protocol, read from models/EVALUATION.md:
    ``{"reference beats": {"VEB Se": 91.8, ...}, "automatic, adapted ...": {...}, ...}``, from
    every table with VEB and SVEB columns whose rows are protocols (not records); a protocol
    keeps its first figures (the later tables repeat them on subsets). Only our model's rows:
    the targets and the published methods (rows naming "et al") are left out. Empty when the
    file is missing or has no such table."""
    text = _read((models_dir or MODELS_DIR) / "EVALUATION.md")
    if text is None:
        return {}
    out: dict[str, dict[str, float]] = {}
    for table in markdown_tables(text):
        head = table[0]
        if "VEB Se" not in head or "SVEB Se" not in head or head[0].strip().lower() in ("record", "records"):
            continue
        for row in table[1:]:
            name = row[0].strip("* ")
            if not name or name.lower().startswith("target") or "et al" in name or name.isdigit() or name in out:
                continue
            vals = {h: number(c) for h, c in zip(head[1:], row[1:]) if number(c) is not None}
            if vals:
                out[name] = vals
    return out


def protocol_row(figures: dict[str, dict], beat_source: str, adapted: bool = False) -> tuple[str, dict] | None:
    """The protocol row of :func:`ds2_figures` that matches how this record was labelled: the
    same kind of labels first (adapted to the record or not; the adaptation ``--adapt`` uses by
    default first), then the same beats (reference or detected). No reviewer protocol: its
    figures depend on which beats were reviewed. None when there is no row."""
    rows = [n for n in figures if "review" not in n.lower() and "patient-specific" not in n.lower()]
    if not rows:
        return None
    want = "reference" if beat_source == "reference" else "detect"

    def rank(n: str) -> tuple:
        low = n.lower()
        same_beats = want in low or (want == "detect" and "end to end" in low)
        return (("adapt" in low) != adapted, adapted and "default" not in low, not same_beats)

    best = sorted(rows, key=rank)[0]
    return best, figures[best]


def rhythm_figures(models_dir: Path | None = None) -> dict[str, float]:
    """The rhythm model's gross AF figures on DS2 (%), first protocol of
    models/RHYTHM_EVALUATION.md: ``{"AF duration sensitivity": 77.8, ...}``."""
    text = _read((models_dir or MODELS_DIR) / "RHYTHM_EVALUATION.md")
    if text is None:
        return {}
    for table in markdown_tables(text):
        if table[0][:2] == ["statistic", "gross"]:
            return {row[0]: number(row[1]) for row in table[1:] if len(row) > 1 and number(row[1]) is not None}
    return {}


def training_records(models_dir: Path | None = None) -> dict[str, set[str]]:
    """Records each shipped model was trained on (early stopping and calibration records
    included), from the settings files: ``{"beat": {...}, "rhythm": {...}}``."""
    out = {}
    for what, name in (("beat", "beat_lstm.json"), ("rhythm", "rhythm_lstm.json")):
        try:
            cfg = json.loads(((models_dir or MODELS_DIR) / name).read_text())
        except (OSError, ValueError):
            continue
        train = cfg.get("train") if isinstance(cfg.get("train"), dict) else {}
        recs = list(cfg.get("train_records") or []) + list(train.get("records") or []) + \
            list(train.get("val_records") or [])
        out[what] = {str(r) for r in recs}
    return out


def training_histories(models_dir: Path | None = None) -> dict[str, dict]:
    """Training histories: models/*history*.json files, and a "history" entry of any
    models/*.json, as {file stem: {name: [value per epoch]}} (a list of per-epoch dicts is
    turned into that)."""
    out = {}
    for p in sorted((models_dir or MODELS_DIR).glob("*.json")):
        try:
            h = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(h, dict) and isinstance(h.get("history"), (list, dict)):
            h = h["history"]
        elif "history" not in p.stem:
            continue  # a model's settings file without a history
        if isinstance(h, list) and h and isinstance(h[0], dict):
            keys = [k for k in h[0] if k != "epoch"]
            h = {k: [row.get(k) for row in h] for k in keys}
        if isinstance(h, dict):
            out[p.stem] = h
    return out
