"""Atrial flutter inside the rhythm model's AF episodes, told apart in the signal.

:func:`split_atrial_flutter`: the rhythm model reads RR intervals and merges
atrial flutter into AF; the atrial activity left after cancelling the QRST
complexes (:func:`atrial_activity`) tells an organised flutter wave from
fibrillation, and regular RR intervals tell fixed-ratio conduction.

Thresholds tuned on data were set on DS1 records only; see each constant.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..signal.spans import runs

#: Atrial flutter: the textbook atrial rate of typical flutter, 240-340/min, as a frequency (Hz).
AFL_BAND_HZ = (4.0, 5.7)
#: Least spectral organisation of the atrial activity (share of its 2-20 Hz power within 0.5 Hz of
#: the dominant frequency and its harmonic): set on DS1 so that at most 1 % of the 10-s windows of
#: reference atrial fibrillation (201, 203, both leads) pass with a dominant frequency in AFL_BAND_HZ.
AFL_MIN_ORGANISATION = 0.55
#: RR coefficient of variation below which an "AF" window is regular: fixed-ratio conduction,
#: which fibrillation does not give (DS1 reference AF windows: none below 0.13).
AFL_MAX_RR_CV = 0.08
AFL_WINDOW_S, AFL_MIN_WINDOWS = 10.0, 2


@lru_cache(maxsize=8)
def _atrial_band(fs: float) -> np.ndarray:
    """The 1-30 Hz band-pass of :func:`atrial_activity`, designed once per rate (a day holds
    hundreds of AF windows)."""
    from scipy import signal as sps

    return sps.butter(2, [1.0, 30.0], btype="bandpass", fs=fs, output="sos")


def atrial_activity(x: np.ndarray, fs: float, beats: np.ndarray) -> tuple[float, float]:
    """Dominant frequency (Hz) and organisation (0-1) of the atrial activity of one ECG window.

    The ventricular activity is removed by average-beat subtraction (the
    median beat, R-0.1 s to R+0.45 s, cut short before the next beat), a
    standard QRST cancellation; what is left holds the flutter or fibrillation
    waves.  Its Welch spectrum gives the dominant frequency in 3-10 Hz and the
    share of the 2-20 Hz power within 0.5 Hz of it and of its second harmonic
    (organised flutter waves concentrate their power there, fibrillation
    spreads it).  ``beats``: R-peak sample numbers within the window.
    """
    return atrial_activities(np.asarray(x, float)[None], fs, [beats])[0]


def atrial_activities(segs: np.ndarray, fs: float, beats: list) -> list[tuple[float, float]]:
    """:func:`atrial_activity` of each row of ``segs`` (windows of one length; ``beats[i]``: the
    R peaks of row i): the filter and the spectrum run on all windows at once (a day holds
    hundreds of AF windows, and their calls one by one cost a second)."""
    from scipy import signal as sps

    segs = np.asarray(segs, float)
    out = [(float("nan"), float("nan"))] * len(segs)
    if not len(segs) or segs.shape[1] < 4 * fs:
        return out
    seg = sps.sosfiltfilt(_atrial_band(float(fs)), segs, axis=-1)
    pre, post = int(0.1 * fs), int(0.45 * fs)
    res = seg.copy()
    done = []
    for k, b in enumerate(beats):
        r = np.sort(np.asarray(b, np.int64))
        ok = r[(r >= pre) & (r + post < seg.shape[1])]
        if len(ok) < 4:
            continue
        tpl = np.median(np.stack([seg[k, i - pre:i + post] for i in ok]), axis=0)
        for i in ok:
            nxt = r[r > i]
            end = min(post, int(nxt[0] - i - pre) if len(nxt) else post)
            if end > 0:
                res[k, i - pre:i + end] -= tpl[:pre + end]
        done.append(k)
    if not done:
        return out
    res = res[done]
    mad = 1.4826 * np.median(np.abs(res - np.median(res, axis=1, keepdims=True)), axis=1, keepdims=True)
    res = np.clip(res, -4 * mad, 4 * mad)  # what is left of the QRS does not dominate the spectrum
    f, p = sps.welch(res, fs=fs, nperseg=int(4 * fs), axis=-1)
    band = (f >= 3) & (f <= 10)
    for row, k in enumerate(done):
        daf = float(f[band][np.argmax(p[row, band])])
        tot = p[row, (f >= 2) & (f <= 20)].sum()
        peak = p[row, np.abs(f - daf) <= 0.5].sum() + p[row, np.abs(f - 2 * daf) <= 0.5].sum()
        out[k] = (daf, float(peak / tot) if tot > 0 else float("nan"))
    return out


def split_atrial_flutter(episodes: pd.DataFrame, signal: np.ndarray, fs: float, peaks,
                         known: dict | None = None) -> pd.DataFrame:
    """Relabel the flutter parts of the rhythm model's AF episodes as ``AFL``.

    The rhythm model learns from RR intervals only and merges flutter into AF
    (:mod:`ecg_lstm.rhythm.labels`).  Each AF episode is cut into 10-s windows;
    a window is flutter when, in any lead, the atrial activity
    (:func:`atrial_activity`) has its dominant frequency at the flutter rate
    (:data:`AFL_BAND_HZ`) and is organised (:data:`AFL_MIN_ORGANISATION`), or when
    its RR intervals are regular (:data:`AFL_MAX_RR_CV`: fibrillation conducts
    irregularly; flutter often at a fixed ratio).  ``AFL_MIN_WINDOWS``
    consecutive flutter windows become an ``AFL`` episode.  The rates are
    textbook values; the two thresholds are set on DS1 AF only (see their
    comments).  DS1 holds a single flutter record, 203, whose flutter is
    coarse and irregular (dominant atrial frequency about 6.7 Hz in V1): the
    rule does not find it, so this is a screen for typical flutter, not a
    validated detector.

    ``signal``: (n_samples, n_leads) ECG; ``peaks``: beat sample numbers; ``known``: an optional
    dict of the parts found for AF episodes before, ``{(start, end): [(label, start, end), ...]}``,
    read and filled here: the parts depend only on the episode's bounds (the signal and beats
    being the same), so a relabelled record looks only at AF episodes it has not seen.
    Returns a new episode table (same columns), sorted by start.
    """
    if episodes is None or not len(episodes) or "label" not in episodes.columns:
        return episodes
    sig = np.asarray(signal)  # as stored (float32): each window is converted on its own
    sig = sig[:, None] if sig.ndim == 1 else sig
    pk = np.sort(np.asarray(peaks, np.int64))
    w = int(AFL_WINDOW_S * fs)
    rows = []
    for ep in episodes.to_dict("records"):
        a0, b0 = int(ep["start_sample"]), int(ep["end_sample"])
        if str(ep["label"]) != "AFIB" or b0 - a0 < AFL_MIN_WINDOWS * w:
            rows.append(ep)
            continue
        if known is not None and (a0, b0) in known:
            labels = known[(a0, b0)]
        else:
            labels = _flutter_parts(sig, fs, pk, a0, b0)
            if known is not None:
                known[(a0, b0)] = labels
        for lab, a, b in labels:
            rows.append({**ep, "label": lab, "start_sample": a, "end_sample": b,
                         **({"start_s": a / fs, "end_s": b / fs} if "start_s" in ep else {})})
    return pd.DataFrame(rows, columns=episodes.columns).sort_values("start_sample", kind="stable") \
        .reset_index(drop=True)


def _flutter_parts(sig: np.ndarray, fs: float, pk: np.ndarray, a0: int, b0: int) -> list[tuple[str, int, int]]:
    """The AFIB and AFL parts of the AF episode [a0, b0) (see :func:`split_atrial_flutter`)."""
    w = int(AFL_WINDOW_S * fs)
    starts = np.arange(a0, b0 - w + 1, w)
    flut = np.zeros(len(starts), bool)
    todo = []  # (window, lead, beats) whose atrial spectrum decides
    for k, a in enumerate(starts):
        r = pk[(pk >= a) & (pk < a + w)]
        rr = np.diff(r) / fs
        if len(rr) >= 5 and rr.std() / rr.mean() < AFL_MAX_RR_CV:
            flut[k] = True
            continue
        # a gap in a lead: no spectrum there
        todo += [(k, ld, r - a) for ld in range(sig.shape[1]) if np.isfinite(sig[a:a + w, ld]).all()]
    for i in range(0, len(todo), 256):  # 256 windows at a time
        part = todo[i:i + 256]
        segs = np.stack([sig[starts[k]:starts[k] + w, ld] for k, ld, _ in part])
        for (k, _, _), (daf, org) in zip(part, atrial_activities(segs, fs, [b for _, _, b in part])):
            if AFL_BAND_HZ[0] <= daf <= AFL_BAND_HZ[1] and org >= AFL_MIN_ORGANISATION:
                flut[k] = True
    cuts = [a0]
    labels = []
    for s0, n in zip(*runs(flut)):
        if n < AFL_MIN_WINDOWS:
            continue
        # the last window also takes the episode's tail, shorter than a window
        fa, fb = int(starts[s0]), (b0 if s0 + n == len(starts) else int(starts[s0 + n - 1] + w))
        if fa > cuts[-1]:
            labels.append(("AFIB", cuts[-1], fa))
        labels.append(("AFL", fa, fb))
        cuts.append(fb)
    if cuts[-1] < b0:
        labels.append(("AFIB", cuts[-1], b0))
    return labels
