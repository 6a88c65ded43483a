"""Download a PhysioNet database into ``<out>/<db>/``, every file verified by SHA-256.

    python -m data_scripts.download [--db mitdb] [--out data] [--mirror URL_OR_FOLDER]
                                    [--records 100 101 ...] [--version 1.0.0] [--quiet]

The source is PhysioNet, or ``--mirror`` / ``$ECG_MIRROR``: an http(s) URL laid out like
PhysioNet (``{mirror}/{db}/{version}/``) or pointing at the database folder itself, or a
local folder (the database folder, or a parent holding ``{db}/`` or ``{db}/{version}/``).
Files already present and verified are skipped, damaged ones are fetched again, and a
file only gets its final name once its checksum matches (see ``verify.py``), so running
the command again after an interruption resumes it. Nothing is sent anywhere except the
file requests themselves.
"""
from __future__ import annotations

import argparse
import logging
import os
import posixpath
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import wfdb
from tqdm import tqdm
from wfdb.io import download as wfdb_download

from ecg_lstm.errors import DownloadError

from .sources import LOCK, MIRROR_ENV, SUMS_FILE, Source, resolve, wfdb_pointed_at
from .verify import fetch_verified, is_verified, parse_sums, safe_name

log = logging.getLogger("data_scripts.download")
METADATA = ("RECORDS", "ANNOTATORS")  # kept beside the records so the folder is itself a mirror


@dataclass(frozen=True)
class Summary:
    """What a download did: the database folder and how many files were fetched or kept."""

    path: Path
    n_files: int
    n_fetched: int
    source: str


class _Sync:
    """Makes files of ``dest`` match the checksum list, fetching from ``source`` (None: check only)."""

    def __init__(self, dest: Path, sums: dict[str, str], source: Source | None):
        self.dest, self.sums, self.source = dest, sums, source
        self.n_files = self.n_fetched = 0

    def ensure(self, name: str) -> None:
        """Make ``dest/name`` a verified copy: keep it, or fetch it (again)."""
        sha = self.sums.get(name)
        if sha is None:
            raise DownloadError(f"{name} is not listed in {SUMS_FILE} of {self.dest.name}, so it cannot be verified")
        path = self.dest / name
        self.n_files += 1
        if is_verified(path, sha):
            return
        if self.source is None:
            raise DownloadError(f"{path} is missing or does not match its checksum")
        if path.exists():
            log.warning("%s does not match its checksum; downloading it again", path)
            path.unlink()
        fetch_verified(self.source.url(name), path, sha)
        self.n_fetched += 1

    def record(self, rec: str, annotators: Iterable[str]) -> None:
        """Header(s), signal files and annotation files of one record (as wfdb.dl_database lists them)."""
        folder = posixpath.dirname(rec)
        self.ensure(rec + ".hea")
        header = self._header(rec)
        if isinstance(header, wfdb.MultiRecord):
            for seg in header.seg_name:
                if seg == "~":  # a gap between segments
                    continue
                seg = posixpath.join(folder, safe_name(seg))
                self.ensure(seg + ".hea")
                if not seg.endswith("_layout"):  # the layout header has no signal file
                    self._signals(seg, self._header(seg))
        else:
            self._signals(rec, header)
        for ext in annotators:
            if f"{rec}.{ext}" in self.sums:  # not every record has every annotator
                self.ensure(f"{rec}.{ext}")

    def _header(self, rec: str):
        try:
            return wfdb.rdheader(str(self.dest / rec))
        except Exception as e:  # noqa: BLE001 - wfdb raises assorted errors on a bad header
            raise DownloadError(f"cannot read header {self.dest / rec}.hea: {e}") from e

    def _signals(self, rec: str, header) -> None:
        folder = posixpath.dirname(rec)
        for name in dict.fromkeys(header.file_name or []):  # several signals may share a file
            self.ensure(posixpath.join(folder, safe_name(name)))


def _local_lists(dest: Path) -> tuple[list[str], list[str]]:
    """Record names (RECORDS) and annotator extensions (ANNOTATORS) of the verified local copy."""
    with wfdb_pointed_at(dest.resolve().as_uri() + "/"):
        try:
            records = wfdb_download.get_record_list("./")
        except ValueError as e:
            raise DownloadError(f"{dest.name} has no RECORDS file; give the records with --records") from e
        return records, wfdb_download.get_annotators("./", "all") or []


def _run(sync: _Sync, records: list[str] | None, progress: bool | None, desc: str) -> None:
    for name in METADATA:
        if name in sync.sums:
            sync.ensure(name)
    listed, annotators = _local_lists(sync.dest)
    if records is None:
        records = []
        for rec in listed:
            if rec.endswith("/"):  # a sub-database with its own RECORDS
                sync.ensure(rec + "RECORDS")
                with wfdb_pointed_at(sync.dest.resolve().as_uri() + "/"):
                    records += [posixpath.join(rec, r) for r in wfdb_download.get_record_list(rec)]
            else:
                records.append(rec)
        records = [safe_name(r, "record name") for r in records]
    for rec in records:
        if f"{rec}.hea" not in sync.sums:
            raise DownloadError(f"record {rec!r} is not in {desc} (no {rec}.hea in its {SUMS_FILE})")
    with tqdm(records, desc=desc, unit="record", disable=None if progress is None else not progress) as bar:
        for rec in bar:
            bar.set_postfix_str(rec, refresh=False)
            sync.record(rec, annotators)


def _check_args(db: str, version: str | None, records) -> tuple[str, str | None, list[str] | None]:
    if not isinstance(db, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", db):
        raise DownloadError(f"{db!r} is not a PhysioNet database name (e.g. mitdb, incartdb)")
    if version is not None and not re.fullmatch(r"[0-9][0-9A-Za-z._-]*", version):
        raise DownloadError(f"{version!r} is not a database version (e.g. 1.0.0)")
    if isinstance(records, str):
        records = [records]
    if records is not None:
        records = [safe_name(str(r).strip(), "record name") for r in records]
        if not records:
            raise DownloadError("no record names given")
    return db, version, records


def _write_atomic(path: Path, content: bytes) -> None:
    """Write a small file through ``path.part`` + ``os.replace`` (never half-written)."""
    if path.is_file() and path.read_bytes() == content:
        return
    part = path.with_name(path.name + ".part")
    with open(part, "wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.replace(part, path)


def download(db: str = "mitdb", out: str | Path = "data", *, mirror: str | None = None,
             records: Iterable[str] | None = None, version: str | None = None,
             progress: bool | None = None) -> Summary:
    """Download (or complete, or repair) ``db`` into ``out/db`` and verify every file.

    Parameters
    ----------
    db : PhysioNet database name, e.g. "mitdb" (MIT-BIH Arrhythmia) or "incartdb".
    out : parent folder; files go to ``out/db/`` (created if needed).
    mirror : http(s) URL or folder replacing PhysioNet; default ``$ECG_MIRROR``, else PhysioNet.
    records : record names to fetch (default: all in RECORDS). Header, signal and annotation files are fetched.
    version : database version (default: the latest; unused when the mirror is the database folder).
    progress : show a progress bar (None: only on a terminal).

    Raises DownloadError when the source cannot be reached, lacks the database, or a file
    still fails verification after a second attempt.
    """
    db, version, records = _check_args(db, version, records)
    with LOCK:
        return _download(db, Path(out), mirror, records, version, progress)


def _download(db, out, mirror, records, version, progress) -> Summary:
    source, sums_text = resolve(db, version, mirror)
    dest = out / db
    log.info("%s: from %s (%s) into %s", db, source.label, source.url(""), dest)
    sums = parse_sums(sums_text, source.url(SUMS_FILE))
    dest.mkdir(parents=True, exist_ok=True)
    _write_atomic(dest / SUMS_FILE, sums_text)
    sync = _Sync(dest, sums, source)
    _run(sync, records, progress, db)
    log.info("%s: %d files verified in %s (%d downloaded, %d already present)",
             db, sync.n_files, dest, sync.n_fetched, sync.n_files - sync.n_fetched)
    return Summary(dest, sync.n_files, sync.n_fetched, source.label)


def ensure_records(db: str = "mitdb", records: Iterable[str] = ("100", "119", "203", "208", "233"),
                   out: str | Path = "data", mirror: str | None = None) -> Path:
    """Make sure ``records`` of ``db`` are in ``out/db`` (verified) and return that folder.

    Works offline when they are already there; otherwise downloads just those records from
    ``mirror`` / ``$ECG_MIRROR`` / PhysioNet. Raises DownloadError when that fails.
    """
    db, _, records = _check_args(db, None, list(records) if not isinstance(records, str) else records)
    dest = Path(out) / db
    with LOCK:
        if (dest / SUMS_FILE).is_file():
            try:
                sync = _Sync(dest, parse_sums((dest / SUMS_FILE).read_bytes(), str(dest / SUMS_FILE)), None)
                _run(sync, records, False, db)
                return dest
            except DownloadError as e:
                log.info("%s; downloading", e)
        return download(db, out, mirror=mirror, records=records, progress=False).path


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    p = argparse.ArgumentParser(
        prog="python -m data_scripts.download",
        description="Download a PhysioNet database into OUT/DB, verified against its SHA256SUMS.txt.")
    p.add_argument("--db", default="mitdb", help="database name (default: mitdb, MIT-BIH Arrhythmia)")
    p.add_argument("--out", default="data", help="parent folder of the database folder (default: data)")
    p.add_argument("--mirror", default=None,
                   help=f"http(s) URL or folder to use instead of PhysioNet (default: ${MIRROR_ENV})")
    p.add_argument("--records", nargs="+", default=None, metavar="NAME", help="only these records (default: all)")
    p.add_argument("--version", default=None, help="database version (default: the latest, 1.0.0 for mitdb)")
    p.add_argument("--quiet", action="store_true", help="print errors only")
    args = p.parse_args(argv)
    if not log.handlers:  # our messages only: wfdb logs every request at INFO
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        download(args.db, args.out, mirror=args.mirror, records=args.records, version=args.version,
                 progress=False if args.quiet else None)
    except DownloadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; run the command again to resume (verified files are kept)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
