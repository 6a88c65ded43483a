"""Is the stated sampling rate plausible? A screen from the beats themselves.

A header that states half the true rate makes every interval twice as long: the heart rate
halves and each QRS complex looks twice as wide, and nothing else in the analysis notices (a
rate of 37 bpm is a plausible bradycardia). A rate stated twice too high does the opposite.
The ratio of the heart rate to the width of the R wave tells them apart where the rate alone
cannot: a slow heart does not widen its R waves. On DS1 (22 records, their true rates) the median
heart rate (bpm) over the median R-wave width at half height (ms) lies between 1.23 and 5.06.
The thresholds below were set from the DS1 values: they flag none of those, and flag the same
records with the rate stated at half the truth on 19 of the 22, at twice the truth on 20. On
DS2: 0 of 22 at the true rate, 20 at half, 22 at twice (``make bench-rate-check``). DS2 is not
an untouched test set for this screen: a first look at the measure printed it for all 48 records
(their first 10 minutes) before the thresholds were set on DS1. A flagged analysis carries a
warning; it is never refused.
"""
from __future__ import annotations

import numpy as np

from .filters import ecg_clean

#: Median heart rate (bpm) / median R-wave width at half height (ms): outside this range the
#: stated rate is doubtful whatever the heart rate ...
RATIO_RANGE = (1.0, 6.0)
#: ... and within these bounds too, when the heart rate is slow (or fast) as well: (ratio, bpm).
SLOW_AND_WIDE = (1.25, 50.0)
FAST_AND_NARROW = (5.0, 120.0)
#: Fewest beats for the check (a median beat needs a few).
MIN_BEATS = 20
#: Beats averaged into the median beat, at most: the first ones, one stretch of signal to clean
#: (a few minutes, whatever the record's length).
MAX_BEATS = 1000


def r_wave_width_ms(ecg: np.ndarray, fs: float, peaks: np.ndarray) -> float:
    """Width (ms) at half height of the R wave of the median beat (cleaned signal, +-200 ms
    around each beat); NaN when there are too few beats."""
    half = int(0.2 * fs)
    peaks = np.asarray(peaks, np.int64)
    peaks = peaks[(peaks > half) & (peaks < len(ecg) - half)]
    if len(peaks) < MIN_BEATS:
        return float("nan")
    peaks = peaks[:MAX_BEATS]
    lo, hi = int(peaks[0] - half), int(peaks[-1] + half)
    clean = ecg_clean(ecg[lo:hi], fs)
    beats = np.stack([clean[p - lo - half:p - lo + half] for p in peaks])
    med = np.median(beats, axis=0)
    med = med - np.median(med)
    near = int(0.05 * fs)
    top = half - near + int(np.argmax(np.abs(med[half - near:half + near])))
    above = np.abs(med) > 0.5 * abs(med[top])
    left, right = top, top
    while left > 0 and above[left - 1]:
        left -= 1
    while right < len(med) - 1 and above[right + 1]:
        right += 1
    return 1000.0 * (right - left + 1) / fs


def rate_plausibility(ecg, fs: float, peaks) -> dict:
    """``{"hr_bpm", "r_width_ms", "ratio", "warning"}`` for one lead and its beats; ``warning`` is
    a sentence when the stated rate ``fs`` (Hz) looks wrong, else None (also when there are too
    few beats to tell)."""
    ecg = np.asarray(ecg)  # as stored: only the first thousand beats are cleaned (in float64)
    peaks = np.asarray(peaks, np.int64)
    out = {"hr_bpm": float("nan"), "r_width_ms": float("nan"), "ratio": float("nan"), "warning": None}
    if len(peaks) < MIN_BEATS or not np.isfinite(ecg).all():
        return out
    hr = 60.0 / float(np.median(np.diff(peaks)) / fs)
    width = r_wave_width_ms(ecg, fs, peaks)
    if not np.isfinite(width):
        return out
    ratio = hr / width
    out.update(hr_bpm=round(hr, 1), r_width_ms=round(width, 1), ratio=round(ratio, 2))
    if ratio < RATIO_RANGE[0] or (ratio < SLOW_AND_WIDE[0] and hr < SLOW_AND_WIDE[1]):
        out["warning"] = (f"the sampling rate of {fs:g} Hz may be too low: a heart rate of {hr:.0f} bpm with R waves "
                          f"{width:.0f} ms wide is unlike an ECG sampled at that rate (at twice the rate both would "
                          "be ordinary); check the rate in the file's header")
    elif ratio > RATIO_RANGE[1] or (ratio > FAST_AND_NARROW[0] and hr > FAST_AND_NARROW[1]):
        out["warning"] = (f"the sampling rate of {fs:g} Hz may be too high: a heart rate of {hr:.0f} bpm with R waves "
                          f"{width:.0f} ms wide is unlike an ECG sampled at that rate (at half the rate both would "
                          "be ordinary); check the rate in the file's header")
    return out
