"""The web app for consultants. ``create_app`` is the only wiring point: config, database, blueprints.

One SQLAlchemy session per request (opened on first use, committed when the request succeeds);
pages, the JSON API and the CLI call the same services.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime

from flask import Flask, Response, g, jsonify, render_template, request
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.middleware.proxy_fix import ProxyFix

from fundmatch import db, identity, instrument, logs, vocab
from fundmatch.config import Settings, load_settings
from fundmatch.errors import ConfigurationError, FundmatchError
from fundmatch.german import format_amount, format_date, format_percent
from fundmatch.interchange import Match
from fundmatch.matching.ranker import EmptyCatalogueError
from fundmatch.models import Program
from fundmatch.scrapers.records import ProgramRecord
from fundmatch.web import security

MAX_UPLOAD_BYTES = 2_500_000
EMPTY_CATALOGUE = (
    "Der Katalog enthält noch keine Programme. Bitte den kuratierten Katalog laden („fundmatch seed“) "
    "oder einen Katalog importieren („fundmatch catalogue import“)."
)


def get_session() -> Session:
    """The request's database session."""
    if "db_session" not in g:
        from flask import current_app

        database: db.Database = current_app.extensions["fundmatch.database"]
        g.db_session = database.session_factory()
    return g.db_session


MAX_ID = 2**31
"""Ids are 32-bit integers in PostgreSQL: a larger one in a URL is no row (404), never a database error."""


def get_or_404(model, object_id: int, what: str = "Diesen Eintrag"):
    """The row with this id, or a 404 (also for ids no database column can hold)."""
    from flask import abort

    found = get_session().get(model, object_id) if 0 < object_id < MAX_ID else None
    if found is None:
        abort(404, description=f"{what} gibt es nicht (mehr).")
    return found


def _age(moment: datetime | None) -> str:
    if moment is None:
        return "unbekannt"
    days = (datetime.now(UTC) - moment).days
    if days <= 0:
        return "heute"
    return "gestern" if days == 1 else f"vor {days} Tagen"


def _facts(program: Program | ProgramRecord | Match) -> Markup:
    """ "Stand der Angaben: 01.03.2025", with a warning when the facts are over a year old."""
    day = program.facts_as_of if isinstance(program, Match) else identity.facts_date(program)
    if day is None:
        return Markup('<span class="facts stale">Stand der Angaben unbekannt – an der Quelle prüfen</span>')
    text = f"Stand der Angaben: {format_date(day)}"
    if identity.is_stale(day, date.today()):
        return Markup(
            '<span class="facts stale">{} – älter als 12 Monate, vor Antragstellung an der Quelle prüfen</span>'
        ).format(text)
    return Markup('<span class="facts">{}</span>').format(text)


def _facts_short(program: Program | ProgramRecord) -> Markup:
    """The date of the facts for a table cell: "01.03.2025", marked "prüfen" when over a year old."""
    day = identity.facts_date(program)
    if day is None:
        return Markup('<span class="facts stale">unbekannt</span>')
    if identity.is_stale(day, date.today()):
        return Markup(
            '<span class="facts stale" title="älter als 12 Monate – vor Antragstellung an der Quelle prüfen">'
            "{} · prüfen</span>"
        ).format(format_date(day))
    return Markup('<span class="facts">{}</span>').format(format_date(day))


def create_app(settings: Settings | None = None, *, testing: bool = False) -> Flask:
    settings = settings or load_settings()
    logs.configure("INFO")
    app = Flask(__name__)
    if settings.secret_key:
        key = settings.secret_key
    elif settings.is_embedded:
        key = security.secret_key(settings.data_dir)
    else:
        raise ConfigurationError("FUNDMATCH_SECRET_KEY muss gesetzt sein, wenn fundmatch eine Server-Datenbank nutzt")
    app.config.update(
        SECRET_KEY=key,
        TESTING=testing,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
    )
    if settings.behind_proxy:
        # Flask's documented way to add WSGI middleware; its stubs declare wsgi_app a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    database = db.Database(settings)
    database.ensure_ready()
    app.extensions["fundmatch.database"] = database
    app.extensions["fundmatch.settings"] = settings

    @app.teardown_appcontext
    def close_session(error: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is None:
            return
        try:
            if error is None and not getattr(g, "rollback", False):
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()

    security.init_app(app, get_session)
    app.jinja_env.filters.update(
        de_date=lambda d: format_date(d) if isinstance(d, date) else "–",
        euro=lambda v: format_amount(v) if v is not None else "–",
        percent=lambda v: format_percent(v) if v is not None else "–",
        amount_input=lambda v: format_amount(v, unit=False),
        age=_age,
        facts=_facts,
        facts_short=_facts_short,
        instrument=lambda p: instrument.summary(
            p.funding_types, p.funding_rate_min, p.funding_rate_max, p.amount_max_eur
        ),
        region=lambda c: vocab.REGION.labels.get(c, c),
        topic=lambda c: vocab.TOPIC.labels.get(c, c),
        applicant=lambda c: vocab.APPLICANT_TYPE.labels.get(c, c),
        funding_type=lambda c: vocab.FUNDING_TYPE.labels.get(c, c),
        status_label=lambda c: vocab.STATUS.labels.get(c, c),
        handlungsfeld=lambda c: vocab.HANDLUNGSFELD.labels.get(c or "", c or "–"),
        level_label=lambda c: vocab.LEVEL.labels.get(c, c),
    )
    app.jinja_env.globals["vocab"] = vocab
    app.jinja_env.globals["laender"] = {land.code: land.name for land in vocab.LAENDER}

    from fundmatch.web import api, auth, catalogue_views, dashboard, matches_views, municipalities_views, sources_views

    for blueprint in (
        auth.bp,
        dashboard.bp,
        catalogue_views.bp,
        municipalities_views.bp,
        matches_views.bp,
        sources_views.bp,
        api.bp,
    ):
        app.register_blueprint(blueprint)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _error_response(app, error, error.code or 500, str(error.description))

    @app.errorhandler(FundmatchError)
    def expected_error(error: FundmatchError):
        """A user's or operator's mistake: the German message with the status its class names."""
        message = EMPTY_CATALOGUE if isinstance(error, EmptyCatalogueError) else str(error)
        return _error_response(app, error, error.http_status, message, getattr(error, "errors", None))

    _log_requests(app)
    return app


def _error_response(
    app: Flask, error: Exception, status: int, message: str, errors: dict[str, str] | None = None
) -> Response:
    """The one error answer: JSON (``ErrorBody``) under /api/, the error page elsewhere; nothing is committed."""
    g.rollback = True
    name = HTTP_STATUS_CODES.get(status, "Error")
    if request.path.startswith("/api/"):
        body = {"error": name, "message": message, "status": status}
        if errors:
            body["errors"] = errors
        response = jsonify(body)
    else:
        response = app.make_response(render_template("error.html", code=status, name=name, message=message))
    response.status_code = status
    if isinstance(error, HTTPException):
        for header, value in error.get_response().headers.items():
            if header.lower() not in ("content-type", "content-length"):
                response.headers[header] = value
    return response


def _log_requests(app: Flask) -> None:
    """One line per request: method, path, status, duration and user id (never query strings, bodies,
    cookies or tokens, which may carry secrets)."""
    log = logging.getLogger("fundmatch.web.requests")

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        if started is not None and request.endpoint != "static":
            ms = round((time.perf_counter() - started) * 1000, 1)
            user = g.get("user")
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": ms,
                "user_id": user.id if user is not None else None,
            }
            log.info("Anfrage", extra=fields)
        return response
