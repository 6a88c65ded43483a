"""The model: its card, the DS2 evaluation report and the training curves, as far as they exist."""
from __future__ import annotations

import json
import re
from pathlib import Path

import streamlit as st

from dashboard import trace
from dashboard.loading import ROOT

MODELS = ROOT / "models"


@st.cache_data(show_spinner=False)
def _read(path: str, stamp: float) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace")


def _show_markdown(pattern: str, missing: str) -> None:
    """Each models/ file matching ``pattern`` (beat model first), or ``missing``."""
    files = sorted(MODELS.glob(pattern), key=lambda p: (p.name != pattern.replace("*", ""), p.name))
    if not files:
        st.info(missing, icon=":material/info:")
    for i, p in enumerate(files):
        if i:
            st.divider()
        show_card(_read(str(p), p.stat().st_mtime), p.parent)


#: A Markdown image: ![alt](path)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def show_card(text: str, folder: Path) -> None:
    """A models/ Markdown file, its figures (paths relative to ``folder``) drawn with st.image:
    a browser cannot resolve them from the page, and an image at an address is not fetched."""
    pos = 0
    for m in _IMAGE.finditer(text):
        st.markdown(text[pos:m.start()])
        path = (folder / m.group(2)).resolve()
        if "://" not in m.group(2) and path.is_file() and folder.resolve() in path.parents:
            st.image(str(path), caption=m.group(1) or None)
        else:
            st.caption(f"(figure not shipped: {m.group(1) or 'image'})")
        pos = m.end()
    st.markdown(text[pos:])


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


def _number(cell: str) -> float | None:
    try:
        return float(cell.rstrip("%").strip())
    except ValueError:
        return None


def ds2_figures(models_dir: Path | None = None) -> dict[str, dict[str, float]]:
    """The beat model's gross DS2 figures (%), per protocol, read from models/EVALUATION.md:
    ``{"reference beats": {"VEB Se": 91.8, ...}, "automatic, adapted ...": {...}, ...}``, from
    every table with VEB and SVEB columns whose rows are protocols (not records); a protocol
    keeps its first figures (the later tables repeat them on subsets). Only our model's rows:
    the targets and the published methods (rows naming "et al") are left out. Empty when the
    file is missing or has no such table."""
    path = (models_dir or MODELS) / "EVALUATION.md"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
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
            vals = {h: _number(c) for h, c in zip(head[1:], row[1:]) if _number(c) is not None}
            if vals:
                out[name] = vals
    return out


def protocol_row(figures: dict[str, dict], beat_source: str, adapted: bool = False) -> tuple[str, dict] | None:
    """The protocol row of :func:`ds2_figures` that matches how this record was labelled: the
    same kind of labels first (adapted to the record or not; the adaptation ``--adapt`` uses by
    default first), then the same beats (reference or detected). No reviewer protocol: its
    figures depend on which beats were reviewed."""
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
    path = (models_dir or MODELS) / "RHYTHM_EVALUATION.md"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    for table in markdown_tables(text):
        if table[0][:2] == ["statistic", "gross"]:
            return {row[0]: _number(row[1]) for row in table[1:] if len(row) > 1 and _number(row[1]) is not None}
    return {}


def training_records(models_dir: Path | None = None) -> dict[str, set[str]]:
    """Records each shipped model was trained on (early stopping and calibration records
    included), from the settings files: ``{"beat": {...}, "rhythm": {...}}``."""
    out = {}
    for what, name in (("beat", "beat_lstm.json"), ("rhythm", "rhythm_lstm.json")):
        try:
            cfg = json.loads(((models_dir or MODELS) / name).read_text())
        except (OSError, ValueError):
            continue
        train = cfg.get("train") if isinstance(cfg.get("train"), dict) else {}
        recs = list(cfg.get("train_records") or []) + list(train.get("records") or []) + \
            list(train.get("val_records") or [])
        out[what] = {str(r) for r in recs}
    return out


def histories() -> dict[str, dict]:
    """Training histories: models/*history*.json files, and a "history" entry of any
    models/*.json, as {name: [value per epoch]} (or a list of per-epoch dicts)."""
    out = {}
    for p in sorted(MODELS.glob("*.json")):
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


def render() -> None:
    card, evaluation, curves = st.tabs(["Model card", "DS2 evaluation", "Training curves"])
    with card:
        _show_markdown("*MODEL_CARD.md", "No model card (models/MODEL_CARD.md) in this copy.")
        settings = sorted(MODELS.glob("*.json"))
        if settings:
            with st.expander("Model settings files"):
                for p in settings:
                    st.caption(p.name)
                    try:
                        st.json(json.loads(p.read_text()), expanded=False)
                    except (OSError, ValueError):
                        st.warning(f"{p.name} is not valid JSON")
    with evaluation:
        _show_markdown("*EVALUATION.md", "No evaluation report (models/EVALUATION.md) yet: `make evaluate` writes "
                                         "one from the DS2 records.")
    with curves:
        hist = histories()
        if not hist:
            st.info("No training history (models/*history*.json) in this copy.", icon=":material/info:")
        for name, h in hist.items():
            st.markdown(f"**{name}**")
            losses = {k: v for k, v in h.items() if "loss" in k}
            others = {k: v for k, v in h.items() if "loss" not in k}
            for i, part in enumerate((losses, others)):
                if part:
                    st.plotly_chart(trace.training_curves(part), key=f"hist_{name}_{i}")
