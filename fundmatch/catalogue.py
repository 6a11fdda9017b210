"""The program catalogue: store records with change history, withdraw what a source dropped, query.

Every write to programs goes through :func:`apply_records`, so history, facets and the catalogue
version stamp cannot drift apart. Callers own the transaction (one per import or per source run).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from importlib import resources

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from fundmatch import identity, vocab
from fundmatch.errors import ConflictError, InputError
from fundmatch.german import format_date
from fundmatch.interchange import load_json, parse_catalogue
from fundmatch.models import (
    CatalogueState,
    Program,
    ProgramFacet,
    ProgramRevision,
    ScrapeRun,
    Source,
    utcnow,
)
from fundmatch.scrapers import source_modules
from fundmatch.scrapers.deadlines import next_deadline
from fundmatch.scrapers.records import (
    MANUAL_SOURCE,
    NON_CONTENT_FIELDS,
    Contact,
    Deadline,
    ProgramDocument,
    ProgramRecord,
    RateCondition,
    program_key,
)

logger = logging.getLogger(__name__)
WITHDRAW_AFTER_MISSES = 2
FACET_FIELDS = ("regions", "funding_types", "applicant_types", "topics")
_RECORD_COLUMNS = (
    "title",
    "summary",
    "description",
    "url",
    "level",
    "regions",
    "funding_types",
    "applicant_types",
    "topics",
    "subtopics",
    "funder",
    "funding_rate_min",
    "funding_rate_max",
    "amount_min_eur",
    "amount_max_eur",
    "rolling",
    "status",
    "status_note",
    "legal_basis",
    "links",
    "keywords",
    "source_updated",
    "facts_as_of",
    "review_due",
    "same_as",
    "parent",
)
_RECORD_LISTS = ("contacts", "documents", "rate_conditions")  # lists of small shapes, stored as JSON


@dataclass
class ApplyResult:
    """What applying a batch of records did to the catalogue."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    closed: int = 0
    """Programs a listing lacked after their last deadline: their call is over."""
    missed: int = 0
    """Programs a listing lacked for the first time: withdrawn if the next complete listing lacks them too."""
    changed_keys: list[str] = field(default_factory=list)
    field_changes: Counter[str] = field(default_factory=Counter)
    """How many changed programs changed each field (withdrawals not counted): the change guard's measure."""

    @property
    def touched(self) -> bool:
        return bool(self.new or self.changed or self.withdrawn or self.closed)


def record_from_program(program: Program) -> ProgramRecord:
    """The stored program as an interchange record."""
    return ProgramRecord(
        source=program.source,
        source_id=program.source_id,
        deadlines=[Deadline(**d) for d in program.deadlines],
        contacts=[Contact(**c) for c in program.contacts],
        documents=[ProgramDocument(**d) for d in program.documents],
        rate_conditions=[RateCondition(**c) for c in program.rate_conditions],
        last_seen=program.last_seen,
        **{name: getattr(program, name) for name in _RECORD_COLUMNS},
    )


def _write_record(program: Program, record: ProgramRecord) -> None:
    data = record.to_dict()
    for name in _RECORD_COLUMNS:
        value = getattr(record, name)
        setattr(program, name, list(value) if isinstance(value, list) else value)
    program.deadlines = data["deadlines"]
    for name in _RECORD_LISTS:
        setattr(program, name, data.get(name, []))
    program.next_deadline = next_deadline(record.deadlines, date.today())
    program.content_hash = record.content_hash()
    program.facets = [ProgramFacet(facet=name, code=code) for name in FACET_FIELDS for code in getattr(record, name)]


def _diff(old: ProgramRecord, new: ProgramRecord) -> dict[str, list]:
    before, after = old.to_dict(), new.to_dict()
    return {
        name: [before[name], after[name]]
        for name in before
        if name not in NON_CONTENT_FIELDS and before[name] != after[name]
    }


def ensure_source(session: Session, source_id: str) -> Source:
    """The Source row for an id, created from the source module's metadata on first use."""
    source = session.get(Source, source_id)
    if source is None:
        modules = source_modules()
        if source_id in modules:
            info = modules[source_id].SOURCE
            source = Source(id=source_id, title=info.title, publisher=info.publisher, url=info.url)
        elif source_id == MANUAL_SOURCE:
            source = Source(id=source_id, title="Kuratierte und importierte Einträge", publisher="fundmatch")
        else:
            raise InputError(f"unbekannte Quelle {source_id!r}")
        try:
            with session.begin_nested():
                session.add(source)
        except IntegrityError:  # another process created it at the same moment
            source = session.get(Source, source_id, populate_existing=True)
            if source is None:  # the other process's row is not visible to this transaction (yet)
                raise ConflictError(f"Quelle {source_id!r} wird gerade angelegt; bitte erneut versuchen") from None
    return source


def bump_version(session: Session) -> int:
    state = session.get(CatalogueState, 1)
    if state is None:
        state = CatalogueState(id=1, version=0)
        session.add(state)
    state.version += 1
    state.changed_at = utcnow()
    return state.version


def catalogue_version(session: Session) -> str:
    """A stamp that changes whenever programs change: the matcher's index cache key."""
    state = session.get(CatalogueState, 1)
    count = session.scalar(select(func.count(Program.id)))
    if state is None:
        return f"v0-n{count}"
    return f"v{state.version}-n{count}-{state.changed_at:%Y%m%d%H%M%S%f}"


def apply_records(
    session: Session,
    records: Sequence[ProgramRecord],
    *,
    run: ScrapeRun | None = None,
    seen_at: datetime | None = None,
    listings: Mapping[str, Collection[str]] | None = None,
) -> ApplyResult:
    """Upsert records by (source, source_id); record history; withdraw what complete listings lack.

    ``seen_at`` is when a source run saw the records at their source; it becomes their ``last_seen``.
    An import or the seed passes none, so a record keeps the ``last_seen`` it carries (a curated one
    has none: its facts are dated by ``facts_as_of``). An unchanged record only moves ``last_seen``.
    A changed one keeps its previous state in a ProgramRevision with the field-level diff.

    ``listings`` maps a source to the ids of its complete, successful listing. A stored program of
    that source that the listing lacks is withdrawn only at the second such listing in a row
    (downloads and crawls are flaky); one whose deadlines have all passed becomes ``closed`` at once
    instead (its call ended: an EU topic leaves the search when it closes). Nothing is deleted.

    Most records of a refresh are unchanged, so the stored programs are first read light; whole
    programs are loaded, in one query, only where a record changed one or a listing withdraws one,
    and the unchanged ones move ``last_seen`` in one bulk UPDATE.
    """
    listed = {source_id: set(ids) for source_id, ids in (listings or {}).items()}
    stamp = seen_at or utcnow()
    result = ApplyResult()
    sources = {r.source for r in records} | set(listed)
    for source_id in sources:
        ensure_source(session, source_id)
    stored = {
        (row.source, row.source_id): row
        for row in session.execute(
            select(
                Program.id,
                Program.source,
                Program.source_id,
                Program.content_hash,
                Program.last_seen,
                Program.status,
                Program.missed_runs,
            ).where(Program.source.in_(sources))
        )
    }
    hashes = [raw.content_hash() for raw in records]
    to_load = {
        stored[key].id
        for key, content_hash in zip(((r.source, r.source_id) for r in records), hashes, strict=True)
        if key in stored and stored[key].content_hash != content_hash
    }
    to_load |= {
        row.id
        for (source_id, program_id), row in stored.items()
        if source_id in listed and program_id not in listed[source_id] and row.status != "withdrawn"
    }
    loaded = select(Program).where(Program.id.in_(to_load)).options(selectinload(Program.facets))
    existing: dict[tuple[str, str], Program] = (
        {(p.source, p.source_id): p for p in session.scalars(loaded)} if to_load else {}
    )
    light: dict[int, dict] = {}  # bulk updates of programs that are not loaded: last_seen, missed_runs
    for (source_id, program_id), row in stored.items():
        if row.missed_runs and source_id in listed and program_id in listed[source_id]:
            light.setdefault(row.id, {"id": row.id})["missed_runs"] = 0
    for raw, content_hash in zip(records, hashes, strict=True):
        key = (raw.source, raw.source_id)
        last_seen = raw.last_seen or seen_at
        program = existing.get(key)
        if program is None and key in stored:
            row = stored[key]
            latest = light.get(row.id, {}).get("last_seen", row.last_seen)
            if last_seen is not None and (latest is None or last_seen > latest):
                light.setdefault(row.id, {"id": row.id})["last_seen"] = last_seen
            result.unchanged += 1
            continue
        if program is None:
            record = raw.normalised()
            program = Program(source=record.source, source_id=record.source_id, first_seen=last_seen or stamp)
            _write_record(program, record)
            program.last_seen = last_seen
            program.updated_at = stamp
            session.add(program)
            existing[key] = program
            result.new += 1
            continue
        program.missed_runs = 0
        if last_seen is not None and (program.last_seen is None or last_seen > program.last_seen):
            program.last_seen = last_seen
        changed_fields = (
            []
            if program.content_hash == content_hash
            else _record_change(session, program, raw.normalised(), run, stamp)
        )
        if not changed_fields:
            result.unchanged += 1
            continue
        result.field_changes.update(changed_fields)
        result.changed += 1
        result.changed_keys.append(program_key(*key))
    if light:
        session.execute(update(Program), list(light.values()))
    today = stamp.date()
    for source_id, ids in listed.items():
        for key in [*stored, *(k for k in existing if k not in stored)]:
            program = existing.get(key)
            if program is None or key[0] != source_id or key[1] in ids or program.status == "withdrawn":
                continue
            _leave_listing(session, program, run, stamp, today, result)
    if result.touched:
        session.flush()
        if result.new or result.withdrawn or result.closed or identity.LINK_FIELDS & set(result.field_changes):
            identity.relink(session)
        bump_version(session)
    session.flush()
    return result


def _leave_listing(
    session: Session, program: Program, run: ScrapeRun | None, when: datetime, today: date, result: ApplyResult
) -> None:
    """A program its source's complete listing lacks: closed if its call is over, else withdrawn at the second miss."""
    record = record_from_program(program)
    if record.deadlines and next_deadline(record.deadlines, today) is None:
        if program.status != "closed":
            last = max(d.date for d in record.deadlines)
            record.status = "closed"
            record.status_note = f"nicht mehr ausgeschrieben; letzte Frist {format_date(last)}"
            _record_change(session, program, record, run, when)
            result.closed += 1
            result.changed_keys.append(program.key)
        return
    program.missed_runs += 1
    if program.missed_runs < WITHDRAW_AFTER_MISSES:
        result.missed += 1
        return
    record.status = "withdrawn"
    _record_change(session, program, record, run, when)
    result.withdrawn += 1
    result.changed_keys.append(program.key)


def _record_change(
    session: Session, program: Program, record: ProgramRecord, run: ScrapeRun | None, when: datetime
) -> list[str]:
    """Write the record over the program, keeping its previous state; the names of the changed fields."""
    previous = record_from_program(program)
    diff = _diff(previous, record)
    if not diff:  # the same content under a new hash spelling (an upgrade): nothing to record
        program.content_hash = record.content_hash()
        return []
    session.add(
        ProgramRevision(
            program=program,
            run_id=run.id if run is not None else None,
            changed_at=when,
            changed_fields=sorted(diff),
            diff=diff,
            previous=previous.to_dict(),
        )
    )
    _write_record(program, record)
    program.updated_at = when
    return sorted(diff)


@dataclass
class ProgramFilter:
    """Catalogue query: every given criterion must hold. ``land`` means "open to applicants there"."""

    level: str | None = None
    land: str | None = None
    region: str | None = None
    applicant_type: str | None = None
    funding_type: str | None = None
    topic: str | None = None
    status: str | None = None
    source: str | None = None
    text: str | None = None
    order: str = "title"
    limit: int | None = 50
    offset: int = 0
    every_record: bool = False
    """Also the records shown as part of another program (an export wants every source's record)."""

    def validate(self) -> None:
        checks = (
            (self.level, vocab.LEVEL),
            (self.region, vocab.REGION),
            (self.applicant_type, vocab.APPLICANT_TYPE),
            (self.funding_type, vocab.FUNDING_TYPE),
            (self.topic, vocab.TOPIC),
            (self.status, vocab.STATUS),
        )
        for value, vocabulary in checks:
            if value is not None and value not in vocabulary:
                raise InputError(
                    f"unbekannter Code {value!r} ({vocabulary.name}); gültig sind: {', '.join(vocabulary.codes)}"
                )
        if self.land is not None and self.land not in vocab.LAND_BY_CODE:
            raise InputError(f"unbekanntes Land {self.land!r}; gültig sind: {vocab.valid_land_codes()}")
        if self.order not in ("title", "deadline", "updated"):
            raise InputError(f"unbekannte Sortierung {self.order!r}; gültig sind: title, deadline, updated")


def _has_facet(facet: str, codes: Sequence[str]):
    return exists().where(
        and_(ProgramFacet.program_id == Program.id, ProgramFacet.facet == facet, ProgramFacet.code.in_(codes))
    )


def filter_conditions(query: ProgramFilter) -> list:
    query.validate()
    conditions: list[ColumnElement[bool]] = [] if query.every_record else [Program.canonical_id.is_(None)]
    if query.level:
        conditions.append(Program.level == query.level)
    if query.status:
        conditions.append(Program.status == query.status)
    if query.source:
        conditions.append(Program.source == query.source)
    if query.land:
        conditions.append(_has_facet("regions", [query.land, vocab.NATIONWIDE, vocab.EU_WIDE]))
    if query.region:
        conditions.append(_has_facet("regions", [query.region]))
    if query.applicant_type:
        conditions.append(_has_facet("applicant_types", [query.applicant_type]))
    if query.funding_type:
        conditions.append(_has_facet("funding_types", [query.funding_type]))
    if query.topic:
        conditions.append(_has_facet("topics", [query.topic]))
    if query.text:
        for word in query.text.split()[:10]:
            pattern = f"%{word.lower()}%"
            conditions.append(
                or_(
                    func.lower(Program.title).like(pattern),
                    func.lower(Program.summary).like(pattern),
                    func.lower(Program.funder).like(pattern),
                )
            )
    return conditions


def search_programs(session: Session, query: ProgramFilter) -> tuple[int, list[Program]]:
    """Total hits and one page of programs for a filter."""
    conditions = filter_conditions(query)
    total = session.scalar(select(func.count(Program.id)).where(*conditions)) or 0
    order = {
        "title": (Program.title, Program.id),
        "deadline": (Program.next_deadline.is_(None), Program.next_deadline, Program.title, Program.id),
        "updated": (Program.updated_at.desc(), Program.id),
    }[query.order]
    statement = select(Program).where(*conditions).order_by(*order).offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return total, list(session.scalars(statement))


def get_program(session: Session, source: str, source_id: str) -> Program | None:
    return session.scalar(
        select(Program)
        .where(Program.source == source, Program.source_id == source_id)
        .options(selectinload(Program.revisions))
    )


def matching_ids(session: Session, query: ProgramFilter) -> dict[str, int]:
    """Program key → id for every program a filter admits (light: no program is loaded)."""
    statement = select(Program.id, Program.source, Program.source_id).where(*filter_conditions(query))
    return {program_key(source, source_id): program_id for program_id, source, source_id in session.execute(statement)}


def programs_by_ids(session: Session, ids: Sequence[int]) -> list[Program]:
    """Programs in the order of ``ids``."""
    found = {p.id: p for p in session.scalars(select(Program).where(Program.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def all_records(session: Session, query: ProgramFilter | None = None) -> list[ProgramRecord]:
    """Every source record (optionally filtered), in a stable order: what an export holds."""
    conditions = filter_conditions(replace(query, every_record=True)) if query else []
    statement = select(Program).where(*conditions).order_by(Program.source, Program.source_id)
    return [record_from_program(p) for p in session.scalars(statement)]


def shown_records(session: Session) -> list[ProgramRecord]:
    """Every program once, as consultants see it: each group's facts merged under its canonical key
    (see :mod:`fundmatch.identity`); what the matcher ranks."""
    programs = list(session.scalars(select(Program).order_by(Program.source, Program.source_id)))
    return list(shown_by_id(programs).values())


def shown_by_id(programs: Sequence[Program]) -> dict[int, ProgramRecord]:
    """The merged record of each canonical program among ``programs`` (members must be among them)."""
    members: dict[int, list[Program]] = {}
    for program in programs:
        members.setdefault(program.canonical_id or program.id, []).append(program)
    shown = {}
    for head_id, group in members.items():
        group.sort(key=lambda p: p.id != head_id)
        shown[head_id] = identity.merge([record_from_program(p) for p in group])
    return shown


def shown_record(session: Session, program: Program) -> tuple[ProgramRecord, list[Program]]:
    """One canonical program's merged record, and the records shown as part of it (oldest first)."""
    members = list(session.scalars(select(Program).where(Program.canonical_id == program.id).order_by(Program.id)))
    return shown_by_id([program, *members])[program.id], members


@dataclass
class CatalogueStats:
    total: int
    version: str
    by_level: dict[str, int]
    by_status: dict[str, int]
    by_source: dict[str, int]
    by_region: dict[str, int]
    revisions: int
    last_runs: dict[str, dict]

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def stats(session: Session) -> CatalogueStats:
    def grouped(column) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).group_by(column).order_by(column))
        return {key: count for key, count in rows}

    by_region = Counter(
        dict(
            session.execute(
                select(ProgramFacet.code, func.count())
                .where(ProgramFacet.facet == "regions")
                .group_by(ProgramFacet.code)
            ).all()
        )
    )
    last_runs = {}
    for run in session.scalars(select(ScrapeRun).order_by(ScrapeRun.id)):
        last_runs[run.source_id] = {
            "run": run.id,
            "status": run.status,
            "started_at": run.started_at.isoformat(),
            "fetched": run.fetched,
        }
    return CatalogueStats(
        total=session.scalar(select(func.count(Program.id))) or 0,
        version=catalogue_version(session),
        by_level=grouped(Program.level),
        by_status=grouped(Program.status),
        by_source=grouped(Program.source),
        by_region=dict(sorted(by_region.items())),
        revisions=session.scalar(select(func.count(ProgramRevision.id))) or 0,
        last_runs=last_runs,
    )


def import_catalogue(session: Session, data: bytes, *, name: str, max_bytes: int) -> ApplyResult:
    """Parse a catalogue file and apply it in the caller's transaction: all records or none."""
    clock = time.perf_counter()
    records = parse_catalogue(load_json(data, name=name, max_bytes=max_bytes), name=name)
    result = apply_records(session, records)
    fields = {"file": name, "programs": len(records), "new": result.new, "changed": result.changed}
    fields |= {"unchanged": result.unchanged, "seconds": round(time.perf_counter() - clock, 2)}
    logger.info("Katalog %s gelesen: %s neu, %s geändert", name, result.new, result.changed, extra=fields)
    return result


def seed_catalogue(session: Session) -> ApplyResult:
    """Load the curated catalogue that ships in ``seed_data/programs.json`` (idempotent)."""
    data = (resources.files("fundmatch.seed_data") / "programs.json").read_bytes()
    return import_catalogue(session, data, name="seed_data/programs.json", max_bytes=len(data))
