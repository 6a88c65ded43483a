"""Training and evaluation arrays: one example per beat, labelled with the
rhythm in force at that beat.

Beat positions come from the reference annotations.  Detectors miss and add
beats and move them by a few milliseconds, so training also sees perturbed
copies (:func:`perturb_beats`), which is what makes the model usable on
detected peaks.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io.read import read_record
from ..signal.peaks import ecg_peaks
from .features import WINDOW, rhythm_inputs
from .labels import CLASS_INDEX, RR_INVISIBLE, code_class, codes_at, load_reference
from .synthetic import paroxysms


def perturb_beats(beats: np.ndarray, beat_class: np.ndarray, fs: float, rng: np.random.Generator,
                  jitter_s: float = 0.008, p_miss: float = 0.01, p_extra: float = 0.005):
    """Detector-like errors: Gaussian jitter, dropped beats, spurious beats mid-interval."""
    keep = rng.random(len(beats)) >= p_miss
    beats, beat_class = beats[keep], beat_class[keep]
    n_extra = rng.binomial(max(len(beats) - 1, 0), p_extra)
    if n_extra:
        k = rng.choice(len(beats) - 1, n_extra, replace=False)
        extra = ((beats[k] + beats[k + 1]) / 2).astype(np.int64)
        beats = np.concatenate([beats, extra])
        beat_class = np.concatenate([beat_class, np.full(n_extra, "Q", dtype=object)])
    beats = beats + np.round(rng.normal(0, jitter_s * fs, len(beats))).astype(np.int64)
    order = np.argsort(beats, kind="stable")
    return beats[order], beat_class[order]


def record_examples(ref: dict, beats=None, beat_class=None, use_labels: bool = True, rate_scale: float = 1.0,
                    window: int = WINDOW) -> dict:
    """Inputs and targets for the beats of one record.

    ``target`` is the class index of the rhythm at each beat, -1 where the
    rhythm is unknown or not visible in RR (excluded from the loss).
    ``rate_scale`` multiplies every RR interval (the rhythm labels stay put).
    """
    beats = ref["beats"] if beats is None else beats
    beat_class = ref["beat_class"] if beat_class is None else beat_class
    seq, feat = rhythm_inputs(beats, ref["fs"] / rate_scale, beat_class if use_labels else None, window)
    codes = codes_at(beats, ref["intervals"])
    target = np.array([-1 if (c == "" or c in RR_INVISIBLE) else CLASS_INDEX[code_class(c)] for c in codes],
                      np.int64)
    return {"seq": seq, "feat": feat, "target": target, "code": codes}


def detected_beats(data_dir: str | Path, ref: dict) -> tuple[np.ndarray, np.ndarray]:
    """Beats found by ``ecg_lstm.signal.peaks.ecg_peaks`` on the record's first ECG lead, with
    the class of the reference beat within 150 ms ("Q" for a false detection)."""
    record = read_record(Path(data_dir) / ref["record"])
    peaks = np.asarray(ecg_peaks(record.lead(), record.fs)[0], np.int64)
    k = np.clip(np.searchsorted(ref["beats"], peaks), 1, len(ref["beats"]) - 1)
    near = np.where(np.abs(ref["beats"][k - 1] - peaks) < np.abs(ref["beats"][k] - peaks), k - 1, k)
    ok = np.abs(ref["beats"][near] - peaks) <= 0.15 * ref["fs"]
    return peaks, np.where(ok, ref["beat_class"][near], "Q").astype(object)


def paroxysm_examples(ref: dict, rng: np.random.Generator, window: int = WINDOW) -> dict:
    """Examples of a record without AF with generated AF / flutter paroxysms spliced into its
    reference beats (synthetic.paroxysms): AFIB on the spliced beats, the host's rhythm elsewhere."""
    beats, classes, af = paroxysms(ref, rng)
    ex = record_examples(ref, beats, classes, use_labels=bool(rng.random() < 0.5), window=window)
    ex["target"] = np.where(af >= 0, af, ex["target"])
    return ex


def build(data_dir: str | Path, records, *, copies: int = 2, seed: int = 0, window: int = WINDOW,
          detected: bool = False, paroxysm_copies: int = 0) -> dict:
    """Concatenated examples of ``records``: the reference beats (with and
    without beat labels) plus ``copies`` perturbed copies (labels dropped at
    random, as the beat labels are optional at prediction time), and with
    ``detected`` one copy on the beats our own detector finds.

    The perturbed copies are also slowed or sped up as a whole (RR x 0.7..1.4):
    DS1's two AF patients have fast ventricular rates, and without this the
    model learns "fast means AF", which does not hold in other patients.

    Records without AF also give ``paroxysm_copies`` copies with generated
    paroxysms spliced in (:func:`paroxysm_examples`)."""
    rng = np.random.default_rng(seed)
    parts = []
    for rec in records:
        ref = load_reference(data_dir, rec)
        if detected:
            b, c = detected_beats(data_dir, ref)
            parts.append(record_examples(ref, b, c, use_labels=bool(rng.random() < 0.5), window=window))
        parts.append(record_examples(ref, use_labels=True, window=window))
        parts.append(record_examples(ref, use_labels=False, window=window))
        for _ in range(copies):
            b, c = perturb_beats(ref["beats"], ref["beat_class"], ref["fs"], rng)
            parts.append(record_examples(ref, b, c, use_labels=bool(rng.random() < 0.5),
                                         rate_scale=float(np.exp(rng.uniform(np.log(0.7), np.log(1.4)))), window=window))
        if not any(c in ("AFIB", "AFL") for _, _, c in ref["intervals"]):
            parts += [paroxysm_examples(ref, rng, window) for _ in range(paroxysm_copies)]
    return {k: np.concatenate([p[k] for p in parts]) for k in ("seq", "feat", "target")}
