"""Per-beat inputs of the classifier, shared by the dataset and inference.

Everything here is independent of the record's sampling rate, gain and lead
name: the lead is cleaned at its own rate (``ecg_clean``), resampled to
``FS`` Hz, windows are defined in seconds, amplitude is divided by the
record's median R amplitude, and RR intervals are expressed relative to the
patient's own local and overall rhythm (prematurity is what makes an S beat).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.ndimage import median_filter, percentile_filter

from ..signal.filters import BLOCK_PAD_S, ecg_clean, resample
from ..signal.spans import blocks

#: Bumped whenever the features change, so cached datasets rebuild.
FEATURES_VERSION = 6
RR_NAMES = ("log_pre_local", "log_post_local", "log_pre_rec", "log_post_rec",
            "log_local_rec", "pre_s", "post_s", "log_pre_post", "log_pre_local_hi", "log_pre_rec_hi",
            "log_pre_sinus", "log_post_sinus", "log_pre_prev10", "irreg_median", "irreg_mean")
#: RR features in seconds (the rest are ratios): training rescales them together (heart rate).
RR_SECONDS = tuple(RR_NAMES.index(n) for n in ("pre_s", "post_s"))
#: Morphology relative to the record's median beat: what is unusual *for this patient*.
MORPH_NAMES = ("corr_qrs", "corr_all", "log_energy_ratio", "diff_ratio", "width_s", "log_width_ratio",
               "corr_p", "corr_t", "log_amp_ratio", "diff_max", "diff_min", "log_p_energy_ratio", "template_p_rel")
N_FEATURES = len(RR_NAMES) + len(MORPH_NAMES)
MAX_TEMPLATE_BEATS = 20_000
#: Beats whose windows and morphology features are made at a time.
BEAT_BLOCK = 8192
#: Seconds of a lead resampled and cleaned at a time (:func:`prepare_signal`).
PREPARE_BLOCK_S = 600.0


@dataclass(frozen=True)
class FeatureConfig:
    fs: float = 180.0        # internal rate (Hz): 40 Hz low-pass leaves nothing above 90 Hz
    pre_s: float = 0.25      # window before the R peak: covers the P wave
    post_s: float = 0.40     # window after: QRS and the start of T
    local_beats: int = 17    # beats in the running median that defines "local" RR
    irreg_beats: int = 21    # beats (about +-10) over which RR irregularity is measured
    amp_s: float = 0.06      # half-width (s) searched for each beat's R amplitude

    @property
    def n_pre(self) -> int:
        return int(round(self.pre_s * self.fs))

    @property
    def window(self) -> int:
        return self.n_pre + int(round(self.post_s * self.fs))

    def to_dict(self) -> dict:
        return asdict(self)


def prepare_signal(ecg: np.ndarray, fs: float, cfg: FeatureConfig, block_s: float | None = None,
                   pad: int = 0) -> np.ndarray:
    """Resample to ``cfg.fs`` (anti-aliased), then clean at that rate; float32 (the beat windows'
    type), with ``pad`` zeros either side (room for the windows of the first and last beats).

    Resampling first halves the filtering cost of a 360 Hz record (the 40 Hz
    low-pass of ``ecg_clean`` lies well below the 90 Hz Nyquist of 180 Hz).  A long
    lead is prepared in blocks of ``block_s`` seconds with :data:`BLOCK_PAD_S` of
    signal either side (the working memory of a block, not of a day of signal); the
    result equals preparing the whole lead at once to within 1e-12 of its amplitude
    (default ``block_s``: :data:`PREPARE_BLOCK_S`).
    """
    from fractions import Fraction

    block_s = PREPARE_BLOCK_S if block_s is None else block_s
    n = len(ecg)
    frac = Fraction(cfg.fs / fs).limit_denominator(1000) if fs != cfg.fs else Fraction(1)
    up, down = frac.numerator, frac.denominator
    # Block starts and pads in whole multiples of ``down`` input samples, so that each block's
    # output samples fall on the whole lead's output grid.
    step = max(1, int(block_s * fs) // down) * down
    margin = max(1, int(BLOCK_PAD_S * fs) // down) * down
    n_out = -(-n * up // down)
    padded = np.zeros(n_out + 2 * pad, np.float32)
    out = padded[pad:pad + n_out]
    for s, a, b in blocks(n, step, margin):
        x = ecg_clean(resample(np.nan_to_num(np.asarray(ecg[a:b], dtype=np.float64)), fs, cfg.fs), cfg.fs)
        o0, o1, off = s * up // down, min(n_out, (s + step) * up // down), a * up // down  # output samples
        out[o0:o1] = x[o0 - off:o1 - off]
    return padded


def _rolling(x: np.ndarray, size: int, fn) -> np.ndarray:
    """``fn`` (mean or median) over a centred window of ``size`` values, edges shrunk."""
    size = max(1, min(size, len(x)))
    if fn == "median":
        return median_filter(x, size=size, mode="nearest")
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(len(x))
    lo, hi = np.maximum(i - size // 2, 0), np.minimum(i + size // 2 + 1, len(x))
    return (c[hi] - c[lo]) / (hi - lo)


def rr_features(peaks_s: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """(n, 15) float32 RR features from beat times in seconds (sorted)."""
    n = len(peaks_s)
    if n < 2:  # no rhythm to compare with: a neutral, "on-time" beat
        out = np.zeros((n, len(RR_NAMES)), np.float32)
        out[:, list(RR_SECONDS)] = 0.8
        return out
    rr = np.clip(np.diff(peaks_s), 0.15, 3.0)
    pre = np.concatenate([[rr[0]], rr])      # first beat borrows its post-RR
    post = np.concatenate([rr, [rr[-1]]])
    rec = np.median(rr)
    # Running median over neighbouring beats: robust to the premature beat itself.
    local = median_filter(pre, size=min(cfg.local_beats, n), mode="nearest")
    # Where premature beats outnumber sinus beats the medians describe the ectopic rhythm;
    # an upper percentile tracks the slower underlying rhythm (ectopy only shortens RR).
    local_hi = percentile_filter(pre, 80, size=min(2 * cfg.local_beats - 1, n), mode="nearest")
    rec_hi = np.percentile(rr, 90)
    # "Sinus" reference that does not assume the majority is sinus: the median of the
    # longer half of the intervals (premature beats only shorten RR).
    sinus = np.median(np.sort(rr)[len(rr) // 2:])
    # Mean of the ~10 preceding pre-RRs: what this beat was expected to follow.
    c = np.concatenate([[0.0], np.cumsum(pre)])
    i = np.arange(n)
    lo = np.maximum(i - 10, 0)
    prev = np.where(i > 0, (c[i] - c[lo]) / np.maximum(i - lo, 1), pre)
    # Irregularity: successive log-RR changes around the beat. Sinus rhythm with an occasional
    # premature beat has a small median change; atrial fibrillation is irregular everywhere.
    d = np.abs(np.diff(np.log(pre), prepend=np.log(pre[0])))
    irr_med = _rolling(d, cfg.irreg_beats, "median")
    irr_mean = _rolling(d, cfg.irreg_beats, "mean")
    f = np.stack([np.log(pre / local), np.log(post / local), np.log(pre / rec), np.log(post / rec),
                  np.log(local / rec), pre, post, np.log(pre / post), np.log(pre / local_hi),
                  np.log(pre / rec_hi), np.log(pre / sinus), np.log(post / sinus), np.log(pre / prev),
                  irr_med, irr_mean], axis=1)
    return f.astype(np.float32)


class BeatWindows:
    """The beat windows of one record, (n, 2, window) float32 (see :func:`beat_windows`), made on
    demand: ``bw[a:b]`` builds the windows of beats a..b-1 from the prepared signal, the R-amplitude
    scale and the median beat computed once. A day's windows at once take 100 MB; the classifier
    needs them a batch at a time. ``np.asarray(bw)`` gives them all."""

    def __init__(self, x: np.ndarray, idx: np.ndarray, cfg: FeatureConfig, padded: bool = False):
        self.cfg, self.idx = cfg, np.asarray(idx, np.int64)
        self.pad = cfg.window  # beats near the edges get windows padded with zeros
        # float32: half the memory traffic of long records
        xp = np.asarray(x, np.float32) if padded else np.pad(np.asarray(x, np.float32), self.pad)
        # Windows gathered from a strided view (no (beats x window) index matrix: 100 MB on a day of beats).
        self.view = np.lib.stride_tricks.sliding_window_view(xp, cfg.window)
        # R amplitude per beat: max |x| near the peak; the record median sets the gain.
        h = max(1, int(round(cfg.amp_s * cfg.fs)))
        scale = np.median(np.abs(self.view[self.idx + self.pad - h, :2 * h + 1]).max(axis=1)) if len(idx) else 1.0
        self.scale = np.float32(scale if np.isfinite(scale) and scale > 1e-9 else 1.0)
        # The median beat; above MAX_TEMPLATE_BEATS (about 4 h, longer than any MIT-BIH record) it is
        # taken over evenly spaced beats: the same beat, without sorting a day of windows.
        pick = slice(None, None, -(-len(idx) // MAX_TEMPLATE_BEATS)) if len(idx) else slice(None)
        self.template = np.median(self._beats(self.idx[pick]), axis=0) if len(idx) else \
            np.zeros(cfg.window, np.float32)

    def _beats(self, idx: np.ndarray) -> np.ndarray:
        out = np.empty((len(idx), self.cfg.window), np.float32)
        for i in range(0, len(idx), BEAT_BLOCK):  # a block of beats at a time: no (beats x window) temporary
            out[i:i + BEAT_BLOCK] = self.view[idx[i:i + BEAT_BLOCK] + self.pad - self.cfg.n_pre]
        out /= self.scale
        return out

    def __len__(self) -> int:
        return len(self.idx)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.idx), 2, self.cfg.window)

    def __getitem__(self, key) -> np.ndarray:
        if not isinstance(key, slice):
            raise TypeError("BeatWindows takes a slice of beats, e.g. bw[a:b]")
        idx = self.idx[key]
        out = np.empty((len(idx), 2, self.cfg.window), np.float32)
        out[:, 0] = self._beats(idx)
        np.subtract(out[:, 0], self.template, out=out[:, 1])
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[:]
        return out if dtype is None else out.astype(dtype)


def beat_windows(x: np.ndarray, idx: np.ndarray, cfg: FeatureConfig, padded: bool = False) -> np.ndarray:
    """(n, 2, window) float32: the normalised beat and its difference to the
    record's median beat (what makes a beat unusual *for this patient*).
    ``padded``: ``x`` already has ``cfg.window`` zeros either side (:func:`prepare_signal`'s ``pad``)."""
    return BeatWindows(x, idx, cfg, padded)[:]


def _corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    return (a * b).sum(-1) / np.sqrt((a * a).sum(-1) * (b * b).sum(-1) + 1e-9)


def _width(x: np.ndarray, fs: float) -> np.ndarray:
    """QRS width proxy (s): span where |x| exceeds 30 % of its maximum."""
    above = np.abs(x) > 0.3 * np.abs(x).max(axis=-1, keepdims=True)
    first = above.argmax(axis=-1)
    last = x.shape[-1] - 1 - above[..., ::-1].argmax(axis=-1)
    return (last - first + 1) / fs


def morph_features(win: np.ndarray, cfg: FeatureConfig, template: np.ndarray | None = None) -> np.ndarray:
    """(n, 13) float32 morphology features of (n, 2, L) windows against the record's median beat
    (``template``, (1, L); default: recovered from the first window)."""
    beat = win[:, 0]
    if template is None:
        template = beat[:1] - win[:1, 1] if len(win) else np.zeros((1, cfg.window), np.float32)
    q = slice(cfg.n_pre - int(0.1 * cfg.fs), cfg.n_pre + int(0.1 * cfg.fs))  # QRS: R +- 100 ms
    e_b = np.sqrt((beat[:, q] ** 2).sum(-1)) + 1e-6
    e_t = np.sqrt((template[:, q] ** 2).sum(-1)) + 1e-6
    w_b, w_t = _width(beat[:, q], cfg.fs), _width(template[:, q], cfg.fs)
    p = slice(0, cfg.n_pre - int(0.08 * cfg.fs))          # P wave: an ectopic atrial beat changes it
    t = slice(cfg.n_pre + int(0.1 * cfg.fs), cfg.window)  # ST-T
    amp = np.abs(beat[:, q]).max(-1) / (np.abs(template[:, q]).max(-1) + 1e-6)
    # P-wave evidence: 250-120 ms before R. A beat without the patient's P wave (ectopic atrial
    # beat with a different P, or fibrillation) has a different energy there; the template's
    # own P energy says whether this record has visible P waves at all.
    pw = slice(0, max(1, cfg.n_pre - int(0.12 * cfg.fs)))
    sd_b, sd_t = beat[:, pw].std(-1) + 1e-3, template[:, pw].std(-1) + 1e-3
    f = np.stack([_corr(beat[:, q], template[:, q]), _corr(beat, template), np.log(e_b / e_t),
                  np.sqrt((win[:, 1, q] ** 2).sum(-1)) / e_t, w_b, np.log(w_b / w_t),
                  _corr(beat[:, p], template[:, p]), _corr(beat[:, t], template[:, t]), np.log(amp + 1e-6),
                  win[:, 1, q].max(-1), win[:, 1, q].min(-1), np.log(sd_b / sd_t),
                  np.broadcast_to(sd_t / (np.abs(template[:, q]).max(-1) + 1e-3), sd_b.shape)], axis=1)
    return f.astype(np.float32)


def beat_features(ecg: np.ndarray, fs: float, peaks: np.ndarray, cfg: FeatureConfig = FeatureConfig(),
                  lazy: bool = False):
    """Windows (n, 2, L) and per-beat features (n, 28: RR then morphology) for beats at ``peaks``;
    with ``lazy``, the windows as a :class:`BeatWindows` (made a block of beats at a time).

    ``peaks`` are sample numbers at ``fs`` in increasing order (the caller sorts).
    """
    return features_of_prepared(prepare_signal(ecg, fs, cfg, pad=cfg.window), fs, peaks, cfg, lazy)


def features_of_prepared(x: np.ndarray, fs: float, peaks: np.ndarray, cfg: FeatureConfig, lazy: bool = False):
    """:func:`beat_features` from the lead already prepared (``prepare_signal(..., pad=cfg.window)``)."""
    peaks = np.asarray(peaks, dtype=np.int64)
    n = len(x) - 2 * cfg.window
    idx = np.clip(np.rint(peaks * (cfg.fs / fs)).astype(np.int64), 0, max(n - 1, 0))
    win = BeatWindows(x, idx, cfg, padded=True)
    if not lazy:
        win = win[:]
    # In blocks of beats: the comparisons with the median beat make several (beats x window) arrays.
    first = win[:1]
    template = first[:, 0] - first[:, 1] if len(win) else None
    morph = [morph_features(win[i:i + BEAT_BLOCK], cfg, template) for i in range(0, len(win), BEAT_BLOCK)]
    return win, np.concatenate([rr_features(peaks / float(fs), cfg),
                                np.concatenate(morph) if morph else morph_features(win[:], cfg)], axis=1)
