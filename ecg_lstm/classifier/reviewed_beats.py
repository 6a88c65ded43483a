"""Records with reviewer corrections as extra training data (``make train CORRECTIONS=DIR``).

``DIR`` holds corrections files ``<record>.cor`` (see ``ecg_lstm.beats.corrections``)
and, beside each, the record itself (``<record>.hea``/``.dat``, ``.edf`` or
``.csv``), or the record lives in the MIT-BIH folder. Every beat of such a
record enters training (the network reads sequences of consecutive beats),
but only the *reviewed* beats carry a label: the others get ``IGNORE``, which
the loss skips (``nn.CrossEntropyLoss``'s ``ignore_index``), so an unreviewed
beat is never taught as anything. Beat positions: the record's beats found by
the detector, a reviewed beat replacing the detection within 150 ms of it, and
reviewed beats without a detection added.

Each corrections file is checked against its record before training reads a label (see
``ecg_lstm.beats.corrections``): one written for another record, cut short or too large stops
training with a message naming it.

DS2 (and the paced records, and the DS1 records held out for validation) never
enter training: a corrections file named after one of them is refused, and so is
a record whose first 10 s equal one of theirs in the MIT-BIH folder (a renamed copy).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..beats.aami import CLASS_INDEX, DS2, PACED, VALIDATION
from ..beats.corrections import match_labels, read_labels
from ..errors import MissingFileError
from ..io.read import FILE_SUFFIXES, read_record
from ..signal.peaks import ecg_peaks
from .dataset import BeatSet
from .features import FeatureConfig, beat_features

#: Label of a beat nobody reviewed: skipped by the loss (PyTorch's default ignore_index).
IGNORE = -100


def correction_records(directory, extension: str = "cor") -> list[str]:
    """Names of the records with a corrections file in ``directory`` (sorted)."""
    d = Path(directory)
    if not d.is_dir():
        from ..errors import MissingFileError

        raise MissingFileError(f"corrections folder {d} not found; give a folder of <record>.{extension} files")
    return sorted(p.stem for p in d.glob(f"*.{extension}"))


def check_not_evaluation(names) -> None:
    """Refuse DS2, paced and validation records by name: they must never be trained on."""
    bad = sorted(set(names) & set(DS2 + PACED + VALIDATION))
    if bad:
        raise ValueError(f"corrections of records {bad} cannot be used for training: DS2 and the paced records are "
                         f"kept for evaluation and {', '.join(VALIDATION)} for validation; remove their .cor files")


def check_not_ds2_signal(rec, data_dir, seconds: float = 10.0) -> None:
    """Refuse a corrected record whose signal is a DS2 record's under another name: its first
    ``seconds`` equal those of a DS2 record of the MIT-BIH folder (when the folder is there)."""
    import wfdb

    n = int(seconds * rec.fs)
    head = rec.signal[:n]
    if len(head) < n:
        return
    for name in DS2 + PACED + VALIDATION:
        if not (Path(data_dir) / f"{name}.hea").exists():
            continue
        ref = wfdb.rdrecord(str(Path(data_dir) / name), sampto=n)
        if abs(ref.fs - rec.fs) > 1e-6 or ref.p_signal.shape[1] == 0:
            continue
        for j in range(min(head.shape[1], ref.p_signal.shape[1])):
            for k in range(ref.p_signal.shape[1]):
                if np.allclose(head[:, j], ref.p_signal[:, k], atol=1e-3, equal_nan=True):
                    raise ValueError(f"corrected record {rec.name} holds the signal of evaluation record {name}: "
                                     "DS2, paced and validation records cannot be used for training")


def _record_path(name: str, directory: Path, data_dir: Path) -> Path:
    for base in (directory, data_dir):
        for suffix in (".hea", *FILE_SUFFIXES):
            if (base / f"{name}{suffix}").exists():
                return base / (name if suffix == ".hea" else f"{name}{suffix}")

    raise MissingFileError(f"record {name} of the corrections is neither in {directory} nor in {data_dir}")


def record_with_corrections(path, directory, extension: str = "cor", cfg: FeatureConfig = FeatureConfig(),
                            data_dir=None):
    """(windows, features, labels, samples) of one corrected record; unreviewed beats labelled ``IGNORE``.
    With ``data_dir`` (the MIT-BIH folder), a DS2 record's signal under another name is refused."""
    rec = read_record(path, annotator=None)
    if data_dir is not None:
        check_not_ds2_signal(rec, data_dir)
    ecg = rec.lead()
    peaks, _ = ecg_peaks(ecg, rec.fs)
    peaks = np.asarray(peaks, np.int64)
    # Checked against this record: its identity, or (a file without one) its beats against these peaks.
    samples, labels = read_labels(path, extension, directory, record=rec, peaks=peaks)
    di, lab = match_labels(peaks, samples, labels, rec.fs)
    y = np.full(len(peaks), IGNORE, np.int64)
    y[di] = [CLASS_INDEX[x] for x in lab]
    peaks[di] = samples[np.searchsorted(samples, peaks[di])] if len(di) else peaks[di]  # reviewed position wins
    unmatched = np.setdiff1d(samples, peaks[di]) if len(di) else samples
    keep = (unmatched >= 0) & (unmatched < rec.n_samples)
    extra_lab = labels[np.searchsorted(samples, unmatched[keep])]
    peaks = np.concatenate([peaks, unmatched[keep]])
    y = np.concatenate([y, [CLASS_INDEX[x] for x in extra_lab]]).astype(np.int64)
    order = np.argsort(peaks, kind="stable")
    peaks, y = peaks[order], y[order]
    w, f = beat_features(ecg, rec.fs, peaks, cfg)
    return w, f, y, peaks


def load_corrections(directory, data_dir, cfg: FeatureConfig = FeatureConfig(), extension: str = "cor") -> BeatSet:
    """A :class:`BeatSet` of every corrected record in ``directory`` (DS2 refused before anything is read)."""
    directory, data_dir = Path(directory), Path(data_dir)
    names = correction_records(directory, extension)
    check_not_evaluation(names)
    parts = [record_with_corrections(_record_path(n, directory, data_dir), directory, extension, cfg, data_dir)
             for n in names]
    sizes = [len(p[2]) for p in parts]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    if not parts:
        return BeatSet([], offsets, np.zeros((0, 2, cfg.window), np.float32), np.zeros((0, 28), np.float32),
                       np.zeros(0, np.int64), np.zeros(0, np.int64))
    return BeatSet(names, offsets, *[np.concatenate([p[k] for p in parts]) for k in range(4)])


def concat(a: BeatSet, b: BeatSet) -> BeatSet:
    """The beats of ``a`` then those of ``b``."""
    if not b.records:
        return a
    return BeatSet(a.records + b.records, np.concatenate([a.offsets, a.offsets[-1] + b.offsets[1:]]).astype(np.int64),
                   *[np.concatenate([getattr(a, k), getattr(b, k)]) for k in ("windows", "rr", "labels", "samples")])
