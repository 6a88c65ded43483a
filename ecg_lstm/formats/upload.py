"""Uploaded files (name -> bytes) to a :class:`~ecg_lstm.record.Record`.

The files are written to a temporary folder, read with
:func:`~ecg_lstm.record.read_record`, and the folder is removed. Zip archives
are unpacked with their folders flattened (so no member can land outside the
temporary folder) and with a limit on the unpacked size (zip bombs).
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from ..errors import MalformedRecordError, MissingFileError, RecordError, UnsupportedFormatError

#: Largest total unpacked size of an uploaded zip, in bytes (a 24 h 12-lead 500 Hz record is ~1 GB).
MAX_UNZIPPED_BYTES = 1 << 30
#: Most files a zip may hold.
MAX_ZIP_MEMBERS = 1000
ACCEPTED = ("a WFDB record (.hea + .dat, optional annotation files such as .atr)", "a .zip of those",
            "one .edf file", "one .csv file")
_IGNORED = {"RECORDS", "ANNOTATORS", "SHA256SUMS.txt", "LICENSE.txt", "README", "README.txt", "index.html"}


def read_files(files: dict[str, bytes], *, fs=None, annotator="atr", max_hours=48.0, lead=None):
    """Read one record from uploaded ``files``; see :func:`ecg_lstm.record.read_record_from_files`."""
    from ..record import read_record

    if not isinstance(files, dict) or not files:
        raise MissingFileError(f"no file was given; upload {_accepted()}")
    flat: dict[str, bytes] = {}
    for name, data in files.items():
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise RecordError(f"{name!r}: expected the file's bytes, got {type(data).__name__}")
        base = _safe_name(str(name))
        if base.lower().endswith(".zip"):
            _add(flat, _unzip(base, bytes(data)))
        else:
            _add(flat, {base: bytes(data)})
    main = _main_file(flat)
    with tempfile.TemporaryDirectory(prefix="ecg-upload-") as tmp:
        try:
            for name, data in flat.items():
                (Path(tmp) / name).write_bytes(data)
        except OSError as e:  # disk full, name refused by the file system
            raise RecordError(f"the uploaded files could not be stored for reading ({e.strerror}); "
                              "try again, or rename the files") from e
        return read_record(Path(tmp) / main, lead=lead, annotator=annotator, fs=fs, max_hours=max_hours)


def _main_file(files: dict[str, bytes]) -> str:
    """The file to read: the one .edf or .csv, else the WFDB record name (header stem).

    Renames a header "X.HEA" to "X.hea" in ``files``.
    """
    lower = {n: n.lower() for n in files}
    for ext in (".edf", ".csv"):
        found = [n for n, low in lower.items() if low.endswith(ext)]
        if found:
            if len(found) > 1 or len(files) > 1:
                raise UnsupportedFormatError(f"upload one {ext} file on its own (got {', '.join(sorted(files))})")
            return found[0]
    heads = sorted(n[:-4] for n, low in lower.items() if low.endswith(".hea"))
    for n in [n for n, low in lower.items() if low.endswith(".hea") and not n.endswith(".hea")]:
        files[n[:-4] + ".hea"] = files.pop(n)  # wfdb looks for ".hea" in lower case
    if not heads:
        if any(low.endswith(".dat") for low in lower.values()):
            raise MissingFileError("the .dat file came without its .hea header; upload both")
        raise UnsupportedFormatError(f"{', '.join(sorted(files))}: not a supported record; upload {_accepted()}")
    if len(heads) > 1:
        raise UnsupportedFormatError(f"the upload holds several records ({', '.join(heads[:5])}"
                                     f"{', ...' if len(heads) > 5 else ''}); upload one record at a time")
    stem = heads[0]
    # Signal files named in the header may have other names than the record's.
    lines = files[f"{stem}.hea"].decode("latin-1").splitlines()
    named = {ln.split()[0] for ln in lines[1:] if ln.strip() and not ln.lstrip().startswith("#")}
    others = [n for n in files if not n.startswith(stem + ".") and n not in _IGNORED | named]
    if others:
        raise UnsupportedFormatError(f"{', '.join(sorted(others))}: not part of record {stem}; upload {_accepted()}")
    return stem


def _unzip(name: str, data: bytes) -> dict[str, bytes]:
    """Members of a zip, folders flattened; refuses bombs, nested zips and clashing names."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in zf.infolist() if not m.is_dir() and not _hidden(m.filename)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        raise UnsupportedFormatError(f"{name} is not a readable zip archive ({e}); zip the record files again, "
                                     "or upload them as they are") from e
    if len(members) > MAX_ZIP_MEMBERS:
        raise RecordError(f"{name} holds {len(members)} files; upload a zip of one record")
    out: dict[str, bytes] = {}
    total = 0
    for m in members:
        base = _safe_name(m.filename)
        if base.lower().endswith(".zip"):
            raise UnsupportedFormatError(f"{name} holds another zip ({base}); upload a zip of the record files")
        if m.flag_bits & 0x1:
            raise UnsupportedFormatError(f"{name} is encrypted; upload an unencrypted zip")
        # The declared sizes can lie: count what is actually unpacked.
        chunks = []
        try:
            with zf.open(m) as f:
                while chunk := f.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_UNZIPPED_BYTES:
                        raise RecordError(f"{name} unpacks to more than {MAX_UNZIPPED_BYTES >> 20} MB; "
                                          "upload the record files one by one")
                    chunks.append(chunk)
        except RecordError:
            raise
        except Exception as e:  # corrupt member, unsupported compression
            raise MalformedRecordError(f"{name}: member {base} cannot be unpacked ({type(e).__name__}: {e}); "
                                       "zip the record files again") from e
        _add(out, {base: b"".join(chunks)})
    if not out:
        raise MissingFileError(f"{name} is empty; it should hold the record's .hea and .dat (and .atr) files")
    return out


def _safe_name(name: str) -> str:
    """Last path component only (no folders, no '..'), or an error."""
    base = PurePosixPath(name.replace("\\", "/")).name
    if not base or base in (".", "..") or "\x00" in base:
        raise UnsupportedFormatError(f"{name!r} is not a usable file name; rename the file")
    return base


def _hidden(name: str) -> bool:
    """macOS resource forks and dot files (folders are flattened, so '..' parts are harmless)."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.name.startswith(".") or "__MACOSX" in path.parts


def _add(into: dict[str, bytes], new: dict[str, bytes]) -> None:
    for name, data in new.items():
        if name in into:
            raise UnsupportedFormatError(f"two files are named {name}; upload one record at a time")
        into[name] = data


def _accepted() -> str:
    return "; ".join(ACCEPTED)
