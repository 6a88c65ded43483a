"""The model: its card, the DS2 evaluation report and the training curves, as far as they exist."""
from __future__ import annotations

import json
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
        st.markdown(_read(str(p), p.stat().st_mtime))


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
