"""``batch --store``: every record the archive analysed becomes a study, with the analysis its worker
kept (or, for a record analysed before --store was given, one made again by the driver)."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture()
def ward(tmp_path, mitdb_dir):
    """Two-minute excerpts of MIT-BIH 100 and 119 in a folder."""
    import wfdb

    src = tmp_path / "ward"
    src.mkdir()
    for name in ("100", "119"):
        rec = wfdb.rdrecord(str(mitdb_dir / name), sampto=360 * 120, physical=False)
        wfdb.wrsamp(f"b{name}", fs=rec.fs, units=rec.units, sig_name=rec.sig_name, d_signal=rec.d_signal,
                    fmt=rec.fmt, adc_gain=rec.adc_gain, baseline=rec.baseline, write_dir=str(src))
    return src


def test_batch_adds_its_records_to_the_store(ray_local, ward, tmp_path, capsys):
    from ecg_lstm.batch.results import analysis_dir
    from ecg_lstm.commands.main import main
    from ecg_lstm.studies import StudyStore

    out, files = tmp_path / "out", tmp_path / "store"
    url = f"sqlite:///{files / 'studies.sqlite'}"
    # b100 first without --store: a record with no kept analysis, which the driver analyses again.
    (tmp_path / "one.txt").write_text(f"{ward / 'b100'}\n")
    assert main(["batch", str(tmp_path / "one.txt"), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    listing = tmp_path / "two.txt"
    listing.write_text(f"{ward / 'b100'}\n{ward / 'b119'}\n")
    argv = ["batch", str(listing), "--out", str(out), "--workers", "1", "--quiet", "--store", url,
            "--store-files", str(files), "--who", "night batch"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "2 records: 1 analysed, 0 failed, 1 already done" in text and "2 studies in the store (2 new)" in text
    rec = pd.read_parquet(out / "records.parquet").set_index("record_id")
    ids = {str(ward / "b100").lstrip("/"), str(ward / "b119").lstrip("/")}
    assert set(rec.index) == ids
    assert analysis_dir(out, str(ward / "b119").lstrip("/")).is_dir()  # kept by the worker
    assert not analysis_dir(out, str(ward / "b100").lstrip("/")).exists()  # made again by the driver

    store = StudyStore(url, files)
    studies = store.list().set_index("label")
    assert set(studies.index) == ids
    for rid in ids:
        assert studies.loc[rid, "n_beats"] == rec.loc[rid, "n_beats"]
        assert store.get(int(studies.loc[rid, "id"]))["source"] == "batch"
    trail = store.audit_trail(int(studies["id"].iloc[0]))
    assert list(trail["who"]) == ["night batch"]
    store.close()

    # Again: nothing new, in the archive or the store.
    assert main(argv) == 0
    assert "2 studies in the store (0 new)" in capsys.readouterr().out


def test_batch_store_arguments(tmp_path, mitdb_dir, capsys):
    from ecg_lstm.commands.main import main

    (tmp_path / "not.sqlite").write_text("plain text")
    assert main(["batch", str(mitdb_dir), "--out", str(tmp_path / "o"), "--store",
                 f"sqlite:///{tmp_path / 'not.sqlite'}"]) == 2
    assert "is not a SQLite database" in capsys.readouterr().err
    assert main(["batch", str(mitdb_dir), "--out", str(tmp_path / "o"), "--store-files", str(tmp_path)]) == 2
    assert "give --store URL" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
