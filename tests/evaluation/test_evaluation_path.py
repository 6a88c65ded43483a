"""`make evaluate` and `analyze --reference-beats` give the same numbers.

The CLI's CSVs are scored here independently (the issue's AAMI mapping written
out again, read straight from the .atr files) and compared with the evaluation.
"""
import numpy as np
import pandas as pd
import pytest
import wfdb

from ecg_lstm.beats.aami import DS2
from ecg_lstm.evaluation.beat_classifier import evaluate
from ecg_lstm.classifier.predict import BeatClassifier
from ecg_lstm.commands.main import main

AAMI = {**dict.fromkeys("NLRej", "N"), **dict.fromkeys("AaJS", "S"), **dict.fromkeys("VE", "V"),
        "F": "F", **dict.fromkeys("/fQ", "Q")}
ORDER = "NSVFQ"


def _score(out_dir, data_dir, records) -> np.ndarray:
    cm = np.zeros((5, 5), np.int64)
    for r in records:
        ann = wfdb.rdann(str(data_dir / r), "atr")
        ref = {s: AAMI[y] for s, y in zip(ann.sample, ann.symbol) if y in AAMI}
        beats = pd.read_csv(out_dir / f"{r}.csv", keep_default_na=False)
        assert len(beats) == len(ref)
        for s, y in zip(beats["sample"], beats["label"]):
            cm[ORDER.index(ref[s]), ORDER.index(y)] += 1
    return cm


@pytest.mark.parametrize("records", [("100", "213", "232"), pytest.param(DS2, marks=pytest.mark.slow, id="DS2")])
def test_cli_and_evaluation_share_one_path(mitdb_dir, tmp_path, records):
    rc = main(["analyze", *[str(mitdb_dir / r) for r in records], "--out-dir", str(tmp_path),
               "--reference-beats"])
    assert rc == 0
    report = evaluate(BeatClassifier.load(), mitdb_dir, records=records, end_to_end=False)
    np.testing.assert_array_equal(_score(tmp_path, mitdb_dir, records), np.array(report["reference"]["confusion"]))
