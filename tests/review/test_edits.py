"""Beat edits of a review (ecg_lstm.review.edits): deleted beats, spans marked as artefact and
added beats leave or enter the beats counted, the events and HRV, are undone like any correction,
and go to the .cor file in WFDB codes that wfdb.rdann and the project's reader both read back."""
from __future__ import annotations

import numpy as np
import pytest

from ecg_lstm.review import edits, files, labels, state


@pytest.fixture(scope="module")
def plain(mitdb_dir):
    """The first 2 minutes of record 119 (bigeminy: 26 V beats among 130)."""
    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.io.read import read_record
    from ecg_lstm.io.record import Record

    r = read_record(mitdb_dir / "119")
    n = int(r.fs * 120)
    return analyze_record(Record("119", r.signal[:n], r.fs, r.lead_names, r.units), rhythm=None)


def _apply(plain, rev):
    return labels.relabelled_analysis(plain, None, rev, rhythm=None)


def _samples(a, label=None):
    b = a.beats if label is None else a.beats[a.beats["label"] == label]
    return b["sample"].to_numpy(np.int64)


def test_deleted_beats_leave_counts_events_and_hrv_and_undo_brings_them_back(plain):
    assert plain.vitals["beat_counts"]["V"] > 20 and (plain.events["type"] == "bigeminy").any()
    assert not plain.vitals["hrv_applicable"]  # too many ectopic beats
    rev = state.new_review()
    v = _samples(plain, "V")
    assert state.delete(rev, v) == len(v)
    a = _apply(plain, rev)
    assert len(a.beats) == len(plain.beats) - len(v) and not np.isin(v, _samples(a)).any()
    assert a.vitals["beat_counts"]["V"] == 0 and a.vitals["beat_counts"]["N"] == plain.vitals["beat_counts"]["N"]
    assert not a.events["type"].isin(["pvc", "bigeminy", "trigeminy"]).any()
    # HRV follows: the V beats no longer break the NN intervals (60 % of them NN, now 77 %).
    assert a.vitals["n_beats"] == len(a.beats) and a.vitals["v_burden_pct"] == 0
    assert a.vitals["n_nn_intervals"] > plain.vitals["n_nn_intervals"]
    assert "77 %" in a.vitals["hrv_not_applicable_reason"] and "60 %" in plain.vitals["hrv_not_applicable_reason"]
    assert "removed" in a.model["beat_classifier"]
    assert state.undo(rev) and not rev["corrections"]
    b = _apply(plain, rev)
    assert b.vitals["beat_counts"] == plain.vitals["beat_counts"] and len(b.beats) == len(plain.beats)


def test_an_artefact_span_leaves_the_counts_and_its_gap_is_no_alarm(plain):
    from ecg_lstm.findings import detect_events

    rev = state.new_review()
    s = _samples(plain)
    fs = plain.record.fs
    inside = s[(s >= 30 * fs) & (s < 42 * fs)]
    state.mark_artefact(rev, inside)
    a = _apply(plain, rev)
    assert len(a.beats) == len(plain.beats) - len(inside)
    assert sum(a.vitals["beat_counts"].values()) == sum(plain.vitals["beat_counts"].values()) - len(inside)
    assert a.vitals["n_beats"] == len(a.beats)
    assert a.vitals["n_nn_intervals"] < plain.vitals["n_nn_intervals"]  # the span holds no NN interval now
    across = a.events[(a.events["start_sample"] < inside[-1]) & (a.events["end_sample"] > inside[0])]
    assert across["noisy"].all() and not across["alarm"].any() and not (across["type"] == "pause").any()
    # The span is noise to the event rules: with the quality as detected, the gap would be a pause.
    raw = detect_events(a.beats, plain.record.fs, peaks_quality=plain.quality)
    assert ((raw["type"] == "pause") & (raw["start_sample"] < inside[-1]) & (raw["end_sample"] > inside[0])).any()
    assert not plain.events[plain.events["type"] == "pause"].shape[0]


def test_an_added_beat_is_snapped_to_its_r_peak_and_enters_in_time_order(plain):
    from dataclasses import replace

    fs = plain.record.fs
    s = _samples(plain)
    ecg = plain.record.signal[:, plain.lead_index]
    target = int(s[40])
    snapped = edits.snap_to_r(ecg, fs, target + int(0.05 * fs))  # a click 50 ms late
    assert abs(snapped - target) <= int(0.02 * fs)
    missed = replace(plain, beats=plain.beats.drop(index=plain.beats.index[40]).reset_index(drop=True), derived={})
    rev = state.new_review()
    state.add_beat(rev, snapped, "S")
    a = _apply(missed, rev)
    assert len(a.beats) == len(plain.beats) and a.beats["sample"].is_monotonic_increasing
    row = a.beats[a.beats["sample"] == snapped].iloc[0]
    assert row["label"] == "S" and row["added"] and row["reviewed"] and row["confidence"] == 1.0
    assert a.vitals["beat_counts"]["S"] == 1 and a.beats["added"].sum() == 1
    assert edits.edit_counts(rev["corrections"], _samples(missed)) == {"deleted": 0, "artefact": 0, "added": 1}
    # Deleting the added beat takes it out again; undo brings it back.
    state.delete(rev, [snapped])
    assert len(_apply(missed, rev).beats) == len(missed.beats)
    assert state.undo(rev) and len(_apply(missed, rev).beats) == len(plain.beats)
    with pytest.raises(ValueError):
        state.add_beat(rev, snapped, "X")  # an added beat has a class


def test_edits_round_trip_through_cor_with_rdann_and_the_project_reader(plain, tmp_path):
    import wfdb

    s = _samples(plain)
    rev = state.new_review()
    state.correct(rev, [s[3]], "V")
    state.delete(rev, [s[5]])
    state.mark_artefact(rev, s[10:13])
    added = int((s[20] + s[21]) // 2)
    state.add_beat(rev, added, "N")
    a = _apply(plain, rev)
    data = files.corrections_bytes(a, rev, plain=plain)
    (tmp_path / "119.cor").write_bytes(data)
    ann = wfdb.rdann(str(tmp_path / "119"), "cor")
    got = {int(x): (sym, note.strip("\x00")) for x, sym, note in zip(ann.sample, ann.symbol, ann.aux_note)
           if sym != '"'}
    assert got[int(s[3])] == ("V", "") and got[int(s[5])] == ("|", "deleted") and got[added] == ("N", "added")
    assert all(got[int(x)] == ("|", "artefact") for x in s[10:13])
    back = state.new_review()
    loaded = files.load_corrections(back, plain, data, "119.cor")
    assert not loaded.error and "(4 deleted or artefact, 1 added)" in loaded.message
    assert back["corrections"] == rev["corrections"] and back["added"] == {added}
    b = _apply(plain, back)
    assert b.vitals["beat_counts"] == a.vitals["beat_counts"] and len(b.beats) == len(a.beats)


def test_adapt_learns_from_the_labels_only_and_the_edits_still_apply(plain):
    from tests.review.test_labels import FakeAdapter

    ad = FakeAdapter()
    ad.n = len(plain.beats)
    s = _samples(plain)
    rev = state.new_review()
    state.correct(rev, [s[3]], "F")
    state.delete(rev, [s[5]])
    state.adapt(rev)
    a = labels.relabelled_analysis(plain, ad, rev, rhythm=None)
    assert len(a.beats) == len(plain.beats) - 1 and (a.beats["label"] == "F").all()
    assert "adapted" in a.model["beat_classifier"] and a.vitals["beat_counts"]["F"] == len(a.beats)
