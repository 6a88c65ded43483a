"""Uploaded files (name -> bytes) to a :class:`~ecg_lstm.io.record.Record`.

The files are written to a private temporary folder (``ecg-lstm-upload-*``,
see :mod:`.tempfiles`), read with :func:`~ecg_lstm.io.read.read_record`, and the
folder is removed. Zip archives are unpacked straight to that folder, member by
member, with their folders flattened (so no member can land outside it) and
with a limit on the unpacked size counted while unpacking (zip bombs); nested
zips are refused. Nothing is held in memory beyond the upload itself.
"""
from __future__ import annotations

import contextlib
import io
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Union

from ..errors import ECGError, MalformedRecordError, MissingFileError, RecordError, UnsupportedFormatError
from .limits import DEFAULT_MAX_HOURS, check_header, check_size
from .limits import max_signal_mb as limit
from .read import FILE_SUFFIXES, read_record
from .record import Record
from .tempfiles import private_tempdir, remove
from .wfdb_header import MAX_HEADER_BYTES, channels_at_one_rate, parse_header

#: Largest total unpacked size of an uploaded zip, in bytes (a 24 h 12-lead 500 Hz record is ~1 GB).
MAX_UNZIPPED_BYTES = 1 << 30
#: Most files a zip may hold.
MAX_ZIP_MEMBERS = 1000
ACCEPTED = ("a WFDB record (.hea + .dat, optional annotation files such as .atr)", "a .zip of those",
            "one .edf, .csv, ISHNE .ecg, DICOM .dcm, or HL7 aECG / Philips .xml file")
#: What an uploaded file's data may be: its bytes, a binary file object, or a file on disk.
FileData = Union[bytes, bytearray, memoryview, BinaryIO, Path]
_IGNORED = {"RECORDS", "ANNOTATORS", "SHA256SUMS.txt", "LICENSE.txt", "README", "README.txt", "index.html"}


def read_files(files: dict[str, bytes], *, fs=None, annotator="atr", max_hours=48.0, lead=None,
               max_signal_mb=None):
    """Read one record from uploaded ``files``; see :func:`ecg_lstm.io.upload.read_record_from_files`."""
    with upload_folder(files, max_hours=max_hours, max_signal_mb=max_signal_mb) as (folder, main):
        return read_record(folder / main, lead=lead, annotator=annotator, fs=fs, max_hours=max_hours,
                           max_signal_mb=max_signal_mb)


@contextlib.contextmanager
def upload_folder(files: dict[str, FileData], *, max_hours=48.0, max_signal_mb=None):
    """The uploaded ``files`` written to a private temporary folder (:func:`store_files`), as
    ``(folder, name of the file to read)``; the folder is removed on leaving."""
    tmp = private_tempdir("upload")
    try:
        main, _ = store_files(files, tmp, max_hours=max_hours, max_signal_mb=max_signal_mb)
        yield tmp, main
    finally:
        remove(tmp)


def store_files(files: dict[str, FileData], folder: Path, *, max_hours=48.0,
                max_signal_mb=None) -> tuple[str, list[str]]:
    """Write the uploaded ``files`` into the empty ``folder`` (zips unpacked with the guards of
    :func:`_unzip`); return the name of the file to read (``read_record(folder / name)``) and the
    names of every file written.

    A file's data may be its bytes, a binary file object (read in 1 MB pieces from its start: an
    upload a web framework holds is copied to disk without a second copy in memory) or a
    :class:`~pathlib.Path` (copied). Raises :class:`~ecg_lstm.errors.ECGError` subclasses that say
    what to upload instead."""
    if not isinstance(files, dict) or not files:
        raise MissingFileError(f"no file was given; upload {_accepted()}")
    for name, data in files.items():
        if not isinstance(data, (bytes, bytearray, memoryview, Path)) and not hasattr(data, "read"):
            raise RecordError(f"{name!r}: expected the file's bytes, got {type(data).__name__}")
    names: list[str] = []
    try:
        for name, data in files.items():
            base = _safe_name(str(name))
            if base.lower().endswith(".zip"):
                _add(names, _unzip(base, data, folder, lambda: _check_headers(folder, max_hours, max_signal_mb)))
            else:
                _add(names, [base])
                _write(folder / base, data)
    except ECGError:
        raise
    except OSError as e:  # disk full, name refused by the file system
        raise RecordError(f"the uploaded files could not be stored for reading ({e.strerror}); "
                          "try again, or rename the files") from e
    return _main_file(folder, names), names


def _write(path: Path, data: FileData) -> None:
    if isinstance(data, Path):
        shutil.copyfile(data, path)
        return
    with open(path, "wb") as dst:
        if hasattr(data, "read"):
            data.seek(0)
            shutil.copyfileobj(data, dst, 1 << 20)
        else:
            dst.write(data)


def _main_file(folder: Path, files: list[str]) -> str:
    """The file to read in ``folder``: the one single-file record (.edf, .csv, .ecg, .dcm, .xml), else
    the WFDB record name (header stem).

    Renames a header "X.HEA" to "X.hea" (wfdb looks for ".hea" in lower case).
    """
    lower = {n: n.lower() for n in files}
    for ext in FILE_SUFFIXES:
        found = [n for n, low in lower.items() if low.endswith(ext)]
        if found:
            if len(found) > 1 or len(files) > 1:
                raise UnsupportedFormatError(f"upload one {ext} file on its own (got {', '.join(sorted(files))})")
            return found[0]
    heads = sorted(n[:-4] for n, low in lower.items() if low.endswith(".hea"))
    if not heads:
        if any(low.endswith(".dat") for low in lower.values()):
            raise MissingFileError("the .dat file came without its .hea header; upload both")
        raise UnsupportedFormatError(f"{', '.join(sorted(files))}: not a supported record; upload {_accepted()}")
    if len(heads) > 1:
        raise UnsupportedFormatError(f"the upload holds several records ({', '.join(heads[:5])}"
                                     f"{', ...' if len(heads) > 5 else ''}); upload one record at a time")
    stem = heads[0]
    header = next(n for n in files if n.lower() == stem.lower() + ".hea")
    if header != stem + ".hea":
        (folder / header).rename(folder / (stem + ".hea"))
        files[files.index(header)] = stem + ".hea"
    # Signal files named in the header may have other names than the record's.
    with open(folder / f"{stem}.hea", "rb") as f:
        lines = f.read(1 << 20).decode("utf-8", "replace").splitlines()
    named = {ln.split()[0] for ln in lines[1:] if ln.strip() and not ln.lstrip().startswith("#")}
    others = [n for n in files if not n.startswith(stem + ".") and n not in _IGNORED | named]
    if others:
        raise UnsupportedFormatError(f"{', '.join(sorted(others))}: not part of record {stem}; upload {_accepted()}")
    return stem


def _unzip(name: str, data, folder: Path, precheck=None) -> list[str]:
    """Unpack a zip's members into ``folder``, folders flattened; return their names.

    Refuses bombs (the unpacked size is counted, not trusted), nested zips,
    encrypted members and clashing names. WFDB headers are unpacked first and
    ``precheck()`` runs before the rest, so a record too long or too large for
    the limits is refused before its signal file is written out.
    """
    try:
        zf = zipfile.ZipFile(data if isinstance(data, Path) or hasattr(data, "read") else io.BytesIO(data))
        members = [m for m in zf.infolist() if not m.is_dir() and not _hidden(m.filename)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as e:
        raise UnsupportedFormatError(f"{name} is not a readable zip archive ({e}); zip the record files again, "
                                     "or upload them as they are") from e
    with zf:  # a file on disk is closed again
        if len(members) > MAX_ZIP_MEMBERS:
            raise RecordError(f"{name} holds {len(members)} files; upload a zip of one record")
        out: list[str] = []
        total = 0
        members.sort(key=lambda m: not m.filename.lower().endswith(".hea"))  # headers first
        checked = False
        for m in members:
            if precheck is not None and not checked and not m.filename.lower().endswith(".hea"):
                checked = True
                precheck()
            base = _safe_name(m.filename)
            if base.lower().endswith(".zip"):
                raise UnsupportedFormatError(f"{name} holds another zip ({base}); upload a zip of the record files")
            if m.flag_bits & 0x1:
                raise UnsupportedFormatError(f"{name} is encrypted; upload an unencrypted zip")
            _add(out, [base])
            # The declared sizes can lie: count what is actually unpacked.
            try:
                with zf.open(m) as f, open(folder / base, "wb") as dst:
                    while chunk := f.read(1 << 20):
                        total += len(chunk)
                        if total > MAX_UNZIPPED_BYTES:
                            raise RecordError(f"{name} unpacks to more than {MAX_UNZIPPED_BYTES >> 20} MB; "
                                              "upload the record files one by one")
                        dst.write(chunk)
            except RecordError:
                raise
            except OSError as e:
                if isinstance(e, (FileNotFoundError, PermissionError, IsADirectoryError)) or e.errno is not None:
                    raise
                raise MalformedRecordError(f"{name}: member {base} cannot be unpacked ({type(e).__name__}: {e}); "
                                           "zip the record files again") from e
            except Exception as e:  # corrupt member, unsupported compression, bad CRC
                raise MalformedRecordError(f"{name}: member {base} cannot be unpacked ({type(e).__name__}: {e}); "
                                           "zip the record files again") from e
        if not out:
            raise MissingFileError(f"{name} is empty; it should hold the record's .hea and .dat (and .atr) files")
        return out


def _check_headers(folder: Path, max_hours: float, max_signal_mb) -> None:
    """The length and decoded-size limits, from each WFDB header in ``folder`` (before its data arrive)."""
    for hea in folder.glob("*.[hH][eE][aA]"):
        if hea.stat().st_size > MAX_HEADER_BYTES:
            continue  # the reader says what is wrong with it
        try:
            h = parse_header(hea.read_bytes().decode("utf-8", "replace"), hea.name)
        except ECGError:
            continue  # likewise: reported when the record is read, with the files it names
        if h.sig_len is None or not h.fs:
            continue
        k, n_leads = 1, h.n_sig
        if h.seg_name is None:  # the channels the reader keeps, at their rate
            try:
                chans = channels_at_one_rate(h, h.samps_per_frame)
            except ECGError:
                continue
            k, n_leads = h.samps_per_frame[chans[0]], len(chans)
        check_header(hea.name, h.fs * k, h.sig_len * k, max_hours)
        check_size(hea.name, h.sig_len * k, n_leads, limit(max_signal_mb))


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


def _add(into: list[str], new: list[str]) -> None:
    for name in new:
        if name in into:
            raise UnsupportedFormatError(f"two files are named {name}; upload one record at a time")
        into.append(name)


def _accepted() -> str:
    return "; ".join(ACCEPTED)


def read_record_from_files(files: dict[str, bytes], *, fs: float | None = None, annotator: str | None = "atr",
                           max_hours: float = DEFAULT_MAX_HOURS, lead: str | int | None = None,
                           max_signal_mb: float | None = None) -> Record:
    """Read an uploaded record from ``{file name: bytes}``.

    Accepted: a WFDB record (.hea + .dat, optional annotation files), one .zip
    holding those, or one .edf, .csv, .ecg (ISHNE), .dcm (DICOM) or .xml (HL7 aECG,
    Philips Sierra) file. The files go to a private temporary
    folder (``ecg-lstm-upload-*``) that is removed before returning; see
    :mod:`ecg_lstm.io.tempfiles`. Other arguments as :func:`read_record`.
    """
    return read_files(files, fs=fs, annotator=annotator, max_hours=max_hours, lead=lead,
                      max_signal_mb=max_signal_mb)


def read_member(zf: zipfile.ZipFile, member: zipfile.ZipInfo, max_bytes: int, name: str) -> bytes:
    """One member of the uploaded zip ``name``, unpacked in memory with the guards of the record's
    members: refused when encrypted, when it declares more than ``max_bytes`` bytes, or when it
    unpacks to more (counted while unpacking: a zip's declared sizes can lie).

    Raises :class:`~ecg_lstm.errors.RecordError` (the message names the member, not a path).
    """
    base = _safe_name(member.filename)
    if member.flag_bits & 0x1:
        raise UnsupportedFormatError(f"{name}: {base} is encrypted; upload an unencrypted zip")
    too_big = f"{name}: {base} unpacks to more than {max_bytes:,} bytes; it was not unpacked"
    if member.file_size > max_bytes:
        raise RecordError(too_big)
    out = bytearray()
    try:
        with zf.open(member) as f:
            while chunk := f.read(min(1 << 20, max_bytes + 1 - len(out))):
                out += chunk
                if len(out) > max_bytes:
                    raise RecordError(too_big)
    except RecordError:
        raise
    except Exception as e:  # corrupt member, unsupported compression, bad CRC
        raise MalformedRecordError(f"{name}: member {base} cannot be unpacked ({type(e).__name__}); "
                                   "zip the files again") from e
    return bytes(out)
