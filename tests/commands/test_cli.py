"""The `analyze` command line: its output contract and its error handling."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import wfdb

from ecg_lstm.commands.main import main

COLUMNS = ["sample", "time_s", "label", "confidence", "p_N", "p_S", "p_V", "p_F", "p_Q"]


def test_analyze_writes_beats_vitals_and_annotations(mitdb_dir, tmp_path):
    rc = main(["analyze", str(mitdb_dir / "100"), str(mitdb_dir / "233"), "--out-dir", str(tmp_path),
               "--write-annotations", "lstm"])
    assert rc == 0
    for name in ("100", "233"):
        beats = pd.read_csv(tmp_path / f"{name}.csv", keep_default_na=False)
        assert list(beats.columns) == COLUMNS
        ref = wfdb.rdann(str(mitdb_dir / name), "atr")
        n_ref = int(np.isin(ref.symbol, list("NLRejAaJSVEF/fQ")).sum())
        assert abs(len(beats) - n_ref) / n_ref < 0.01  # detected beat count within 1 %
        assert set(beats["label"]) <= set("NSVFQ")
        probs = beats[["p_N", "p_S", "p_V", "p_F", "p_Q"]].to_numpy()
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-3)
        np.testing.assert_allclose(beats["confidence"], probs.max(axis=1), atol=1e-4)
        assert np.all(np.diff(beats["sample"]) > 0)
        np.testing.assert_allclose(beats["time_s"], beats["sample"] / 360.0, atol=1e-5)

        info = json.loads((tmp_path / f"{name}.json").read_text())
        assert info["record"]["fs_hz"] == 360 and info["record"]["analysed_lead"] == "MLII"
        assert info["n_beats"] == len(beats)
        assert 40 < info["vitals"]["hr_mean_bpm"] < 120
        assert "rhythm_episodes" in info and "events" in info

        ann = wfdb.rdann(str(tmp_path / name), "lstm")
        beat_ann = np.isin(ann.symbol, list("NSVFQ?"))
        np.testing.assert_array_equal(ann.sample[beat_ann], beats["sample"])
    # 233 has many ventricular ectopics: the labels must show them.
    beats = pd.read_csv(tmp_path / "233.csv", keep_default_na=False)
    assert (beats["label"] == "V").sum() > 500


def test_reference_beats_use_the_annotation_positions(mitdb_dir, tmp_path):
    rc = main(["analyze", str(mitdb_dir / "105"), "--out-dir", str(tmp_path), "--reference-beats", "--no-classify"])
    assert rc == 0
    beats = pd.read_csv(tmp_path / "105.csv", keep_default_na=False)
    ref = wfdb.rdann(str(mitdb_dir / "105"), "atr")
    keep = np.isin(ref.symbol, list("NLRejAaJSVEF/fQ"))
    np.testing.assert_array_equal(beats["sample"], ref.sample[keep])
    assert (beats["label"] == "").all()


def test_bad_records_are_reported_and_the_rest_analysed(mitdb_dir, tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("not an ecg")
    rc = main(["analyze", str(tmp_path / "missing"), str(bad), str(mitdb_dir / "100"),
               "--out-dir", str(tmp_path / "out"), "--no-classify"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "missing" in err and "notes.txt" in err and "Traceback" not in err
    assert (tmp_path / "out" / "100.csv").exists()


def test_reference_beats_without_annotations_is_a_clear_error(mitdb_dir, tmp_path, capsys):
    rc = main(["analyze", str(mitdb_dir / "100"), "--out-dir", str(tmp_path), "--reference-beats",
               "--annotator", "nosuch", "--no-classify"])
    assert rc == 1
    assert "annotation" in capsys.readouterr().err


def test_module_entry_point(mitdb_dir, tmp_path):
    out = subprocess.run([sys.executable, "-m", "ecg_lstm", "analyze", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--reference-beats" in out.stdout
