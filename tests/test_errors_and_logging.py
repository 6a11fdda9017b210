"""Expected errors end cleanly at every edge; bugs are logged with their traceback; logs carry no secrets."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from fundmatch import catalogue, logs, refresh, users
from fundmatch.errors import ConfigurationError, FundmatchError
from tests.test_web import PASSWORD, Browser


@pytest.fixture
def captured(monkeypatch, capsys):
    """The ``fundmatch`` logger writing JSON lines to the captured stderr; returns a reader of the events."""
    monkeypatch.setenv("FUNDMATCH_LOG_FORMAT", "json")
    monkeypatch.setenv("FUNDMATCH_LOG_LEVEL", "INFO")
    logs.configure()

    def events() -> list[dict]:
        lines = capsys.readouterr().err.splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    yield events
    monkeypatch.delenv("FUNDMATCH_LOG_FORMAT")
    logs.configure()


@pytest.fixture
def web(settings, database, monkeypatch, make_app):
    with database.session() as session:
        token = users.issue_api_token(session, users.create_user(session, "berater", PASSWORD, "admin"))
    monkeypatch.setenv("FUNDMATCH_LOG_FORMAT", "json")
    return make_app(replace(settings, secret_key="test-secret"), testing=True), token


def test_every_expected_error_is_one_family():
    from fundmatch.db import DatabaseNotReady
    from fundmatch.drafting.render import TemplateProblem
    from fundmatch.interchange import InterchangeError
    from fundmatch.matching.ranker import EmptyCatalogueError, MeasureTextError
    from fundmatch.measure_import import MeasureImportError
    from fundmatch.scrapers.base import ParseError
    from fundmatch.scrapers.http import FetchError

    for error in (
        DatabaseNotReady,
        TemplateProblem,
        InterchangeError,
        EmptyCatalogueError,
        MeasureTextError,
        MeasureImportError,
        ParseError,
        FetchError,
        refresh.RefreshLocked,
    ):
        assert issubclass(error, FundmatchError) and not issubclass(error, ValueError), error


def test_a_request_is_one_json_line_without_secrets(web, captured):
    app, token = web
    client = app.test_client()
    assert client.get("/api/v1/programs?q=geheim", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    Browser(app, "berater")
    events = captured()
    request = next(e for e in events if e.get("path") == "/api/v1/programs")
    assert request["method"] == "GET" and request["status"] == 200 and request["user_id"] == 1
    assert request["level"] == "INFO" and isinstance(request["ms"], float)
    logins = [e for e in events if e.get("path") == "/login" and e["method"] == "POST"]
    assert logins and logins[0]["status"] == 302
    everything = json.dumps(events)
    assert token not in everything and PASSWORD not in everything and "geheim" not in everything


def test_a_bug_in_a_view_is_a_logged_server_error_not_a_tidy_400(web, captured):
    app, token = web
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise KeyError("kaputt")

    app.add_url_rule("/api/v1/kaputt", "broken", broken)
    response = app.test_client().get("/api/v1/kaputt", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500
    errors = [e for e in captured() if e["level"] == "ERROR"]
    assert errors and "KeyError: 'kaputt'" in errors[0]["exc_info"]


def test_an_expected_error_keeps_its_status_and_german_message(web):
    app, token = web
    response = app.test_client().get("/api/v1/programs?sort=zufall", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.get_json()["errors"]["sort"].startswith("unbekannter Code 'zufall'")


def test_cli_bug_exits_2_with_its_traceback_expected_error_exits_1(run_cli, monkeypatch, capsys):
    def broken(_session):
        raise ZeroDivisionError("durch null")

    monkeypatch.setattr(catalogue, "stats", broken)
    result = run_cli("catalogue", "stats")
    assert result.exit_code == 2
    assert "Interner Fehler" in result.stderr and "ZeroDivisionError: durch null" in result.stderr
    monkeypatch.setattr(catalogue, "stats", lambda _session: (_ for _ in ()).throw(ConfigurationError("X fehlt")))
    expected = run_cli("catalogue", "stats")
    assert expected.exit_code == 1 and expected.stderr.strip() == "Error: X fehlt"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FUNDMATCH_LOG_LEVEL", "laut", "FUNDMATCH_LOG_LEVEL muss einer von DEBUG, INFO, WARNING, ERROR sein"),
        ("FUNDMATCH_LOG_FORMAT", "xml", "FUNDMATCH_LOG_FORMAT muss text oder json sein"),
        ("FUNDMATCH_MAX_IMPORT_MB", "abc", "FUNDMATCH_MAX_IMPORT_MB muss eine ganze Zahl von 1 bis 4096 sein"),
        ("FUNDMATCH_HTTP_TIMEOUT", "lang", "FUNDMATCH_HTTP_TIMEOUT muss eine Zahl von Sekunden sein"),
        ("FUNDMATCH_SOURCE_DEADLINE", "-5", "FUNDMATCH_SOURCE_DEADLINE muss eine Zahl von Sekunden sein"),
        ("FUNDMATCH_SOURCE_MAX_MB", "viel", "FUNDMATCH_SOURCE_MAX_MB muss eine ganze Zahl von 1 bis 100000 sein"),
        ("FUNDMATCH_REVIEW_SHARE", "5 %", "FUNDMATCH_REVIEW_SHARE muss ein Anteil über 0 bis 1 sein"),
        ("FUNDMATCH_REVIEW_SHARE", "0,05", "FUNDMATCH_REVIEW_SHARE muss ein Anteil über 0 bis 1 sein"),
        ("FUNDMATCH_REVIEW_MINIMUM", "0", "FUNDMATCH_REVIEW_MINIMUM muss eine ganze Zahl von 1 bis 1000000 sein"),
        ("FUNDMATCH_REFRESH_LOCK_STALE", "nan", "FUNDMATCH_REFRESH_LOCK_STALE muss eine Zahl von Sekunden sein"),
    ],
)
def test_bad_settings_are_named_not_tracebacks(run_cli, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    result = run_cli("catalogue", "stats")
    assert result.exit_code == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_import_logs_one_line_with_its_counts(run_cli, tmp_path, monkeypatch):
    from tests.builders import document, program

    monkeypatch.setenv("FUNDMATCH_LOG_FORMAT", "json")
    monkeypatch.setenv("FUNDMATCH_LOG_LEVEL", "INFO")
    path = tmp_path / "katalog.json"
    path.write_text(json.dumps(document(program(), program(source_id="b"))))
    result = run_cli("catalogue", "import", str(path))
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (line,) = [e for e in events if e["logger"] == "fundmatch.catalogue"]
    assert (line["programs"], line["new"], line["changed"], line["unchanged"]) == (2, 2, 0, 0)


def test_plain_log_lines_name_their_fields(monkeypatch, capsys):
    monkeypatch.setenv("FUNDMATCH_LOG_FORMAT", "text")
    logs.configure("INFO")
    logging.getLogger("fundmatch.refresh").info("Quelle x: Lauf 3 ok", extra={"source": "x", "new": 2})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.endswith("INFO fundmatch.refresh Quelle x: Lauf 3 ok source=x new=2")


def test_refresh_settings_are_read_from_the_environment(monkeypatch):
    from fundmatch.config import load_settings

    for name, value in {
        "SOURCE_DEADLINE": "600",
        "SOURCE_MAX_MB": "64",
        "REVIEW_SHARE": "0.2",
        "REVIEW_MINIMUM": "3",
        "REFRESH_LOCK_STALE": "30",
    }.items():
        monkeypatch.setenv(f"FUNDMATCH_{name}", value)
    settings = load_settings(database_url="sqlite://", data_dir="/tmp/unused")
    assert (settings.source_deadline_s, settings.source_max_mb) == (600.0, 64)
    assert (settings.review_share, settings.review_minimum, settings.refresh_lock_stale_s) == (0.2, 3, 30.0)
