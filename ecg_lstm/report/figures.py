"""Arrays the dashboard and the HTML report plot: RR series, heart-rate trend,
Poincaré points, median beat per class, and the beat-by-beat
comparison with reference annotations.

Everything here takes the ``beats`` table of :class:`~ecg_lstm.analyze.Analysis`
(columns ``sample``, ``time_s``, ``label``, ``confidence``) and returns plain
numpy arrays or DataFrames, so a figure is only a layout of these numbers.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..beats.aami import CLASSES, reference_table
from ..beats.ec57 import TOLERANCE_S, match_beats
from ..findings.hrv import RR_MAX_S, RR_MIN_S


def rr_series(beats: pd.DataFrame) -> pd.DataFrame:
    """One row per RR interval: ``time_s`` (of the closing beat), ``rr_ms``,
    ``hr_bpm``, ``label`` (closing beat), ``prev_label``, ``valid`` (within
    200-3000 ms)."""
    t = beats["time_s"].to_numpy(float)
    if len(t) < 2:
        return pd.DataFrame(columns=["time_s", "rr_ms", "hr_bpm", "label", "prev_label", "valid"])
    labels = beats["label"].fillna("").astype(str).to_numpy()
    rr = np.diff(t) * 1000.0
    with np.errstate(divide="ignore"):
        hr = np.where(rr > 0, 60000.0 / np.where(rr > 0, rr, 1.0), np.nan)
    return pd.DataFrame({"time_s": t[1:], "rr_ms": rr, "hr_bpm": hr, "label": labels[1:],
                         "prev_label": labels[:-1], "valid": (rr >= 1000 * RR_MIN_S) & (rr <= 1000 * RR_MAX_S)})


def hr_trend(beats: pd.DataFrame, window_s: float = 10.0) -> pd.DataFrame:
    """Heart rate in bpm per ``window_s`` window: median of the valid RR
    intervals ending in it (robust to single ectopic beats). Columns
    ``time_s`` (window centre), ``hr_bpm``, ``hr_min_bpm``, ``hr_max_bpm``."""
    rr = rr_series(beats)
    rr = rr[rr["valid"]]
    if not len(rr):
        return pd.DataFrame(columns=["time_s", "hr_bpm", "hr_min_bpm", "hr_max_bpm"])
    win = np.floor(rr["time_s"].to_numpy() / window_s).astype(np.int64)
    g = rr.groupby(win)["hr_bpm"]
    out = pd.DataFrame({"hr_bpm": g.median(), "hr_min_bpm": g.min(), "hr_max_bpm": g.max()})
    out.insert(0, "time_s", (out.index.to_numpy() + 0.5) * window_s)
    return out.reset_index(drop=True)


def poincare(beats: pd.DataFrame) -> dict:
    """Poincaré points (RR_n, RR_n+1) in ms over consecutive valid intervals,
    the label of the beat closing RR_n+1, and SD1/SD2 in ms."""
    rr = rr_series(beats)
    x, y = rr["rr_ms"].to_numpy()[:-1], rr["rr_ms"].to_numpy()[1:]
    ok = rr["valid"].to_numpy()[:-1] & rr["valid"].to_numpy()[1:]
    x, y, lab = x[ok], y[ok], rr["label"].to_numpy()[1:][ok]
    sd1 = float(np.std((y - x) / np.sqrt(2), ddof=1)) if len(x) > 2 else float("nan")
    sd2 = float(np.std((y + x) / np.sqrt(2), ddof=1)) if len(x) > 2 else float("nan")
    return {"rr_n_ms": x, "rr_next_ms": y, "label": lab, "sd1_ms": sd1, "sd2_ms": sd2}


def median_beats(ecg: np.ndarray, fs: float, beats: pd.DataFrame, before_s: float = 0.25,
                 after_s: float = 0.45, max_beats: int = 300) -> dict:
    """Median waveform of each beat class around its R peak.

    Returns ``{class: {"t_ms": array, "median": array, "n": beats used}}``;
    up to ``max_beats`` evenly spread beats per class are used (keeps a 24 h
    record fast). The baseline (median of each segment) is removed first.
    """
    ecg = np.asarray(ecg, float)
    pre, post = int(round(before_s * fs)), int(round(after_s * fs))
    t_ms = (np.arange(-pre, post) / fs) * 1000.0
    samples = beats["sample"].to_numpy(np.int64)
    labels = beats["label"].fillna("").astype(str).to_numpy()
    out = {}
    for c in CLASSES:
        idx = samples[(labels == c) & (samples >= pre) & (samples + post <= len(ecg))]
        if not len(idx):
            continue
        if len(idx) > max_beats:
            idx = idx[np.linspace(0, len(idx) - 1, max_beats).astype(int)]
        seg = ecg[idx[:, None] + np.arange(-pre, post)[None, :]]
        seg = seg - np.median(seg, axis=1, keepdims=True)
        out[c] = {"t_ms": t_ms, "median": np.median(seg, axis=0), "n": int(len(idx))}
    return out


def compare_with_reference(beats: pd.DataFrame, annotations, fs: float,
                           tolerance_s: float = TOLERANCE_S) -> dict:
    """Beat-by-beat comparison of the analysis with reference annotations.

    Returns a dict with
    - ``confusion``: DataFrame, rows = reference class (plus "(none)" for extra
      detections), columns = predicted class (plus "(missed)");
    - ``per_class``: DataFrame with Se (%), +P (%) and counts per class
      (Se = TP / (TP + FN) over matched and missed reference beats of the class,
      +P = TP / (TP + FP) over all detections labelled with the class);
    - ``disagreements``: DataFrame of beats where model and reference differ
      (``time_s``, ``sample``, ``reference``, ``predicted``, ``confidence``),
      missed and extra beats included.
    """
    ref = reference_table(annotations, fs)
    b_samp = beats["sample"].to_numpy(np.int64)
    b_lab = beats["label"].fillna("").astype(str).to_numpy()
    b_conf = beats["confidence"].to_numpy(float) if "confidence" in beats else np.full(len(beats), np.nan)
    ri, ti = match_beats(ref["sample"].to_numpy(), b_samp, int(round(tolerance_s * fs)))
    ref_lab = ref["reference"].to_numpy()
    pred_for_ref = np.full(len(ref), "(missed)", dtype=object)
    pred_for_ref[ri] = b_lab[ti]
    extra = np.ones(len(beats), bool)
    extra[ti] = False
    rows, cols = list(CLASSES) + ["(none)"], list(CLASSES) + ["(missed)"]
    conf = pd.DataFrame(0, index=pd.Index(rows, name="reference"), columns=pd.Index(cols, name="predicted"))
    for r, p in zip(ref_lab, pred_for_ref):
        if p in cols:
            conf.loc[r, p] += 1
    for p in b_lab[extra]:
        if p in cols:
            conf.loc["(none)", p] += 1
    per = []
    for c in CLASSES:
        tp = int(conf.loc[c, c])
        fn = int(conf.loc[c].sum() - tp)
        fp = int(conf[c].sum() - tp)
        per.append({"class": c, "reference beats": tp + fn, "predicted beats": tp + fp, "TP": tp,
                    "Se %": 100.0 * tp / (tp + fn) if tp + fn else np.nan,
                    "+P %": 100.0 * tp / (tp + fp) if tp + fp else np.nan})
    wrong = np.nonzero(pred_for_ref != ref_lab)[0]
    dis_conf = np.full(len(ref), np.nan)
    dis_conf[ri] = b_conf[ti]
    dis = pd.DataFrame({"time_s": ref["time_s"].to_numpy()[wrong], "sample": ref["sample"].to_numpy()[wrong],
                        "reference": ref_lab[wrong], "predicted": pred_for_ref[wrong], "confidence": dis_conf[wrong]})
    ex = pd.DataFrame({"time_s": b_samp[extra] / fs, "sample": b_samp[extra], "reference": "(none)",
                       "predicted": b_lab[extra], "confidence": b_conf[extra]})
    dis = pd.concat([d for d in (dis, ex) if len(d)], ignore_index=True) if len(dis) or len(ex) else dis
    dis = dis.sort_values("time_s", kind="stable").reset_index(drop=True)
    n_match = len(ri)
    return {"confusion": conf, "per_class": pd.DataFrame(per), "disagreements": dis,
            "n_reference": int(len(ref)), "n_matched": int(n_match),
            "agreement_pct": 100.0 * float((pred_for_ref[ri] == ref_lab[ri]).mean()) if n_match else np.nan}
