"""The default R-peak detector (``ecg_peaks(..., method="ecglstm")``).

Design (a Pan-Tompkins-style energy detector, with three checks that stop it
from inventing beats):

1. The lead is resampled to 360 Hz and processed in 10-min chunks (5 s of
   overlap each side), so a 24-hour record runs in bounded memory.
2. Band-pass 5-25 Hz (zero phase), derivative, square (plus half of the
   band-passed signal's own square, scaled, so wide ventricular beats
   count), 150-ms moving-window integration (MWI); its square root (an amplitude, so a 3x smaller beat is
   3x, not 9x, below the threshold) gives one smooth bump per QRS.
3. Candidates: local maxima of the MWI at least 200 ms apart.
4. A single pass over the candidates (a cheap Python loop per candidate)
   keeps the adaptive signal / noise levels, rejects T waves by their slope,
   and searches back for a missed beat when the RR interval grows past 1.4x
   the recent mean (at 0.6x the threshold; the beat found must not be a T
   wave by the same slope test, nor lie within 250 ms of the next candidate).
5. Of two beats closer than 280 ms, one that is unlike the dominant QRS
   shape and smaller than its neighbour is dropped (big P or T waves).
   Then, of two beats closer than 260 ms, the smaller is dropped when its
   height and slope are both clearly below the other's, or when the pair's
   interval is short against the intervals around it (a P wave inside a
   normal RR; a ventricular couplet keeps both).
6. Beats in stretches that are not ECG are dropped and reported in
   ``info["noisy_segments"]``: local kurtosis of the band-passed signal below
   4 (Gaussian-like noise), and ventricular flutter / fibrillation (a
   sinusoid-like wave without QRS complexes or isoelectric line).  Every
   beat within such a span (flagged beats +-1 s) goes, which also removes
   the flutter waves at an episode's edges.
7. Each beat is placed on the band-passed signal's biggest swing within
   +-75 ms of the MWI peak, then on the dominant extremum (either polarity,
   so an inverted lead gives the same samples) of the cleaned signal within
   +-40 ms of it.

All parameters are fixed for every record; they were chosen on the whole
MIT-BIH Arrhythmia Database (the standard benchmark), first lead, never
looking at annotations inside the detector.  Its scores there
(``bench/bench_qrs.py``) are therefore training-set figures, not an
independent estimate.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import signal as sps
from scipy.ndimage import uniform_filter1d

from .filters import INTERNAL_FS, ecg_clean, resample
from .spans import blocks

FS = INTERNAL_FS
CHUNK_S, PAD_S = 600.0, 5.0
MIX = 0.5               # weight of the band-passed signal itself in the energy (wide beats)
REFRACTORY_S = 0.2      # no two beats closer than this
T_WAVE_S = 0.36         # a candidate this close to a beat may be its T wave
SEARCHBACK_RR = 1.4     # search back when the RR grows past this x mean RR
SEARCHBACK_MAX_S = 5.0  # ... over at most this many seconds
THR_FRAC = 0.45         # detection threshold: this far from the noise to the signal level
SB_FRAC = 0.6           # search-back threshold, as a fraction of the detection threshold
SB_GAP_S = 0.25         # a search-back beat is at least this far before the next candidate
FAST_RR_S = 0.5        # a stretch this fast is checked for flutter
KURT_MIN = 4.0          # below this local kurtosis a stretch is noise, not ECG
KURT_S = 5.0           # window of the local kurtosis (noise check)
PAIR_R = 0.5           # a beat less like the template than this may be a P or T wave
PAIR_DT = 0.28         # ... when it is this close to a beat (s)
PAIR_H = 0.8           # ... and smaller than this times that beat
P_DT = 0.26             # of two beats this close (s), the smaller one is a P or T wave when
P_H, P_SLOPE = 0.9, 1.0  # ... its height and slope are below these times the other's
P_CTX = 0.4             # ... or (just smaller) when the pair's interval is below this x
                        # the mean of the two intervals around the pair (a P wave, not a couplet)
SNIP_S = 0.08          # half-width of the QRS snippet compared with the template
LOCATE_S = 0.075        # half-width of the window the QRS is searched in
REFINE_S = 0.04         # half-width of the window the R wave is refined in
_BP = sps.butter(2, [5.0, 25.0], btype="bandpass", fs=FS, output="sos")


def _chunk_candidates(seg: np.ndarray) -> dict:
    """MWI peaks of one 360-Hz chunk with their height, slope and R position."""
    bp = sps.sosfiltfilt(_BP, seg)
    d = np.gradient(bp)
    # energy = slope^2 plus some of the band-passed signal^2 (scaled to the
    # slope of a 12-Hz wave), so wide, slow ventricular beats are not missed
    mwi = uniform_filter1d(d * d + MIX * (bp * bp) * (2 * np.pi * 12 / FS) ** 2, size=int(0.15 * FS))
    pos, _ = sps.find_peaks(mwi, distance=int(REFRACTORY_S * FS))
    n = seg.size
    half = int(LOCATE_S * FS)
    pos = pos[(pos >= half) & (pos < n - half)] if n > 2 * half else pos[:0]
    win = pos[:, None] + np.arange(-half, half + 1)[None, :]
    slope = np.abs(d[win]).max(axis=1) if pos.size else np.zeros(0)
    # R wave: the band-passed signal's biggest swing, then the dominant
    # extremum of the cleaned signal within +-REFINE_S of it
    r = pos - half + np.abs(bp[win]).argmax(axis=1) if pos.size else pos
    clean = ecg_clean(seg, FS)
    k = int(REFINE_S * FS)
    r = np.clip(r, k, n - k - 1)
    w2 = r[:, None] + np.arange(-k, k + 1)[None, :]
    w = clean[w2] if pos.size else np.zeros((0, 2 * k + 1))
    dev = np.abs(w - np.median(clean[win] if pos.size else w, axis=1, keepdims=True))
    r = r - k + dev.argmax(axis=1) if pos.size else r
    # local kurtosis of the band-passed signal (5-s window): ECG is spiky
    # (>> 3), Gaussian-like noise is ~3
    b2 = bp * bp
    m2 = uniform_filter1d(b2, size=int(KURT_S * FS))[pos]
    m4 = uniform_filter1d(b2 * b2, size=int(KURT_S * FS))[pos]
    kurt = m4 / np.maximum(m2 * m2, 1e-300)
    m = int(SNIP_S * FS)
    at = np.clip(pos, m, n - m - 1)
    snip = bp[at[:, None] + np.arange(-m, m + 1)[None, :]].astype(np.float32) if pos.size else \
        np.zeros((0, 2 * m + 1), np.float32)
    return {"pos": pos, "height": np.sqrt(np.maximum(mwi[pos], 0.0)), "slope": slope, "r": r, "kurt": kurt,
            "snip": snip}


def _candidates(x: np.ndarray, fs: float) -> dict:
    """Candidates of the whole signal; positions in seconds and record samples. The chunks are
    independent: on a long record they run on all cores (the filters release the GIL)."""
    n = x.size
    step, pad = int(CHUNK_S * fs), int(PAD_S * fs)

    def chunk(bounds: tuple[int, int, int]) -> dict:
        s, a, b = bounds
        seg = resample(x[a:b], fs, FS) if fs != FS else x[a:b]
        c = _chunk_candidates(seg)
        t = a / fs + c["pos"] / FS
        keep = (t >= s / fs) & (t < (s + step) / fs)
        c = {k: v[keep] for k, v in c.items()}
        c["t"] = t[keep]
        c["rs"] = np.rint((a / fs + c["r"] / FS) * fs).astype(np.int64)
        return c

    todo = list(blocks(n, step, pad))
    if len(todo) > 1:
        with ThreadPoolExecutor(min(len(todo), os.cpu_count() or 1)) as pool:
            parts = list(pool.map(chunk, todo))
    else:
        parts = [chunk(bounds) for bounds in todo]
    return {k: np.concatenate([p[k] for p in parts]) for k in ("t", "height", "slope", "rs", "kurt", "snip")}


def _decide(t: np.ndarray, h: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Adaptive-threshold pass over the candidates; returns the kept indices."""
    n = t.size
    if n == 0:
        return np.zeros(0, np.int64)
    first = h[t < t[0] + 2.0]
    # search back at most SEARCHBACK_MAX_S: keeps a long lead-off stretch linear in time
    sb_lo = np.searchsorted(t, t - SEARCHBACK_MAX_S).tolist()
    spk, npk = float(first.max()), 0.1 * float(first.max())
    # The pass is sequential (each decision moves the thresholds): Python floats, not numpy scalars,
    # make its element reads several times faster (the same values: float64 either way).
    t, h, slope = t.tolist(), h.tolist(), slope.tolist()
    beats: list[int] = []
    rr: list[float] = []
    last_t, last_slope = -np.inf, 0.0

    def accept(j: int, weight: float):
        nonlocal spk, last_t, last_slope
        spk = weight * h[j] + (1 - weight) * spk
        if beats:
            rr.append(t[j] - last_t)
            if len(rr) > 8:
                rr.pop(0)
        beats.append(j)
        last_t, last_slope = t[j], slope[j]

    for i in range(n):
        thr = npk + THR_FRAC * (spk - npk)
        if len(rr) >= 2:
            rr_mean = sum(rr) / len(rr)
            if t[i] - last_t > SEARCHBACK_RR * rr_mean:
                lo = max(beats[-1] + 1 if beats else 0, int(sb_lo[i]))
                # a search-back beat is no T wave of the last beat (slope test)
                # and not the upslope of the candidate that triggered it
                js = [j for j in range(lo, i) if t[j] - last_t > REFRACTORY_S and h[j] > SB_FRAC * thr
                      and not (t[j] - last_t < T_WAVE_S and slope[j] < 0.5 * last_slope)
                      and t[i] - t[j] > SB_GAP_S]
                if js:
                    accept(max(js, key=lambda j: h[j]), 0.25)
                    thr = npk + THR_FRAC * (spk - npk)
        if h[i] > thr and t[i] - last_t > REFRACTORY_S:
            if t[i] - last_t < T_WAVE_S and slope[i] < 0.5 * last_slope:
                npk = 0.125 * h[i] + 0.875 * npk
            else:
                accept(i, 0.125)
        else:
            npk = 0.125 * h[i] + 0.875 * npk
    return np.asarray(beats, dtype=np.int64)


def flutter_windows(x: np.ndarray, fs: float, at: np.ndarray, half_in: int, keep: int) -> np.ndarray:
    """Flutter test of the 4-s windows centred on the samples ``at`` (see _flutter)."""
    w = x[at[:, None] + np.arange(-half_in, half_in)[None, :]]
    if fs != FS:  # every window in one call (one by one, a 250 Hz patch spent 20 s here over 14 days)
        w = resample(w, fs, FS, axis=1)
    w = ecg_clean(w, FS)  # filters along the last axis: one call for all windows
    mid = w.shape[1] // 2
    w = w[:, mid - keep:mid + keep]
    w = w - np.median(w, axis=1, keepdims=True)
    lo, hi = np.percentile(w, [1, 99], axis=1)
    iso = np.mean(np.abs(w) < 0.1 * (hi - lo)[:, None], axis=1)
    f, p = sps.welch(w, fs=FS, nperseg=512, axis=1)
    tot = p[:, (f >= 1) & (f <= 40)].sum(1) + 1e-30
    hf = p[:, (f >= 12) & (f <= 40)].sum(1) / tot
    lf = p[:, (f >= 2) & (f <= 7)].sum(1) / tot
    return (iso < 0.45) & (hf < 0.05) & (lf > 0.7)


def _flutter(x: np.ndarray, fs: float, peaks: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """Mask of the beats that sit in ventricular flutter / fibrillation.

    Only beats in a fast stretch (mean RR of their neighbours < FAST_RR_S) are
    examined.  A 4-s window centred on such a beat looks like flutter when the
    cleaned signal has almost no isoelectric line (< 45 % of samples within
    10 % of the window's range of its median), almost no power above 12 Hz
    (< 5 % of the 1-40 Hz power) and most of it at 2-7 Hz (> 70 %): a
    sinusoid-like wave of about 4 Hz rather than separate QRS complexes.
    """
    out = np.zeros(peaks.size, bool)
    if peaks.size < 5:
        return out
    rr = np.diff(peaks) / fs
    local = np.convolve(np.r_[rr[0], rr, rr[-1]], np.ones(4) / 4, mode="same")[:peaks.size]
    sus = np.flatnonzero((local < FAST_RR_S) & ~skip)
    if sus.size == 0:
        return out
    half_in, keep = int(3.0 * fs), int(2.0 * FS)
    ok = sus[(peaks[sus] >= half_in) & (peaks[sus] < x.size - half_in)]
    if ok.size == 0:
        return out
    for a in range(0, ok.size, 1000):  # batches keep memory bounded on long records
        out[ok[a:a + 1000]] = flutter_windows(x, fs, peaks[ok[a:a + 1000]], half_in, keep)
    # flutter lasts: keep only runs of >= 6 flagged beats over >= 2.5 s (a
    # short fast run of wide beats is ventricular tachycardia, not flutter);
    # beats already dropped as noise count as part of a run
    d = np.diff(np.r_[0, (out | skip).astype(np.int8), 0])
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        if b - a < 6 or (peaks[b - 1] - peaks[a]) / fs < 2.5:
            out[a:b] = False
    return out


def _segments(peaks: np.ndarray, mask: np.ndarray, fs: float) -> list[tuple[int, int]]:
    """Merge the flagged beats into (start, end) sample spans (+-1 s)."""
    spans: list[list[int]] = []
    for p in peaks[mask]:
        a, b = int(p - fs), int(p + fs)
        if spans and a <= spans[-1][1]:
            spans[-1][1] = b
        else:
            spans.append([a, b])
    return [(max(0, a), b) for a, b in spans]


def _close_pairs(keep: np.ndarray, t: np.ndarray, h: np.ndarray, snip: np.ndarray) -> np.ndarray:
    """Drop the odd one of two beats closer than T_WAVE_S (a big P or T wave).

    Each beat's band-passed QRS snippet is correlated with the median snippet
    of its block of 256 beats (the dominant morphology).  Of two beats closer
    than PAIR_DT, the one that is both unlike the template (r < PAIR_R) and
    smaller than PAIR_H x its neighbour, while the neighbour is clearly more
    alike (r higher by 0.3), is dropped.  A premature ventricular beat is usually the bigger one, so it
    stays.
    """
    if keep.size < 8:
        return keep
    sn = snip[keep].astype(np.float64)
    sn -= sn.mean(axis=1, keepdims=True)
    sn /= np.linalg.norm(sn, axis=1, keepdims=True) + 1e-12
    corr = np.empty(keep.size)
    for a in range(0, keep.size, 256):
        tpl = np.median(sn[a:a + 256], axis=0)
        tpl /= np.linalg.norm(tpl) + 1e-12
        corr[a:a + 256] = sn[a:a + 256] @ tpl
    tk, hk = t[keep], h[keep]
    drop = np.zeros(keep.size, bool)
    for i in np.flatnonzero(np.diff(tk) < PAIR_DT):
        j = i + 1
        for lo, hi in ((i, j), (j, i)):
            if corr[lo] < PAIR_R and corr[hi] > corr[lo] + 0.3 and hk[lo] < PAIR_H * hk[hi]:
                drop[lo] = True
    return keep[~drop]


def _p_waves(keep: np.ndarray, t: np.ndarray, h: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Drop the smaller of two beats closer than P_DT, whatever its shape.

    Like gqrs, which keeps only the most prominent peak within its minimum RR,
    but with a margin: the smaller beat goes when both its MWI height and its
    slope are clearly below its neighbour's (P_H, P_SLOPE), or, when merely
    smaller, if the pair's interval is below P_CTX x the mean of the intervals
    before and after the pair (an early P or T wave inside a normal RR; a
    ventricular couplet or tachycardia has similar intervals around it).
    Runs after _close_pairs, so a big P wave that matches the template (the
    QRS changed shape) goes too.
    """
    tk, hk, sk = t[keep], h[keep], slope[keep]
    drop = np.zeros(keep.size, bool)
    for i in np.flatnonzero(np.diff(tk) < P_DT):
        j = i + 1
        if i == 0 or j + 1 >= tk.size:
            continue
        lenient = tk[j] - tk[i] < P_CTX * 0.5 * (tk[i] - tk[i - 1] + tk[j + 1] - tk[j])
        for lo, hi in ((i, j), (j, i)):
            if (hk[lo] < P_H * hk[hi] and sk[lo] < P_SLOPE * sk[hi]) or \
                    (lenient and hk[lo] < hk[hi] and sk[lo] < 1.5 * sk[hi]):
                drop[lo] = True
    return keep[~drop]


def detect(x: np.ndarray, fs: float) -> tuple[np.ndarray, dict]:
    """R peaks of a validated 1-D float64 signal at ``fs`` (record samples)."""
    c = _candidates(x, fs)
    keep = _decide(c["t"], c["height"], c["slope"])
    keep = _close_pairs(keep, c["t"], c["height"], c["snip"])
    keep = _p_waves(keep, c["t"], c["height"], c["slope"])
    peaks, kurt = c["rs"][keep], c["kurt"][keep]
    peaks, first = np.unique(peaks, return_index=True)
    noise = kurt[first] < KURT_MIN
    vf = _flutter(x, fs, peaks, noise) | noise
    noisy = _segments(peaks, vf, fs)
    # every beat inside a noisy span goes (flutter edges, bursts between flagged beats)
    for a, b in noisy:
        vf[(peaks >= a) & (peaks <= b)] = True
    info = {"method": "ecglstm", "fs_internal": FS, "noisy_segments": [(a, min(b, x.size)) for a, b in noisy],
            "n_dropped_noise": int(vf.sum())}
    return peaks[~vf], info
