"""Peer R-peak detectors (wfdb, NeuroKit2), wrapped for side-by-side comparison.

They are imported only when asked for, so the library runs without NeuroKit2.
Each is run on the signal at its own rate, with the toolkit's defaults.
"""
from __future__ import annotations

import numpy as np


def wfdb_peaks(x: np.ndarray, fs: float, method: str) -> tuple[np.ndarray, dict]:
    """wfdb's ``xqrs`` (with its default config) or ``gqrs`` (units: mV assumed)."""
    from wfdb import processing

    if method == "xqrs":
        xq = processing.XQRS(sig=x, fs=fs)
        xq.detect(verbose=False)
        peaks = np.asarray(xq.qrs_inds)
    else:
        peaks = np.asarray(processing.gqrs_detect(sig=x, fs=fs))
    return peaks.astype(np.int64), {"method": method, "fs_internal": fs}


def neurokit_peaks(x: np.ndarray, fs: float, method: str) -> tuple[np.ndarray, dict]:
    """NeuroKit2's ``ecg_peaks`` on its own ``ecg_clean`` output for that method."""
    import neurokit2 as nk

    try:
        clean = nk.ecg_clean(x, sampling_rate=int(round(fs)), method=method)
    except ValueError:  # methods without a matching cleaning step
        clean = nk.ecg_clean(x, sampling_rate=int(round(fs)))
    _, info = nk.ecg_peaks(clean, sampling_rate=int(round(fs)), method=method)
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=np.int64)
    return peaks, {"method": method, "fs_internal": fs}
