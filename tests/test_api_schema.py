"""Schemathesis against the OpenAPI document: no server error, no response outside the schema.

The app under test has its own SQLite database (created when the module is collected), with one
program, one municipality with strategy and measure, and a token user.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from fundmatch import catalogue, db, municipalities, users
from fundmatch.config import Settings
from fundmatch.web import create_app
from fundmatch.web.api import openapi_document as document
from tests.test_catalogue import record


def _app_and_token():
    folder = Path(tempfile.mkdtemp(prefix="fundmatch-schema-"))
    config = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'schema.sqlite3'}", secret_key="schema-test")
    database = db.Database(config)
    with database.session() as session:
        catalogue.apply_records(session, [record("gigabit", title="Gigabitförderung Bayern", rolling=True)])
        token = users.issue_api_token(
            session, users.create_user(session, "script", "ein-langes-passwort", "consultant")
        )
        town = municipalities.save_municipality(session, {"name": "Musterstadt", "land": "BY"})
        strategy = municipalities.save_strategy(session, town, {"title": "Strategie"})
        municipalities.save_measure(session, strategy, {"title": "Glasfaser für Schulen"})
    database.dispose()
    app = create_app(config, testing=True)

    def clean_up() -> None:
        app.extensions["fundmatch.database"].dispose()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(clean_up)
    return app, token


pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FUNDMATCH_SCHEMATHESIS_EXAMPLES", "30"))  # more for a deeper probe
APP, TOKEN = _app_and_token()
schema = schemathesis.openapi.from_dict(document())
schema.app = APP


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case):
    """No server error; status codes, content types, headers and bodies as documented.

    Not checked: whether every request the schema allows is accepted (the server also validates across
    fields, e.g. AGS against Land) and whether every request it does not describe is refused (unknown
    query parameters are ignored, as HTTP APIs usually do). Both are request policies, not schema
    violations of the responses."""
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"},
        excluded_checks=[checks.positive_data_acceptance, checks.negative_data_rejection],
    )
