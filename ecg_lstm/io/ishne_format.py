"""ISHNE 1.0 Holter files (``.ecg``), read and written (Badilini et al., "The ISHNE Holter
Standard Output File Format", A.N.E. 1998): what Holter recorders and their software export.

Layout, all little-endian: the magic ``ISHNE1.0``, a CRC-16 (CCITT, initial value 0xFFFF)
of the header that follows it, a fixed header of 512 bytes (sizes, patient, dates, up to
12 lead codes and resolutions in nV per unit, sampling rate), a variable-length block of
free text, then the samples as int16 interleaved by lead. Everything the data needs is
checked from the header before anything is allocated: magic, CRC, lead count (1..12),
rate, length and decoded size, and the file's size against the samples it announces.

Lead names come from the lead codes of the standard's table 1 (5 = I ... 16 = V6). A
lead the table has no code for (e.g. MLII) is written as "generic bipolar", with its name
in the variable-length block (``leads=MLII,V5``), where this reader takes it back from.
The patient fields go to ``metadata["patient"]`` only; no message or log quotes them.
"""
from __future__ import annotations

import binascii
import datetime as dt
import struct
from pathlib import Path

import numpy as np

from ..errors import HeaderMismatchError, MalformedRecordError, RecordError, SignalQualityError, TruncatedRecordError
from .digitise import lead_step_nv, to_int16
from .limits import check_header, check_size
from .record import Record

MAGIC = b"ISHNE1.0"
FIXED, PREFIX = 512, 10  # fixed header bytes; magic + CRC before it
MAX_LEADS = 12
MAX_VAR_BLOCK = 1 << 20
#: Table 1 of the standard: lead specification codes.
LEAD_CODES = {-9: "absent", 0: "unknown", 1: "generic", 2: "X", 3: "Y", 4: "Z", 5: "I", 6: "II", 7: "III",
              8: "aVR", 9: "aVL", 10: "aVF", 11: "V1", 12: "V2", 13: "V3", 14: "V4", 15: "V5", 16: "V6",
              17: "ES", 18: "AS", 19: "AI"}
_CODE_OF = {v.upper(): k for k, v in LEAD_CODES.items() if k >= 2}
_SEX = {0: "unknown", 1: "male", 2: "female"}
# The fixed header after the CRC: <4 int32> version, names, id, sex, race, 3 dates, time, leads...
_FMT = "<iiiih40s40s20shh3h3h3h3hh12h12h12hh40sh80s80s88s"
assert struct.calcsize(_FMT) == FIXED


def crc16(data: bytes) -> int:
    """CRC-16 CCITT (polynomial 0x1021, initial 0xFFFF) as the standard computes it."""
    return binascii.crc_hqx(data, 0xFFFF)


def read_ishne(path: Path, *, max_hours: float = 48.0, max_signal_mb: float = 1024.0) -> Record:
    """Read an ISHNE 1.0 file; see the module docstring for what is checked."""
    name = path.name
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(PREFIX + FIXED)
        if len(head) < 8 or head[:8] != MAGIC:
            raise MalformedRecordError(f"{name} is not an ISHNE 1.0 Holter file (it does not start with "
                                       "'ISHNE1.0'); export the recording as ISHNE, or give it the right extension")
        if len(head) < PREFIX + FIXED:
            raise TruncatedRecordError(f"{name}: the file ends inside its {FIXED}-byte ISHNE header; it is truncated")
        h = struct.unpack(_FMT, head[PREFIX:])
        var_size, n_per_lead, var_offset, ecg_offset = h[0:4]
        if not 0 <= var_size <= MAX_VAR_BLOCK or var_offset != PREFIX + FIXED or ecg_offset != var_offset + var_size:
            raise HeaderMismatchError(f"{name}: the ISHNE header's block offsets ({var_offset}, {ecg_offset}) and "
                                      f"variable-block size ({var_size}) disagree; the header is corrupt")
        var = f.read(var_size)
    if len(var) < var_size:
        raise TruncatedRecordError(f"{name}: the file ends inside the ISHNE header's variable-length block; "
                                   "it is truncated")
    stored = int.from_bytes(head[8:10], "little")
    if crc16(head[PREFIX:] + var) != stored:
        raise HeaderMismatchError(f"{name}: CRC mismatch in the ISHNE header (stored {stored:#06x}, computed "
                                  f"{crc16(head[PREFIX:] + var):#06x}); the header is damaged: export the file again")
    n_leads, specs, res, fs = h[22], h[23:35], h[47:59], h[61]
    if not 1 <= n_leads <= MAX_LEADS:
        raise MalformedRecordError(f"{name}: the ISHNE header declares {n_leads} leads; the standard allows "
                                   f"1..{MAX_LEADS}: the header is corrupt")
    check_header(name, float(fs), None, max_hours)
    n = _samples_per_lead(name, n_per_lead, n_leads, size - ecg_offset)
    check_header(name, float(fs), n, max_hours)
    check_size(name, n, n_leads, max_signal_mb)
    if n == 0:
        raise SignalQualityError(f"{name}: the ISHNE file announces no samples; it holds no ECG")
    if size - ecg_offset < 2 * n * n_leads:
        raise TruncatedRecordError(f"{name}: the header announces {n} samples per lead ({n_leads} leads) but the "
                                   f"file holds {max(size - ecg_offset, 0) // (2 * n_leads)}; it is truncated: "
                                   "export or copy it again")
    bad = [j + 1 for j in range(n_leads) if res[j] <= 0]
    if bad:
        raise MalformedRecordError(f"{name}: lead(s) {', '.join(map(str, bad))} have an amplitude resolution of "
                                   f"{res[bad[0] - 1]} nV per unit; it must be positive: the header is corrupt")
    digital = np.fromfile(path, dtype="<i2", count=n * n_leads, offset=ecg_offset)
    if len(digital) != n * n_leads:
        raise TruncatedRecordError(f"{name}: the file holds {len(digital) // n_leads} samples per lead where its "
                                   f"header announces {n}; it is truncated: export or copy it again")
    signal = digital.reshape(n, n_leads).astype(np.float64)
    del digital
    for j in range(n_leads):
        col = signal[:, j]
        col *= res[j] * 1e-6  # nV -> mV
    text = var.decode("latin-1", "replace")
    names = _lead_names(specs[:n_leads], text)
    # h: 10-12 birth date, 13-15 recording date, 19-21 start time (day, month, year / h, m, s)
    meta = {"format": "ishne-1.0", "comments": [], "base_date": _date(h[13:16]), "base_time": _time(h[19:22]),
            "patient": _patient(h), "ishne": {"lead_codes": list(specs[:n_leads]),
                                              "resolution_nv": list(res[:n_leads]), "pacemaker": h[59]}}
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return Record(stem, signal, float(fs), names, ["mV"] * n_leads, None, meta)


def _samples_per_lead(name: str, declared: int, n_leads: int, data_bytes: int) -> int:
    """Samples per lead from the header. Some writers put the total over all leads in the field;
    a file whose size says so is read that way."""
    if declared < 0:
        raise MalformedRecordError(f"{name}: the ISHNE header announces {declared} samples; the header is corrupt")
    if declared % n_leads == 0 and declared > 0 and data_bytes == 2 * declared and n_leads > 1:
        return declared // n_leads
    return declared


def _lead_names(codes, var_text: str) -> list[str]:
    for line in var_text.replace("\x00", "\n").splitlines():
        if line.startswith("leads="):
            names = [s.strip() for s in line[6:].split(",")]
            if len(names) == len(codes) and all(names):
                return names
    out = []
    for j, c in enumerate(codes):
        base = LEAD_CODES.get(c, "unknown")
        out.append(f"ch{j + 1}" if base in ("unknown", "absent", "generic") else base)
    return out if len(set(out)) == len(out) else [f"{n}_{j + 1}" for j, n in enumerate(out)]


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("latin-1").strip()


def _date(dmy) -> str | None:
    try:
        return dt.date(dmy[2], dmy[1], dmy[0]).isoformat()
    except (ValueError, TypeError):
        return None  # -9 (unknown) and impossible dates alike


def _time(hms) -> str | None:
    try:
        return dt.time(*hms).isoformat()
    except (ValueError, TypeError):
        return None


def _patient(h) -> dict:
    return {"first_name": _text(h[5]), "last_name": _text(h[6]), "id": _text(h[7]),
            "sex": _SEX.get(h[8], "unknown"), "race": h[9], "birth_date": _date(h[10:13])}


# ------------------------------------------------------------------- writing

def ishne_bytes(record: Record, *, patient: dict | None = None) -> bytes:
    """``record`` as an ISHNE 1.0 file (for exports): int16 samples at each lead's own step (see
    :mod:`.digitise`), lead codes from its names, start date and time from its metadata.
    ``patient``: optional ``first_name``, ``last_name``, ``id``, ``sex`` (male/female), ``birth_date``."""
    x = np.asarray(record.signal, dtype=np.float64)
    n, m = x.shape
    if not 1 <= m <= MAX_LEADS:
        raise RecordError(f"an ISHNE file holds 1..{MAX_LEADS} leads; the record has {m}: choose leads first")
    if not 1 <= round(record.fs) <= 32767 or abs(record.fs - round(record.fs)) > 1e-9:
        raise RecordError(f"an ISHNE file stores a whole sampling rate; {record.fs:g} Hz cannot be written")
    steps = [lead_step_nv(x[:, j]) for j in range(m)]
    digital = to_int16(x, steps)
    codes = [_CODE_OF.get(str(nm).strip().upper(), 1) for nm in record.lead_names]
    var = f"leads={','.join(str(nm).replace(',', ' ') for nm in record.lead_names)}\n".encode("latin-1", "replace")
    p = patient or {}
    date = _dmy(record.metadata.get("base_date"))
    start = _hms(record.metadata.get("base_time"))
    today = dt.date.today()
    pad = [0] * (MAX_LEADS - m)
    fixed = struct.pack(
        _FMT, len(var), n, PREFIX + FIXED, PREFIX + FIXED + len(var), 1,
        _field(p.get("first_name"), 40), _field(p.get("last_name"), 40), _field(p.get("id"), 20),
        {"male": 1, "female": 2}.get(str(p.get("sex", "")).lower(), 0), 0, *_dmy(p.get("birth_date")),
        *date, today.day, today.month, today.year, *start, m, *(codes + [-9] * (MAX_LEADS - m)),
        *([0] * m + pad), *(steps + pad), -9, b"ecg-lstm export", round(record.fs), b"", b"", b"")
    return MAGIC + crc16(fixed + var).to_bytes(2, "little") + fixed + var + digital.astype("<i2").tobytes()


def write_ishne(record: Record, path: str | Path, *, patient: dict | None = None) -> Path:
    """Write ``record`` as an ISHNE 1.0 file at ``path``; see :func:`ishne_bytes`."""
    path = Path(path)
    path.write_bytes(ishne_bytes(record, patient=patient))
    return path


def _field(value, width: int) -> bytes:
    return str(value or "").encode("latin-1", "replace")[:width]


def _dmy(iso) -> tuple[int, int, int]:
    try:
        d = dt.date.fromisoformat(str(iso))
        return d.day, d.month, d.year
    except ValueError:
        return -9, -9, -9


def _hms(iso) -> tuple[int, int, int]:
    try:
        t = dt.time.fromisoformat(str(iso))
        return t.hour, t.minute, t.second
    except ValueError:
        return -9, -9, -9
