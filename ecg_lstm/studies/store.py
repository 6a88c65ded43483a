"""The study store: studies kept in a database, their files and analyses beside it.

    store = StudyStore()                       # ECG_STUDY_DB, else data/studies/studies.sqlite
    sid = store.add(files, analysis, label="Holter 12 May", who="A. Tech")
    store.save_review(sid, "A. Tech", "relabel beat", before, after, summary=summary_of(new_analysis))

A study is a record (its original files, kept once by SHA-256: :mod:`.blobs`), its analysis
as made when it was added (``analyses/<id>/``: :mod:`ecg_lstm.saved_analysis`; a study keeps
its results when the shipped model changes), and what the reviewer did to it: corrections,
event decisions, report fields, status, sign-off. Every action is one transaction that also
appends to the audit trail (:mod:`.actions`); nothing here waits for a "save".

Two sessions on one study: last writer wins, action by action (two reviewers relabelling
different beats both keep their work; on the same beat the later label stays), and the audit
trail shows both. The study says who holds it (whoever acted last, for :data:`HOLD_S`), so a
second reviewer sees that someone else is working on it; each saved action bumps the study's
``version``, and a page holding an older one reloads the review.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, func, insert, select

from ..saved_analysis import load_analysis, save_analysis
from .actions import Actions, now
from .blobs import Blobs, sha256, size
from .db import StoreError, connect, default_folder, default_url, shown
from .tables import audit, correction, event_decision, signed_report, study, study_file


def manifest(files: dict[str, bytes | Path], options: dict) -> str:
    """SHA-256 of the files (names and contents: bytes, or files on disk) and the analysis options: the
    study's identity."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + bytes.fromhex(sha256(files[name])))
    h.update(json.dumps(options, sort_keys=True).encode())
    return h.hexdigest()


def summary_of(analysis) -> dict:
    """What the worklist shows of an analysis: beats, AF burden (%), PVC burden (%), pauses."""
    from ..rhythm.labels import af_burden

    ev = analysis.events
    eps = analysis.rhythm_episodes
    return {
        "n_beats": int(len(analysis.beats)),
        "af_burden_pct": float(af_burden(eps, analysis.record.duration_s)) if eps is not None and len(eps) else 0.0,
        "pvc_burden_pct": float(analysis.vitals.get("v_burden_pct") or 0.0),
        "n_pauses": int((ev["type"] == "pause").sum()) if ev is not None and len(ev) else 0,
    }


class StudyStore(Actions):
    """The studies in the database at ``url`` (default: :func:`~.db.default_url`), with their files
    under ``folder`` (default: ``$ECG_STUDY_FILES`` or ``data/studies``). Raises
    :class:`~.db.StoreError` when the database cannot be opened (the message says why)."""

    def __init__(self, url: str | None = None, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else default_folder()
        self.url = url or default_url(self.folder)
        self.engine = connect(self.url)
        self.blobs = Blobs(self.folder)

    def __repr__(self) -> str:
        return f"StudyStore({shown(self.url)!r})"

    def close(self) -> None:
        self.engine.dispose()

    # --- adding --------------------------------------------------------------------------------

    def find(self, digest: str) -> int | None:
        """The study of the record with this :func:`manifest`, if there is one (the newest)."""
        with self.engine.connect() as c:
            return c.execute(select(func.max(study.c.id)).where(study.c.manifest == digest)).scalar()

    def add(self, files: dict[str, bytes | Path], analysis, *, who: str, label: str | None = None,
            source: str = "upload", options: dict | None = None) -> int:
        """The study of this record: the one already in the store (same files and options), else a new
        one with its files, its analysis (``analysis``: :class:`~ecg_lstm.analyze.Analysis`) and an
        audit entry. Returns its id."""
        options = dict(options or {})
        digest = manifest(files, options)
        found = self.find(digest)
        if found is not None:
            return found
        rec = analysis.record
        stored = {name: (self._write(lambda d=data: self.blobs.put(d)), size(data)) for name, data in files.items()}
        t = now()
        meta = rec.metadata or {}
        recorded = " ".join(str(meta[k]) for k in ("base_date", "base_time") if meta.get(k)) or None
        row = dict(label=(label or rec.name)[:200], manifest=digest, source=source[:20], options=options,
                   record_name=rec.name[:200], fs_hz=float(rec.fs), duration_s=float(rec.duration_s),
                   n_leads=int(rec.signal.shape[1]), recorded_at=recorded, created_at=t, updated_at=t, status="new",
                   reviewer=None, version=1, adapted=False, n_corrections=0, report_fields={}, amendment=0,
                   **summary_of(analysis))
        with self._begin() as c:
            sid = c.execute(insert(study).values(**row)).inserted_primary_key[0]
            if stored:
                c.execute(insert(study_file), [dict(study_id=sid, name=n, sha256=d, size=s)
                                               for n, (d, s) in stored.items()])
            self._audit(c, sid, who, "study added", f"{len(files)} files, {rec.duration_s / 3600:.2f} h",
                        None, {"label": row["label"], "source": row["source"]})
        self._write(lambda: save_analysis(analysis, self.analysis_folder(sid)))
        return sid

    def analysis_folder(self, sid: int) -> Path:
        return self.folder / "analyses" / str(int(sid))

    # --- reading -------------------------------------------------------------------------------

    def get(self, sid: int) -> dict:
        """The study's row as a dict; :class:`StoreError` when there is none."""
        with self.engine.connect() as c:
            row = c.execute(select(study).where(study.c.id == sid)).mappings().first()
        if row is None:
            raise StoreError(f"there is no study {sid} in {shown(self.url)}")
        return dict(row)

    def version(self, sid: int) -> int | None:
        """The study's version (one more per saved action); None when it was deleted."""
        with self.engine.connect() as c:
            return c.execute(select(study.c.version).where(study.c.id == sid)).scalar()

    def list(self, status: str | None = None, text: str | None = None) -> pd.DataFrame:
        """One row per study (newest change first), optionally of one ``status`` or whose label,
        record name or reviewer holds ``text`` (case-insensitive)."""
        q = select(study.c.id, study.c.label, study.c.record_name, study.c.duration_s, study.c.recorded_at,
                   study.c.created_at, study.c.status, study.c.reviewer, study.c.n_corrections, study.c.n_beats,
                   study.c.af_burden_pct, study.c.pvc_burden_pct, study.c.n_pauses, study.c.updated_at,
                   study.c.amendment, study.c.holder, study.c.held_until).order_by(study.c.updated_at.desc(),
                                                                                   study.c.id.desc())
        if status:
            q = q.where(study.c.status == status)
        if text:
            like = f"%{text.lower()}%"
            q = q.where(func.lower(study.c.label).like(like) | func.lower(study.c.record_name).like(like)
                        | func.lower(func.coalesce(study.c.reviewer, "")).like(like))
        with self.engine.connect() as c:
            return pd.DataFrame(c.execute(q).mappings().all(), columns=[col.name for col in q.selected_columns])

    def files(self, sid: int) -> dict[str, bytes]:
        """The record's original files {name: bytes}, each checked against its SHA-256."""
        with self.engine.connect() as c:
            rows = c.execute(select(study_file.c.name, study_file.c.sha256).where(study_file.c.study_id == sid)).all()
        try:
            return {name: self.blobs.get(digest) for name, digest in rows}
        except FileNotFoundError:
            raise StoreError(f"a file of study {sid} is missing from {self.blobs.root}") from None
        except ValueError as e:
            raise StoreError(f"study {sid}: {e}") from None

    def analysis(self, sid: int, record):
        """The study's saved analysis joined to ``record`` (read from :meth:`files`); raises
        ``SavedAnalysisError`` when it is missing or damaged (then analyse again and :meth:`keep_analysis`)."""
        return load_analysis(self.analysis_folder(sid), record)

    def keep_analysis(self, sid: int, analysis) -> None:
        """Save ``analysis`` as the study's analysis (after it had to be made again)."""
        self._write(lambda: save_analysis(analysis, self.analysis_folder(sid)))

    def keep_reviewed_analysis(self, sid: int, signature: str, analysis) -> None:
        """Save the analysis with the review's labels (``signature``: ``ecg_lstm.review.signature``
        of the review it holds), so that opening the study again shows it without relabelling."""
        folder = self.analysis_folder(sid) / "reviewed"
        self._write(lambda: save_analysis(analysis, folder))
        self._write(lambda: (folder / "signature").write_text(signature))

    def reviewed_analysis(self, sid: int, signature: str, record):
        """The analysis saved by :meth:`keep_reviewed_analysis` for this ``signature``; None when there
        is none for it (the review changed since, or it cannot be read)."""
        from ..saved_analysis import SavedAnalysisError

        folder = self.analysis_folder(sid) / "reviewed"
        try:
            if (folder / "signature").read_text() != signature:
                return None
            return load_analysis(folder, record)
        except (OSError, SavedAnalysisError):
            return None

    def review(self, sid: int) -> dict:
        """The study's review as ``ecg_lstm.review`` keeps it: corrections {sample: label}, adapted,
        and the study's version it was read at."""
        with self.engine.connect() as c:
            head = c.execute(select(study.c.adapted, study.c.version).where(study.c.id == sid)).first()
            rows = c.execute(select(correction.c.sample, correction.c.label)
                             .where(correction.c.study_id == sid)).all()
        if head is None:
            raise StoreError(f"there is no study {sid} in {shown(self.url)}")
        return {"corrections": {int(s): lab for s, lab in rows}, "history": [], "adapted": bool(head[0]),
                "loaded_from": None, "study_version": int(head[1])}

    def decisions(self, sid: int) -> dict[str, str]:
        with self.engine.connect() as c:
            return dict(c.execute(select(event_decision.c.event_id, event_decision.c.decision)
                                  .where(event_decision.c.study_id == sid)).all())

    def audit_trail(self, sid: int) -> pd.DataFrame:
        """The study's audit trail, oldest first: at, who, action, target, old, new."""
        q = select(audit.c.at, audit.c.who, audit.c.action, audit.c.target, audit.c.old, audit.c.new) \
            .where(audit.c.study_id == sid).order_by(audit.c.id)
        with self.engine.connect() as c:
            return pd.DataFrame(c.execute(q).mappings().all(), columns=["at", "who", "action", "target", "old", "new"])

    def signed_reports(self, sid: int) -> pd.DataFrame:
        q = select(signed_report.c.amendment, signed_report.c.signed_at, signed_report.c.signed_by,
                   signed_report.c.sha256, signed_report.c.size).where(signed_report.c.study_id == sid) \
            .order_by(signed_report.c.id)
        with self.engine.connect() as c:
            return pd.DataFrame(c.execute(q).mappings().all(),
                                columns=["amendment", "signed_at", "signed_by", "sha256", "size"])

    def holder(self, sid: int, row: dict | None = None) -> tuple[str, dt.datetime] | None:
        """(who, until) when someone acted on the study within :data:`HOLD_S`; else None. ``row``: the
        study's row when the caller has just read it (:meth:`get`)."""
        row = row or self.get(sid)
        until = _aware(row["held_until"])
        if row["holder"] and until and until > now():
            return row["holder"], until
        return None

    # --- deleting ------------------------------------------------------------------------------

    def delete(self, sid: int) -> None:
        """Delete the study: its rows (audit trail included), its saved analysis, and those of its
        files and signed reports that no other study uses."""
        self.get(sid)
        with self._begin() as c:
            mine = set(c.execute(select(study_file.c.sha256).where(study_file.c.study_id == sid)).scalars()) | \
                set(c.execute(select(signed_report.c.sha256).where(signed_report.c.study_id == sid)).scalars())
            for table in (audit, correction, event_decision, study_file, signed_report):
                c.execute(delete(table).where(table.c.study_id == sid))
            c.execute(delete(study).where(study.c.id == sid))
            used = set(c.execute(select(study_file.c.sha256).where(study_file.c.sha256.in_(mine))).scalars()) | \
                set(c.execute(select(signed_report.c.sha256).where(signed_report.c.sha256.in_(mine))).scalars()) \
                if mine else set()
        for digest in mine - used:
            self.blobs.remove(digest)
        shutil.rmtree(self.analysis_folder(sid), ignore_errors=True)

    def count(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(study)).scalar())


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes: they were written in UTC."""
    if t is None or t.tzinfo is not None:
        return t
    return t.replace(tzinfo=dt.timezone.utc)

