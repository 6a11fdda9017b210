"""Schemathesis against the OpenAPI document: no server error, no response outside the schema.

Runs on SQLite always and on PostgreSQL when ``FUNDMATCH_TEST_POSTGRES_URL`` names a database the tests
may wipe (skipped otherwise): PostgreSQL refuses values that SQLite takes (ids of 2**31 and more, NUL
bytes in text), so some server errors show on it alone. Schemathesis needs the app when it collects the
tests (it reads literals from the app's code to generate with), so each database's app is made when the
module is imported, on an empty SQLite file or on the PostgreSQL database brought to the newest schema.
A module fixture per database then seeds it alike: one program, one municipality with strategy and
measure, and a token user.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import checks
from sqlalchemy import text

from fundmatch import catalogue, db, municipalities, users
from fundmatch.config import Settings
from fundmatch.models import Base
from fundmatch.web import create_app
from fundmatch.web.api import openapi_document as document
from tests.test_catalogue import record

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FUNDMATCH_SCHEMATHESIS_EXAMPLES", "30"))  # more for a deeper probe
POSTGRES_URL = os.environ.get("FUNDMATCH_TEST_POSTGRES_URL")  # as in conftest


def _app(database: str) -> Flask:
    """The app on ``database`` ("sqlite" or a PostgreSQL URL), with a data dir removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="fundmatch-schema-"))
    if database == "sqlite":
        url = f"sqlite:///{folder / 'schema.sqlite3'}"  # migrates itself on first use
    else:
        url = database
        engine = db.create_db_engine(url)
        db.upgrade(engine)  # the app refuses an unmigrated server database
        engine.dispose()
    app = create_app(Settings(data_dir=folder, database_url=url, secret_key="schema-test"), testing=True)

    def clean_up() -> None:
        app.extensions["fundmatch.database"].dispose()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(clean_up)
    return app


def _schema(app: Flask | None):
    schema = schemathesis.openapi.from_dict(document())
    schema.app = app
    return schema


ON_SQLITE = _schema(_app("sqlite"))
ON_POSTGRES = _schema(_app(POSTGRES_URL) if POSTGRES_URL else None)  # without an app, its tests skip


def _seed(app: Flask) -> str:
    """Seed the app's database; returns a bearer token."""
    with app.extensions["fundmatch.database"].session() as session:
        catalogue.apply_records(session, [record("gigabit", title="Gigabitförderung Bayern", rolling=True)])
        token = users.issue_api_token(
            session, users.create_user(session, "script", "ein-langes-passwort", "consultant")
        )
        town = municipalities.save_municipality(session, {"name": "Musterstadt", "land": "BY"})
        strategy = municipalities.save_strategy(session, town, {"title": "Strategie"})
        municipalities.save_measure(session, strategy, {"title": "Glasfaser für Schulen"})
    return token


@pytest.fixture(scope="module")
def sqlite_token() -> str:
    return _seed(ON_SQLITE.app)


@pytest.fixture(scope="module")
def postgres_token(postgres_url) -> str:
    """``postgres_url`` (conftest) skips without the variable and wipes and migrates the database once a
    session; other tests leave rows behind, so the tables are emptied first, as conftest does."""
    engine = db.create_db_engine(postgres_url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return _seed(ON_POSTGRES.app)


def _conforms(case, token: str) -> None:
    """No server error; status codes, content types, headers and bodies as documented.

    Not checked: whether every request the schema allows is accepted (the server also validates across
    fields, e.g. AGS against Land) and whether every request it does not describe is refused (unknown
    query parameters are ignored, as HTTP APIs usually do). Both are request policies, not schema
    violations of the responses."""
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=[checks.positive_data_acceptance, checks.negative_data_rejection],
    )


@ON_SQLITE.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document_on_sqlite(case, sqlite_token):
    _conforms(case, sqlite_token)


@pytest.mark.postgres
@ON_POSTGRES.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document_on_postgresql(case, postgres_token):
    _conforms(case, postgres_token)
