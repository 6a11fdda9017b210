"""Shared fixtures: settings in a temporary data dir, a migrated database per test, a CLI runner.

Database tests run on SQLite always and on PostgreSQL when ``FUNDMATCH_TEST_POSTGRES_URL`` names a
database that the tests may wipe (CI creates a fresh one per run).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from fundmatch import db, users
from fundmatch.cli import cli
from fundmatch.config import Settings
from fundmatch.models import Base

FILES = Path(__file__).parent / "files"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
POSTGRES_ENV = "FUNDMATCH_TEST_POSTGRES_URL"


PRODUCT_PASSWORD_METHOD = users.PASSWORD_METHOD


@pytest.fixture(autouse=True)
def cheap_password_hash(monkeypatch):
    """scrypt costs ~50 ms a hash; tests create hundreds of users. The product keeps scrypt."""
    monkeypatch.setattr(users, "PASSWORD_METHOD", "pbkdf2:sha256:1000")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.create_db_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests skipped: set {POSTGRES_ENV} to a database the tests may wipe")
    engine = db.create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    db.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, sqlite_template) -> str:
    if request.param == "sqlite":
        path = tmp_path / "fundmatch.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = db.create_db_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def database(settings):
    database = db.Database(settings)
    yield database
    database.dispose()


@pytest.fixture
def session(database):
    with database.session() as session:
        yield session


@pytest.fixture
def make_app():
    """``create_app`` for a test; the app's connection pool is closed when the test ends."""
    from fundmatch.web import create_app

    made = []

    def make(settings: Settings, **options):
        made.append(create_app(settings, **options))
        return made[-1]

    yield make
    for app in made:
        app.extensions["fundmatch.database"].dispose()


@pytest.fixture
def run_cli(settings):
    """Invoke the CLI against the test database; returns the click Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | bytes | None = None):
        return runner.invoke(
            cli,
            ["--database-url", settings.database_url, "--data-dir", str(settings.data_dir), *args],
            input=input,
            catch_exceptions=False,
        )

    return invoke


@pytest.fixture
def fixture_server():
    from tests.fixture_server import FixtureServer

    with FixtureServer() as server:
        yield server
