"""Human-readable phrasing of the classifier's hand-made per-beat features.

Most RR features are logarithms of ratios (``log(pre / local)``); a clinician
reads "pre-RR 0.62 of the local RR", not "-0.48".  Each entry turns the stored
value back into the quantity it measures.
"""
from __future__ import annotations

import math

from ..classifier.features import MORPH_NAMES, RR_NAMES

FEATURE_NAMES = RR_NAMES + MORPH_NAMES


def _ratio(v: float) -> float:
    return math.exp(max(min(v, 20.0), -20.0))


#: name -> (kind, template); the template receives ``x``, the value in the unit it names.
_PHRASES = {
    "log_pre_local": ("ratio", "pre-RR {x:.2f} of the local RR (median of 17 beats)"),
    "log_post_local": ("ratio", "post-RR {x:.2f} of the local RR"),
    "log_pre_rec": ("ratio", "pre-RR {x:.2f} of the record's median RR"),
    "log_post_rec": ("ratio", "post-RR {x:.2f} of the record's median RR"),
    "log_local_rec": ("ratio", "local RR {x:.2f} of the record's median RR"),
    "pre_s": ("s", "pre-RR {x:.0f} ms"),
    "post_s": ("s", "post-RR {x:.0f} ms"),
    "log_pre_post": ("ratio", "pre-RR {x:.2f} of the post-RR (compensatory pause below 1)"),
    "log_pre_local_hi": ("ratio", "pre-RR {x:.2f} of the local slow RR (80th percentile)"),
    "log_pre_rec_hi": ("ratio", "pre-RR {x:.2f} of the record's slow RR (90th percentile)"),
    "log_pre_sinus": ("ratio", "pre-RR {x:.2f} of the record's sinus RR"),
    "log_post_sinus": ("ratio", "post-RR {x:.2f} of the record's sinus RR"),
    "log_pre_prev10": ("ratio", "pre-RR {x:.2f} of the mean of the 10 preceding RR"),
    "irreg_median": ("value", "RR irregularity {x:.3f} (median |Δ log RR| over ±10 beats)"),
    "irreg_mean": ("value", "RR irregularity {x:.3f} (mean |Δ log RR| over ±10 beats)"),
    "corr_qrs": ("value", "QRS correlation with the median beat {x:.2f}"),
    "corr_all": ("value", "whole-beat correlation with the median beat {x:.2f}"),
    "log_energy_ratio": ("ratio", "QRS energy {x:.2f} × the median beat's"),
    "diff_ratio": ("value", "difference from the median beat {x:.2f} of its QRS energy"),
    "width_s": ("s", "QRS width {x:.0f} ms"),
    "log_width_ratio": ("ratio", "QRS width {x:.2f} × the median beat's"),
    "corr_p": ("value", "P-wave region correlation with the median beat {x:.2f}"),
    "corr_t": ("value", "ST-T correlation with the median beat {x:.2f}"),
    "log_amp_ratio": ("ratio", "R amplitude {x:.2f} × the median beat's"),
    "diff_max": ("value", "largest rise above the median beat {x:.2f} R amplitudes"),
    "diff_min": ("value", "largest drop below the median beat {x:.2f} R amplitudes"),
    "log_p_energy_ratio": ("ratio", "P-wave spread {x:.2f} × the median beat's"),
    "template_p_rel": ("value", "median beat's P-wave spread {x:.2f} of its R amplitude (visible P waves)"),
}
assert set(_PHRASES) == set(FEATURE_NAMES), "every feature needs a phrase"


def feature_kind(name: str) -> str:
    """``"rr"`` for RR features, ``"morphology"`` for the rest."""
    return "rr" if name in RR_NAMES else "morphology"


def describe(name: str, value: float) -> str:
    """``describe("log_pre_sinus", -0.478) == "pre-RR 0.62 of the record's sinus RR"``."""
    kind, template = _PHRASES[name]
    x = _ratio(value) if kind == "ratio" else value * 1000.0 if kind == "s" else value
    return template.format(x=x)
