"""The review as a plain dict (ecg_lstm.review.state): corrections, undo, Adapt, signature."""
from __future__ import annotations

import pytest

from ecg_lstm import review
from ecg_lstm.review import state


def test_review_state_undo():
    rev = review.new_review()
    assert review.correct(rev, [10, 20], "V") == 2
    assert review.correct(rev, [10], "V") == 0  # no change, no undo step
    review.correct(rev, [30], "S")
    review.adapt(rev)
    assert rev["adapted"] and len(rev["history"]) == 3
    sig = review.signature(rev)
    assert review.undo(rev) and not rev["adapted"] and review.signature(rev) != sig
    assert review.undo(rev) and rev["corrections"] == {10: "V", 20: "V"}
    assert review.undo(rev) and rev["corrections"] == {} and review.signature(rev) == ""
    assert not review.undo(rev)
    # The same number of corrections, other beats: another signature.
    review.correct(rev, [10], "V")
    first = review.signature(rev)
    review.undo(rev)
    review.correct(rev, [20], "V")
    assert review.signature(rev) != first
    with pytest.raises(ValueError):
        review.correct(rev, [1], "X")


def test_adapt_needs_corrections_and_happens_once():
    rev = state.new_review()
    state.adapt(rev)
    assert not rev["adapted"] and rev["history"] == []
    state.correct(rev, 5, "F")  # one sample, not a list
    state.adapt(rev)
    state.adapt(rev)
    assert rev["adapted"] and len(rev["history"]) == 2


def test_signature_follows_the_labels_and_the_model_switch():
    rev = state.new_review()
    assert state.signature(rev) == "" and state.signature(None) == ""
    assert state.signature(rev, as_shipped=True) == "s"  # the shipped model's labels differ from the opened ones
    state.correct(rev, [1, 2], "V")
    sig = state.signature(rev)
    assert len(sig) == 10 and state.signature(rev, as_shipped=True) == "s" + sig
    state.correct(rev, [2], "S")  # same beats, another label
    assert state.signature(rev) != sig
    state.clear(rev)
    assert rev["corrections"] == {} and not rev["adapted"] and state.signature(rev) == ""


def test_undo_history_is_bounded():
    rev = state.new_review()
    for i in range(state.MAX_UNDO + 30):
        state.correct(rev, [i], "V")
    assert len(rev["history"]) == state.MAX_UNDO
    while state.undo(rev):
        pass
    assert len(rev["corrections"]) == 30  # the oldest steps are gone, not the corrections they made
