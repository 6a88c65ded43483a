"""ISHNE 1.0 Holter files (ecg_lstm.io.ishne_format): round trip of MIT-BIH 100, the header's
fields, and every damaged header refused by name."""
import struct

import numpy as np
import pytest

from ecg_lstm import errors as E
from ecg_lstm.io import read_record, read_record_from_files
from ecg_lstm.io.ishne_format import FIXED, LEAD_CODES, PREFIX, crc16, ishne_bytes, write_ishne
from ecg_lstm.io.record import Record
from tests.io.roundtrip import assert_same_analysis, assert_same_record, excerpt


def test_mitdb_excerpt_round_trip_reads_and_analyses_the_same(mitdb_dir, tmp_path):
    rec = excerpt(mitdb_dir)
    path = write_ishne(rec, tmp_path / "100.ecg", patient={"first_name": "Ann", "last_name": "Example",
                                                           "id": "P-1", "sex": "female", "birth_date": "1950-02-03"})
    got = read_record(path)
    assert_same_record(got, rec)
    assert got.metadata["format"] == "ishne-1.0"
    assert got.metadata["ishne"]["resolution_nv"] == [5000, 5000]  # MIT-BIH's own 5 uV step, kept
    assert got.metadata["patient"] == {"first_name": "Ann", "last_name": "Example", "id": "P-1", "sex": "female",
                                       "race": 0, "birth_date": "1950-02-03"}
    assert_same_analysis(got, mitdb_dir)


def _file(leads=("II", "V1"), fs=250, n=2500, res=(2500, 2500)) -> bytes:
    t = np.arange(n) / fs
    x = np.stack([np.sin(2 * np.pi * 1.2 * t) ** 41 * (1 - 0.2 * k) for k in range(len(leads))], 1)
    rec = Record("s", x, float(fs), list(leads), ["mV"] * len(leads), None, {})
    return ishne_bytes(rec)


def _patch(data: bytes, offset: int, fmt: str, value, fix_crc=True) -> bytes:
    """Change one fixed-header field and re-sign it. Offsets from the end of the magic and CRC: 4 samples,
    12 data offset, 18 first name, 146 lead count, 196 resolutions, 262 sampling rate."""
    b = bytearray(data)
    struct.pack_into(fmt, b, PREFIX + offset, value)
    if fix_crc:
        var = struct.unpack_from("<i", b, PREFIX)[0]
        b[8:10] = crc16(bytes(b[PREFIX:PREFIX + FIXED + var])).to_bytes(2, "little")
    return bytes(b)


def test_lead_names_come_from_the_lead_codes(tmp_path):
    data = _file(leads=("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"))
    rec = read_record_from_files({"h.ecg": data})
    assert rec.lead_names == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    assert rec.metadata["ishne"]["lead_codes"] == list(range(5, 17))
    assert LEAD_CODES[11] == "V1" and LEAD_CODES[6] == "II"


def test_a_file_from_another_writer_without_our_names_uses_the_codes(tmp_path):
    data = _file(leads=("II", "V1"))
    var = struct.unpack_from("<i", data, PREFIX)[0]
    blank = data[:PREFIX + FIXED] + b" " * var + data[PREFIX + FIXED + var:]
    blank = blank[:8] + crc16(blank[PREFIX:PREFIX + FIXED + var]).to_bytes(2, "little") + blank[10:]
    assert read_record_from_files({"h.ecg": blank}).lead_names == ["II", "V1"]


def test_total_sample_count_in_the_header_is_understood(tmp_path):
    data = _patch(_file(n=2500), 4, "<i", 5000)  # some writers store samples x leads
    assert read_record_from_files({"h.ecg": data}).n_samples == 2500


@pytest.mark.parametrize("case, error, match", [
    ("magic", E.MalformedRecordError, "not an ISHNE"),
    ("crc", E.HeaderMismatchError, "CRC mismatch"),
    ("truncated", E.TruncatedRecordError, "announces 2500"),
    ("header cut", E.TruncatedRecordError, "header"),
    ("leads 0", E.MalformedRecordError, "0 leads"),
    ("leads 13", E.MalformedRecordError, "13 leads"),
    ("rate 50", E.SamplingRateError, "100..2000 Hz"),
    ("rate 5000", E.SamplingRateError, "100..2000 Hz"),
    ("resolution 0", E.MalformedRecordError, "resolution"),
    ("offsets", E.HeaderMismatchError, "offsets"),
    ("too long", E.RecordTooLongError, "limit"),
])
def test_damaged_files_are_refused_by_name(case, error, match):
    data = _file()
    bad = {"magic": lambda: b"ISHNE2.0" + data[8:],
           "crc": lambda: _patch(data, 18, "<12s", b"someone else", fix_crc=False),
           "truncated": lambda: data[:-100],
           "header cut": lambda: data[:300],
           "leads 0": lambda: _patch(data, 146, "<h", 0),
           "leads 13": lambda: _patch(data, 146, "<h", 13),
           "rate 50": lambda: _patch(data, 262, "<h", 50),
           "rate 5000": lambda: _patch(data, 262, "<h", 5000),
           "resolution 0": lambda: _patch(data, 196, "<h", 0),
           "offsets": lambda: _patch(data, 12, "<i", 600),
           "too long": lambda: _patch(data, 4, "<i", 2_000_000_000)}[case]()
    with pytest.raises(error, match=match):
        read_record_from_files({"h.ecg": bad})


def test_patient_fields_are_never_in_an_error_message():
    rec = Record("s", np.zeros((10, 1)), 250.0, ["II"], ["mV"], None, {})
    data = bytearray(ishne_bytes(rec, patient={"first_name": "Zelda", "last_name": "Quux"}))
    with pytest.raises(E.ECGError) as e:
        read_record_from_files({"h.ecg": bytes(data)})
    assert "Zelda" not in str(e.value) and "Quux" not in str(e.value)


def test_digitise_keeps_a_records_own_step_else_the_finest_that_fits():
    from ecg_lstm.io.digitise import HIGH, lead_step_nv, to_int16

    assert lead_step_nv(np.array([-0.145, -0.065, 0.2, 1.005])) == 5000  # MIT-BIH: 5 uV
    smooth = np.sin(np.linspace(0, 6, 1000)) * 3.0  # no step of its own: 3 mV in 16 bits
    step = lead_step_nv(smooth)
    assert step == int(np.ceil(3.0 * 1e6 / HIGH)) or step * HIGH >= 3.0e6
    d = to_int16(np.array([[np.nan], [1.0]]), [1000])
    assert d.tolist() == [[0], [1000]]
