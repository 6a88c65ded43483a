"""A review's corrections as a WFDB annotation file (``.cor``, reviewed beats only), in bytes:
what a browser uploads or downloads. The file format is ``ecg_lstm.beats.corrections``.

wfdb reads and writes files, not bytes: each goes through a private temporary folder,
removed at once (or at exit if the process stops).
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ECGError
from .state import touch

#: The corrections file inside a zip is read only below this size (bytes): a zip bomb is not.
MAX_COR_BYTES = 64 << 20


def read_corrections(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Sample numbers and labels ("N".."Q") of a corrections file given as bytes."""
    from ..beats.corrections import read_labels
    from ..io.tempfiles import private_tempdir, remove

    tmp = private_tempdir("cor")
    try:
        # Named "record", not after the record: its name may hold characters a file name cannot.
        (tmp / "record.cor").write_bytes(data)
        return read_labels(tmp / "record")
    finally:
        remove(tmp)


def corrections_bytes(analysis, rev: dict) -> bytes:
    """The reviewed beats of ``rev`` as a WFDB annotation file (``.cor``) at the rate of
    ``analysis.record``, as bytes."""
    from ..beats.corrections import write_labels
    from ..io.tempfiles import private_tempdir, remove

    items = sorted(rev["corrections"].items())
    tmp = private_tempdir("cor")
    try:
        path = write_labels(tmp, "record", [s for s, _ in items], [lab for _, lab in items], analysis.record.fs)
        return path.read_bytes()
    finally:
        remove(tmp)


def split_corrections(files: dict[str, bytes]) -> tuple[dict[str, bytes], tuple[bytes, str] | None]:
    """Uploaded files ({name: bytes}) without their ``.cor`` file, and that file (bytes, name) if
    there was one (also looked for inside a zip, whose bytes are passed on unchanged)."""
    record = {n: b for n, b in files.items() if not n.lower().endswith(".cor")}
    cor = [(b, n) for n, b in files.items() if n.lower().endswith(".cor")]
    for n, b in record.items():
        if n.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(b)) as zf:
                    for m in zf.infolist():
                        if m.filename.lower().endswith(".cor") and m.file_size < MAX_COR_BYTES:
                            cor.append((zf.read(m), Path(m.filename).name))
            except (zipfile.BadZipFile, OSError, ValueError, EOFError):
                pass  # the reader reports a bad zip
    return record, (cor[0] if cor else None)


@dataclass(frozen=True)
class Loaded:
    """What became of a corrections file opened with its record: a sentence for the reviewer,
    and whether it is an error (the file could not be used)."""

    message: str
    error: bool = False


def load_corrections(rev: dict, plain, data: bytes, file_name: str) -> Loaded:
    """Put the corrections of a ``.cor`` file (``data``, named ``file_name``) that came with the
    record into ``rev``, matched to the beats of ``plain`` (the analysis as opened; within 150 ms,
    as EC57 matches beats) and adapted to: unless ``rev`` already holds corrections, which are kept.
    ``rev`` is left as it was when the file cannot be read or holds no beat annotation."""
    if rev["corrections"]:
        return Loaded(f"This session's {len(rev['corrections'])} corrections of the record are kept; "
                      f"{file_name} was not loaded over them.")
    try:
        samples, labels = read_corrections(data)
    except (ECGError, OSError) as e:
        return Loaded(f"{file_name} could not be read: {e}", error=True)
    if not len(samples):
        return Loaded(f"{file_name} could not be read as corrections: it holds no beat annotation; "
                      "the record is shown without corrections.", error=True)
    from ..beats.corrections import match_labels

    peaks = plain.beats["sample"].to_numpy(np.int64)
    idx, labs = match_labels(peaks, samples, labels, plain.record.fs)
    rev["corrections"] = {int(peaks[i]): str(lab) for i, lab in zip(idx, labs)}
    rev["adapted"] = bool(rev["corrections"])
    rev["loaded_from"] = file_name
    touch(rev)
    missed = len(samples) - len(idx)
    return Loaded(f"{len(idx)} reviewed beats loaded from {file_name}; the rest of the record is "
                  "relabelled from them (Adapt)." + (f" {missed} reviewed beats match no beat here "
                                                     "and were left out." if missed else ""))
