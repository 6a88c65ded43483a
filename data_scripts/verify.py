"""Checksums and atomic writes for downloaded database files.

wfdb's own downloader (``wfdb.dl_database``) checks only file sizes and appends to
partial files in place, so a broken or tampered transfer can look complete. Here every
file is hashed while it streams into ``<name>.part``, compared with the database's
SHA256SUMS.txt, and only then renamed to its final name (``os.replace`` is atomic).
"""
from __future__ import annotations

import hashlib
import itertools
import os
import re
from contextlib import closing
from pathlib import Path, PurePosixPath

from ecg_lstm.errors import DownloadError

from .sources import iter_file

_SHA_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *]?(.+)$")
ATTEMPTS = 2  # a file that fails verification is fetched once more before giving up


def safe_name(name: str, what: str = "file name") -> str:
    """Check a name from the network or the user stays inside the database folder."""
    p = PurePosixPath(name)
    if not name or p.is_absolute() or ".." in p.parts or "\\" in name or not re.fullmatch(r"[\w.+/-]+", name):
        raise DownloadError(f"refusing unsafe {what} {name!r} (expected e.g. '100' or '100.hea')")
    return str(p)


def parse_sums(text: bytes, where: str) -> dict[str, str]:
    """``{file name: sha256 hex}`` from the content of a SHA256SUMS.txt (``sha256sum`` format)."""
    sums = {}
    for i, line in enumerate(text.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        m = _SHA_LINE.match(line.strip())
        if not m:
            raise DownloadError(f"{where} line {i} is not '<sha256> <file>'; the checksum list is damaged")
        sums[safe_name(m.group(2))] = m.group(1).lower()
    if not sums:
        raise DownloadError(f"{where} lists no files")
    return sums


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def is_verified(path: Path, sha: str) -> bool:
    """True if ``path`` is a regular file whose SHA-256 is ``sha``."""
    return path.is_file() and sha256_file(path) == sha


def fetch_verified(url: str, dest: Path, sha: str) -> None:
    """Download ``url`` to ``dest`` through ``dest.part``; rename only if its SHA-256 is ``sha``.

    Retries once on a checksum mismatch; never leaves ``dest`` or ``dest.part`` behind on failure.
    """
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(ATTEMPTS):
        h = hashlib.sha256()
        try:
            with closing(iter_file(url)) as chunks:
                first = next(chunks, b"")  # fail on a missing file before creating the .part
                # "wb" truncates: a .part left by an interrupted run is never resumed or trusted.
                with open(part, "wb") as f:
                    for chunk in itertools.chain([first], chunks):
                        f.write(chunk)
                        h.update(chunk)
                    f.flush()
                    os.fsync(f.fileno())
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        if h.hexdigest() == sha:
            os.replace(part, dest)
            return
        part.unlink(missing_ok=True)
    raise DownloadError(f"{dest.name} from {url} does not match its SHA-256 in SHA256SUMS.txt "
                        f"after {ATTEMPTS} attempts; the source copy is damaged or incomplete "
                        "(use another mirror, or PhysioNet)")
