"""EC57-style beat classification statistics (ANSI/AAMI EC57, de Chazal 2004).

Confusion matrices have reference classes in rows and predicted classes in
columns, in the order N S V F Q.  For end-to-end scoring on detected beats a
sixth row counts *extra* detections (no reference beat within the tolerance)
and a sixth column counts *missed* reference beats (no detection matched).

Gross VEB / SVEB statistics follow de Chazal et al. 2004 and EC57:
  * reference Q beats are left out of the VEB and SVEB statistics;
  * an F beat called V is not a VEB false positive (fusion is partly
    ventricular), so VEB +P counts only N, S (and extra detections) called V;
  * a reference S or V beat called anything else, including Q or missed, is a
    false negative.
Accuracy is the share of correctly labelled beats over all reference beats
(plus extra detections end to end), Q included.
"""
from __future__ import annotations

import numpy as np

from .aami import CLASSES

N, S, V, F, Q = range(5)
#: Beat match window of ANSI/AAMI EC57, in seconds.
TOLERANCE_S = 0.150
EXTRA = MISSED = 5


def confusion(ref: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """5x5 count matrix from class indices (rows: reference, columns: predicted)."""
    cm = np.zeros((5, 5), np.int64)
    np.add.at(cm, (np.asarray(ref, np.int64), np.asarray(pred, np.int64)), 1)
    return cm


def _ratio(a, b) -> float | None:
    return float(a / b) if b else None


def ec57_stats(cm: np.ndarray) -> dict:
    """Per-class Se/+P, gross VEB/SVEB Se/+P/FPR and accuracy from a 5x5 or 6x6 matrix."""
    cm = np.asarray(cm, np.int64)
    six = np.zeros((6, 6), np.int64)
    six[: cm.shape[0], : cm.shape[1]] = cm
    out = {"n_reference": int(six[:5].sum()), "n_extra": int(six[EXTRA].sum()),
           "n_missed": int(six[:5, MISSED].sum())}
    for c, name in enumerate(CLASSES):
        out[f"Se_{name}"] = _ratio(six[c, c], six[c].sum())
        out[f"P_{name}"] = _ratio(six[c, c], six[:, c].sum())
    not_q = [N, S, V, F, EXTRA]  # rows that count as positives/negatives in the gross stats
    for key, c, fp_rows in (("SVEB", S, [N, V, F, EXTRA]), ("VEB", V, [N, S, EXTRA])):
        tp = six[c, c]
        fn = six[c].sum() - tp
        fp = six[fp_rows, c].sum()
        # TN: every non-Q beat outside row c and column c (an F called V is neither FP nor TN)
        tn = six[not_q].sum() - six[c].sum() - (six[not_q, c].sum() - tp)
        out[f"{key}_Se"] = _ratio(tp, tp + fn)
        out[f"{key}_P"] = _ratio(tp, tp + fp)
        out[f"{key}_FPR"] = _ratio(fp, fp + tn)
        out[f"{key}_TP"], out[f"{key}_FN"], out[f"{key}_FP"] = int(tp), int(fn), int(fp)
    out["accuracy"] = _ratio(np.trace(six[:5, :5]), six.sum() - six[EXTRA, MISSED])
    return out


def match_beats(ref: np.ndarray, det: np.ndarray, tol: int) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching of detections to reference beats within ``tol`` samples.

    Closest pairs are matched first.  Returns ``(ref_idx, det_idx)`` of the matches.
    """
    ref, det = np.asarray(ref, np.int64), np.asarray(det, np.int64)
    if len(ref) == 0 or len(det) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    d_order = np.argsort(det, kind="stable")
    ds = det[d_order]
    lo, hi = np.searchsorted(ds, ref - tol, "left"), np.searchsorted(ds, ref + tol, "right")
    cnt = hi - lo
    ri = np.repeat(np.arange(len(ref)), cnt)
    dj = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) if cnt.sum() else np.zeros(0, np.int64)
    dist = np.abs(ref[ri] - ds[dj])
    used_r, used_d = np.zeros(len(ref), bool), np.zeros(len(det), bool)
    mr, md = [], []
    for k in np.argsort(dist, kind="stable"):
        r, d = ri[k], dj[k]
        if not used_r[r] and not used_d[d]:
            used_r[r] = used_d[d] = True
            mr.append(r)
            md.append(d_order[d])
    order = np.argsort(mr, kind="stable")
    return np.asarray(mr, np.int64)[order], np.asarray(md, np.int64)[order]


def end_to_end_confusion(ref_samples, ref_labels, det_samples, det_labels, tol: int) -> np.ndarray:
    """6x6 matrix: matched beats by class, plus the *extra* row and *missed* column."""
    ref_labels, det_labels = np.asarray(ref_labels, np.int64), np.asarray(det_labels, np.int64)
    mr, md = match_beats(ref_samples, det_samples, tol)
    cm = np.zeros((6, 6), np.int64)
    np.add.at(cm, (ref_labels[mr], det_labels[md]), 1)
    missed = np.ones(len(ref_labels), bool)
    missed[mr] = False
    np.add.at(cm, (ref_labels[missed], MISSED), 1)
    extra = np.ones(len(det_labels), bool)
    extra[md] = False
    np.add.at(cm, (EXTRA, det_labels[extra]), 1)
    return cm


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """ECE: bin beats by confidence (max probability), weighted mean |accuracy - confidence|."""
    probs, labels = np.asarray(probs, np.float64), np.asarray(labels, np.int64)
    if len(labels) == 0:
        return 0.0
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    bins = np.minimum((conf * n_bins).astype(np.int64), n_bins - 1)
    err = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            err += m.mean() * abs((pred[m] == labels[m]).mean() - conf[m].mean())
    return float(err)
