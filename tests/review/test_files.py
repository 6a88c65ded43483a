"""Corrections files in bytes (ecg_lstm.review.files): written, read back, found in uploads, and
loaded into a review with the record."""
from __future__ import annotations

import io
import zipfile

import pytest

from ecg_lstm.review import files, state
from tests.review.helpers import synthetic_analysis


@pytest.fixture(scope="module")
def plain():
    return synthetic_analysis()


def test_split_corrections_from_a_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in ("c100.hea", "c100.dat", "c100.atr"):
            zf.writestr(f"c100/{name}", b"record bytes")
        zf.writestr("c100/c100.cor", b"cor-bytes")
    found, cor = files.split_corrections({"c100.zip": buf.getvalue(), "x.cor": b"plain"})
    assert list(found) == ["c100.zip"] and cor == (b"plain", "x.cor")
    found, cor = files.split_corrections({"c100.zip": buf.getvalue()})
    assert cor == (b"cor-bytes", "c100.cor")
    assert files.split_corrections({"a.hea": b"h", "a.dat": b"d"}) == ({"a.hea": b"h", "a.dat": b"d"}, None)
    assert files.split_corrections({"bad.zip": b"not a zip"}) == ({"bad.zip": b"not a zip"}, None)


def test_cor_bytes_round_trip(plain):
    rev = state.new_review()
    samples = plain.beats["sample"].to_numpy()
    state.correct(rev, samples[[7, 2]], "V")
    state.correct(rev, samples[[4]], "S")
    data = files.corrections_bytes(plain, rev)
    got_samples, got_labels = files.read_corrections(data, plain)
    assert got_samples.tolist() == sorted(int(s) for s in samples[[2, 4, 7]])
    assert got_labels.tolist() == ["V", "S", "V"]


def test_loaded_with_the_record_and_adapted(plain):
    samples = plain.beats["sample"].to_numpy()
    rev = state.new_review()
    state.correct(rev, samples[[1, 3]], "F")
    data = files.corrections_bytes(plain, rev)
    fresh = state.new_review()
    loaded = files.load_corrections(fresh, plain, data, "synthetic.cor")
    assert not loaded.error and loaded.message.startswith("2 reviewed beats loaded from synthetic.cor")
    assert fresh["corrections"] == {int(samples[1]): "F", int(samples[3]): "F"}
    assert fresh["adapted"] and fresh["loaded_from"] == "synthetic.cor"
    # A session that holds corrections of the record keeps them.
    kept = files.load_corrections(fresh, plain, b"ignored", "other.cor")
    assert not kept.error and "kept" in kept.message and fresh["loaded_from"] == "synthetic.cor"


def test_a_corrupt_file_leaves_the_review_as_it_was(plain):
    rev = state.new_review()
    loaded = files.load_corrections(rev, plain, b"\x00garbage" * 7, "bad.cor")
    assert loaded.error and "could not be read" in loaded.message
    assert rev == state.new_review()


def test_beats_far_from_any_beat_are_left_out(plain):
    # Written bound to the record (as the review saves it): a file without identity whose beats
    # match the record's this badly (1 of 2) is refused instead (tests/beats/test_corrections_trust.py).
    from ecg_lstm.beats.corrections import write_labels
    from ecg_lstm.beats.record_identity import record_identity
    from ecg_lstm.io.tempfiles import private_tempdir, remove

    samples = plain.beats["sample"].to_numpy()
    assert (samples[1] - samples[0]) / plain.record.fs > 0.3  # room for a beat > 150 ms from both
    far = int(samples[0] + (samples[1] - samples[0]) // 2)
    tmp = private_tempdir("cor-test")
    try:
        data = write_labels(tmp, "record", [int(samples[5]), far], ["V", "V"], plain.record.fs,
                            identity=record_identity(plain.record, plain.lead_index)).read_bytes()
    finally:
        remove(tmp)
    rev = state.new_review()
    loaded = files.load_corrections(rev, plain, data, "x.cor")
    assert rev["corrections"] == {int(samples[5]): "V"}
    assert "1 reviewed beats match no beat here" in loaded.message
