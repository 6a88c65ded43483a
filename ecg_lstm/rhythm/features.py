"""RR-interval windows and irregularity features, in seconds (independent of fs).

Each beat gets one window: the ``WINDOW`` RR intervals centred on it.  The
LSTM reads the window step by step (:data:`SEQ_CHANNELS`); the window is also
summarised by irregularity statistics from the AF literature
(:data:`WINDOW_FEATURES`), which the classifier head sees beside the LSTM state:

- coefficient of sample entropy, COSEn (Lake & Moorman 2011, Am J Physiol
  Heart Circ Physiol 300:H319): SampEn(m=1, r=30 ms) + ln(2r) - ln(mean RR);
- normalised RMSSD (RMSSD / mean RR), coefficient of variation, mean absolute
  successive difference / mean RR and the share of successive differences
  above 10 % of the mean RR (relative forms carry across heart rates and patients);
- turning-point ratio (about 2/3 for a random sequence; Dash et al. 2009);
- median RR in seconds (log of median / 0.8 s), so tachycardias are visible.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import median_filter

#: RR intervals per window (centred on the beat being labelled).
WINDOW = 30
#: Beats each side of the running median that normalises the RR sequence.
MEDIAN_HALF_WIDTH = 30
#: Tolerance of the sample entropy in seconds (Lake & Moorman 2011).
COSEN_R_S = 0.03
#: Beat classes that flag an ectopic beat when beat labels are given.
ECTOPIC = ("S", "V", "F")

SEQ_CHANNELS = ("log_rr_over_median", "log_rr_over_previous", "log_rr_over_0.8s", "ectopic", "labels_given")
WINDOW_FEATURES = ("cosen", "nrmssd", "cv", "nmasd", "share_sd_over_10pct", "turning_point_ratio",
                   "log_median_rr")


def rr_seconds(peaks, fs: float) -> np.ndarray:
    """RR interval ending at each beat, in seconds; beat 0 repeats beat 1's interval."""
    t = np.asarray(peaks, np.float64) / float(fs)
    rr = np.diff(t)
    return np.concatenate([rr[:1], rr]) if len(rr) else np.zeros(len(t))


def ectopic_flags(labels, n: int) -> tuple[np.ndarray, float]:
    """(1.0 per beat labelled S/V/F, 1.0 when labels were given else 0.0)."""
    if labels is None:
        return np.zeros(n), 0.0
    labels = np.asarray(labels).astype(str)
    return np.isin(labels, ECTOPIC).astype(np.float64), 1.0


def beat_sequence(rr: np.ndarray, ectopic: np.ndarray, labels_given: float) -> np.ndarray:
    """Per-beat input channels (n, len(SEQ_CHANNELS)), log ratios clipped to +-2."""
    rr = np.maximum(rr, 1e-3)
    med = median_filter(rr, size=2 * MEDIAN_HALF_WIDTH + 1, mode="nearest")
    prev = np.concatenate([rr[:1], rr[:-1]])
    seq = np.stack([np.log(rr / med), np.log(rr / prev), np.log(rr / 0.8),
                    ectopic, np.full(len(rr), labels_given)], axis=1)
    seq[:, :3] = np.clip(seq[:, :3], -2.0, 2.0)
    return seq


def _windows(a: np.ndarray, width: int = WINDOW) -> np.ndarray:
    """Window of ``width`` rows centred on each row of ``a`` (edges reflected)."""
    n = len(a)
    left = width // 2
    pad = [(left, width - 1 - left)] + [(0, 0)] * (a.ndim - 1)
    if n > width:
        padded = np.pad(a, pad, mode="reflect")
    else:  # too short to reflect: repeat the edges
        padded = np.pad(a, pad, mode="edge")
    w = sliding_window_view(padded, width, axis=0)  # (n, ..., width)
    return np.moveaxis(w, -1, 1) if a.ndim > 1 else w


def rr_windows(rr: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """The RR windows (seconds, clipped to 0.2-3 s) that :func:`window_features` summarises: a view,
    (n, window), of ``rr`` (:func:`rr_seconds`). They do not depend on the beat labels."""
    return _windows(np.clip(rr, 0.2, 3.0), window)


def sequence_windows(seq: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """The LSTM's input windows (n, window, C) of :func:`beat_sequence`'s channels: a view."""
    return _windows(seq, window)


def cosen(win: np.ndarray, r: float = COSEN_R_S) -> np.ndarray:
    """Coefficient of sample entropy of each row of ``win`` (RR in seconds), m = 1.

    When no template pair matches at length 2, the count is taken as 0.5 so
    the entropy stays finite (highest value, as for very irregular rhythm).
    """
    n = len(win)
    a, b = np.empty(n), np.empty(n)
    # In blocks of rows (the match matrices of a 24 h record would take gigabytes), and
    # counting pairs i < j as (all matches - diagonal) / 2, the matrices being symmetric:
    # the same integers as indexing the upper triangle, several times faster.
    for s in range(0, n, 2048):
        x = win[s:s + 2048]
        d = np.abs(x[:, :, None] - x[:, None, :]) <= r
        m1 = d[:, :-1, :-1]
        m2 = m1 & d[:, 1:, 1:]
        b[s:s + 2048] = (np.count_nonzero(m1, axis=(1, 2)) - m1.diagonal(axis1=1, axis2=2).sum(axis=1)) // 2
        a[s:s + 2048] = (np.count_nonzero(m2, axis=(1, 2)) - m2.diagonal(axis1=1, axis2=2).sum(axis=1)) // 2
    sampen = -np.log(np.maximum(a, 0.5) / np.maximum(b, 1.0))
    return sampen + np.log(2 * r) - np.log(win.mean(axis=1))


def window_features(win: np.ndarray) -> np.ndarray:
    """Irregularity features (n, len(WINDOW_FEATURES)) of RR windows in seconds."""
    mean = win.mean(axis=1)
    d = np.diff(win, axis=1)
    rmssd = np.sqrt((d ** 2).mean(axis=1))
    turning = ((d[:, 1:] * d[:, :-1]) < 0).mean(axis=1)
    return np.stack([
        cosen(win),
        rmssd / mean,
        win.std(axis=1) / mean,
        np.abs(d).mean(axis=1) / mean,
        (np.abs(d) > 0.1 * mean[:, None]).mean(axis=1),
        turning,
        np.log(np.median(win, axis=1) / 0.8),
    ], axis=1)


def rhythm_inputs(peaks, fs: float, labels=None, window: int = WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs for every beat: sequences (n, window, C) and window features (n, F).

    ``peaks`` are sample numbers at ``fs`` Hz; ``labels`` optional N/S/V/F/Q per peak.
    """
    peaks = np.asarray(peaks)
    rr = rr_seconds(peaks, fs)
    ect, given = ectopic_flags(labels, len(peaks))
    seq = beat_sequence(rr, ect, given)
    return (np.ascontiguousarray(sequence_windows(seq, window), dtype=np.float32),
            window_features(rr_windows(rr, window)).astype(np.float32))
