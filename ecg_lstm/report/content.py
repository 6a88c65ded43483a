"""What the report says, whatever its form: the fields and rows it prints, the events it lists
and strips, and text made safe to print (:func:`plain_field`). The HTML (:mod:`.document`) and
the PDF (:mod:`.pdf`) lay these out.
"""
from __future__ import annotations

import unicodedata

import numpy as np

from ..signal.quality import noisy_share_pct

#: Seconds of ECG shown around each event, and most events drawn (the table lists all).
STRIP_S, MAX_STRIPS = 10.0, 40
#: Paper sizes (width, height) in mm.
PAPER_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
#: Patient and reviewer fields, in the order printed (keys of the ``people`` argument).
PEOPLE_FIELDS = {"patient_name": "Patient", "patient_id": "Patient ID", "birth_date": "Date of birth",
                 "reviewer": "Reviewed by", "review_date": "Review date", "comments": "Comments"}
#: Readable names of the vitals printed (key: (name, unit, digits)).
VITALS_FIELDS = {
    "hr_mean_bpm": ("Heart rate, mean", "bpm", 0), "hr_min_bpm": ("Heart rate, minimum", "bpm", 0),
    "hr_max_bpm": ("Heart rate, maximum", "bpm", 0), "rr_mean_ms": ("RR interval, mean", "ms", 0),
    "rr_min_ms": ("RR interval, shortest", "ms", 0), "rr_max_ms": ("RR interval, longest", "ms", 0),
    "sdnn_ms": ("SDNN (variability of normal beats)", "ms", 0),
    "rmssd_ms": ("RMSSD (beat-to-beat variability)", "ms", 0), "pnn50_pct": ("pNN50", "%", 1),
    "sdann_ms": ("SDANN (5-min means)", "ms", 0), "sdnn_index_ms": ("SDNN index (5-min SDs)", "ms", 0),
    "lf_ms2": ("LF power (0.04-0.15 Hz)", "ms²", 0), "hf_ms2": ("HF power (0.15-0.4 Hz)", "ms²", 0),
    "lf_hf_ratio": ("LF/HF ratio", "", 2), "ectopic_burden_pct": ("Ectopic beats", "%", 1),
    "v_burden_pct": ("Ventricular ectopic beats", "%", 1), "s_burden_pct": ("Supraventricular ectopic beats", "%", 1),
}
CLASS_NAMES = {"N": "N normal", "S": "S supraventricular ectopic", "V": "V ventricular ectopic", "F": "F fusion",
               "Q": "Q unclassifiable"}
DECISION_WORDS = {"accepted": "accepted", "rejected": "rejected", "": "not reviewed"}



def hms(seconds: float) -> str:
    """``seconds`` from the record's start as ``h:mm:ss`` (fractions of a second dropped)."""
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


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


def people_from_file(patient: dict | None) -> dict:
    """The report's patient fields (:data:`PEOPLE_FIELDS` keys) from the patient fields a record file
    carries (``record.metadata["patient"]``: ISHNE, DICOM, HL7 aECG name them differently); only
    those the file fills."""
    p = patient or {}
    name = p.get("name") or " ".join(x for x in (p.get("first_name"), p.get("last_name")) if x)
    out = {"patient_name": plain_field(str(name).replace("^", " ").strip()),  # DICOM writes Family^Given
           "patient_id": plain_field(p.get("id") or ""), "birth_date": plain_field(str(p.get("birth_date") or ""))}
    return {k: v for k, v in out.items() if v}


def people_rows(people: dict | None) -> list[list[str]]:
    """Patient and reviewer fields that were filled in, as (label, value) rows of plain text."""
    people = people or {}
    rows = [[label, plain_field(people.get(k) or "")] for k, label in PEOPLE_FIELDS.items()]
    return [r for r in rows if r[1]]


def record_rows(analysis) -> list[list[str]]:
    rec = analysis.record
    return [["Record", rec.name], ["Duration", hms(round(rec.duration_s))], ["Sampling rate", f"{rec.fs:g} Hz"],
            ["Leads", ", ".join(rec.lead_names)], ["Analysed lead", rec.lead_names[analysis.lead_index]],
            ["Beat positions", analysis.beat_source],
            ["Models", ", ".join(f"{k.replace('_', ' ')}: {val}" for k, val in (analysis.model or {}).items())
             or "none"]]


def vitals_rows(analysis) -> list[list[str]]:
    v = analysis.vitals or {}
    rows = [[name, num(v.get(k), digits, unit)] for k, (name, unit, digits) in VITALS_FIELDS.items()
            if v.get(k) is not None]
    rows.append(["Noisy signal", num(noisy_share_pct(analysis.quality), 1, "%")])
    rows.append(["Beats", f"{len(analysis.beats):,}"])
    return rows


def report_events(analysis, events=None):
    """Events sorted by time, with a ``decision`` column ("" when not reviewed)."""
    ev = analysis.events if events is None else events
    if ev is None or not len(ev):
        return None
    ev = ev.sort_values("start_s", kind="stable").reset_index(drop=True)
    if "decision" not in ev:
        ev = ev.assign(decision="")
    return ev


def event_rows(ev) -> list[list]:
    return [[r.type, hms(r.start_s), num(r.end_s - r.start_s, 1, "s"), getattr(r, "n_beats", ""),
             "noisy" if bool(getattr(r, "noisy", False)) else "", DECISION_WORDS.get(r.decision, r.decision),
             getattr(r, "description", "")] for r in ev.itertuples()]


EVENT_HEAD = ["type", "start", "duration", "beats", "signal", "review", "description"]


def strip_events(ev):
    """Events that get a strip: rejected ones left out; alarming events first, then runs,
    rhythms and pauses, then isolated beats, each group in time order."""
    ev = ev[ev["decision"] != "rejected"]
    single = ev["n_beats"].fillna(0).to_numpy() <= 1 if "n_beats" in ev else np.zeros(len(ev), bool)
    alarm = ev["alarm"].fillna(False).to_numpy(bool) if "alarm" in ev else np.zeros(len(ev), bool)
    rank = np.where(alarm, 0, np.where(single, 2, 1))
    return ev.iloc[np.argsort(rank, kind="stable")].head(MAX_STRIPS), len(ev)


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
