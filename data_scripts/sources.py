"""Where a PhysioNet database is read from: PhysioNet itself, an http mirror, or a folder.

Every source is reached through wfdb's own remote-file layer (``wfdb.io._url``), which
opens http(s) URLs with a shared `requests` session (at most 2 connections, as wfdb
limits itself to be polite to PhysioNet) and ``file://`` URLs as plain files, so a
folder mirror goes through the same code path as a download. File URLs follow wfdb's
layout ``{db_index_url}/{db_dir}/{file}`` with ``db_dir = "{db}/{version}"``.
"""
from __future__ import annotations

import os
import posixpath
import re
import threading
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import requests.adapters
import requests.exceptions
from wfdb.io import _url
from wfdb.io import download as wfdb_download

from ecg_lstm.errors import DownloadError

PHYSIONET_URL = wfdb_download.PN_INDEX_URL
MIRROR_ENV = "ECG_MIRROR"
# (connect, read) timeouts in seconds; wfdb sets none, so a stalled server would hang forever.
TIMEOUT_S = (10.0, 60.0)
# Latest published versions of the databases ecg-lstm is used with, so that the common
# case needs no request to physionet.org/content (wfdb.get_version scrapes that page).
KNOWN_VERSIONS = {"mitdb": "1.0.0", "incartdb": "1.0.0", "afdb": "1.0.0", "nsrdb": "1.0.0", "svdb": "1.0.0"}
SUMS_FILE = "SHA256SUMS.txt"
_CHUNK = 1 << 16
# wfdb keeps its index URL in a module global, and two downloads into one folder would
# share its .part files: downloads in one process (dashboard sessions) take turns.
LOCK = threading.RLock()


@dataclass(frozen=True)
class Source:
    """A database on a server or disk: files are at ``{index_url}{db_dir}/{name}``."""

    index_url: str  # ends with "/"
    db_dir: str  # "mitdb/1.0.0", "mitdb" or "." (the index URL is the database folder)
    label: str  # for messages: "PhysioNet", the mirror URL or folder

    def url(self, name: str) -> str:
        """URL of one file of the database (``name`` relative to the database folder)."""
        if self.db_dir == ".":
            return posixpath.join(self.index_url, name)
        return posixpath.join(self.index_url, self.db_dir, name)

    @property
    def wfdb_dir(self) -> str:
        # wfdb.get_record_list asks physionet.org for the latest version when db_dir has
        # no "/", which would defeat a mirror; a trailing "/" keeps the URL unchanged.
        return self.db_dir.rstrip("/") + "/"


class _TimeoutAdapter(requests.adapters.HTTPAdapter):
    """wfdb's connection pool (2 connections, blocking) with a default timeout."""

    def __init__(self, timeout):
        self.timeout = timeout
        super().__init__(pool_maxsize=2, pool_block=True)

    def send(self, request, timeout=None, **kwargs):
        return super().send(request, timeout=timeout or self.timeout, **kwargs)


@contextmanager
def _timeouts():
    """Give wfdb's shared session a default timeout (``TIMEOUT_S``) for the duration of the block."""
    timeout = TIMEOUT_S
    with LOCK:
        session = _url._get_session()
        old_adapters = dict(session.adapters)
        for prefix in ("http://", "https://"):
            session.mount(prefix, _TimeoutAdapter(timeout))
        try:
            yield
        finally:
            session.adapters.clear()
            session.adapters.update(old_adapters)


@contextmanager
def wfdb_pointed_at(index_url: str):
    """Point wfdb's index URL at ``index_url`` (with timeouts), then restore it."""
    with LOCK, _timeouts():
        old_url = wfdb_download.config.db_index_url
        wfdb_download.set_db_index_url(index_url)
        try:
            yield
        finally:
            wfdb_download.set_db_index_url(old_url)


def _reason(e: Exception) -> str:
    """The OS-level cause inside a requests error ("Connection refused"), else its type."""
    m = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(e))
    return m.group(1).strip() if m else type(e).__name__


def _host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.netloc or urllib.request.url2pathname(parts.path)


@contextmanager
def network_errors(url: str):
    """Turn transport errors into DownloadError messages that say what to do."""
    try:
        yield
    except DownloadError:
        raise
    except requests.exceptions.Timeout as e:
        raise DownloadError(
            f"cannot reach {_host(url)}: no answer within {TIMEOUT_S[0]:g} s to connect / "
            f"{TIMEOUT_S[1]:g} s to read; check the connection, or set {MIRROR_ENV} (or --mirror) "
            "to a local copy of the database (a folder or an http URL)") from e
    except requests.exceptions.ConnectionError as e:
        raise DownloadError(
            f"cannot reach {_host(url)} ({_reason(e)}); check the connection, or set "
            f"{MIRROR_ENV} (or --mirror) to a local copy of the database (a folder or an http URL)"
        ) from e
    except requests.exceptions.RequestException as e:
        raise DownloadError(f"transfer of {url} failed ({type(e).__name__}); run the command again "
                            "to resume (verified files are kept)") from e
    except FileNotFoundError as e:
        raise DownloadError(f"{url} not found") from e
    except OSError as e:  # wfdb's NetFileError (HTTP 4xx/5xx) and local read errors
        raise DownloadError(f"cannot read {url}: {e}") from e


def iter_file(url: str) -> Iterator[bytes]:
    """Stream one file as chunks of bytes: one GET for http(s), a plain read for ``file://``.

    Transport errors surface as DownloadError while iterating; close the generator
    (``contextlib.closing``) if you stop early.
    """
    with network_errors(url), _timeouts():
        if urllib.parse.urlsplit(url).scheme == "file":
            with _url.openurl(url, "rb") as f:
                while chunk := f.read(_CHUNK):
                    yield chunk
        else:
            # RangeTransfer(url, 0, None) is wfdb's full-file GET, streamed as it arrives.
            with _url.RangeTransfer(url, 0, None) as xfer:
                for _, chunk in xfer.iter_chunks():
                    yield chunk


def read_small(url: str, missing_ok: bool = False) -> bytes | None:
    """Whole content of a small file (checksum list, RECORDS), or None if absent and ``missing_ok``."""
    try:
        return b"".join(iter_file(url))
    except DownloadError as e:
        if missing_ok and isinstance(e.__cause__, FileNotFoundError):
            return None
        raise


def _mirror_index(mirror: str) -> str:
    """Index URL (ending in "/") of a mirror given as an http(s) URL or a folder."""
    scheme = urllib.parse.urlsplit(mirror).scheme.lower()
    if scheme in ("http", "https"):
        return mirror.rstrip("/") + "/"
    if scheme == "file":
        mirror = urllib.request.url2pathname(urllib.parse.urlsplit(mirror).path)
    folder = Path(mirror).expanduser()
    if not folder.is_dir():
        raise DownloadError(f"mirror {mirror!r} is neither an http(s) URL nor an existing folder; "
                            f"fix --mirror or {MIRROR_ENV}")
    return folder.resolve().as_uri().rstrip("/") + "/"


def latest_version(db: str) -> str:
    """Latest published version of a PhysioNet database (asks physionet.org via wfdb if unknown)."""
    if db in KNOWN_VERSIONS:
        return KNOWN_VERSIONS[db]
    url = posixpath.join(wfdb_download.PN_CONTENT_URL, db) + "/"
    with network_errors(url), wfdb_pointed_at(PHYSIONET_URL):
        try:
            return wfdb_download.get_version(db)
        except FileNotFoundError as e:
            raise DownloadError(f"PhysioNet has no database {db!r} ({url} not found); "
                                "check the name with --db") from e
        except (IndexError, UnicodeDecodeError) as e:
            raise DownloadError(f"cannot tell the latest version of {db!r} from {url}; "
                                "give it with --version") from e


def resolve(db: str, version: str | None, mirror: str | None) -> tuple[Source, bytes]:
    """Find the database and return its source with the content of its SHA256SUMS.txt.

    ``mirror`` (else ``$ECG_MIRROR``, else PhysioNet) may be laid out like PhysioNet
    (``{mirror}/{db}/{version}/``), hold ``{db}/`` directly, or be the database folder itself;
    the first of these that has a SHA256SUMS.txt is used (for the last, ``version`` is unused).
    """
    mirror = mirror if mirror is not None else (os.environ.get(MIRROR_ENV) or None)
    if mirror is None:
        version = version or latest_version(db)
        source = Source(PHYSIONET_URL, f"{db}/{version}", "PhysioNet")
        sums = read_small(source.url(SUMS_FILE), missing_ok=True)
        if sums is None:
            raise DownloadError(f"PhysioNet has no database {db!r} version {version} "
                                f"({source.url(SUMS_FILE)} not found); check --db and --version")
        return source, sums
    index = _mirror_index(mirror)
    version = version or KNOWN_VERSIONS.get(db)
    tried = []
    for db_dir in ([f"{db}/{version}"] if version else []) + [db, "."]:
        source = Source(index, db_dir, mirror)
        tried.append(source.url(SUMS_FILE))
        sums = read_small(tried[-1], missing_ok=True)
        if sums is not None:
            return source, sums
    raise DownloadError(f"mirror {mirror} has no database {db!r}" + (f" version {version}" if version else "")
                        + f": none of {', '.join(tried)} exists (every file is checked against "
                        f"{SUMS_FILE}; copy it from PhysioNet along with the files)")
