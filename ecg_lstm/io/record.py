"""The record types every stage shares: :class:`Record` (signal, rate, leads) and
:class:`Annotations` (reference beats and rhythm changes), and :func:`select_lead`.

A leaf of the package: it reads no file. The readers (:mod:`.read`,
:mod:`.upload` and the formats below them) build these.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import RecordError
from .limits import is_ecg_channel

#: Lead names preferred, in order, when none is asked for.
PREFERRED_LEADS = ("MLII", "II", "ML2", "ECG II", "LEAD II")


@dataclass
class Annotations:
    """Reference annotations of a record (e.g. a WFDB ``.atr`` file).

    ``sample`` are sample numbers at the record's own sampling rate;
    ``symbol`` the beat/non-beat codes; ``aux_note`` the auxiliary text
    (rhythm changes such as ``"(AFIB"``).
    """

    sample: np.ndarray
    symbol: np.ndarray
    aux_note: list[str]
    extension: str = "atr"


@dataclass
class Record:
    """One ECG record.

    Attributes
    ----------
    name : record name (file stem).
    signal : float array of shape (n_samples, n_leads), physical units (mV for voltages).
    fs : sampling rate in Hz.
    lead_names, units : one entry per lead.
    annotations : reference annotations, if the record has them.
    metadata : header fields (comments, base date/time, format, ...).
    """

    name: str
    signal: np.ndarray
    fs: float
    lead_names: list[str]
    units: list[str]
    annotations: Annotations | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    def lead_index(self, lead: str | int | None = None) -> int:
        """Index of ``lead`` (name or index); default: MLII/II, else the first ECG lead."""
        return select_lead(self.lead_names, lead, self.units)

    def lead(self, lead: str | int | None = None) -> np.ndarray:
        """One lead as a 1-D float array."""
        return self.signal[:, self.lead_index(lead)]


def select_lead(lead_names: list[str], lead: str | int | None = None, units: list[str] | None = None) -> int:
    """Choose a lead: the one asked for (name or index), else MLII/II, else the first ECG lead.

    "ECG lead" skips channels such as respiration or blood pressure, judged by
    name and unit (``units``, when given); with none found, the first lead.
    """
    if isinstance(lead, (int, np.integer)) and not isinstance(lead, bool):
        if not 0 <= lead < len(lead_names):
            raise RecordError(f"lead index {lead} is out of range: the record has {len(lead_names)} leads "
                              f"({', '.join(lead_names)})")
        return int(lead)
    upper = [n.strip().upper() for n in lead_names]
    if lead is not None:
        if str(lead).strip().upper() in upper:
            return upper.index(str(lead).strip().upper())
        raise RecordError(f"lead {lead!r} is not in the record; its leads are {', '.join(lead_names)}")
    for name in PREFERRED_LEADS:
        if name in upper:
            return upper.index(name)
    units = units or [""] * len(lead_names)
    return next((i for i, (n, u) in enumerate(zip(lead_names, units)) if is_ecg_channel(n, u)), 0)
