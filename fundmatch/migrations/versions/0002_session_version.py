"""Session version per user, so that logout ends every copy of a session cookie

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08 01:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as table:
        table.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as table:
        table.drop_column("session_version")
