"""The model: its card, the DS2 evaluation report and the training curves, as far as they exist.

The numbers in the models' files are read by ``ecg_lstm.report.model_card``; here they are
cached for the page (:func:`model_facts`) and the files drawn.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import streamlit as st

from dashboard import trace
from ecg_lstm.paths import MODELS_DIR
from ecg_lstm.report import model_card

#: The models folder the page shows (a module attribute: tests point it elsewhere).
MODELS = MODELS_DIR
#: The files the page's model figures are read from: a change to one of them is read anew.
FACT_FILES = ("EVALUATION.md", "RHYTHM_EVALUATION.md", "beat_lstm.json", "rhythm_lstm.json")


@st.cache_data(show_spinner=False)
def _read(path: str, stamp: float) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace")


@st.cache_data(show_spinner=False)
def _model_facts(folder: str, stamp: tuple) -> dict:
    """DS2 figures and training records from the models folder (re-read when a file there changes)."""
    models_dir = Path(folder)
    return {"beat": model_card.ds2_figures(models_dir), "rhythm": model_card.rhythm_figures(models_dir),
            "trained_on": model_card.training_records(models_dir)}


def model_facts() -> dict:
    """``{"beat": DS2 figures per protocol, "rhythm": AF figures, "trained_on": {model: records}}``
    of the shipped models (see ``ecg_lstm.report.model_card``), cached until a file changes."""
    files = [MODELS / n for n in FACT_FILES]
    return _model_facts(str(MODELS), tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in files))


def histories() -> dict[str, dict]:
    """Training histories of the models folder, {file stem: {name: [value per epoch]}}."""
    return model_card.training_histories(MODELS)


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
