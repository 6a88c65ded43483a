"""The study store's tables (SQLAlchemy Core), as the newest migration leaves them.

The migrations (``migrations/versions``) create and change these tables; this module
describes them for the queries. A test checks that the two agree (``alembic check``).

- ``study``: one row per study: its label, the record's facts, the summary the worklist
  shows (kept current as the labels change), status, reviewer, version (one more per saved
  action: a page that holds an older one reloads), who holds it and until when;
- ``study_file``: the record's original files, by name and SHA-256 (the bytes live outside
  the database, content-addressed: see :mod:`.blobs`);
- ``correction``: the reviewed beats (sample number, label);
- ``event_decision``: the reviewer's accept or reject per event;
- ``audit``: every action with who, when, the old and the new value; only ever appended;
- ``signed_report``: each signed report (PDF) by its SHA-256, with who signed it and when.
"""
from __future__ import annotations

from sqlalchemy import (
                        JSON,
                        BigInteger,
                        Boolean,
                        Column,
                        DateTime,
                        Float,
                        ForeignKey,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
)

metadata = MetaData()

#: The statuses a study goes through, in order.
STATUSES = ("new", "in review", "reviewed", "signed")

study = Table(
    "study", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("label", String(200), nullable=False),
    # Hash of the record's files and the analysis options: the same record opened again is the same study.
    Column("manifest", String(64), nullable=False, index=True),
    Column("source", String(20), nullable=False),
    Column("options", JSON, nullable=False),
    Column("record_name", String(200), nullable=False),
    Column("fs_hz", Float, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("n_leads", Integer, nullable=False),
    Column("recorded_at", String(40)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reviewer", String(200)),
    Column("version", Integer, nullable=False),
    Column("adapted", Boolean, nullable=False),
    Column("n_beats", Integer, nullable=False),
    Column("n_corrections", Integer, nullable=False),
    Column("af_burden_pct", Float),
    Column("pvc_burden_pct", Float),
    Column("n_pauses", Integer),
    Column("report_fields", JSON, nullable=False),
    # Added by the second migration: sign-off and who holds the study.
    Column("amendment", Integer, nullable=False, server_default="0"),
    Column("holder", String(200)),
    Column("held_until", DateTime(timezone=True)),
)

study_file = Table(
    "study_file", metadata,
    Column("study_id", Integer, ForeignKey("study.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
)

correction = Table(
    "correction", metadata,
    Column("study_id", Integer, ForeignKey("study.id", ondelete="CASCADE"), primary_key=True),
    Column("sample", BigInteger, primary_key=True),
    Column("label", String(1), nullable=False),
)

event_decision = Table(
    "event_decision", metadata,
    Column("study_id", Integer, ForeignKey("study.id", ondelete="CASCADE"), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("decision", String(10), nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", Integer, ForeignKey("study.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", Text, nullable=False),
    Column("old", JSON),
    Column("new", JSON),
    Index("ix_audit_study", "study_id", "id"),
)

signed_report = Table(
    "signed_report", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", Integer, ForeignKey("study.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("amendment", Integer, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("signed_by", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
)
