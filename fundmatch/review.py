"""Runs held for review: a run that would withdraw or rewrite much of a source waits for an admin.

To the refresh, a source that silently drops a fifth of its programs or renames a classifier looks
like a large but valid change. The guard compares what a run would do with the source's stored
programs: withdrawing, or changing the same field of, more than ``share`` of them (and at least
``minimum`` programs) holds the run, and so does any contract problem its parser reported (the
structure of the source changed). A held run changes nothing; its records wait in
:class:`HeldHarvest` until an admin confirms them (``fundmatch sources confirm RUN`` or the sources
page) or rejects them. A later run of the same source that is applied or held supersedes them.

Not guarded are the fields that move with the calendar (status and its note, deadlines, rolling, the
source's Stand) and
programs leaving a listing after their last deadline: a work programme opening thirty EU topics on
one day, or closed calls dropping out of a search, are news, not damage.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fundmatch.catalogue import ApplyResult
from fundmatch.german import format_percent
from fundmatch.models import HeldHarvest, Program, ScrapeRun
from fundmatch.scrapers.records import ProgramRecord

CALENDAR_FIELDS = frozenset({"status", "status_note", "deadlines", "rolling", "source_updated"})
HELD, SUPERSEDED = "held", "superseded"


@dataclass(frozen=True)
class ReviewPolicy:
    """When a run is held: more than ``share`` of a source's programs, and at least ``minimum``."""

    share: float = 0.05
    minimum: int = 10

    def exceeded(self, count: int, active: int) -> bool:
        return count >= self.minimum and count > self.share * active


@dataclass(frozen=True)
class StoredState:
    """What the guard needs to know of a source's programs before a run is applied."""

    active: int
    unexpected_departures: int


def stored_state(session: Session, source_id: str, listed: set[str] | None, today: date) -> StoredState:
    """Active programs of the source, and how many of them a complete listing would drop unexpectedly.

    A departure is expected when the program was closed, all its deadlines have passed, or an earlier
    listing (applied, or confirmed by an admin) already lacked it."""
    rows = session.execute(
        select(Program.source_id, Program.status, Program.deadlines, Program.missed_runs).where(
            Program.source == source_id, Program.status != "withdrawn"
        )
    ).all()
    unexpected = 0
    if listed is not None:
        for source_id_, status, deadlines, missed_runs in rows:
            if source_id_ in listed or status == "closed" or missed_runs:
                continue
            days = [date.fromisoformat(d["date"]) for d in deadlines or []]
            if not days or max(days) >= today:
                unexpected += 1
    return StoredState(active=len(rows), unexpected_departures=unexpected)


def reasons(policy: ReviewPolicy, state: StoredState, result: ApplyResult) -> list[str]:
    """Why this run must wait for an admin (empty when it may be applied)."""
    found = []
    if policy.exceeded(state.unexpected_departures, state.active):
        found.append(
            f"{state.unexpected_departures} von {state.active} Programmen würden zurückgezogen "
            f"({_share(state.unexpected_departures, state.active)}; erlaubt sind {format_percent(policy.share * 100)})"
        )
    for name, count in sorted(result.field_changes.items()):
        if name not in CALENDAR_FIELDS and policy.exceeded(count, state.active):
            found.append(
                f"Feld {name!r} würde bei {count} von {state.active} Programmen geändert "
                f"({_share(count, state.active)}; erlaubt sind {format_percent(policy.share * 100)})"
            )
    return found


def _share(count: int, total: int) -> str:
    return format_percent(math.floor(1000 * count / total) / 10) if total else "–"


def hold(
    session: Session,
    run: ScrapeRun,
    found: Sequence[str],
    records: Sequence[ProgramRecord],
    listed: set[str] | None,
) -> None:
    """Keep what the run would apply beside it, so that a confirmation applies exactly that."""
    payload = json.dumps([record.to_dict() for record in records], ensure_ascii=False).encode("utf-8")
    session.add(
        HeldHarvest(
            run_id=run.id,
            reasons=list(found),
            records=gzip.compress(payload, compresslevel=6),
            listed_ids=sorted(listed) if listed is not None else None,
        )
    )


def held_harvest(session: Session, run: ScrapeRun) -> tuple[list[ProgramRecord], set[str] | None]:
    """The records and listing a held run would apply."""
    held = session.get(HeldHarvest, run.id)
    assert held is not None  # a run's status is "held" exactly while its harvest is kept
    records = [ProgramRecord(**data) for data in json.loads(gzip.decompress(held.records))]
    return records, set(held.listed_ids) if held.listed_ids is not None else None


def release(session: Session, run: ScrapeRun) -> None:
    """Drop a held run's harvest once it is decided."""
    session.execute(delete(HeldHarvest).where(HeldHarvest.run_id == run.id))


def supersede_older(session: Session, run: ScrapeRun) -> list[int]:
    """Older held runs of the run's source are out of date once this run is applied or held."""
    older = list(
        session.scalars(
            select(ScrapeRun).where(
                ScrapeRun.source_id == run.source_id, ScrapeRun.status == HELD, ScrapeRun.id < run.id
            )
        )
    )
    for stale in older:
        stale.status = SUPERSEDED
        stale.message = f"{stale.message or ''}; überholt durch Lauf #{run.id}".lstrip("; ")
        release(session, stale)
    return [stale.id for stale in older]
