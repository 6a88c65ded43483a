"""A long record is read, filtered, detected and scored block by block (so that memory follows
the number of beats, not of samples): the blocks' seams must change nothing. Each record is
analysed with small blocks (seams every 30-100 s) and with one block holding the whole record,
and the beats, labels and results are compared."""
import numpy as np
import pytest

from ecg_lstm.analyze import analyze_record
from ecg_lstm.classifier import features
from ecg_lstm.io import wfdb_format
from ecg_lstm.io.read import read_record
from ecg_lstm.signal import qrs_detector, quality

WHOLE = {"PREPARE_BLOCK_S": 1e9, "QUALITY_BLOCK_S": 1e9, "READ_BLOCK_SAMPLES": 1 << 40, "CHUNK_S": 1e9}
SMALL = {"PREPARE_BLOCK_S": 61.0, "QUALITY_BLOCK_S": 30.0, "READ_BLOCK_SAMPLES": 36_007, "CHUNK_S": 47.0}
MODULES = {"PREPARE_BLOCK_S": features, "QUALITY_BLOCK_S": quality, "READ_BLOCK_SAMPLES": wfdb_format,
           "CHUNK_S": qrs_detector}


def _analyse(path, sizes: dict, monkeypatch):
    for name, value in sizes.items():
        monkeypatch.setattr(MODULES[name], name, value)
    return analyze_record(read_record(path))


def seams_change_nothing(path, monkeypatch) -> int:
    """Compare the two analyses of ``path``; returns the number of beats."""
    whole, small = _analyse(path, WHOLE, monkeypatch), _analyse(path, SMALL, monkeypatch)
    a, b = whole.beats, small.beats
    assert np.array_equal(a["sample"].to_numpy(), b["sample"].to_numpy()), "a beat was lost or doubled at a seam"
    assert (a["label"].to_numpy() == b["label"].to_numpy()).all()
    probs = [f"p_{c}" for c in "NSVFQ"]
    assert np.abs(a[probs].to_numpy() - b[probs].to_numpy()).max() <= 1e-4
    assert np.abs(whole.quality["quality"].to_numpy() - small.quality["quality"].to_numpy()).max() < 1e-9
    assert whole.rhythm_episodes.equals(small.rhythm_episodes)
    assert whole.events.equals(small.events)
    return len(a)


@pytest.mark.parametrize("name", ["208", "201"])  # PVCs and fusion beats; AF, flutter and ectopy
def test_block_seams_change_no_beat_label_or_event(mitdb_dir, monkeypatch, name):
    assert seams_change_nothing(mitdb_dir / name, monkeypatch) > 1500


@pytest.mark.slow
def test_block_seams_change_nothing_on_all_48_records(mitdb_dir, monkeypatch):
    names = (mitdb_dir / "RECORDS").read_text().split()
    assert len(names) == 48
    assert sum(seams_change_nothing(mitdb_dir / n, monkeypatch) for n in names) > 100_000


@pytest.mark.slow
def test_block_seams_change_nothing_on_a_day(mitdb_dir, monkeypatch, tmp_path):
    from bench.holter_records import join_records

    path = join_records(mitdb_dir, tmp_path, hours=24.0)
    assert seams_change_nothing(path, monkeypatch) > 100_000
