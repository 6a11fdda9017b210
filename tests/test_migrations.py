"""The Alembic migrations build exactly the schema the models declare (what `alembic check` checks)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from fundmatch.models import Base


def test_migrations_match_the_models(database):
    database.ensure_ready()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
