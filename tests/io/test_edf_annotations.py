"""EDF+ with annotations (ecg_lstm.io.edf_export, read back by ecg_lstm.io.edf_format): the MIT-BIH
round trip with its reference beats, and the export of an analysis' beats and events."""
import numpy as np

from ecg_lstm.io import read_record, read_record_from_files
from ecg_lstm.io.edf_export import beat_event_annotations, edf_bytes, write_edf
from tests.io.roundtrip import assert_same_analysis, assert_same_record, excerpt


def test_mitdb_excerpt_round_trip_with_its_reference_beats(mitdb_dir, tmp_path):
    rec = excerpt(mitdb_dir)
    ref = read_record(mitdb_dir / "100").annotations
    keep = ref.sample < rec.n_samples
    anns = beat_event_annotations(rec.fs, ref.sample[keep], ref.symbol[keep])
    write_edf(rec, tmp_path / "100.edf", anns)
    got = read_record(tmp_path / "100.edf")
    assert_same_record(got, rec, atol=1e-12)
    assert got.metadata["format"] == "edf+"
    assert np.array_equal(got.annotations.sample, ref.sample[keep])
    assert list(got.annotations.symbol) == list(ref.symbol[keep])
    assert len(got.metadata["edf_annotations"]) == int(keep.sum())
    assert_same_analysis(got, mitdb_dir)


def test_beats_and_events_exported_and_read_back(mitdb_dir):
    from ecg_lstm.analyze import analyze_record

    rec = excerpt(mitdb_dir)
    a = analyze_record(rec, rhythm=None)
    events = [{"type": "ventricular_run", "start_sample": 3600, "end_sample": 4320, "n_beats": 3}]
    got = read_record_from_files({"x.edf": edf_bytes(a.record, a.beats["sample"], a.beats["label"], events)})
    beats = got.annotations.symbol != '"'
    assert np.array_equal(got.annotations.sample[beats], a.beats["sample"].to_numpy())
    assert list(got.annotations.symbol[beats]) == list(a.beats["label"])
    ev = [x for x in got.metadata["edf_annotations"] if x[2] == "ventricular_run"]
    assert ev == [[10.0, 2.0, "ventricular_run"]]


def test_beats_without_labels_are_written_as_unclassified():
    anns = beat_event_annotations(360.0, [360, 720], [])
    assert anns == [(1.0, None, "Q"), (2.0, None, "Q")]
