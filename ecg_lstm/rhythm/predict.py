"""Rhythm episodes of a record from its beat positions.

:class:`RhythmClassifier` labels every beat from the RR window centred on it,
then turns the beat labels into episodes:

1. beat probabilities are averaged over ``smooth_beats`` neighbouring beats;
2. hysteresis on atrial fibrillation: an AF episode starts where P(AF) rises to
   ``af_enter`` and lasts until it falls below ``af_exit``, so a probability
   hovering near the threshold does not flicker; elsewhere the beat is "N" or
   "OTHER", whichever is more probable;
3. with ``refine_beats`` > 0, each AF run's onset and offset move (at most
   that many beats) to the beat that best splits irregular from regular RR
   (:func:`refine_af_edges`): the 30-beat window blurs a transition over
   about half its width, the RR sequence itself does not;
4. episodes shorter than ``min_episode_s`` are merged into the longer
   neighbour, shortest first, so the output has no runs of a few beats.

The defaults below (9 beats, 0.6 / 0.4, 10 s) are replaced by the settings
stored with the weights (``postprocessing`` in ``rhythm_lstm.json``), chosen on
held-out DS1 records at training time; the shipped model uses 0.7 / 0.5 and
30 s (the usual clinical minimum for an AF episode) without smoothing.

Episodes cover the record: the first starts at sample 0, each ends where the
next begins, the last ends at ``n_samples`` (or just after the last beat).

Every beat's window runs through the LSTM (the windows overlap, but each
starts the LSTM afresh, so nothing is shared between them): on a 24-hour record,
about 100,000 windows of 30 steps. They go in batches sized for the device: on a
CPU, 256 windows per torch thread, whose activations stay in the thread's cache
(on one thread, 256 and 512 took the same time, 4,096 about twice as long); on a
GPU, as many as a share of its free memory holds.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..errors import ModelError, RecordError, SamplingRateError
from ..paths import MODELS_DIR
from ..weights import batch_size, inference_device, load_weights, on_device
from .features import WINDOW, rhythm_inputs, rr_seconds
from .labels import AF_LABELS, CLASSES, af_burden  # noqa: F401 (af_burden: public here too)
from .model import RhythmLSTM

DEFAULT_WEIGHTS = MODELS_DIR / "rhythm_lstm.pt"
EPISODE_COLUMNS = ["label", "start_sample", "end_sample", "start_s", "end_s", "confidence"]
#: Labels counted as atrial fibrillation / flutter by :func:`af_burden`.
#: Fewest beats for which a rhythm is reported.
MIN_BEATS = 8
#: Post-processing settings stored with the weights (``postprocessing`` in the .json).
POST_KEYS = ("smooth_beats", "af_enter", "af_exit", "min_episode_s", "refine_beats")
#: Windows per LSTM call and torch thread on a CPU (see the module docstring).
CPU_WINDOWS = 256


class RhythmClassifier:
    """Rhythm LSTM plus episode post-processing (see the module docstring)."""

    def __init__(self, model: RhythmLSTM, config: dict | None = None, *, smooth_beats: int = 9,
                 af_enter: float = 0.6, af_exit: float = 0.4, min_episode_s: float = 10.0, refine_beats: int = 0,
                 device=None):
        self.model = model.eval()
        self.config = config or {}
        self.name = self.config.get("name", "rhythm_lstm")
        self.window = int(self.config.get("window_rr", WINDOW))
        self.smooth_beats, self.af_enter, self.af_exit = smooth_beats, af_enter, af_exit
        self.min_episode_s, self.refine_beats = min_episode_s, refine_beats
        # Inference device: the GPU when torch sees one. ``model`` itself stays on the CPU.
        self.device = inference_device(device)
        self._net: tuple[RhythmLSTM, RhythmLSTM] | None = None  # (model, its copy on the device)

    @classmethod
    def load(cls, path: str | Path | None = None, **kwargs) -> "RhythmClassifier":
        """Load weights (default: the shipped ``models/rhythm_lstm.pt``) and the
        ``.json`` beside them (or ``config.json`` of a run folder) when present;
        its ``postprocessing`` settings replace the defaults, ``kwargs`` (and ``device``) replace both.
        Raises ModelError when the file is missing, corrupt, or not weights of this model."""
        path = Path(path) if path is not None else DEFAULT_WEIGHTS
        state = load_weights(path, "rhythm model", "make train-rhythm")
        try:
            hidden = int(state["lstm.weight_hh_l0"].shape[1])
            model = RhythmLSTM(hidden=hidden)
            model.load_state_dict(state)
        except Exception as exc:
            raise ModelError(f"{path} does not hold rhythm LSTM weights matching this version of ecg-lstm "
                             f"({type(exc).__name__}: {str(exc)[:200]}); retrain with `make train-rhythm`") from exc
        config = {}
        cfg_path = path.with_suffix(".json")
        if not cfg_path.exists():  # a training run folder: weights.pt beside config.json
            cfg_path = path.parent / "config.json"
        if cfg_path.exists():
            try:
                config = json.loads(cfg_path.read_text())
            except ValueError as exc:
                raise ModelError(f"{cfg_path} is not valid JSON; reinstall the model files") from exc
            if config.get("classes", list(CLASSES)) != list(CLASSES):
                raise ModelError(f"{cfg_path} lists classes {config.get('classes')}, expected {list(CLASSES)}")
        # Post-processing chosen at training time (held-out DS1 records); kwargs override it.
        post = {k: v for k, v in config.get("postprocessing", {}).items()
                if k in POST_KEYS}
        return cls(model, config, **{**post, **kwargs})

    # -- beat level -----------------------------------------------------------------
    def predict_beats(self, peaks, fs: float, labels=None) -> np.ndarray:
        """Probability of each class (order :data:`CLASSES`) per beat, shape (n, 3)."""
        peaks, fs, labels = validate_beats(peaks, fs, labels)
        if len(peaks) < MIN_BEATS:
            return np.zeros((len(peaks), len(CLASSES)), np.float32)
        seq, feat = rhythm_inputs(peaks, fs, labels, self.window)
        return self.probs_from_inputs(seq, feat)

    # -- episodes -------------------------------------------------------------------
    def predict(self, peaks, fs: float, labels=None, n_samples: int | None = None) -> pd.DataFrame:
        """Rhythm episodes covering the record.

        Parameters
        ----------
        peaks : beat positions, sample numbers at ``fs`` Hz, increasing.
        fs : sampling rate in Hz.
        labels : optional beat classes (N/S/V/F/Q) per peak; S/V/F beats are
            flagged as ectopic so regular rhythm with ectopics is not taken for AF.
        n_samples : record length in samples (default: one past the last peak).

        Returns a DataFrame with columns label ("N", "AFIB", "OTHER"),
        start_sample, end_sample, start_s, end_s, confidence (mean probability
        of the label over the episode's beats); empty with fewer than 8 beats.
        """
        peaks, fs, labels = validate_beats(peaks, fs, labels)
        if len(peaks) < MIN_BEATS:
            return pd.DataFrame(columns=EPISODE_COLUMNS)
        probs = self.predict_beats(peaks, fs, labels)
        return episodes_from_probs(probs, peaks, fs, n_samples, **self.post)

    # -- the network ----------------------------------------------------------------
    @property
    def net(self) -> RhythmLSTM:
        """``self.model`` on ``self.device`` (a copy, made on first use, unless that is the CPU)."""
        if self._net is None or self._net[0] is not self.model:
            self._net = (self.model, on_device(self.model, self.device))
        return self._net[1]

    def batch_size(self, seq_shape: tuple[int, ...]) -> int:
        """Windows per LSTM call (:func:`ecg_lstm.weights.batch_size` with :data:`CPU_WINDOWS` per thread, a
        window's float32 input, gates and outputs, both directions, on a GPU)."""
        steps, channels = seq_shape[1], seq_shape[2]
        return batch_size(self.device, 4 * steps * (channels + 12 * self.model.lstm.hidden_size), CPU_WINDOWS)

    @torch.inference_mode()
    def probs_from_inputs(self, seq: np.ndarray, feat: np.ndarray, forward=None) -> np.ndarray:
        """Class probabilities (n, 3), float32, of the model inputs of :func:`.features.rhythm_inputs`;
        ``forward`` ((seq, feat) tensors -> logits) replaces the network (another implementation, to compare)."""
        forward = self.net if forward is None else forward
        seq = torch.as_tensor(seq, dtype=torch.float32)
        feat = torch.as_tensor(feat, dtype=torch.float32)
        out = torch.empty(len(seq), len(CLASSES))
        b = self.batch_size(tuple(seq.shape))
        for i in range(0, len(seq), b):
            s = seq[i:i + b].to(self.device, non_blocking=True)
            f = feat[i:i + b].to(self.device, non_blocking=True)
            out[i:i + b] = torch.softmax(forward(s, f).float(), dim=1).cpu()
        return out.numpy()

    @property
    def post(self) -> dict:
        """The episode post-processing settings, as keyword arguments of :func:`episodes_from_probs`."""
        return {k: getattr(self, k) for k in POST_KEYS}


def validate_beats(peaks, fs, labels):
    """(peaks as int64, fs as float, labels as an array or None), checked: a positive rate, strictly
    increasing peaks, one label per peak. Raises SamplingRateError or RecordError."""
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise SamplingRateError(f"sampling rate must be a number in Hz, got {fs!r}") from None
    if not np.isfinite(fs) or fs <= 0:
        raise SamplingRateError(f"sampling rate must be positive, got {fs}")
    peaks = np.asarray(peaks)
    if peaks.ndim != 1:
        raise RecordError(f"peaks must be a 1-D array of sample numbers, got shape {peaks.shape}")
    peaks = peaks.astype(np.int64)
    if len(peaks) > 1 and np.any(np.diff(peaks) <= 0):
        raise RecordError("peaks must be strictly increasing sample numbers; sort them and drop duplicates")
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != len(peaks):
            raise RecordError(f"labels has {len(labels)} entries for {len(peaks)} peaks; give one label per peak")
    return peaks, fs, labels


def smooth_probs(probs: np.ndarray, width: int) -> np.ndarray:
    if width <= 1 or len(probs) < width:
        return probs
    kernel = np.ones(width) / width
    pad = np.pad(probs, ((width // 2, width - 1 - width // 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(pad[:, c], kernel, mode="valid") for c in range(probs.shape[1])], axis=1)


def beat_labels(probs: np.ndarray, af_enter: float = 0.6, af_exit: float = 0.4) -> np.ndarray:
    """Class index per beat: hysteresis on AF, N vs OTHER by probability elsewhere."""
    af, n, other = (CLASSES.index(c) for c in ("AFIB", "N", "OTHER"))
    out = np.where(probs[:, n] >= probs[:, other], n, other)
    p = probs[:, af]
    if af_enter >= af_exit:
        # Without a loop over a day of beats: P(AF) >= af_enter is AF whatever came before, below
        # af_exit it is not; in between a beat keeps the state of the last beat outside that band.
        decided = (p >= af_enter) | (p < af_exit)
        last = np.maximum.accumulate(np.where(decided, np.arange(len(p)), -1))
        in_af = (last >= 0) & (p[np.maximum(last, 0)] >= af_enter)
        out[in_af] = af
        return out
    in_af = False
    for i, x in enumerate(p):
        in_af = x >= af_exit if in_af else x >= af_enter
        if in_af:
            out[i] = af
    return out


def refine_af_edges(lab: np.ndarray, rr: np.ndarray, reach: int) -> np.ndarray:
    """Move the onset and offset of each AF run by up to ``reach`` beats to the change point of
    d_i = |log(RR_i / RR_i-1)|: with tau halfway between d's mean inside the run and in the
    ``reach`` beats around it, the onset is where the cumulative sum of (d - tau) is lowest, the
    offset where it is highest (CUSUM).  Beats gained are AF; beats given up take the label found
    just outside the run."""
    af = CLASSES.index("AFIB")
    n = len(lab)
    lr = np.log(np.maximum(rr, 1e-3))
    d = np.abs(np.diff(lr, prepend=lr[0]))
    out = lab.copy()
    is_af = lab == af
    starts = np.flatnonzero(is_af & ~np.r_[False, is_af[:-1]])
    stops = np.flatnonzero(is_af & ~np.r_[is_af[1:], False]) + 1
    for s, e in zip(starts, stops):
        outer = np.r_[d[max(s - reach, 0):s], d[e:e + reach]]
        if len(outer) == 0 or d[s:e].mean() <= outer.mean():
            continue
        tau = 0.5 * (d[s:e].mean() + outer.mean())
        c = np.r_[0.0, np.cumsum(d - tau)]  # c[k]: sum over beats before k
        lo, hi = max(s - reach, 0), min(s + reach, e - 1)
        s2 = lo + int(np.argmin(c[lo:hi + 1]))
        lo, hi = max(e - reach, s2 + 1), min(e + reach, n)
        e2 = lo + int(np.argmax(c[lo:hi + 1])) if hi >= lo else e
        before, after = (lab[s - 1] if s > 0 else lab[min(e, n - 1)]), (lab[e] if e < n else lab[s - 1])
        out[min(s, s2):max(s, s2)] = af if s2 < s else before
        out[min(e, e2):max(e, e2)] = af if e2 > e else after
    return out


def merge_short_runs(lab: np.ndarray, times_s: np.ndarray, end_s: float, min_s: float) -> np.ndarray:
    """Relabel runs shorter than ``min_s`` seconds as their longer neighbour, shortest first (of
    equally short runs, the earliest)."""
    import heapq

    lab = np.asarray(lab)
    # Run by run, with a heap of run lengths and the runs as a linked list: a day holds thousands of
    # runs, and finding the shortest by looking at every beat each time took a tenth of the
    # recompute after a correction.
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]]) if len(lab) else np.zeros(0, np.int64)
    t = [float(x) for x in times_s[starts]] + [float(end_s)]
    value = [lab[i] for i in starts]
    nxt, prv = list(range(1, len(starts) + 1)), list(range(-1, len(starts) - 1))
    last = len(starts)  # the end: t[last] is end_s
    version = [0] * len(starts)

    def dur(i: int) -> float:
        return t[nxt[i]] - t[i]

    heap = [(dur(i), int(starts[i]), i, 0) for i in range(len(starts))]
    heapq.heapify(heap)
    alive = len(starts)
    while alive >= 2 and heap:
        d, _, k, ver = heapq.heappop(heap)
        if ver != version[k]:
            continue  # a run since merged or changed
        if d >= min_s:
            break
        left = dur(prv[k]) if prv[k] >= 0 else -1.0
        right = dur(nxt[k]) if nxt[k] != last else -1.0
        value[k] = value[prv[k]] if left >= right else value[nxt[k]]
        for i, j in ((k, nxt[k]), (prv[k], k)):  # runs of one label are one run: the earlier keeps going
            if i >= 0 and j != last and value[i] == value[j]:
                nxt[i] = nxt[j]
                if nxt[j] != last:
                    prv[nxt[j]] = i
                version[j] = -1
                alive -= 1
                k = i
        for i in (k, prv[k]):
            if i >= 0:
                version[i] += 1
                heapq.heappush(heap, (dur(i), int(starts[i]), i, version[i]))
    out = lab.copy()
    i = 0 if len(starts) else last
    while i != last:
        out[starts[i]:(starts[nxt[i]] if nxt[i] != last else len(lab))] = value[i]
        i = nxt[i]
    return out


def episodes_from_probs(probs, peaks, fs: float, n_samples: int | None = None, *, smooth_beats: int = 9,
                        af_enter: float = 0.6, af_exit: float = 0.4, min_episode_s: float = 10.0,
                        refine_beats: int = 0) -> pd.DataFrame:
    """Beat probabilities -> episode table (see the module docstring)."""
    peaks = np.asarray(peaks, np.int64)
    n_samples = int(n_samples) if n_samples is not None else int(peaks[-1]) + 1
    sm = smooth_probs(np.asarray(probs, np.float64), smooth_beats)
    lab = beat_labels(sm, af_enter, af_exit)
    if refine_beats > 0 and len(peaks) > 2 * refine_beats:
        lab = refine_af_edges(lab, rr_seconds(peaks, fs), int(refine_beats))
    lab = merge_short_runs(lab, peaks / fs, n_samples / fs, min_episode_s)
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    stops = np.r_[starts[1:], len(lab)]
    rows = []
    for i, (a, b) in enumerate(zip(starts, stops)):
        s0 = 0 if i == 0 else int(peaks[a])
        s1 = n_samples if b == len(lab) else int(peaks[b])
        rows.append({"label": CLASSES[lab[a]], "start_sample": s0, "end_sample": s1,
                     "start_s": s0 / fs, "end_s": s1 / fs, "confidence": float(sm[a:b, lab[a]].mean())})
    return pd.DataFrame(rows, columns=EPISODE_COLUMNS)


def episodes_to_wfdb(episodes: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
    """Episodes as WFDB rhythm annotations, as MIT-BIH writes them: one ``+``
    at each episode start with the rhythm in aux_note (``"(AFIB"``, ``"(N"``, ...)."""
    if episodes is None or len(episodes) == 0:
        return np.zeros(0, np.int64), [], []
    samples = episodes["start_sample"].to_numpy(np.int64)
    return samples, ["+"] * len(samples), [f"({lab}" for lab in episodes["label"]]
