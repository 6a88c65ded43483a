"""Sign-off and who holds a study: signed reports, the amendment count, the holder.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("study") as batch:
        batch.add_column(sa.Column("amendment", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("holder", sa.String(200)))
        batch.add_column(sa.Column("held_until", sa.DateTime(timezone=True)))
    op.create_table(
        "signed_report",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("study.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("amendment", sa.Integer, nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_by", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signed_report")
    with op.batch_alter_table("study") as batch:
        for name in ("held_until", "holder", "amendment"):
            batch.drop_column(name)
