"""Reading ECG records: WFDB, EDF/EDF+ and CSV into one :class:`Record` type.

:func:`read_record` reads a file from disk, :func:`read_record_from_files`
reads uploaded bytes. Both validate once, at this boundary, and raise the
specific :mod:`ecg_lstm.errors` classes; any other failure inside the readers
becomes a :class:`~ecg_lstm.errors.MalformedRecordError` naming the file.

Conventions of the returned record:

* ``signal`` is float64, shape (n_samples, n_leads); leads in a voltage unit
  (V, mV, uV) are scaled to mV, the unit the classifier was trained in.
* Missing samples (WFDB invalid-sample codes, empty CSV cells) stay NaN; their
  share per lead is ``metadata["nan_fraction"]``. A chosen lead that is all NaN
  or flat is refused.
* ``metadata`` holds ``format``, ``comments``, ``base_date``/``base_time``
  (ISO strings or None), ``nan_fraction``, and where it applies
  ``dropped_channels`` (non-ECG channels left out), ``original_units``,
  ``annotations_dropped`` (WFDB annotations outside the signal),
  ``annotation_error`` (why a damaged annotation file was left out: the
  record still opens, without its reference) and ``warnings`` (e.g. a signal
  file longer than its header describes).
* Sizes are checked from the header before anything is allocated: the record
  length against ``max_hours`` and the decoded signal (samples x leads x 8
  bytes) against ``max_signal_mb`` (default: $ECG_MAX_SIGNAL_MB, else 1024 MB).
* Amplitudes are checked against physiological bounds (see
  :func:`ecg_lstm.formats.check_amplitude`): the chosen lead must look like an
  ECG in its unit, or :class:`~ecg_lstm.errors.AmplitudeError` names the likely
  cause (uV or nV read as mV, an absurd gain or baseline). In other leads,
  values beyond any measurement (|x| > 1e9) become NaN with a warning.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path

import numpy as np

from .errors import (ECGError, MalformedRecordError, MissingFileError, RecordError, SamplingRateError,
                     SignalQualityError, UnsupportedFormatError)
from .formats import ABSURD, MAX_FS, MIN_FS, check_amplitude, is_ecg_channel, mv_factor
from .formats import max_signal_mb as _limit_mb

__all__ = ["Annotations", "Record", "read_record", "read_record_from_files", "select_lead",
           "MIN_FS", "MAX_FS", "PREFERRED_LEADS", "DEFAULT_MAX_HOURS"]

#: Default longest record accepted, in hours (24 h Holter plus margin).
DEFAULT_MAX_HOURS = 48.0
#: What read_record accepts, for error messages.
ACCEPTED = "a WFDB record (path without extension; .hea + .dat, optional .atr), an .edf or a .csv file"
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


def read_record(path: str | Path, *, lead: str | int | None = None, annotator: str | None = "atr",
                fs: float | None = None, max_hours: float = DEFAULT_MAX_HOURS,
                max_signal_mb: float | None = None) -> Record:
    """Read a WFDB record (path without extension, or its .hea), an .edf or a .csv file.

    Parameters
    ----------
    lead : lead checked for content (name or index; default as :func:`select_lead`):
        it must hold valid samples of a plausible amplitude; other leads may be
        missing or flat.
    annotator : WFDB annotation extension to read if present ("atr"); None reads none.
        EDF+ annotations are read unless it is None. A damaged annotation file is
        left out, with the reason in ``metadata["annotation_error"]``.
    fs : sampling rate in Hz, for a CSV without a time column (WFDB and EDF files
        state their own rate; it is not used for them).
    max_hours : longest record accepted, in hours; checked from the header before reading.
    max_signal_mb : largest decoded signal accepted, in MB (samples x leads x 8 bytes);
        None: the ECG_MAX_SIGNAL_MB environment variable, else 1024. Checked from
        the header before reading.
    """
    from .formats.csv_format import read_csv
    from .formats.edf_format import read_edf
    from .formats.wfdb_format import read_wfdb

    path = Path(path)
    if fs is not None and (not isinstance(fs, Real) or not math.isfinite(fs) or not MIN_FS <= fs <= MAX_FS):
        raise SamplingRateError(f"fs={fs!r} is not a sampling rate in {MIN_FS:g}..{MAX_FS:g} Hz")
    if not (isinstance(max_hours, Real) and max_hours > 0):
        raise RecordError(f"max_hours={max_hours!r} must be a positive number of hours")
    limit_mb = _limit_mb(max_signal_mb)
    suffix = path.suffix.lower()
    if suffix in (".hea", ".dat"):
        path, suffix = path.with_suffix(""), ""
    try:
        if suffix == ".edf":
            rec = read_edf(_existing(path), annotator=annotator, max_hours=max_hours, max_signal_mb=limit_mb)
        elif suffix == ".csv":
            rec = read_csv(_existing(path), fs=fs, max_hours=max_hours, max_signal_mb=limit_mb)
        elif path.is_file() and not path.with_name(path.name + ".hea").is_file():
            raise UnsupportedFormatError(f"{path.name}: unsupported file type; accepted: {ACCEPTED}")
        else:
            rec = read_wfdb(path, annotator=annotator, max_hours=max_hours, max_signal_mb=limit_mb)
    except ECGError:
        raise
    except MemoryError as e:  # the size checks leave this to a machine short of memory
        raise RecordError(f"{path.name}: not enough memory to read the record; close other programs, or "
                          "lower max_signal_mb / ECG_MAX_SIGNAL_MB so that it is refused cleanly") from e
    except Exception as e:  # anything unforeseen inside numpy/pandas/wfdb: name the file, keep the cause
        raise MalformedRecordError(f"{path.name}: the file cannot be read ({type(e).__name__}: {e}); "
                                   "check that it is a complete WFDB, EDF or CSV record") from e
    return _finish(rec, lead)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise MissingFileError(f"{path} not found; check the path")
    return path


def _finish(rec: Record, lead: str | int | None) -> Record:
    """Validate a freshly read record once; scale voltages to mV; note NaN shares."""
    signal = rec.signal
    if signal.ndim != 2 or signal.shape[0] == 0 or signal.shape[1] == 0:
        raise SignalQualityError(f"{rec.name}: the record holds no samples; give a record with ECG data")
    if len(rec.lead_names) != signal.shape[1] or len(rec.units) != signal.shape[1]:
        raise MalformedRecordError(f"{rec.name}: {signal.shape[1]} signals but {len(rec.lead_names)} lead "
                                   "names; the header is inconsistent")
    original = list(rec.units)
    for j, unit in enumerate(original):
        k = mv_factor(unit)
        if k is not None and k != 1.0:
            col = signal[:, j]  # in place, column by column (no copy of the whole signal)
            col *= k
        if k is not None:
            rec.units[j] = "mV"
    if rec.units != original:
        rec.metadata["original_units"] = original
    idx = select_lead(rec.lead_names, lead, rec.units)
    warnings = rec.metadata.setdefault("warnings", [])
    nan = np.zeros(signal.shape[1])
    for j in range(signal.shape[1]):
        col = signal[:, j]
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(col.sum()) and (j == idx or max(col.max(), -col.min()) <= ABSURD):  # no copy
                continue
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(col)
            if j != idx:  # a corrupt number in another lead must not break plots or statistics
                absurd = np.abs(col) > ABSURD
                if absurd.any():
                    warnings.append(f"lead {rec.lead_names[j]}: {int(absurd.sum())} values beyond any "
                                    "measurement were set missing")
                bad |= absurd
        col[bad] = np.nan
        nan[j] = bad.mean()
    rec.metadata["nan_fraction"] = [round(float(x), 6) for x in nan]
    if not warnings:
        del rec.metadata["warnings"]
    x = signal[:, idx]
    name = rec.lead_names[idx]
    if nan[idx] == 1.0:
        raise SignalQualityError(f"{rec.name}: lead {name} holds no valid samples (all missing); "
                                 "choose another lead or check the file")
    check_amplitude(rec.name, name, x, rec.units[idx])
    if (np.nanmax(x) == np.nanmin(x)) if nan[idx] else (x.max() == x.min()):
        raise SignalQualityError(f"{rec.name}: lead {name} is flat (one constant value throughout); "
                                 "the electrode was probably off; choose another lead or record again")
    rec.metadata["lead"] = name
    return rec


def read_record_from_files(files: dict[str, bytes], *, fs: float | None = None, annotator: str | None = "atr",
                           max_hours: float = DEFAULT_MAX_HOURS, lead: str | int | None = None,
                           max_signal_mb: float | None = None) -> Record:
    """Read an uploaded record from ``{file name: bytes}``.

    Accepted: a WFDB record (.hea + .dat, optional annotation files), one .zip
    holding those, one .edf or one .csv. The files go to a private temporary
    folder (``ecg-lstm-upload-*``) that is removed before returning; see
    :mod:`ecg_lstm.formats.tempfiles`. Other arguments as :func:`read_record`.
    """
    from .formats.upload import read_files

    return read_files(files, fs=fs, annotator=annotator, max_hours=max_hours, lead=lead,
                      max_signal_mb=max_signal_mb)
