"""The page on 232 (sinus bradycardia, pauses up to 6 s), through Streamlit's AppTest: the overview
says the rhythm, the longest pause and the alarms first; the live monitor alarms on a pause of 3 s
or more, names it, and can be silenced (dashboard.sections.overview, dashboard.sections.live)."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
import wfdb  # noqa: E402

from tests.dashboard.test_dashboard import _app  # noqa: E402


def _cut_232(src: Path, out: Path, a_s: float = 600.0, b_s: float = 720.0) -> Path:
    rec = wfdb.rdrecord(str(src / "232"), sampfrom=int(360 * a_s), sampto=int(360 * b_s), physical=False)
    rec.record_name = "p232"
    rec.file_name = ["p232.dat"] * rec.n_sig
    rec.wrsamp(write_dir=str(out))
    return out / "p232"


def _run(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_232_says_what_matters_and_alarms_on_its_pauses(monkeypatch, mitdb_dir, tmp_path):
    stem = _cut_232(mitdb_dir, tmp_path)
    at = _app(monkeypatch, timeout=120)
    _run(at)
    at.file_uploader(key="upload").set_value([(f"p232.{e}", Path(f"{stem}.{e}").read_bytes(),
                                                "application/octet-stream") for e in ("hea", "dat")])
    _run(at)
    from ecg_lstm.findings.events import alarming

    a = at.session_state["analysis"]
    text = " ".join(m.value for m in at.markdown)
    assert "Longest pause" in text and ("Alarms: " in text or "No alarm" in text)
    ev = alarming(a.events)
    assert len(ev) and set(ev["type"]) <= {"pause", "vt", "vflutter"}
    assert ((ev["end_s"] - ev["start_s"])[ev["type"] == "pause"] >= 3.0).all()
    at.session_state["main_tabs"] = "Live monitor"
    _run(at)
    at.session_state["live_cursor_s"] = float(ev["end_s"].iloc[0]) + 0.5
    _run(at)
    html = " ".join(m.value for m in at.markdown)
    assert "class='ecg-alarm'" in html and "ALARM: Pause " in html
    at.toggle(key="live_silenced").set_value(True)
    _run(at)
    html = " ".join(m.value for m in at.markdown)
    assert "class='ecg-silenced'" in html and "class='ecg-alarm'" not in html
    # Still silenced after a look at another tab.
    for tab in ("Events", "Live monitor"):
        at.session_state["main_tabs"] = tab
        _run(at)
    assert at.toggle(key="live_silenced").value is True
    html = " ".join(m.value for m in at.markdown)
    assert "class='ecg-silenced'" in html and "class='ecg-alarm'" not in html
