"""Batch analysis on Ray: results, failures, resume, and agreement with the CLI.

One local Ray (2 CPUs) serves the whole module: starting Ray costs seconds.
"""
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.batch import AnalysisOptions, find_records, read_beats
from ecg_lstm.errors import MissingDependencyError, RecordError

GOOD = ["100", "101", "103", "105", "119"]  # 119: bigeminy, many events
BAD = "108"  # its .dat cut short below


def _link(src: Path, dest: Path, rec: str) -> None:
    for ext in ("hea", "dat", "atr"):
        (dest / f"{rec}.{ext}").symlink_to(src / f"{rec}.{ext}")


@pytest.fixture(scope="module")
def archive(tmp_path_factory, mitdb_dir, ray_local):
    """Six records (one with a truncated signal file) analysed into a fresh archive."""
    from ecg_lstm.batch.runner import run_batch

    root = tmp_path_factory.mktemp("batch")
    src = root / "ward"
    src.mkdir()
    for r in GOOD:
        _link(mitdb_dir, src, r)
    shutil.copy(mitdb_dir / f"{BAD}.hea", src)
    (src / f"{BAD}.dat").write_bytes((mitdb_dir / f"{BAD}.dat").read_bytes()[:5000])
    out = root / "out"
    summary = run_batch(find_records([str(src)]), out, workers=2, progress=False)
    return src, out, summary


def test_batch_writes_results_and_one_failure_row(archive):
    src, out, summary = archive
    assert (summary.n_records, summary.n_ok, summary.n_failed, summary.n_skipped) == (6, 5, 1, 0)
    rec = pd.read_parquet(out / "records.parquet")
    assert len(rec) == 6 and rec["record_id"].is_unique
    bad = rec[rec["status"] == "failed"]
    assert bad["record_id"].tolist() == [f"ward/{BAD}"]
    assert bad["error_type"].iloc[0] == "TruncatedRecordError" and "truncated" in bad["error"].iloc[0]
    ok = rec[rec["status"] == "ok"]
    assert sorted(ok["record_id"]) == [f"ward/{r}" for r in GOOD]
    assert ok["error"].isna().all() and (ok["n_beats"] > 1000).all()
    assert ok["model_version"].str.contains("sha256:").all()
    # Every analysed record has its beats partition; the failed one has none.
    beats = read_beats(out)
    assert sorted(beats["record"].astype(str).unique()) == [f"ward/{r}" for r in GOOD]
    assert beats.groupby(beats["record"].astype(str)).size().to_dict() == ok.set_index("record_id")["n_beats"].astype(int).to_dict()
    ev = pd.read_parquet(out / "events.parquet")
    assert set(ev["record_id"]) <= set(ok["record_id"])
    assert ev.groupby("record_id").size().reindex(ok["record_id"], fill_value=0).tolist() == ok["n_events"].astype(int).tolist()
    # 119 is a bigeminy record: the event counts reach the summary columns.
    assert ok.set_index("record_id").loc["ward/119", "n_bigeminy"] > 0


def test_rerun_does_nothing_new(archive):
    from ecg_lstm.batch.runner import run_batch

    src, out, _ = archive
    stamps = {p: p.stat().st_mtime_ns for p in (out / "beats").rglob("*.parquet")}
    before = pd.read_parquet(out / "records.parquet")
    summary = run_batch(find_records([str(src)]), out, workers=2, progress=False)
    # The 5 done records are skipped; the failed one is tried again (and fails again).
    assert (summary.n_skipped, summary.n_ok, summary.n_failed) == (5, 0, 1)
    assert {p: p.stat().st_mtime_ns for p in (out / "beats").rglob("*.parquet")} == stamps
    after = pd.read_parquet(out / "records.parquet")
    cols = ["record_id", "status", "n_beats", "hr_mean_bpm", "finished_at"]
    ok = lambda df: df[df["status"] == "ok"][cols].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(ok(before), ok(after))
    assert len(after) == 6


def test_parquet_reads_back_equal_to_the_cli_outputs(archive, tmp_path):
    from ecg_lstm.commands.main import main

    src, out, _ = archive
    names = ["100", "119"]
    assert main(["analyze", *[str(src / r) for r in names], "--out-dir", str(tmp_path)]) == 0
    rec = pd.read_parquet(out / "records.parquet").set_index("record_id")
    events = pd.read_parquet(out / "events.parquet")
    for r in names:
        csv = pd.read_csv(tmp_path / f"{r}.csv", keep_default_na=False)
        pq = read_beats(out, f"ward/{r}")
        assert list(pq.columns) == list(csv.columns)
        assert (pq["sample"].to_numpy() == csv["sample"].to_numpy()).all()
        assert (pq["label"].to_numpy() == csv["label"].to_numpy()).all()
        num = [c for c in csv.columns if c not in ("sample", "label")]
        np.testing.assert_allclose(pq[num].to_numpy(), csv[num].to_numpy(), atol=1e-6)  # CSV keeps 6 decimals
        js = json.loads((tmp_path / f"{r}.json").read_text())
        row = rec.loc[f"ward/{r}"]
        for k in ("hr_mean_bpm", "sdnn_ms", "rmssd_ms", "v_burden_pct", "s_burden_pct", "n_beats"):
            assert row[k] == pytest.approx(js["vitals"][k]), k
        assert row["noisy_share_pct"] == pytest.approx(js["noisy_share_pct"])
        assert row["af_burden_pct"] == pytest.approx(js.get("af_burden_pct", np.nan), nan_ok=True)
        for c in ("N", "S", "V", "F", "Q"):
            assert row[f"n_{c}"] == js["vitals"]["beat_counts"][c]
        ev = events[events["record_id"] == f"ward/{r}"].reset_index(drop=True)
        cli_ev = pd.DataFrame(js["events"])
        assert len(ev) == len(cli_ev) == row["n_events"]
        for c in ("type", "start_sample", "end_sample", "n_beats"):
            assert ev[c].tolist() == cli_ev[c].tolist(), c


def test_failed_record_is_retried_and_recovers(archive, mitdb_dir):
    from ecg_lstm.batch.runner import run_batch

    src, out, _ = archive
    (src / f"{BAD}.dat").unlink()
    (src / f"{BAD}.hea").unlink()
    _link(mitdb_dir, src, BAD)
    summary = run_batch(find_records([str(src)]), out, workers=2, progress=False)
    assert (summary.n_skipped, summary.n_ok, summary.n_failed) == (5, 1, 0)
    rec = pd.read_parquet(out / "records.parquet")
    assert (rec["status"] == "ok").all() and len(rec) == 6
    # Nothing left to do: records.parquet is read, not rewritten; lost, it is rebuilt from _state/.
    stamp = (out / "records.parquet").stat().st_mtime_ns
    summary = run_batch(find_records([str(src)]), out, workers=2, progress=False)
    assert (summary.n_skipped, summary.n_ok, summary.workers) == (6, 0, 0)
    assert (out / "records.parquet").stat().st_mtime_ns == stamp
    (out / "records.parquet").unlink()
    summary = run_batch(find_records([str(src)]), out, workers=2, progress=False)
    assert summary.n_skipped == 6
    pd.testing.assert_frame_equal(pd.read_parquet(out / "records.parquet"), rec)


def test_cli_batch_command(archive, tmp_path, mitdb_dir, capsys):
    from ecg_lstm.commands.main import main

    listing = tmp_path / "records.txt"
    listing.write_text(f"# two records\n{mitdb_dir / '100'}\n{mitdb_dir / '101'}.hea\n")
    assert main(["batch", str(listing), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "2 records: 2 analysed, 0 failed" in text
    rec = pd.read_parquet(tmp_path / "out" / "records.parquet")
    assert sorted(rec["record_id"]) == sorted(str(mitdb_dir / r).lstrip("/") for r in ("100", "101"))
    assert main(["batch", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o2")]) == 2
    assert "not a folder, a list file or a PhysioNet database" in capsys.readouterr().err


def test_a_model_that_does_not_load_stops_the_batch(ray_local, tmp_path, mitdb_dir):
    from ecg_lstm.batch.runner import run_batch
    from ecg_lstm.errors import ModelError

    (tmp_path / "broken.pt").write_bytes(b"not weights")
    src = tmp_path / "one"
    src.mkdir()
    _link(mitdb_dir, src, "100")
    with pytest.raises(ModelError, match="broken.pt"):
        run_batch(find_records([str(src)]), tmp_path / "out", AnalysisOptions(model=str(tmp_path / "broken.pt")),
                  workers=1, progress=False)


def test_local_ray_listens_on_loopback_only(ray_local):
    psutil = pytest.importorskip("psutil")
    me = psutil.Process()
    addrs = []
    for p in [me, *me.children(recursive=True)]:
        try:
            addrs += [c.laddr.ip for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        except psutil.Error:
            continue
    assert addrs, "no Ray server found among the child processes"
    assert all(a in ("127.0.0.1", "::1", "::ffff:127.0.0.1") for a in addrs), addrs
    assert os.environ.get("RAY_USAGE_STATS_ENABLED") == "0"


def test_sources(tmp_path, mitdb_dir, monkeypatch):
    tree = tmp_path / "clinic"
    (tree / "2024" / "march").mkdir(parents=True)
    _link(mitdb_dir, tree / "2024" / "march", "100")
    (tree / "notes.txt").write_text("not a record")
    out = tree / "results"
    (out / "beats").mkdir(parents=True)
    (out / "beats" / "x.csv").write_text("a\n")  # outputs inside the tree are not records
    tasks = find_records([str(tree)], exclude=out)
    assert [(t.record_id, t.path) for t in tasks] == [("clinic/2024/march/100", str(tree / "2024" / "march" / "100"))]
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordError, match="no records"):
        find_records([str(tmp_path / "empty")])
    other = tmp_path / "b" / "clinic"
    (other / "2024" / "march").mkdir(parents=True)
    _link(mitdb_dir, other / "2024" / "march", "100")
    # links to the same files are the same record: analysed once, under the first id
    assert len(find_records([str(tree), str(other)], exclude=out)) == 1
    for ext in ("hea", "dat"):  # a different record (a copy) under the same id is refused
        (other / "2024" / "march" / f"100.{ext}").unlink()
        shutil.copy(mitdb_dir / f"100.{ext}", other / "2024" / "march" / f"100.{ext}")
    with pytest.raises(RecordError, match="two records get the id"):
        find_records([str(tree), str(other)], exclude=out)
    # A PhysioNet database name goes through the download code, here from the local mirror.
    monkeypatch.setenv("ECG_MIRROR", str(mitdb_dir))
    tasks = find_records(["mitdb"], download_dir=tmp_path / "dl", progress=False)
    assert len(tasks) == 48 and tasks[0].record_id == "mitdb/100"
    assert Path(tasks[0].path + ".dat").is_file()


def test_batch_report(archive, tmp_path):
    from ecg_lstm.batch.report import batch_report, main

    src, out, _ = archive
    page = batch_report(out)
    assert "<script" not in page and "Failures (" in page
    rec = pd.read_parquet(out / "records.parquet")
    assert f"<b>{len(rec)}</b>" in page  # the records card
    top = rec.sort_values("n_events", ascending=False)["record_id"].iloc[0]
    assert page.index(top) < page.index("Events in the archive")  # listed among the most events
    # Record text is shown as text: a hostile record id or error message stays inert.
    rec.loc[0, "record_id"] = "<img src=x onerror=alert(1)>"
    rec.loc[1, ["status", "error", "error_type"]] = ["failed", "<script>alert(1)</script>", "X"]
    (tmp_path / "a").mkdir()
    rec.to_parquet(tmp_path / "a" / "records.parquet")
    page = batch_report(tmp_path / "a")
    assert "<img" not in page and "<script" not in page and "&lt;script&gt;alert(1)" in page
    assert main([str(tmp_path / "a"), "--html", str(tmp_path / "r.html")]) == 0 and (tmp_path / "r.html").is_file()
    assert main([str(tmp_path / "none")]) == 2


def test_batch_arguments_are_checked_before_anything_runs(tmp_path, mitdb_dir, capsys):
    from ecg_lstm.commands.main import main

    (tmp_path / "afile").write_text("x")
    for argv, message in (([str(mitdb_dir), "--out", str(tmp_path / "afile")], "is a file"),
                          ([str(mitdb_dir), "--out", str(tmp_path / "o"), "--workers", "0"], "--workers"),
                          ([str(mitdb_dir), "--out", str(tmp_path / "o"), "--fs", "-5"], "fs")):
        assert main(["batch", *argv]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_worker_adapt_is_analyze_adapt(mitdb_dir, tmp_path):
    """The worker body (no Ray needed) with --adapt labels the beats as `analyze --adapt` does."""
    from ecg_lstm.batch.sources import RecordTask
    from ecg_lstm.batch.worker import RecordWorker
    from ecg_lstm.commands.main import main

    row, events = RecordWorker(str(tmp_path / "b"), AnalysisOptions(adapt=True)).run(
        RecordTask("m/119", str(mitdb_dir / "119")))
    assert row["status"] == "ok", row.get("error")
    assert main(["analyze", str(mitdb_dir / "119"), "--adapt", "--out-dir", str(tmp_path / "c")]) == 0
    csv = pd.read_csv(tmp_path / "c" / "119.csv", keep_default_na=False)
    assert (read_beats(tmp_path / "b", "m/119")["label"].to_numpy() == csv["label"].to_numpy()).all()
    assert row["n_V"] == json.loads((tmp_path / "c" / "119.json").read_text())["vitals"]["beat_counts"]["V"]


def test_missing_ray_names_the_make_target(monkeypatch):
    from ecg_lstm.batch.runner import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(MissingDependencyError, match="make setup-scale"):
        import_ray()


def test_gpu_adapter_gives_the_same_labels_on_cpu(mitdb_dir):
    """The GPU wrapper (batch/device.py), run on the CPU: same probabilities as the plain classifier."""
    from ecg_lstm.batch.device import beat_classifier_on
    from ecg_lstm.classifier.predict import BeatClassifier
    from ecg_lstm.signal.peaks import ecg_peaks
    from ecg_lstm.io.read import read_record

    rec = read_record(mitdb_dir / "119")
    ecg = rec.signal[: 360 * 120, 0]
    peaks, _ = ecg_peaks(ecg, rec.fs)
    clf = BeatClassifier.load()
    lab, p = clf.predict(ecg, rec.fs, peaks)
    lab2, p2 = beat_classifier_on(clf, "cpu").predict(ecg, rec.fs, peaks)
    assert (lab == lab2).all()
    np.testing.assert_allclose(p, p2, atol=1e-5)
