"""Opening the study database: where it is, checks before anything is written, migrations.

SQLite by default: a file ``studies.sqlite`` in the store's folder, created on first use
with mode 0600 (it may hold patient fields). PostgreSQL when the URL says so
(``postgresql+psycopg://user@host/db``, from ``ECG_STUDY_DB`` or ``--db``). The same tables,
queries and migrations serve both.

Before a migration touches an existing SQLite file, it is checked: a file that is not SQLite
(corrupt, or another kind of file), or a SQLite database that is not a study store, is
refused with a :class:`StoreError` and left exactly as it is.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ..errors import ECGError
from ..paths import ROOT

#: Environment variables: the database URL, and the folder of the store's files.
DB_ENV, FILES_ENV = "ECG_STUDY_DB", "ECG_STUDY_FILES"
MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Seconds a SQLite writer waits for another (another browser session, a batch) before giving up.
BUSY_TIMEOUT_S = 15


class StoreError(ECGError):
    """The study store cannot be opened or cannot save: the message says why and what to do."""


def default_folder() -> Path:
    """The store's folder: ``$ECG_STUDY_FILES``, else ``data/studies`` in the project folder."""
    return Path(os.environ.get(FILES_ENV) or ROOT / "data" / "studies")


def default_url(folder: Path | None = None) -> str:
    """``$ECG_STUDY_DB``, else a SQLite file in the store's folder."""
    return os.environ.get(DB_ENV) or f"sqlite:///{(folder or default_folder()) / 'studies.sqlite'}"


def shown(url: str) -> str:
    """The URL as it may be shown: without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (a URL SQLAlchemy cannot parse is shown as a kind only)
        return "the database URL given"


def connect(url: str):
    """An engine on ``url``, its schema brought to the newest version. Raises :class:`StoreError`
    when the database cannot be reached, is not a study store, or was written by a newer version."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        u = make_url(url)
    except ArgumentError:
        raise StoreError(f"{url!r} is not a database URL: give sqlite:///path/studies.sqlite or "
                         "postgresql+psycopg://user@host/database") from None
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            raise StoreError("the study store needs a SQLite file, not an in-memory database")
        _prepare_sqlite_file(Path(u.database))
    elif u.get_backend_name() != "postgresql":
        raise StoreError(f"the study store runs on SQLite or PostgreSQL, not {u.get_backend_name()}")
    try:
        engine = create_engine(u, pool_pre_ping=True,
                               **({"connect_args": {"timeout": BUSY_TIMEOUT_S}} if u.get_backend_name() == "sqlite"
                                  else {"connect_args": {"connect_timeout": 5}}))
    except (NoSuchModuleError, ImportError) as e:
        raise StoreError(f"no driver for {shown(url)} ({e}); PostgreSQL needs psycopg "
                         "(pip install -r requirements.txt)") from None
    if u.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    upgrade(engine, url)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL: readers (the worklist, another tab) never wait for a writer. synchronous=FULL: a commit
    # is on disk when it returns, so a kill -9 or a power cut loses nothing shown as saved.
    # foreign_keys: deleting a study deletes its rows (ON DELETE CASCADE), as on PostgreSQL.
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _prepare_sqlite_file(path: Path) -> None:
    """Create the file (0600, folder 0700) if it is not there; refuse one that is not a study store."""
    path = path.expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as e:
            raise StoreError(f"the study database {path} cannot be created ({e.strerror})") from None
        return
    if not path.is_file():
        raise StoreError(f"{path} is not a file; set {DB_ENV} to a SQLite file or a PostgreSQL URL")
    with open(path, "rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head and head != SQLITE_MAGIC:
        raise StoreError(f"{path} is not a SQLite database (corrupt, or another kind of file); it was left as it "
                         f"is. Move it away, or set {DB_ENV} to another file")
    if not head:
        return  # an empty file: a new database
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            con.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path} is a damaged SQLite database ({e}); it was left as it is. Restore it from a "
                         f"backup, or set {DB_ENV} to another file") from None
    if tables and not {"alembic_version", "study"} <= tables:
        raise StoreError(f"{path} is a SQLite database of something else (tables: {', '.join(sorted(tables)[:5])}); "
                         f"it was left as it is. Set {DB_ENV} to another file")


def upgrade(engine, url: str) -> None:
    """Bring the schema to the newest migration (nothing when it is there already)."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect
    from sqlalchemy.exc import DBAPIError

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    known = {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
    try:
        with engine.begin() as conn:
            tables = set(inspect(conn).get_table_names())
            if tables and not {"alembic_version", "study"} <= tables:
                raise StoreError(f"the database at {shown(url)} holds other tables "
                                 f"({', '.join(sorted(tables)[:5])}); give an empty database for the study store")
            if "alembic_version" in tables:
                from sqlalchemy import text

                have = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
                newer = [v for v in have if v not in known]
                if newer:
                    raise StoreError(f"the study store at {shown(url)} was written by a newer version of ecg-lstm "
                                     f"(schema {newer[0]}); update ecg-lstm to open it")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except DBAPIError as e:
        raise StoreError(f"the study store at {shown(url)} cannot be reached or opened "
                         f"({_first_line(e.orig)})") from None


def _first_line(err) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
