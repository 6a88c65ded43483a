"""Beat dataset: reference beats of MIT-BIH records -> cached arrays.

``python -m ecg_lstm.classifier.dataset --data-dir data/mitdb`` builds the DS1
and DS2 caches under ``data/processed/``.  A cache file is named by a hash of
every setting that changes its content, so a second run is instant and a
changed setting builds a new file.  Nothing is synthesised here: class
imbalance is handled in the loss.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..beats.aami import AAMI_MAP, DS1, DS2, reference_beats
from ..errors import MissingFileError
from ..io.read import read_record
from ..paths import ROOT, default_data_dir
from .features import FEATURES_VERSION, FeatureConfig, beat_features


@dataclass
class BeatSet:
    """Beats of several records, concatenated; ``offsets[i]:offsets[i+1]`` is record i."""

    records: list[str]
    offsets: np.ndarray   # (n_records + 1,) int64
    windows: np.ndarray   # (n, 2, L) float32
    rr: np.ndarray        # (n, n_rr) float32
    labels: np.ndarray    # (n,) int64, index into CLASSES
    samples: np.ndarray   # (n,) int64, reference sample numbers

    def record(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = slice(self.offsets[i], self.offsets[i + 1])
        return self.windows[s], self.rr[s], self.labels[s]

    def subset(self, names) -> "BeatSet":
        keep = [self.records.index(r) for r in names]
        parts = [slice(self.offsets[i], self.offsets[i + 1]) for i in keep]
        cat = lambda a: np.concatenate([a[s] for s in parts]) if parts else a[:0]
        sizes = [s.stop - s.start for s in parts]
        return BeatSet([self.records[i] for i in keep], np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
                       cat(self.windows), cat(self.rr), cat(self.labels), cat(self.samples))


def record_beats(path: Path, cfg: FeatureConfig):
    rec = read_record(path)
    if rec.annotations is None:
        raise MissingFileError(f"{path}.atr not found: the dataset needs reference annotations")
    samples, labels = reference_beats(rec)
    w, rr = beat_features(rec.lead(), rec.fs, samples, cfg)
    return w, rr, labels, samples


def cache_key(records, data_dir: Path, cfg: FeatureConfig) -> str:
    settings = {"records": list(records), "data_dir": str(Path(data_dir).resolve()),
                "features": cfg.to_dict(), "version": FEATURES_VERSION, "aami": AAMI_MAP}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def load_beats(records, data_dir=None, cfg: FeatureConfig = FeatureConfig(), cache_dir=None,
               verbose: bool = False) -> BeatSet:
    """Beats of ``records`` from the cache, building it on the first call."""
    data_dir = Path(data_dir or default_data_dir())
    cache_dir = Path(cache_dir or ROOT / "data" / "processed")
    path = cache_dir / f"beats_{cache_key(records, data_dir, cfg)}.npz"
    if path.exists():
        z = np.load(path)
        return BeatSet(list(z["records"]), z["offsets"], z["windows"], z["rr"], z["labels"], z["samples"])
    parts = []
    for r in records:
        if verbose:
            print(f"  record {r}", flush=True)
        parts.append(record_beats(data_dir / r, cfg))
    sizes = [len(p[2]) for p in parts]
    bs = BeatSet(list(records), np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
                 *[np.concatenate([p[k] for p in parts]) for k in range(4)])
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")  # written whole, then renamed: never a half cache
    np.savez(tmp, records=np.array(bs.records), offsets=bs.offsets, windows=bs.windows, rr=bs.rr,
             labels=bs.labels, samples=bs.samples)
    os.replace(tmp, path)
    return bs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Build the cached DS1 and DS2 beat datasets.")
    p.add_argument("--data-dir", default=None, help="MIT-BIH folder (default $ECG_DATA_DIR or data/mitdb)")
    p.add_argument("--cache-dir", default=None, help="where the arrays go (default data/processed)")
    args = p.parse_args(argv)
    for name, recs in (("DS1", DS1), ("DS2", DS2)):
        bs = load_beats(recs, args.data_dir, cache_dir=args.cache_dir, verbose=True)
        counts = np.bincount(bs.labels, minlength=5)
        print(f"{name}: {len(bs.records)} records, {len(bs.labels)} beats, N/S/V/F/Q = {counts.tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
