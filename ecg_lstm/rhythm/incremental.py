"""Rhythm probabilities kept between corrections, so that relabelling one beat of a day does not
run the rhythm model over the whole day again.

A beat's label reaches the rhythm model only through its ectopic flag (S, V or F), and a flag is
read only by the windows of :data:`~.features.WINDOW` beats that hold it: relabelling a beat
changes the probabilities of the beats within one window of it and of no other.
:func:`beat_probs` keeps the last probabilities in a :class:`RhythmMemo` and runs the model again
only on those beats, from a slice of the record wide enough that their inputs (RR windows,
running median) are the ones the whole record gives.

An Adapt moves the flags of tens of thousands of beats spread over a day, and slices with their
margins would then cover it several times over. For a :class:`~.predict.RhythmClassifier` run as
is, the inputs are then built once for the whole record and the model runs only on the beats
whose window holds a changed flag, the others keeping their probabilities. Half of building the
inputs is the irregularity of each RR window (:func:`~.features.window_features`, mostly COSEn),
which does not depend on the labels: the memo keeps it (28 bytes a beat, 3 MB for a day) once
built, so a recompute builds only the label channels of the sequences. Another rhythm object (a
wrapper, another implementation) is run through its own ``predict_beats``, slice by slice, or
over all beats past a third of the record.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .features import (
    MEDIAN_HALF_WIDTH,
    beat_sequence,
    ectopic_flags,
    rr_seconds,
    rr_windows,
    sequence_windows,
    window_features,
)
from .labels import CLASSES
from .predict import RhythmClassifier, validate_beats

#: Beats whose rhythm inputs are built and run at a time.
BLOCK_BEATS = 16_384
#: Beats in the slices (changed spans with their margins) up to which a :class:`RhythmClassifier`
#: is run slice by slice: a few corrections cost less that way than building the inputs of a whole day.
SLICE_BEATS = 2_048


@dataclass
class RhythmMemo:
    """The rhythm model's beat probabilities for one record's beats (``peaks``), with the ectopic
    flags (and whether labels were given) they were computed from, and the model's fingerprint."""

    fingerprint: str = ""
    peaks: np.ndarray | None = None
    flags: np.ndarray | None = None
    labels_given: float = 0.0
    probs: np.ndarray | None = None
    #: The label-free window features (float32, n x 7) of ``peaks`` and their (fs, window); kept in
    #: memory only (not saved with an analysis): built again at the first recompute that needs them.
    feat: np.ndarray | None = None
    feat_key: tuple = ()

    def matches(self, fingerprint: str, peaks: np.ndarray, labels_given: float) -> bool:
        return (self.probs is not None and self.fingerprint == fingerprint and labels_given == self.labels_given
                and self.peaks is not None and len(self.peaks) == len(peaks) and np.array_equal(self.peaks, peaks))


def model_fingerprint(rm) -> str:
    """SHA-256 of the rhythm model's weights and window (kept on the model after the first call):
    probabilities remembered from other weights are never reused."""
    fp = getattr(rm, "_fingerprint", None)
    if fp is None:
        h = hashlib.sha256(str(getattr(rm, "window", "")).encode())
        for name, t in sorted(rm.model.state_dict().items()):
            h.update(name.encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
        fp = h.hexdigest()
        try:
            rm._fingerprint = fp
        except AttributeError:  # an object that takes no new attributes: hash again next time
            pass
    return fp


def beat_probs(rm, peaks: np.ndarray, fs: float, labels=None, memo: RhythmMemo | None = None) -> np.ndarray:
    """``rm.predict_beats(peaks, fs, labels)``, computed again only where it can differ from the
    probabilities in ``memo`` (same beats, same model); ``memo`` is updated to the result."""
    peaks = np.asarray(peaks, np.int64)
    n = len(peaks)
    flags, given = ectopic_flags(labels, n)
    fp = model_fingerprint(rm) if memo is not None else ""
    reach = int(rm.window)  # a flag is read by the windows of the beats this close to it
    margin = reach + MEDIAN_HALF_WIDTH + 2  # beats whose inputs differ at the edge of a slice
    direct = _runs_as_is(rm)
    lab = None if labels is None else np.asarray(labels)
    probs, spans = None, None  # spans: the beats to compute again, None for all
    if memo is not None and memo.feat is not None and not (
            memo.peaks is not None and len(memo.peaks) == n and np.array_equal(memo.peaks, peaks)):
        memo.feat, memo.feat_key = None, ()  # the features of other beats
    if memo is not None and memo.matches(fp, peaks, given) and n >= 4 * margin:
        spans = _spans(np.flatnonzero(flags != memo.flags), reach, n)
        probs = memo.probs.copy()
    if n < 4 * margin:
        probs = rm.predict_beats(peaks, fs, labels)
    elif spans is not None and sum(b - a + 2 * margin for a, b in spans) <= (SLICE_BEATS if direct else n / 3):
        _run_slices(rm, peaks, fs, lab, spans, margin, probs)
    elif direct:
        validate_beats(peaks, fs, labels)
        rows = None if spans is None else np.flatnonzero(_covered(spans, n))
        probs = _run_rows(rm, peaks, float(fs), flags, given, rows, probs, memo)
    else:
        # Every beat, in blocks: the same probabilities, with the inputs of one block in memory
        # rather than a day's (the RR windows of 100,000 beats take 65 MB).
        probs = _run_slices(rm, peaks, fs, lab, [(lo, min(n, lo + BLOCK_BEATS)) for lo in range(0, n, BLOCK_BEATS)],
                            margin, None)
    if memo is not None:
        memo.fingerprint, memo.peaks, memo.flags, memo.labels_given, memo.probs = fp, peaks, flags, given, probs
    return probs


def _runs_as_is(rm) -> bool:
    """Whether ``rm`` is a :class:`RhythmClassifier` whose ``predict_beats`` is its own: its inputs
    can then be built here and given to ``probs_from_inputs``."""
    return isinstance(rm, RhythmClassifier) and type(rm).predict_beats is RhythmClassifier.predict_beats


def _run_slices(rm, peaks, fs, lab, spans, margin: int, probs):
    """``probs`` with the beats of ``spans`` run again through ``rm.predict_beats``, each from a
    slice ``margin`` beats wider each side (the inputs the whole record gives); a new array when
    ``probs`` is None."""
    n = len(peaks)
    for lo, hi in spans:
        a, b = max(0, lo - margin), min(n, hi + margin)
        part = rm.predict_beats(peaks[a:b], fs, None if lab is None else lab[a:b])[lo - a:hi - a]
        if probs is None:
            probs = np.empty((n, part.shape[1]), part.dtype)
        probs[lo:hi] = part
    return probs


def _run_rows(rm, peaks, fs: float, flags, given: float, rows, probs, memo: RhythmMemo | None):
    """``probs`` with the beats ``rows`` (all when None; a new array then) run again through the
    model, from the inputs of the whole record: the sequences built from ``flags``, the window
    features taken from ``memo`` (built there first when it has none for these beats)."""
    n, w = len(peaks), int(rm.window)
    rr = rr_seconds(peaks, fs)
    seq = sequence_windows(beat_sequence(rr, flags, given).astype(np.float32), w)  # a view: (n, w, C)
    feat = None
    if memo is not None:
        key = (fs, w)
        if memo.feat is None or memo.feat_key != key or len(memo.feat) != n:
            memo.feat, memo.feat_key = _features(rr, w, None), key
        feat = memo.feat
    if probs is None:
        probs = np.empty((n, len(CLASSES)), np.float32)
    for i in range(0, n if rows is None else len(rows), BLOCK_BEATS):
        j = slice(i, min(n, i + BLOCK_BEATS)) if rows is None else rows[i:i + BLOCK_BEATS]
        f = feat[j] if feat is not None else _features(rr, w, j)
        probs[j] = rm.probs_from_inputs(np.ascontiguousarray(seq[j]), f)
    return probs


def _features(rr: np.ndarray, window: int, rows) -> np.ndarray:
    """:func:`~.features.window_features` (float32) of the beats ``rows`` (all when None), in blocks."""
    win = rr_windows(rr, window)
    if rows is not None:
        return window_features(win[rows]).astype(np.float32)
    out = None
    for lo in range(0, len(win), BLOCK_BEATS):
        part = window_features(win[lo:lo + BLOCK_BEATS]).astype(np.float32)
        if out is None:
            out = np.empty((len(win), part.shape[1]), np.float32)
        out[lo:lo + len(part)] = part
    return out


def _covered(spans, n: int) -> np.ndarray:
    """Boolean mask of the beats in ``spans``."""
    d = np.zeros(n + 1, np.int64)
    if spans:
        lo, hi = np.asarray(spans, np.int64).T
        np.add.at(d, lo, 1)
        np.add.at(d, hi, -1)
    return np.cumsum(d[:-1]) > 0


def _spans(changed: np.ndarray, reach: int, n: int) -> list[tuple[int, int]]:
    """The beats within ``reach`` of any ``changed`` index (increasing), as merged [lo, hi) spans."""
    c = np.asarray(changed, np.int64)
    if len(c) == 0:
        return []
    lo, hi = np.maximum(c - reach, 0), np.minimum(c + reach + 1, n)
    new = np.r_[True, lo[1:] > hi[:-1]]  # a span starts where the last one ended before it
    return list(zip(lo[new].tolist(), hi[np.r_[new[1:], True]].tolist()))
