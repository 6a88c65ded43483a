"""Fixtures of the study store tests: one store per test, on SQLite and on a real PostgreSQL
server (the same tests on both), and a record with its analysis."""
from __future__ import annotations

import pytest

from tests.studies import postgres


@pytest.fixture(scope="session")
def pg_server():
    """URL of a PostgreSQL server for this test run (skipped, with the reason, where none can be had)."""
    why = postgres.why_not()
    if why:
        pytest.skip(f"no PostgreSQL server for the study store tests: {why}")
    with postgres.server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A database URL for a new, empty store: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        (tmp_path / "db").mkdir(exist_ok=True)
        return f"sqlite:///{tmp_path / 'db' / 'studies.sqlite'}"
    return postgres.new_database(request.getfixturevalue("pg_server"))


@pytest.fixture()
def store(store_url, tmp_path):
    from ecg_lstm.studies import StudyStore

    s = StudyStore(store_url, tmp_path / "files")
    yield s
    s.close()


@pytest.fixture(scope="session")
def record_100(mitdb_dir):
    """The files of MIT-BIH 100 (first 5 minutes, as uploaded files) and their analysis."""
    import tempfile
    from pathlib import Path

    import wfdb

    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.io.upload import read_record_from_files

    with tempfile.TemporaryDirectory() as tmp:
        rec = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=360 * 300, physical=False)
        rec.record_name, rec.file_name = "s100", ["s100.dat"] * rec.n_sig
        rec.wrsamp(write_dir=tmp)
        files = {p.name: p.read_bytes() for p in Path(tmp).iterdir()}
    analysis = analyze_record(read_record_from_files(files), adapt=True)
    return files, analysis
