"""Opening the study database: created 0600, migrated on start-up from the previous schema
(``ecg_lstm.studies.migrations.versions.v0001_studies`` to
``ecg_lstm.studies.migrations.versions.v0002_sign_off``, through
``ecg_lstm.studies.migrations.env``), a foreign or corrupt file refused and left as it is, a
server that cannot be reached named, a full disk refusing the action with the saved state intact.
Content-addressed files: ``ecg_lstm.studies.blobs``."""
from __future__ import annotations

import os
import socket
import sqlite3

import pytest
from sqlalchemy import create_engine, event, text

from ecg_lstm.studies import StoreError, StudyStore, db
from ecg_lstm.studies.blobs import Blobs, sha256


def _alembic(engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_new_sqlite_file_is_private(tmp_path):
    s = StudyStore(f"sqlite:///{tmp_path / 'new' / 'studies.sqlite'}", tmp_path / "files")
    assert (tmp_path / "new" / "studies.sqlite").stat().st_mode & 0o777 == 0o600
    assert s.count() == 0
    with s.engine.connect() as c:  # SQLite gives its write-ahead log the database file's mode
        c.execute(text("CREATE TEMP TABLE t (x)"))
        wal = tmp_path / "new" / "studies.sqlite-wal"
        assert wal.exists() and wal.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    s.close()


def test_default_location_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(db.DB_ENV, raising=False)
    monkeypatch.setenv(db.FILES_ENV, str(tmp_path))
    assert db.default_url() == f"sqlite:///{tmp_path / 'studies.sqlite'}"
    monkeypatch.setenv(db.DB_ENV, "postgresql+psycopg://u:secret@h/d")
    assert db.default_url() == "postgresql+psycopg://u:secret@h/d"
    assert "secret" not in db.shown(db.default_url())


def test_migrates_from_the_previous_schema(store_url, tmp_path):
    """A store written at the first schema opens: upgraded to the newest, its studies intact."""
    import datetime as dt

    engine = create_engine(store_url)
    _alembic(engine, "0001")
    t = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    with engine.begin() as c:
        c.execute(text("INSERT INTO study (label, manifest, source, options, record_name, fs_hz, duration_s, n_leads, "
                       "created_at, updated_at, status, version, adapted, n_beats, n_corrections, report_fields) "
                       "VALUES ('old one', 'm', 'upload', '{}', 'r', 360, 60, 2, :t, :t, 'in review', 3, false, 70, "
                       "1, '{}')"), {"t": t})
        c.execute(text("INSERT INTO correction (study_id, sample, label) VALUES (1, 500, 'V')"))
    engine.dispose()
    s = StudyStore(store_url, tmp_path / "files")
    row = s.get(1)
    assert row["label"] == "old one" and row["amendment"] == 0 and row["holder"] is None
    assert s.review(1)["corrections"] == {500: "V"}
    assert s.signed_reports(1).empty
    with s.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    s.close()
    StudyStore(store_url, tmp_path / "files").close()  # opening again changes nothing


def test_schema_matches_the_migrations(store_url):
    """The tables the queries use (``tables.py``) are those the migrations make."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ecg_lstm.studies.tables import metadata

    s = StudyStore(store_url, None)
    with s.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), metadata)
    s.close()
    assert diff == []


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "studies.sqlite"
    StudyStore(f"sqlite:///{path}", tmp_path).close()
    with sqlite3.connect(path) as c:
        c.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer version"):
        StudyStore(f"sqlite:///{path}", tmp_path)


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.4 not a database at all" * 10, "not a SQLite database"),
    (db.SQLITE_MAGIC + b"\x10\x00" + os.urandom(4000), "damaged SQLite database"),
])
def test_corrupt_file_is_refused_and_left_alone(tmp_path, content, message):
    path = tmp_path / "studies.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=message) as e:
        StudyStore(f"sqlite:///{path}", tmp_path)
    assert "left as it is" in str(e.value)
    assert path.read_bytes() == content


def test_foreign_sqlite_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE invoices (id INTEGER, total REAL)")
        c.execute("INSERT INTO invoices VALUES (1, 9.5)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="something else.*invoices"):
        StudyStore(f"sqlite:///{path}", tmp_path)
    assert path.read_bytes() == before


def test_unreachable_server_is_named_without_its_password():
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreError, match="cannot be reached") as e:
        StudyStore(f"postgresql+psycopg://ecg:hunter2@127.0.0.1:{port}/studies", None)
    assert "hunter2" not in str(e.value) and f"127.0.0.1:{port}" in str(e.value)


@pytest.mark.parametrize("url, message", [("mysql://h/d", "SQLite or PostgreSQL"), ("not a url", "not a database URL"),
                                          ("sqlite://", "SQLite file")])
def test_other_urls_are_refused(url, message):
    with pytest.raises(StoreError, match=message):
        StudyStore(url, None)


def test_full_disk_refuses_the_action_and_keeps_the_last_state(tmp_path, record_100):
    files, analysis = record_100
    s = StudyStore(f"sqlite:///{tmp_path / 'studies.sqlite'}", tmp_path)
    sid = s.add(files, analysis, who="A")
    first = int(analysis.beats["sample"].iloc[0])
    s.save_review(sid, "A", "relabel beat", ({}, False), ({first: "V"}, False))
    with s.engine.connect() as c:
        pages = c.execute(text("PRAGMA page_count")).scalar()

    # SQLite's page cap stands in for a full disk: the same SQLITE_FULL error on write.
    @event.listens_for(s.engine, "connect")
    def _cap(dbapi_conn, _):
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    s.engine.dispose()
    every = {int(x): "N" for x in analysis.beats["sample"]}
    with pytest.raises(StoreError, match="not saved.*full"):
        s.save_review(sid, "A", "relabel template", ({first: "V"}, False), (every, False))
    s.close()
    again = StudyStore(f"sqlite:///{tmp_path / 'studies.sqlite'}", tmp_path)
    assert again.review(sid)["corrections"] == {first: "V"}
    assert list(again.audit_trail(sid)["action"]) == ["study added", "relabel beat"]
    again.close()


def test_blobs_are_content_addressed(tmp_path):
    b = Blobs(tmp_path)
    d = b.put(b"abc")
    assert d == sha256(b"abc") and b.put(b"abc") == d and b.get(d) == b"abc"
    assert b.path(d).stat().st_mode & 0o777 == 0o600
    b.path(d).write_bytes(b"abd")  # damaged on disk
    with pytest.raises(ValueError, match="damaged"):
        b.get(d)
    with pytest.raises(ValueError, match="SHA-256"):
        b.path("../../etc/passwd")
    b.remove(d)
    assert b.digests() == set()
