"""Philips Sierra / PhilipsECG XML files (``restingecgdata``, versions 1.03 to 1.04.02), the
resting ECGs of Philips PageWriter carts and TraceMaster.

Their waveforms are Base64 text, most often compressed with Philips' XLI scheme (LZW plus
a second-difference predictor, lead by lead); the sierraecg package decodes XLI and is
used for that. Its ``read_file`` is not: it applies the XLI lead reconstruction (III, aVR,
aVL and aVF are stored as residuals) to uncompressed files too, fails with an IndexError
on fewer than six leads, and computes the reconstruction in int16, where sums can wrap.
So the document is parsed here (defusedxml, after :mod:`.xml_guard`), the XLI payload
handed to :func:`sierraecg.xli.xli_decode`, and the reconstruction done in int32.

Scale: ``signalresolution`` (1.03) or ``resolution`` (1.04), in uV per unit; sampling rate
from ``samplingrate``; lead names from ``leadlabels``, else the standard 12-lead order.
Compression other than XLI, or an encoding other than Base64, is refused by name.
"""
from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

import numpy as np

from ..errors import MalformedRecordError, SignalQualityError, TruncatedRecordError, UnsupportedFormatError
from .limits import check_header, check_size
from .record import Record
from .xml_guard import parse_xml

NS = "{http://www3.medical.philips.com}"
VERSIONS = ("1.03", "1.04", "1.04.01", "1.04.02")
STANDARD_12 = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
MAX_LEADS = 16


def read_sierra(path: Path, *, max_hours: float = 48.0, max_signal_mb: float = 1024.0) -> Record:
    """Read the rhythm waveforms (``parsedwaveforms``) of a Philips Sierra XML file."""
    name = path.name
    root = parse_xml(path, max_signal_mb)
    version = _text(root, "documentinfo/documentversion")
    kind = _text(root, "documentinfo/documenttype")
    if kind not in ("SierraECG", "PhilipsECG") or version not in VERSIONS:
        raise UnsupportedFormatError(f"{name}: Philips XML of type {kind or '?'} version {version or '?'} is not "
                                     f"read here; supported: SierraECG / PhilipsECG {', '.join(VERSIONS)}")
    chars = root.find(f"{NS}dataacquisition/{NS}signalcharacteristics")
    waves = root.find(f"{NS}waveforms/{NS}parsedwaveforms")
    if chars is None or waves is None:
        raise SignalQualityError(f"{name}: the file has no signalcharacteristics or parsedwaveforms; "
                                 "it holds no waveform")
    fs = _number(name, _text(chars, "samplingrate"), "sampling rate")
    res = _number(name, _text(chars, "resolution") or _text(chars, "signalresolution")
                  or waves.get("resolution", ""), "resolution (uV per unit)")
    duration_ms = _number(name, waves.get("durationperchannel", ""), "duration per channel")
    labels = _labels(waves, chars)
    if not 1 <= len(labels) <= MAX_LEADS:
        raise MalformedRecordError(f"{name}: the file declares {len(labels)} leads; 1..{MAX_LEADS} are read")
    n = int(round(duration_ms * fs / 1000))
    check_header(name, fs, n, max_hours)
    check_size(name, n, len(labels), max_signal_mb)
    if res <= 0 or n <= 0:
        raise MalformedRecordError(f"{name}: resolution {res:g} uV and {n} samples per lead: the file is corrupt")
    encoding = waves.get("dataencoding", "")
    if encoding != "Base64":
        raise UnsupportedFormatError(f"{name}: waveform data encoded as {encoding or '(none)'}; only Base64 is read")
    compression = waves.get("compressmethod") or waves.get("compression") or "Uncompressed"
    if waves.get("compressflag", "True").lower() == "false":
        compression = "Uncompressed"
    try:
        data = base64.b64decode("".join((waves.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedRecordError(f"{name}: the waveform text is not valid Base64; the file is corrupt") from None
    if compression == "XLI":
        digital = _xli(name, data, labels, n)
    elif compression == "Uncompressed":
        if len(data) < 2 * n * len(labels):
            raise TruncatedRecordError(f"{name}: the waveform holds {len(data) // (2 * len(labels))} samples per "
                                       f"lead where the header announces {n}; the file is truncated")
        digital = np.frombuffer(data, "<i2", count=n * len(labels)).reshape(len(labels), n).T.astype(np.int32)
    else:
        raise UnsupportedFormatError(f"{name}: waveform compression {compression!r} is not supported (XLI and "
                                     "uncompressed are); export the ECG without compression")
    signal = digital.astype(np.float64) * (res * 1e-3)
    meta = {"format": f"philips-xml-{version}", "comments": [], **_start(root), "patient": _patient(root),
            "sierra": {"document_type": kind, "compression": compression, "resolution_uv": res}}
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return Record(stem, signal, fs, labels, ["mV"] * len(labels), None, meta)


def _xli(name: str, data: bytes, labels: list[str], n: int) -> np.ndarray:
    """XLI payload -> (n, leads) int32, with III, aVR, aVL, aVF rebuilt from their residuals."""
    from sierraecg.xli import xli_decode

    try:
        chunks = xli_decode(data, labels)
    except Exception as e:  # a damaged chunk: LZW codes out of range, int16 overflow
        raise MalformedRecordError(f"{name}: the XLI-compressed waveform cannot be decoded ({type(e).__name__}); "
                                   "the file is corrupt") from e
    if len(chunks) < len(labels) or any(len(c) < n for c in chunks[: len(labels)]):
        got = min([len(c) for c in chunks[: len(labels)]] or [0])
        raise TruncatedRecordError(f"{name}: the XLI waveform holds {len(chunks)} leads of at least {got} samples "
                                   f"where the header announces {len(labels)} of {n}; the file is truncated")
    x = np.stack([np.asarray(c[:n], np.int32) for c in chunks[: len(labels)]], axis=1)
    if [s.upper() for s in labels[:6]] == [s.upper() for s in STANDARD_12[:6]]:
        i, ii = x[:, 0], x[:, 1]
        x[:, 2] = ii - i - x[:, 2]
        iii = x[:, 2]
        x[:, 3] = -x[:, 3] - np.floor_divide(i + ii, 2)
        x[:, 4] = np.floor_divide(i - iii, 2) - x[:, 4]
        x[:, 5] = np.floor_divide(ii + iii, 2) - x[:, 5]
    return x


def _labels(waves, chars) -> list[str]:
    text = waves.get("leadlabels", "")
    if text:
        count = waves.get("numberofleads", "")
        labels = text.split()
        return labels[: int(count)] if count.isdigit() else labels
    try:
        count = int(_text(chars, "numberchannelsvalid") or _text(chars, "numberchannelsallocated"))
    except ValueError:
        count = 0
    return [STANDARD_12[k] if k < 12 else f"ch{k + 1}" for k in range(count)]


def _text(elt, path: str) -> str:
    found = elt.find("/".join(NS + p for p in path.split("/")))
    return (found.text or "").strip() if found is not None else ""


def _number(name: str, text: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not np.isfinite(v):
        raise MalformedRecordError(f"{name}: the {what} {text!r} is not a number; the file is incomplete")
    return v


def _start(root) -> dict:
    acq = root.find(f"{NS}dataacquisition")
    date, time = (acq.get("date", ""), acq.get("time", "")) if acq is not None else ("", "")
    ok_d = re.fullmatch(r"\d{4}-\d{2}-\d{2}", date)
    ok_t = re.fullmatch(r"\d{2}:\d{2}:\d{2}", time)
    return {"base_date": date if ok_d else None, "base_time": time if ok_t else None}


def _patient(root) -> dict:
    demo = root.find(f"{NS}patient/{NS}generalpatientdata")
    if demo is None:
        return {}
    return {"id": _text(demo, "patientid"), "first_name": _text(demo, "name/firstname"),
            "last_name": _text(demo, "name/lastname"), "sex": _text(demo, "sex"),
            "age": _text(demo, "age/years") or _text(demo, "age/dateofbirth")}
