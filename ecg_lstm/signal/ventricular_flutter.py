"""Ventricular flutter / fibrillation, found in the signal itself.

:func:`ventricular_flutter_segments`: in ventricular flutter there are no QRS
complexes to detect or annotate, so neither detected nor reference beats show
it; the R-peak detector's flutter test, run on the signal every second, does.
(Atrial flutter inside AF episodes is a finding on the rhythm episodes:
:mod:`ecg_lstm.findings.atrial_flutter`.)

Thresholds tuned on data were set on DS1 records only; see each constant.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import check_fs
from .qrs_detector import FS as CORE_FS
from .qrs_detector import flutter_windows
from .spans import runs

#: Ventricular flutter scan: window step (s) and fewest consecutive flagged windows.
VF_STEP_S, VF_MIN_WINDOWS = 1.0, 3
#: Flutter spans closer than this (s) are one episode.
VF_MERGE_S = 5.0


def ventricular_flutter_segments(ecg, fs: float, peaks=None,
                                 quality: pd.DataFrame | None = None) -> list[tuple[int, int]]:
    """Spans (start_sample, end_sample) of ventricular flutter / fibrillation in one lead.

    The R-peak detector's flutter test (:func:`ecg_lstm.signal.qrs_detector.flutter_windows`:
    a 4-s window with almost no isoelectric line and most of its power at
    2-7 Hz, none above 12 Hz) is run every second on the signal itself, so the
    result does not depend on which beats were found: reference annotations
    mark no beats in flutter either.  Only seconds where flutter can hide are
    scanned (noisy quality windows, beats faster than 120 bpm, gaps over 1.5 s
    without beats), which keeps a 24-h record fast.  ``VF_MIN_WINDOWS``
    consecutive flagged seconds make a span, from the first centre -1 s to the
    last +1 s.  Thresholds are the detector's (fixed on MIT-BIH); on the 22 DS1
    records the scan flags 124 of the 145 seconds of 207's flutter and no
    second outside flutter.

    Parameters
    ----------
    ecg : 1-D signal (mV), finite.
    fs : sampling rate (Hz).
    peaks : optional beat sample numbers; quality : optional quality table.
    """
    fs = check_fs(fs)
    x = np.asarray(ecg).ravel()  # as stored: only the windows scanned are converted to float64
    half_in, keep = int(3.0 * fs), int(2.0 * CORE_FS)
    step = int(VF_STEP_S * fs)
    if x.size < 2 * half_in + step or not np.isfinite(x).all():
        return []
    at = np.arange(half_in, x.size - half_in, step)
    look = np.zeros(at.size, bool)
    if quality is not None and len(quality) and "noisy" in quality.columns:
        q = quality[quality["noisy"].astype(bool)]
        for a, b in zip(q["start_sample"].to_numpy(np.int64), q["end_sample"].to_numpy(np.int64)):
            look[(at >= a) & (at < b)] = True
    if peaks is None:
        look[:] = True
    else:
        pk = np.sort(np.asarray(peaks, np.int64))
        # beats within +-1.5 s of each centre: none (a gap) or fast (> 120 bpm)
        n_near = np.searchsorted(pk, at + 1.5 * fs) - np.searchsorted(pk, at - 1.5 * fs)
        look |= (n_near == 0) | (n_near >= 7)
    idx = np.flatnonzero(look)
    flag = np.zeros(at.size, bool)
    for a in range(0, idx.size, 1000):  # batches keep memory bounded
        flag[idx[a:a + 1000]] = flutter_windows(x, fs, at[idx[a:a + 1000]], half_in, keep)
    out: list[list[int]] = []
    for a, n in zip(*runs(flag)):
        if n < VF_MIN_WINDOWS:
            continue
        a0, b0 = int(max(0, at[a] - fs)), int(min(x.size, at[a + n - 1] + fs))
        if out and a0 - out[-1][1] <= VF_MERGE_S * fs:  # one episode, a few seconds that looked organised
            out[-1][1] = b0
        else:
            out.append([a0, b0])
    return [(a, b) for a, b in out]
