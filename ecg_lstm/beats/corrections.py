"""Reviewer corrections of beat labels, stored as WFDB annotation files.

A corrections file (default extension ``cor``, next to the record:
``<record>.cor``) holds *only the reviewed beats*, one annotation each, with the
MIT-BIH symbol of its AAMI class: N -> ``N``, S -> ``A``, V -> ``V``, F -> ``F``,
Q -> ``Q``. These are ordinary beat symbols, so PhysioNet tools and the
reference-annotation reader (``read_record(..., annotator="cor")`` then
``classifier.aami.reference_beats``) read them back as the same AAMI classes.
``analyze --labels cor`` and ``make train CORRECTIONS=DIR`` read this format.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MissingFileError, RecordError
from .aami import AAMI_MAP, CLASSES
from .ec57 import match_beats

DEFAULT_EXTENSION = "cor"
#: AAMI class -> MIT-BIH symbol written to the file.
SYMBOL = {"N": "N", "S": "A", "V": "V", "F": "F", "Q": "Q"}


def _check_extension(extension: str, write: bool = False) -> str:
    """wfdb writes letters only; PhysioNet annotators read may have digits and "_" ("pu0")."""
    ok = str(extension).isalpha() if write else str(extension).replace("_", "a").isalnum()
    if not extension or not ok or len(str(extension)) > 16:
        raise ValueError(f"annotation extension {extension!r} must be 1-16 letters"
                         f"{'' if write else ', digits or _'}, e.g. 'cor'")
    return str(extension)


def write_labels(out_dir, record_name: str, samples, labels, fs: float, extension: str = DEFAULT_EXTENSION) -> Path:
    """Write reviewed beats (``samples``: sample numbers at ``fs``; ``labels``: "N"/"S"/"V"/"F"/"Q")
    to ``<out_dir>/<record_name>.<extension>``; returns the path. Beats are written in time order;
    a beat given twice keeps its last label."""
    import wfdb

    extension = _check_extension(extension, write=True)
    samples = np.asarray(samples, dtype=np.int64).reshape(-1)
    labels = [str(x) for x in np.asarray(labels).reshape(-1)]
    if len(samples) != len(labels):
        raise ValueError(f"{len(samples)} samples but {len(labels)} labels: give one label per beat")
    bad = sorted({x for x in labels if x not in SYMBOL})
    if bad:
        raise ValueError(f"unknown beat label(s) {bad}: use one of {', '.join(CLASSES)}")
    if len(samples) == 0:
        raise ValueError("no reviewed beats to write")
    if samples.min() < 0:
        raise ValueError("sample numbers must not be negative")
    last = {int(s): lab for s, lab in zip(samples, labels)}  # last label of a beat wins
    s = np.array(sorted(last), dtype=np.int64)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    wfdb.wrann(record_name, extension, s, symbol=[SYMBOL[last[int(x)]] for x in s], fs=fs, write_dir=str(out_dir))
    return out_dir / f"{record_name}.{extension}"


def labels_path(record_path, extension: str = DEFAULT_EXTENSION, directory=None) -> Path:
    """Where the corrections of the record at ``record_path`` (with or without extension) live."""
    p = Path(record_path)
    stem = p.stem if p.suffix.lower() in (".hea", ".dat", ".edf", ".csv") else p.name
    return Path(directory or p.parent) / f"{stem}.{_check_extension(extension)}"


def read_labels(record_path, extension: str = DEFAULT_EXTENSION, directory=None) -> tuple[np.ndarray, np.ndarray]:
    """Sample numbers (sorted) and AAMI labels ("N".."Q") of the reviewed beats of a record.

    ``record_path``: the record (WFDB path without extension, or an .edf/.csv file); the file
    read is ``<directory or its folder>/<stem>.<extension>``. Non-beat annotations are skipped.
    """
    import wfdb

    path = labels_path(record_path, extension, directory)
    if not path.exists():
        raise MissingFileError(f"{path} not found: no corrections with extension {extension!r} for this record")
    try:
        ann = wfdb.rdann(str(path.with_suffix("")), path.suffix[1:])
    except Exception as e:  # wfdb raises bare exceptions on corrupt files
        raise RecordError(f"{path} is not a readable WFDB annotation file ({type(e).__name__})") from None
    sym = np.asarray(ann.symbol, dtype=object)
    keep = np.array([s in AAMI_MAP for s in sym], bool)
    samples = np.asarray(ann.sample, np.int64)[keep]
    labels = np.array([AAMI_MAP[s] for s in sym[keep]], dtype="<U1")
    order = np.argsort(samples, kind="stable")
    return samples[order], labels[order]


def match_labels(peaks, samples, labels, fs: float, tolerance_s: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Beat indices (into ``peaks``) and labels of the reviewed beats that fall within
    ``tolerance_s`` of a beat (closest first, one to one, as EC57 matches beats); reviewed beats
    with no beat near them are dropped."""
    samples, labels = np.asarray(samples, np.int64), np.asarray(labels)
    ri, di = match_beats(samples, np.asarray(peaks, np.int64), int(round(tolerance_s * fs)))
    return di, labels[ri]
