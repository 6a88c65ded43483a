"""Beats from several leads: a beat seen on any two leads counts.

A record of three leads or more (a Holter's three channels, a 12-lead cart) is detected on
up to :data:`MAX_FUSED` of its ECG leads, each with :func:`~.peaks.ecg_peaks`; detections
within :data:`TOLERANCE_S` of each other are one beat, kept when at least two leads saw it.
Noise or a loose electrode on one lead then neither invents beats (one lead alone is not
enough) nor loses them (the two others still agree). A beat sits where the classifier's lead
saw it, else at the middle of the leads that did.

Which leads: the classifier's lead first (MLII or II, see ``io.record.select_lead``), then
V5, V1, I, III, V2..V6, aVF, the others, as a Holter's usual channels; only ECG leads.
Records of one or two leads are detected on the classifier's lead alone, as before: with two,
"two leads agree" would lose every beat one lead misses.
"""
from __future__ import annotations

import numpy as np

#: Leads detected and fused at most (each costs one detection pass over the record).
MAX_FUSED = 3
#: Detections this close (s) on different leads are one beat (QRS onsets differ by lead).
TOLERANCE_S = 0.10
#: Leads that must see a beat.
MIN_LEADS = 2
#: Order in which leads join the classifier's lead.
ORDER = ("V5", "V1", "I", "III", "V2", "V3", "V4", "V6", "AVF", "AVL", "AVR", "ML2", "MLII", "II")


def fusion_leads(lead_names: list[str], units: list[str], primary: int) -> list[int]:
    """Indices of the leads to detect on (the classifier's lead ``primary`` first); a single one
    when the record has fewer than three ECG leads."""
    from ..io.record import is_ecg_channel

    ecg = [i for i, (n, u) in enumerate(zip(lead_names, units)) if is_ecg_channel(n, u) and i != primary]
    if len(ecg) + 1 < 3:
        return [primary]
    rank = {name: r for r, name in enumerate(ORDER)}
    ecg.sort(key=lambda i: (rank.get(lead_names[i].strip().upper().replace("LEAD ", ""), len(ORDER)), i))
    return [primary] + ecg[:MAX_FUSED - 1]


def fuse(peaks_per_lead: list[np.ndarray], fs: float, min_leads: int = MIN_LEADS,
         tolerance_s: float = TOLERANCE_S) -> np.ndarray:
    """Beats seen on at least ``min_leads`` of the leads (``peaks_per_lead``: sample numbers per
    lead, the classifier's lead first): sorted int64 sample numbers, at the first lead's detection
    where it has one, else at the median of the others'."""
    parts = [np.asarray(p, np.int64) for p in peaks_per_lead]
    if not parts:
        return np.zeros(0, np.int64)
    samples = np.concatenate(parts)
    leads = np.concatenate([np.full(len(p), i) for i, p in enumerate(parts)])
    order = np.argsort(samples, kind="stable")
    samples, leads = samples[order], leads[order]
    tol = max(1, int(round(tolerance_s * fs)))
    out = []
    i, n = 0, len(samples)
    while i < n:
        j = i + 1
        while j < n and samples[j] - samples[i] <= tol:
            j += 1
        seen = leads[i:j]
        if len(np.unique(seen)) >= min_leads:
            first = samples[i:j][seen == 0]
            out.append(int(first[0]) if len(first) else int(np.median(samples[i:j])))
        i = j
    return np.unique(np.asarray(out, np.int64))


def fused_peaks(signal: np.ndarray, fs: float, lead_names: list[str], units: list[str],
                primary: int) -> tuple[np.ndarray, list[int]]:
    """(beats, leads used): detected on :func:`fusion_leads` and :func:`fuse`\\d; on the classifier's
    lead alone when the record has fewer than three ECG leads."""
    from .peaks import ecg_peaks
    from .spans import bridge_gaps

    leads = fusion_leads(lead_names, units, primary)
    per = [ecg_peaks(bridge_gaps(signal[:, i])[0], fs)[0] for i in leads]
    return (per[0] if len(leads) == 1 else fuse(per, fs)), leads
