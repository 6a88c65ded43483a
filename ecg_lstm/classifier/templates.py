"""Beat templates of one record: beats grouped by morphology and rhythm context.

Holter software lets the analyst review *templates* (families of beats of one
shape) instead of single beats; the label-efficient methods in the literature
do the same: Lagerholm et al. 2000 (IEEE TBME 47(7)) cluster each record's
beats and have a cardiologist label the clusters; Llamedo & Martínez 2012
(IEEE TBME 59(12)) ask an expert about a dozen beats chosen from per-record
clusters. The method here follows them:

1. each beat is described by its waveform (the normalised beat, R at a fixed
   position, amplitude in units of the record's median R amplitude), projected
   on the record's own first principal components, *and* by its rhythm context
   (pre- and post-RR relative to the local and sinus RR): supraventricular
   ectopic beats usually share the sinus QRS, so morphology alone cannot tell
   them apart, prematurity can (the Holter "premature, normal shape" family);
2. both parts are scaled by a noise level (the typical distance of a beat to
   the record's median beat; 10 % of RR), so one unit means "clearly different";
3. k-means (``scipy.cluster.vq.kmeans2``, k-means++ seeded: deterministic)
   over-segments into ``k`` groups, then centroids closer than ``merge`` units
   are joined by complete-linkage clustering (``scipy.cluster.hierarchy``), so
   the number of templates follows the record (one shape and rhythm: few
   templates; many ectopic families: more).

Template 0 is the most frequent; ids are ordered by count. Everything is
vectorised. On one core of a shared 2-core CPU (``make bench``): 0.03 s of clustering
for a 30-min record, 0.2 s with the beat features (shared with the classifier), 7.6 s
for 22.6 h.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.cluster.vq import kmeans2

from ..beats.aami import CLASSES
from ..signal.checks import check_lead_and_peaks
from .features import RR_NAMES, FeatureConfig, beat_features

#: Rhythm features used by the templates (all are log-ratios: 0 means "on time").
RR_USED = ("log_pre_local", "log_post_local", "log_pre_sinus")
_RR_IDX = [RR_NAMES.index(n) for n in RR_USED]


@dataclass(frozen=True)
class TemplateConfig:
    k: int = 24                 # k-means groups before merging (over-segmentation)
    n_components: int = 8       # principal components of the waveform
    rr_unit: float = 0.10       # log-RR change counted as one unit (about 10 % prematurity)
    rr_weight: float = 1.0      # weight of the rhythm part against the waveform part
    merge: float = 3.0          # centroids within this many units (complete linkage) become one template
    n_representatives: int = 3  # beats per template shown to a reviewer
    max_fit_beats: int = 20_000  # PCA and k-means are fitted on at most this many evenly spaced beats
    seed: int = 0


@dataclass
class Templates:
    """Result of :func:`beat_templates`.

    Attributes
    ----------
    beat_template : (n,) int, template id of each beat (0 = most frequent).
    table : one row per template: ``template``, ``count``, ``share`` (of all beats),
        ``label`` (most frequent model label, "" without a classifier), ``n_N`` .. ``n_Q``
        (model label counts), ``confidence`` (mean model confidence), ``pre_rr_ratio``
        (median pre-RR / local RR: < 1 is premature), ``representatives`` (list of beat
        indices, most typical first).
    medians : (n_templates, L) float32 median beat of each template, in units of the
        record's median R amplitude, sampled at ``fs`` Hz with the R peak at sample ``n_pre``.
    distance : (n,) float, each beat's distance to its template centre (in noise units).
    """

    beat_template: np.ndarray
    table: pd.DataFrame
    medians: np.ndarray
    distance: np.ndarray
    fs: float
    n_pre: int

    @property
    def n_templates(self) -> int:
        return len(self.table)

    def time_axis_s(self) -> np.ndarray:
        """Time of each median-beat sample relative to the R peak, in seconds."""
        return (np.arange(self.medians.shape[1]) - self.n_pre) / self.fs


def _embedding(windows: np.ndarray, feats: np.ndarray, cfg: TemplateConfig) -> np.ndarray:
    """(n, n_components + 3) beat coordinates in noise units (waveform PCA, then rhythm)."""
    n = len(windows)
    beat = windows[:, 0, ::2].astype(np.float64)  # 90 Hz is plenty for shape; halves the cost
    step = max(1, -(-n // cfg.max_fit_beats))
    centre = np.median(beat[::step], axis=0)
    x = beat - centre
    # PCA by SVD of the (sub-sampled) centred beats: the record's own main shape variations.
    _, _, vt = np.linalg.svd(x[::step], full_matrices=False)
    z = x @ vt[: cfg.n_components].T
    # Noise unit: the typical (median) distance of a beat to the median beat. Most beats are
    # the dominant shape, so this is its beat-to-beat variability, whatever the gain.
    unit = np.median(np.linalg.norm(z, axis=1)) + 1e-6
    rr = feats[:, _RR_IDX].astype(np.float64) / cfg.rr_unit * cfg.rr_weight
    return np.concatenate([z / unit, rr], axis=1)


def templates_from_features(windows: np.ndarray, feats: np.ndarray, probs: np.ndarray | None = None,
                            config: TemplateConfig = TemplateConfig(),
                            features: FeatureConfig = FeatureConfig()) -> Templates:
    """Templates from the classifier's beat inputs (``features.beat_features``: windows
    (n, 2, L) and per-beat features (n, 28)); ``probs`` (n, 5) adds the model's labels."""
    windows, feats = np.asarray(windows), np.asarray(feats)
    n = len(windows)
    if n == 0:
        return Templates(np.zeros(0, np.int64), _table(np.zeros(0, np.int64), np.zeros(0), feats, probs, 0, config),
                         np.zeros((0, windows.shape[-1] if windows.ndim == 3 else features.window), np.float32),
                         np.zeros(0), features.fs, features.n_pre)
    e = _embedding(windows, feats, config)
    k = min(config.k, n)
    step = max(1, -(-n // config.max_fit_beats))
    rng = np.random.default_rng(config.seed)
    if k > 1:
        cent, _ = kmeans2(e[::step], k, iter=20, minit="++", seed=rng)
        cent = cent[np.isfinite(cent).all(axis=1)]
    else:
        cent = e[:1]
    lab = _assign(e, cent)
    used = np.unique(lab)
    cent = np.stack([e[lab == c].mean(axis=0) for c in used])  # centres of the groups actually used
    # Merge groups whose centres are close: complete linkage, so every pair inside a template is close.
    if len(cent) > 1:
        group = fcluster(linkage(cent, "complete"), t=config.merge, criterion="distance") - 1
    else:
        group = np.zeros(1, np.int64)
    lab = group[np.searchsorted(used, lab)]
    # Ids by decreasing count (ties: earliest first beat), so template 0 is the dominant one.
    ids = np.unique(lab)
    counts = np.array([(lab == i).sum() for i in ids])
    first = np.array([np.argmax(lab == i) for i in ids])
    order = np.lexsort((first, -counts))
    remap = np.empty(ids.max() + 1, np.int64)
    remap[ids[order]] = np.arange(len(ids))
    lab = remap[lab]
    centres = np.stack([e[lab == t].mean(axis=0) for t in range(len(ids))])
    dist = np.linalg.norm(e - centres[lab], axis=1)
    medians = np.stack([_median(windows[lab == t, 0]) for t in range(len(ids))]).astype(np.float32)
    return Templates(lab, _table(lab, dist, feats, probs, len(ids), config), medians, dist,
                     features.fs, features.n_pre)


def _assign(e: np.ndarray, cent: np.ndarray, chunk: int = 50_000) -> np.ndarray:
    """Nearest centre of each row (chunked: a day of beats times k centres stays small)."""
    out = np.empty(len(e), np.int64)
    c2 = (cent ** 2).sum(1)
    for i in range(0, len(e), chunk):
        x = e[i:i + chunk]
        out[i:i + chunk] = np.argmin(c2[None, :] - 2 * x @ cent.T, axis=1)
    return out


def _median(x: np.ndarray, cap: int = 2_000) -> np.ndarray:
    step = max(1, -(-len(x) // cap))  # evenly spaced beats: the same median, a bounded sort
    return np.median(x[::step], axis=0)


def _table(lab, dist, feats, probs, n_t, cfg: TemplateConfig) -> pd.DataFrame:
    rows = []
    pre = np.exp(feats[:, RR_NAMES.index("log_pre_local")]) if len(feats) else np.zeros(0)
    pred = probs.argmax(1) if probs is not None and len(probs) else None
    for t in range(n_t):
        members = np.flatnonzero(lab == t)
        reps = members[np.argsort(dist[members], kind="stable")[: cfg.n_representatives]]
        row = {"template": t, "count": len(members), "share": len(members) / len(lab)}
        if pred is not None:
            cnt = np.bincount(pred[members], minlength=len(CLASSES))
            row["label"] = CLASSES[int(cnt.argmax())]
            row.update({f"n_{c}": int(cnt[j]) for j, c in enumerate(CLASSES)})
            row["confidence"] = float(probs[members].max(1).mean())
        else:
            row["label"] = ""
            row.update({f"n_{c}": 0 for c in CLASSES})
            row["confidence"] = float("nan")
        row["pre_rr_ratio"] = float(np.median(pre[members]))
        row["representatives"] = [int(i) for i in reps]
        rows.append(row)
    cols = ["template", "count", "share", "label"] + [f"n_{c}" for c in CLASSES] + \
           ["confidence", "pre_rr_ratio", "representatives"]
    return pd.DataFrame(rows, columns=cols)


def beat_templates(ecg: np.ndarray, fs: float, peaks: np.ndarray, probs: np.ndarray | None = None,
                   config: TemplateConfig = TemplateConfig(), features: FeatureConfig = FeatureConfig()) -> Templates:
    """Group the beats at ``peaks`` (sample numbers at ``fs`` Hz, any order) of the 1-D lead
    ``ecg`` into templates; ``probs`` (n, 5, in the order of ``peaks``) adds the model's labels.

    Returns :class:`Templates` in the order of ``peaks``.
    """
    ecg, peaks = check_lead_and_peaks(ecg, fs, peaks)
    if probs is not None and np.shape(probs) != (len(peaks), len(CLASSES)):
        raise ValueError(f"probs must have shape ({len(peaks)}, {len(CLASSES)}), got {np.shape(probs)}")
    order = np.argsort(peaks, kind="stable")
    w, f = beat_features(ecg, fs, peaks[order].astype(np.int64), features)
    t = templates_from_features(w, f, None if probs is None else np.asarray(probs)[order], config, features)
    return reorder(t, order)


def reorder(t: Templates, order: np.ndarray) -> Templates:
    """Templates computed on beats ``peaks[order]`` expressed in the order of ``peaks``."""
    if np.array_equal(order, np.arange(len(order))):
        return t
    lab, dist = np.empty_like(t.beat_template), np.empty_like(t.distance)
    lab[order], dist[order] = t.beat_template, t.distance
    table = t.table.copy()
    table["representatives"] = [[int(order[i]) for i in reps] for reps in table["representatives"]]
    return Templates(lab, table, t.medians, dist, t.fs, t.n_pre)
