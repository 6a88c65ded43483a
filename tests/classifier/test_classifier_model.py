"""The shipped beat classifier on DS2 records it never saw (measured, not training data)."""
import numpy as np
import pytest
from scipy.signal import resample_poly

from ecg_lstm.beats.aami import DS2, reference_beats
from ecg_lstm.classifier.predict import DEFAULT_PATH, BeatClassifier
from ecg_lstm.io.read import read_record

pytestmark = pytest.mark.skipif(not DEFAULT_PATH.exists(), reason="no shipped models/beat_lstm.pt yet")


@pytest.fixture(scope="module")
def clf():
    return BeatClassifier.load()


def _labelled(mitdb_dir, name, clf):
    assert name in DS2
    rec = read_record(mitdb_dir / name)
    samples, ref = reference_beats(rec)
    labels, probs = clf.predict(rec.lead(), rec.fs, samples)
    return rec, samples, ref, labels, probs


def test_record_100_normal_beats(mitdb_dir, clf):
    _, _, ref, labels, probs = _labelled(mitdb_dir, "100", clf)
    assert probs.shape == (len(ref), 5) and np.allclose(probs.sum(1), 1)


def test_record_233_ventricular_beats(mitdb_dir, clf):
    _, _, ref, labels, _ = _labelled(mitdb_dir, "233", clf)
    assert (ref == 2).sum() > 800
    assert np.mean(labels[ref == 2] == "V") > 0.8


@pytest.mark.parametrize("fs_new", [128, 250, 500])
def test_sampling_rate_and_gain_invariance(mitdb_dir, clf, fs_new):
    rec = read_record(mitdb_dir / "233")
    n = int(300 * rec.fs)  # five minutes with N and V beats
    ecg = rec.lead()[:n]
    samples, _ = reference_beats(rec)
    samples = samples[(samples > 0) & (samples < n - 1)]
    base, _ = clf.predict(ecg, rec.fs, samples)
    moved = resample_poly(ecg, fs_new, 360) * 3.0
    peaks = np.minimum(np.rint(samples * fs_new / 360).astype(np.int64), len(moved) - 1)
    labels, probs = clf.predict(moved, float(fs_new), peaks)
    assert len(set(base)) > 1  # the segment holds more than one class, so the check can fail
    assert np.mean(labels == base) > 0.97
