"""Programs: all contacts, documents, rate conditions, status note, dated facts, identity and misses

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 04:00:00

``contact`` (one) becomes ``contacts`` (a list) and ``funding_rate_financially_weak`` a rate
condition; the data is carried over. ``last_seen`` may be empty: curated programs are not seen by a
source run.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

program = sa.table(
    "program",
    sa.column("id", sa.Integer()),
    sa.column("contact", sa.JSON()),
    sa.column("contacts", sa.JSON()),
    sa.column("funding_rate_financially_weak", sa.Float()),
    sa.column("rate_conditions", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("program") as table:
        table.add_column(sa.Column("rate_conditions", sa.JSON(), nullable=True))
        table.add_column(sa.Column("status_note", sa.Text(), nullable=True))
        table.add_column(sa.Column("contacts", sa.JSON(), nullable=True))
        table.add_column(sa.Column("documents", sa.JSON(), nullable=True))
        table.add_column(sa.Column("facts_as_of", sa.Date(), nullable=True))
        table.add_column(sa.Column("review_due", sa.Date(), nullable=True))
        table.add_column(sa.Column("same_as", sa.JSON(), nullable=True))
        table.add_column(sa.Column("parent", sa.String(length=600), nullable=True))
        table.add_column(sa.Column("missed_runs", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("canonical_id", sa.Integer(), nullable=True))
        table.create_foreign_key("fk_program_canonical", "program", ["canonical_id"], ["id"], ondelete="SET NULL")
        table.alter_column("last_seen", existing_type=sa.DateTime(timezone=True), nullable=True)
    connection = op.get_bind()
    rows = connection.execute(sa.select(program.c.id, program.c.contact, program.c.funding_rate_financially_weak))
    for program_id, contact, weak in rows.all():
        connection.execute(
            program.update()
            .where(program.c.id == program_id)
            .values(
                contacts=[contact] if contact else [],
                rate_conditions=[{"condition": "finanzschwache_kommune", "rate": weak}] if weak is not None else [],
            )
        )
    with op.batch_alter_table("program") as table:
        table.alter_column("rate_conditions", existing_type=sa.JSON(), nullable=False)
        table.alter_column("contacts", existing_type=sa.JSON(), nullable=False)
        table.drop_column("contact")
        table.drop_column("funding_rate_financially_weak")
    op.execute("UPDATE program SET documents = '[]', same_as = '[]'")
    with op.batch_alter_table("program") as table:
        table.alter_column("documents", existing_type=sa.JSON(), nullable=False)
        table.alter_column("same_as", existing_type=sa.JSON(), nullable=False)
    op.create_table(
        "program_link",
        sa.Column("key_a", sa.String(length=600), nullable=False),
        sa.Column("key_b", sa.String(length=600), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_a", "key_b"),
    )


def downgrade() -> None:
    op.drop_table("program_link")
    with op.batch_alter_table("program") as table:
        table.add_column(sa.Column("contact", sa.JSON(), nullable=True))
        table.add_column(sa.Column("funding_rate_financially_weak", sa.Float(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(program.c.id, program.c.contacts, program.c.rate_conditions))
    for program_id, contacts, conditions in rows.all():
        weak = next((c.get("rate") for c in conditions or [] if c.get("condition") == "finanzschwache_kommune"), None)
        connection.execute(
            program.update()
            .where(program.c.id == program_id)
            .values(contact=contacts[0] if contacts else None, funding_rate_financially_weak=weak)
        )
    op.execute("UPDATE program SET last_seen = first_seen WHERE last_seen IS NULL")
    with op.batch_alter_table("program") as table:
        table.alter_column("last_seen", existing_type=sa.DateTime(timezone=True), nullable=False)
        table.drop_constraint("fk_program_canonical", type_="foreignkey")
        for name in (
            "canonical_id",
            "missed_runs",
            "parent",
            "same_as",
            "review_due",
            "facts_as_of",
            "documents",
            "contacts",
            "status_note",
            "rate_conditions",
        ):
            table.drop_column(name)
