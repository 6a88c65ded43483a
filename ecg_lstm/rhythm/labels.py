"""MIT-BIH rhythm annotations -> rhythm classes, per beat and as intervals.

A rhythm annotation (symbol ``+``) carries its rhythm in ``aux_note``
(``"(AFIB"``, ``"(N"``, ...); the rhythm holds from that annotation until the
next one.  The split (DS1 trains, DS2 evaluates) is the beat classifier's,
de Chazal et al. 2004, imported so both models share it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..beats.aami import AAMI_MAP, DS1, DS2

#: Output classes of the rhythm model, in probability-column order.  Atrial
#: flutter is merged into "AFIB" for training: DS1 holds one flutter record
#: (203, 314 s), too little to learn flutter apart from fibrillation from RR.
CLASSES = ("N", "AFIB", "OTHER")
CLASS_INDEX = {c: i for i, c in enumerate(CLASSES)}

#: Rhythm code (aux_note without "(") -> training class.  Every other code is "OTHER".
CODE_TO_CLASS = {"N": "N", "AFIB": "AFIB", "AFL": "AFIB"}
#: Codes whose RR sequence is that of sinus rhythm: they differ from it only
#: in QRS morphology (pre-excitation, WPW), so an RR model cannot see them and
#: they are left out of the training loss rather than taught as noise.
RR_INVISIBLE = ("PREX",)
#: Episode labels counted as AF burden (the rhythm model's AFIB, and AFL once split off).
AF_LABELS = ("AFIB", "AFL")

__all__ = ["CLASSES", "CLASS_INDEX", "CODE_TO_CLASS", "DS1", "DS2", "rhythm_code", "rhythm_intervals",
           "codes_at", "load_reference", "AF_LABELS", "af_burden"]


def rhythm_code(aux_note: str) -> str | None:
    """``"(AFIB"`` -> ``"AFIB"``; None when the note is not a rhythm change."""
    note = (aux_note or "").strip("\x00").strip()
    return note[1:] if note.startswith("(") and len(note) > 1 else None


def code_class(code: str) -> str:
    """Training class of a rhythm code ("N", "AFIB" or "OTHER")."""
    return CODE_TO_CLASS.get(code, "OTHER")


def rhythm_intervals(samples, aux_notes, n_samples: int) -> list[tuple[int, int, str]]:
    """Rhythm intervals ``(start_sample, end_sample, code)`` from rhythm annotations.

    Before the first rhythm annotation the rhythm is unknown (code ``""``).
    Consecutive annotations of the same code are merged.
    """
    changes = [(int(s), c) for s, a in zip(samples, aux_notes) if (c := rhythm_code(a))]
    out: list[tuple[int, int, str]] = []
    if not changes or changes[0][0] > 0:
        out.append((0, changes[0][0] if changes else n_samples, ""))
    for k, (s, c) in enumerate(changes):
        end = changes[k + 1][0] if k + 1 < len(changes) else n_samples
        if out and out[-1][2] == c:
            out[-1] = (out[-1][0], end, c)
        elif end > s:
            out.append((s, end, c))
    return out


def codes_at(positions, intervals) -> np.ndarray:
    """Rhythm code in force at each sample position (object array of str)."""
    positions = np.asarray(positions, np.int64)
    starts = np.array([iv[0] for iv in intervals], np.int64)
    codes = np.array([iv[2] for iv in intervals], dtype=object)
    k = np.clip(np.searchsorted(starts, positions, side="right") - 1, 0, len(codes) - 1)
    return codes[k]


def load_reference(data_dir: str | Path, record: str) -> dict:
    """Reference beats and rhythm of one MIT-BIH record (annotations only, no signal).

    Returns a dict with ``fs`` (Hz), ``n_samples``, ``beats`` (sample numbers of
    the AAMI beats), ``beat_class`` (N/S/V/F/Q per beat) and ``intervals``
    (see :func:`rhythm_intervals`).
    """
    import wfdb

    path = str(Path(data_dir) / record)
    header = wfdb.rdheader(path)
    ann = wfdb.rdann(path, "atr")
    symbols = np.asarray(ann.symbol, dtype=object)
    is_beat = np.array([s in AAMI_MAP for s in symbols])
    return {
        "record": record,
        "fs": float(header.fs),
        "n_samples": int(header.sig_len),
        "beats": np.asarray(ann.sample, np.int64)[is_beat],
        "beat_class": np.array([AAMI_MAP[s] for s in symbols[is_beat]], dtype=object),
        "intervals": rhythm_intervals(ann.sample, ann.aux_note, int(header.sig_len)),
    }


def af_burden(episodes: pd.DataFrame, duration_s: float) -> float:
    """Share of ``duration_s`` (seconds) spent in AF or flutter episodes, in %."""
    if not duration_s or duration_s <= 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    if episodes is None or len(episodes) == 0:
        return 0.0
    af = episodes[episodes["label"].isin(AF_LABELS)]
    return float(100.0 * (af["end_s"] - af["start_s"]).sum() / duration_s)
