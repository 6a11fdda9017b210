"""Quellen: sources with their runs and warnings; admins start a refresh that runs in the background and
decide on runs held for review."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from flask import Blueprint, current_app, flash, redirect, render_template, url_for

from fundmatch import refresh, review, sources
from fundmatch.errors import FundmatchError
from fundmatch.web import get_session
from fundmatch.web.security import role_required, signed_in_user

bp = Blueprint("sources", __name__, url_prefix="/quellen")
log = logging.getLogger(__name__)


@dataclass
class RefreshJob:
    """A refresh running in a thread of this process, with its log lines for the progress view."""

    lines: list[str] = field(default_factory=list)
    done: bool = False
    error: str | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def _job() -> RefreshJob | None:
    return current_app.extensions.get("fundmatch.refresh_job")


def start_refresh(app) -> RefreshJob:
    job = RefreshJob()
    database = app.extensions["fundmatch.database"]
    settings = app.extensions["fundmatch.settings"]

    def work() -> None:
        try:
            reports = refresh.refresh(database, settings, log=job.lines.append)
        except FundmatchError as exc:
            job.error = str(exc)
        except Exception:
            log.exception("Aktualisierung im Hintergrund abgebrochen")
            job.error = "Die Aktualisierung ist mit einem internen Fehler abgebrochen (Einzelheiten im Protokoll)."
        else:
            failed = [r.source for r in reports if r.status == "failed"]
            held = [r.source for r in reports if r.status == review.HELD]
            problems = []
            if failed:
                problems.append(f"Fehlgeschlagen: {', '.join(failed)}")
            if held:
                problems.append(f"Zur Prüfung angehalten: {', '.join(held)}")
            if problems:
                job.error = "; ".join(problems) + " (Einzelheiten in der Liste der Läufe)."
        finally:
            job.done = True

    job.thread = threading.Thread(target=work, name="fundmatch-refresh", daemon=True)
    app.extensions["fundmatch.refresh_job"] = job
    job.thread.start()
    return job


@bp.route("/")
def index():
    return render_template("sources.html", sources=sources.overview(get_session(), runs=5), job=_job())


@bp.route("/aktualisieren", methods=["POST"])
@role_required("admin")
def start():
    job = _job()
    if job is not None and job.running:
        flash("Eine Aktualisierung läuft bereits.", "info")
    else:
        start_refresh(current_app._get_current_object())
        flash("Aktualisierung gestartet.", "success")
    return redirect(url_for("sources.index"))


@bp.route("/status")
def status():
    return render_template("_refresh_status.html", job=_job())


@bp.route("/laeufe/<int:run_id>/uebernehmen", methods=["POST"])
@role_required("admin")
def confirm(run_id: int):
    database, settings = current_app.extensions["fundmatch.database"], current_app.extensions["fundmatch.settings"]
    report = refresh.confirm_run(database, settings, run_id, signed_in_user().username)
    flash(
        f"Lauf #{run_id} übernommen: {report.new} neu, {report.changed} geändert, {report.withdrawn} zurückgezogen.",
        "success",
    )
    return redirect(url_for("sources.index"))


@bp.route("/laeufe/<int:run_id>/verwerfen", methods=["POST"])
@role_required("admin")
def reject(run_id: int):
    refresh.reject_run(current_app.extensions["fundmatch.database"], run_id, signed_in_user().username)
    flash(f"Lauf #{run_id} verworfen; der Katalog bleibt, wie er ist.", "success")
    return redirect(url_for("sources.index"))
