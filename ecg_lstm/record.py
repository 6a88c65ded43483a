"""Reading ECG records: WFDB, EDF/EDF+ and CSV into one :class:`Record` type.

(Minimal first version: WFDB only. EDF, CSV and full validation to follow.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import wfdb

from .errors import MissingFileError, RecordError

#: Supported sampling-rate range in Hz.
MIN_FS, MAX_FS = 100.0, 2000.0
#: Default longest record accepted, in hours (24 h Holter plus margin).
DEFAULT_MAX_HOURS = 48.0
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
    signal : float array of shape (n_samples, n_leads), physical units (usually mV).
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
        """Index of ``lead`` (name or index); default: MLII/II, else the first lead."""
        return select_lead(self.lead_names, lead)

    def lead(self, lead: str | int | None = None) -> np.ndarray:
        """One lead as a 1-D float array."""
        return self.signal[:, self.lead_index(lead)]


def select_lead(lead_names: list[str], lead: str | int | None = None) -> int:
    """Choose a lead: the one asked for, else MLII/II, else the first."""
    if isinstance(lead, int):
        if not 0 <= lead < len(lead_names):
            raise RecordError(f"lead index {lead} is out of range: the record has {len(lead_names)} leads")
        return lead
    upper = [n.strip().upper() for n in lead_names]
    if lead is not None:
        if lead.strip().upper() in upper:
            return upper.index(lead.strip().upper())
        raise RecordError(f"lead {lead!r} is not in the record; its leads are {', '.join(lead_names)}")
    for name in PREFERRED_LEADS:
        if name in upper:
            return upper.index(name)
    return 0


def read_record(path: str | Path, *, lead: str | None = None, annotator: str | None = "atr",
                fs: float | None = None, max_hours: float = DEFAULT_MAX_HOURS) -> Record:
    """Read a WFDB record (path without extension), an .edf or a .csv file."""
    path = Path(path)
    if not path.with_suffix(".hea").exists() and not Path(str(path) + ".hea").exists():
        raise MissingFileError(f"{path}.hea not found: give a WFDB record path without extension")
    rec = wfdb.rdrecord(str(path))
    ann = None
    if annotator and Path(f"{path}.{annotator}").exists():
        a = wfdb.rdann(str(path), annotator)
        ann = Annotations(np.asarray(a.sample, np.int64), np.asarray(a.symbol), list(a.aux_note), annotator)
    return Record(path.name, rec.p_signal.astype(np.float64), float(rec.fs), list(rec.sig_name),
                  list(rec.units), ann, {"comments": rec.comments})
