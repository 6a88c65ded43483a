"""HL7 annotated ECG (aECG, HL7 v3 ``urn:hl7-org:v3``) XML files, the FDA's format for ECGs of
clinical trials, read and written.

Read here with the standard library's ElementTree through defusedxml, after
:mod:`.xml_guard` has refused any DTD or entity declaration. The ``aecg`` package on
PyPI needs Python 3.12, lxml, pydantic-xml, python-benedict and plotly for what is a
few dozen lines here, so it is not used.

What is read: the first ``series`` of the document (its rhythm waveforms; derived median
beats are left out) and its first ``sequenceSet``: the TIME_ABSOLUTE or TIME_RELATIVE
sequence (``increment`` -> sampling rate, ``head`` -> start time) and every lead sequence
(``SLIST_PQ``: value = origin + scale x digits, origin and scale each in their own unit,
then mV). Lead names from the MDC codes (MDC_ECG_LEAD_AVR -> aVR); a code outside MDC
keeps its ``displayName``. The subject's fields go to ``metadata["patient"]`` only.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np

from ..errors import HeaderMismatchError, MalformedRecordError, SamplingRateError, SignalQualityError
from .limits import check_header, check_size, mv_factor
from .record import Record
from .xml_guard import parse_xml

NS = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_N = f"{{{NS}}}"
MAX_LEADS = 64
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
_MDC = "MDC_ECG_LEAD_"
_AUGMENTED = {"AVR": "aVR", "AVL": "aVL", "AVF": "aVF"}


def read_hl7_aecg(path: Path, *, max_hours: float = 48.0, max_signal_mb: float = 1024.0) -> Record:
    """Read the rhythm waveforms of an HL7 aECG file."""
    name = path.name
    root = parse_xml(path, max_signal_mb)
    if root.tag != _N + "AnnotatedECG":
        raise MalformedRecordError(f"{name}: the root element is {root.tag}, not an HL7 v3 AnnotatedECG "
                                   f"(namespace {NS})")
    series = root.find(f"{_N}component/{_N}series")
    sets = [] if series is None else series.findall(f"{_N}component/{_N}sequenceSet")
    if not sets:
        raise SignalQualityError(f"{name}: the aECG holds no series with a sequenceSet; it has no waveform")
    time, leads = None, []
    for seq in sets[0].findall(f"{_N}component/{_N}sequence"):
        code = seq.find(f"{_N}code")
        value = seq.find(f"{_N}value")
        c = "" if code is None else code.get("code", "")
        if value is None:
            continue
        if c in ("TIME_ABSOLUTE", "TIME_RELATIVE"):
            time = (c, value)
        elif value.get(f"{{{XSI}}}type", "SLIST_PQ") in ("SLIST_PQ", "SLIST_INT"):
            leads.append((_lead_name(c, code), value))
    if time is None:
        raise MalformedRecordError(f"{name}: the sequenceSet has no TIME_ABSOLUTE or TIME_RELATIVE sequence, so "
                                   "the sampling rate is unknown; the file is incomplete")
    if not 1 <= len(leads) <= MAX_LEADS:
        raise (SignalQualityError if not leads else MalformedRecordError)(
            f"{name}: the sequenceSet holds {len(leads)} lead sequences; an ECG has 1..{MAX_LEADS}")
    fs = _rate(name, time[1])
    signal = None
    for j, (lead, value) in enumerate(leads):
        x = _lead_values(name, lead, value)
        if signal is None:
            check_header(name, fs, len(x), max_hours)
            check_size(name, len(x), len(leads), max_signal_mb)
            signal = np.empty((len(x), len(leads)))
        elif len(x) != len(signal):
            raise HeaderMismatchError(f"{name}: lead {lead} holds {len(x)} samples where lead {leads[0][0]} holds "
                                      f"{len(signal)}; the leads of one sequenceSet must be equally long")
        signal[:, j] = x
    names = [n for n, _ in leads]
    names = names if len(set(names)) == len(names) else [f"{n}_{j + 1}" for j, n in enumerate(names)]
    head = time[1].find(f"{_N}head")
    start = head.get("value", "") if time[0] == "TIME_ABSOLUTE" and head is not None else ""
    if not start:
        low = root.find(f"{_N}effectiveTime/{_N}low")
        start = "" if low is None else low.get("value", "")
    meta = {"format": "hl7-aecg", "comments": [], **_start(start), "patient": _patient(root)}
    if len(sets) > 1:
        meta["warnings"] = [f"the aECG holds {len(sets)} sequenceSets; the first was read"]
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return Record(stem, signal, fs, names, ["mV"] * len(names), None, meta)


def _lead_name(code: str, element) -> str:
    if code.startswith(_MDC):
        tail = code[len(_MDC):]
        return _AUGMENTED.get(tail, tail)
    shown = "" if element is None else element.get("displayName", "")
    return shown.strip() or code or "unknown"


def _rate(name: str, value) -> float:
    inc = value.find(f"{_N}increment")
    try:
        step = float(inc.get("value")) * _TIME_UNITS[inc.get("unit", "s")]
    except (AttributeError, TypeError, ValueError, KeyError):
        raise SamplingRateError(f"{name}: the time sequence has no increment in s or ms, so the sampling rate is "
                                "unknown; the file is incomplete") from None
    if not step > 0:
        raise SamplingRateError(f"{name}: the time increment {step} s is not positive; the file is corrupt")
    return round(1.0 / step, 6)


def _quantity(name: str, lead: str, element, what: str, default: float) -> float:
    """An origin or scale in mV per unit (a missing origin is 0)."""
    if element is None:
        if what == "scale":
            raise MalformedRecordError(f"{name}: lead {lead} has no scale, so its voltage is unknown")
        return default
    k = mv_factor(element.get("unit", ""))
    try:
        v = float(element.get("value"))
    except (TypeError, ValueError):
        v = float("nan")
    if k is None or not np.isfinite(v):
        raise MalformedRecordError(f"{name}: lead {lead} has the {what} {element.get('value')!r} "
                                   f"{element.get('unit')!r}; a number in V, mV or uV is needed")
    return v * k


def _lead_values(name: str, lead: str, value) -> np.ndarray:
    origin = _quantity(name, lead, value.find(f"{_N}origin"), "origin", 0.0)
    scale = _quantity(name, lead, value.find(f"{_N}scale"), "scale", 1.0)
    digits = value.find(f"{_N}digits")
    try:
        x = np.array((digits.text or "").split(), dtype=np.float64)
    except (AttributeError, ValueError):
        raise MalformedRecordError(f"{name}: lead {lead}'s digits are not a list of numbers; "
                                   "the file is corrupt") from None
    x *= scale
    x += origin
    return x


def _start(value: str) -> dict:
    m = re.match(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?", value or "")
    if not m:
        return {"base_date": None, "base_time": None}
    return {"base_date": f"{m[1]}-{m[2]}-{m[3]}", "base_time": f"{m[4]}:{m[5]}:{m[6]}" if m[4] else None}


def _patient(root) -> dict:
    subject = root.find(f".//{_N}trialSubject")
    if subject is None:
        return {}
    ident, person = subject.find(f"{_N}id"), subject.find(f"{_N}subjectDemographicPerson")
    out = {"id": "" if ident is None else ident.get("extension", "")}
    if person is not None:
        name, sex, birth = (person.find(f"{_N}{t}") for t in ("name", "administrativeGenderCode", "birthTime"))
        out.update(name=" ".join((name.itertext())).strip() if name is not None else "",
                   sex="" if sex is None else sex.get("code", ""), birth_date="" if birth is None else
                   birth.get("value", ""))
    return out


# ------------------------------------------------------------------- writing

def write_hl7_aecg(record: Record, path: str | Path) -> Path:
    """Write ``record`` as an HL7 aECG file: one rhythm series, TIME_ABSOLUTE when the start is known
    (else TIME_RELATIVE), one SLIST_PQ per lead in uV at the lead's own step (:mod:`.digitise`)."""
    from .digitise import lead_step_nv, to_int16

    ET.register_namespace("", NS)
    ET.register_namespace("xsi", XSI)
    x = np.asarray(record.signal, dtype=np.float64)
    steps = [lead_step_nv(x[:, j]) for j in range(x.shape[1])]
    digital = to_int16(x, steps)
    date, time = record.metadata.get("base_date"), record.metadata.get("base_time")
    start = None
    if date:
        start = dt.datetime.combine(dt.date.fromisoformat(date), dt.time.fromisoformat(time or "00:00:00"))
    root = ET.Element(_N + "AnnotatedECG", {"classCode": "OBS", "moodCode": "EVN"})
    ET.SubElement(root, _N + "id", root=_uuid())
    ET.SubElement(root, _N + "code", code="93000", codeSystem="2.16.840.1.113883.6.12", codeSystemName="CPT-4")
    series = ET.SubElement(ET.SubElement(root, _N + "component"), _N + "series")
    ET.SubElement(series, _N + "code", code="RHYTHM", codeSystem="2.16.840.1.113883.5.4")
    seqset = ET.SubElement(ET.SubElement(series, _N + "component"), _N + "sequenceSet")
    kind = "TIME_ABSOLUTE" if start else "TIME_RELATIVE"
    value = _sequence(seqset, kind, "2.16.840.1.113883.5.4", "GLIST_TS" if start else "GLIST_PQ")
    if start:
        ET.SubElement(value, _N + "head", value=start.strftime("%Y%m%d%H%M%S.000"))
    else:
        ET.SubElement(value, _N + "head", value="0", unit="s")
    ET.SubElement(value, _N + "increment", value=f"{1.0 / record.fs:.15g}", unit="s")
    for j, lead in enumerate(record.lead_names):
        mdc = _MDC + str(lead).upper()
        known = str(lead).upper() in {"I", "II", "III", "AVR", "AVL", "AVF", *(f"V{k}" for k in range(1, 10))}
        value = _sequence(seqset, mdc if known else str(lead), "2.16.840.1.113883.6.24" if known else None,
                          "SLIST_PQ", display=str(lead))
        ET.SubElement(value, _N + "origin", value="0", unit="uV")
        ET.SubElement(value, _N + "scale", value=f"{steps[j] / 1000:.10g}", unit="uV")
        ET.SubElement(value, _N + "digits").text = " ".join(map(str, digital[:, j].tolist()))
    path = Path(path)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _sequence(seqset, code: str, system: str | None, xsi_type: str, display: str | None = None):
    seq = ET.SubElement(ET.SubElement(seqset, _N + "component"), _N + "sequence")
    attrs = {"code": code, **({"codeSystem": system} if system else {}),
             **({"displayName": display} if display else {})}
    ET.SubElement(seq, _N + "code", attrs)
    return ET.SubElement(seq, _N + "value", {f"{{{XSI}}}type": xsi_type})


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())
