"""Files kept by their content: a record's original files and signed reports, each stored once.

``<folder>/blobs/ab/abcdef…`` holds the bytes whose SHA-256 is ``abcdef…``: the same file
added by two studies is stored once, and a file's name says what its content must hash to.
Written to a temporary name then renamed (a reader never finds half a file), mode 0600 in
folders 0700. Who uses a blob is the database's business (``study_file``, ``signed_report``):
:class:`Blobs` only stores, reads and removes.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def sha256(data: bytes | Path) -> str:
    """SHA-256 of ``data``: bytes, or a file read in 1 MB pieces (a day's upload is never whole in memory)."""
    if not isinstance(data, Path):
        return hashlib.sha256(data).hexdigest()
    h = hashlib.sha256()
    with open(data, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def size(data: bytes | Path) -> int:
    return data.stat().st_size if isinstance(data, Path) else len(data)


class Blobs:
    """Content-addressed files under ``folder/blobs``."""

    def __init__(self, folder: str | Path):
        self.root = Path(folder) / "blobs"

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a SHA-256 digest: {digest!r}")
        return self.root / digest[:2] / digest

    def put(self, data: bytes | Path) -> str:
        """Store ``data`` (bytes, or a file's content copied from disk) once; returns its SHA-256."""
        digest = sha256(data)
        target = self.path(digest)
        if target.is_file() and target.stat().st_size == size(data):
            return digest
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_name(f".{digest}.{os.getpid()}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                if isinstance(data, Path):
                    with open(data, "rb") as src:
                        shutil.copyfileobj(src, f, 1 << 20)
                else:
                    f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes of ``digest``; FileNotFoundError when absent, ValueError when they no longer hash to it."""
        data = self.path(digest).read_bytes()
        if sha256(data) != digest:
            raise ValueError(f"the stored file {digest[:12]}… is damaged (its content no longer matches its hash)")
        return data

    def remove(self, digest: str) -> None:
        path = self.path(digest)
        path.unlink(missing_ok=True)
        try:
            path.parent.rmdir()  # the last file of its prefix folder
        except OSError:
            pass

    def digests(self) -> set[str]:
        """Every digest stored (for checks and tests)."""
        return {p.name for p in self.root.glob("??/*") if not p.name.startswith(".")}
