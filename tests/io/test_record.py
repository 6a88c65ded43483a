"""Reading records: MIT-BIH via WFDB, EDF/EDF+, CSV, uploads, and each error case."""
import io
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest
import wfdb

from ecg_lstm import errors
from ecg_lstm.io import upload
from ecg_lstm.io.record import Record, select_lead
from ecg_lstm.io.read import read_record
from ecg_lstm.io.upload import read_record_from_files


def write_edf(path, signals, fs, labels, units, record_s=1.0, annotations=(), plus=False, n_records=None,
              starts=None):
    """Write a 16-bit EDF(+) file; ``signals`` may differ in rate (``fs`` per signal).

    ``annotations`` are (onset_s, text) written to an "EDF Annotations" channel;
    ``starts`` (s, one per data record) makes it an EDF+D file.
    Returns the physical values the file holds (after quantisation), per signal.
    """
    n_rec = int(len(signals[0]) / (fs[0] * record_s))
    spr = [int(f * record_s) for f in fs]
    chans, held, phys = [], [], []
    for x, n in zip(signals, spr):
        x = np.asarray(x[: n_rec * n], float)
        lo, hi = float(x.min()) - 1, float(x.max()) + 1
        d = np.round((x - lo) / (hi - lo) * 65535 - 32768).astype("<i2")
        chans.append(d.reshape(n_rec, n))
        held.append((d + 32768.0) / 65535 * (hi - lo) + lo)
        phys.append((lo, hi))
    labels, units = list(labels), list(units)
    plus = plus or bool(annotations) or starts is not None
    if plus:
        ann_spr = 60
        rows = np.zeros((n_rec, 2 * ann_spr), np.uint8)
        for r in range(n_rec):
            tal = f"+{r * record_s if starts is None else starts[r]:g}\x14\x14\x00".encode()
            tal += b"".join(f"+{t:g}\x14{s}\x14\x00".encode() for t, s in annotations
                            if r * record_s <= t < (r + 1) * record_s)
            rows[r, : len(tal)] = np.frombuffer(tal, np.uint8)
        chans.append(rows.view("<i2"))
        labels.append("EDF Annotations")
        units.append("")
        spr.append(ann_spr)
        phys.append((-1, 1))
    ns = len(chans)

    def field(values, width):
        return b"".join(str(v).ljust(width)[:width].encode("latin-1") for v in values)

    head = (b"0".ljust(8) + b"X X X X".ljust(80) + b"Startdate X X X X".ljust(80) + b"02.03.04" + b"05.06.07"
            + str(256 * (ns + 1)).ljust(8).encode() + (b"EDF+D" if starts is not None else b"EDF+C" if plus else b"").ljust(44)
            + str(n_rec if n_records is None else n_records).ljust(8).encode() + f"{record_s:g}".ljust(8).encode()
            + str(ns).ljust(4).encode())
    head += field(labels, 16) + field([""] * ns, 80) + field(units, 8)
    head += field([f"{p[0]:.6g}"[:8] if i < len(signals) else "-1" for i, p in enumerate(phys)], 8)
    head += field([f"{p[1]:.6g}"[:8] if i < len(signals) else "1" for i, p in enumerate(phys)], 8)
    head += field([-32768] * ns, 8) + field([32767] * ns, 8) + field([""] * ns, 80) + field(spr, 8)
    head += field([""] * ns, 32)
    data = np.concatenate(chans, axis=1).astype("<i2").tobytes()
    path.write_bytes(head + data)
    # The header keeps 6 significant digits of the physical range: recompute what a reader sees.
    out = []
    for d, (lo, hi) in zip(chans[: len(signals)], phys):
        lo, hi = float(f"{lo:.6g}"[:8]), float(f"{hi:.6g}"[:8])
        out.append((d.ravel() + 32768.0) / 65535 * (hi - lo) + lo)
    return out


def copy_record(src_dir, name, dst, exts=("hea", "dat", "atr")):
    for ext in exts:
        shutil.copy(src_dir / f"{name}.{ext}", dst / f"{name}.{ext}")
    return dst / name


@pytest.fixture
def rec100(mitdb_dir, tmp_path):
    """A writable copy of MIT-BIH record 100 (.hea, .dat, .atr)."""
    return copy_record(mitdb_dir, "100", tmp_path)


def write_small(tmp_path, signal, name="rec", fs=360, fmt="16", units=("mV", "mV"), sig_name=("MLII", "V5")):
    n = signal.shape[1]
    wfdb.wrsamp(name, fs=fs, units=list(units)[:n], sig_name=list(sig_name)[:n], p_signal=signal,
                fmt=[fmt] * n, write_dir=str(tmp_path))
    return tmp_path / name


def ecg_like(n, fs=360, leads=2, seed=0):
    t = np.arange(n) / fs
    rng = np.random.default_rng(seed)
    x = np.sin(2 * np.pi * 1.2 * t)[:, None] ** 21 + 0.02 * rng.standard_normal((n, leads))
    return x


# ---------------------------------------------------------------- MIT-BIH / WFDB

def test_mitdb_100_reads_with_mlii_and_annotations(mitdb_dir):
    rec = read_record(mitdb_dir / "100")
    assert isinstance(rec, Record) and rec.name == "100"
    assert rec.fs == 360.0 and rec.signal.shape == (650000, 2)
    assert rec.signal.dtype == np.float32 and rec.signal.flags.f_contiguous  # each lead contiguous
    assert rec.lead_names == ["MLII", "V5"] and rec.units == ["mV", "mV"]
    assert rec.lead_index() == 0 and rec.metadata["lead"] == "MLII"
    assert abs(rec.duration_s - 1805.56) < 0.01
    ann = rec.annotations
    assert ann.extension == "atr" and len(ann.sample) == 2274 and ann.sample.dtype == np.int64
    assert (ann.symbol == "N").sum() == 2239 and (ann.symbol == "A").sum() == 33
    assert np.all(np.diff(ann.sample) >= 0) and len(ann.aux_note) == 2274
    meta = rec.metadata
    assert meta["format"] == "wfdb-212" and meta["comments"][1] == "Aldomet, Inderal"
    assert meta["nan_fraction"] == [0.0, 0.0] and meta["base_date"] is None
    ref = wfdb.rdrecord(str(mitdb_dir / "100"))
    np.testing.assert_allclose(rec.signal, ref.p_signal, rtol=1e-7, atol=0)  # float32: 24 bits


def test_path_forms_and_annotator_none(mitdb_dir):
    a = read_record(mitdb_dir / "100.hea", annotator=None)
    b = read_record(str(mitdb_dir / "100.dat"), annotator="nosuch")
    assert a.annotations is None and b.annotations is None
    assert a.signal.shape == b.signal.shape == (650000, 2)


def test_208_beat_counts(mitdb_dir):
    rec = read_record(mitdb_dir / "208")
    sym = rec.annotations.symbol
    assert len(sym) == 3040 and (sym == "V").sum() == 992 and (sym == "F").sum() == 373
    assert rec.lead_names == ["MLII", "V1"]


def test_missing_companion_files(rec100, tmp_path):
    (tmp_path / "100.dat").unlink()
    with pytest.raises(errors.MissingFileError, match=r"100\.dat is missing"):
        read_record(rec100)
    shutil.copy(tmp_path / "100.hea", tmp_path / "x.dat")
    with pytest.raises(errors.MissingFileError, match=r"x\.hea is missing"):
        read_record(tmp_path / "x")
    with pytest.raises(errors.MissingFileError, match="not found"):
        read_record(tmp_path / "nosuch")


def test_truncated_dat(rec100, tmp_path):
    dat = tmp_path / "100.dat"
    dat.write_bytes(dat.read_bytes()[:1000000])
    with pytest.raises(errors.TruncatedRecordError, match="truncated"):
        read_record(rec100)


def test_checksum_and_channel_count_mismatch(rec100, tmp_path, mitdb_dir):
    dat = tmp_path / "100.dat"
    raw = bytearray(dat.read_bytes())
    raw[5000:5010] = bytes(10)
    dat.write_bytes(bytes(raw))
    with pytest.raises(errors.HeaderMismatchError, match="checksum"):
        read_record(rec100)
    # A header that claims 3 signals in the 2-signal file: the file is too short for it.
    copy_record(mitdb_dir, "100", tmp_path, exts=("dat",))
    lines = (tmp_path / "100.hea").read_text().splitlines()
    lines[0] = "100 3 360 650000"
    lines.insert(3, lines[2].replace("V5", "V6"))
    (tmp_path / "100.hea").write_text("\n".join(lines) + "\n")
    with pytest.raises(errors.MalformedRecordError):
        read_record(rec100)


@pytest.mark.parametrize("fs", ["50", "5000"])
def test_sampling_rate_out_of_range(rec100, tmp_path, fs):
    hea = tmp_path / "100.hea"
    hea.write_text(hea.read_text().replace("100 2 360 650000", f"100 2 {fs} 650000"))
    with pytest.raises(errors.SamplingRateError, match="100..2000 Hz"):
        read_record(rec100)


def test_too_long_is_refused_from_the_header(rec100, tmp_path):
    hea = tmp_path / "100.hea"
    with pytest.raises(errors.RecordTooLongError, match="0.5 h limit"):
        read_record(rec100, max_hours=0.5)
    # 100 h announced for a 30 min file: refused as too long before the data is looked at.
    hea.write_text(hea.read_text().replace("650000", str(360 * 3600 * 100)))
    with pytest.raises(errors.RecordTooLongError):
        read_record(rec100)


def test_unparsable_header_and_unknown_format(rec100, tmp_path):
    hea = tmp_path / "100.hea"
    hea.write_text(hea.read_text().replace("212", "999"))
    with pytest.raises(errors.RecordError) as e:
        read_record(rec100)
    assert isinstance(e.value, (errors.MalformedRecordError, errors.UnsupportedFormatError))
    hea.write_text("this is not a header\n")
    with pytest.raises(errors.MalformedRecordError, match="100.hea"):
        read_record(rec100)
    notes = tmp_path / "notes.pdf"
    notes.write_bytes(b"%PDF-1.4")
    with pytest.raises(errors.UnsupportedFormatError, match=r"\.edf.*\.csv"):
        read_record(notes)


def test_empty_flat_and_all_nan(tmp_path):
    x = ecg_like(3600)
    x[:, 1] = 0.0
    rec = read_record(write_small(tmp_path, x))  # the other lead may be flat
    assert rec.lead_index() == 0
    with pytest.raises(errors.SignalQualityError, match="flat"):
        read_record(write_small(tmp_path, x), lead="V5")
    d = np.round(ecg_like(3600) * 200).astype(np.int16)
    d[:, 0] = -32768  # the invalid-sample code of format 16 throughout
    wfdb.wrsamp("nan", fs=360, units=["mV", "mV"], sig_name=["MLII", "V5"], d_signal=d, fmt=["16", "16"],
                adc_gain=[200.0, 200.0], baseline=[0, 0], write_dir=str(tmp_path))
    with pytest.raises(errors.SignalQualityError, match="no valid samples"):
        read_record(tmp_path / "nan")
    hea = write_small(tmp_path, ecg_like(3600))
    hea.with_suffix(".hea").write_text("rec 2 360 0\nrec.dat 16 200 16 0 0 0 0 MLII\nrec.dat 16 200 16 0 0 0 0 V5\n")
    with pytest.raises(errors.SignalQualityError, match="no samples"):
        read_record(hea)


def test_nan_gaps_are_kept_and_reported(tmp_path):
    x = ecg_like(3600)
    x[100:136, 0] = np.nan  # 0.1 s gap: stored as the invalid-sample code
    rec = read_record(write_small(tmp_path, x))
    assert np.isnan(rec.signal[100:136, 0]).all() and not np.isnan(rec.signal[136:, 0]).any()
    assert rec.metadata["nan_fraction"] == [pytest.approx(36 / 3600, abs=1e-6), 0.0]


def test_microvolt_leads_are_scaled_to_mv(tmp_path):
    x = ecg_like(3600) * 1000
    rec = read_record(write_small(tmp_path, x, units=("uV", "uV")))
    assert rec.units == ["mV", "mV"] and rec.metadata["original_units"] == ["uV", "uV"]
    np.testing.assert_allclose(rec.signal, x / 1000, atol=1e-3)


def test_wfdb_multi_rate_keeps_the_ecg_at_its_rate(tmp_path):
    n = 3600  # frames at 360 Hz; the ECG has 2 samples a frame (720 Hz), Resp 1
    ecg = np.round(ecg_like(2 * n, 720, leads=1)[:, 0] * 200).astype("<i2")
    resp = np.round(np.sin(np.arange(n) / 360) * 200).astype("<i2")
    np.column_stack([ecg.reshape(n, 2), resp]).astype("<i2").tofile(tmp_path / "mr.dat")
    cs = int(ecg.sum()) % 65536
    cs -= 65536 * (cs >= 32768)
    (tmp_path / "mr.hea").write_text(f"mr 2 360 {n}\nmr.dat 16x2 200 16 0 0 {cs} 0 ECG\n"
                                     "mr.dat 16 200 16 0 0 0 0 Resp\n")
    rec = read_record(tmp_path / "mr")
    assert rec.fs == 720 and rec.lead_names == ["ECG"] and rec.metadata["dropped_channels"] == ["Resp"]
    np.testing.assert_array_equal(rec.signal[:, 0], (ecg / 200).astype(np.float32))
    (tmp_path / "mr.hea").write_text(f"mr 2 360 {n}\nmr.dat 16x2 200 16 0 0 0 0 ECG\n"
                                     "mr.dat 16 200 16 0 0 0 0 V1\n")
    with pytest.raises(errors.SamplingRateError, match="different sampling rates"):
        read_record(tmp_path / "mr")


def test_unexpected_reader_failures_are_wrapped(rec100, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("deep inside")

    monkeypatch.setattr(wfdb, "rdrecord", boom)
    with pytest.raises(errors.MalformedRecordError, match="100.*RuntimeError"):
        read_record(rec100)


# ---------------------------------------------------------------- lead choice

def test_select_lead():
    assert select_lead(["V1", "MLII"]) == 1
    assert select_lead(["V1", "ii"]) == 1
    assert select_lead(["RESP", "ABP", "ECG1"], units=["NU", "mmHg", "mV"]) == 2
    assert select_lead(["Resp", "Pleth", "chan3"], units=["mV", "NU", "mV"]) == 2
    assert select_lead(["P1", "P2"], units=["mmHg", "mmHg"]) == 0  # nothing ECG-like: first
    assert select_lead(["MLII", "V5"], "v5") == 1 and select_lead(["MLII", "V5"], 1) == 1
    with pytest.raises(errors.RecordError, match="leads are MLII, V5"):
        select_lead(["MLII", "V5"], "V2")
    with pytest.raises(errors.RecordError, match="out of range"):
        select_lead(["MLII", "V5"], 2)


# ---------------------------------------------------------------- EDF

def test_edf_round_trip_with_wfdb_writer(mitdb_dir, tmp_path):
    from wfdb.io.convert.edf import wfdb_to_edf

    out = tmp_path / "100.edf"
    # 100 s: whole 10 s EDF data records (wfdb 4.3.1 garbles a padded last record).
    wfdb_to_edf(str(mitdb_dir / "100"), sampto=36000, output_filename=str(out))
    rec = read_record(out)
    ref = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=36000).p_signal
    assert rec.fs == 360 and rec.lead_names == ["MLII", "V5"] and rec.metadata["format"] == "edf"
    # wfdb_to_edf appends one extra data record; the rest holds the same digital values.
    np.testing.assert_allclose(rec.signal[:36000], ref, atol=1e-9)


def test_edf_plus_multi_rate_annotations_and_units(tmp_path):
    fs = 250
    ecg = ecg_like(fs * 20, fs, leads=1)[:, 0] * 1000  # uV
    resp = np.sin(np.arange(25 * 20) / 25.0)
    held = write_edf(tmp_path / "a.edf", [ecg, resp], [fs, 25], ["ECG II", "Resp"], ["uV", "mV"], record_s=2.0,
                     annotations=[(1.0, "N"), (3.5, "V"), (4.0, "Recording note")])
    rec = read_record(tmp_path / "a.edf")
    assert rec.name == "a" and rec.fs == 250.0 and rec.lead_names == ["ECG II"] and rec.units == ["mV"]
    assert rec.metadata["dropped_channels"] == ["Resp"] and rec.metadata["format"] == "edf+"
    assert rec.metadata["base_date"] == "2004-03-02" and rec.metadata["base_time"] == "05:06:07"
    np.testing.assert_allclose(rec.signal[:, 0], held[0] / 1000, rtol=1e-7, atol=1e-9)
    assert np.abs(rec.signal[:, 0] - ecg / 1000).max() < 1e-3  # 16-bit quantisation
    ann = rec.annotations
    assert list(ann.sample) == [250, 875, 1000] and list(ann.symbol) == ["N", "V", '"']  # onset * fs
    assert ann.aux_note[2] == "Recording note"
    assert read_record(tmp_path / "a.edf", annotator=None).annotations is None


def test_edf_errors(tmp_path):
    x = ecg_like(2000, 200, leads=1)[:, 0]
    write_edf(tmp_path / "two.edf", [x, x[::2]], [200, 100], ["ECG I", "ECG II"], ["mV", "mV"])
    with pytest.raises(errors.SamplingRateError, match="different sampling rates"):
        read_record(tmp_path / "two.edf")
    write_edf(tmp_path / "ok.edf", [x], [200], ["ECG"], ["mV"])
    raw = (tmp_path / "ok.edf").read_bytes()
    (tmp_path / "cut.edf").write_bytes(raw[:-100])
    with pytest.raises(errors.TruncatedRecordError, match="truncated"):
        read_record(tmp_path / "cut.edf")
    (tmp_path / "bad.edf").write_bytes(b"PK\x03\x04" + raw[4:])
    with pytest.raises(errors.MalformedRecordError, match="not an EDF file"):
        read_record(tmp_path / "bad.edf")
    write_edf(tmp_path / "d.edf", [x], [200], ["ECG"], ["mV"], starts=[5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    assert read_record(tmp_path / "d.edf").metadata["format"] == "edf+"  # EDF+D without gaps: read
    write_edf(tmp_path / "d.edf", [x], [200], ["ECG"], ["mV"], starts=[0, 1, 2, 3, 4, 6, 7, 8, 9, 10])
    with pytest.raises(errors.UnsupportedFormatError, match="EDF\\+D"):
        read_record(tmp_path / "d.edf")
    write_edf(tmp_path / "eeg.edf", [x], [200], ["EEG Fpz-Cz"], ["uV"])
    with pytest.raises(errors.SignalQualityError, match="no ECG channel"):
        read_record(tmp_path / "eeg.edf")
    write_edf(tmp_path / "slow.edf", [x[:500]], [50], ["ECG"], ["mV"])
    with pytest.raises(errors.SamplingRateError):
        read_record(tmp_path / "slow.edf")
    write_edf(tmp_path / "long.edf", [x], [200], ["ECG"], ["mV"], n_records=10 ** 7)
    with pytest.raises(errors.RecordTooLongError):
        read_record(tmp_path / "long.edf")


# ---------------------------------------------------------------- CSV

def test_csv_round_trip_with_time_column(mitdb_dir, tmp_path):
    ref = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=3600).p_signal
    t = np.arange(3600) / 360
    pd.DataFrame({"time_s": t, "MLII (mV)": ref[:, 0], "V5 (mV)": ref[:, 1]}).to_csv(
        tmp_path / "r.csv", index=False, float_format="%.3f")  # times rounded to 1 ms
    rec = read_record(tmp_path / "r.csv")
    assert rec.fs == 360.0 and rec.lead_names == ["MLII", "V5"] and rec.units == ["mV", "mV"]
    assert rec.metadata["format"] == "csv" and rec.annotations is None
    np.testing.assert_allclose(rec.signal, ref, atol=5e-4)


def test_csv_fs_index_units_and_physionet_layout(tmp_path):
    x = ecg_like(1000)
    pd.DataFrame({"sample #": np.arange(1000), "ECG [uV]": x[:, 0] * 1000, "V1": x[:, 1]}).to_csv(
        tmp_path / "a.csv", index=False)
    rec = read_record(tmp_path / "a.csv", fs=500)
    assert rec.fs == 500 and rec.lead_names == ["ECG", "V1"] and rec.units == ["mV", "mV"]
    np.testing.assert_allclose(rec.signal, x, rtol=1e-6, atol=1e-9)  # float32, µV scaled to mV
    with pytest.raises(errors.SamplingRateError, match="fs="):
        read_record(tmp_path / "a.csv")
    # rdsamp -c -H -v -p: quoted names, a units row, times in seconds.
    lines = ["'Elapsed time','MLII','V5'", "'seconds','mV','mV'"]
    lines += [f"{k / 360:.3f},{x[k, 0]:.3f},{x[k, 1]:.3f}" for k in range(1000)]
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n")
    rec = read_record(tmp_path / "p.csv")
    assert rec.fs == 360 and rec.lead_names == ["MLII", "V5"] and rec.n_samples == 1000
    with pytest.raises(errors.HeaderMismatchError, match="fs=500"):
        read_record(tmp_path / "p.csv", fs=500)


def test_csv_excel_bom_and_semicolons(tmp_path):
    rows = "".join(f"{k * 4};{np.sin(k / 5):.4f};{k % 7}\n" for k in range(500))
    (tmp_path / "x.csv").write_bytes(("\ufefftime (ms);ECG (mV);Resp\n" + rows).encode("utf-8"))
    rec = read_record(tmp_path / "x.csv")
    assert rec.fs == 250 and rec.lead_names == ["ECG", "Resp"] and rec.lead_index() == 0


def test_csv_errors(tmp_path):
    t = np.arange(1000) / 250.0
    t[500:] += 0.5  # a jump: not one rate
    pd.DataFrame({"time": t, "ECG": ecg_like(1000)[:, 0]}).to_csv(tmp_path / "j.csv", index=False)
    with pytest.raises(errors.SamplingRateError, match="not uniformly spaced"):
        read_record(tmp_path / "j.csv")
    (tmp_path / "e.csv").write_text("time,ECG\n")
    with pytest.raises(errors.SignalQualityError, match="no data rows"):
        read_record(tmp_path / "e.csv")
    (tmp_path / "s.csv").write_text("time,ECG\n" + "".join(f"{k / 360},abc\n" for k in range(100)))
    with pytest.raises(errors.MalformedRecordError, match="not numeric"):
        read_record(tmp_path / "s.csv")
    (tmp_path / "n.csv").write_text("time,ECG\n" + "".join(f"{k / 360},\n" for k in range(100)))
    with pytest.raises(errors.SignalQualityError, match="no valid samples"):
        read_record(tmp_path / "n.csv")
    pd.DataFrame({"ECG": ecg_like(4000)[:, 0]}).to_csv(tmp_path / "l.csv", index=False)
    with pytest.raises(errors.RecordTooLongError):
        read_record(tmp_path / "l.csv", fs=360, max_hours=0.001)
    with pytest.raises(errors.SamplingRateError):
        read_record(tmp_path / "l.csv", fs=20)


# ---------------------------------------------------------------- uploads

def _bytes(rec_path, exts=("hea", "dat", "atr")):
    return {f"{rec_path.name}.{e}": rec_path.with_name(f"{rec_path.name}.{e}").read_bytes() for e in exts}


def test_upload_wfdb_files_and_zip(rec100, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    files = _bytes(rec100)
    rec = read_record_from_files(files)
    assert rec.name == "100" and rec.signal.shape == (650000, 2) and len(rec.annotations.sample) == 2274
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(f"mitdb/{name}", data)
        z.writestr("mitdb/RECORDS", "100\n")
        z.writestr("__MACOSX/._100.hea", "junk")
    rec2 = read_record_from_files({"upload.zip": buf.getvalue()}, annotator=None)
    assert rec2.annotations is None and np.array_equal(rec.signal, rec2.signal)
    assert list((tmp_path / "tmp").iterdir()) == []  # the temporary folder is gone


def test_upload_edf_and_csv(tmp_path):
    x = ecg_like(2000, 200, leads=1)[:, 0]
    write_edf(tmp_path / "a.edf", [x], [200], ["ECG"], ["mV"])
    assert read_record_from_files({"a.edf": (tmp_path / "a.edf").read_bytes()}).fs == 200
    csv = pd.DataFrame({"MLII": x}).to_csv(index=False).encode()
    assert read_record_from_files({"b.csv": csv}, fs=200).n_samples == 2000
    with pytest.raises(errors.SamplingRateError):
        read_record_from_files({"b.csv": csv})


def test_upload_errors(rec100, monkeypatch):
    files = _bytes(rec100)
    with pytest.raises(errors.UnsupportedFormatError, match=r"\.edf.*\.csv"):
        read_record_from_files({"scan.pdf": b"%PDF"})
    with pytest.raises(errors.MissingFileError, match=r"\.hea"):
        read_record_from_files({"100.dat": files["100.dat"]})
    with pytest.raises(errors.MissingFileError, match=r"100\.dat"):
        read_record_from_files({"100.hea": files["100.hea"]})
    with pytest.raises(errors.MissingFileError):
        read_record_from_files({})
    with pytest.raises(errors.UnsupportedFormatError, match="not a readable zip"):
        read_record_from_files({"x.zip": b"PK\x03\x04garbage"})
    with pytest.raises(errors.UnsupportedFormatError, match="several records"):
        read_record_from_files({**files, "101.hea": files["100.hea"]})
    # Zip bomb: the unpacked size is counted while unpacking (limit lowered for the test).
    monkeypatch.setattr(upload, "MAX_UNZIPPED_BYTES", 1 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("100.dat", bytes(2 << 20))
    assert len(buf.getvalue()) < 20000
    with pytest.raises(errors.RecordError, match="unpacks to more than"):
        read_record_from_files({"bomb.zip": buf.getvalue()})


def test_upload_path_traversal_stays_inside(rec100, tmp_path, monkeypatch):
    inner = tmp_path / "t" / "u"
    inner.mkdir(parents=True)
    monkeypatch.setattr("tempfile.tempdir", str(inner))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in _bytes(rec100).items():
            z.writestr(f"../../{name}", data)
    rec = read_record_from_files({"../../evil.zip": buf.getvalue()})
    assert rec.n_samples == 650000
    assert sorted(tmp_path.rglob("100.hea")) == [tmp_path / "100.hea"]  # only the source copy
    assert list(inner.iterdir()) == []
