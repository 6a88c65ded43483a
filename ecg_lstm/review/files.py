"""A review's corrections as a WFDB annotation file (``.cor``, reviewed beats only), in bytes:
what a browser uploads or downloads, or what lies beside a local record. The file format, its
record identity and the checks on reading are ``ecg_lstm.beats.corrections``.

wfdb writes files, not bytes: a download goes through a private temporary folder, removed at
once (or at exit if the process stops). Reading parses the bytes themselves, so no message
ever names a temporary path.
"""
from __future__ import annotations

import io
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..beats.corrections import BYTES_PER_ANNOTATION, HEAD_BYTES, MAX_BEATS_PER_S
from ..errors import ECGError
from ..io.limits import DEFAULT_MAX_HOURS
from .state import touch

#: Largest corrections file unpacked from an uploaded zip, in bytes: what the longest record read
#: (DEFAULT_MAX_HOURS at MAX_BEATS_PER_S, two annotations per beat) could need, about 28 MB. The
#: bound of the record itself (``beats.corrections.max_bytes``) applies before the file is parsed.
MAX_COR_BYTES = HEAD_BYTES + BYTES_PER_ANNOTATION * (2 * math.ceil(DEFAULT_MAX_HOURS * 3600 * MAX_BEATS_PER_S) + 16)
#: What the page says after a refusal: the record itself is fine.
WITHOUT = "The record is shown without these corrections."


def read_corrections(data: bytes, plain, file_name: str = "the corrections file") -> tuple[np.ndarray, np.ndarray]:
    """Sample numbers and labels ("N".."Q") of a corrections file given as bytes, checked against
    the record of ``plain`` (its analysis as opened: record, lead and beats); raises a
    :class:`~ecg_lstm.errors.CorrectionsError` naming ``file_name`` when the file cannot be used."""
    c = _checked(data, plain, file_name)
    return c.samples, c.labels


def _checked(data: bytes, plain, file_name: str):
    from ..beats.corrections import labels_from_bytes

    return labels_from_bytes(data, plain.record, lead=plain.lead_index,
                             peaks=plain.beats["sample"].to_numpy(np.int64), shown_as=file_name)


def corrections_bytes(analysis, rev: dict, plain=None) -> bytes:
    """The reviewed beats of ``rev`` as a WFDB annotation file (``.cor``) at the rate of
    ``analysis.record``, bound to that record and its analysed lead (its identity), as bytes.
    Beats the reviewer added (a label where ``plain``, the analysis as opened, has no beat) carry
    the note "added"; deleted and artefact beats are written as ``|`` (``beats.corrections``)."""
    from ..beats.corrections import write_labels
    from ..beats.record_identity import record_identity
    from ..io.tempfiles import private_tempdir, remove

    items = sorted(rev["corrections"].items())
    added = set(rev.get("added", ()))  # beats the reviewer added: written with the note "added"
    if "added" in analysis.beats:
        added |= set(analysis.beats["sample"].to_numpy(np.int64)[analysis.beats["added"].to_numpy(bool)].tolist())
    if plain is not None:
        have = plain.beats["sample"].to_numpy(np.int64)
        cand = np.array([s for s, lab in items if lab not in ("X", "~")], np.int64)
        added |= set(cand[~np.isin(cand, have)].tolist())
    identity = record_identity(analysis.record, analysis.lead_index)
    tmp = private_tempdir("cor")
    try:
        # Named "record", not after the record: its name may hold characters a file name cannot.
        path = write_labels(tmp, "record", [s for s, _ in items], [lab for _, lab in items], analysis.record.fs,
                            identity=identity, added=added)
        return path.read_bytes()
    finally:
        remove(tmp)


def save_beside(record_path, analysis, rev: dict) -> Path:
    """Write the corrections of ``rev`` (see :func:`corrections_bytes`) as ``<record>.cor`` beside the
    local record at ``record_path``; returns the path. Written to a new file then renamed over the
    old one: a symbolic link there is replaced, never written through, and no reader ever finds half
    a file. Raises OSError when the folder is not writable."""
    from ..beats.corrections import labels_path

    target = labels_path(record_path)
    data = corrections_bytes(analysis, rev)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return target


def local_corrections(record_path, plain) -> tuple[bytes, str] | None:
    """The bytes and name of the ``.cor`` file beside the local record at ``record_path`` (None when
    there is none), read within the limits of the record of ``plain`` (its analysis as opened).

    A symbolic link, anything but a regular file, or a file larger than the record's corrections
    could need raises a :class:`~ecg_lstm.errors.CorrectionsError` before anything is read.
    """
    from ..beats.corrections import checked_bytes, labels_path
    from ..errors import MissingFileError

    cor = labels_path(record_path)
    try:
        return checked_bytes(cor, plain.record, n_beats=len(plain.beats), shown_as=cor.name), cor.name
    except MissingFileError:
        return None


def split_corrections(files: dict[str, bytes]) -> tuple[dict[str, bytes], tuple[bytes | None, str] | None]:
    """Uploaded files ({name: bytes}) without their ``.cor`` file, and that file (bytes, name) if
    there was one (also looked for inside a zip, whose bytes are passed on unchanged).

    A ``.cor`` inside a zip is unpacked with the zip guards of the record reader
    (``io.upload.read_member``), at most :data:`MAX_COR_BYTES`; one that is larger, or cannot be
    unpacked, comes back as ``(None, name)``: :func:`load_corrections` says why it was not used."""
    from ..io.upload import MAX_ZIP_MEMBERS, read_member

    record = {n: b for n, b in files.items() if not n.lower().endswith(".cor")}
    cor: list[tuple[bytes | None, str]] = [(b, n) for n, b in files.items() if n.lower().endswith(".cor")]
    for n, b in record.items():
        if n.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(b)) as zf:
                    members = zf.infolist()
                    if len(members) > MAX_ZIP_MEMBERS:
                        continue  # the reader refuses the zip
                    for m in members:
                        name = Path(m.filename.replace("\\", "/")).name
                        if name.lower().endswith(".cor") and not name.startswith(".") and not m.is_dir():
                            try:
                                cor.append((read_member(zf, m, MAX_COR_BYTES, n), name))
                            except ECGError:
                                cor.append((None, name))
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
                pass  # the reader reports a bad zip
    return record, (cor[0] if cor else None)


@dataclass(frozen=True)
class Loaded:
    """What became of a corrections file opened with its record: a sentence for the reviewer,
    and whether it is an error (the file could not be used)."""

    message: str
    error: bool = False


def load_corrections(rev: dict, plain, data: bytes | None, file_name: str) -> Loaded:
    """Put the corrections of a ``.cor`` file (``data``, named ``file_name``) that came with the
    record into ``rev``, matched to the beats of ``plain`` (the analysis as opened; within 150 ms,
    as EC57 matches beats) and adapted to: unless ``rev`` already holds corrections, which are kept.

    The file is checked against the record first (``beats.corrections.labels_from_bytes``: size,
    identity, end mark, beats); ``rev`` is left as it was when it is refused, and the message
    (an error) says why. ``data`` None: a zip member that could not be unpacked within the limits.
    """
    if rev["corrections"]:
        return Loaded(f"The {len(rev['corrections'])} corrections of the record already made (this session's, or "
                      f"saved in its study) are kept; {file_name} was not loaded over them.")
    if data is None:
        return Loaded(f"{file_name} was not unpacked from the zip: it is encrypted, damaged, or larger than "
                      f"the corrections of any record could need ({MAX_COR_BYTES:,} bytes). {WITHOUT}", error=True)
    try:
        c = _checked(data, plain, file_name)
    except ECGError as e:
        return Loaded(f"{e}. {WITHOUT}", error=True)
    from ..beats.corrections import TOLERANCE_S, match_labels

    peaks = plain.beats["sample"].to_numpy(np.int64)
    fs = plain.record.fs
    added = {s: lab for s, lab in c.edits.items() if lab not in ("X", "~")}
    kept = ~np.isin(c.samples, np.fromiter(added, np.int64, len(added)))
    c.samples, c.labels = c.samples[kept], c.labels[kept]
    idx, labs = match_labels(peaks, c.samples, c.labels, fs)
    rev["corrections"] = {int(peaks[i]): str(lab) for i, lab in zip(idx, labs)}
    gone = {s: lab for s, lab in c.edits.items() if lab in ("X", "~")}
    gi, glabs = match_labels(peaks, np.fromiter(gone, np.int64, len(gone)), np.array(list(gone.values())), fs)
    rev["corrections"].update({int(peaks[i]): str(lab) for i, lab in zip(gi, glabs)})
    rev["corrections"].update(added)
    rev["added"] = set(added)
    rev["adapted"] = bool(rev["corrections"])
    rev["loaded_from"] = file_name
    touch(rev)
    notes = c.notes()
    missed = len(c.samples) - len(idx)
    if missed:
        # One to one, as EC57: a reviewed beat near no beat, or a second one near a beat already taken.
        near = np.searchsorted(peaks, c.samples)
        gap = np.minimum(np.abs(c.samples - peaks[np.clip(near - 1, 0, len(peaks) - 1)]),
                         np.abs(c.samples - peaks[np.clip(near, 0, len(peaks) - 1)])) if len(peaks) else None
        far = int((gap > round(TOLERANCE_S * fs)).sum()) if gap is not None else len(c.samples)
        if far:
            notes.append(f"{far:,} reviewed beats match no beat here (none within {TOLERANCE_S * 1000:.0f} ms) "
                         "and were left out")
        if missed - far:
            notes.append(f"{missed - far:,} reviewed beats share their nearest beat with another reviewed beat "
                         "and were left out")
    edits = f" ({len(gi)} deleted or artefact, {len(added)} added)" if len(gi) or added else ""
    return Loaded(f"{len(idx)} reviewed beats{edits} loaded from {file_name}; the rest of the record is relabelled "
                  "from them (Adapt)." + "".join(f" {n[0].upper()}{n[1:]}." for n in notes))
