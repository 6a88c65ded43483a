"""Every lead at once (``dashboard.trace.leads``): the 12-lead print layout and stacked leads,
and the page showing them for a record of three leads or more."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dashboard import trace

NAMES = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
MIX = np.array([[0.6, 0.2], [1, 0], [0.4, -0.2], [-0.8, -0.1], [0.1, 0.3], [0.7, -0.1],
                [0.1, 1], [0.2, 0.9], [0.4, 0.6], [0.6, 0.4], [0.8, 0.2], [0.9, 0.1]])


def test_twelve_lead_layout_in_print_order():
    shuffled = NAMES[::-1]
    rows = trace.twelve_lead_layout([n.upper() for n in shuffled])
    assert [[shuffled[i] for i in row] for row in rows] == [list(r) for r in trace.LAYOUT_3X4] + [["II"]]
    assert trace.twelve_lead_layout(NAMES[:11]) is None


def test_leads_paper_layouts():
    fs = 500.0
    sig = np.sin(np.arange(int(fs * 12)) / fs * 2 * np.pi)[:, None] * np.arange(1, 13)[None, :] / 10
    fig = trace.leads_paper(sig, fs, NAMES, 1.0, 5.0, layout="12-lead")
    assert fig["meta"]["rows"] == [list(r) for r in trace.LAYOUT_3X4] + [["II"]]
    assert fig["meta"]["end_s"] == pytest.approx(11.0)  # 10 s whatever the window
    assert fig["layout"]["width"] > 10 * 25 * 3.7  # 10 s at 25 mm/s
    stacked = trace.leads_paper(sig[:, :3], fs, NAMES[:3], 0.0, 4.0)
    assert stacked["meta"]["rows"] == [["I"], ["II"], ["III"]]
    with pytest.raises(ValueError, match="12-lead layout"):
        trace.leads_paper(sig[:, :3], fs, NAMES[:3], 0.0, 4.0, layout="12-lead")


def test_page_shows_a_12_lead_record(monkeypatch, mitdb_dir, tmp_path):
    import wfdb
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.test_dashboard import APP

    rec = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=360 * 30)
    sig = rec.p_signal @ MIX.T
    wfdb.wrsamp("twelve", fs=360, units=["mV"] * 12, sig_name=NAMES, p_signal=sig, fmt=["16"] * 12,
                write_dir=str(tmp_path))
    monkeypatch.setenv("ECG_DATA_DIR", "/nonexistent-ecg-data")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.file_uploader(key="upload").set_value([(f"twelve.{e}", Path(tmp_path / f"twelve.{e}").read_bytes(),
                                               "application/octet-stream") for e in ("hea", "dat")])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["trace_view_mode"] == "12-lead"
    text = " ".join(c.value for c in at.caption).replace("\\", "")  # record text is shown escaped
    assert "12-lead print layout" in text and "labelled on lead II" in text
    assert "II, V5, V1" in text  # detection fused over three leads
    a = at.session_state["analysis"]
    assert a.record.lead_names[a.lead_index] == "II" and len(a.beats) > 30
