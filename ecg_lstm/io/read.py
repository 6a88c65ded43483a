"""Reading ECG records: WFDB, EDF/EDF+, CSV, ISHNE Holter, DICOM waveform, HL7 aECG and
Philips Sierra XML into one :class:`Record` type.

:func:`read_record` reads a file from disk, :func:`read_record_from_files`
reads uploaded bytes. Both validate once, at this boundary, and raise the
specific :mod:`ecg_lstm.errors` classes; any other failure inside the readers
becomes a :class:`~ecg_lstm.errors.MalformedRecordError` naming the file.

Conventions of the returned record:

* ``signal`` is float32, shape (n_samples, n_leads), each lead contiguous (column-major);
  leads in a voltage unit (V, mV, uV) are scaled to mV, the unit the classifier was trained
  in. float32 holds 24 bits, more than any ECG digitiser gives, in half the memory of float64
  (a day of two leads at 360 Hz: 250 MB); every filter computes in float64 block by block.
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
  :func:`ecg_lstm.io.limits.check_amplitude`): the chosen lead must look like an
  ECG in its unit, or :class:`~ecg_lstm.errors.AmplitudeError` names the likely
  cause (uV or nV read as mV, an absurd gain or baseline). In other leads,
  values beyond any measurement (|x| > 1e9) become NaN with a warning.
"""
from __future__ import annotations

import math
from numbers import Real
from pathlib import Path

import numpy as np

from ..errors import (
    ECGError,
    MalformedRecordError,
    MissingFileError,
    RecordError,
    SamplingRateError,
    SignalQualityError,
    UnsupportedFormatError,
)
from .limits import (
    ABSURD,
    DEFAULT_MAX_HOURS,
    MAX_EXCURSION_MV,
    MAX_FS,
    MIN_FS,
    check_amplitude,
    mv_factor,
    robust_range,
)
from .limits import max_signal_mb as _limit_mb
from .record import Record, select_lead

#: Single-file record types, by extension (a WFDB record is a .hea header with its .dat files).
FILE_SUFFIXES = (".edf", ".csv", ".ecg", ".dcm", ".xml")
#: What read_record accepts, for error messages.
ACCEPTED = ("a WFDB record (path without extension; .hea + .dat, optional .atr), an .edf, a .csv, an ISHNE "
            "Holter .ecg, a DICOM waveform .dcm, or an HL7 aECG / Philips Sierra .xml file")


def read_record(path: str | Path, *, lead: str | int | None = None, annotator: str | None = "atr",
                fs: float | None = None, max_hours: float = DEFAULT_MAX_HOURS,
                max_signal_mb: float | None = None) -> Record:
    """Read a WFDB record (path without extension, or its .hea), or an .edf, .csv, .ecg (ISHNE),
    .dcm (DICOM waveform) or .xml (HL7 aECG or Philips Sierra, told apart by their root element) file.

    Parameters
    ----------
    lead : lead checked for content (name or index; default as :func:`select_lead`):
        it must hold valid samples of a plausible amplitude; other leads may be
        missing or flat.
    annotator : WFDB annotation extension to read if present ("atr"); None reads none.
        EDF+ annotations are read unless it is None. A damaged annotation file is
        left out, with the reason in ``metadata["annotation_error"]``.
    fs : sampling rate in Hz, for a CSV without a time column (the other formats
        state their own rate; it is not used for them).
    max_hours : longest record accepted, in hours; checked from the header before reading.
    max_signal_mb : largest decoded signal accepted, in MB (samples x leads x 8 bytes);
        None: the ECG_MAX_SIGNAL_MB environment variable, else 1024. Checked from
        the header before reading.
    """
    from .csv_format import read_csv
    from .edf_format import read_edf
    from .wfdb_format import read_wfdb

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
        elif suffix in FILE_SUFFIXES:
            rec = _read_other(_existing(path), suffix, max_hours=max_hours, max_signal_mb=limit_mb)
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
                                   "check that it is a complete record of one of the accepted formats") from e
    return check_record(rec, lead)


def _read_other(path: Path, suffix: str, **limits) -> Record:
    """The formats added to WFDB, EDF and CSV: ISHNE, DICOM, and the two XML formats by root element."""
    if suffix == ".ecg":
        from .ishne_format import read_ishne

        return read_ishne(path, **limits)
    if suffix == ".dcm":
        from .dicom_format import read_dicom

        return read_dicom(path, **limits)
    from .xml_guard import root_element

    root = root_element(path)
    if root == "AnnotatedECG":
        from .hl7_aecg_format import read_hl7_aecg

        return read_hl7_aecg(path, **limits)
    if root == "restingecgdata":
        from .sierra_format import read_sierra

        return read_sierra(path, **limits)
    raise UnsupportedFormatError(f"{path.name}: an XML file with root element <{root}> is not an ECG format read "
                                 "here; accepted XML: HL7 aECG (<AnnotatedECG>) and Philips Sierra (<restingecgdata>)")


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise MissingFileError(f"{path} not found; check the path")
    return path


def check_record(rec: Record, lead: str | int | None) -> Record:
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
    # The chosen lead must look like an ECG as read (wrong unit, gain or baseline: refused); only then
    # are its few artefacts masked below.
    check_amplitude(rec.name, rec.lead_names[idx], signal[:, idx], rec.units[idx])
    warnings = rec.metadata.setdefault("warnings", [])
    nan = np.zeros(signal.shape[1])
    for j in range(signal.shape[1]):
        col = signal[:, j]
        with np.errstate(over="ignore", invalid="ignore"):
            finite, hi, lo = np.isfinite(col.sum()), col.max(), col.min()  # no copy
        voltage = rec.units[j] == "mV"
        # (the median lies inside [lo, hi]: within MAX_EXCURSION_MV of each other, no sample is far from it)
        if finite and (hi - lo <= MAX_EXCURSION_MV if voltage else (j == idx or max(hi, -lo) <= ABSURD)):
            continue
        # A voltage lead's samples far from its median are artefacts (in the chosen lead too: a few
        # 1e308 values would otherwise swamp the filters and leave a record without beats, silently).
        level = robust_range(col)[0] if voltage else math.nan
        excursion = math.isfinite(level) and abs(level) <= ABSURD
        limit, level = (MAX_EXCURSION_MV, level) if excursion else (ABSURD, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            bad = ~np.isfinite(col)
            if j != idx or limit != ABSURD:  # a corrupt number must not break filters, plots or statistics
                absurd = np.abs(col - level) > limit
                if absurd.any():
                    beyond = (f"more than {MAX_EXCURSION_MV:g} mV from the lead's median" if limit != ABSURD
                              else "beyond any measurement")
                    warnings.append(f"lead {rec.lead_names[j]}: {int(absurd.sum())} values {beyond} were set "
                                    "missing (artefact)")
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
    if (np.nanmax(x) == np.nanmin(x)) if nan[idx] else (x.max() == x.min()):
        raise SignalQualityError(f"{rec.name}: lead {name} is flat (one constant value throughout); "
                                 "the electrode was probably off; choose another lead or record again")
    rec.metadata["lead"] = name
    if signal.dtype != np.float32 or not signal.flags.f_contiguous:  # after the checks: absurd values are NaN
        rec.signal = np.asfortranarray(signal, dtype=np.float32)
    return rec
