"""Why the beat classifier gave a beat its label.

For one beat of a record, with the shipped ensemble:

- integrated gradients (Sundararajan et al. 2017) over the beat's window and its
  28 hand-made features, from the record's median beat to the beat, holding the
  other beats as they are: which samples and which features moved the label's logit;
- integrated gradients over the LSTM's inputs of every beat in its context, from
  "every beat is the median beat" to the record as it is: which neighbours moved it;
- the LSTM's gates and cell state over its 64-beat window (``lstm_cell``);
- the most similar training beats of each class (``neighbours``).

The logit explained is exactly the one ``BeatClassifier.predict`` turns into the
label: the member mean of the centre-weighted mean over the overlapping windows
that cover the beat, divided by the calibration temperature (its softmax is the
shipped probability).  So the attributions of each part sum to a difference of
shipped logits (completeness), which ``completeness_gap`` reports.

Integrated gradients are written here (a dozen lines) rather than taken from
captum: the function differentiated is our own composition of members and
overlapping windows, the path is batched in one backward pass, and the
completeness check with step doubling is ours to report; captum would add a
dependency for the one loop below.
"""
from __future__ import annotations

import numpy as np
import torch

from ..beats.aami import CLASSES
from ..classifier.features import N_FEATURES, beat_features
from ..classifier.model import ensemble_members
from ..classifier.predict import DEFAULT_PATH, BeatClassifier, sequence_logits
from ..errors import ECGError
from ..signal.spans import bridge_gaps
from .explanation import SEGMENTS, BeatExplanation, ExplainConfig, ExplainError, PreparedRecord, summarise
from .lstm_cell import Directions, unrolled_lstm
from .neighbours import DEFAULT_INDEX, NeighbourIndex
from .phrases import FEATURE_NAMES, describe, feature_kind


def _list(x, decimals: int = 5) -> list:
    """A float array as a JSON-ready list of rounded Python floats."""
    return np.round(np.asarray(x, dtype=np.float64), decimals).tolist()


def covering_windows(n: int, seq_len: int, i: int) -> list[tuple[int, int, float]]:
    """(start, length, weight) of the LSTM windows that ``sequence_logits`` runs over beat ``i``."""
    if n <= seq_len:
        return [(0, n, 1.0)]
    hop = seq_len // 2
    starts = np.arange(0, n - seq_len + 1, hop)
    if starts[-1] != n - seq_len:
        starts = np.append(starts, n - seq_len)
    t = np.arange(seq_len)
    wt = 1.0 - np.abs(t - (seq_len - 1) / 2) / (seq_len / 2) + 1e-3  # as in sequence_logits
    return [(int(s), seq_len, float(wt[i - s])) for s in starts if s <= i < s + seq_len]


def _beat_logits(member, dirs: Directions, zspan: torch.Tensor, a: int, i: int, wins, temperature: float):
    """(S, span, d) LSTM inputs of beats a.. -> (S, 5) calibrated logits of beat i, as predict computes them
    (the head on the BiLSTM's output at beat i, centre-weighted over the windows covering it)."""
    acc, wsum = 0.0, 0.0
    for s, length, w in wins:
        acc = acc + w * member.head(dirs.output_at(zspan[:, s - a:s - a + length], i - s))
        wsum += w
    return acc / wsum / temperature


class Explainer:
    """Explains labels of the shipped (or a given) beat classifier."""
    def __init__(self, classifier: BeatClassifier | None = None, index=None, config: ExplainConfig = ExplainConfig()):
        self.clf = classifier or BeatClassifier.load()
        self.members = ensemble_members(self.clf.model)
        self.directions = [Directions.of(m.seq) for m in self.members]
        self._states: tuple = (None, None)  # (key, LSTM states around one beat), see beat_logits
        self.index = index  # a ``neighbours.NeighbourIndex`` or None
        self.index_note = "" if index is not None else "no similar-beat index loaded"
        self.cfg = config

    @classmethod
    def load(cls, model_path=None, index_path=None, config: ExplainConfig = ExplainConfig()) -> "Explainer":
        """The classifier at ``model_path`` (default: shipped) and the similar-beat index built for it.

        A missing or mismatched index is not fatal: the explanation then has no similar beats,
        and ``index_note`` says why (the rest does not need the index)."""
        clf = BeatClassifier.load(model_path)
        try:
            index, note = NeighbourIndex.load(index_path or DEFAULT_INDEX, model_path or DEFAULT_PATH), ""
        except ECGError as e:
            index, note = None, str(e)
        ex = cls(clf, index, config)
        ex.index_note = note
        return ex

    # --- per record -------------------------------------------------------------------------
    def prepare(self, ecg: np.ndarray, fs: float, peaks: np.ndarray) -> PreparedRecord:
        """Features and LSTM inputs of every beat at ``peaks`` of the lead ``ecg`` (``fs`` Hz)."""
        peaks = np.asarray(peaks, dtype=np.int64)
        if peaks.ndim != 1 or len(peaks) == 0:
            raise ExplainError("the record has no beats to explain")
        order = np.argsort(peaks, kind="stable")
        w, f = beat_features(np.asarray(ecg, np.float64), fs, peaks[order], self.clf.features)
        return self.prepare_features(w, f, peaks[order], order)

    @torch.no_grad()
    def prepare_features(self, w: np.ndarray, f: np.ndarray, sorted_peaks: np.ndarray,
                         order: np.ndarray | None = None) -> PreparedRecord:
        """``prepare`` from beat features already computed (``beat_features`` of the beats in time order);
        ``order`` maps the caller's beat numbers to time order (default: the same)."""
        if len(w) == 0:
            raise ExplainError("the record has no beats to explain")
        wt, ft = torch.as_tensor(w), torch.as_tensor(f)
        template = wt[0, 0] - wt[0, 1]
        base_w = torch.stack([template, torch.zeros_like(template)])
        base_f = ft.median(dim=0).values
        z = [torch.cat([m.embed(wt[k:k + 1024], ft[k:k + 1024]) for k in range(0, len(wt), 1024)]) for m in self.members]
        z0 = [m.embed(base_w[None], base_f[None])[0] for m in self.members]
        logits = sequence_logits(self.clf.model, wt, ft, self.clf.seq_len) / self.clf.temperature
        order = np.arange(len(w)) if order is None else np.asarray(order)
        pos = np.empty_like(order)
        pos[order] = np.arange(len(order))
        return PreparedRecord(np.asarray(sorted_peaks), pos, w, f, z, base_w, base_f, z0, logits)

    def prepare_analysis(self, analysis) -> PreparedRecord:
        """``prepare`` for the beats of an :class:`~ecg_lstm.analyze.Analysis` (its lead, gaps bridged as
        ``analyze_record`` bridges them), so beat ``i`` is row ``i`` of ``analysis.beats``."""
        ecg, _ = bridge_gaps(analysis.record.signal[:, analysis.lead_index])
        return self.prepare(ecg, analysis.record.fs, analysis.beats["sample"].to_numpy(np.int64))

    # --- per beat ---------------------------------------------------------------------------
    def _integrate(self, f_path) -> tuple[list[torch.Tensor], float, float, float, int]:
        """Integrated gradients of ``f_path(alphas, grad) -> (values (S,), inputs, deltas)`` along the
        straight path alpha = 0..1, by the midpoint rule on an adaptive grid.

        An LSTM's gates can saturate and switch within a tiny stretch of the path (a step of the
        logit that a uniform grid of any practical size steps over, and the attributions then miss
        it). Each interval's own error is known exactly, f(hi) - f(lo) - (its attributions), so
        the intervals with the largest errors are split in four until the attributions sum to
        f(1) - f(0) within the tolerance (relative, or 0.002 logit), or the budget is spent.
        Returns (attributions per input, f(0), f(1), completeness gap, gradients evaluated)."""
        cfg = self.cfg

        def values(alpha):
            return f_path(alpha, grad=False)[0].detach()

        def parts(lo, hi):  # each interval's attributions: delta * gradient at its midpoint * width
            vals, inputs, deltas = f_path((lo + hi) / 2, grad=True)
            grads = torch.autograd.grad(vals.sum(), inputs)
            return [(d * g * (hi - lo).view(-1, *[1] * (g.dim() - 1))).detach() for d, g in zip(deltas, grads)]

        edges = torch.linspace(0.0, 1.0, cfg.steps + 1)
        f_edges = values(edges)
        f0, f1 = float(f_edges[0]), float(f_edges[-1])
        lo, hi, f_lo, f_hi = edges[:-1], edges[1:], f_edges[:-1], f_edges[1:]
        attr, used, rounds = parts(lo, hi), cfg.steps, 0
        while True:
            err = (f_hi - f_lo) - sum(a.flatten(1).sum(1) for a in attr)
            miss = abs(float(err.sum()))
            gap = miss / max(abs(f1 - f0), 1e-3)
            if gap <= cfg.tolerance or miss <= cfg.abs_tolerance or used >= cfg.max_steps:
                return [a.sum(0) for a in attr], f0, f1, gap, used
            rounds += 1
            if rounds > cfg.max_rounds:
                return [a.sum(0) for a in attr], f0, f1, gap, used
            # Split only the intervals that carry the error (often one step of the logit), at most 8.
            worst = torch.topk(err.abs(), min(8, len(err))).indices
            worst = worst[err.abs()[worst] >= 0.2 * err.abs()[worst[0]]]
            keep = torch.ones(len(err), dtype=torch.bool)
            keep[worst] = False
            q = torch.arange(5, dtype=torch.float32) / 4
            sub = lo[worst, None] + (hi - lo)[worst, None] * q  # (w, 5) new edges
            f_sub = values(sub.flatten()).view(sub.shape)
            new_lo, new_hi = sub[:, :-1].flatten(), sub[:, 1:].flatten()
            new = parts(new_lo, new_hi)
            lo, hi = torch.cat([lo[keep], new_lo]), torch.cat([hi[keep], new_hi])
            f_lo, f_hi = torch.cat([f_lo[keep], f_sub[:, :-1].flatten()]), torch.cat([f_hi[keep], f_sub[:, 1:].flatten()])
            attr = [torch.cat([a[keep], b]) for a, b in zip(attr, new)]
            used += len(new_lo)

    def beat_logits(self, prep: PreparedRecord, i: int, c: int, windows: torch.Tensor,
                    features: torch.Tensor) -> torch.Tensor:
        """Calibrated logit of class ``c`` for beat ``i`` (time order) with its window and features replaced by
        each of ``windows`` (S, 2, L) and ``features`` (S, 28); every other beat as it is. Differentiable."""
        wins = covering_windows(len(prep.peaks), self.clf.seq_len, i)
        key = (id(prep), i)
        if self._states[0] != key:  # the other beats are fixed: each direction is one step from these
            self._states = (key, [[d.states_around(z[s:s + ln], i - s) for s, ln, _ in wins]
                                  for d, z in zip(self.directions, prep.z)])
        out = 0.0
        for m, d, states in zip(self.members, self.directions, self._states[1]):
            zi = m.embed(windows, features)
            acc = sum(w * m.head(d.step(zi, st)) for (_, _, w), st in zip(wins, states))
            out = out + acc / sum(w for _, _, w in wins) / self.clf.temperature
        return out[:, c] / len(self.members)

    def attribute_beat(self, prep: PreparedRecord, i: int, c: int):
        """Integrated gradients of beat ``i``'s class-``c`` logit over its window (2, L) and features (28,),
        from the record's median beat. Returns (window attribution, feature attribution, baseline logit,
        logit, completeness gap, steps)."""
        x_w, x_f = torch.as_tensor(prep.windows[i]), torch.as_tensor(prep.features[i])
        d_w, d_f = x_w - prep.base_window, x_f - prep.base_features

        def beat_path(alpha, grad):
            with torch.set_grad_enabled(grad):
                pw = (prep.base_window + alpha[:, None, None] * d_w).requires_grad_(grad)
                pf = (prep.base_features + alpha[:, None] * d_f).requires_grad_(grad)
                return self.beat_logits(prep, i, c, pw, pf), (pw, pf), (d_w, d_f)

        (attr_w, attr_f), f_base, f_x, gap, steps = self._integrate(beat_path)
        return attr_w, attr_f, f_base, f_x, gap, steps

    def context_logits(self, prep: PreparedRecord, i: int, c: int, zspans: list) -> torch.Tensor:
        """Calibrated logit of class ``c`` for beat ``i`` with the LSTM inputs of its context replaced:
        ``zspans`` holds per member (S, span, d) inputs of the beats ``context_span`` covers."""
        wins = covering_windows(len(prep.peaks), self.clf.seq_len, i)
        a = min(s for s, _, _ in wins)
        return sum(_beat_logits(m, d, z, a, i, wins, self.clf.temperature)[:, c]
                   for m, d, z in zip(self.members, self.directions, zspans)) / len(self.members)

    def context_span(self, prep: PreparedRecord, i: int) -> tuple[int, int]:
        """[a, b): the beats (time order) of the LSTM windows that cover beat ``i``."""
        wins = covering_windows(len(prep.peaks), self.clf.seq_len, i)
        return min(s for s, _, _ in wins), max(s + ln for s, ln, _ in wins)

    def attribute_context(self, prep: PreparedRecord, i: int, c: int):
        """Integrated gradients of beat ``i``'s class-``c`` logit over the LSTM inputs of every beat of its
        context, from "every beat is the median beat". Returns (per-beat attribution over ``context_span``,
        baseline logit, completeness gap, steps)."""
        a, b = self.context_span(prep, i)
        deltas = [z[a:b] - z0 for z, z0 in zip(prep.z, prep.z0)]

        def context_path(alpha, grad):
            with torch.set_grad_enabled(grad):
                paths = [(z0 + alpha[:, None, None] * d).requires_grad_(grad) for z0, d in zip(prep.z0, deltas)]
                return self.context_logits(prep, i, c, paths), paths, deltas

        attr_z, f0, _, gap, steps = self._integrate(context_path)
        return sum(az.sum(-1) for az in attr_z).numpy(), f0, gap, steps

    def explain(self, prep: PreparedRecord, beat: int, target: str | None = None) -> BeatExplanation:
        """Explain beat ``beat`` (row index in the peaks given to ``prepare``)."""
        n = len(prep.peaks)
        if not (isinstance(beat, (int, np.integer)) and 0 <= beat < n):
            raise ExplainError(f"beat {beat} is not in this record: give a beat index from 0 to {n - 1}")
        i = int(prep.order[beat])
        probs = torch.softmax(prep.logits[i], -1)
        label = CLASSES[int(probs.argmax())]
        target = target or label
        if target not in CLASSES:
            raise ExplainError(f"target class {target!r} is not one of {', '.join(CLASSES)}")
        c = CLASSES.index(target)
        wins = covering_windows(n, self.clf.seq_len, i)
        a, b = min(s for s, _, _ in wins), max(s + ln for s, ln, _ in wins)

        # 1. This beat's window and features, from the median beat; the other beats stay.
        attr_w, attr_f, f_base, f_x, gap_b, steps_b = self.attribute_beat(prep, i, c)
        sample_attr = attr_w.sum(0).numpy()  # the CNN reads the difference channel; sum is general

        # 2. Every beat of the context, from "all beats are the median beat".
        ctx_attr, f_ctx0, gap_c, steps_c = self.attribute_context(prep, i, c)
        ctx_labels = [CLASSES[k] for k in prep.logits[a:b].argmax(-1).tolist()]

        # 3. LSTM state over the window in which this beat is most central (first member).
        s0, ln0, _ = max(wins, key=lambda w: w[2])
        m0 = self.members[0]
        with torch.no_grad():
            zwin = prep.z[0][s0:s0 + ln0]
            out_cell, states = unrolled_lstm(m0.seq, zwin)
            check = float((out_cell - m0.seq(zwin[None])[0][0]).abs().max())
        lstm_state = {d: {k: _list(getattr(st, k).numpy(), 4) for k in ("input", "forget", "output", "cell")}
                      for d, st in zip(("forward", "backward"), states)}

        # 4. Similar training beats.
        similar = self.index.similar(self.embedding(prep, i), self.cfg.neighbours) if self.index is not None else []

        fs_int, n_pre = self.clf.features.fs, self.clf.features.n_pre
        t = (np.arange(prep.windows.shape[-1]) - n_pre) / fs_int
        seg = {name: round(float(sample_attr[(t >= lo) & (t < hi)].sum()), 5) for name, (lo, hi) in SEGMENTS.items()}
        feats = [{"name": nm, "kind": feature_kind(nm), "value": round(float(prep.features[i, k]), 5),
                  "text": describe(nm, float(prep.features[i, k])),
                  "baseline": round(float(prep.base_features[k]), 5), "attribution": round(float(attr_f[k]), 5)}
                 for k, nm in enumerate(FEATURE_NAMES)]
        ex = BeatExplanation(
            beat=int(beat), sample=int(prep.peaks[i]), label=label,
            probs={cl: round(float(p), 5) for cl, p in zip(CLASSES, probs.tolist())}, target=target,
            logit=float(prep.logits[i, c]), time_s=_list(t),
            beat_wave=_list(prep.windows[i, 0]), median_wave=_list(prep.base_window[0]),
            sample_attribution=_list(sample_attr), segment_attribution=seg, features=feats,
            beat_baseline_logit=f_base, beat_completeness_gap=gap_b,
            beat_completeness_error=gap_b * max(abs(f_x - f_base), 1e-3),
            context_offsets=list(range(a - i, b - i)), context_attribution=_list(ctx_attr),
            context_labels=ctx_labels, context_baseline_logit=f_ctx0, context_completeness_gap=gap_c,
            context_completeness_error=gap_c * max(abs(f_x - f_ctx0), 1e-3),
            lstm_window_offsets=list(range(s0 - i, s0 + ln0 - i)), lstm_state=lstm_state,
            lstm_check_max_abs=check, similar=similar, similar_note=self.index_note,
            ig_steps=max(steps_b, steps_c))
        ex.summary = summarise(ex)
        return ex

    @torch.no_grad()
    def embedding(self, prep: PreparedRecord, i: int) -> np.ndarray:
        """(members * 2 * hidden,) what the classifier's head sees for beat ``i`` (sorted position):
        the members' LSTM outputs, each the centre-weighted mean over the windows covering the beat."""
        wins = covering_windows(len(prep.peaks), self.clf.seq_len, i)
        parts = []
        for m, z in zip(self.members, prep.z):
            h = sum(w * m.seq(z[None, s:s + ln])[0][0, i - s] for s, ln, w in wins) / sum(w for _, _, w in wins)
            parts.append(h)
        return torch.cat(parts).numpy()


assert len(FEATURE_NAMES) == N_FEATURES
