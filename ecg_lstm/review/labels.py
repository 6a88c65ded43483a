"""The labels of a record under review, and its analysis with them.

The reviewed beats override the model's labels; with "Adapt" the rest of the record is
relabelled from them (:meth:`RecordAdapter.with_labels`). The analysis then follows through
``analyze.relabel``, the one path the command line takes too: beats and signal quality stay,
vitals, rhythm and events are computed again from the new labels.
"""
from __future__ import annotations

import numpy as np

from .state import ARTEFACT, LABELS


def record_adapter(clf, plain):
    """The record's :class:`~ecg_lstm.classifier.adapt.RecordAdapter` (features, templates, the
    model's hidden states) for the beat classifier ``clf`` and the beats of ``plain`` (the analysis
    as opened); None without a classifier or without beats.

    The one the analysis built (``analyze_record(..., adapt=True)`` keeps it in
    ``plain.derived["adapter"]``) when it was built for ``clf`` and these beats: nothing is computed
    again. Else (an analysis read back from disk, made without adaptation, or by another classifier)
    it is built, seconds for a long record, and kept there for the next call."""
    if clf is None or not len(plain.beats):
        return None
    from ..classifier.adapt import RecordAdapter
    from ..classifier.runtime import InMemoryOnly
    from ..signal.spans import bridge_gaps

    peaks = plain.beats["sample"].to_numpy(np.int64)
    derived = getattr(plain, "derived", None)
    kept = derived.get("adapter") if derived is not None else None
    if kept is not None and kept.value is not None and kept.value.fits(clf, peaks):
        return kept.value
    rec = plain.record
    ecg, _ = bridge_gaps(rec.signal[:, plain.lead_index])  # as analyze_record feeds the classifier
    ad = RecordAdapter(clf, ecg, rec.fs, peaks)
    if derived is not None:
        derived["adapter"] = InMemoryOnly(ad)
    return ad


def reviewed_labels(plain, ad, corrections: dict, adapted: bool,
                    as_shipped: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, probabilities, reviewed mask) of every beat of ``plain``: the model's (those of
    the opened analysis, or with ``as_shipped`` the shipped model's, not adapted to the record),
    the reviewed beats (``corrections``: {sample: label}) overriding them, and with ``adapted``
    the rest relabelled from the reviewed ones by ``ad`` (a :func:`record_adapter`). Corrections
    at samples where ``plain`` has no beat are left out."""
    samples = plain.beats["sample"].to_numpy(np.int64)
    corrections = {s: lab for s, lab in corrections.items() if lab in LABELS}  # beat edits: ``review.edits``
    rs = np.fromiter(corrections, np.int64, len(corrections))
    idx = np.searchsorted(samples, rs)
    ok = (idx < len(samples)) & (samples[np.minimum(idx, len(samples) - 1)] == rs)
    idx, labs = idx[ok], np.array([corrections[int(s)] for s in rs[ok]], dtype=object)
    probs = plain.beats[[f"p_{c}" for c in LABELS]].to_numpy(float).copy()
    if adapted and ad is not None and len(idx):
        labels, probs = ad.with_labels(idx, list(labs))
        labels = np.asarray(labels, dtype=object)
    else:
        if as_shipped and ad is not None:
            labels, probs = ad.plain()
            labels, probs = np.asarray(labels, dtype=object).copy(), np.asarray(probs, float).copy()
        else:
            labels = plain.beats["label"].to_numpy(dtype=object).copy()
        labels[idx] = labs
        probs[idx] = np.eye(len(LABELS))[[LABELS.index(x) for x in labs]]
    mask = np.zeros(len(samples), bool)
    mask[idx] = True
    return labels, probs, mask


def relabelled_analysis(plain, ad, rev: dict | None, rhythm, as_shipped: bool = False):
    """The analysis of the record with the reviewed (and adapted) labels of ``rev`` (a review,
    or None for none): beats and signal quality as in ``plain``, vitals, rhythm and events from
    the new labels (``analyze.relabel`` with the rhythm classifier ``rhythm``), and a ``reviewed``
    column marking the reviewed beats. ``model["beat_classifier"]`` says where the labels come from.
    Deleted and artefact beats leave the beat table, and beats the reviewer added enter it (an
    ``added`` column marks them), before anything is counted (``review.edits``)."""
    # Imported here, at call time: analyze pulls in the whole pipeline (and tests replace relabel).
    from dataclasses import replace

    from ..analyze import relabel
    from .edits import artefact_quality, edited_beats, split_edits

    corrections, adapted = (rev["corrections"], rev["adapted"]) if rev else ({}, False)
    on_beats, gone, added = split_edits(corrections, plain.beats["sample"].to_numpy(np.int64))
    labels, probs, mask = reviewed_labels(plain, ad, on_beats, adapted, as_shipped)
    base = plain.model.get("beat_classifier", "beat classifier") + (" as shipped" if as_shipped else "")
    name = base + (f" + {int(mask.sum())} reviewed beats" if mask.any() else "") + \
        (" (rest adapted to them)" if adapted and mask.any() else "")
    source, is_added = plain, np.zeros(len(labels), bool)
    if len(gone) or added:
        beats, labels, probs, mask, is_added = edited_beats(plain.beats, labels, probs, mask, gone, added,
                                                           plain.record.fs)
        derived = plain.derived if plain.derived is not None else {}
        # Memos of the edited beat set apart from those of the beats as detected; the flutter spans
        # come from the signal itself and are shared.
        kept = derived.setdefault("edited", {})
        if "flutter" in derived:
            kept.setdefault("flutter", derived["flutter"])
        art = np.array([s for s in gone if corrections[int(s)] == ARTEFACT], np.int64)
        quality = artefact_quality(plain.quality, beats["sample"].to_numpy(np.int64), art)
        source = replace(plain, beats=beats, quality=quality, derived=kept)
        name += f" ({len(gone)} removed, {len(added)} added)"
    out = relabel(source, labels, probs, name, rhythm=rhythm)
    out.beats["reviewed"] = mask
    out.beats["added"] = is_added
    return out
