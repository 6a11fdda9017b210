"""The single way to reach the database: engine, session factory and migrations.

The embedded SQLite default migrates itself on first use; a PostgreSQL database is migrated with
``fundmatch db upgrade`` and refused with a clear message until then.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from fundmatch.config import Settings
from fundmatch.errors import FundmatchError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration this fundmatch ships (fundmatch/migrations/versions). Kept as a constant so that
# a database already at it is recognised without loading Alembic; a test checks it against Alembic's head.
HEAD_REVISION = "0004"


class DatabaseNotReady(FundmatchError):
    """The database schema is missing or older than this version of fundmatch."""


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("fundmatch") / "migrations"))
    config.attributes["engine"] = engine
    return config


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout, and its folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty one), read from Alembic's table with a
    plain select: loading Alembic to ask would cost every command a fifth of a second."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> str:
    """Bring the schema to the newest revision; returns it."""
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")
    return HEAD_REVISION


class Database:
    """Engine plus session factory for one database URL."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.engine = create_db_engine(settings.database_url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self._checked = False

    def ensure_ready(self) -> None:
        """Migrate the embedded default on first use; refuse an unmigrated server database."""
        if self._checked:
            return
        current = current_revision(self.engine)
        if current != HEAD_REVISION:
            if self.settings.is_embedded:
                upgrade(self.engine)
            else:
                raise DatabaseNotReady(
                    f"the database at {make_url(self.settings.database_url).render_as_string()} "
                    f"is at schema revision {current or 'none'}, this fundmatch needs "
                    f"{HEAD_REVISION}: run `fundmatch db upgrade`"
                )
        self._checked = True

    @contextmanager
    def session(self, *, commit: bool = True) -> Iterator[Session]:
        """A session for one unit of work: committed on success (unless ``commit`` is false, as for a
        dry run), rolled back on any error."""
        self.ensure_ready()
        session = self.session_factory()
        try:
            yield session
            if commit:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
