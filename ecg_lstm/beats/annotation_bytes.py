"""The WFDB (MIT) annotation format, read from bytes with a bound on the work.

``wfdb.rdann`` reads a file, spends about 20 us per annotation in Python, trusts every length in
it, and drops the notes at sample 0 that a corrections file carries its record identity in. This
reader walks the same byte format (https://physionet.org/physiotools/wag/annot-5.htm) once, stops
as soon as the file holds more annotations than the caller allows, and says where a file is
malformed or cut short instead of raising whatever a broken index gives.

Each annotation is one 16-bit little-endian word: the code in its top 6 bits, the time since the
previous annotation (0..1023 samples) in the low 10. Codes 59..63 are not annotations: ``SKIP``
(a 32-bit time step in the next two words, high word first), ``NUM``, ``SUB``, ``CHN`` (one
word each) and ``AUX`` (a note of ``low byte`` bytes, padded to an even count, belonging to the
annotation before it). Code 0 with a time step moves time only (``wrann`` writes one after its
sampling-rate note); the word 0 ends the file.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from ..errors import CorrectionsError

SKIP, NUM, SUB, CHN, AUX = 59, 60, 61, 62, 63
#: MIT-BIH symbol of each annotation code 0..41 (WFDB's ecgcodes.h, as ``wfdb``'s ann_label_table);
#: "" for a code no symbol is defined for (0 moves time only; 15 and 17 are unused; 42..58 too).
SYMBOLS = ("", "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", "", "|", "", "s", "T",
           "*", "D", '"', "=", "p", "B", "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@", "x", "f", "(",
           ")", "r")
NOTE = SYMBOLS.index('"')
#: Code of each symbol (the inverse of SYMBOLS).
CODES = {s: i for i, s in enumerate(SYMBOLS) if s}


@dataclass
class Annotations:
    """What a WFDB annotation file holds: ``sample`` (int64, in file order), ``code`` (int16, see
    :data:`SYMBOLS`), ``notes`` ({index of the annotation: its AUX text}), and ``ended``: whether
    the end-of-file word was found (False: the file was cut short)."""

    sample: np.ndarray
    code: np.ndarray
    notes: dict[int, str] = field(default_factory=dict)
    ended: bool = True

    def symbols(self) -> np.ndarray:
        """The MIT-BIH symbol of each annotation ("" for an unknown code)."""
        table = np.array(SYMBOLS + ("",) * (64 - len(SYMBOLS)), dtype=object)
        return table[self.code.astype(np.int64)] if len(self.code) else np.zeros(0, dtype=object)


def parse_annotations(data: bytes, max_annotations: int, what: str) -> Annotations:
    """The annotations of a WFDB annotation file given as ``data``.

    Parameters
    ----------
    data : the file's bytes.
    max_annotations : most annotations accepted; parsing stops at the first one beyond it, so
        the work is bounded by this number, not by what the file claims.
    what : the file's name as the user knows it, for messages (never a temporary path).

    Raises
    ------
    CorrectionsError
        Data after the end-of-file word, or more than ``max_annotations`` annotations. A file cut
        short (inside a word, a time step or a note, or before the end-of-file word) is not an
        error here: it comes back with ``ended`` False.
    """
    data = bytes(data)
    n = len(data) - len(data) % 2  # an odd last byte: a file cut inside a word (or a pad byte after its end)
    samples, codes = array("q"), array("h")
    notes: dict[int, str] = {}
    t, i, last, ended = 0, 0, -1, False
    while i < n:
        lo, hi = data[i], data[i + 1]
        code = hi >> 2
        if lo == 0 and hi == 0:
            ended = True
            break
        if code == SKIP:
            if i + 6 > n:
                break  # cut inside a time step: reported as not ended
            step = (data[i + 2] << 16) | (data[i + 3] << 24) | data[i + 4] | (data[i + 5] << 8)
            t += step - (1 << 32) if step >= 1 << 31 else step
            i += 6
        elif code == AUX:
            end = i + 2 + lo + (lo & 1)
            if end > n:
                break
            if last >= 0:
                notes[last] = data[i + 2:i + 2 + lo].decode("latin-1")
            i = end
        elif code in (NUM, SUB, CHN):
            i += 2
        else:
            t += ((hi & 3) << 8) | lo
            i += 2
            if code == 0:  # moves time only; a note after it belongs to no annotation
                last = -1
                continue
            if len(samples) >= max_annotations:
                raise CorrectionsError(f"{what} holds more than {max_annotations:,} annotations, more than the "
                                       "corrections of this record could need (two per beat); it was not read")
            samples.append(t)
            codes.append(code)
            last = len(samples) - 1
    if ended and any(data[i:]):
        raise CorrectionsError(f"{what} could not be read: it is not a WFDB annotation file (data follows its "
                               "end-of-file mark); save the corrections again from the review")
    return Annotations(np.frombuffer(samples, np.int64).copy(), np.frombuffer(codes, np.int16).copy(), notes, ended)
