"""R-peak (QRS) detection.

``ecg_peaks(ecg, fs)`` returns the sample numbers of the R waves of a single
ECG lead, in the record's own sampling rate.  The default detector
(``method="ecglstm"``) is a Pan-Tompkins-style energy detector with adaptive
thresholds; see :mod:`ecg_lstm.peaks_core` for its design.  The other
``method`` values wrap peer toolkits (wfdb, NeuroKit2) for comparison only;
they are imported lazily so the library never needs them.
"""
from __future__ import annotations

import numpy as np

from .errors import SamplingRateError, SignalQualityError

#: Supported sampling rates (Hz) of the input.
FS_MIN, FS_MAX = 50.0, 20000.0
#: Shortest signal (s) a detector can work on (it needs a few beats to adapt).
MIN_DURATION_S = 2.0

NEUROKIT_METHODS = ("neurokit", "pantompkins1985", "hamilton2002", "elgendi2010", "engzeemod2012",
                    "christov2004", "kalidas2017", "nabian2018", "rodrigues2021", "zong2003",
                    "martinez2004", "manikandan2012", "emrich2023", "promac")
METHODS = ("ecglstm", "xqrs", "gqrs") + NEUROKIT_METHODS


def _validate(ecg, fs) -> tuple[np.ndarray, float]:
    """Check the input at the boundary; return a float64 1-D array and fs."""
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise SamplingRateError(f"sampling rate must be a number in Hz, got {fs!r}") from None
    if not np.isfinite(fs) or not FS_MIN <= fs <= FS_MAX:
        raise SamplingRateError(f"sampling rate {fs} Hz is outside the supported {FS_MIN:g}-{FS_MAX:g} Hz; "
                                "check the record header")
    x = np.asarray(ecg)
    if x.ndim == 2 and 1 in x.shape:
        x = x.ravel()
    if x.ndim != 1:
        raise SignalQualityError(f"expected one ECG lead (1-D array), got shape {x.shape}; pick a lead first")
    if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise SignalQualityError(f"ECG must be real numbers, got dtype {x.dtype}")
    x = x.astype(np.float64, copy=False)
    if x.size < MIN_DURATION_S * fs:
        raise SignalQualityError(f"signal is {x.size / fs:.2f} s long; R-peak detection needs at least "
                                 f"{MIN_DURATION_S:g} s")
    if not np.isfinite(x).all():
        raise SignalQualityError("signal contains NaN or infinite samples; interpolate or trim the gaps first")
    return x, fs


def ecg_peaks(ecg, fs: float, method: str = "ecglstm") -> tuple[np.ndarray, dict]:
    """Detect R peaks in one ECG lead.

    Parameters
    ----------
    ecg : 1-D signal, any amplitude unit (mV usually), either polarity.
    fs : sampling rate in Hz (50-20000).
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
    x, fs = _validate(ecg, fs)
    if method == "ecglstm":
        from .peaks_core import detect

        peaks, info = detect(x, fs)
    elif method in ("xqrs", "gqrs"):
        from .peaks_peers import wfdb_peaks

        peaks, info = wfdb_peaks(x, fs, method)
    elif method in NEUROKIT_METHODS:
        from .peaks_peers import neurokit_peaks

        peaks, info = neurokit_peaks(x, fs, method)
    else:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    peaks = np.unique(np.asarray(peaks, dtype=np.int64))
    peaks = peaks[(peaks >= 0) & (peaks < x.size)]
    return peaks, info
