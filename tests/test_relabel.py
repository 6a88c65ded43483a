"""The recompute after a correction (``analyze.relabel``) reuses what a label cannot change and
runs the rhythm model again only around the changed beats: its results must equal a recompute
from nothing, and it must really do less."""
import numpy as np
import pytest

from ecg_lstm.analyze import Analysis, analyze_record, relabel
from ecg_lstm.io.read import read_record
from ecg_lstm.rhythm.incremental import RhythmMemo, beat_probs
from ecg_lstm.rhythm.predict import RhythmClassifier

PROBS = [f"p_{c}" for c in "NSVFQ"]


@pytest.fixture(scope="module")
def af_record(mitdb_dir):
    """201: AF, atrial flutter, ectopy (DS1)."""
    return analyze_record(read_record(mitdb_dir / "201"))


class Counting:
    """A rhythm classifier that counts the beats its model is run on."""

    def __init__(self, rm):
        self.rm, self.beats = rm, 0

    def __getattr__(self, name):
        return getattr(self.rm, name)

    def predict_beats(self, peaks, fs, labels=None):
        self.beats += len(peaks)
        return self.rm.predict_beats(peaks, fs, labels)


def _fresh(a: Analysis) -> Analysis:
    """The same analysis with nothing kept from earlier recomputes."""
    return Analysis(a.record, a.lead_index, a.beat_source, a.beats, a.vitals, a.quality, a.events,
                    a.rhythm_episodes, a.model, a.warnings)


def test_each_correction_equals_a_recompute_from_nothing_and_reruns_few_beats(af_record):
    rm = Counting(RhythmClassifier.load())
    labels = af_record.beats["label"].to_numpy().copy()
    probs = af_record.beats[PROBS].to_numpy()
    relabel(af_record, labels, probs, "reviewed", rhythm=rm)
    n = len(labels)
    rng = np.random.default_rng(7)
    for new in ("V", "S", "N", "Q", "F", "V"):
        i = int(rng.integers(n))
        labels[i] = new if labels[i] != new else "N"
        rm.beats = 0
        fast = relabel(af_record, labels, probs, "reviewed", rhythm=rm)
        assert rm.beats < n / 5  # only the windows around the changed beat ran again
        full = relabel(_fresh(af_record), labels, probs, "reviewed", rhythm=RhythmClassifier.load())
        assert fast.rhythm_episodes.equals(full.rhythm_episodes)
        assert fast.events.equals(full.events)
        assert fast.vitals.keys() == full.vitals.keys()
        for k, v in full.vitals.items():
            assert fast.vitals[k] == v or (v != v and fast.vitals[k] != fast.vitals[k]), k  # NaN == NaN
        assert np.abs(fast.derived["rhythm"].probs - full.derived["rhythm"].probs).max() <= 1e-6


def test_a_label_that_changes_no_ectopic_flag_runs_no_rhythm_model(af_record):
    rm = Counting(RhythmClassifier.load())
    labels = af_record.beats["label"].to_numpy().copy()
    probs = af_record.beats[PROBS].to_numpy()
    relabel(af_record, labels, probs, "reviewed", rhythm=rm)
    i = int(np.flatnonzero(labels == "N")[100])
    labels[i] = "Q"  # N and Q are both "not ectopic" to the rhythm model
    rm.beats = 0
    relabel(af_record, labels, probs, "reviewed", rhythm=rm)
    assert rm.beats == 0


def test_probabilities_of_other_weights_are_never_reused(af_record):
    peaks = af_record.beats["sample"].to_numpy()
    labels = af_record.beats["label"].to_numpy()
    memo = RhythmMemo()
    a = RhythmClassifier.load()
    beat_probs(a, peaks, af_record.record.fs, labels, memo)
    b = RhythmClassifier.load()
    with np.errstate(all="ignore"):
        for p in b.model.parameters():
            p.data.mul_(0.5)
    counted = Counting(b)
    out = beat_probs(counted, peaks, af_record.record.fs, labels, memo)
    assert counted.beats == len(peaks)  # all beats again: the weights differ
    assert np.allclose(out, b.predict_beats(peaks, af_record.record.fs, labels), atol=1e-6)


def test_a_reopened_analysis_keeps_what_the_recompute_reuses(af_record, tmp_path):
    from ecg_lstm.saved_analysis import load_analysis, save_analysis

    labels = af_record.beats["label"].to_numpy().copy()
    probs = af_record.beats[PROBS].to_numpy()
    relabel(af_record, labels, probs, "reviewed")  # fills what is kept
    opened = load_analysis(save_analysis(af_record, tmp_path / "a"), af_record.record)
    assert opened.derived["flutter"] == af_record.derived["flutter"]
    assert opened.derived["afl"] == af_record.derived["afl"]
    rm = Counting(RhythmClassifier.load())
    i = int(np.flatnonzero(labels == "N")[200])
    labels[i] = "V"
    fast = relabel(opened, labels, probs, "reviewed", rhythm=rm)
    assert 0 < rm.beats < len(labels) / 5  # the first correction after reopening reruns few beats
    full = relabel(_fresh(af_record), labels, probs, "reviewed", rhythm=RhythmClassifier.load())
    assert fast.rhythm_episodes.equals(full.rhythm_episodes) and fast.events.equals(full.events)
