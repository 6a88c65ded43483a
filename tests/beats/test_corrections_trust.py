"""Corrections files (.cor) that cannot change a record they do not belong to: the record identity
written in the file, the checks on reading (foreign, random, cut short, symlink, oversized, no
identity, duplicates), and how the CLI and the review report a refusal.

Small synthetic WFDB records written with wfdb.wrsamp; no MIT-BIH needed.
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_lstm.beats import annotation_bytes, corrections
from ecg_lstm.beats.corrections import (Corrections, checked_bytes, labels_from_bytes, max_bytes, read_file,
                                        read_labels, write_labels)
from ecg_lstm.beats.record_identity import record_identity, signal_sha256
from ecg_lstm.errors import CorrectionsError, ForeignCorrectionsError, MissingFileError
from ecg_lstm.io.read import read_record
from ecg_lstm.io.upload import read_record_from_files
from ecg_lstm.signal.peaks import ecg_peaks

FS = 250.0


def _record(folder: Path, name: str, seed: int, seconds: float = 60.0, rate_hz: float = 1.2) -> Path:
    """A WFDB record of a clean spike train (``rate_hz`` beats a second) with a little noise of its own."""
    t = np.arange(int(FS * seconds)) / FS
    ecg = np.sin(2 * np.pi * rate_hz * t + seed) ** 40 * 1.2 + np.random.default_rng(seed).normal(0, 0.01, len(t))
    wfdb.wrsamp(name, fs=FS, units=["mV"], sig_name=["MLII"], p_signal=ecg[:, None], fmt=["16"], adc_gain=[200.0],
                baseline=[0], write_dir=str(folder))
    return folder / name


def _peaks(rec) -> np.ndarray:
    return np.asarray(ecg_peaks(rec.lead(), rec.fs)[0], np.int64)


@pytest.fixture
def two(tmp_path):
    """Records ``a`` and ``b`` (same rate and length, other signals), read, with their beats."""
    recs = {n: read_record(_record(tmp_path, n, seed)) for n, seed in (("a", 1), ("b", 2))}
    return tmp_path, recs, {n: _peaks(r) for n, r in recs.items()}


def _cor(folder: Path, name: str, rec, samples, labels, identity=True) -> Path:
    return write_labels(folder, name, samples, labels, rec.fs, identity=record_identity(rec) if identity else None)


def test_written_file_carries_the_identity_and_reads_back(two):
    folder, recs, peaks = two
    path = _cor(folder, "a", recs["a"], peaks["a"][[3, 8, 12]], ["V", "S", "F"])
    # wfdb reads it as an ordinary annotation file: the beats, and the end mark as a note.
    ann = wfdb.rdann(str(folder / "a"), "cor")
    assert list(ann.symbol) == ["V", "A", "F", '"'] and ann.aux_note[-1].startswith("ecg-lstm corrections end")
    # The identity note at sample 0 (rdann drops it as a definition) is in the bytes.
    assert b'ecg-lstm corrections v1 {"record":"a","fs":250' in path.read_bytes()
    s, lab = read_labels(folder / "a", record=recs["a"])
    assert s.tolist() == peaks["a"][[3, 8, 12]].tolist() and lab.tolist() == ["V", "S", "F"]
    c = read_file(path, recs["a"])
    assert c.identity == record_identity(recs["a"]) and c.notes() == []


def test_identity_is_stable_across_reads_and_paths(tmp_path):
    path = _record(tmp_path, "a", 1)
    upload = {p.name: p.read_bytes() for p in tmp_path.glob("a.*")}
    ids = {record_identity(read_record(path)), record_identity(read_record(path)),
           record_identity(read_record_from_files(upload)), record_identity(read_record(path), lead="MLII")}
    assert len(ids) == 1
    # -0.0 and 0.0, NaN payloads and absurd values hash alike: the reader's masking must not matter.
    x = np.array([0.0, 1.0, np.nan, 2.0])
    y = np.array([-0.0, 1.0, np.inf, 2.0])
    assert signal_sha256(x) == signal_sha256(y) != signal_sha256(x + 1e-12)


def test_a_foreign_file_is_refused_naming_both_records(two):
    folder, recs, peaks = two
    data = _cor(folder, "a", recs["a"], peaks["a"][:20], ["V"] * 20).read_bytes()
    (folder / "b.cor").write_bytes(data)  # record a's corrections, renamed for b
    with pytest.raises(ForeignCorrectionsError) as e:
        read_labels(folder / "b", record=recs["b"])
    msg = str(e.value)
    assert "record a (250 Hz" in msg and "not of record b" in msg and "differs" in msg and str(folder / "b.cor") in msg


def test_a_renamed_copy_of_the_same_signal_is_accepted(two):
    folder, recs, peaks = two
    data = _cor(folder, "a", recs["a"], peaks["a"][:5], ["V"] * 5).read_bytes()
    copy = read_record(folder / "a")
    copy.name = "patient7"
    c = labels_from_bytes(data, copy, shown_as="patient7.cor")
    assert len(c.samples) == 5 and "written for record a" in " ".join(c.notes())


def test_random_bytes_are_refused(two):
    _, recs, peaks = two
    rng = np.random.default_rng(0)
    for seed in range(20):
        data = np.random.default_rng(seed).integers(0, 256, 4096).astype(np.uint8).tobytes()
        with pytest.raises(CorrectionsError):
            labels_from_bytes(data, recs["a"], peaks=peaks["a"], shown_as="x.cor")
    with pytest.raises(CorrectionsError, match="could not be read"):
        labels_from_bytes(rng.integers(0, 256, 3).astype(np.uint8).tobytes(), recs["a"], shown_as="tiny.cor")


def test_a_file_cut_short_is_refused(two):
    folder, recs, peaks = two
    data = _cor(folder, "a", recs["a"], peaks["a"][:60], ["V"] * 60).read_bytes()
    for cut in (len(data) // 2, len(data) - 2, len(data) - 1, len(data) - 6):
        with pytest.raises(CorrectionsError, match="cut short") as e:
            labels_from_bytes(data[:cut], recs["a"], peaks=peaks["a"], shown_as="a.cor")
        assert "a.cor" in str(e.value)
    with pytest.raises(CorrectionsError, match="could not be read"):
        labels_from_bytes(data + b"\x01\x04", recs["a"], shown_as="a.cor")  # data after the end-of-file word


def test_a_symlink_and_a_non_file_are_refused_never_followed(two):
    folder, recs, peaks = two
    target = _cor(folder / "elsewhere", "a", recs["a"], peaks["a"][:5], ["V"] * 5)
    os.symlink(target, folder / "a.cor")
    with pytest.raises(CorrectionsError, match="symbolic link"):
        read_labels(folder / "a", record=recs["a"])
    os.symlink("/etc/passwd", folder / "b.cor")
    with pytest.raises(CorrectionsError, match="symbolic link"):
        read_file(folder / "b.cor", recs["b"])
    (folder / "dir.cor").mkdir()
    with pytest.raises(CorrectionsError, match="not a regular file"):
        read_file(folder / "dir.cor", recs["a"])
    with pytest.raises(MissingFileError):
        read_file(folder / "none.cor", recs["a"])


def test_an_oversized_file_is_refused_before_it_is_read_or_parsed(two, monkeypatch):
    folder, recs, peaks = two

    def never(*args, **kwargs):
        raise AssertionError("an oversized file must be refused before this")

    monkeypatch.setattr(corrections, "parse_annotations", never)
    limit = max_bytes(recs["a"], len(peaks["a"]))
    assert limit < 8000  # 60 s, ~72 beats: two annotations per beat, 16 bytes each, and the notes
    with pytest.raises(CorrectionsError, match="more than the corrections of record a could need"):
        labels_from_bytes(b"\x00\x04" * (limit // 2 + 1), recs["a"], peaks=peaks["a"], shown_as="big.cor")
    # A 1 GB sparse file beside the record: refused from its size, never opened.
    big = folder / "a.cor"
    with open(big, "wb") as f:
        f.truncate(1 << 30)
    monkeypatch.setattr(corrections.os, "open", never)
    with pytest.raises(CorrectionsError, match="1,073,741,824 bytes"):
        checked_bytes(big, recs["a"], n_beats=len(peaks["a"]), shown_as="a.cor")


def test_more_annotations_than_the_record_could_need_stop_the_parser(two):
    _, recs, peaks = two
    n = 2 * len(peaks["a"]) + 17  # within the size bound, over the count bound
    words = np.full(n, (1 << 10) | 1, "<u2").tobytes() + b"\x00\x00"  # N beats one sample apart
    with pytest.raises(CorrectionsError, match="more than .* annotations"):
        labels_from_bytes(words, recs["a"], peaks=peaks["a"], shown_as="many.cor")


def test_a_file_without_identity_must_match_the_beats(two):
    folder, recs, peaks = two
    # As another tool writes one: beats only. It matches record a's beats: accepted.
    path = _cor(folder, "a", recs["a"], peaks["a"][:30] + 5, ["V"] * 30, identity=False)
    c = read_file(path, recs["a"])  # beats detected here, as the CLI does
    assert c.identity is None and len(c.samples) == 30
    assert len(read_file(path, recs["a"], peaks=peaks["a"]).samples) == 30
    # Halfway between beats: no beat of the record within 150 ms of them.
    mid = (peaks["a"][:30] + peaks["a"][1:31]) // 2
    path = _cor(folder, "a", recs["a"], mid, ["V"] * 30, identity=False)
    with pytest.raises(ForeignCorrectionsError, match=r"only 0 of its 30 beats \(0 %\).*record a \(95 % needed\)"):
        read_file(path, recs["a"], peaks=peaks["a"])
    # Another sampling rate noted in the file: its sample numbers do not fit.
    wfdb.wrann("c", "cor", peaks["a"][:5], symbol=["N"] * 5, fs=360, write_dir=str(folder))
    with pytest.raises(ForeignCorrectionsError, match="360 Hz"):
        read_file(folder / "c.cor", recs["a"], peaks=peaks["a"])


def test_duplicates_and_unknown_codes_are_counted(two):
    folder, recs, peaks = two
    p = peaks["a"]
    samples = np.sort(np.concatenate([np.repeat(p[[4, 9]], 30), p[20:25]]))
    wfdb.wrann("d", "cor", samples, symbol=["V"] * len(samples), write_dir=str(folder))
    data = (folder / "d.cor").read_bytes()
    # Two annotations of a code WFDB does not define (45), at the last beat, before the end-of-file word.
    data = data[:-2] + bytes([0, 45 << 2, 0, 45 << 2]) + b"\x00\x00"
    c = labels_from_bytes(data, recs["a"], peaks=p, shown_as="d.cor")
    assert isinstance(c, Corrections) and len(c.samples) == 7
    assert c.duplicates == 58 and c.unknown == 2
    text = " ".join(c.notes())
    assert "58 annotations repeat a beat already given" in text and "2 annotations with codes" in text
    # The review says so, and no reviewed beat is said to match no beat.
    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.review import files, state
    from tests.review.helpers import AllNormal

    plain = analyze_record(recs["a"], classifier=AllNormal(), rhythm=None)
    rev = state.new_review()
    loaded = files.load_corrections(rev, plain, data, "d.cor")
    assert not loaded.error and loaded.message.startswith("7 reviewed beats loaded from d.cor")
    assert "58 annotations repeat" in loaded.message and "match no beat" not in loaded.message


def test_the_parser_reads_what_wfdb_writes(tmp_path):
    samples = np.array([0, 5, 1500, 1500, 70000])
    wfdb.wrann("w", "cor", samples, symbol=["N", "A", "V", "+", "Q"], aux_note=["", "", "", "(AFIB", ""],
               fs=360, write_dir=str(tmp_path))
    ann = annotation_bytes.parse_annotations((tmp_path / "w.cor").read_bytes(), 100, "w.cor")
    keep = ann.code != annotation_bytes.NOTE  # the sampling-rate note at sample 0
    assert ann.ended and ann.sample[keep].tolist() == samples.tolist()
    assert ann.symbols()[keep].tolist() == ["N", "A", "V", "+", "Q"]
    assert "(AFIB" in ann.notes.values() and "## time resolution: 360" in ann.notes.values()
    assert annotation_bytes.CODES["V"] == 5 and annotation_bytes.SYMBOLS[annotation_bytes.CODES["/"]] == "/"


def test_the_cli_fails_that_record_with_one_line(two, capsys):
    from ecg_lstm.commands.main import main

    folder, recs, peaks = two
    (folder / "b.cor").write_bytes(_cor(folder, "a", recs["a"], peaks["a"][:5], ["V"] * 5).read_bytes())
    rc = main(["analyze", str(folder / "b"), "--out-dir", str(folder / "out"), "--labels", "cor"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1
    assert "holds the corrections of record a" in err[0] and "not of record b" in err[0]
    assert not (folder / "out" / "b.json").exists()


def test_the_review_refuses_with_an_error_and_keeps_the_record(two):
    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.review import files, state
    from tests.review.helpers import AllNormal

    folder, recs, peaks = two
    plain = analyze_record(recs["b"], classifier=AllNormal(), rhythm=None)
    data = _cor(folder, "a", recs["a"], peaks["a"][:20], ["V"] * 20).read_bytes()
    for payload, name, words in ((data, "b.cor", "not of record b"), (b"abc", "tiny.cor", "could not be read"),
                                 (data[:len(data) // 2 + 40], "half.cor", "cut short"),
                                 (None, "big.cor", "not unpacked")):
        rev = state.new_review()
        loaded = files.load_corrections(rev, plain, payload, name)
        assert loaded.error and words in loaded.message and name in loaded.message, loaded.message
        assert "without these corrections" in loaded.message and "/tmp" not in loaded.message
        assert rev == state.new_review()
    # Beside a local record: a symlink is refused (nothing read), a missing file is no error.
    assert files.local_corrections(folder / "b", plain) is None
    os.symlink("/etc/passwd", folder / "b.cor")
    with pytest.raises(CorrectionsError, match="b.cor is a symbolic link"):
        files.local_corrections(folder / "b", plain)
    # Saving beside the record replaces the link: nothing is written through it.
    before = Path("/etc/passwd").read_bytes()
    rev = state.new_review()
    state.correct(rev, plain.beats["sample"].to_numpy()[[2, 3]], "V")
    path = files.save_beside(folder / "b", plain, rev)
    assert not path.is_symlink() and Path("/etc/passwd").read_bytes() == before
    assert files.read_corrections(path.read_bytes(), plain, "b.cor")[1].tolist() == ["V", "V"]


def test_a_zip_member_is_bounded_before_it_is_unpacked(monkeypatch):
    from ecg_lstm.review import files

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("r/r.hea", b"header")
        zf.writestr("r/r.cor", b"\x00" * 5000)
    monkeypatch.setattr(files, "MAX_COR_BYTES", 1000)
    record, cor = files.split_corrections({"r.zip": buf.getvalue()})
    assert list(record) == ["r.zip"] and cor == (None, "r.cor")
    monkeypatch.setattr(files, "MAX_COR_BYTES", 5000)
    assert files.split_corrections({"r.zip": buf.getvalue()})[1] == (b"\x00" * 5000, "r.cor")


def test_training_stops_at_a_foreign_file(two):
    from ecg_lstm.classifier.reviewed_beats import load_corrections

    folder, recs, peaks = two
    cor = folder / "cor"
    cor.mkdir()
    for n in ("b.hea", "b.dat"):
        (cor / n).write_bytes((folder / n).read_bytes())
    (cor / "b.cor").write_bytes(_cor(folder, "a", recs["a"], peaks["a"][:5], ["V"] * 5).read_bytes())
    with pytest.raises(ForeignCorrectionsError, match="not of record b"):
        load_corrections(cor, folder / "no-mitdb")
    # Its own file, bound to it, trains: the reviewed beats labelled, the others ignored.
    _cor(cor, "b", recs["b"], peaks["b"][:5], ["V"] * 5)
    bs = load_corrections(cor, folder / "no-mitdb")
    assert bs.records == ["b"] and (bs.labels != -100).sum() == 5
