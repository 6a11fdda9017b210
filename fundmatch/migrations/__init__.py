"""Alembic migrations of the fundmatch schema, run through ``fundmatch.db``."""
