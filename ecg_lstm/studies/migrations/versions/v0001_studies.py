"""The first schema: studies, their files, corrections, event decisions and the audit trail.

Revision ID: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "study",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("manifest", sa.String(64), nullable=False, index=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("record_name", sa.String(200), nullable=False),
        sa.Column("fs_hz", sa.Float, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("n_leads", sa.Integer, nullable=False),
        sa.Column("recorded_at", sa.String(40)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reviewer", sa.String(200)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("adapted", sa.Boolean, nullable=False),
        sa.Column("n_beats", sa.Integer, nullable=False),
        sa.Column("n_corrections", sa.Integer, nullable=False),
        sa.Column("af_burden_pct", sa.Float),
        sa.Column("pvc_burden_pct", sa.Float),
        sa.Column("n_pauses", sa.Integer),
        sa.Column("report_fields", sa.JSON, nullable=False),
    )
    op.create_table(
        "study_file",
        sa.Column("study_id", sa.Integer, sa.ForeignKey("study.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "correction",
        sa.Column("study_id", sa.Integer, sa.ForeignKey("study.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("sample", sa.BigInteger, primary_key=True),
        sa.Column("label", sa.String(1), nullable=False),
    )
    op.create_table(
        "event_decision",
        sa.Column("study_id", sa.Integer, sa.ForeignKey("study.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("decision", sa.String(10), nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("study.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("old", sa.JSON),
        sa.Column("new", sa.JSON),
    )
    op.create_index("ix_audit_study", "audit", ["study_id", "id"])


def downgrade() -> None:
    for name in ("audit", "event_decision", "correction", "study_file", "study"):
        op.drop_table(name)
