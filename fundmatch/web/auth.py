"""Login, logout and the health check (the only pages without a login)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy import text

from fundmatch.users import authenticate, end_sessions
from fundmatch.web import get_session
from fundmatch.web.security import csrf_token, current_user, login_throttle

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths, so the login cannot send anyone to another site."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        csrf_token()
        return render_template("login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    address = request.remote_addr or "?"
    throttle = login_throttle()
    if throttle.blocked(address, username):
        return render_template(
            "login.html",
            next=request.form.get("next", ""),
            error="Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie 15 Minuten.",
        ), 429
    user = authenticate(get_session(), username, password)
    if user is None:
        throttle.failed(address, username)
        return render_template(
            "login.html", next=request.form.get("next", ""), error="Benutzername oder Passwort ist falsch."
        ), 401
    throttle.succeeded(address, username)
    session.clear()
    session["user_id"] = user.id
    session["session_version"] = user.session_version
    session.permanent = True
    csrf_token()
    flash(f"Willkommen, {user.username}.", "success")
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    user = current_user()
    if user is not None:
        end_sessions(user)
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/health")
def health():
    get_session().execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
