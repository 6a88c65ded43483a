"""What an explanation holds (:class:`BeatExplanation`), its settings, and its summary in words.

:class:`~ecg_lstm.explain.core.Explainer` computes these; the dashboard, the CLI and the
faithfulness test read them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import torch

from ..classifier.features import RR_NAMES
from ..errors import ECGError

#: Parts of the beat window (seconds relative to R) that the summary names.
SEGMENTS = {"P wave and PR (-250 to -100 ms)": (-0.25, -0.10), "QRS (-100 to +100 ms)": (-0.10, 0.10),
            "ST-T (+100 to +400 ms)": (0.10, 0.40)}
CLASS_NAMES = {"N": "normal", "S": "supraventricular ectopic", "V": "ventricular ectopic", "F": "fusion",
               "Q": "unclassifiable"}


class ExplainError(ECGError, ValueError):
    """A beat cannot be explained (no beats, a beat number outside the record)."""


@dataclass
class ExplainConfig:
    steps: int = 32          # integrated-gradient intervals to start with (midpoint rule)
    max_steps: int = 512     # gradient budget of the adaptive refinement
    max_rounds: int = 24     # and its number of refinement passes
    tolerance: float = 0.02  # accepted |sum of attributions - logit difference| / |logit difference|
    abs_tolerance: float = 0.002  # or that many logits (a logit difference near 0 needs no 2 % of itself)
    neighbours: int = 3      # similar training beats shown per class


@dataclass
class PreparedRecord:
    """One record's classifier inputs, computed once for every beat explained in it."""

    peaks: np.ndarray        # (n,) beat samples at the record's rate, sorted
    order: np.ndarray        # (n,) position in ``peaks`` of the caller's beat i
    windows: np.ndarray      # (n, 2, L) beat and beat minus median beat
    features: np.ndarray     # (n, 28) RR then morphology features
    z: list                  # per member: (n, d) LSTM inputs
    base_window: torch.Tensor    # (2, L): the median beat (difference channel zero)
    base_features: torch.Tensor  # (28,): the median of each feature over the record
    z0: list                 # per member: (d,) LSTM input of the median beat
    logits: torch.Tensor     # (n, 5) shipped calibrated logits, sorted order


@dataclass
class BeatExplanation:
    beat: int                     # row index in the caller's beat list
    sample: int                   # R peak, record's own sample number
    label: str
    probs: dict
    target: str                   # class whose logit is explained (the label unless asked otherwise)
    logit: float                  # calibrated logit of ``target``
    # beat window
    time_s: list                  # (L,) seconds relative to R
    beat_wave: list               # (L,) the beat, in record-median R amplitudes
    median_wave: list             # (L,) the record's median beat
    sample_attribution: list      # (L,) per sample, in logit units
    segment_attribution: dict
    features: list                # per feature: name, kind, value, text, attribution
    beat_baseline_logit: float    # logit with this beat replaced by the median beat
    beat_completeness_gap: float  # |sum - difference| / max(|difference|, 1e-3)
    beat_completeness_error: float  # |sum - difference| in logits
    # context
    context_offsets: list         # beat positions relative to this beat
    context_attribution: list
    context_labels: list
    context_baseline_logit: float
    context_completeness_gap: float
    context_completeness_error: float
    # LSTM state (the window in which the beat is most central, first member)
    lstm_window_offsets: list
    lstm_state: dict              # {"forward"|"backward": {"input"|"forget"|"output"|"cell": (T, H)}}
    lstm_check_max_abs: float     # explicit cell vs nn.LSTM on that window
    similar: list = field(default_factory=list)
    similar_note: str = ""        # why ``similar`` is empty, when it is
    summary: str = ""
    ig_steps: int = 0

    def to_json_dict(self) -> dict:
        """Plain JSON types. The long arrays are rounded lists already (built so in ``explain``):
        a deep copy of them would cost more than the explanation itself."""
        return {f.name: round(v, 5) if isinstance(v, float) else v
                for f in fields(self) for v in [getattr(self, f.name)]}


def summarise(ex: BeatExplanation) -> str:
    """A few sentences a clinician can read next to the plots."""
    feats = sorted(ex.features, key=lambda f: -f["attribution"])
    rr = sum(f["attribution"] for f in ex.features if f["kind"] == "rr")
    morph = sum(f["attribution"] for f in ex.features if f["kind"] == "morphology")
    wave = float(np.sum(ex.sample_attribution))
    sign = 1.0 if wave >= 0 else -1.0  # the part that moved the logit the way the whole waveform did
    seg = max(ex.segment_attribution, key=lambda k: sign * ex.segment_attribution[k])
    top = [f"{f['text']} ({f['attribution']:+.2f})" for f in feats[:3] if f["attribution"] > 0]
    ctx = [(o, v) for o, v in zip(ex.context_offsets, ex.context_attribution) if o != 0]
    ctx = sorted(ctx, key=lambda ov: -ov[1])[:3]
    parts = [f"Labelled {ex.label} ({CLASS_NAMES[ex.label]}), probability {ex.probs[ex.label]:.2f}."]
    parts.append(f"Against the record's median beat in its place, the {ex.target} logit moves from "
                 f"{ex.beat_baseline_logit:+.2f} to {ex.logit:+.2f}: waveform {wave:+.2f} (most in the "
                 f"{seg.split(' (')[0]}), RR features {rr:+.2f}, morphology features {morph:+.2f}.")
    if top:
        parts.append("Strongest evidence: " + "; ".join(top) + ".")
    if ctx and ctx[0][1] > 0:
        parts.append("Neighbours that pushed most: " + ", ".join(
            f"beat {o:+d} ({ex.context_labels[ex.context_offsets.index(o)]}, {v:+.2f})" for o, v in ctx if v > 0) + ".")
    return " ".join(parts)


def rr_share_of_top(ex: BeatExplanation) -> bool:
    """Whether the feature with the largest attribution towards the target is an RR feature."""
    best = max(ex.features, key=lambda f: f["attribution"])
    return best["name"] in RR_NAMES
