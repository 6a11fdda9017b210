"""Web security in one place: login, roles, CSRF, API tokens, security headers, login rate limit.

Everything needs a login except ``/login``, ``/health`` and static files. Browsers authenticate with
the session cookie and must send the CSRF token (form field ``csrf_token`` or header ``X-CSRFToken``)
with every state-changing request; scripts authenticate with ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import wraps
from pathlib import Path

from flask import Flask, abort, current_app, g, request, session
from werkzeug.wrappers import Response

from fundmatch.models import User
from fundmatch.users import normalise_username, user_for_token

PUBLIC_ENDPOINTS = {"auth.login", "auth.health", "static"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class LoginThrottle:
    """At most ``limit`` failed logins per (address, username) in ``window`` seconds (per process)."""

    def __init__(self, limit: int = 5, window: float = 900.0):
        self.limit = limit
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] < time.monotonic() - self.window:
            failures.popleft()
        return failures

    def blocked(self, address: str, username: str) -> bool:
        with self._lock:
            return len(self._recent((address, normalise_username(username)))) >= self.limit

    def failed(self, address: str, username: str) -> None:
        with self._lock:
            self._recent((address, normalise_username(username))).append(time.monotonic())

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._failures.pop((address, normalise_username(username)), None)


def secret_key(data_dir: Path) -> str:
    """The embedded default's secret key: generated once and kept (0600) in the data dir."""
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def csrf_token() -> str:
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return session["csrf_token"]


def _check_csrf() -> None:
    sent = request.headers.get("X-CSRFToken") or request.form.get("csrf_token", "")
    expected = session.get("csrf_token", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="CSRF-Token fehlt oder ist ungültig. Bitte laden Sie die Seite neu.")


def current_user() -> User | None:
    return g.get("user")


def signed_in_user() -> User:
    """The user of a view that is not public: ``authenticate`` only lets such a request through with one."""
    user = current_user()
    if user is None:
        abort(401, description="Anmeldung erforderlich.")
    return user


def role_required(role: str) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None or user.role != role:
                abort(403, description="Diese Funktion ist Administratorinnen und Administratoren vorbehalten.")
            return view(*args, **kwargs)

        return wrapped

    return decorate


def init_app(app: Flask, get_session: Callable) -> None:
    app.extensions["login_throttle"] = LoginThrottle()

    @app.before_request
    def authenticate() -> Response | None:
        g.user = None
        g.via_token = False
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            g.user = user_for_token(get_session(), header[7:].strip())
            g.via_token = g.user is not None
            if g.user is None:
                abort(401, description="API-Token ungültig.")
        elif session.get("user_id"):
            user = get_session().get(User, session["user_id"])
            if user is not None and user.session_version == session.get("session_version"):
                g.user = user
            else:
                session.clear()  # logged out elsewhere, or the account is gone
        if request.endpoint in PUBLIC_ENDPOINTS:
            if request.method not in SAFE_METHODS:
                _check_csrf()
            return None
        if g.user is None:
            if request.path.startswith("/api/"):
                abort(401, description="Anmeldung erforderlich: Authorization: Bearer <Token>.")
            from flask import redirect, url_for

            return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
        if request.method not in SAFE_METHODS and not g.via_token:
            _check_csrf()
        return None

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if g.get("user") is not None:
            response.headers["Cache-Control"] = "no-store"  # a shared browser must not keep a client's data
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user


def login_throttle() -> LoginThrottle:
    return current_app.extensions["login_throttle"]
