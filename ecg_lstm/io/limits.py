"""The limits every reader shares, defined once: sampling rate, length, size, amplitude, units.

Each format reader (:mod:`.wfdb_format`, :mod:`.edf_format`, :mod:`.csv_format`)
returns a :class:`~ecg_lstm.io.record.Record` in the file's physical units;
:func:`ecg_lstm.io.read.read_record` then validates it once. The checks here run
on header fields only, so that a file that is too long or sampled too slowly is
refused before its data is read. Later stages take the sampling-rate range from here.
"""
from __future__ import annotations

import math
import os
import re

import numpy as np

from ..errors import AmplitudeError, RecordError, RecordTooLargeError, RecordTooLongError, SamplingRateError

#: Supported sampling-rate range in Hz, for reading a record and for every stage after it.
MIN_FS, MAX_FS = 100.0, 2000.0
#: Default longest record accepted, in hours (24 h Holter plus margin).
DEFAULT_MAX_HOURS = 48.0

#: Largest decoded signal, in MB of float64 (samples x leads x 8 bytes), unless raised with
#: ``max_signal_mb=`` or this environment variable. 1024 MB holds 24 h of 6 leads at 250 Hz;
#: reading needs about twice that at its peak (digital values plus the float copy).
MAX_SIGNAL_MB_ENV = "ECG_MAX_SIGNAL_MB"
DEFAULT_MAX_SIGNAL_MB = 1024.0

# Physiological amplitude bounds, in mV, for a lead in a voltage unit. A surface ECG spans
# 0.05..10 mV (QRS), sits on an electrode offset below 300 mV (the DC offset IEC 60601-2-47
# amplifiers must tolerate), and is digitised at 0.5..5 uV per step. Values outside these
# bounds by an order of magnitude or more come from a wrong unit or an absurd gain/baseline.
#: Robust peak-to-peak (0.5th..99.5th percentile) above this is not an ECG in mV (uV or nV read as mV).
MAX_PTP_MV = 50.0
#: Robust peak-to-peak below this, but not zero, is not an ECG in mV (volts read as mV, gain 1e300).
MIN_PTP_MV = 0.005
#: Median level beyond +-this is not an ECG (baseline 1e23, offsets no amplifier passes).
MAX_LEVEL_MV = 1000.0
#: Any value beyond +-this in any lead and unit is a corrupt number (1e308), not a measurement.
ABSURD = 1e9
#: A sample of a voltage lead further than this (mV) from the lead's median is an artefact (a
#: saturated, corrupt or spliced-in value): no QRS reaches 50 mV. It is set missing, with a warning.
MAX_EXCURSION_MV = 50.0

# Voltage units and their factor to mV (the unit the classifier was trained in).
VOLT_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "microvolt": 1e-3, "nv": 1e-6, "v": 1e3,
              "millivolt": 1.0, "volt": 1e3}
# Channel names that are not ECG even when recorded in volts (EEG, respiration, ...).
_NOT_ECG = re.compile(r"eeg|eog|emg|resp|thor|abd|flow|pleth|ppg|spo2|sao2|abp|\bbp\b|art|pap|cvp|temp|"
                      r"co2|pulse|nibp|annotation|status|event|marker|trigger|^hr$|sound|pcg|accel|position",
                      re.IGNORECASE)
_ECG = re.compile(r"ecg|ekg|^ml|^(i|ii|iii|avr|avl|avf|v\d?|d[1-3]|lead.*)$", re.IGNORECASE)


def mv_factor(unit: str) -> float | None:
    """Factor taking ``unit`` to mV, or None when ``unit`` is not a voltage."""
    return VOLT_TO_MV.get(unit.strip().lower().replace(" ", ""))


def is_ecg_channel(name: str, unit: str = "") -> bool:
    """Whether a channel looks like an ECG lead, from its name and unit.

    A channel named like an ECG lead (ECG, MLII, V1, aVR ...) is one; a channel
    named like another signal (EEG, Resp, ABP, SpO2 ...) or with a non-voltage
    unit (mmHg, %, bpm) is not; anything else in volts, or without a unit, is.
    """
    name, unit = (name or "").strip(), (unit or "").strip()
    if _NOT_ECG.search(name):
        return False
    if _ECG.search(name):
        return True
    return not unit or unit.lower() in ("nu", "n/a", "adu") or mv_factor(unit) is not None


def check_header(what: str, fs: float, n_samples: int | None, max_hours: float) -> None:
    """Refuse a sampling rate outside MIN_FS..MAX_FS or a record longer than ``max_hours``.

    ``fs`` in Hz, ``n_samples`` per lead (None when unknown), ``max_hours`` in hours.
    """
    if fs is None or not math.isfinite(fs) or not MIN_FS <= fs <= MAX_FS:
        raise SamplingRateError(
            f"{what}: sampling rate {fs} Hz is outside the supported {MIN_FS:g}..{MAX_FS:g} Hz; "
            "resample the record, or fix the rate in its header")
    if n_samples is not None and n_samples / fs > max_hours * 3600.0:
        raise RecordTooLongError(
            f"{what}: the record lasts {n_samples / fs / 3600.0:.1f} h, longer than the {max_hours:g} h limit; "
            "split it into shorter records or raise max_hours")


def max_signal_mb(limit: float | None = None) -> float:
    """The size limit in MB: ``limit``, else $ECG_MAX_SIGNAL_MB, else DEFAULT_MAX_SIGNAL_MB."""
    if limit is None:
        env = os.environ.get(MAX_SIGNAL_MB_ENV, "").strip()
        try:
            limit = float(env) if env else DEFAULT_MAX_SIGNAL_MB
        except ValueError:
            raise RecordError(f"{MAX_SIGNAL_MB_ENV}={env!r} is not a number of MB") from None
    try:
        limit = float(limit)
    except (TypeError, ValueError):
        limit = float("nan")
    if not limit > 0:  # also NaN
        raise RecordError(f"max_signal_mb={limit!r} must be a positive number of MB")
    return limit


def check_size(what: str, n_samples: int, n_leads: int, limit_mb: float) -> None:
    """Refuse a signal of ``n_samples`` x ``n_leads`` float64 values larger than ``limit_mb`` MB.

    Called with header fields only, before anything of that size is allocated.
    """
    mb = float(n_samples) * max(int(n_leads), 1) * 8 / 1e6
    if mb > limit_mb:
        raise RecordTooLargeError(
            f"{what}: {n_samples} samples x {n_leads} leads need {mb:,.4g} MB once decoded, more than the "
            f"{limit_mb:,.4g} MB limit; raise it with max_signal_mb= (--max-signal-mb) or the "
            f"{MAX_SIGNAL_MB_ENV} environment variable if the machine has the memory, or split the record")


def robust_range(x: np.ndarray) -> tuple[float, float, float]:
    """(median, 0.5th, 99.5th percentile) of the finite values of ``x``, from at most ~1M of them."""
    step = max(1, len(x) // 1_000_000)
    v = x[::step]
    v = v[np.isfinite(v)]
    if not len(v):
        return float("nan"), float("nan"), float("nan")
    lo, med, hi = np.percentile(v, [0.5, 50, 99.5])
    return float(med), float(lo), float(hi)


def check_amplitude(what: str, lead: str, x: np.ndarray, unit: str) -> None:
    """Refuse a lead whose values cannot be an ECG in ``unit`` (mV for voltage leads).

    Bounds: :data:`MAX_LEVEL_MV`, :data:`MAX_PTP_MV`, :data:`MIN_PTP_MV` for
    voltage leads (already scaled to mV); :data:`ABSURD` for any unit.
    """
    med, lo, hi = robust_range(x)
    if not math.isfinite(med):
        return  # all missing: the caller's own check names that
    big = max(abs(lo), abs(hi))
    if big > ABSURD:
        raise AmplitudeError(
            f"{what}: lead {lead} holds values of {big:.3g} {unit or '(no unit)'}, far beyond any ECG; the gain, "
            "baseline or unit in the file is wrong or the numbers are corrupt; fix the header or export again")
    if mv_factor(unit) is None:
        return
    ptp = hi - lo
    hint = ("state the unit in the header (for a CSV: a column name such as 'MLII (uV)' or 'MLII (nV)'), "
            "or fix the ADC gain")
    if ptp > MAX_PTP_MV:
        likely = "nV" if ptp > MAX_PTP_MV * 1e3 else "uV"
        raise AmplitudeError(
            f"{what}: lead {lead} spans {ptp:.4g} mV peak to peak, where an ECG spans under {MAX_PTP_MV:g} mV; "
            f"the values look like {likely}, not mV: {hint}")
    if abs(med) > MAX_LEVEL_MV:
        raise AmplitudeError(
            f"{what}: lead {lead} sits at {med:.4g} mV, beyond the +-{MAX_LEVEL_MV:g} mV any ECG amplifier "
            f"passes; the baseline (ADC zero) or unit is wrong: {hint}")
    if 0 < ptp < MIN_PTP_MV:
        raise AmplitudeError(
            f"{what}: lead {lead} spans only {ptp:.3g} mV peak to peak, where an ECG spans at least "
            f"{MIN_PTP_MV:g} mV; the values look like volts, not mV, or the electrode was off: {hint}")
