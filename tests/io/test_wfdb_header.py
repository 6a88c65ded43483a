"""Strict WFDB header parsing (ecg_lstm.io.wfdb_header): MIT-BIH 100's header field by field,
and each refusal (rate, gain, format, counts) with its error type and the field it names."""
import pytest

from ecg_lstm.errors import (
    AmplitudeError,
    ECGError,
    MalformedRecordError,
    SamplingRateError,
)
from ecg_lstm.io.wfdb_header import MAX_HEADER_BYTES, Header, parse_header, read_header

# MIT-BIH Arrhythmia Database record 100, as PhysioNet ships it.
HEADER_100 = """100 2 360 650000
100.dat 212 200 11 1024 995 -22131 0 MLII
100.dat 212 200 11 1024 1011 20052 0 V5
# 69 M 1085 1629 x1
# Aldomet, Inderal
"""


def _with(record_line=None, sig1=None):
    """Header 100 with its record line or first signal line replaced."""
    lines = HEADER_100.splitlines()
    if record_line is not None:
        lines[0] = record_line
    if sig1 is not None:
        lines[1] = sig1
    return "\n".join(lines) + "\n"


def test_parse_mitdb_100():
    h = parse_header(HEADER_100, "100.hea")
    assert isinstance(h, Header)
    assert (h.record_name, h.n_sig, h.fs, h.sig_len) == ("100", 2, 360.0, 650000)
    assert h.file_name == ["100.dat", "100.dat"]
    assert h.fmt == ["212", "212"]
    assert h.samps_per_frame == [1, 1] and h.byte_offset == [0, 0]
    assert h.adc_gain == [200.0, 200.0]
    assert h.baseline == [1024, 1024]  # no "(baseline)": the ADC zero field stands in
    assert h.units == ["mV", "mV"]
    assert h.checksum == [-22131, 20052]
    assert h.sig_name == ["MLII", "V5"]
    assert h.comments == ["69 M 1085 1629 x1", "Aldomet, Inderal"]
    assert h.seg_name is None and h.warnings == []


def test_parse_optional_fields():
    """Baseline in parentheses, a unit, samples per frame, byte offset, a lead name with
    spaces, base time and date (as ISO), and a rate with a counter frequency."""
    text = ("rec 1 250/500(0) 1000 10:20:30 25/12/2001\n"
            "rec.dat 16x2+512 400(-12)/uV 16 0 0 0 0 ECG lead II\n")
    h = parse_header(text, "rec.hea")
    assert h.fs == 250.0 and h.sig_len == 1000
    assert h.base_time == "10:20:30" and h.base_date == "2001-12-25"
    assert h.fmt == ["16"] and h.samps_per_frame == [2] and h.byte_offset == [512]
    assert h.adc_gain == [400.0] and h.baseline == [-12.0] and h.units == ["uV"]
    assert h.sig_name == ["ECG lead II"]


def test_parse_without_length_and_gain_zero():
    """The length may be left out (it follows from the file size); gain 0 means uncalibrated,
    read as 200 steps per unit with a warning saying so."""
    h = parse_header("r 1 360\nr.dat 16 0 16 0 0 0 0 I\n", "r.hea")
    assert h.sig_len is None
    assert h.adc_gain == [200.0]
    assert len(h.warnings) == 1 and "uncalibrated" in h.warnings[0]


def test_parse_multisegment():
    text = "multi/3 1 360 300\nseg1 100\n~ 50\nseg2 150\n"
    h = parse_header(text, "multi.hea")
    assert h.record_name == "multi"
    assert h.seg_name == ["seg1", "~", "seg2"] and h.seg_len == [100, 50, 150]


@pytest.mark.parametrize("rate", ["-360", "0", "abc", "inf", "nan", "-inf"])
def test_refuses_a_rate_that_is_no_positive_number(rate):
    """wfdb would put its 250 Hz default in place of these; here they are refused, naming the rate."""
    with pytest.raises(SamplingRateError, match=f"sampling rate '{rate}' is not a positive number"):
        parse_header(_with(record_line=f"100 2 {rate} 650000"), "100.hea")


def test_refuses_a_missing_rate():
    with pytest.raises(SamplingRateError, match="gives no sampling rate"):
        parse_header(_with(record_line="100 2"), "100.hea")


@pytest.mark.parametrize("gain", ["nan(1024)/mV", "nan", "abc/mV", "inf(0)/mV"])
def test_refuses_a_gain_that_is_not_a_number(gain):
    """A NaN or text gain is refused (wfdb reads nan(1024)/mV as a NaN gain); the message names
    the gain field and the signal."""
    with pytest.raises(MalformedRecordError, match=r"signal 1: the gain field .* is not a number"):
        parse_header(_with(sig1=f"100.dat 212 {gain} 11 1024 995 -22131 0 MLII"), "100.hea")


@pytest.mark.parametrize("gain,word", [("-200", "not a positive number"), ("1e12", "not plausible"),
                                       ("0.0001", "not plausible")])
def test_refuses_an_absurd_gain(gain, word):
    with pytest.raises(AmplitudeError, match=word):
        parse_header(_with(sig1=f"100.dat 212 {gain} 11 1024 995 -22131 0 MLII"), "100.hea")


def test_refuses_an_absurd_baseline():
    with pytest.raises(AmplitudeError, match="baseline"):
        parse_header(_with(sig1="100.dat 212 200(1e12)/mV 11 1024 995 -22131 0 MLII"), "100.hea")


@pytest.mark.parametrize("fmt", ["212q", "x", "16x", "-16", "16:"])
def test_refuses_a_bad_format_field(fmt):
    with pytest.raises(MalformedRecordError, match=f"format field '{fmt}' is not understood"):
        parse_header(_with(sig1=f"100.dat {fmt} 200 11 1024 995 -22131 0 MLII"), "100.hea")


def test_refuses_a_signal_line_without_format():
    with pytest.raises(MalformedRecordError, match="no signal format"):
        parse_header(_with(sig1="100.dat"), "100.hea")


def test_refuses_implausible_samples_per_frame():
    with pytest.raises(MalformedRecordError, match="samples per frame"):
        parse_header(_with(sig1="100.dat 16x5000 200 11 1024 995 -22131 0 MLII"), "100.hea")


@pytest.mark.parametrize("field,value,what", [(3, "eleven", "ADC resolution"), (4, "1.5", "ADC zero"),
                                              (5, "x", "initial value"), (6, "sum", "checksum"),
                                              (7, "big", "block size")])
def test_refuses_non_integer_integer_fields(field, value, what):
    tok = ["100.dat", "212", "200", "11", "1024", "995", "-22131", "0", "MLII"]
    tok[field] = value
    with pytest.raises(MalformedRecordError, match=f"the {what} '{value}' is not an integer"):
        parse_header(_with(sig1=" ".join(tok)), "100.hea")


@pytest.mark.parametrize("record_line,word", [
    ("100 two 360 650000", "number of signals"),
    ("100 2 360 many", "number of samples"),
    ("100 2 360 -5", "negative"),
    ("100 5000 360 650000", "declares 5000 signals"),
    ("100 3 360 650000", "declares 3 signals but describes 2"),
])
def test_refuses_bad_record_lines(record_line, word):
    with pytest.raises(MalformedRecordError, match=word):
        parse_header(_with(record_line=record_line), "100.hea")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n  \n"])
def test_refuses_a_header_without_record_line(text):
    with pytest.raises(MalformedRecordError, match="no record line"):
        parse_header(text, "x.hea")


def test_refuses_an_incomplete_multisegment_header():
    with pytest.raises(MalformedRecordError, match="declares 3 segments but lists 1"):
        parse_header("multi/3 1 360 300\nseg1 100\n", "multi.hea")
    with pytest.raises(MalformedRecordError, match="segment length"):
        parse_header("multi/1 1 360 300\nseg1 -100\n", "multi.hea")


def test_every_refusal_names_the_file():
    """Messages start from the header's name, so a user with many records knows which one."""
    for text in (_with(record_line="100 2 -1 650000"), _with(sig1="100.dat 212q 200"), ""):
        with pytest.raises(ECGError, match="myrec.hea"):
            parse_header(text, "myrec.hea")


# -- read_header -----------------------------------------------------------------------------------

def test_read_header_reads_the_file(tmp_path):
    (tmp_path / "100.hea").write_text(HEADER_100)
    h = read_header(tmp_path / "100")
    assert h.fs == 360.0 and h.sig_name == ["MLII", "V5"]


def test_read_header_refuses_a_too_large_file(tmp_path):
    """A header is a few kB: a file over MAX_HEADER_BYTES is refused before it is parsed."""
    (tmp_path / "big.hea").write_text(HEADER_100 + "#" * MAX_HEADER_BYTES)
    with pytest.raises(MalformedRecordError, match="big.hea is .* MB; a WFDB header is a few kB"):
        read_header(tmp_path / "big")


def test_read_header_refuses_binary_data(tmp_path):
    (tmp_path / "bin.hea").write_bytes(HEADER_100.encode() + b"\x00\x01\x02\xff")
    with pytest.raises(MalformedRecordError, match="binary data"):
        read_header(tmp_path / "bin")


def test_read_header_tolerates_non_utf8_comments(tmp_path):
    """A Latin-1 comment (e.g. a patient note) does not stop the header from being read."""
    (tmp_path / "lat.hea").write_bytes(HEADER_100.encode() + "# Patient: Müller\n".encode("latin-1"))
    h = read_header(tmp_path / "lat")
    assert h.n_sig == 2 and len(h.comments) == 3


@pytest.mark.parametrize("first", ["../../etc/passwd 1 360 100", "a/../b 1 360 100", "..\\x 1 360 100",
                                   "../2 1 360 100"])
def test_a_record_name_that_is_a_path_is_refused_as_such(first):
    """``name/N`` declares N segments; any other slash (or "..") names a path: the message says so,
    rather than calling the path a number of segments."""
    with pytest.raises(MalformedRecordError, match="is a path, not a name"):
        parse_header(first + "\nx.dat 16 200 0 0 0 0 0 MLII\n", "r.hea")
