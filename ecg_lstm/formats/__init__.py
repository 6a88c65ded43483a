"""One reader per file format (WFDB, EDF/EDF+, CSV), plus the checks they share.

Each ``read_*`` function returns a :class:`~ecg_lstm.record.Record` whose
signal is in the file's physical units; :func:`ecg_lstm.record.read_record`
then validates it once. The checks here run on header fields only, so that a
file that is too long or sampled too slowly is refused before its data is read.
"""
from __future__ import annotations

import math
import re

from ..errors import RecordTooLongError, SamplingRateError

#: Supported sampling-rate range in Hz.
MIN_FS, MAX_FS = 100.0, 2000.0

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
