"""Runs held for review keep what they would apply

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_harvest",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("records", sa.LargeBinary(), nullable=False),
        sa.Column("listed_ids", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["scrape_run.id"]),
        sa.PrimaryKeyConstraint("run_id"),
    )


def downgrade() -> None:
    op.drop_table("held_harvest")
