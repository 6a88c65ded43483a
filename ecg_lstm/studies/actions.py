"""What a reviewer does to a study, each action saved as it is made, with its audit entry.

One action is one transaction: the change, the study's new version, summary and holder,
and the audit entry (who, when, what, the old and the new value) are written together or
not at all. A failure (disk full, the server gone) raises :class:`~.db.StoreError` saying
the action was not saved; the state saved before it is intact.

A change to a signed study opens an amendment: the signed report stays stored with its
hash, the study goes back to "in review", and the next report says that it amends it.
"""
from __future__ import annotations

import contextlib
import datetime as dt

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from .blobs import sha256
from .db import StoreError
from .tables import STATUSES, audit, correction, event_decision, signed_report, study

#: Samples named one by one in an audit entry; a larger change is kept as counts per label.
AUDIT_SAMPLES = 100_000
DECISIONS = ("accepted", "rejected")
#: Seconds a study counts as held by whoever acted on it last.
HOLD_S = 15 * 60


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _by_label(values: dict[int, str | None]) -> dict[str, list[int]]:
    """{sample: label or None} as {label ("" for none): [samples]}: compact in the audit trail."""
    out: dict[str, list[int]] = {}
    for s, lab in sorted(values.items()):
        out.setdefault(lab or "", []).append(int(s))
    return out


class Actions:
    """The actions of :class:`~.store.StudyStore` (its ``engine``, ``blobs`` and ``url``)."""

    @contextlib.contextmanager
    def _begin(self):
        """One transaction; a database or disk failure becomes a StoreError ("not saved")."""
        try:
            with self.engine.begin() as c:
                yield c
        except DBAPIError as e:
            first = (str(e.orig).strip().splitlines() or [type(e.orig).__name__])[0]
            raise StoreError(f"the change was not saved ({first}); the study is as it was before it") from None

    def _write(self, fn):
        """A file write for the store; a full or read-only disk becomes a StoreError."""
        try:
            return fn()
        except OSError as e:
            raise StoreError(f"the study's files could not be written ({e.strerror or e}); nothing was "
                             "changed") from None

    @staticmethod
    def _audit(c, sid: int, who: str, action: str, target: str, old, new) -> None:
        c.execute(insert(audit).values(study_id=sid, at=now(), who=(who or "unnamed")[:200], action=action[:40],
                                       target=target, old=old, new=new))

    def _touch(self, c, sid: int, who: str, **values) -> dict:
        """The study's row before the action, then its version, time, reviewer and holder updated.
        A signed study opens an amendment first (audited)."""
        row = c.execute(select(study).where(study.c.id == sid).with_for_update()).mappings().first()
        if row is None:
            raise StoreError(f"study {sid} is no longer in the store (deleted?); the change was not saved")
        t = now()
        if row["status"] == "signed" and values.get("status") != "signed":
            values["amendment"] = row["amendment"] + 1
            values.setdefault("status", "in review")
            self._audit(c, sid, who, "amendment opened", f"amendment {values['amendment']}",
                        {"status": "signed"}, {"status": values["status"]})
        elif row["status"] == "new" and "status" not in values:
            values["status"] = "in review"
        c.execute(update(study).where(study.c.id == sid).values(
            version=row["version"] + 1, updated_at=t, reviewer=(who or row["reviewer"]),
            holder=who, held_until=t + dt.timedelta(seconds=HOLD_S), **values))
        return dict(row)

    def save_review(self, sid: int, who: str, action: str, before: tuple[dict, bool], after: tuple[dict, bool],
                    *, target: str = "", summary: dict | None = None) -> int:
        """Save a change of the review: ``before`` and ``after`` are (corrections {sample: label},
        adapted) around it (``ecg_lstm.review``'s dicts). Only the beats that differ are written.
        ``summary`` (:func:`~.store.summary_of` the analysis with the new labels) keeps the worklist
        current. Returns the study's new version."""
        (old, old_adapted), (new, new_adapted) = before, after
        changed = {s for s in old.keys() | new.keys() if old.get(s) != new.get(s)}
        if not changed and old_adapted == new_adapted:
            return self.version(sid)
        put = [{"study_id": sid, "sample": int(s), "label": new[s]} for s in changed if s in new]
        # A template relabel on 24 h changes some 100,000 beats: beyond AUDIT_SAMPLES the audit keeps counts.
        detail = {"beats": len(changed)} if len(changed) > AUDIT_SAMPLES else None
        with self._begin() as c:
            self._touch(c, sid, who, adapted=bool(new_adapted), n_corrections=len(new), **(summary or {}))
            # Delete then insert: the one upsert that SQLite and PostgreSQL write alike.
            for chunk in _chunks(sorted(changed), 20_000):
                c.execute(delete(correction).where(correction.c.study_id == sid).where(correction.c.sample.in_(chunk)))
            if put:
                c.execute(insert(correction), put)
            old_v = detail or {"labels": _by_label({s: old.get(s) for s in changed}), "adapted": bool(old_adapted)}
            new_v = detail or {"labels": _by_label({s: new.get(s) for s in changed}), "adapted": bool(new_adapted)}
            self._audit(c, sid, who, action, target or f"{len(changed):,} beats", old_v, new_v)
        return self.version(sid)

    def decide_event(self, sid: int, who: str, event_id: str, decision: str, *, target: str = "") -> None:
        """Accept or reject an event (``decision`` "" takes the decision back)."""
        if decision and decision not in DECISIONS:
            raise ValueError(f"an event decision is one of {DECISIONS} or '' (none), not {decision!r}")
        with self._begin() as c:
            self._touch(c, sid, who)
            old = c.execute(select(event_decision.c.decision).where(event_decision.c.study_id == sid)
                            .where(event_decision.c.event_id == event_id)).scalar()
            c.execute(delete(event_decision).where(event_decision.c.study_id == sid)
                      .where(event_decision.c.event_id == event_id))
            if decision:
                c.execute(insert(event_decision).values(study_id=sid, event_id=event_id, decision=decision))
            self._audit(c, sid, who, "event " + (decision or "decision undone"), target or event_id, old,
                        decision or None)

    def set_fields(self, sid: int, who: str, fields: dict[str, str]) -> None:
        """Set report fields (patient, reviewer, comments: short text); only those that change are audited."""
        with self._begin() as c:
            row = self._touch(c, sid, who)
            have = dict(row["report_fields"] or {})
            changed = {k: str(v) for k, v in fields.items() if str(v) != have.get(k, "")}
            if not changed:
                return
            c.execute(update(study).where(study.c.id == sid).values(report_fields={**have, **changed}))
            self._audit(c, sid, who, "report fields", ", ".join(sorted(changed)),
                        {k: have.get(k, "") for k in changed}, changed)

    def set_label(self, sid: int, who: str, label: str) -> None:
        """Rename the study (its label in the worklist: the user's choice, e.g. a ward and a bed)."""
        label = " ".join(str(label).split())[:200]
        if not label:
            raise StoreError("a study's label cannot be empty")
        with self._begin() as c:
            row = self._touch(c, sid, who, label=label)
            if row["label"] != label:
                self._audit(c, sid, who, "label", label, row["label"], label)

    def set_status(self, sid: int, who: str, status: str) -> None:
        """Set the status ("new", "in review", "reviewed"); "signed" only through :meth:`sign`."""
        if status not in STATUSES or status == "signed":
            raise ValueError(f"a status is one of {', '.join(STATUSES[:3])} (sign with sign()), not {status!r}")
        with self._begin() as c:
            row = self._touch(c, sid, who, status=status)
            self._audit(c, sid, who, "status", status, row["status"], status)

    def sign(self, sid: int, who: str, pdf: bytes) -> str:
        """Sign the study: its report (``pdf``) stored with its SHA-256, the status "signed", audited.
        A later change opens an amendment. Returns the report's SHA-256."""
        if not who or not who.strip():
            raise StoreError("a signature needs the signer's name")
        digest = self._write(lambda: self.blobs.put(pdf))
        with self._begin() as c:
            row = self._touch(c, sid, who, status="signed")
            c.execute(insert(signed_report).values(study_id=sid, amendment=row["amendment"], signed_at=now(),
                                                   signed_by=who[:200], sha256=digest, size=len(pdf)))
            self._audit(c, sid, who, "signed", f"report, amendment {row['amendment']}" if row["amendment"]
                        else "report", row["status"], {"sha256": digest})
        assert sha256(pdf) == digest
        return digest

    def signed_pdf(self, digest: str) -> bytes:
        return self.blobs.get(digest)


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]
