"""``python -m ecg_lstm studies ...``: add, list, export, audit and delete from the command line,
on a SQLite store in a temporary folder; a store that cannot be opened and a missing record."""
from __future__ import annotations

import json

import pytest

from ecg_lstm.commands.main import main
from ecg_lstm.commands.studies import user_name
from ecg_lstm.studies.intake import record_files, study_options


@pytest.fixture(scope="module")
def records(tmp_path_factory, mitdb_dir):
    """Two-minute excerpts of MIT-BIH 100 and 119 (WFDB, with their reference beats)."""
    import wfdb

    folder = tmp_path_factory.mktemp("records")
    for name in ("100", "119"):
        rec = wfdb.rdrecord(str(mitdb_dir / name), sampto=360 * 120, physical=False)
        wfdb.wrsamp(f"c{name}", fs=rec.fs, units=rec.units, sig_name=rec.sig_name, d_signal=rec.d_signal,
                    fmt=rec.fmt, adc_gain=rec.adc_gain, baseline=rec.baseline, write_dir=str(folder))
        ann = wfdb.rdann(str(mitdb_dir / name), "atr", sampto=360 * 120)
        wfdb.wrann(f"c{name}", "atr", ann.sample, ann.symbol, write_dir=str(folder))
    return folder


@pytest.fixture()
def db(tmp_path):
    return ["--db", f"sqlite:///{tmp_path / 'st' / 'studies.sqlite'}", "--files", str(tmp_path / "st")]


def test_record_files(records, tmp_path):
    files = record_files(records / "c100")
    assert sorted(files) == ["c100.atr", "c100.dat", "c100.hea"]
    assert record_files(records / "c100.hea") == files and sorted(record_files(records / "c100", None)) == [
        "c100.dat", "c100.hea"]
    (tmp_path / "x.csv").write_text("time,ecg\n0,1\n")
    assert list(record_files(tmp_path / "x.csv")) == ["x.csv"]
    from ecg_lstm.errors import MissingFileError, UnsupportedFormatError

    with pytest.raises(MissingFileError, match="no nothere.hea"):
        record_files(tmp_path / "nothere")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UnsupportedFormatError, match="unsupported file type"):
        record_files(tmp_path / "notes.txt")
    (tmp_path / "r.hea").write_text("r 1 360 100\n../r.dat 16 200 11 0 0 0 0 II\n")
    with pytest.raises(UnsupportedFormatError, match="not a file beside it"):
        record_files(tmp_path / "r")
    assert study_options() == {} and study_options(fs=250, reference_beats=True, lead="V5") == {
        "fs": 250.0, "reference_beats": True, "lead": "V5"}


def test_studies_command_line(records, db, tmp_path, capsys):
    assert main(["studies", "add", str(records / "c100"), str(records / "c119"), *db, "--label", "Ward 3",
                 "--who", "A. Tech"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["added study 1: c100 (0.03 h)", "added study 2: c119 (0.03 h)"]
    # Again: the same record and options are the same study.
    assert main(["studies", *db, "add", str(records / "c100")]) == 0
    assert capsys.readouterr().out.strip() == "already in the store: study 1"

    assert main(["studies", "list", *db]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["id", "label", "record", "length"] and len(table) == 3
    assert "c119" in table[1] and "0:02" in table[1] and "new" in table[1]
    assert main(["studies", "list", *db, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in listed] == [2, 1] and {s["label"] for s in listed} == {"Ward 3"}
    assert listed[0]["record_name"] == "c119" and listed[0]["created_at"].endswith("+00:00")
    assert listed[1]["n_beats"] > 100

    # A review made elsewhere (the page), then the trail, a filtered list and the export.
    from ecg_lstm.studies import StudyStore

    store = StudyStore(db[1], db[3])
    store.set_status(1, "Dr B", "reviewed")
    store.close()
    assert main(["studies", "list", *db, "--status", "reviewed", "--json"]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)] == [1]
    assert main(["studies", "list", *db, "--status", "signed"]) == 0
    assert capsys.readouterr().out.strip() == "no studies of status signed"
    assert main(["studies", "list", *db, "--status", "done"]) == 2
    assert "is not a status" in capsys.readouterr().err

    assert main(["studies", "audit", "1", *db]) == 0
    trail = capsys.readouterr().out.splitlines()
    assert trail[0].split()[:3] == ["time", "(UTC)", "who"] and len(trail) == 3
    assert "A. Tech" in trail[1] and "study added" in trail[1] and "new → reviewed" in trail[2]
    assert main(["studies", "audit", "1", *db, "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in entries] == ["study added", "status"] and entries[1]["new"] == "reviewed"

    assert main(["studies", "export", "1", "--out", str(tmp_path / "ex"), *db]) == 0
    assert sorted(p.name for p in (tmp_path / "ex").iterdir()) == ["c100.edf", "c100_audit.csv", "c100_events.csv",
                                                                    "c100_report.html"]
    assert "Audit trail" in (tmp_path / "ex" / "c100_report.html").read_text()
    capsys.readouterr()

    assert main(["studies", "delete", "2", *db]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert main(["studies", "delete", "2", "--yes", *db]) == 0
    assert capsys.readouterr().out.strip() == "deleted study 2: Ward 3"
    assert main(["studies", "delete", "2", "--yes", *db]) == 1
    assert "there is no study 2" in capsys.readouterr().err
    assert main(["studies", "export", "2", "--out", str(tmp_path / "ex2"), *db]) == 1
    assert main(["studies", "list", *db, "--json"]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)] == [1]


def test_a_store_that_cannot_be_opened(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a database")
    for argv in (["studies", "list", "--db", f"sqlite:///{tmp_path / 'notes.txt'}"],
                 ["studies", "--db", f"sqlite:///{tmp_path / 'notes.txt'}", "audit", "1"]):
        assert main(argv) == 2
        assert "is not a SQLite database" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "not a database"  # left as it was
    assert main(["studies", "list", "--db", "mysql://host/db"]) == 2
    assert "SQLite or PostgreSQL" in capsys.readouterr().err


def test_a_missing_record_fails_alone(records, db, tmp_path, capsys):
    assert main(["studies", "add", str(tmp_path / "nothere"), str(records / "c119"), *db]) == 1
    io = capsys.readouterr()
    assert "nothere" in io.err and "not found" in io.err
    assert io.out.strip() == "added study 1: c119 (0.03 h)"
    assert main(["studies", "list", *db, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["label"] for s in listed] == ["c119"]
    assert user_name()  # the audit trail's default name
    assert main(["studies", "add", str(records / "c100"), *db, "--fs", "-1"]) == 2
