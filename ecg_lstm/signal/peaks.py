"""R-peak (QRS) detection.

``ecg_peaks(ecg, fs)`` returns the sample numbers of the R waves of a single
ECG lead, in the record's own sampling rate.  The default detector
(``method="ecglstm"``) is a Pan-Tompkins-style energy detector with adaptive
thresholds; see :mod:`ecg_lstm.signal.qrs_detector` for its design.  The other
``method`` values wrap peer toolkits (wfdb, NeuroKit2) for comparison only;
they are imported lazily so the library never needs them.
"""
from __future__ import annotations

import numpy as np

from .checks import check_lead

NEUROKIT_METHODS = ("neurokit", "pantompkins1985", "hamilton2002", "elgendi2010", "engzeemod2012",
                    "christov2004", "kalidas2017", "nabian2018", "rodrigues2021", "zong2003",
                    "martinez2004", "manikandan2012", "emrich2023", "promac")
METHODS = ("ecglstm", "xqrs", "gqrs") + NEUROKIT_METHODS


def ecg_peaks(ecg, fs: float, method: str = "ecglstm") -> tuple[np.ndarray, dict]:
    """Detect R peaks in one ECG lead.

    Parameters
    ----------
    ecg : 1-D signal, any amplitude unit (mV usually), either polarity.
    fs : sampling rate in Hz (100-2000, :data:`ecg_lstm.io.limits.MIN_FS` .. ``MAX_FS``).
    method : ``"ecglstm"`` (default, ours); ``"xqrs"`` or ``"gqrs"`` (wfdb);
        a NeuroKit2 method name (``"neurokit"``, ``"pantompkins1985"``, ...),
        for comparison (needs those packages installed).

    Returns
    -------
    peaks : sorted unique int64 sample numbers at ``fs`` (the R wave: the QRS's
        dominant extremum).
    info : dict with at least ``method`` and ``fs_internal`` (Hz); the default
        detector adds ``noisy_segments`` (list of (start, end) samples at ``fs``
        where no beat was trusted: noise, flat line, ventricular flutter).
    """
    x, fs = check_lead(ecg, fs)
    if method == "ecglstm":
        from .qrs_detector import detect

        peaks, info = detect(x, fs)
    elif method in ("xqrs", "gqrs"):
        peaks, info = _wfdb_peaks(x, fs, method)
    elif method in NEUROKIT_METHODS:
        peaks, info = _neurokit_peaks(x, fs, method)
    else:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    peaks = np.unique(np.asarray(peaks, dtype=np.int64))
    peaks = peaks[(peaks >= 0) & (peaks < x.size)]
    return peaks, info


# Peer detectors (wfdb, NeuroKit2), for side-by-side comparison only. They are imported only
# when asked for, so the library runs without NeuroKit2; each runs at the signal's own rate
# with the toolkit's defaults.

def _wfdb_peaks(x: np.ndarray, fs: float, method: str) -> tuple[np.ndarray, dict]:
    """wfdb's ``xqrs`` (with its default config) or ``gqrs`` (units: mV assumed)."""
    from wfdb import processing

    if method == "xqrs":
        xq = processing.XQRS(sig=x, fs=fs)
        xq.detect(verbose=False)
        peaks = np.asarray(xq.qrs_inds)
    else:
        peaks = np.asarray(processing.gqrs_detect(sig=x, fs=fs))
    return peaks.astype(np.int64), {"method": method, "fs_internal": fs}


def _neurokit_peaks(x: np.ndarray, fs: float, method: str) -> tuple[np.ndarray, dict]:
    """NeuroKit2's ``ecg_peaks`` on its own ``ecg_clean`` output for that method."""
    import neurokit2 as nk

    try:
        clean = nk.ecg_clean(x, sampling_rate=int(round(fs)), method=method)
    except ValueError:  # methods without a matching cleaning step
        clean = nk.ecg_clean(x, sampling_rate=int(round(fs)))
    _, info = nk.ecg_peaks(clean, sampling_rate=int(round(fs)), method=method)
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=np.int64)
    return peaks, {"method": method, "fs_internal": fs}
