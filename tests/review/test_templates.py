"""The template table as the reviewer sees it (ecg_lstm.review.templates)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_lstm.classifier.templates import Templates
from ecg_lstm.review import templates


def _templates() -> Templates:
    beat_template = np.array([0, 0, 0, 1, 1, 2, 0, 1])
    table = pd.DataFrame({"template": [0, 1, 2], "count": [4, 3, 1]})
    return Templates(beat_template=beat_template, table=table, medians=np.zeros((3, 10), np.float32),
                     distance=np.zeros(8), fs=250.0, n_pre=5)


def test_template_view_counts_the_labels_shown():
    T = _templates()
    beats = pd.DataFrame({"label": ["N", "N", "V", "V", "V", "S", "N", None],
                          "reviewed": [False, False, True, False, False, False, False, True]})
    tab = templates.template_view(beats, T)
    assert tab[["N", "S", "V", "F", "Q"]].to_numpy().tolist() == [[3, 0, 1, 0, 0], [0, 0, 2, 0, 0], [0, 1, 0, 0, 0]]
    assert list(tab["label"]) == ["N", "V", "S"]  # the majority of each
    assert list(tab["reviewed"]) == [1, 1, 0]


def test_templates_to_review_first_on_top():
    T = _templates()
    tab = templates.template_view(pd.DataFrame({"label": ["N"] * 8}), T)
    # The system asks first about beat 5 (template 2), then beat 3 (template 1).
    assert list(templates.order_templates(tab, T, np.array([5, 3]))["template"]) == [2, 1, 0]
    assert list(templates.order_templates(tab, T, np.array([], int))["template"]) == [0, 1, 2]
