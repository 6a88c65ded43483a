"""A study's files for elsewhere: what the review decided, in the formats other tools read.

    paths = export_study(store, sid, "out/")

writes, named after the record (``<record>``: its name with letters, digits, ``-`` and ``_``
only, else ``record``):

- ``<record>.cor``: the reviewed beats as a WFDB annotation file (only when there are some),
  which ``analyze --labels cor`` and the page read back;
- ``<record>_events.csv``: the events with the reviewer's decision (``accepted``, ``rejected``,
  empty when not reviewed);
- ``<record>_report.html``: the report as it stands, with the patient and review fields, the
  decisions, the audit trail, and the amendment line when it replaces a signed report;
- ``<record>_audit.csv``: the audit trail (times in UTC, old and new values as JSON);
- ``<record>.edf``: the record as EDF+, the beats (labels as reviewed) and events as annotations;
- ``<record>_signed_<n>.pdf``: each signed report, byte for byte as it was signed.

The record is read again from the study's own files and joined to its saved analysis; with
corrections, the labels follow them as on the page (adapted to them when the reviewer adapted).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

#: Characters kept in a file name made from a record name.
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
#: First characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_START = ("=", "+", "-", "@")


def safe_stem(name: str, default: str = "record") -> str:
    """``name`` as a file-name stem: runs of anything but letters, digits, ``-`` and ``_`` as one
    ``_``, at most 100 characters, not starting with ``-``; ``default`` when nothing is left."""
    stem = _UNSAFE.sub("_", str(name)).strip("_")[:100].lstrip("-")
    return stem or default


def reviewed_analysis(store, sid: int, *, classifier=None, rhythm=None):
    """(analysis as the reviewer left it, review) of study ``sid``: the record read from the study's
    files, its saved analysis (made again and kept when it is missing or unreadable), the
    corrections applied (and the rest adapted to them when the review says so). ``classifier`` and
    ``rhythm``: loaded models, else the shipped ones, loaded only when needed."""
    from ..io.upload import read_record_from_files
    from ..saved_analysis import SavedAnalysisError

    options = store.get(sid)["options"] or {}
    record = read_record_from_files(store.files(sid), fs=options.get("fs"), lead=options.get("lead"))
    rev = store.review(sid)
    models = _Models(classifier, rhythm)
    try:
        plain = store.analysis(sid, record)
    except SavedAnalysisError:
        from ..analyze import analyze_record

        plain = analyze_record(record, lead=options.get("lead"), reference_beats=bool(options.get("reference_beats")),
                               classifier=models.beat(), rhythm=models.rhythm(), adapt=True)
        store.keep_analysis(sid, plain)
    if not rev["corrections"]:
        return plain, rev
    from ..review import record_adapter, relabelled_analysis, signature

    saved = store.reviewed_analysis(sid, signature(rev), record)  # kept by the page with this review
    if saved is not None:
        return saved, rev
    return relabelled_analysis(plain, record_adapter(models.beat(), plain), rev, models.rhythm()), rev


def amendment_of(store, sid: int, number: int) -> dict | None:
    """What the report of amendment ``number`` replaces: the signed report of the amendment before
    (who signed it, when, its SHA-256), as ``html_report(amendment=...)`` takes it; None for none."""
    if not number:
        return None
    signed = store.signed_reports(sid)
    before = signed[signed["amendment"] < number]
    if not len(before):
        return {"number": int(number), "signed_by": None, "signed_at": None, "sha256": None}
    last = before.iloc[-1]
    return {"number": int(number), "signed_by": last["signed_by"], "signed_at": last["signed_at"],
            "sha256": last["sha256"]}


def export_study(store, sid: int, out_dir: str | Path, *, classifier=None, rhythm=None) -> list[Path]:
    """Write study ``sid``'s files (see the module's text) into ``out_dir`` (created); returns their
    paths. Raises :class:`~.db.StoreError` for a study that is not there or whose files are missing,
    a :class:`~ecg_lstm.errors.RecordError` when its record cannot be read."""
    from ..findings.events import with_decisions
    from ..report import html_report
    from ..review import corrections_bytes

    row = store.get(sid)
    analysis, rev = reviewed_analysis(store, sid, classifier=classifier, rhythm=rhythm)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = safe_stem(analysis.record.name)
    written: list[Path] = []

    def put(name: str, data: bytes) -> None:
        path = out / name
        path.write_bytes(data)
        written.append(path)

    if rev["corrections"]:
        put(f"{stem}.cor", corrections_bytes(analysis, rev))
    events = with_decisions(analysis.events, store.decisions(sid))
    put(f"{stem}_events.csv", events.to_csv(index=False, float_format="%.3f").encode())
    trail = store.audit_trail(sid)
    page = html_report(analysis, title=f"ECG report: {row['label']}", people=row["report_fields"] or {},
                       events=events, audit=trail, amendment=amendment_of(store, sid, row["amendment"]))
    put(f"{stem}_report.html", page.encode("utf-8"))
    put(f"{stem}_audit.csv", audit_csv(trail).encode("utf-8"))
    from ..io.edf_export import edf_bytes

    # The record with the labels as reviewed and the events as annotations, for EDF+ readers.
    put(f"{stem}.edf", edf_bytes(analysis.record, analysis.beats["sample"], analysis.beats["label"], events))
    signed = store.signed_reports(sid)
    seen: dict[int, int] = {}
    for r in signed.itertuples(index=False):
        n = seen[int(r.amendment)] = seen.get(int(r.amendment), 0) + 1
        put(f"{stem}_signed_{int(r.amendment)}" + (f"-{n}" if n > 1 else "") + ".pdf", store.signed_pdf(r.sha256))
    return written


def audit_csv(trail: pd.DataFrame) -> str:
    """The audit trail as CSV: times in UTC (ISO 8601), old and new values as JSON; a text cell that
    a spreadsheet would run as a formula gets a leading ``'``."""
    from ..report.content import utc_text

    out = pd.DataFrame({
        "at": [utc_text(t).replace(" ", "T") + "Z" for t in trail["at"]],
        **{c: [_cell(v) for v in trail[c]] for c in ("who", "action", "target")},
        **{c: [json.dumps(v, sort_keys=True) if v is not None else "" for v in trail[c]] for c in ("old", "new")},
    }, columns=["at", "who", "action", "target", "old", "new"])
    return out.to_csv(index=False)


def _cell(v) -> str:
    text = "" if v is None else str(v)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Models:
    """The beat and rhythm classifiers, given or loaded (the shipped ones) on first use."""

    def __init__(self, beat=None, rhythm=None):
        self._beat, self._rhythm = beat, rhythm

    def beat(self):
        if self._beat is None:
            from ..classifier.predict import BeatClassifier

            self._beat = BeatClassifier.load()
        return self._beat

    def rhythm(self):
        if self._rhythm is None:
            from ..rhythm.predict import RhythmClassifier

            self._rhythm = RhythmClassifier.load()
        return self._rhythm
