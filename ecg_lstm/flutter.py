"""Flutter from the signal: ventricular flutter / fibrillation, and atrial flutter inside AF.

Both are found in the ECG itself rather than in the beat sequence:

* :func:`ventricular_flutter_segments`: in ventricular flutter there are no
  QRS complexes to detect or annotate, so neither detected nor reference
  beats show it; the R-peak detector's flutter test, run on the signal every
  second, does.
* :func:`split_atrial_flutter`: the rhythm model reads RR intervals and
  merges atrial flutter into AF; the atrial activity left after cancelling
  the QRST complexes (:func:`atrial_activity`) tells an organised flutter
  wave from fibrillation.

Thresholds tuned on data were set on DS1 records only; see each constant.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .events import _runs
from .validation import check_fs

#: Ventricular flutter scan: window step (s) and fewest consecutive flagged windows.
VF_STEP_S, VF_MIN_WINDOWS = 1.0, 3
#: Flutter spans closer than this (s) are one episode.
VF_MERGE_S = 5.0


def ventricular_flutter_segments(ecg, fs: float, peaks=None,
                                 quality: pd.DataFrame | None = None) -> list[tuple[int, int]]:
    """Spans (start_sample, end_sample) of ventricular flutter / fibrillation in one lead.

    The R-peak detector's flutter test (:func:`ecg_lstm.peaks_core._flutter_windows`:
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
    from .peaks_core import FS as CORE_FS, _flutter_windows

    fs = check_fs(fs)
    x = np.asarray(ecg, float).ravel()
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
        flag[idx[a:a + 1000]] = _flutter_windows(x, fs, at[idx[a:a + 1000]], half_in, keep)
    out: list[list[int]] = []
    for a, n in zip(*_runs(flag)):
        if n < VF_MIN_WINDOWS:
            continue
        a0, b0 = int(max(0, at[a] - fs)), int(min(x.size, at[a + n - 1] + fs))
        if out and a0 - out[-1][1] <= VF_MERGE_S * fs:  # one episode, a few seconds that looked organised
            out[-1][1] = b0
        else:
            out.append([a0, b0])
    return [(a, b) for a, b in out]


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
    from scipy import signal as sps

    seg = sps.sosfiltfilt(sps.butter(2, [1.0, 30.0], btype="bandpass", fs=fs, output="sos"), np.asarray(x, float))
    pre, post = int(0.1 * fs), int(0.45 * fs)
    r = np.sort(np.asarray(beats, np.int64))
    ok = r[(r >= pre) & (r + post < len(seg))]
    if len(ok) < 4 or len(seg) < 4 * fs:
        return float("nan"), float("nan")
    tpl = np.median(np.stack([seg[i - pre:i + post] for i in ok]), axis=0)
    res = seg.copy()
    for i in ok:
        nxt = r[r > i]
        end = min(post, int(nxt[0] - i - pre) if len(nxt) else post)
        if end > 0:
            res[i - pre:i + end] -= tpl[:pre + end]
    mad = 1.4826 * np.median(np.abs(res - np.median(res)))
    res = np.clip(res, -4 * mad, 4 * mad)  # what is left of the QRS does not dominate the spectrum
    f, p = sps.welch(res, fs=fs, nperseg=int(4 * fs))
    band = (f >= 3) & (f <= 10)
    daf = float(f[band][np.argmax(p[band])])
    tot = p[(f >= 2) & (f <= 20)].sum()
    peak = p[np.abs(f - daf) <= 0.5].sum() + p[np.abs(f - 2 * daf) <= 0.5].sum()
    return daf, float(peak / tot) if tot > 0 else float("nan")


def split_atrial_flutter(episodes: pd.DataFrame, signal: np.ndarray, fs: float, peaks) -> pd.DataFrame:
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

    ``signal``: (n_samples, n_leads) ECG; ``peaks``: beat sample numbers.
    Returns a new episode table (same columns), sorted by start.
    """
    if episodes is None or not len(episodes) or "label" not in episodes.columns:
        return episodes
    sig = np.asarray(signal, float)
    sig = sig[:, None] if sig.ndim == 1 else sig
    pk = np.sort(np.asarray(peaks, np.int64))
    w = int(AFL_WINDOW_S * fs)
    rows = []
    for ep in episodes.to_dict("records"):
        a0, b0 = int(ep["start_sample"]), int(ep["end_sample"])
        if str(ep["label"]) != "AFIB" or b0 - a0 < AFL_MIN_WINDOWS * w:
            rows.append(ep)
            continue
        starts = np.arange(a0, b0 - w + 1, w)
        flut = np.zeros(len(starts), bool)
        for k, a in enumerate(starts):
            r = pk[(pk >= a) & (pk < a + w)]
            rr = np.diff(r) / fs
            if len(rr) >= 5 and rr.std() / rr.mean() < AFL_MAX_RR_CV:
                flut[k] = True
                continue
            for ld in range(sig.shape[1]):
                if not np.isfinite(sig[a:a + w, ld]).all():  # a gap in this lead: no spectrum
                    continue
                daf, org = atrial_activity(sig[a:a + w, ld], fs, r - a)
                if AFL_BAND_HZ[0] <= daf <= AFL_BAND_HZ[1] and org >= AFL_MIN_ORGANISATION:
                    flut[k] = True
                    break
        cuts = [a0]
        labels = []
        for s0, n in zip(*_runs(flut)):
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
        for lab, a, b in labels:
            rows.append({**ep, "label": lab, "start_sample": a, "end_sample": b,
                         **({"start_s": a / fs, "end_s": b / fs} if "start_s" in ep else {})})
    return pd.DataFrame(rows, columns=episodes.columns).sort_values("start_sample", kind="stable") \
        .reset_index(drop=True)
