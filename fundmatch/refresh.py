"""Run sources into the catalogue: each run proves itself before it may replace anything.

Per source: harvest (fetch and parse), check the count against the source's expected range and the
fill rate of its mandatory fields, then apply all changes in one transaction with revisions. A run
that fails its checks is recorded as failed and the catalogue keeps its previous state. A lock row
with a heartbeat keeps two refreshes from running at once; a stale lock is taken over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from sqlalchemy import delete, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from fundmatch import catalogue
from fundmatch.config import Settings
from fundmatch.db import Database
from fundmatch.errors import ConflictError, InputError
from fundmatch.models import RefreshLock, RunWarning, ScrapeRun, utcnow
from fundmatch.scrapers import source_modules
from fundmatch.scrapers.base import Harvest, ParseError, SourceConfig, SourceInfo
from fundmatch.scrapers.http import Fetcher, FetchError, HttpPolicy

logger = logging.getLogger(__name__)
LOCK_NAME = "refresh"
MAX_STORED_WARNINGS = 1_000
EXIT_CODES = {"ok": 0, "partial": 1, "failed": 2}


class RefreshLocked(ConflictError):
    """Another refresh holds the lock and its heartbeat is fresh."""


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
    )


def check_harvest(info: SourceInfo, config: SourceConfig, harvest: Harvest) -> list[str]:
    """Why this harvest must not touch the catalogue (empty when it may)."""
    problems = []
    low, high = config.expected_count
    count = len(harvest.records)
    if not low <= count <= high:
        problems.append(f"{count} records, outside the expected range {low}–{high}")
    for name, threshold in info.fill_thresholds.items():
        filled = sum(1 for r in harvest.records if getattr(r, name))
        rate = filled / count if count else 0.0
        if rate < threshold:
            problems.append(f"field {name!r} filled in {rate:.0%} of records, below {threshold:.0%}")
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
                    f"another refresh ({lock.owner}) holds the lock since {lock.acquired_at:%Y-%m-%d %H:%M} UTC; "
                    f"last heartbeat {lock.heartbeat_at:%H:%M:%S} UTC"
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
                    raise RefreshLocked("another refresh took over the stale lock at the same moment")
    except IntegrityError:
        raise RefreshLocked("another refresh took the lock at the same moment") from None
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(max(1.0, stale_after_s / 3)):
            with database.session() as session:
                session.execute(update(RefreshLock).where(RefreshLock.owner == owner).values(heartbeat_at=utcnow()))

    heart = threading.Thread(target=beat, daemon=True)
    heart.start()
    try:
        yield owner
    finally:
        stop.set()
        heart.join()
        with database.session() as session:
            session.execute(delete(RefreshLock).where(RefreshLock.owner == owner))


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
            run.warnings.append(
                RunWarning(url=None, message=f"{len(report.warnings) - len(stored)} more warnings not stored")
            )


def _harvest_and_apply(database, module, config, fetcher, report: RunReport, started, log) -> None:
    info: SourceInfo = module.SOURCE
    log(f"[{info.id}] harvesting from {config.base_url}")
    try:
        harvest = module.harvest(fetcher, config)
    except (FetchError, ParseError, OSError) as exc:
        report.status, report.message, report.errors = "failed", f"harvest failed: {exc}", 1
        return
    report.fetched, report.errors = harvest.fetched, harvest.errors
    report.warnings = list(harvest.warnings)
    report.complete = harvest.listed_ids is not None
    log(f"[{info.id}] {len(harvest.records)} records, {len(report.warnings)} warnings, {harvest.errors} errors")
    problems = check_harvest(info, config, harvest)
    if problems:
        report.status, report.message = "failed", "run rejected, catalogue unchanged: " + "; ".join(problems)
        return
    with database.session(commit=not report.dry_run) as session:
        run = session.get(ScrapeRun, report.run_id) if report.run_id else None
        listings = {info.id: harvest.listed_ids} if harvest.listed_ids is not None else {}
        result = catalogue.apply_records(session, harvest.records, run=run, seen_at=started, listings=listings)
    report.new, report.changed = result.new, result.changed
    report.unchanged, report.withdrawn = result.unchanged, result.withdrawn
    report.status = "ok" if report.complete and not report.errors else "partial"
    notes = list(harvest.notes)
    if not report.complete:
        notes.append("listing incomplete: nothing withdrawn")
    report.message = "; ".join(notes) or None


def run_source(
    database: Database,
    module: ModuleType,
    config: SourceConfig,
    fetcher: Fetcher,
    *,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
) -> RunReport:
    """Harvest one source, check it, and apply it in one transaction (or only count, for a dry run)."""
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
        _harvest_and_apply(database, module, config, fetcher, report, started, log)
    except BaseException as exc:
        report.status, report.message = "failed", f"internal error: {exc!r}"
        logger.exception("Quelle %s: Lauf %s mit internem Fehler abgebrochen", info.id, report.run_id)
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
    level = logging.WARNING if report.status == "failed" else logging.INFO
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
                    database, modules[s], source_config(settings, modules[s], today), fetcher, dry_run=dry_run, log=log
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
    """0 when every run was ok, 1 when the worst was partial, 2 when any failed."""
    return max((EXIT_CODES.get(r.status, 2) for r in reports), default=0)
