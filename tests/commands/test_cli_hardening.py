"""The CLI under hostile arguments: exit codes 0/1/2, checks before any output, no tracebacks."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import wfdb

from ecg_lstm.commands import options
from ecg_lstm.commands.options import check_arguments, check_extension, check_out_dir
from ecg_lstm.commands.main import main
from ecg_lstm.errors import BadArgumentError


def _record(tmp_path, mitdb_dir, name="nanlead", seconds=60, nan_lead=None):
    """The first ``seconds`` of MIT-BIH 100 as a new WFDB record, optionally with one lead all missing."""
    sig, fields = wfdb.rdsamp(str(mitdb_dir / "100"), sampto=int(seconds * 360))
    if nan_lead is not None:
        sig[:, nan_lead] = np.nan
    wfdb.wrsamp(name, fs=360, units=fields["units"], sig_name=fields["sig_name"], p_signal=sig,
                fmt=["16", "16"], adc_gain=[200.0, 200.0], baseline=[0, 0], write_dir=str(tmp_path))
    return tmp_path / name


def _tree(path):
    return sorted(p.relative_to(path) for p in path.rglob("*"))


def test_lead_option_reaches_the_reader(mitdb_dir, tmp_path, capsys):
    rec = _record(tmp_path, mitdb_dir, nan_lead=0)  # MLII all missing, V5 intact
    out = tmp_path / "out"
    assert main(["analyze", str(rec), "--out-dir", str(out), "--lead", "V5", "--no-classify"]) == 0
    info = json.loads((out / "nanlead.json").read_text())
    assert info["record"]["analysed_lead"] == "V5"
    assert 60 < info["vitals"]["hr_mean_bpm"] < 90 and info["n_beats"] > 60
    # 60 s: the JSON says why there is no frequency domain, and that unclassified beats give no HRV.
    v = info["vitals"]
    assert v["lf_ms2"] is None and "2 min" in v["frequency_domain_reason"] and "2 min" in v["lomb_reason"]
    assert v["hrv_applicable"] is False and "not classified" in v["hrv_not_applicable_reason"]
    assert "lomb" in v["hrv_lomb_method"] and v["n_sdann_windows"] == 0
    # The same by index.
    assert main(["analyze", str(rec), "--out-dir", str(out), "--lead", "1", "--no-classify"]) == 0
    # Without --lead the empty default lead is a failed record (exit 1), reported without a traceback.
    capsys.readouterr()
    assert main(["analyze", str(rec), "--out-dir", str(tmp_path / "o2"), "--no-classify"]) == 1
    err = capsys.readouterr().err
    assert "MLII" in err and "Traceback" not in err


@pytest.mark.parametrize("make_bad", ["file", "under_file"])
def test_out_dir_that_is_a_file_is_a_bad_argument(mitdb_dir, tmp_path, capsys, make_bad):
    f = tmp_path / "taken"
    f.write_text("keep me")
    out = f if make_bad == "file" else f / "sub"
    before = _tree(tmp_path)
    rc = main(["analyze", str(mitdb_dir / "100"), "--out-dir", str(out), "--no-classify"])
    cap = capsys.readouterr()
    assert rc == 2
    assert "--out-dir" in cap.err and ("is a file" in cap.err or "not a folder" in cap.err)
    assert cap.out == "" and "Traceback" not in cap.err
    assert _tree(tmp_path) == before and f.read_text() == "keep me"


def test_unwritable_out_dir_is_a_bad_argument(mitdb_dir, tmp_path, capsys, monkeypatch):
    out = tmp_path / "ro"
    out.mkdir()
    if hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() != 0:
        out.chmod(0o500)  # a real read-only folder where permission bits bind
    else:  # root ignores permission bits; os.access is what check_out_dir asks
        real = options.os.access
        monkeypatch.setattr(options.os, "access", lambda p, mode: False if str(p) == str(out) else real(p, mode))
    try:
        rc = main(["analyze", str(mitdb_dir / "100"), "--out-dir", str(out), "--no-classify"])
        err = capsys.readouterr().err
        assert rc == 2 and "not writable" in err and "Traceback" not in err
        assert list(out.iterdir()) == []
        # A missing folder under it is refused for the same reason, and not created.
        rc = main(["analyze", str(mitdb_dir / "100"), "--out-dir", str(out / "new"), "--no-classify"])
        assert rc == 2 and not (out / "new").exists()
    finally:
        out.chmod(0o700)


@pytest.mark.parametrize("option,value", [
    ("--write-annotations", "../evil"), ("--write-annotations", "a/b"), ("--write-annotations", "lstm.x"),
    ("--write-annotations", ""), ("--write-annotations", "lstm2"), ("--write-annotations", "é"),
    ("--write-annotations", "x" * 17), ("--write-annotations", "lstm\n"),
    ("--annotator", "../../etc/passwd"), ("--annotator", "atr.bak"), ("--annotator", ""),
])
def test_annotator_names_are_checked_before_any_output(mitdb_dir, tmp_path, capsys, option, value):
    out = tmp_path / "out"
    rc = main(["analyze", str(mitdb_dir / "100"), "--out-dir", str(out), option, value, "--no-classify"])
    cap = capsys.readouterr()
    assert rc == 2 and option in cap.err and "Traceback" not in cap.err and cap.out == ""
    assert not out.exists() and not (tmp_path / "evil").exists() and not list(tmp_path.parent.glob("*.evil"))


@pytest.mark.parametrize("args", [["--fs", "nan"], ["--fs", "-360"], ["--fs", "inf"], ["--max-hours", "0"],
                                  ["--max-hours", "nan"], ["--max-signal-mb", "-1"], ["--lead", " "]])
def test_bad_numbers_are_bad_arguments(mitdb_dir, tmp_path, capsys, args):
    rc = main(["analyze", str(mitdb_dir / "100"), "--out-dir", str(tmp_path / "out"), *args, "--no-classify"])
    cap = capsys.readouterr()
    assert rc == 2 and args[0] in cap.err and cap.out == "" and not (tmp_path / "out").exists()


def test_argparse_errors_exit_2(tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["analyze", "x", "--out-dir", str(tmp_path), "--no-such-option"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["analyze", "x", "--out-dir", str(tmp_path), "--fs", "abc"])
    assert e.value.code == 2


def test_a_failing_record_never_stops_the_others(mitdb_dir, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    (out / "100.csv").mkdir(parents=True)  # writing 100.csv fails with an OSError, even as root
    real = cli_analyze_record = __import__("ecg_lstm.analyze", fromlist=["analyze_record"]).analyze_record

    def flaky(rec, **kw):
        if rec.name == "101":
            raise RuntimeError("boom")
        return real(rec, **kw)

    monkeypatch.setattr("ecg_lstm.analyze.analyze_record", flaky)
    rc = main(["analyze", str(mitdb_dir / "100"), str(mitdb_dir / "101"), str(mitdb_dir / "103"),
               "--out-dir", str(out), "--no-classify"])
    cap = capsys.readouterr()
    assert rc == 1 and "Traceback" not in cap.err
    assert "100" in cap.err and "cannot write" in cap.err
    assert "101" in cap.err and "RuntimeError" in cap.err and "boom" in cap.err
    assert (out / "103.csv").is_file() and (out / "103.json").is_file()
    assert "103:" in cap.out and cli_analyze_record is real


@pytest.mark.parametrize("content", ["empty", "truncated", "cut_mid"])
def test_broken_reference_annotations_fail_that_record_only(mitdb_dir, tmp_path, capsys, content):
    for ext in ("hea", "dat"):
        shutil.copy(mitdb_dir / f"100.{ext}", tmp_path / f"100.{ext}")
    atr = (mitdb_dir / "100.atr").read_bytes()
    # 57 bytes: inside the first annotations; 2000: a few hundred beats in, no end-of-file code.
    (tmp_path / "100.atr").write_bytes({"empty": b"", "truncated": atr[:57], "cut_mid": atr[:2000]}[content])
    out = tmp_path / "out"
    rc = main(["analyze", str(tmp_path / "100"), str(mitdb_dir / "103"), "--out-dir", str(out),
               "--reference-beats", "--no-classify"])
    cap = capsys.readouterr()
    assert rc == 1 and "Traceback" not in cap.err
    assert "annotation" in cap.err.lower() and not (out / "100.csv").exists()
    assert (out / "103.csv").is_file()
    # Without --reference-beats the record still opens (beats detected), so its outputs are written.
    assert main(["analyze", str(tmp_path / "100"), "--out-dir", str(out), "--no-classify"]) == 0
    assert (out / "100.csv").is_file()


def test_control_characters_in_names_are_escaped(tmp_path, capsys):
    rc = main(["analyze", str(tmp_path / "rec\x1b[2J\x07"), "--out-dir", str(tmp_path / "o"), "--no-classify"])
    err = capsys.readouterr().err
    assert rc == 1 and "\x1b" not in err and "\x07" not in err and "\\x1b" in err


def test_record_names_wfdb_cannot_annotate_fail_before_writing(mitdb_dir, tmp_path, capsys):
    sig, _ = wfdb.rdsamp(str(mitdb_dir / "100"), sampto=30 * 360, channels=[0])
    csv = tmp_path / "my rec.csv"  # a space: wfdb.wrann refuses the name
    np.savetxt(csv, np.column_stack([np.arange(len(sig)) / 360, sig[:, 0]]), delimiter=",",
               header="time_s,MLII", comments="", fmt="%.6f")
    out = tmp_path / "out"
    rc = main(["analyze", str(csv), str(mitdb_dir / "103"), "--out-dir", str(out), "--write-annotations", "lstm",
               "--no-classify"])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err and "my rec" in err and "annotation" in err
    assert not list(out.glob("my rec*")) and (out / "103.lstm").is_file()
    assert main(["analyze", str(csv), "--out-dir", str(out), "--no-classify"]) == 0  # fine without annotations


def test_check_helpers_for_other_subcommands(tmp_path):
    import argparse

    assert check_extension("atr", "--labels") == "atr" and check_extension("pu0", "--labels") == "pu0"
    with pytest.raises(BadArgumentError, match="--labels"):
        check_extension("../x", "--labels")
    with pytest.raises(BadArgumentError):
        check_extension("pu0", "--write-annotations", write=True)
    assert check_out_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b" and not (tmp_path / "a").exists()
    ns = argparse.Namespace(out_dir=str(tmp_path), labels="../x")
    with pytest.raises(BadArgumentError, match="--labels"):
        check_arguments(ns)
    check_arguments(argparse.Namespace(command="other"))  # nothing to check: fine


def test_module_exit_codes_without_traceback(mitdb_dir, tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    run = [sys.executable, "-m", "ecg_lstm", "analyze", str(mitdb_dir / "100"), "--no-classify"]
    p = subprocess.run(run + ["--out-dir", str(f)], capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stdout == ""
    p = subprocess.run(run + ["--out-dir", str(tmp_path / "o"), "--write-annotations", "../evil"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr and not (tmp_path / "o").exists()


def _copy_record(mitdb_dir, folder, record="100", exts=("hea", "dat", "atr")):
    folder.mkdir(parents=True, exist_ok=True)
    for ext in exts:
        shutil.copy(mitdb_dir / f"{record}.{ext}", folder / f"{record}.{ext}")
    return folder / record


def test_outputs_never_replace_the_records_own_files(mitdb_dir, tmp_path, capsys):
    sig, _ = wfdb.rdsamp(str(mitdb_dir / "100"), sampto=30 * 360, channels=[0])
    csv = tmp_path / "strip.csv"
    np.savetxt(csv, np.column_stack([np.arange(len(sig)) / 360, sig[:, 0]]), delimiter=",",
               header="time_s,MLII", comments="", fmt="%.6f")
    before = csv.read_bytes()
    rec = _copy_record(mitdb_dir, tmp_path)
    atr = (tmp_path / "100.atr").read_bytes()
    # --out-dir the records' own folder: strip.csv (input) and 100.atr (reference) must survive.
    rc = main(["analyze", str(csv), str(rec), "--out-dir", str(tmp_path), "--write-annotations", "atr",
               "--no-classify"])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err and err.count("replace the record's own file") == 2
    assert csv.read_bytes() == before and (tmp_path / "100.atr").read_bytes() == atr
    # The header or signal extension is refused outright.
    for ext in ("hea", "DAT", "json"):
        assert main(["analyze", str(rec), "--out-dir", str(tmp_path / "o"), "--write-annotations", ext]) == 2
    assert not (tmp_path / "o").exists()


def test_two_records_with_one_name_do_not_overwrite_each_other(mitdb_dir, tmp_path, capsys):
    a = _copy_record(mitdb_dir, tmp_path / "a", exts=("hea", "dat"))
    b = _copy_record(mitdb_dir, tmp_path / "b", exts=("hea", "dat"))
    out = tmp_path / "out"
    rc = main(["analyze", str(a), str(b), "--out-dir", str(out), "--no-classify"])
    err = capsys.readouterr().err
    assert rc == 1 and str(b) in err and "another record named '100'" in err
    assert (out / "100.csv").is_file()


@pytest.mark.parametrize("content", [None, b"x", b"PK\x03\x04 not a real zip"])
def test_bad_model_file_is_a_bad_argument(mitdb_dir, tmp_path, capsys, content):
    model = tmp_path / "m.pt"
    if content is not None:
        model.write_bytes(content)
    out = tmp_path / "out"
    rc = main(["analyze", str(mitdb_dir / "100"), "--out-dir", str(out), "--model", str(model)])
    cap = capsys.readouterr()
    assert rc == 2 and "m.pt" in cap.err and "Traceback" not in cap.err and cap.out == "" and not out.exists()
