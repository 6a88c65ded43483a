"""A small synthetic record and its analysis for the review tests (no MIT-BIH needed)."""
from __future__ import annotations

import numpy as np

FS = 250.0


class AllNormal:
    """A "classifier" labelling every beat N with certainty: the analysis as opened."""

    name = "all normal"

    def predict(self, ecg, fs, peaks):
        n = len(peaks)
        return np.array(["N"] * n, dtype=object), np.tile([1.0, 0.0, 0.0, 0.0, 0.0], (n, 1))


def synthetic_analysis(seconds: float = 60.0):
    """The analysis of a clean spike train (about 2.4 beats a second), every beat labelled N,
    without the rhythm model."""
    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.io.record import Record

    t = np.arange(int(FS * seconds)) / FS
    ecg = np.sin(2 * np.pi * 1.2 * t) ** 40 * 1.2
    record = Record("synthetic", ecg[:, None], FS, ["MLII"], ["mV"])
    return analyze_record(record, classifier=AllNormal(), rhythm=None)
