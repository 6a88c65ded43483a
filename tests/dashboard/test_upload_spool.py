"""Uploads kept on disk, not in the server's memory (dashboard/upload_spool.py): what is written, what
is handed back, and a CSV read again from its spooled copy when another sampling rate is typed in."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dashboard import upload_spool  # noqa: E402

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def _csv(seconds: float = 60.0, fs: float = 360.0) -> bytes:
    t = np.arange(int(seconds * fs)) / fs
    beat = np.exp(-((t % 0.8) - 0.3) ** 2 / 2e-4)
    rows = "\n".join(f"{a:.3f},{b:.3f}" for a, b in zip(1.2 * beat - 0.1, 0.4 * beat))
    return ("MLII,V5\n" + rows + "\n").encode()


def test_spool_writes_files_and_keeps_the_newest(monkeypatch):
    monkeypatch.setattr(upload_spool, "_kept", type(upload_spool._kept)())
    monkeypatch.setattr(upload_spool, "MAX_KEPT", 2)
    data = _csv(5)
    first = upload_spool.spool({"a.csv": io.BytesIO(data)})
    assert first["main"] == "a.csv" and first["names"] == ["a.csv"]
    paths = upload_spool.files_of(first)
    assert paths["a.csv"].read_bytes() == data
    second = upload_spool.spool({"b.csv": data})
    upload_spool.spool({"c.csv": data})
    assert upload_spool.files_of(first) is None  # the oldest folder went
    assert upload_spool.files_of(second) is not None
    assert upload_spool.files_of(None) is None


def test_spool_refuses_what_the_reader_refuses(monkeypatch):
    from ecg_lstm.errors import ECGError

    with pytest.raises(ECGError, match="two files are named"):
        upload_spool.spool({"a.csv": b"x", "dir/a.csv": b"y"})


def test_release_empties_the_file_objects():
    class Upload(io.BytesIO):
        file_id = "x"

    u = Upload(b"abc" * 1000)
    upload_spool.release([u])  # outside a script run: the file object is still emptied
    assert u.getvalue() == b""


def test_csv_read_again_from_disk_at_another_rate(monkeypatch, tmp_path):
    """A CSV without a time column: refused until a rate is given; each rate typed in reads the spooled
    copy (the uploader's bytes were handed back), and the record follows the rate."""
    monkeypatch.setenv("ECG_DATA_DIR", str(tmp_path / "none"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.file_uploader(key="upload").set_value([("strip.csv", _csv(), "text/csv")])
    at.run()
    assert not at.exception
    assert any("sampling rate" in e.value for e in at.error)
    spooled = at.session_state["upload_spool"]
    assert Path(spooled["folder"], "strip.csv").is_file()
    at.number_input(key="csv_fs").set_value(360.0).run()
    assert not at.exception and at.session_state["analysis"].record.fs == 360.0
    at.number_input(key="csv_fs").set_value(250.0).run()
    assert not at.exception and at.session_state["analysis"].record.fs == 250.0
    assert at.session_state["source_label"] == "upload: strip"


def test_progress_says_share_and_time_left():
    """A long analysis shows its stage, the share done and, once a fifth is done, the time left at
    the pace so far."""
    from dashboard.loading import progress_text

    assert progress_text(0.1, "detecting beats", 3.0) == (0.1, "Analysing: detecting beats… 10%")
    done, text = progress_text(0.5, "vitals and rhythm", 6.0)
    assert done == 0.5 and text.endswith("50%, about 6 s left")
    assert "left" not in progress_text(1.0, "done", 12.0)[1]
