"""A CSV is parsed in chunks (``io/csv_table.py``): what a chunk seam may not change.

Every test reads with chunks of a few hundred rows, so that seams fall inside the time column, the
sample counter, empty cells and the unit row's neighbourhood, and compares with what one parse of
the whole file gives.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecg_lstm import errors
from ecg_lstm.io import csv_table
from ecg_lstm.io.read import read_record
from ecg_lstm.io.upload import read_record_from_files


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(csv_table, "CHUNK_ROWS", 257)


def _ecg(n: int, fs: float = 360.0) -> np.ndarray:
    t = np.arange(n) / fs
    beat = np.exp(-((t % 0.8) - 0.3) ** 2 / 2e-4)
    return np.column_stack([1.2 * beat - 0.1, 0.4 * beat + 0.05 * np.sin(t)])


def test_chunks_equal_one_parse(tmp_path, small_chunks):
    x = np.round(_ecg(5000), 3)
    pd.DataFrame({"sample #": np.arange(5000), "MLII": x[:, 0], "V5 (uV)": 1000 * x[:, 1]}).to_csv(
        tmp_path / "a.csv", index=False)
    rec = read_record(tmp_path / "a.csv", fs=360)
    assert rec.lead_names == ["MLII", "V5"] and rec.n_samples == 5000  # the counter dropped across seams
    assert rec.signal.dtype == np.float32 and rec.signal.flags.f_contiguous
    np.testing.assert_array_equal(rec.signal[:, 0], x[:, 0].astype(np.float32))
    np.testing.assert_allclose(rec.signal[:, 1], x[:, 1], rtol=1e-6, atol=1e-7)


def test_counter_broken_after_a_seam_stays_a_lead(tmp_path, small_chunks):
    """A first column named like a counter that stops counting by one (after the first chunk) is a lead."""
    x = _ecg(3000)
    idx = np.arange(3000, dtype=float)
    idx[2000:] += 7
    pd.DataFrame({"index": idx, "V5": x[:, 1]}).to_csv(tmp_path / "b.csv", index=False)
    rec = read_record(tmp_path / "b.csv", fs=360, lead="V5")
    assert rec.lead_names == ["index", "V5"]


def test_time_column_checked_over_all_chunks(tmp_path, small_chunks):
    x = _ecg(4000, 250.0)
    t = np.arange(4000) / 250.0
    pd.DataFrame({"time": t, "ECG": x[:, 0]}).to_csv(tmp_path / "t.csv", index=False, float_format="%.4f")
    rec = read_record(tmp_path / "t.csv")
    assert rec.fs == 250.0 and rec.n_samples == 4000
    t[3000:] += 0.5  # a gap in the last chunks only
    pd.DataFrame({"time": t, "ECG": x[:, 0]}).to_csv(tmp_path / "g.csv", index=False, float_format="%.4f")
    with pytest.raises(errors.SamplingRateError, match="not uniformly spaced"):
        read_record(tmp_path / "g.csv")


def test_empty_cells_and_text_after_the_first_chunk(tmp_path, small_chunks):
    x = np.round(_ecg(3000), 3)
    lines = ["MLII,V5"] + [f"{a},{b}" for a, b in x]
    lines[2500] = ",0.1"  # one empty cell, in a late chunk
    (tmp_path / "e.csv").write_text("\n".join(lines) + "\n")
    rec = read_record(tmp_path / "e.csv", fs=360)
    assert rec.n_samples == 3000 and any("1 cells empty" in w for w in rec.metadata["warnings"])
    lines = ["MLII,V5"] + [f"{a},lead off" for a, _ in x]  # V5 text from start to end
    (tmp_path / "n.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(errors.MalformedRecordError, match="V5 are not numeric"):
        read_record(tmp_path / "n.csv", fs=360)


def test_physionet_unit_row_and_line_ends(tmp_path, small_chunks):
    x = np.round(_ecg(1000), 3)
    lines = ["'Elapsed time','MLII','V5'", "'seconds','mV','mV'"]
    lines += [f"{k / 360:.3f},{x[k, 0]:.3f},{x[k, 1]:.3f}" for k in range(1000)]
    (tmp_path / "p.csv").write_bytes(("\r\n".join(lines) + "\r\n\r\n").encode())  # CRLF, a blank line at the end
    rec = read_record(tmp_path / "p.csv")
    assert rec.fs == 360 and rec.n_samples == 1000 and rec.signal.flags.f_contiguous
    np.testing.assert_array_equal(rec.signal, x.astype(np.float32))


def test_value_beyond_float32_is_seen_as_a_number(tmp_path, small_chunks):
    """1e308 every 1000th sample: masked as artefact with a warning, as before chunks and float32."""
    x = np.round(_ecg(20 * 360), 3)
    x[::1000, 0] = 1e308
    pd.DataFrame({"MLII": x[:, 0], "V5": x[:, 1]}).to_csv(tmp_path / "h.csv", index=False)
    rec = read_record(tmp_path / "h.csv", fs=360)
    assert rec.signal.dtype == np.float32 and np.isfinite(np.nanmax(np.abs(rec.signal)))
    assert any("MLII" in w for w in rec.metadata["warnings"])


def test_upload_from_file_objects_and_paths(tmp_path):
    """An upload's data may be a file object (the page's uploader) or a file on disk (a spooled upload);
    both read as the same record as its bytes."""
    x = np.round(_ecg(3600), 3)
    pd.DataFrame({"MLII": x[:, 0], "V5": x[:, 1]}).to_csv(tmp_path / "u.csv", index=False)
    data = (tmp_path / "u.csv").read_bytes()
    import io

    a = read_record_from_files({"u.csv": data}, fs=360)
    b = read_record_from_files({"u.csv": io.BytesIO(data)}, fs=360)
    c = read_record_from_files({"u.csv": Path(tmp_path / "u.csv")}, fs=360)
    np.testing.assert_array_equal(a.signal, b.signal)
    np.testing.assert_array_equal(a.signal, c.signal)
