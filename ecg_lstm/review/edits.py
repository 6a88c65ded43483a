"""Beat edits of a review: deleted beats, spans marked as artefact, beats the reviewer added.

The review keeps them among its corrections (``review.state``): :data:`~.state.DELETED` or
:data:`~.state.ARTEFACT` at the sample of a beat of the analysis, or a class letter at a sample
where the analysis has no beat (an added beat). Here the analysis' beat table is edited to match:
deleted and artefact beats leave it (so they leave the counts, burden, HRV and events computed
from it), added beats enter it in time order, labelled as the reviewer said.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .state import ARTEFACT, DELETED, LABELS

#: Half-width of the window an added beat is snapped to its R peak in.
SNAP_S = 0.075


def snap_to_r(signal, fs: float, sample: int, half_window_s: float = SNAP_S) -> int:
    """The sample of the R peak nearest ``sample``: the largest absolute value of the band-passed
    signal (``signal.filters.ecg_clean``) within ``half_window_s`` of it."""
    from ..signal.filters import ecg_clean

    x = np.asarray(signal, float)
    n, sample, w = len(x), int(sample), max(1, int(round(half_window_s * fs)))
    if not 0 <= sample < n:
        raise ValueError(f"sample {sample} is outside the record (0..{n - 1})")
    pad = int(round(2 * fs))  # room for the filter to settle
    lo, hi = max(0, sample - w - pad), min(n, sample + w + pad + 1)
    clean = ecg_clean(np.nan_to_num(x[lo:hi]), fs)
    a, b = max(0, sample - w) - lo, min(n, sample + w + 1) - lo
    return int(lo + a + np.argmax(np.abs(clean[a:b])))


def split_edits(corrections: dict, samples: np.ndarray) -> tuple[dict, np.ndarray, dict]:
    """(corrections of beats of the analysis, samples of the beats that leave it, beats added
    {sample: label}) for the analysis' beat ``samples`` (sorted)."""
    samples = np.asarray(samples, np.int64)
    have = np.isin(np.fromiter(corrections, np.int64, len(corrections)), samples)
    on_beats, gone, added = {}, [], {}
    for (s, lab), h in zip(corrections.items(), have):
        if lab in (DELETED, ARTEFACT):
            if h:
                gone.append(s)
        elif h:
            on_beats[s] = lab
        else:
            added[s] = lab
    return on_beats, np.array(sorted(gone), np.int64), added


def edited_beats(beats: pd.DataFrame, labels, probs, mask, gone, added: dict, fs: float):
    """``beats`` (the analysis' table; ``labels``, ``probs``, ``mask`` (reviewed) in its order)
    without the beats at ``gone`` and with the ``added`` ones ({sample: label}, certain, reviewed),
    in time order. Returns (beats, labels, probs, reviewed mask, added mask)."""
    keep = ~np.isin(beats["sample"].to_numpy(np.int64), gone)
    new = np.array(sorted(added), np.int64)
    extra = pd.DataFrame({"sample": new, "time_s": new / fs})
    extra = extra.reindex(columns=beats.columns)  # labels and probabilities: set by ``analyze.relabel``
    out = pd.concat([beats.loc[keep], extra], ignore_index=True) if len(new) else beats.loc[keep].reset_index(drop=True)
    lab = np.concatenate([np.asarray(labels, object)[keep], np.array([added[int(s)] for s in new], object)])
    pr = np.vstack([np.asarray(probs, float)[keep], np.eye(len(LABELS))[[LABELS.index(added[int(s)]) for s in new]]
                    .reshape(len(new), len(LABELS))])
    rv = np.concatenate([np.asarray(mask, bool)[keep], np.ones(len(new), bool)])
    ad = np.concatenate([np.zeros(int(keep.sum()), bool), np.ones(len(new), bool)])
    order = np.argsort(out["sample"].to_numpy(np.int64), kind="stable")
    out = out.iloc[order].reset_index(drop=True)
    return out, lab[order], pr[order], rv[order], ad[order]


def edit_counts(corrections: dict, samples) -> dict:
    """How many beats were deleted, marked as artefact, and added ({"deleted", "artefact", "added"})."""
    _, gone, added = split_edits(corrections, samples)
    vals = [corrections[int(s)] for s in gone]
    return {"deleted": vals.count(DELETED), "artefact": vals.count(ARTEFACT), "added": len(added)}


def artefact_quality(quality: pd.DataFrame, kept: np.ndarray, artefact: np.ndarray) -> pd.DataFrame:
    """``quality`` (``signal.quality.signal_quality``'s table) with each span marked as artefact
    (runs of the removed beats at ``artefact``, from the kept beat before to the kept beat after,
    ``kept`` sorted) noisy: an event across it (a pause where beats were taken out) is then an
    event in noise, never an alarm. Rows without the local columns are flagged whole."""
    artefact = np.asarray(artefact, np.int64)
    if not len(artefact) or quality is None or not len(quality) or "noisy" not in quality:
        return quality
    q = quality.copy()
    pos = np.searchsorted(kept, artefact)
    starts, ends = q["start_sample"].to_numpy(np.int64), q["end_sample"].to_numpy(np.int64)
    local = {"noisy_from_sample", "noisy_to_sample"} <= set(q.columns)
    for p in np.unique(pos):  # one span per gap between kept beats
        a = int(kept[p - 1]) if p > 0 else int(artefact[pos == p].min())
        b = int(kept[p]) + 1 if p < len(kept) else int(artefact[pos == p].max()) + 1
        for r in np.flatnonzero((starts < b) & (ends > a)):
            q.iat[r, q.columns.get_loc("noisy")] = True
            if local:
                lo, hi = max(a, int(starts[r])), min(b, int(ends[r]))
                f, t = int(q["noisy_from_sample"].iat[r]), int(q["noisy_to_sample"].iat[r])
                if t > f:
                    lo, hi = min(lo, f), max(hi, t)
                q.iat[r, q.columns.get_loc("noisy_from_sample")] = lo
                q.iat[r, q.columns.get_loc("noisy_to_sample")] = hi
    return q


def aligned_beats(shown: pd.DataFrame, plain_samples) -> pd.DataFrame:
    """The ``label`` and ``reviewed`` flag of the beats of ``shown`` (an analysis' beat table after
    edits) in the order of ``plain_samples`` (the beats as detected, which the record's templates
    and the adapter index), and ``row``: each one's row in ``shown``, -1 where it left the table
    (deleted or artefact: label "")."""
    s, p = shown["sample"].to_numpy(np.int64), np.asarray(plain_samples, np.int64)
    pos = np.minimum(np.searchsorted(s, p), max(len(s) - 1, 0))
    ok = (s[pos] == p) if len(s) else np.zeros(len(p), bool)
    lab = np.where(ok, shown["label"].to_numpy(object)[pos] if len(s) else "", "")
    rev = shown["reviewed"].to_numpy(bool)[pos] & ok if "reviewed" in shown and len(s) else np.zeros(len(p), bool)
    return pd.DataFrame({"label": lab, "reviewed": rev, "row": np.where(ok, pos, -1)})
