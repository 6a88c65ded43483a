"""Shared by the format tests: a 2-minute excerpt of MIT-BIH record 100 (both leads) as the WFDB
reader gives it, and the check that a file written from it reads back as the same record and is
analysed the same (same beats detected; with the shipped classifier, the same labels)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ecg_lstm.io import read_record
from ecg_lstm.io.record import Record

SECONDS = 120


@lru_cache(maxsize=1)
def _excerpt(folder: str) -> Record:
    full = read_record(Path(folder) / "100")
    n = int(SECONDS * full.fs)
    return Record("100", full.signal[:n].copy(), full.fs, list(full.lead_names), list(full.units), None,
                  {"base_date": "2024-05-06", "base_time": "07:08:09"})


def excerpt(mitdb_dir: Path) -> Record:
    """A fresh copy of the excerpt (tests may change it)."""
    r = _excerpt(str(mitdb_dir))
    return Record(r.name, r.signal.copy(), r.fs, list(r.lead_names), list(r.units), None, dict(r.metadata))


@lru_cache(maxsize=2)
def _beats(folder: str, classified: bool):
    from ecg_lstm.analyze import analyze_record

    a = analyze_record(_excerpt(folder), classifier="default" if classified else None, rhythm=None)
    return a.beats["sample"].to_numpy(), a.beats["label"].to_numpy()


def assert_same_record(got: Record, want: Record, atol: float = 1e-9) -> None:
    assert got.fs == want.fs
    assert got.lead_names == want.lead_names
    assert got.n_samples == want.n_samples
    assert np.allclose(got.signal, want.signal, atol=atol, rtol=0)
    assert got.metadata["base_date"] == want.metadata["base_date"]
    assert got.metadata["base_time"] == want.metadata["base_time"]


def assert_same_analysis(got: Record, mitdb_dir: Path) -> None:
    """The beats found without a classifier, and the labels with the shipped one, are those of the
    WFDB original: no beat differs."""
    from ecg_lstm.analyze import analyze_record

    plain = analyze_record(got, classifier=None, rhythm=None)
    want_samples, _ = _beats(str(mitdb_dir), False)
    assert np.array_equal(plain.beats["sample"].to_numpy(), want_samples)
    labelled = analyze_record(got, rhythm=None)
    samples, labels = _beats(str(mitdb_dir), True)
    assert np.array_equal(labelled.beats["sample"].to_numpy(), samples)
    assert int((labelled.beats["label"].to_numpy() != labels).sum()) == 0
