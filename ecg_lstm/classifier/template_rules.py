"""Template rhythm rules: rhythm evidence per beat, read off the record itself, no labels.

The rhythm reasoning of Teijeiro et al. 2018 (``construe``), reduced to what the per-beat
features and the beat templates hold: a beat with the patient's dominant QRS that comes early
or lacks the patient's P wave is supraventricular evidence; another QRS, early and followed by
a compensatory pause, is ventricular evidence; P waves gone and RR irregular is fibrillation.
:class:`~ecg_lstm.classifier.adapt.RecordAdapter` weighs the classifier's output with it
(the default of unsupervised adaptation, chosen on DS1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.ndimage import median_filter

from .features import MORPH_NAMES, RR_NAMES


@dataclass(frozen=True)
class RhythmConfig:
    """Thresholds of ``template_rhythm_rules`` (log-ratios of RR: -0.15 is about 14 % early).
    Chosen on DS1 only (``adapt_select.py``); the first guess of each was kept except ``s_boost``
    (3 -> 6) and the QRS threshold (a fixed correlation of 0.9 let narrow V beats of 223 through:
    a percentile of the dominant template's own correlations replaced it)."""
    s_boost: float = 6.0           # log-odds added to S (against N) for full S evidence
    template_weight: float = 0.5   # share of the evidence taken from the template (the rest: the beat's own)
    qrs_percentile: float = 5.0    # "same QRS as the dominant": QRS correlation above this percentile
    qrs_range: tuple = (0.85, 0.97)  # ... of the dominant template's beats, kept within this range
    max_width_change: float = 0.4  # and |log QRS-width ratio| at most this
    early_local: float = 0.15      # premature: pre-RR this much (log) shorter than the local RR ...
    early_sinus: float = 0.30      # ... or this much shorter than the patient's sinus RR (SVT runs)
    p_corr: float = 0.30           # P wave different from the patient's: correlation below this ...
    p_record: float = 0.70         # ... counted only where the record's median P correlation is above this
    context_beats: int = 31        # beats in the running median of the P correlation (local P presence)
    af_p: float = 0.50             # fibrillation context: local P correlation below this ...
    af_irregular: float = 0.10     # ... and RR irregularity (median |log RR change|) above this
    af_suppress: float = 3.0       # log-factor by which S probability goes to N there
    v_boost: float = 3.0           # log-odds added to V for full ventricular evidence ...
    v_damp: float = 3.0            # ... and taken from V for a dominant-QRS beat on time
    v_qrs: float = 0.80            # another QRS: correlation below this (or another width)
    v_early: float = 0.10          # ventricular: pre-RR this much (log) shorter than local ...
    v_pause: float = 0.10          # ... and post-RR this much longer (compensatory pause)


_FEATURE_INDEX = {name: i for i, name in enumerate(RR_NAMES + MORPH_NAMES)}


class RhythmEvidence(NamedTuple):
    """Per-beat evidence of ``template_rhythm_rules``, each (n,), beats in time order."""

    supraventricular: np.ndarray  # [0, 1]: same QRS as the dominant, early or another P wave
    ventricular: np.ndarray       # [0, 1]: another QRS, early with a compensatory pause
    dominant: np.ndarray          # [0, 1]: same QRS as the dominant, on time: not ventricular
    fibrillation: np.ndarray      # bool: P waves gone and RR irregular around the beat


def template_rhythm_rules(feats: np.ndarray, beat_template: np.ndarray,
                          config: RhythmConfig = RhythmConfig()) -> RhythmEvidence:
    """Rhythm evidence per beat from the beat features (``features.beat_features``, time order)
    and the beats' templates.

    The rhythm reasoning of Teijeiro et al. 2018 (``construe``), reduced to what the per-beat
    features carry, with every reference taken from the record itself (no labels):

    * *same QRS as the dominant one*: QRS correlation with the record's median beat above the
      dominant template's own 5th percentile (so a noisy record is not held to a clean one's
      standard), and about the same QRS width;
    * *early for this patient*: pre-RR shorter than the local RR (an isolated premature beat)
      or than the patient's sinus RR (a run of supraventricular tachycardia, where the local
      RR is itself short);
    * *another P wave*: P-wave correlation with the median beat low, in a record whose beats
      otherwise share a clear P wave;
    * *fibrillation context*: P waves gone locally (running median of the P correlation low)
      and RR irregular: there, early beats are the rhythm, not ectopy, and are not S;
    * *ventricular*: another QRS (low correlation or another width), early, followed by a
      compensatory pause; a beat with the dominant QRS, not early, is not ventricular.

    A beat's evidence mixes its own with the share of its template that has it, so a family
    of beats is labelled as a family.
    """
    feats = np.asarray(feats, dtype=np.float64)
    tpl = np.asarray(beat_template)
    n = len(feats)
    if n == 0:
        z = np.zeros(0)
        return RhythmEvidence(z, z, z, np.zeros(0, bool))
    g = lambda name: feats[:, _FEATURE_INDEX[name]]  # noqa: E731
    cfg = config
    corr_qrs, width = g("corr_qrs"), np.abs(g("log_width_ratio"))
    qrs_min = float(np.clip(np.percentile(corr_qrs[tpl == 0], cfg.qrs_percentile), *cfg.qrs_range))
    same_qrs = (corr_qrs >= qrs_min) & (width <= cfg.max_width_change)
    other_qrs = (corr_qrs < cfg.v_qrs) | (width > cfg.max_width_change)
    corr_p = g("corr_p")
    p_local = median_filter(corr_p, size=min(cfg.context_beats, n), mode="nearest")
    fibrillation = (p_local < cfg.af_p) & (g("irreg_median") > cfg.af_irregular)
    early = (g("log_pre_local") < -cfg.early_local) | (g("log_pre_sinus") < -cfg.early_sinus)
    if np.median(corr_p) >= cfg.p_record:
        early |= corr_p < cfg.p_corr
    compensated = (g("log_pre_local") < -cfg.v_early) & (g("log_post_local") > cfg.v_pause)
    count = np.maximum(np.bincount(tpl), 1)

    def mixed(own: np.ndarray) -> np.ndarray:
        own = own.astype(np.float64)
        return (1 - cfg.template_weight) * own + cfg.template_weight * (np.bincount(tpl, own) / count)[tpl]

    return RhythmEvidence(mixed(same_qrs & ~fibrillation & early), mixed(other_qrs & compensated),
                          mixed(same_qrs & ~compensated), fibrillation)
