"""The review of one record as a plain dict: the reviewer's corrections and their undo history.

A review is ``{"corrections": {sample: label}, "history": [...], "adapted": bool,
"loaded_from": file name or None}``: sample numbers of the reviewed beats (at the record's
rate) and their class letters, or :data:`DELETED` (the detection was no beat) or
:data:`ARTEFACT` (a beat inside a span marked as artefact): both leave the beats counted; a
class letter at a sample where the analysis has no beat is a beat the reviewer added; whether
the rest of the record is relabelled from them ("Adapt"); the ``.cor`` file they came from.
A plain dict, so that a caller may keep it wherever it keeps state
(the dashboard: the browser session) and test it without a page.
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..beats.aami import CLASSES

#: The labels a reviewer gives: the AAMI classes.
LABELS = CLASSES
#: Code of a deleted beat, and of a beat inside a span marked as artefact: neither is a beat of
#: the analysis any more (counts, burden, HRV and events leave it out).
DELETED, ARTEFACT = "X", "~"
#: What a correction may hold: a class, or one of the two codes above.
CODES = (*CLASSES, DELETED, ARTEFACT)
#: Undo steps kept per record.
MAX_UNDO = 200


def new_review() -> dict:
    """A review without corrections."""
    return {"corrections": {}, "history": [], "adapted": False, "loaded_from": None}


def correct(rev: dict, samples, label: str) -> int:
    """Label the beats at ``samples`` (sample numbers) as ``label``; one undo step. Returns
    how many beats changed (none: no undo step)."""
    if label not in LABELS:
        raise ValueError(f"unknown beat label {label!r}: use one of {', '.join(LABELS)}")
    return _set(rev, samples, label)


def delete(rev: dict, samples) -> int:
    """Delete the beats at ``samples`` (a detection that is no beat, or a beat added by mistake);
    one undo step. Returns how many changed."""
    return _set(rev, samples, DELETED)


def mark_artefact(rev: dict, samples) -> int:
    """Mark the beats at ``samples`` (those of a span) as artefact; one undo step."""
    return _set(rev, samples, ARTEFACT)


def add_beat(rev: dict, sample: int, label: str = "N") -> int:
    """Add a beat the detector missed at ``sample`` (snapped to its R peak by the caller:
    ``review.edits.snap_to_r``) with ``label``; one undo step."""
    return correct(rev, [int(sample)], label)


def _set(rev: dict, samples, label: str) -> int:
    samples = [int(s) for s in np.atleast_1d(samples)]
    changed = sum(rev["corrections"].get(s) != label for s in samples)
    if changed:
        _push(rev)
        rev["corrections"].update({s: label for s in samples})
        touch(rev)
    return changed


def adapt(rev: dict) -> None:
    """Relabel the rest of the record from the corrections (one undo step)."""
    if rev["corrections"] and not rev["adapted"]:
        _push(rev)
        rev["adapted"] = True
        touch(rev)


def undo(rev: dict) -> bool:
    """Back one step (a correction, a template relabel or an adaptation); False when there is none."""
    if not rev["history"]:
        return False
    rev["corrections"], rev["adapted"] = rev["history"].pop()
    touch(rev)
    return True


def clear(rev: dict) -> None:
    """Drop every correction and the adaptation (the analysis as opened), as a change."""
    rev["corrections"], rev["adapted"] = {}, False
    touch(rev)


def touch(rev: dict) -> None:
    """Mark the corrections changed (their signature is computed again)."""
    rev["version"] = rev.get("version", 0) + 1


def _push(rev: dict) -> None:
    rev["history"].append((dict(rev["corrections"]), rev["adapted"]))
    del rev["history"][:-MAX_UNDO]


def signature(rev: dict | None, as_shipped: bool = False) -> str:
    """Short hash of what the labels depend on (corrections, whether adapted to them, and
    whether the model's own labels are taken as shipped rather than adapted to the record);
    "" for the analysis as opened. Kept in ``rev`` until the corrections change (a relabelled
    24 h template holds some 100,000 beats)."""
    sig = ""
    if rev and rev["corrections"]:
        key = rev.get("version", 0)
        if rev.get("_sig", (None,))[0] != key:
            items = sorted(rev["corrections"].items())
            rev["_sig"] = (key, hashlib.sha256(repr((items, rev["adapted"])).encode()).hexdigest()[:10])
        sig = rev["_sig"][1]
    return ("s" + sig) if as_shipped else sig
