"""The analysis pipeline on damaged signals: gaps and dead stretches."""
import numpy as np
import pytest

from ecg_lstm.analyze import analyze_record
from ecg_lstm.io.read import read_record


@pytest.mark.parametrize("fill", [np.nan, 0.0])
def test_beats_resume_after_a_gap_and_none_is_invented_inside(mitdb_dir, fill):
    rec = read_record(mitdb_dir / "100")
    full = analyze_record(rec, classifier=None, rhythm=None).beats["sample"].to_numpy()
    a, b = 100_000, 120_000  # 55 s without signal
    rec.signal[a:b, 0] = fill
    beats = analyze_record(rec, classifier=None, rhythm=None).beats["sample"].to_numpy()
    outside = full[(full < a - 360) | (full > b + 360)]
    assert np.isin(outside, beats).mean() > 0.99  # the detector recovers after the gap
    assert np.sum((beats > a + 360) & (beats < b - 360)) == 0
