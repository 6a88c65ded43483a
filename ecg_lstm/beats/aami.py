"""AAMI EC57 beat classes, the MIT-BIH symbol mapping and the inter-patient split.

The split is de Chazal et al. 2004 (IEEE TBME 51(7)): DS1 trains, DS2 is for
evaluation only, the four paced records are in neither.  Validation (early
stopping, temperature scaling) uses whole DS1 records, never DS2.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Class order of every label index and probability column.
CLASSES = ("N", "S", "V", "F", "Q")
CLASS_INDEX = {c: i for i, c in enumerate(CLASSES)}

#: MIT-BIH beat symbol -> AAMI class.  Everything else (``+ ~ | " x ! [ ]`` ...)
#: is not a beat: ``!`` (ventricular flutter wave) is excluded as in EC57, and
#: ``[``/``]`` mark flutter onset/offset.
AAMI_MAP = {
    "N": "N", "L": "N", "R": "N", "e": "N", "j": "N",
    "A": "S", "a": "S", "J": "S", "S": "S",
    "V": "V", "E": "V",
    "F": "F",
    "/": "Q", "f": "Q", "Q": "Q",
}

DS1 = ("101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122", "124",
       "201", "203", "205", "207", "208", "209", "215", "220", "223", "230")
DS2 = ("100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210", "212",
       "213", "214", "219", "221", "222", "228", "231", "232", "233", "234")
PACED = ("102", "104", "107", "217")

#: DS1 records held out whole for early stopping and calibration.  Chosen so the
#: held-out set has S (118: 96 A, 223: 89 S) and V beats (106, 223, 114), while
#: 209/220/201/207, which hold most DS1 S beats, stay in training.
VALIDATION = ("106", "114", "118", "223")
TRAIN = tuple(r for r in DS1 if r not in VALIDATION)


def aami_labels(symbols) -> np.ndarray:
    """AAMI class index (0..4) per symbol, -1 for symbols that are not beats."""
    return np.array([CLASS_INDEX[AAMI_MAP[s]] if s in AAMI_MAP else -1 for s in symbols], dtype=np.int64)


def _reference(annotations) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample numbers, symbols and AAMI class indices of the beat annotations, sorted by sample."""
    symbols = np.asarray(annotations.symbol).astype(str)
    lab = aami_labels(symbols)
    keep = lab >= 0
    samples = np.asarray(annotations.sample, np.int64)[keep]
    order = np.argsort(samples, kind="stable")
    return samples[order], symbols[keep][order], lab[keep][order]


def reference_beats(record) -> tuple[np.ndarray, np.ndarray]:
    """Sample numbers and AAMI labels (class indices) of the record's reference beats (sorted)."""
    samples, _, lab = _reference(record.annotations)
    return samples, lab


def reference_table(annotations, fs: float) -> pd.DataFrame:
    """Reference beat annotations mapped to AAMI classes, one row a beat, sorted by sample:
    ``sample``, ``time_s`` (s, at ``fs`` Hz), ``symbol``, ``reference`` (the class letter).
    Non-beat annotations (rhythm, noise) are dropped."""
    samples, symbols, lab = _reference(annotations)
    return pd.DataFrame({"sample": samples, "time_s": samples / fs, "symbol": symbols,
                         "reference": np.asarray(CLASSES)[lab]})
