"""The first seconds of a long record (``io/head.py``), read without the rest: the same samples as the
whole record's first seconds, and None where there is no cheap partial read."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_lstm.io.head import read_head, record_seconds
from ecg_lstm.io.read import read_record


def test_wfdb_head_is_the_start_of_the_record(mitdb_dir):
    whole = read_record(mitdb_dir / "100")
    head = read_head(mitdb_dir / "100", 10.0)
    assert head.fs == whole.fs and head.lead_names == whole.lead_names and head.n_samples == 3600
    np.testing.assert_array_equal(head.signal, whole.signal[:3600])
    assert head.annotations is None and head.metadata["sig_len"] == whole.n_samples
    assert record_seconds(mitdb_dir / "100.hea") == whole.n_samples / whole.fs


def test_csv_head_and_estimated_length(tmp_path):
    t = np.arange(360 * 120) / 360
    x = np.round(np.column_stack([np.exp(-((t % 0.8) - 0.3) ** 2 / 2e-4), 0.1 * np.sin(t)]), 3)
    pd.DataFrame({"MLII": x[:, 0], "V5": x[:, 1]}).to_csv(tmp_path / "a.csv", index=False)
    head = read_head(tmp_path / "a.csv", 5.0, fs=360)
    whole = read_record(tmp_path / "a.csv", fs=360)
    assert head.n_samples == 1800
    np.testing.assert_array_equal(head.signal, whole.signal[:1800])
    assert abs(record_seconds(tmp_path / "a.csv", fs=360) - 120.0) < 12.0  # from the size and first rows
    assert read_head(tmp_path / "a.csv", 5.0) is None  # no time column, no rate: the full read says why


def test_no_head_for_other_formats_or_damaged_records(tmp_path, mitdb_dir):
    (tmp_path / "x.edf").write_bytes(b"0" * 300)
    assert read_head(tmp_path / "x.edf") is None
    (tmp_path / "r.hea").write_text("r 2 abc 1000\n")
    assert read_head(tmp_path / "r") is None and record_seconds(tmp_path / "r") is None
