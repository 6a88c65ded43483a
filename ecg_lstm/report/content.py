"""What the report prints, whatever its form: the patient, technician and physician fields
(checked by :func:`check_fields`), times (clock time when the file has a start time), numbers,
the audit trail, and text made safe to print (:func:`plain_field`). The clinical summary's
content is :mod:`.summary`'s, the strips' :mod:`.strips`'; the HTML (:mod:`.document`) and the
PDF (:mod:`.pdf`) lay them out.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata

import numpy as np

#: Paper sizes (width, height) in mm.
PAPER_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
#: Patient, technician and physician fields, in the order printed (keys of the ``people`` argument).
PEOPLE_FIELDS = {"patient_name": "Patient", "patient_id": "Patient ID", "birth_date": "Date of birth",
                 "reviewer": "Reviewed by (technician)", "review_date": "Review date",
                 "comments": "Technician's comments", "physician": "Physician", "signature_date": "Signature date",
                 "conclusion": "Physician's conclusion"}
#: Fields that hold a date (checked by :func:`check_fields`, printed as YYYY-MM-DD).
DATE_FIELDS = ("birth_date", "review_date", "signature_date")
#: Fields of free text that may run over several lines (the others are one line).
LONG_FIELDS = ("comments", "conclusion")
#: Longest text of a long field (comments, conclusion), in characters.
MAX_LONG_CHARS = 2000
CLASS_NAMES = {"N": "N normal", "S": "S supraventricular ectopic", "V": "V ventricular ectopic", "F": "F fusion",
               "Q": "Q unclassifiable"}


def hms(seconds: float) -> str:
    """``seconds`` from the record's start as ``h:mm:ss`` (fractions of a second dropped)."""
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def record_start(record) -> _dt.datetime | None:
    """When the recording started (date and time), from the file's ``base_date`` / ``base_time``;
    a time without a date is taken on an arbitrary day (only its clock time is printed); None
    when the file has no start time."""
    meta = getattr(record, "metadata", None) or {}
    t = _parse_time(meta.get("base_time"))
    if t is None:
        return None
    d = parse_date(meta.get("base_date")) or _dt.date(2000, 1, 1)
    return _dt.datetime.combine(d, t)


def start_text(record) -> str | None:
    """When the recording started as printed: ``YYYY-MM-DD HH:MM:SS`` (``HH:MM:SS`` when the file
    has no date); None when it has no start time."""
    start = record_start(record)
    if start is None:
        return None
    dated = parse_date(((getattr(record, "metadata", None) or {}).get("base_date"))) is not None
    return start.strftime("%Y-%m-%d %H:%M:%S" if dated else "%H:%M:%S")


def _parse_time(text) -> _dt.time | None:
    if isinstance(text, _dt.time):
        return text
    try:
        return _dt.time.fromisoformat(str(text).strip()) if text else None
    except ValueError:
        return None


def clock(record, seconds: float) -> str:
    """A time of the record as printed: the clock time (``HH:MM:SS``, with the day after the
    first, "day 2 HH:MM:SS") when the file has a start time, else ``h:mm:ss`` from the start."""
    start = record_start(record)
    if start is None:
        return hms(seconds)
    at = start + _dt.timedelta(seconds=int(seconds))
    day = (at.date() - start.date()).days
    return (f"day {day + 1} " if day else "") + at.strftime("%H:%M:%S")


def clock_and_elapsed(record, seconds: float) -> str:
    """``08:12:34 (0:12:34 into the recording)`` with a start time, else ``0:12:34``."""
    if record_start(record) is None:
        return hms(seconds)
    return f"{clock(record, seconds)} ({hms(seconds)} into the recording)"


def num(v, digits: int = 0, unit: str = "") -> str:
    """``v`` with ``digits`` decimals and its unit; a dash when it is missing or not a number."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    if not np.isfinite(f):
        return "–"
    return f"{f:,.{digits}f}" + (f" {unit}" if unit else "")


def strip_window(y: np.ndarray) -> tuple[float, float, float]:
    """(baseline, low, high) in mV of a strip: whole 0.5-mV squares, at least +-1 mV."""
    ok = np.isfinite(y)
    base = float(np.nanmedian(y)) if ok.any() else 0.0
    lo = min(float(np.nanmin(y)) - base, -1.0) if ok.any() else -1.0
    hi = max(float(np.nanmax(y)) - base, 1.0) if ok.any() else 1.0
    return base, np.floor(lo * 2) / 2 - 0.5, np.ceil(hi * 2) / 2 + 0.5


#: Longest text of one report field, in characters (a name, an ID, a comment line).
MAX_FIELD_CHARS = 200


def plain_field(value, max_chars: int = MAX_FIELD_CHARS) -> str:
    """``value`` as one line of printable text for a report: Unicode NFC, without byte-order
    marks, control or other invisible format characters (which a PDF font cannot draw, and which
    can reorder what is shown), runs of white space as one space, at most ``max_chars``."""
    text = unicodedata.normalize("NFC", str(value))
    text = "".join(" " if c in "\t\n\r\v\f" else c for c in text
                   if c in "\t\n\r\v\f" or unicodedata.category(c)[0] != "C")
    text = " ".join(text.split())
    return text if len(text) <= max_chars else text[:max_chars - 1] + "…"


def plain_lines(value, max_chars: int = MAX_LONG_CHARS) -> list[str]:
    """A long field (comments, a conclusion) as its lines, each made plain by :func:`plain_field`,
    empty lines dropped, at most ``max_chars`` in all."""
    text = unicodedata.normalize("NFC", str(value or ""))[:max_chars]
    lines = [plain_field(x, max_chars) for x in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return [x for x in lines if x]


def parse_date(text) -> _dt.date | None:
    """A date typed in a field: ``YYYY-MM-DD``, ``YYYYMMDD`` (DICOM) or ``DD.MM.YYYY``; None when
    it is none of these or no real date (``DD/MM`` against ``MM/DD`` cannot be told apart, so
    slashes are refused)."""
    if isinstance(text, _dt.datetime):
        return text.date()
    if isinstance(text, _dt.date):
        return text
    s = str(text or "").strip()
    for pattern, order in ((r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"), (r"(\d{4})(\d{2})(\d{2})", "ymd"),
                           (r"(\d{1,2})\.(\d{1,2})\.(\d{4})", "dmy")):
        m = re.fullmatch(pattern, s)
        if m:
            a, b, c = (int(x) for x in m.groups())
            y, mo, d = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                return _dt.date(y, mo, d)
            except ValueError:
                return None
    return None


def check_fields(people: dict | None, today: _dt.date | None = None) -> dict[str, str]:
    """What is wrong with the report fields, ``{key: sentence}`` (empty when nothing): a date field
    that is not a date (or a birth date in the future or before 1900, a review or signature date in
    the future)."""
    today = today or _dt.date.today()
    out = {}
    for k in DATE_FIELDS:
        text = str((people or {}).get(k) or "").strip()
        if not text:
            continue
        d = parse_date(text)
        name = PEOPLE_FIELDS[k]
        if d is None:
            out[k] = f"{name}: {text!r} is not a date; write it as YYYY-MM-DD (or DD.MM.YYYY)."
        elif d > today:
            out[k] = f"{name}: {d.isoformat()} is in the future."
        elif k == "birth_date" and d.year < 1900:
            out[k] = f"{name}: {d.isoformat()} is before 1900."
    return out


def people_from_file(patient: dict | None) -> dict:
    """The report's patient fields (:data:`PEOPLE_FIELDS` keys) from the patient fields a record file
    carries (``record.metadata["patient"]``: ISHNE, DICOM, HL7 aECG name them differently); only
    those the file fills."""
    p = patient or {}
    name = p.get("name") or " ".join(x for x in (p.get("first_name"), p.get("last_name")) if x)
    out = {"patient_name": plain_field(str(name).replace("^", " ").strip()),  # DICOM writes Family^Given
           "patient_id": plain_field(p.get("id") or ""), "birth_date": plain_field(str(p.get("birth_date") or ""))}
    return {k: v for k, v in out.items() if v}


def field_text(people: dict | None, key: str) -> str:
    """One field as printed: plain text; a date as YYYY-MM-DD when it reads as one."""
    value = plain_field((people or {}).get(key) or "")
    if key in DATE_FIELDS and value:
        d = parse_date(value)
        return d.isoformat() if d else value
    return value


def people_rows(people: dict | None, keys=None) -> list[list[str]]:
    """The one-line fields among ``keys`` (default all) that were filled in, as (label, value)
    rows of plain text."""
    keys = [k for k in (keys or PEOPLE_FIELDS) if k not in LONG_FIELDS]
    rows = [[PEOPLE_FIELDS[k], field_text(people, k)] for k in keys]
    return [r for r in rows if r[1]]


def record_rows(analysis) -> list[list[str]]:
    """The record and how it was analysed, as (label, value) rows."""
    rec = analysis.record
    return [["Record", f"{rec.name}: {rec.fs:g} Hz, leads {', '.join(rec.lead_names)}; analysed lead "
             f"{rec.lead_names[analysis.lead_index]}; beat positions {analysis.beat_source}"],
            ["Models", ", ".join(f"{k.replace('_', ' ')}: {val}" for k, val in (analysis.model or {}).items())
             or "none"]]


# --- audit trail and amendment ---------------------------------------------------------------------
#: Columns of the audit trail as printed, and the longest text of each cell (characters).
AUDIT_HEAD = ["time (UTC)", "who", "action", "target", "change"]
AUDIT_CHARS = (19, 40, 40, 60, 120)
#: Label changes named one by one in a cell before the rest are counted ("… 2 more").
AUDIT_GROUPS = 3


def utc_text(at, seconds: bool = True) -> str:
    """A time as ``YYYY-MM-DD HH:MM[:SS]`` in UTC; a time without a zone is taken as UTC (SQLite
    hands back the UTC times it was given without their zone). A dash when it is missing."""
    import pandas as pd

    try:
        t = pd.Timestamp(at)
    except (TypeError, ValueError):
        return "–"
    if t is pd.NaT:
        return "–"
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _value_text(v) -> str:
    """One old or new value, short: none as a dash, a SHA-256 by its first 12 digits."""
    if v is None or v == "":
        return "–"
    if isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v):
        return v[:12] + "…"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_value_text(x)}" for k, x in v.items()) or "–"
    if isinstance(v, (list, tuple)):
        return f"{len(v)} items"
    return str(v)


def _label_change(old: dict, new: dict) -> str:
    """Corrections as the store audits them ({"labels": {label: [samples]}, "adapted": bool}, "" the
    model's label) as "3 beats: N → V; 1 beat: V → model"."""
    def by_sample(v) -> dict:
        labels = v.get("labels") if isinstance(v, dict) else None
        return {int(s): lab or "model" for lab, ss in (labels or {}).items() for s in ss}

    before, after = by_sample(old), by_sample(new)
    pairs: dict[tuple[str, str], int] = {}
    for s in sorted(before.keys() | after.keys()):
        key = (before.get(s, "model"), after.get(s, "model"))
        pairs[key] = pairs.get(key, 0) + 1
    parts = [f"{n:,} beat{'s' if n != 1 else ''}: {a} → {b}" for (a, b), n in pairs.items()]
    if len(parts) > AUDIT_GROUPS:
        parts = parts[:AUDIT_GROUPS] + [f"… {len(parts) - AUDIT_GROUPS} more"]
    was, now = bool((old or {}).get("adapted")), bool((new or {}).get("adapted"))
    if was != now:
        parts.append("rest adapted to them" if now else "adaptation undone")
    return "; ".join(parts) or "no change"


def change_text(old, new) -> str:
    """What an audit entry changed, in a few words ("old → new")."""
    if isinstance(new, dict) and isinstance(new.get("beats"), int) and "labels" not in new:
        return f"{new['beats']:,} beats relabelled"
    if (isinstance(old, dict) and "labels" in old) or (isinstance(new, dict) and "labels" in new):
        return _label_change(old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {})
    if isinstance(old, dict) and isinstance(new, dict):
        keys = list(dict.fromkeys([*old, *new]))
        return "; ".join(f"{k}: {_value_text(old.get(k))} → {_value_text(new.get(k))}" for k in keys) or "–"
    if old is None or old == "":
        return _value_text(new)
    return f"{_value_text(old)} → {_value_text(new)}"


def audit_rows(audit) -> list[list[str]]:
    """The rows of an audit trail (a DataFrame with columns at, who, action, target, old, new, oldest
    first) as printed: time in UTC, who, action, target and the change, each plain and short."""
    if audit is None or not len(audit):
        return []
    rows = []
    for r in audit.itertuples(index=False):
        cells = [utc_text(r.at), r.who or "", r.action or "", r.target or "", change_text(r.old, r.new)]
        rows.append([plain_field(c, n) for c, n in zip(cells, AUDIT_CHARS)])
    return rows


def amendment_text(amendment: dict | None) -> str | None:
    """The line that says which signed report this one amends, from ``{"number", "signed_by",
    "signed_at", "sha256"}``; None when the report amends nothing."""
    if not amendment or not amendment.get("number"):
        return None
    digest = str(amendment.get("sha256") or "")
    text = (f"Amendment {int(amendment['number'])} of the report signed by {amendment.get('signed_by') or 'unnamed'}"
            f" on {utc_text(amendment.get('signed_at'), seconds=False)} UTC"
            + (f" (SHA-256 {digest[:16]}…)" if digest else ""))
    return plain_field(text, 400)
