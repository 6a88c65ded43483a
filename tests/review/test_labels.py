"""The labels with a review applied, and the analysis with them (ecg_lstm.review.labels)."""
from __future__ import annotations

import numpy as np
import pytest

from ecg_lstm.review import labels, state
from tests.review.helpers import synthetic_analysis


@pytest.fixture(scope="module")
def plain():
    return synthetic_analysis()


class FakeAdapter:
    """Stands for RecordAdapter: "adapting" labels every beat as the first reviewed one; the shipped
    model's own labels are all Q."""

    def with_labels(self, idx, labs):
        n = self.n
        return np.array([labs[0]] * n, dtype=object), np.tile(np.eye(5)["NSVFQ".index(labs[0])], (n, 1))

    def plain(self):
        return np.array(["Q"] * self.n, dtype=object), np.tile(np.eye(5)[4], (self.n, 1))


def test_reviewed_beats_override_the_model(plain):
    samples = plain.beats["sample"].to_numpy()
    corrections = {int(samples[3]): "V", int(samples[10]): "S", int(samples[10]) + 1: "F"}  # the last is no beat
    lab, probs, mask = labels.reviewed_labels(plain, None, corrections, adapted=False)
    assert lab[3] == "V" and lab[10] == "S" and mask.sum() == 2 and mask[3] and mask[10]
    assert (np.delete(lab, [3, 10]) == "N").all()
    assert probs[3].tolist() == [0, 0, 1, 0, 0] and probs[10].tolist() == [0, 1, 0, 0, 0]
    assert (plain.beats["label"] == "N").all()  # the opened analysis is left as it was


def test_adapted_and_as_shipped_labels_come_from_the_adapter(plain):
    ad = FakeAdapter()
    ad.n = len(plain.beats)
    s3 = int(plain.beats["sample"].iloc[3])
    lab, _, mask = labels.reviewed_labels(plain, ad, {s3: "V"}, adapted=True)
    assert (lab == "V").all() and mask.sum() == 1
    lab, _, _ = labels.reviewed_labels(plain, ad, {s3: "V"}, adapted=False, as_shipped=True)
    assert lab[3] == "V" and (np.delete(lab, 3) == "Q").all()


def test_relabel_then_undo_restores_the_labels(plain):
    rev = state.new_review()
    rows = [2, 5, 6]
    state.correct(rev, plain.beats["sample"].to_numpy()[rows], "V")
    a = labels.relabelled_analysis(plain, None, rev, rhythm=None)
    assert list(a.beats["label"].iloc[rows]) == ["V"] * 3 and a.beats["reviewed"].sum() == 3
    assert a.vitals["beat_counts"]["V"] == 3  # the findings follow the labels
    assert a.model["beat_classifier"] == "all normal + 3 reviewed beats"
    assert state.undo(rev)
    b = labels.relabelled_analysis(plain, None, rev, rhythm=None)
    assert list(b.beats["label"]) == list(plain.beats["label"]) and not b.beats["reviewed"].any()
    assert b.vitals["beat_counts"] == plain.vitals["beat_counts"]


def test_no_adapter_without_a_classifier(plain):
    assert labels.record_adapter(None, plain) is None
