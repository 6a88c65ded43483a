"""A real PostgreSQL server for the tests and the benchmark: started in a temporary folder,
on a free loopback port, stopped and removed at the end.

``$ECG_TEST_POSTGRES_URL`` (a ``postgresql+psycopg://`` URL of a server where the user may
create databases) is used when set. Otherwise Debian's ``postgresql`` package is looked for
(``.ci/run`` installs it): ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin``. As
root, they run as the ``postgres`` user (``initdb`` refuses root). pytest-postgresql does the
same with its own process fixture but cannot run as root, which CI is; hence these lines.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid

URL_ENV = "ECG_TEST_POSTGRES_URL"


def binaries() -> tuple[str, str] | None:
    """(initdb, pg_ctl), or None when PostgreSQL is not installed."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True) + [""]:
        initdb = os.path.join(folder, "initdb") if folder else shutil.which("initdb")
        pg_ctl = os.path.join(folder, "pg_ctl") if folder else shutil.which("pg_ctl")
        if initdb and pg_ctl and os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    return None


def why_not() -> str | None:
    """Why no server can be had here (None: one can)."""
    if os.environ.get(URL_ENV):
        return None
    if binaries() is None:
        return ("PostgreSQL is not installed (apt-get install postgresql; .ci/run does), and "
                f"{URL_ENV} is not set")
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server():
    """Yields the URL of a PostgreSQL server (its ``postgres`` database) for this run."""
    if os.environ.get(URL_ENV):
        yield os.environ[URL_ENV]
        return
    initdb, pg_ctl = binaries()
    folder = tempfile.mkdtemp(prefix="ecg-pg-")
    data = os.path.join(folder, "data")
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    run = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=folder)
    try:
        subprocess.run(prefix + [initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8"], **run)
        # -F: no fsync (a test server; the store's own durability is tested on SQLite's file).
        opts = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -F"
        subprocess.run(prefix + [pg_ctl, "-D", data, "-o", opts, "-w", "-t", "60", "-l",
                                 os.path.join(folder, "log"), "start"], **run)
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(prefix + [pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_database(url: str) -> str:
    """A new, empty database on the server at ``url``; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "ecg_" + uuid.uuid4().hex[:12]
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)
