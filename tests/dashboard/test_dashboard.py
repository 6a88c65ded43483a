"""Dashboard flows through Streamlit's AppTest: uploads (good and bad), local records,
events moving the trace, the live monitor, the model page and the exports.

Records are 2-minute cuts of MIT-BIH records written to a temporary folder, so each
run takes a few seconds.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
import wfdb  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
CUT_S = 120


def _cut(src: Path, name: str, out: Path, new_name: str | None = None, seconds: int = CUT_S) -> Path:
    """Write the first ``seconds`` of MIT-BIH record ``name`` (signal + .atr) to ``out`` as
    ``new_name`` (default ``c<name>``)."""
    new_name = new_name or f"c{name}"
    rec = wfdb.rdrecord(str(src / name), sampto=int(360 * seconds), physical=False)
    rec.record_name = new_name
    rec.file_name = [f"{new_name}.dat"] * rec.n_sig
    rec.wrsamp(write_dir=str(out))
    ann = wfdb.rdann(str(src / name), "atr", sampto=int(360 * seconds) - 1)
    wfdb.wrann(new_name, "atr", ann.sample, ann.symbol, aux_note=ann.aux_note, fs=360, write_dir=str(out))
    return out / new_name


@pytest.fixture(scope="module")
def cuts(mitdb_dir, tmp_path_factory) -> Path:
    """Folder with c100 and c208 (2 min each, with reference annotations)."""
    out = tmp_path_factory.mktemp("cuts")
    for name in ("100", "208"):
        _cut(mitdb_dir, name, out)
    return out


def _files(stem: Path, exts=("hea", "dat", "atr")) -> list[tuple[str, bytes, str]]:
    return [(f"{stem.name}.{e}", Path(f"{stem}.{e}").read_bytes(), "application/octet-stream") for e in exts]


def _app(monkeypatch, data_dir: Path | None = None, timeout: float = 90) -> AppTest:
    monkeypatch.setenv("ECG_DATA_DIR", str(data_dir) if data_dir else "/nonexistent-ecg-data")
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception
    return at


def _upload(at: AppTest, files) -> AppTest:
    at.file_uploader(key="upload").set_value(files)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_opens_without_samples_and_offers_upload(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path)
    assert at.file_uploader(key="upload") is not None
    assert any("No sample records" in i.value for i in at.info)
    assert "analysis" not in at.session_state
    assert not _errors(at)


def test_good_upload_shows_results(monkeypatch, cuts):
    at = _upload(_app(monkeypatch), _files(cuts / "c208"))
    assert not _errors(at)
    a = at.session_state["analysis"]
    assert a.record.name == "c208" and a.record.annotations is not None
    assert len(a.beats) > 150  # 2 min at ~90 bpm
    labels = [m.label for m in at.metric]
    assert "HR mean" in labels and "Ectopic burden" in labels
    hr = next(m.value for m in at.metric if m.label == "HR mean")
    assert hr.endswith("bpm") and 40 < float(hr.split()[0]) < 160
    assert len(at.tabs) >= 6
    # The events table lists what the analysis flagged (208 has PVC couplets in its first minutes).
    if len(a.events):
        tables = [d.value for d in at.dataframe]
        assert any("type" in t.columns and len(t) == len(a.events) for t in tables)


def test_zip_upload(monkeypatch, cuts):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, _ in _files(cuts / "c100"):
            zf.writestr(f"c100/{name}", data)
    at = _upload(_app(monkeypatch), [("c100.zip", buf.getvalue(), "application/zip")])
    assert not _errors(at)
    assert at.session_state["analysis"].record.name == "c100"


def _bad_cases(cuts: Path, tmp: Path) -> dict[str, list]:
    good = dict((n, b) for n, b, _ in _files(cuts / "c100"))
    flat_dir = tmp / "flat"
    flat_dir.mkdir(exist_ok=True)
    wfdb.wrsamp("flat", fs=360, units=["mV"], sig_name=["MLII"], p_signal=np.zeros((360 * 20, 1)),
                fmt=["16"], write_dir=str(flat_dir))
    t = lambda d: [(n, b, "application/octet-stream") for n, b in d.items()]  # noqa: E731
    return {
        "truncated .dat": t({"c100.hea": good["c100.hea"], "c100.dat": good["c100.dat"][: len(good["c100.dat"]) // 3]}),
        "wrong extension": t({"c100.docx": good["c100.dat"]}),
        "flat signal": t({n: (flat_dir / n).read_bytes() for n in ("flat.hea", "flat.dat")}),
        "missing .dat": t({"c100.hea": good["c100.hea"], "c100.atr": good["c100.atr"]}),
        "csv without fs": [("ecg.csv", b"MLII\n" + b"\n".join(f"{np.sin(i / 10):.3f}".encode() for i in range(5000)),
                            "text/csv")],
    }


@pytest.mark.parametrize("case", ["truncated .dat", "wrong extension", "flat signal", "missing .dat", "csv without fs"])
def test_bad_upload_shows_error_and_keeps_previous_record(monkeypatch, cuts, tmp_path, case):
    at = _upload(_app(monkeypatch), _files(cuts / "c100"))
    assert at.session_state["analysis"].record.name == "c100"
    at = _upload(at, _bad_cases(cuts, tmp_path)[case])
    errors = _errors(at)
    assert len(errors) == 1, errors
    msg = errors[0]
    assert "Traceback" not in msg and len(msg) > 20
    # The record shown before stays, and the page still works.
    assert at.session_state["analysis"].record.name == "c100"
    assert any(m.label == "HR mean" for m in at.metric)
    at.run()
    assert not at.exception


def test_csv_with_sampling_rate_input(monkeypatch):
    at = _app(monkeypatch)
    at.number_input(key="csv_fs").set_value(250.0)
    x = np.arange(250 * 60) / 250.0
    ecg = np.sin(2 * np.pi * 1.2 * x) ** 40 * 1.2  # a spike train at 72 bpm
    csv = b"MLII\n" + "\n".join(f"{v:.4f}" for v in ecg).encode()
    at = _upload(at, [("strip.csv", csv, "text/csv")])
    assert not _errors(at)
    a = at.session_state["analysis"]
    assert a.record.fs == 250.0 and a.record.duration_s == pytest.approx(60.0)


def test_local_record_and_event_jump(monkeypatch, cuts):
    at = _app(monkeypatch, cuts)
    assert at.selectbox(key="local_name").options == ["c100", "c208"]
    at.selectbox(key="local_name").select("c208")
    at.button(key="local_open").click()
    at.run()
    assert not at.exception and not _errors(at)
    a = at.session_state["analysis"]
    assert a.record.name == "c208"
    if not len(a.events):
        pytest.skip("no event flagged in the first 2 minutes of 208")
    # Selecting the last event's row moves the trace window to it.
    times = at.session_state["events_table_times"]
    row = len(times) - 1
    at.session_state["events_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.slider(key="trace_center_s").value == pytest.approx(min(times[row], CUT_S), abs=1.0)
    # The slider stays free afterwards: moving it is not undone by the old selection.
    at.slider(key="trace_center_s").set_value(5.0)
    at.run()
    assert at.slider(key="trace_center_s").value == pytest.approx(5.0)


def _open_tab(at: AppTest, label: str) -> AppTest:
    """Switch the main tabs (only the open tab's content runs)."""
    at.session_state["main_tabs"] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_event_filters_belong_to_the_record(monkeypatch, cuts):
    """A filter set on one record's events is not applied to the next record opened."""
    at = _app(monkeypatch, cuts)
    at.selectbox(key="local_name").select("c208")
    at.button(key="local_open").click()
    at = _open_tab(at, "Events")
    options = at.multiselect(key="events_filter").options
    if not options:
        pytest.skip("no event in the first 2 minutes of 208")
    at.multiselect(key="events_filter").set_value(options[:1])
    at.toggle(key="events_hide_noisy").set_value(True)
    at.run()
    assert at.multiselect(key="events_filter").value == options[:1]
    at.selectbox(key="local_name").select("c100")
    at.button(key="local_open").click()
    at.run()
    assert not at.exception and at.session_state["analysis"].record.name == "c100"
    assert at.multiselect(key="events_filter").value == [] and at.toggle(key="events_hide_noisy").value is False


def test_reference_disagreement_jump(monkeypatch, cuts):
    at = _open_tab(_upload(_app(monkeypatch), _files(cuts / "c208")), "Reference comparison")
    assert at.dataframe, "the reference tab shows the per-class table"
    times = at.session_state.get("disagree_table_times")
    if not times:
        pytest.skip("no disagreement to click (or the beats are not classified)")
    at.session_state["disagree_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.slider(key="trace_center_s").value == pytest.approx(times[0], abs=1.0)


def test_live_monitor_start_stop(monkeypatch, cuts):
    at = _open_tab(_upload(_app(monkeypatch), _files(cuts / "c100")), "Live monitor")
    at.button(key="live_start").click()
    at.run()
    assert at.session_state["live_running"] is True
    at.button(key="live_stop").click()
    at.run()
    assert at.session_state["live_running"] is False
    assert not at.exception


def test_live_cursor_advances_with_speed():
    from dashboard.sections import live

    state = {"live_cursor_s": 10.0, "live_last_tick": 100.0, "live_running": True}
    assert live.advance(state, 60.0, speed=5.0, now=101.0) == pytest.approx(15.0)
    assert state["live_running"] is True
    assert live.advance(state, 16.0, speed=5.0, now=102.0) == pytest.approx(16.0)
    assert state["live_running"] is False


def test_exports(monkeypatch, cuts, tmp_path):
    from dashboard.sections import export

    at = _open_tab(_upload(_app(monkeypatch), _files(cuts / "c208")), "Export")
    a = at.session_state["analysis"]
    # beats, annotations, HTML; events with review, PDF; the record as EDF+ and as ISHNE
    assert len(at.get("download_button")) == 7
    csv = export.beats_csv(a).decode()
    assert csv.splitlines()[0].startswith("sample,time_s,label,confidence")
    assert len(csv.splitlines()) == len(a.beats) + 1
    ann = export.annotation_bytes(a)
    (tmp_path / "c208.lstm").write_bytes(ann)
    read = wfdb.rdann(str(tmp_path / "c208"), "lstm")
    beat_rows = np.isin(read.symbol, list("NSVFQ?"))
    assert np.array_equal(read.sample[beat_rows], a.beats["sample"].to_numpy())
    html = export.report_html(a).decode()
    assert html.startswith("<!doctype html>") and "c208" in html
    from ecg_lstm.report.summary import report_parts

    assert html.count("<svg") == len(report_parts(a)["strips"]) > 0  # the strips by rule, one row each


def test_tabs_render_without_error(monkeypatch, cuts):
    at = _upload(_app(monkeypatch), _files(cuts / "c208"))
    for label in ("Rhythm & HRV", "Reference comparison", "Live monitor", "Model", "Export", "Events"):
        _open_tab(at, label)
        assert not _errors(at), (label, _errors(at))


def test_model_page_without_files_is_graceful(monkeypatch, tmp_path):
    from dashboard.sections import model

    monkeypatch.setattr(model, "MODELS", tmp_path)
    assert model.histories() == {}
    (tmp_path / "beat_history.json").write_text('[{"epoch": 1, "train_loss": 1.0, "val_loss": 1.2},'
                                                ' {"epoch": 2, "train_loss": 0.5, "val_loss": 0.9}]')
    (tmp_path / "bad_history.json").write_text("{not json")
    (tmp_path / "beat_lstm.json").write_text('{"classes": ["N", "S"], "epochs": [1, 2]}')  # settings, no history
    assert model.histories() == {"beat_history": {"train_loss": [1.0, 0.5], "val_loss": [1.2, 0.9]}}


def test_physionet_record_from_mirror(monkeypatch, mitdb_dir, tmp_path):
    """'From PhysioNet' downloads (here from a folder mirror) into data/, verified, then opens it."""
    from dashboard import loading

    monkeypatch.setenv("ECG_MIRROR", str(mitdb_dir))
    monkeypatch.setattr(loading, "ROOT", tmp_path)
    at = _app(monkeypatch)
    at.text_input(key="pn_db").set_value("mitdb")
    at.text_input(key="pn_record").set_value("100")
    at.button(key="pn_open").click()
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    assert (tmp_path / "data" / "mitdb" / "100.dat").exists()
    assert at.session_state["analysis"].record.name == "100"
    # A record the database does not have: a plain error, the open record stays.
    at.text_input(key="pn_record").set_value("999")
    at.button(key="pn_open").click()
    at.run()
    assert not at.exception and len(_errors(at)) == 1
    assert at.session_state["analysis"].record.name == "100"
