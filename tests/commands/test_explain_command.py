"""``python -m ecg_lstm explain`` (ecg_lstm.commands.explain) through ecg_lstm.commands.main.main:
bad arguments and unusable beats give exit status 2 or 1 with a short message on stderr, never a
traceback, and write nothing."""
import numpy as np
import pandas as pd
import pytest

from ecg_lstm.commands import explain as explain_command
from ecg_lstm.commands.main import main

FS = 250.0
BEAT_TIMES = np.arange(1.0, 19.5, 0.8)  # 24 beats at 75 bpm


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    """A 20-s CSV record at 250 Hz: Gaussian QRS spikes (1 mV) at BEAT_TIMES with T waves."""
    t = np.arange(int(20 * FS)) / FS
    x = 0.05 * np.sin(2 * np.pi * 0.3 * t) + np.random.default_rng(0).normal(0, 0.005, t.size)
    for tb in BEAT_TIMES:
        x += np.exp(-0.5 * ((t - tb) / 0.012) ** 2) + 0.2 * np.exp(-0.5 * ((t - tb - 0.25) / 0.04) ** 2)
    path = tmp_path_factory.mktemp("rec") / "synth.csv"
    pd.DataFrame({"time": t, "MLII (mV)": x}).to_csv(path, index=False)
    return path


def _run(capsys, argv):
    """Exit status (argparse's SystemExit included), stdout and stderr of main(argv)."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def test_the_command_is_registered():
    assert callable(explain_command.run) and callable(explain_command.add_parser)


def test_missing_beat_is_a_usage_error(capsys, record, tmp_path):
    code, out, err = _run(capsys, ["explain", str(record), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "--beat" in err and "required" in err
    assert not (tmp_path / "o").exists()


def test_missing_out_is_a_usage_error(capsys, record):
    code, _, err = _run(capsys, ["explain", str(record), "--beat", "0"])
    assert code == 2 and "--out" in err


@pytest.mark.parametrize("beat", ["two", "1.5"])
def test_beat_must_be_a_whole_number(capsys, record, tmp_path, beat):
    code, _, err = _run(capsys, ["explain", str(record), "--beat", beat, "--out", str(tmp_path)])
    assert code == 2 and "--beat" in err and "invalid int value" in err


def test_bad_target_is_a_usage_error(capsys, record, tmp_path):
    code, _, err = _run(capsys, ["explain", str(record), "--beat", "0", "--out", str(tmp_path), "--target", "X"])
    assert code == 2 and "--target" in err


def test_negative_beat_exit_2_one_line(capsys, record, tmp_path):
    out_dir = tmp_path / "o"
    code, out, err = _run(capsys, ["explain", str(record), "--beat", "-1", "--out", str(out_dir)])
    assert code == 2
    assert err.strip().splitlines() == ["error: --beat -1 is negative; beats are numbered from 0"]
    assert out == "" and not out_dir.exists()


def test_out_that_is_a_file_exit_2(capsys, record, tmp_path):
    f = tmp_path / "afile"
    f.write_text("keep me")
    code, _, err = _run(capsys, ["explain", str(record), "--beat", "0", "--out", str(f)])
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--out" in err and "is a file, not a folder" in err
    assert f.read_text() == "keep me"


def test_bad_fs_exit_2(capsys, record, tmp_path):
    code, _, err = _run(capsys, ["explain", str(record), "--beat", "0", "--out", str(tmp_path), "--fs", "5"])
    assert code == 2 and err.startswith("error: --fs 5.0 is not a sampling rate")


def test_missing_record_exit_1(capsys, tmp_path):
    missing = tmp_path / "nowhere.csv"
    code, out, err = _run(capsys, ["explain", str(missing), "--beat", "0", "--out", str(tmp_path / "o")])
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {missing}:")
    assert not (tmp_path / "o").exists()


def test_beat_out_of_range_exit_1(capsys, record, tmp_path):
    """The record has 24 beats (rows 0..23 of analyze's beats): beat 24 is refused, naming the
    range, with nothing written."""
    n = len(BEAT_TIMES)
    out_dir = tmp_path / "o"
    code, out, err = _run(capsys, ["explain", str(record), "--beat", str(n), "--out", str(out_dir)])
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == (f"error: {record}: beat {n} is not in this record: give a beat index from 0 to {n - 1}")
    assert out == "" and not out_dir.exists()


def test_a_beat_in_range_is_written(capsys, record, tmp_path):
    """The contrast to the refusals: beat 3 is the fourth synthetic beat (row 3 of analyze's
    beats, 50 ms tolerance); its JSON is written, exit 0, nothing on stderr."""
    import json

    out_dir = tmp_path / "o"
    code, out, err = _run(capsys, ["explain", str(record), "--beat", "3", "--out", str(out_dir), "--no-png"])
    assert code == 0 and err == ""
    doc = json.loads((out_dir / "synth_beat3.json").read_text())
    assert doc["n_beats"] == len(BEAT_TIMES) and doc["fs_hz"] == FS
    assert abs(doc["time_s"] - BEAT_TIMES[3]) <= 0.05
    assert doc["explanation"]["beat"] == 3 and doc["explanation"]["summary"] in out
    assert not (out_dir / "synth_beat3.png").exists()
