"""Adapt the beat classifier to one record: without labels, or with a reviewer's labels.

The shipped network was trained on 18 patients; what "premature" and
"different" mean varies from patient to patient, and the test patient's own
record can teach it (de Chazal & Reilly 2006, IEEE TBME 53(12): patient-adaptive
training with a few labelled beats; Llamedo & Martínez 2012, IEEE TBME 59(12):
beats for the expert chosen from per-record clusters). The network is not
changed: everything here happens on top of it, per record, in a fraction of a
second on a CPU.

* The LSTM's output of every beat (its hidden state, averaged over the
  overlapping windows exactly as ``predict.sequence_logits`` averages logits)
  is computed once. Plain logits are the shipped linear head on it.
* **Labelled adaptation** (``adapt_with_labels``) fits a per-record correction
  on top: a change of the linear head of every member, a per-record class bias,
  and a linear term on the record-standardised RR/morphology features (so that
  "this patient's S beats come 20 % early" can be learnt from a few beats).
  Reviewed labels spread through the beat templates (``templates.py``): a
  template whose reviewed beats agree gives its label, at a lower weight, to its
  other beats (label propagation through clusters, as a Holter analyst labels a
  template). An L2 pull towards the shipped head keeps the rest unchanged.
* **Unsupervised adaptation** (``adapt_unsupervised``) pools each beat's
  prediction with its template's: the log-probabilities are mixed with the
  template's mean log-probability (weight ``template_pooling``), so a beat that
  looks and falls like its template-mates is labelled like them (template
  consistency; the cluster-then-label idea of Lagerholm et al. 2000 without the
  expert). Chosen on DS1 (``adapt_select.py``; held-out records and record-wise
  CV): self-training on confident, template-consistent beats (Lee 2013), with
  the same fit as the labelled adaptation, did *not* beat the plain model there
  and is kept only as ``self_training()``.
* **Template rhythm rules** (``template_rhythm_rules``, the default of
  ``unsupervised()`` since it beat pooling alone on DS1) add the reasoning of
  Teijeiro et al. 2018 (``construe``) on top of pooling: a beat whose QRS
  matches the patient's dominant one but comes early against the patient's own
  local or sinus RR, or lacks the patient's P wave, is moved from N towards S,
  weighed by how many of its template-mates do the same; where the P wave is
  gone and RR is irregular (atrial fibrillation), irregular RR is not
  prematurity and S is moved back to N; a beat with another QRS, early and
  followed by a compensatory pause, is moved towards V, and one with the
  dominant QRS on time away from it. A few rules and thresholds, no labels:
  every reference is read off the record itself.
* **Query** (``query_beats``): the beats most worth a reviewer's look, chosen
  template by template: the dominant template first (it fixes what normal is for
  this patient), then templates by size times the model's uncertainty.

All functions take and return beats in the order of ``peaks``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..beats.aami import CLASS_INDEX, CLASSES
from ..errors import ECGError
from ..signal.checks import check_lead_and_peaks
from .features import beat_features
from .model import BeatEnsemble
from .template_rules import RhythmConfig, template_rhythm_rules
from .templates import TemplateConfig, Templates, templates_from_features

#: Beats of one template that carry its reviewed label into the fit (evenly spaced above this).
MAX_PROPAGATED = 5_000  # above any 30-min record's template: the reported results do not depend on it
#: Beats whose hidden states are read in float64 at a time (a day's at once: 170 MB).
FIT_BLOCK = 16_384


class LabelError(ECGError, ValueError):
    """Reviewer labels that cannot be used (unknown class, index outside the record, ...)."""


@dataclass(frozen=True)
class AdaptConfig:
    l2: float = 3.0               # pull of the correction towards zero (3 beat 0.3, 1 and 10 on DS1)
    prop_weight: float = 0.5      # weight of the beats a template's reviewed label spreads to (reviewed beats: 1)
    steps: int = 60               # L-BFGS iterations (the fit is convex: it converges well before)
    pool_labelled: float = 0.5    # template pooling after a labelled fit too (0.5 beat 0 on DS1)
    # Unsupervised.
    unsupervised_method: str = "rhythm"  # "rhythm" (pooling + template rhythm rules), "pooling",
                                         # or "self_training" (worse on DS1: see adapt_select.py)
    template_pooling: float = 0.5    # weight of the template's mean log-probability in a beat's own
                                     # (0.5 beat 0.3 and matched 0.7 on DS1 with fewer S beats lost)
    # Self-training (not the default: it did not beat the plain model on DS1).
    pseudo_confidence: float = 0.95  # beats at least this confident ...
    pseudo_purity: float = 0.8       # ... in templates where at least this share of beats has the majority label
    templates: TemplateConfig = TemplateConfig()
    rhythm: RhythmConfig = RhythmConfig()


UNSUPERVISED_METHODS = ("rhythm", "pooling", "self_training")


class RecordAdapter:
    """One record's beats with everything adaptation needs, computed once.

    ``RecordAdapter(clf, ecg, fs, peaks)`` costs about one ``clf.predict``;
    then ``plain()``, ``unsupervised()``, ``with_labels(...)`` and ``query(k)`` are
    each a fraction of a second for a 30-min record. Arrays are in the order of ``peaks``.
    ``analyze_record(..., adapt=True)`` builds one and keeps it with the analysis
    (``Analysis.derived["adapter"]``): the review reuses it (``ecg_lstm.review.record_adapter``).
    """

    def __init__(self, clf, ecg: np.ndarray, fs: float, peaks: np.ndarray, config: AdaptConfig = AdaptConfig()):
        ecg, peaks = check_lead_and_peaks(ecg, fs, peaks)
        self.order = np.argsort(peaks, kind="stable")
        w, f = beat_features(ecg, fs, peaks[self.order].astype(np.int64), clf.features)
        self._init(clf, w, f, config, np.asarray(peaks, np.int64))

    @classmethod
    def from_features(cls, clf, windows: np.ndarray, feats: np.ndarray, config: AdaptConfig = AdaptConfig()):
        """From beat features already computed (``features.beat_features``), beats in time order."""
        self = cls.__new__(cls)
        self.order = np.arange(len(windows))
        self._init(clf, np.asarray(windows), np.asarray(feats), config, None)
        return self

    def _init(self, clf, w, f, config: AdaptConfig, peaks):
        self.clf, self.config, self.peaks = clf, config, peaks
        self.n = len(w)
        members = clf.model.members if isinstance(clf.model, BeatEnsemble) else [clf.model]
        # Per member: hidden states and head. The ensemble's logits are the mean of the members'.
        # Kept in float32, as the networks give them (a day of beats: 80 MB); the fit reads them in float64.
        self._h, self.n_members = clf.hidden_from_features(w, f), len(members)  # (n, M * d)
        self.W0 = torch.cat([m.head.weight.detach() for m in members], dim=1).double()  # (5, M * d)
        self.b0 = torch.stack([m.head.bias.detach() for m in members]).mean(0).double()
        # Plain logits, and the scale of the hidden states (small: the fit's penalty on their weights matches it).
        base, sq = [torch.zeros(0, len(CLASSES), dtype=torch.float64)], [torch.zeros(0, dtype=torch.float64)]
        for i in range(0, self.n, FIT_BLOCK):
            h = self._hidden(slice(i, i + FIT_BLOCK))
            base.append(h @ self.W0.T)
            sq.append(h.pow(2).sum(1))
        self.base = torch.cat(base) + self.b0
        self.hscale = float(torch.cat(sq).mean()) + 1e-6
        self.feats = np.asarray(f, dtype=np.float32)  # kept for the rhythm rules (time order)
        self.T = float(clf.temperature)
        self.plain_probs = torch.softmax(self.base / self.T, -1).numpy()
        self.templates = templates_from_features(w, f, self.plain_probs, config.templates, clf.features)

    def _hidden(self, rows) -> torch.Tensor:
        """The hidden states of beats ``rows`` (time order), float64, divided by the member count."""
        return self._h[rows].double() / self.n_members

    @property
    def X(self) -> torch.Tensor:
        """Record-standardised per-beat features (n, 28), float64: "early *for this patient*" in one term."""
        x = torch.as_tensor(self.feats, dtype=torch.float64)
        return (x - x.mean(0)) / (x.std(0) + 1e-3) if self.n > 1 else torch.zeros_like(x)

    def fits(self, clf, peaks: np.ndarray, config: AdaptConfig = AdaptConfig()) -> bool:
        """Whether this adapter was built for the classifier ``clf`` (the same weights), the beats ``peaks``
        (the same sample numbers, in the same order) and ``config``: then it gives what a new one would."""
        return (self.peaks is not None and len(self.peaks) == len(peaks) and np.array_equal(self.peaks, peaks)
                and self.config == config and (clf is self.clf or clf.fingerprint() == self.clf.fingerprint()))

    # -- results in the order of ``peaks`` ------------------------------------------------------
    def _out(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = np.empty_like(probs)
        out[self.order] = probs
        return np.asarray(CLASSES)[out.argmax(1)], out

    def plain(self) -> tuple[np.ndarray, np.ndarray]:
        """The shipped model's labels and probabilities (same as ``clf.predict``)."""
        return self._out(self.plain_probs)

    def template_table(self) -> Templates:
        """The record's templates (beats in the order of ``peaks``)."""
        from .templates import reorder

        return reorder(self.templates, self.order)

    # -- the per-record fit -----------------------------------------------------------------------
    def _fit(self, idx: np.ndarray, y: np.ndarray, wts: np.ndarray) -> np.ndarray:
        """Probabilities (time order) after fitting the per-record correction to targets ``y`` at
        beats ``idx`` with weights ``wts`` (weighted cross-entropy + L2 towards the shipped head)."""
        if len(idx) == 0:
            return self.plain_probs
        cfg = self.config
        Xall = self.X
        H, X, base = self._hidden(idx), Xall[idx], self.base[idx]
        yt, wt = torch.as_tensor(y), torch.as_tensor(wts, dtype=torch.float64)
        wt = wt / wt.sum()
        dW = torch.zeros_like(self.W0, requires_grad=True)
        db = torch.zeros(len(CLASSES), dtype=torch.float64, requires_grad=True)
        V = torch.zeros(len(CLASSES), X.shape[1], dtype=torch.float64, requires_grad=True)
        hscale = self.hscale
        opt = torch.optim.LBFGS([dW, db, V], lr=1.0, max_iter=cfg.steps, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            logits = (base + H @ dW.T + db + X @ V.T) / self.T
            ce = torch.nn.functional.cross_entropy(logits, yt, reduction="none")
            loss = (wt * ce).sum() + 1e-2 * cfg.l2 * (hscale * dW.pow(2).sum() + V.pow(2).sum() / X.shape[1]) \
                + 1e-3 * db.pow(2).sum()
            loss.backward()
            return loss

        with torch.enable_grad():
            opt.step(closure)
        with torch.no_grad():
            logits = torch.cat([self._hidden(slice(i, i + FIT_BLOCK)) @ dW.T for i in range(0, self.n, FIT_BLOCK)])
            logits = (self.base + logits + db + Xall @ V.T) / self.T
            return torch.softmax(logits, -1).numpy()

    def _propagate(self, idx: np.ndarray, y: np.ndarray, w_lab: float, w_prop: float):
        """Targets: the given beats, plus every other beat of a template whose given beats agree."""
        tpl = self.templates.beat_template
        given = np.zeros(self.n, bool)
        given[idx] = True
        out_i, out_y, out_w = [idx], [y], [np.full(len(idx), w_lab / max(len(idx), 1))]
        for t in np.unique(tpl[idx]):
            ys = np.unique(y[tpl[idx] == t])
            if len(ys) != 1:
                continue  # the reviewer split this template: only the reviewed beats count
            members = np.flatnonzero((tpl == t) & ~given)
            total = w_prop * min(len(members), 50) / 50  # a template's pull grows with its size, up to 50 beats
            # Evenly spaced members stand for a big template: a day's template costs no more to fit.
            members = members[:: max(1, -(-len(members) // MAX_PROPAGATED))]
            out_i.append(members)
            out_y.append(np.full(len(members), ys[0]))
            out_w.append(np.full(len(members), total / max(len(members), 1)))
        return np.concatenate(out_i), np.concatenate(out_y), np.concatenate(out_w)

    def with_labels(self, beat_indices, labels) -> tuple[np.ndarray, np.ndarray]:
        """Labels and probabilities of every beat after adapting to reviewed beats.

        ``beat_indices`` index into ``peaks``; ``labels`` are AAMI classes ("N", "S", "V",
        "F", "Q") or class indices. Reviewed beats keep their reviewed label (probability 1).
        """
        idx, y = self._check_labels(beat_indices, labels)
        if len(idx) == 0:
            return self.plain()
        pos = np.argsort(self.order)[idx]  # positions in time order
        i, t, w = self._propagate(pos, y, 1.0, self.config.prop_weight)
        probs = self._pool(self._fit(i, t, w), self.config.pool_labelled)
        probs[pos] = np.eye(len(CLASSES))[y]
        return self._out(probs)

    def unsupervised(self, method: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Labels and probabilities adapted without labels (``method``, default
        ``config.unsupervised_method``): ``"rhythm"`` (default) pools each beat's prediction with
        its template's, then applies the template rhythm rules (``template_rhythm_rules``);
        ``"pooling"`` only pools (geometric mean of the probabilities, weight
        ``config.template_pooling``)."""
        method = method or self.config.unsupervised_method
        if method not in UNSUPERVISED_METHODS:
            raise ValueError(f"unknown unsupervised_method {method!r}: use one of {', '.join(UNSUPERVISED_METHODS)}")
        if method == "self_training":
            return self.self_training()
        probs = self._pool(self.plain_probs, self.config.template_pooling)
        if method == "rhythm":
            probs = self._rhythm(probs)
        return self._out(probs)

    def _rhythm(self, probs: np.ndarray) -> np.ndarray:
        """Template rhythm rules on top of ``probs`` (time order): S evidence moves N towards S
        (log-odds), fibrillation moves S to N; beats the network calls V, F or Q are left alone
        (the rules speak of same-QRS beats only)."""
        if self.n == 0:
            return probs
        cfg = self.config.rhythm
        ev = template_rhythm_rules(self.feats, self.templates.beat_template, cfg)
        fib = ev.fibrillation
        N, S, V = CLASS_INDEX["N"], CLASS_INDEX["S"], CLASS_INDEX["V"]
        lp = np.log(probs + 1e-9)
        lp[:, S] += cfg.s_boost * ev.supraventricular
        q = _softmax(lp)
        other = probs.argmax(1) > S  # the network says V, F or Q: the S rule speaks of same-QRS beats only
        q[other] = probs[other]
        moved = q[fib, S] * (1 - np.exp(-cfg.af_suppress))  # S to N, not to whatever comes next
        q[fib, S] -= moved
        q[fib, N] += moved
        lp = np.log(q + 1e-9)
        lp[:, V] += cfg.v_boost * ev.ventricular - cfg.v_damp * ev.dominant
        return _softmax(lp)

    def self_training(self) -> tuple[np.ndarray, np.ndarray]:
        """Labels and probabilities after self-training on the record's own confident,
        template-consistent beats (an alternative to ``unsupervised``; worse on DS1)."""
        i, y, w = self._pseudo_labels()
        return self._out(self._fit(i, y, w))

    def _pool(self, probs: np.ndarray, alpha: float) -> np.ndarray:
        if alpha <= 0 or self.n == 0:
            return probs
        t = self.templates.beat_template
        lp = np.log(probs + 1e-9)
        mean = np.zeros((t.max() + 1, lp.shape[1]))
        np.add.at(mean, t, lp)
        mean /= np.bincount(t)[:, None]
        q = np.exp((1 - alpha) * lp + alpha * mean[t])
        return q / q.sum(1, keepdims=True)

    def _pseudo_labels(self):
        cfg = self.config
        tpl, p = self.templates.beat_template, self.plain_probs
        pred, conf = p.argmax(1), p.max(1)
        keep_i, keep_y = [], []
        for t in range(self.templates.n_templates):
            m = np.flatnonzero(tpl == t)
            cnt = np.bincount(pred[m], minlength=len(CLASSES))
            major = int(cnt.argmax())
            if cnt[major] < cfg.pseudo_purity * len(m):
                continue
            sel = m[(pred[m] == major) & (conf[m] >= cfg.pseudo_confidence)]
            keep_i.append(sel)
            keep_y.append(np.full(len(sel), major))
        if not keep_i:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        i, y = np.concatenate(keep_i), np.concatenate(keep_y)
        # Each class weighs the same in total: the many N beats must not drown the few ectopic ones.
        cw = np.bincount(y, minlength=len(CLASSES)).astype(float)
        w = 1.0 / np.maximum(cw[y], 1)
        return i, y, w

    def _check_labels(self, beat_indices, labels):
        idx = np.asarray(beat_indices, dtype=np.int64).reshape(-1)
        labels = list(np.asarray(labels).reshape(-1))
        if len(idx) != len(labels):
            raise LabelError(f"{len(idx)} beat indices but {len(labels)} labels: give one label per beat")
        if len(idx) and (idx.min() < 0 or idx.max() >= self.n):
            raise LabelError(f"beat indices must be between 0 and {self.n - 1} (the record has {self.n} beats)")
        if len(np.unique(idx)) != len(idx):
            raise LabelError("a beat is labelled twice: give each beat one label")
        y = []
        for lab in labels:
            if isinstance(lab, (int, np.integer)) and 0 <= int(lab) < len(CLASSES):
                y.append(int(lab))
            elif str(lab) in CLASS_INDEX:
                y.append(CLASS_INDEX[str(lab)])
            else:
                raise LabelError(f"unknown beat label {lab!r}: use one of {', '.join(CLASSES)}")
        return idx, np.asarray(y, np.int64)

    # -- what to ask the reviewer -----------------------------------------------------------------
    def query(self, k: int, exclude=()) -> np.ndarray:
        """Indices (into ``peaks``) of the ``k`` beats most worth reviewing, most useful first.

        Template by template: the dominant template's most typical beat first; then templates
        ranked by sqrt(size) x uncertainty (mean entropy of the model's probabilities plus the
        share of beats not carrying the template's majority label), one beat per template per
        round (the most typical unreviewed one, then the least confident), so that k beats
        cover as many templates as possible. ``exclude``: beats already reviewed.
        """
        k = int(k)
        if k <= 0 or self.n == 0:
            return np.zeros(0, np.int64)
        T, p = self.templates, self.plain_probs
        pos_excl = set(np.argsort(self.order)[np.asarray(list(exclude), np.int64)].tolist()) if len(exclude) else set()
        ent = -(p * np.log(p + 1e-12)).sum(1) / np.log(len(CLASSES))
        pred = p.argmax(1)
        score, queues = [], []
        for t in range(T.n_templates):
            m = np.flatnonzero(T.beat_template == t)
            cnt = np.bincount(pred[m], minlength=len(CLASSES))
            unc = ent[m].mean() + 1.0 - cnt.max() / len(m)
            score.append(np.sqrt(len(m)) * (unc + 1e-3))
            # typical first (what the template is), then the least confident (where it may be wrong)
            typical = m[np.argsort(T.distance[m], kind="stable")]
            unsure = m[np.argsort(p[m].max(1), kind="stable")]
            q = [typical[0]] + [b for pair in zip(unsure, typical[1:]) for b in pair]
            seen, qq = set(), []
            for b in q:
                if b not in seen and b not in pos_excl:
                    seen.add(b)
                    qq.append(int(b))
            queues.append(qq)
        rank = [0] + [t for t in np.argsort(-np.asarray(score), kind="stable") if t != 0]
        chosen: list[int] = []
        while len(chosen) < k and any(queues[t] for t in rank):
            for t in rank:
                if queues[t] and len(chosen) < k:
                    chosen.append(queues[t].pop(0))
        return self.order[np.asarray(chosen, np.int64)]


def _softmax(lp: np.ndarray) -> np.ndarray:
    q = np.exp(lp - lp.max(1, keepdims=True))
    return q / q.sum(1, keepdims=True)


def adapt_unsupervised(clf, ecg: np.ndarray, fs: float, peaks: np.ndarray,
                       config: AdaptConfig = AdaptConfig()) -> tuple[np.ndarray, np.ndarray]:
    """Labels (n,) and probabilities (n, 5) of the beats at ``peaks``, adapted to the record
    without any label (each beat's prediction pooled with its template's)."""
    return RecordAdapter(clf, ecg, fs, peaks, config).unsupervised()


def adapt_with_labels(clf, ecg: np.ndarray, fs: float, peaks: np.ndarray, beat_indices, labels,
                      config: AdaptConfig = AdaptConfig()) -> tuple[np.ndarray, np.ndarray]:
    """Labels (n,) and probabilities (n, 5) of every beat at ``peaks`` after adapting to the
    reviewed beats ``peaks[beat_indices]`` labelled ``labels`` (AAMI "N"/"S"/"V"/"F"/"Q")."""
    return RecordAdapter(clf, ecg, fs, peaks, config).with_labels(beat_indices, labels)


def query_beats(clf, ecg: np.ndarray, fs: float, peaks: np.ndarray, k: int = 20, exclude=(),
                config: AdaptConfig = AdaptConfig()) -> np.ndarray:
    """Indices into ``peaks`` of the ``k`` beats most worth a reviewer's look (see ``RecordAdapter.query``)."""
    return RecordAdapter(clf, ecg, fs, peaks, config).query(k, exclude)
