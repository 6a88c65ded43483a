"""The record's templates (families of beats of one shape and timing) as the review lists them:
the labels each holds now, and those to review first on top."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .state import LABELS


def template_view(beats: pd.DataFrame, templates) -> pd.DataFrame:
    """One row per template of ``templates`` (``RecordAdapter.template_table()``): its table row,
    the count of each label among its beats in ``beats`` (the labels now shown, after
    corrections), its majority ``label``, and how many of its beats are ``reviewed``."""
    T = templates
    lab = beats["label"].fillna("").astype(str).to_numpy()
    reviewed = beats["reviewed"].to_numpy(bool) if "reviewed" in beats else np.zeros(len(lab), bool)
    tab = T.table.copy()
    counts = pd.crosstab(T.beat_template, lab).reindex(index=tab["template"], columns=list(LABELS), fill_value=0)
    for c in LABELS:
        tab[c] = counts[c].to_numpy()
    tab["label"] = np.asarray(LABELS)[counts.to_numpy().argmax(1)] if len(tab) else []
    tab["reviewed"] = np.bincount(T.beat_template[reviewed], minlength=T.n_templates)[tab["template"]]
    return tab


def order_templates(tab: pd.DataFrame, templates, query: np.ndarray) -> pd.DataFrame:
    """``tab`` (a :func:`template_view`) with the templates holding the beats most worth reviewing
    first (``query``: beat indices, most wanted first), then the others in their order (by size)."""
    first = {}
    for rank, b in enumerate(query):
        first.setdefault(int(templates.beat_template[b]), rank)
    tab = tab.assign(_rank=[first.get(int(t), len(query) + i) for i, t in enumerate(tab["template"])])
    return tab.sort_values("_rank", kind="stable").drop(columns="_rank")
