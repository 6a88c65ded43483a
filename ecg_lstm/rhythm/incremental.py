"""Rhythm probabilities kept between corrections, so that relabelling one beat of a day does not
run the rhythm model over the whole day again.

A beat's label reaches the rhythm model only through its ectopic flag (S, V or F), and a flag is
read only by the windows of :data:`~.features.WINDOW` beats that hold it: relabelling a beat
changes the probabilities of the beats within one window of it and of no other.
:func:`beat_probs` keeps the last probabilities in a :class:`RhythmMemo` and runs the model again
only on those beats, from a slice of the record wide enough that their inputs (RR windows,
running median) are the ones the whole record gives.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .features import MEDIAN_HALF_WIDTH, ectopic_flags

#: Beats whose rhythm inputs are built and run at a time.
BLOCK_BEATS = 16_384


@dataclass
class RhythmMemo:
    """The rhythm model's beat probabilities for one record's beats (``peaks``), with the ectopic
    flags (and whether labels were given) they were computed from, and the model's fingerprint."""

    fingerprint: str = ""
    peaks: np.ndarray | None = None
    flags: np.ndarray | None = None
    labels_given: float = 0.0
    probs: np.ndarray | None = None

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
    probs, spans = None, []
    if memo is not None and memo.matches(fp, peaks, given) and n >= 4 * margin:
        spans = _spans(np.flatnonzero(flags != memo.flags), reach, n)
        # Past a third of the record (an Adapt that moves thousands of beats), one pass over all
        # beats costs less than many slices with their margins.
        if sum(b - a + 2 * margin for a, b in spans) <= n / 3:
            probs = memo.probs.copy()
    if probs is None and n < 4 * margin:
        probs, spans = rm.predict_beats(peaks, fs, labels), []
    elif probs is None:
        # Every beat, in blocks: the same probabilities, with the inputs of one block in memory
        # rather than a day's (the RR windows of 100,000 beats take 65 MB).
        spans = [(lo, min(n, lo + BLOCK_BEATS)) for lo in range(0, n, BLOCK_BEATS)]
    lab = None if labels is None else np.asarray(labels)
    for lo, hi in spans:
        a, b = max(0, lo - margin), min(n, hi + margin)
        part = rm.predict_beats(peaks[a:b], fs, None if lab is None else lab[a:b])[lo - a:hi - a]
        if probs is None:
            probs = np.empty((n, part.shape[1]), part.dtype)
        probs[lo:hi] = part
    if memo is not None:
        memo.fingerprint, memo.peaks, memo.flags, memo.labels_given, memo.probs = fp, peaks, flags, given, probs
    return probs


def _spans(changed: np.ndarray, reach: int, n: int) -> list[tuple[int, int]]:
    """The beats within ``reach`` of any ``changed`` index, as merged [lo, hi) spans."""
    out: list[list[int]] = []
    for c in changed:
        lo, hi = max(0, int(c) - reach), min(n, int(c) + reach + 1)
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(a, b) for a, b in out]
