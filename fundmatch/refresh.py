"""Run sources into the catalogue: each run proves itself before it may replace anything.

Per source: harvest (fetch and parse) within the run's deadline and byte limit, check the count
against the source's expected range and the fill rate of its mandatory fields, let the change guard
(:mod:`fundmatch.review`) hold a run that would withdraw or rewrite too much, then apply all changes
in one transaction with revisions. A run that fails its checks is recorded as failed and the
catalogue keeps its previous state; one source's failure, even a crash, never stops the next source.
A lock row with a heartbeat keeps two refreshes from running at once; a stale lock is taken over,
and the runs its dead owner left ``running`` are closed as failed.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fundmatch import catalogue, review
from fundmatch.config import Settings
from fundmatch.db import Database
from fundmatch.errors import ConflictError, InputError
from fundmatch.german import format_percent
from fundmatch.models import RefreshLock, RunWarning, ScrapeRun, utcnow
from fundmatch.review import ReviewPolicy
from fundmatch.scrapers import source_modules
from fundmatch.scrapers.base import Harvest, ParseError, SourceConfig, SourceInfo
from fundmatch.scrapers.http import Fetcher, FetchError, HttpPolicy, RunLimitExceeded

logger = logging.getLogger(__name__)
LOCK_NAME = "refresh"
MAX_STORED_WARNINGS = 1_000
EXIT_CODES = {"ok": 0, "partial": 1, "failed": 2, "held": 3}
TERMINATED_EXIT_CODE = 128 + signal.SIGTERM


class RefreshLocked(ConflictError):
    """Another refresh holds the lock and its heartbeat is fresh."""


class RunNotHeld(ConflictError):
    """A confirmation or rejection of a run that is not (or no longer) held for review."""


class RunNotFound(InputError):
    """A confirmation or rejection of a run that does not exist."""

    http_status = 404


class Terminated(SystemExit):
    """SIGTERM arrived: the run in progress is recorded as failed and the lock released on the way out."""


@dataclass
class RunReport:
    """The outcome of one source's run, as stored in ScrapeRun and printed by the CLI."""

    source: str
    status: str
    run_id: int | None = None
    dry_run: bool = False
    complete: bool = False
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    errors: int = 0
    message: str | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        data["warnings"] = [{"where": where, "message": message} for where, message in self.warnings]
        return data


def http_policy(settings: Settings) -> HttpPolicy:
    return HttpPolicy(
        user_agent=settings.user_agent,
        timeout_s=settings.http_timeout_s,
        min_delay_s=settings.http_min_delay_s,
    )


def source_config(settings: Settings, module: ModuleType, today: date) -> SourceConfig:
    info: SourceInfo = module.SOURCE
    workdir = Path(settings.data_dir) / "downloads" / info.id
    workdir.mkdir(parents=True, exist_ok=True)
    return SourceConfig(
        base_url=settings.source_urls.get(info.id, module.BASE_URL),
        expected_count=settings.source_expected.get(info.id, info.expected_count),
        workdir=workdir,
        today=today,
        deadline_s=settings.source_deadline_s,
        max_bytes=settings.source_max_mb * 1024 * 1024,
    )


def review_policy(settings: Settings) -> ReviewPolicy:
    return ReviewPolicy(share=settings.review_share, minimum=settings.review_minimum)


def check_harvest(info: SourceInfo, config: SourceConfig, harvest: Harvest) -> list[str]:
    """Why this harvest must not touch the catalogue (empty when it may)."""
    problems = []
    low, high = config.expected_count
    count = len(harvest.records)
    if not low <= count <= high:
        problems.append(f"{count} Einträge, außerhalb der erwarteten Spanne {low}–{high}")
    for name, threshold in info.fill_thresholds.items():
        filled = sum(1 for r in harvest.records if getattr(r, name))
        rate = filled / count if count else 0.0
        if rate < threshold:
            problems.append(
                f"Feld {name!r} nur in {format_percent(round(rate * 100))} der Einträge gefüllt, "
                f"verlangt sind {format_percent(round(threshold * 100))}"
            )
    return problems


@contextmanager
def refresh_lock(database: Database, stale_after_s: float) -> Iterator[str]:
    """Hold the refresh lock for the block; a heartbeat thread keeps it fresh."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    now = utcnow()
    try:
        with database.session() as session:
            lock = session.get(RefreshLock, LOCK_NAME)
            if lock is None:
                session.add(RefreshLock(name=LOCK_NAME, owner=owner, acquired_at=now, heartbeat_at=now))
            elif lock.heartbeat_at > now - timedelta(seconds=stale_after_s):
                raise RefreshLocked(
                    f"eine andere Aktualisierung ({lock.owner}) hält die Sperre seit "
                    f"{lock.acquired_at:%d.%m.%Y %H:%M} UTC; letzter Herzschlag {lock.heartbeat_at:%H:%M:%S} UTC"
                )
            else:
                # An UPDATE without RETURNING gives a CursorResult; Session.execute says Result (sqlalchemy#9185).
                taken = cast(
                    CursorResult[Any],
                    session.execute(
                        update(RefreshLock)
                        .where(RefreshLock.name == LOCK_NAME, RefreshLock.heartbeat_at == lock.heartbeat_at)
                        .values(owner=owner, acquired_at=now, heartbeat_at=now)
                    ),
                )
                if taken.rowcount != 1:
                    raise RefreshLocked("eine andere Aktualisierung hat die verwaiste Sperre gleichzeitig übernommen")
    except IntegrityError:
        raise RefreshLocked("eine andere Aktualisierung hat die Sperre im selben Moment genommen") from None
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(max(0.5, stale_after_s / 4)):
            try:
                with database.session() as session:
                    session.execute(update(RefreshLock).where(RefreshLock.owner == owner).values(heartbeat_at=utcnow()))
            except Exception:  # a busy database must not end the heartbeat: the next beat tries again
                logger.warning("Herzschlag der Aktualisierungssperre nicht geschrieben", exc_info=True)

    heart = threading.Thread(target=beat, daemon=True)
    heart.start()
    try:
        _close_orphaned_runs(database)
        yield owner
    finally:
        stop.set()
        heart.join()
        with database.session() as session:
            session.execute(delete(RefreshLock).where(RefreshLock.owner == owner))


def _close_orphaned_runs(database: Database) -> None:
    """Runs still ``running`` when the lock is taken belong to a refresh that died (kill -9, power)."""
    with database.session() as session:
        orphans = list(session.scalars(select(ScrapeRun).where(ScrapeRun.status == "running")))
        for run in orphans:
            run.status, run.finished_at = "failed", utcnow()
            run.message = "abgebrochen: der Prozess endete, bevor der Lauf abgeschlossen war; Katalog unverändert"
    if orphans:
        logger.warning(
            "%d verwaiste Läufe als fehlgeschlagen geschlossen: %s",
            len(orphans),
            ", ".join(f"#{run.id}" for run in orphans),
            extra={"runs": [run.id for run in orphans]},
        )


def _store_run(database: Database, report: RunReport) -> None:
    with database.session() as session:
        run = session.get(ScrapeRun, report.run_id)
        assert run is not None  # run_source stored this run before harvesting, and runs are never deleted
        for name in ("status", "complete", "fetched", "new", "changed", "unchanged", "withdrawn", "errors", "message"):
            setattr(run, name, getattr(report, name))
        run.finished_at = utcnow()
        stored = report.warnings[:MAX_STORED_WARNINGS]
        run.warnings = [RunWarning(url=where[:1000], message=message) for where, message in stored]
        if len(report.warnings) > len(stored):
            more = len(report.warnings) - len(stored)
            run.warnings.append(RunWarning(url=None, message=f"{more} weitere Warnungen nicht gespeichert"))
        if report.status in ("ok", "partial", review.HELD):
            superseded = review.supersede_older(session, run)
            if superseded:
                logger.info("Quelle %s: zurückgehaltene Läufe %s überholt", report.source, superseded)


def _harvest_and_apply(
    database: Database,
    module: ModuleType,
    config: SourceConfig,
    fetcher: Fetcher,
    report: RunReport,
    policy: ReviewPolicy,
    started: datetime,
    log: Callable[[str], None],
) -> None:
    info: SourceInfo = module.SOURCE
    log(f"[{info.id}] harvesting from {config.base_url}")
    try:
        with fetcher.budget(config.deadline_s, config.max_bytes):
            harvest: Harvest = module.harvest(fetcher, config)
    except (FetchError, ParseError, RunLimitExceeded, OSError) as exc:
        report.status, report.message, report.errors = "failed", f"Abruf fehlgeschlagen, Katalog unverändert: {exc}", 1
        return
    report.fetched, report.errors = harvest.fetched, harvest.errors
    report.warnings = list(harvest.warnings)
    report.complete = harvest.listed_ids is not None
    log(f"[{info.id}] {len(harvest.records)} records, {len(report.warnings)} warnings, {harvest.errors} errors")
    notes = list(harvest.notes)
    problems = check_harvest(info, config, harvest)
    if problems:
        report.status = "failed"
        report.message = "Lauf verworfen, Katalog unverändert: " + "; ".join([*problems, *notes])
        return
    with database.session(commit=False) as session:
        run = session.get(ScrapeRun, report.run_id) if report.run_id else None
        listings = {info.id: harvest.listed_ids} if harvest.listed_ids is not None else {}
        state = review.stored_state(session, info.id, harvest.listed_ids, config.today)
        result = catalogue.apply_records(session, harvest.records, run=run, seen_at=started, listings=listings)
        held_for = [*harvest.contract_problems, *review.reasons(policy, state, result)]
        if held_for:
            session.rollback()
            report.status = review.HELD
            report.message = "zur Prüfung angehalten, Katalog unverändert: " + "; ".join(held_for)
            if run is not None:
                review.hold(session, run, held_for, harvest.records, harvest.listed_ids)
                session.commit()
            return
        if not report.dry_run:
            session.commit()
    _count(report, result)
    if result.missed:
        notes.append(f"{result.missed} Programme erstmals nicht gelistet (zurückgezogen erst beim zweiten Fehlen)")
    if result.closed:
        notes.append(f"{result.closed} Programme nach ihrer letzten Frist nicht mehr gelistet: geschlossen")
    if not report.complete:
        notes.append("Auflistung unvollständig: nichts zurückgezogen")
    report.message = "; ".join(notes) or None


def _count(report: RunReport, result: catalogue.ApplyResult) -> None:
    report.new, report.changed = result.new, result.changed
    report.unchanged, report.withdrawn = result.unchanged, result.withdrawn
    report.status = "ok" if report.complete and not report.errors else "partial"


def run_source(
    database: Database,
    module: ModuleType,
    config: SourceConfig,
    fetcher: Fetcher,
    *,
    dry_run: bool = False,
    policy: ReviewPolicy | None = None,
    log: Callable[[str], None] = print,
) -> RunReport:
    """Harvest one source, check it, and apply it in one transaction (or only count, for a dry run).

    Never raises for the source's own failures, bugs included: the run is recorded as failed (the
    traceback goes to the log) so that the next source still runs. Only an interruption (Ctrl-C,
    SIGTERM) propagates, after the run is recorded as failed."""
    info: SourceInfo = module.SOURCE
    report = RunReport(source=info.id, status="running", dry_run=dry_run)
    started = utcnow()
    if not dry_run:
        with database.session() as session:
            catalogue.ensure_source(session, info.id)
            run = ScrapeRun(source_id=info.id, started_at=started, status="running")
            session.add(run)
            session.flush()
            report.run_id = run.id
    clock = time.perf_counter()
    try:
        _harvest_and_apply(database, module, config, fetcher, report, policy or ReviewPolicy(), started, log)
    except Exception as exc:
        report.status = "failed"
        report.message = f"interner Fehler ({type(exc).__name__}), Katalog unverändert; Einzelheiten im Protokoll"
        logger.exception("Quelle %s: Lauf %s mit internem Fehler abgebrochen", info.id, report.run_id)
    except BaseException as exc:
        report.status = "failed"
        report.message = f"abgebrochen ({type(exc).__name__}), Katalog unverändert"
        if not dry_run:
            _store_run(database, report)
        raise
    _log_run(report, time.perf_counter() - clock)
    log(
        f"[{info.id}] {report.status}: {report.new} new, {report.changed} changed, {report.unchanged} unchanged, "
        f"{report.withdrawn} withdrawn" + (f" — {report.message}" if report.message else "")
    )
    if not dry_run:
        _store_run(database, report)
    return report


def _log_run(report: RunReport, seconds: float) -> None:
    """The operator's line per source run: counts as fields, so a log system can chart and alert on them."""
    fields = {
        name: getattr(report, name)
        for name in ("source", "run_id", "status", "dry_run", "fetched", "new", "changed", "unchanged", "withdrawn")
    }
    fields["errors"] = report.errors
    fields["warnings"] = len(report.warnings)
    fields["seconds"] = round(seconds, 2)
    level = logging.WARNING if report.status in ("failed", review.HELD) else logging.INFO
    logger.log(level, "Quelle %s: Lauf %s %s", report.source, report.run_id, report.status, extra=fields)


def refresh(
    database: Database,
    settings: Settings,
    source_ids: Iterable[str] | None = None,
    *,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
    fetcher: Fetcher | None = None,
    today: date | None = None,
) -> list[RunReport]:
    """Refresh the named sources (all by default) under the refresh lock."""
    modules = source_modules()
    chosen = list(source_ids or modules)
    unknown = [s for s in chosen if s not in modules]
    if unknown:
        raise InputError(f"unbekannte Quelle {', '.join(unknown)}; bekannt sind: {', '.join(modules)}")
    database.ensure_ready()
    today = today or date.today()
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(http_policy(settings))
    clock = time.perf_counter()
    try:
        with refresh_lock(database, settings.refresh_lock_stale_s):
            reports = [
                run_source(
                    database,
                    modules[s],
                    source_config(settings, modules[s], today),
                    fetcher,
                    dry_run=dry_run,
                    policy=review_policy(settings),
                    log=log,
                )
                for s in chosen
            ]
    finally:
        if own_fetcher:
            fetcher.close()
    outcome = {r.source: r.status for r in reports}
    logger.info(
        "Aktualisierung beendet: %s",
        ", ".join(f"{source} {status}" for source, status in outcome.items()),
        extra={"runs": outcome, "exit_code": exit_code(reports), "seconds": round(time.perf_counter() - clock, 2)},
    )
    return reports


def exit_code(reports: Iterable[RunReport]) -> int:
    """0 when every run was ok, 1 when the worst was partial, 2 when one failed, 3 when one is held."""
    return max((EXIT_CODES.get(r.status, 2) for r in reports), default=0)


@contextmanager
def ending_cleanly_on_sigterm() -> Iterator[None]:
    """Within the block SIGTERM (systemd stop, ``kill``) raises :class:`Terminated` in the main thread,
    so that the run in progress is recorded and the lock released instead of left behind."""

    def terminate(signum: int, frame: object) -> None:
        raise Terminated(TERMINATED_EXIT_CODE)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def confirm_run(database: Database, settings: Settings, run_id: int, by: str) -> RunReport:
    """Apply what a held run harvested, as if its guard had passed; under the refresh lock."""
    with refresh_lock(database, settings.refresh_lock_stale_s), database.session() as session:
        run = _held_run(session, run_id)
        records, listed = review.held_harvest(session, run)
        listings = {run.source_id: listed} if listed is not None else {}
        result = catalogue.apply_records(session, records, run=run, seen_at=run.started_at, listings=listings)
        report = RunReport(source=run.source_id, status="running", run_id=run.id, complete=run.complete)
        report.errors = run.errors
        _count(report, result)
        for name in ("status", "new", "changed", "unchanged", "withdrawn"):
            setattr(run, name, getattr(report, name))
        run.message = f"{run.message}; bestätigt von {by} am {utcnow():%d.%m.%Y %H:%M} UTC"
        report.message = run.message
        review.release(session, run)
    logger.info("Quelle %s: Lauf %s von %s bestätigt", run.source_id, run_id, by, extra={"run_id": run_id})
    return report


def reject_run(database: Database, run_id: int, by: str) -> None:
    """Discard what a held run harvested; the catalogue stays as it is."""
    with database.session() as session:
        run = _held_run(session, run_id)
        run.status = "rejected"
        run.message = f"{run.message}; verworfen von {by} am {utcnow():%d.%m.%Y %H:%M} UTC"
        review.release(session, run)
    logger.info("Quelle %s: Lauf %s von %s verworfen", run.source_id, run_id, by, extra={"run_id": run_id})


def _held_run(session: Session, run_id: int) -> ScrapeRun:
    run = session.get(ScrapeRun, run_id)
    if run is None:
        raise RunNotFound(f"Lauf #{run_id} gibt es nicht")
    if run.status != review.HELD:
        raise RunNotHeld(f"Lauf #{run_id} ist nicht zur Prüfung angehalten (Status {run.status})")
    return run
