"""The identity that binds a corrections file to one record: its name, sampling rate, length and
a SHA-256 of the lead reviewed, written as a note of the file (see :mod:`.corrections`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from ..io.limits import ABSURD

#: Start of the note at sample 0 that holds the identity (then JSON), and of the end mark's note.
IDENTITY_NOTE = "ecg-lstm corrections v1 "
END_NOTE = "ecg-lstm corrections end "


@dataclass(frozen=True)
class RecordIdentity:
    """What binds a corrections file to one signal: ``name`` (informational: a renamed copy of
    the same signal is the same record), ``fs`` (Hz), ``n_samples`` (per lead), ``lead`` (name
    of the lead hashed) and ``sha256`` (:func:`signal_sha256` of that lead)."""

    name: str
    fs: float
    n_samples: int
    lead: str
    sha256: str

    def describe(self) -> str:
        return f"record {self.name} ({self.fs:g} Hz, {self.n_samples:,} samples, lead {self.lead})"

    def note(self) -> str:
        """The identity as an annotation note: ASCII, at most 255 bytes (a WFDB note's limit). A long
        record name is cut to fit: the signal, not the name, identifies the record."""
        rest = {"fs": self.fs, "samples": self.n_samples, "lead": lead_key(self.lead), "sha256": self.sha256}
        room = 255 - len(IDENTITY_NOTE + json.dumps({"record": "", **rest}, separators=(",", ":")))
        return IDENTITY_NOTE + json.dumps({"record": _cut(self.name, room + 2), **rest}, separators=(",", ":"))


def _cut(text: str, limit: int) -> str:
    """The longest start of ``text`` whose JSON form (ASCII, quotes included) fits ``limit`` characters."""
    while len(json.dumps(text)) > limit:
        text = text[:-1]
    return text


def lead_key(name: str) -> str:
    """A lead's name as the identity holds it: at most 40 characters of JSON (an EDF label can be long)."""
    return _cut(str(name).strip(), 40)


def signal_sha256(x: np.ndarray) -> str:
    """SHA-256 of one lead (float64 values in the record's physical unit), in 1M-sample chunks.

    The values as read are hashed, not values rounded to a grid: the reader (``read_record``, the
    one path of the CLI, the uploads and the local files) is deterministic on the same file, while a
    fixed grid (say 1 uV) would split values that the file's own resolution puts on a half step
    (0.5 uV), where the last bit of a float decides the rounding. NaN, +-inf and values beyond
    ``ABSURD`` all become one NaN and -0.0 becomes 0.0: the reader masks such values differently
    depending on the lead chosen for the analysis, and the identity must not depend on that choice.
    """
    h = hashlib.sha256()
    x = np.asarray(x)
    for i in range(0, len(x), 1 << 20):
        c = np.array(x[i:i + (1 << 20)], dtype="<f8")
        with np.errstate(invalid="ignore"):
            c[~(np.abs(c) <= ABSURD)] = np.nan
        h.update((c + 0.0).tobytes())
    return h.hexdigest()


def record_identity(record, lead: str | int | None = None) -> RecordIdentity:
    """The identity of ``record`` (a :class:`~ecg_lstm.io.record.Record`) and its lead ``lead``
    (name or index; default: the lead the analysis picks)."""
    idx = record.lead_index(lead)
    return RecordIdentity(str(record.name), float(record.fs), int(record.n_samples), lead_key(record.lead_names[idx]),
                          signal_sha256(record.signal[:, idx]))
