"""WFDB headers (``.hea``), parsed strictly, before wfdb sees them.

wfdb 4.3.1 silently puts its 250 Hz default in place of a sampling rate of ``-360``,
``inf`` or ``abc``, and reads a gain of ``nan(1024)/mV`` as a NaN gain with the rest of
the line as the lead name; :func:`parse_header` refuses these with a message naming the
field. The reader (:mod:`.wfdb_format`) then checks files and sizes against the fields.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AmplitudeError, MalformedRecordError, SamplingRateError
from .limits import is_ecg_channel, mv_factor

#: A header larger than this is not a WFDB header (real ones are a few kB).
MAX_HEADER_BYTES = 1 << 20
#: Plausible ADC gains, in digital steps per mV, for leads in a voltage unit (MIT-BIH: 200).
MIN_GAIN_PER_MV, MAX_GAIN_PER_MV = 1e-2, 1e9
_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_FMT = re.compile(r"^(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?$")
_GAIN = re.compile(rf"^({_NUM})(?:\(({_NUM})\))?(?:/(.*))?$")


@dataclass
class Header:
    """The fields of a WFDB header (names as wfdb's), parsed and checked here."""

    record_name: str
    n_sig: int
    fs: float
    sig_len: int | None
    base_time: str | None = None
    base_date: str | None = None
    comments: list[str] = field(default_factory=list)
    file_name: list[str] = field(default_factory=list)
    fmt: list[str] = field(default_factory=list)
    samps_per_frame: list[int] = field(default_factory=list)
    byte_offset: list[int] = field(default_factory=list)
    adc_gain: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    checksum: list[int | None] = field(default_factory=list)
    sig_name: list[str] = field(default_factory=list)
    seg_name: list[str] | None = None  # multi-segment records only
    seg_len: list[int] | None = None
    warnings: list[str] = field(default_factory=list)


def parse_header(text: str, hea: str) -> Header:
    """Parse and check WFDB header text (https://physionet.org/physiotools/wag/header-5.htm).

    Raises SamplingRateError for a missing or non-numeric rate, MalformedRecordError
    for any field that is not what the format allows, AmplitudeError for an
    absurd gain or baseline.
    """
    lines = [ln.strip() for ln in text.splitlines()]
    comments = [ln.lstrip("#").strip() for ln in lines if ln.startswith("#")]
    body = [ln.split("#", 1)[0].strip() for ln in lines if ln and not ln.startswith("#")]
    body = [ln for ln in body if ln]
    if not body:
        raise MalformedRecordError(f"{hea} holds no record line; check it follows the WFDB header format")
    tok = body[0].split()
    name, _, nseg = tok[0].partition("/")
    if "\\" in tok[0] or name in ("", ".", "..") or (nseg and not nseg.isdigit()):
        # "name/N" declares N segments; any other slash, or a name of "..", names a path, not a record
        raise MalformedRecordError(f"{hea}: the record name {tok[0][:80]!r} in the header is a path, not a name; "
                                   "a WFDB record name holds no folders (fix the header's first line)")
    n_sig = _int(tok[1] if len(tok) > 1 else "", hea, "number of signals")
    if n_sig < 0 or n_sig > 4096:
        raise MalformedRecordError(f"{hea} declares {n_sig} signals; the header is corrupt")
    if len(tok) < 3:
        raise SamplingRateError(f"{hea} gives no sampling rate; add it to the record line "
                                f"(e.g. '{name} {n_sig} 360 650000')")
    rate = tok[2].split("/", 1)[0].split("(", 1)[0]
    try:
        fs = float(rate)
    except ValueError:
        fs = float("nan")
    if not (math.isfinite(fs) and fs > 0):
        raise SamplingRateError(f"{hea}: the sampling rate {tok[2]!r} is not a positive number of Hz; "
                                "fix it in the header's record line")
    sig_len = _int(tok[3], hea, "number of samples") if len(tok) > 3 else None
    if sig_len is not None and sig_len < 0:
        raise MalformedRecordError(f"{hea}: the number of samples {sig_len} is negative; the header is corrupt")
    h = Header(name, n_sig, fs, sig_len, tok[4] if len(tok) > 4 else None, _iso_date(tok[5]) if len(tok) > 5
               else None, comments)
    if nseg:
        n = _int(nseg, hea, "number of segments")
        if not 0 < n <= 100000 or len(body) < 1 + n:
            raise MalformedRecordError(f"{hea} declares {nseg} segments but lists {len(body) - 1}; "
                                       "the header is incomplete")
        segs = [ln.split() for ln in body[1:1 + n]]
        if any(len(s) < 2 for s in segs):
            raise MalformedRecordError(f"{hea}: a segment line lacks its length; the header is corrupt")
        h.seg_name = [s[0] for s in segs]
        h.seg_len = [_int(s[1], hea, "segment length") for s in segs]
        if any(x < 0 for x in h.seg_len):
            raise MalformedRecordError(f"{hea}: a segment length is negative; the header is corrupt")
        return h
    if len(body) < 1 + n_sig:
        raise MalformedRecordError(f"{hea} declares {n_sig} signals but describes {len(body) - 1}; "
                                   "the header is incomplete")
    for j, line in enumerate(body[1:1 + n_sig]):
        _parse_signal(h, line.split(maxsplit=8), hea, j)
    return h


def _parse_signal(h: Header, tok: list[str], hea: str, j: int) -> None:
    """One signal line: file format[xspf][:skew][+offset] gain(baseline)/units res zero init checksum block name."""
    where = f"{hea}, signal {j + 1}"
    if len(tok) < 2:
        raise MalformedRecordError(f"{where}: the line has no signal format; the header is corrupt")
    m = _FMT.match(tok[1])
    if not m:
        raise MalformedRecordError(f"{where}: the format field {tok[1]!r} is not understood")
    fmt, spf, _skew, offset = m.group(1), int(m.group(2) or 1), m.group(3), int(m.group(4) or 0)
    if not 1 <= spf <= 1000:
        raise MalformedRecordError(f"{where}: {spf} samples per frame is not plausible; the header is corrupt")
    gain, baseline, units = 200.0, None, "mV"
    if len(tok) > 2:
        g = _GAIN.match(tok[2])
        if not g:
            raise MalformedRecordError(f"{where}: the gain field {tok[2]!r} is not a number; expected e.g. "
                                       "'200(1024)/mV'; fix the header")
        gain = float(g.group(1))
        baseline = float(g.group(2)) if g.group(2) is not None else None
        units = (g.group(3) or "mV").strip() or "mV"
    adc_zero = _int(tok[4], where, "ADC zero") if len(tok) > 4 else 0
    baseline = adc_zero if baseline is None else baseline
    checksum = _int(tok[6], where, "checksum") if len(tok) > 6 else None
    if len(tok) > 7:
        _int(tok[7], where, "block size")
    if len(tok) > 3:
        _int(tok[3], where, "ADC resolution")
    if len(tok) > 5:
        _int(tok[5], where, "initial value")
    if not math.isfinite(gain) or gain < 0:
        raise AmplitudeError(f"{where}: the ADC gain {gain:g} is not a positive number; fix the header")
    if gain == 0:  # WFDB: "uncalibrated", read as 200 units per mV
        h.warnings.append(f"{where}: gain 0 (uncalibrated) read as 200 steps per {units}")
        gain = 200.0
    k = mv_factor(units)
    per_mv = gain / k if k else None
    if per_mv is not None and not MIN_GAIN_PER_MV <= per_mv <= MAX_GAIN_PER_MV:
        raise AmplitudeError(f"{where}: the ADC gain {gain:g} per {units} is not plausible for an ECG (between "
                             f"{MIN_GAIN_PER_MV:g} and {MAX_GAIN_PER_MV:g} steps per mV); fix the header")
    if not (math.isfinite(baseline) and abs(baseline) <= 2 ** 31):
        raise AmplitudeError(f"{where}: the baseline {baseline:g} lies beyond the range of any ADC, which would put "
                             "the lead at an impossible voltage; fix the header")
    h.file_name.append(tok[0])
    h.fmt.append(fmt)
    h.samps_per_frame.append(spf)
    h.byte_offset.append(offset)
    h.adc_gain.append(gain)
    h.baseline.append(baseline)
    h.units.append(units)
    h.checksum.append(checksum)
    h.sig_name.append(tok[8].strip() if len(tok) > 8 else "")


def _iso_date(text: str) -> str | None:
    """WFDB's dd/mm/yyyy as ISO yyyy-mm-dd (None when it is not a date)."""
    m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", text)
    return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}" if m else None


def _int(text: str, where: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise MalformedRecordError(f"{where}: the {what} {text!r} is not an integer; fix the header") from None


def read_header(path: Path) -> Header:
    """The parsed header of the WFDB record ``path`` (without ``.hea``); refuses a file that is no header."""
    hea = path.with_name(path.name + ".hea")
    size = hea.stat().st_size
    if size > MAX_HEADER_BYTES:
        raise MalformedRecordError(f"{hea.name} is {size / 1e6:.1f} MB; a WFDB header is a few kB, "
                                   "so this is not one")
    text = hea.read_bytes().decode("utf-8", "replace")
    if "\x00" in text:
        raise MalformedRecordError(f"{hea.name} holds binary data; it is not a WFDB header")
    return parse_header(text, hea.name)


def channels_at_one_rate(header: Header, spf: list[int]) -> list[int]:
    """All channels when they share one rate, else the ECG channels (which must share one)."""
    if len(set(spf)) == 1:
        return list(range(header.n_sig))
    names, units = header.sig_name, header.units
    ecg = [c for c in range(header.n_sig) if is_ecg_channel(names[c] or "", units[c] or "")]
    if not ecg:
        raise SamplingRateError(f"{header.record_name}: channels have different sampling rates and none "
                                "looks like an ECG lead; convert the record to one rate")
    if len({spf[c] for c in ecg}) > 1:
        rates = ", ".join(f"{names[c]} {header.fs * spf[c]:g} Hz" for c in ecg)
        raise SamplingRateError(f"{header.record_name}: the ECG channels have different sampling rates "
                                f"({rates}); resample them to one rate")
    return ecg
