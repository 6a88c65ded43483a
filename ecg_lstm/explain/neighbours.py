"""Similar training beats: a small index of DS1 beats in the classifier's own embedding.

The embedding of a beat is what the classifier's linear head reads: each
member's BiLSTM output, centre-weighted over the overlapping windows exactly as
``predict`` weights the logits, the members side by side (3 x 64 values).  Two
beats close in it get close logits, so "the training beats this one resembles"
is a statement about the model, not about raw waveforms.

``python -m ecg_lstm.explain.neighbours --data-dir data/mitdb`` (``make explain-index``)
builds ``models/explain_index.npz`` from DS1 records only (training and
validation records; never DS2): up to ``--per-class`` reference beats of each
class drawn at random (seeded), with their unit-length embeddings and their
beat windows in float16, the record and sample they come from, the reference
label and the shipped model's label.  The file records a hash of the weights
it was built with; with other weights it is refused (rebuild it).
"""
from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..beats.aami import CLASSES, DS1
from ..classifier.dataset import load_beats
from ..classifier.model import ensemble_members
from ..classifier.predict import DEFAULT_PATH, BeatClassifier
from ..errors import ModelError

DEFAULT_INDEX = DEFAULT_PATH.parent / "explain_index.npz"


def weights_digest(path=DEFAULT_PATH) -> str:
    """First 16 hex digits of the SHA-256 of a weights file: which model an index belongs to."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


@torch.no_grad()
def record_embeddings(clf: BeatClassifier, w: np.ndarray, rr: np.ndarray) -> np.ndarray:
    """(n, members * 2 * hidden) head inputs of every beat of one record (time order)."""
    wt, rt = torch.as_tensor(w), torch.as_tensor(rr)
    n, L = len(wt), clf.seq_len
    parts = []
    for m in ensemble_members(clf.model):
        z = torch.cat([m.embed(wt[k:k + 1024], rt[k:k + 1024]) for k in range(0, n, 1024)])
        if n <= L:
            parts.append(m.seq(z[None])[0][0])
            continue
        hop = L // 2
        starts = np.arange(0, n - L + 1, hop)
        if starts[-1] != n - L:
            starts = np.append(starts, n - L)
        t = torch.arange(L, dtype=torch.float32)
        wt_seq = 1.0 - (t - (L - 1) / 2).abs() / (L / 2) + 1e-3
        acc, wsum = torch.zeros(n, 2 * m.cfg.hidden), torch.zeros(n)
        idx = torch.as_tensor(starts[:, None] + np.arange(L)[None, :])
        h = m.seq(z[idx])[0]
        acc.index_add_(0, idx.reshape(-1), (h * wt_seq[None, :, None]).reshape(-1, h.shape[-1]))
        wsum.index_add_(0, idx.reshape(-1), wt_seq.repeat(len(idx)))
        parts.append(acc / wsum[:, None])
    return torch.cat(parts, dim=1).numpy()


@dataclass
class NeighbourIndex:
    embeddings: np.ndarray  # (k, e) float16, unit length
    waves: np.ndarray       # (k, L) float16 beat windows (record-median R amplitudes)
    labels: np.ndarray      # (k,) reference class index
    predicted: np.ndarray   # (k,) shipped model's class index
    records: np.ndarray     # (k,) record names
    samples: np.ndarray     # (k,) R peak sample numbers (360 Hz)
    model_digest: str

    @classmethod
    def load(cls, path=DEFAULT_INDEX, model_path=DEFAULT_PATH) -> "NeighbourIndex":
        path = Path(path)
        if not path.exists():
            raise ModelError(f"explanation index not found at {path}; run `make explain-index`")
        try:
            z = np.load(path, allow_pickle=False)
            idx = cls(z["embeddings"], z["waves"], z["labels"], z["predicted"], z["records"], z["samples"],
                      str(z["model_digest"]))
        except (OSError, KeyError, ValueError) as e:
            raise ModelError(f"{path} is not a readable explanation index ({type(e).__name__}); "
                             "run `make explain-index`") from None
        if model_path is not None and Path(model_path).exists() and idx.model_digest != weights_digest(model_path):
            raise ModelError(f"{path} was built for other beat classifier weights than {model_path}; "
                             "run `make explain-index` to rebuild it")
        return idx

    def similar(self, embedding: np.ndarray, k: int = 3) -> list[dict]:
        """The ``k`` most similar index beats of each reference class (cosine similarity)."""
        e = np.asarray(embedding, np.float32)
        e = e / (np.linalg.norm(e) + 1e-9)
        sim = self.embeddings.astype(np.float32) @ e
        out = []
        for c, name in enumerate(CLASSES):
            pool = np.flatnonzero(self.labels == c)
            for j in pool[np.argsort(-sim[pool])[:k]]:
                out.append({"class": name, "similarity": float(sim[j]), "record": str(self.records[j]),
                            "sample": int(self.samples[j]), "model_label": CLASSES[int(self.predicted[j])],
                            "wave": self.waves[j].astype(np.float32).round(4).tolist()})
        return out


def build_index(data_dir=None, per_class: int = 300, seed: int = 0, out=DEFAULT_INDEX, model_path=None) -> Path:
    """Sample DS1 reference beats and write the index (see the module docstring)."""
    clf = BeatClassifier.load(model_path)
    bs = load_beats(DS1, data_dir)  # DS1 only: the explainer never reads DS2 to describe a beat
    embs, preds = [], []
    for r in range(len(bs.records)):
        w, rr, _ = bs.record(r)
        e = record_embeddings(clf, w, rr)
        embs.append(e)
        logits = torch.as_tensor(e)  # the head of each member on its slice, averaged: the shipped logits
        m = ensemble_members(clf.model)
        h = logits.shape[1] // len(m)
        with torch.no_grad():
            lg = sum(mm.head(logits[:, k * h:(k + 1) * h]) for k, mm in enumerate(m)) / len(m)
        preds.append(lg.argmax(1).numpy())
    emb, pred = np.concatenate(embs), np.concatenate(preds)
    rec_of = np.repeat(np.array(bs.records), np.diff(bs.offsets))
    rng = np.random.default_rng(seed)
    pick = np.concatenate([rng.choice(np.flatnonzero(bs.labels == c), min(per_class, int((bs.labels == c).sum())),
                                      replace=False) for c in range(len(CLASSES))])
    pick.sort()
    e = emb[pick] / (np.linalg.norm(emb[pick], axis=1, keepdims=True) + 1e-9)
    out = Path(out)
    np.savez_compressed(out, embeddings=e.astype(np.float16), waves=bs.windows[pick, 0].astype(np.float16),
                        labels=bs.labels[pick].astype(np.int8), predicted=pred[pick].astype(np.int8),
                        records=rec_of[pick].astype("U8"), samples=bs.samples[pick].astype(np.int32),
                        model_digest=np.array(weights_digest(model_path or DEFAULT_PATH)))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Build the similar-beat index of the explainer from DS1.")
    p.add_argument("--data-dir", default=None, help="MIT-BIH folder (default $ECG_DATA_DIR or data/mitdb)")
    p.add_argument("--per-class", type=int, default=300, help="beats drawn per class (default 300)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(DEFAULT_INDEX))
    p.add_argument("--model", default=None, help="beat classifier weights (default: the shipped model)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    path = build_index(args.data_dir, args.per_class, args.seed, args.out, args.model)
    idx = NeighbourIndex.load(path, args.model or DEFAULT_PATH)
    counts = np.bincount(idx.labels, minlength=len(CLASSES)).tolist()
    print(f"{path}: {len(idx.labels)} DS1 beats (N/S/V/F/Q = {counts}), {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
