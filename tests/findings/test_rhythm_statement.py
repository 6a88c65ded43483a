"""The rhythm in words (ecg_lstm.findings.rhythm_statement), which the page's overview and the
report's summary share: runs and pauses counted with their episodes."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_lstm.analyze import Analysis
from ecg_lstm.findings.rhythm_statement import af_figures, rhythm_statements
from ecg_lstm.io.record import Record
from ecg_lstm.report.content import hms
from ecg_lstm.report.rhythm_text import rhythm_statements as report_statements

FS = 250.0


def test_runs_and_pauses_are_counted_with_their_episodes():
    dur = 1800.0
    rec = Record("r", np.zeros((int(dur * FS), 1), np.float32), FS, ["MLII"], ["mV"])
    episodes = pd.DataFrame({"label": ["N"], "start_s": [0.0], "end_s": [dur]})
    a = Analysis(rec, 0, "detected", pd.DataFrame({"sample": [], "label": []}), {}, pd.DataFrame(), pd.DataFrame(),
                 episodes)
    # Twelve supraventricular runs in two bursts (10 s apart within a burst, 10 min between bursts),
    # three pauses of 3 s or more, each on its own.
    runs = np.r_[100 + 10 * np.arange(6), 700 + 10 * np.arange(6)].astype(float)
    pauses = np.array([200.0, 900.0, 1500.0])
    ev = pd.DataFrame({"type": ["svt_run"] * 12 + ["pause"] * 3, "start_s": np.r_[runs, pauses],
                       "end_s": np.r_[runs + 1.5, pauses + [3.2, 4.1, 3.0]], "n_beats": [4] * 12 + [2] * 3,
                       "noisy": False})
    lines = rhythm_statements(a, ev, af_figures(a), hms)
    assert lines[0] == "Sinus rhythm throughout."
    assert "Supraventricular runs: 12 runs in 2 episodes, longest 4 beats at 0:01:40." in lines
    assert lines[-1] == "Pauses of 3 s or more: 3, the longest 4.1 s at 0:15:00."
    assert report_statements(a, ev, af_figures(a), hms) == lines  # the report says the same
