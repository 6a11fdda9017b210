"""Database schema (SQLAlchemy 2.0 typed models). Alembic migrations in ``fundmatch/migrations`` build it.

Program keeps the interchange fields as columns (code lists as JSON) for a lossless round trip;
``ProgramFacet`` repeats the code lists one row per code so that filters use an index on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from fundmatch.scrapers.records import program_key


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps are UTC and timezone-aware in Python, whatever the database keeps (SQLite: naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UTCDateTime, dict: JSON, list: JSON}


class Source(Base):
    """A place programs come from: a scraper source, or ``manual`` for curated and imported entries."""

    __tablename__ = "source"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    publisher: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))

    runs: Mapped[list[ScrapeRun]] = relationship(back_populates="source", order_by="ScrapeRun.id")


class ScrapeRun(Base):
    """One refresh of one source, with its counts; a failed run changed nothing in the catalogue."""

    __tablename__ = "scrape_run"
    __table_args__ = (Index("ix_scrape_run_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("source.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # running, ok, partial, failed; held (for review), then confirmed into ok/partial, rejected or superseded
    status: Mapped[str] = mapped_column(String(16), default="running")
    complete: Mapped[bool] = mapped_column(default=False)
    dry_run: Mapped[bool] = mapped_column(default=False)
    fetched: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    withdrawn: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)

    source: Mapped[Source] = relationship(back_populates="runs")
    warnings: Mapped[list[RunWarning]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="RunWarning.id"
    )


class HeldHarvest(Base):
    """What a run held for review would apply, kept until an admin confirms or rejects it."""

    __tablename__ = "held_harvest"

    run_id: Mapped[int] = mapped_column(ForeignKey("scrape_run.id"), primary_key=True)
    reasons: Mapped[list] = mapped_column(JSON)
    records: Mapped[bytes] = mapped_column(LargeBinary)  # gzip of the records' interchange JSON
    listed_ids: Mapped[list | None] = mapped_column(JSON)


class RunWarning(Base):
    """Something a run met and did not understand: an unknown label, a broken page, a skipped record."""

    __tablename__ = "run_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scrape_run.id", ondelete="CASCADE"), index=True)
    url: Mapped[str | None] = mapped_column(String(1000))
    message: Mapped[str] = mapped_column(Text)

    run: Mapped[ScrapeRun] = relationship(back_populates="warnings")


class Program(Base):
    """A funding program (Förderprogramm) as last seen at its source."""

    __tablename__ = "program"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_program_source_key"),
        Index("ix_program_level_status", "level", "status"),
        Index("ix_program_next_deadline", "next_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(1000))
    level: Mapped[str] = mapped_column(String(16))
    regions: Mapped[list] = mapped_column(default=list)
    funding_types: Mapped[list] = mapped_column(default=list)
    applicant_types: Mapped[list] = mapped_column(default=list)
    topics: Mapped[list] = mapped_column(default=list)
    subtopics: Mapped[list] = mapped_column(default=list)
    funder: Mapped[str | None] = mapped_column(Text)
    funding_rate_min: Mapped[float | None] = mapped_column(Float)
    funding_rate_max: Mapped[float | None] = mapped_column(Float)
    rate_conditions: Mapped[list] = mapped_column(default=list)
    amount_min_eur: Mapped[float | None] = mapped_column(Float)
    amount_max_eur: Mapped[float | None] = mapped_column(Float)
    deadlines: Mapped[list] = mapped_column(default=list)
    rolling: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="unknown")
    status_note: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    contacts: Mapped[list] = mapped_column(default=list)
    documents: Mapped[list] = mapped_column(default=list)
    links: Mapped[list] = mapped_column(default=list)
    keywords: Mapped[list] = mapped_column(default=list)
    source_updated: Mapped[date | None] = mapped_column(Date)
    facts_as_of: Mapped[date | None] = mapped_column(Date)
    review_due: Mapped[date | None] = mapped_column(Date)
    same_as: Mapped[list] = mapped_column(default=list)
    parent: Mapped[str | None] = mapped_column(String(600))
    next_deadline: Mapped[date | None] = mapped_column(Date)
    # Complete listings of its source in a row that lacked the program; withdrawn at two.
    missed_runs: Mapped[int] = mapped_column(default=0, server_default="0")
    # The program of the same identity this record is shown as (None: it stands for itself).
    canonical_id: Mapped[int | None] = mapped_column(ForeignKey("program.id", ondelete="SET NULL"))
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    # When a source run last saw the program at its source; None for curated and imported programs.
    last_seen: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    facets: Mapped[list[ProgramFacet]] = relationship(back_populates="program", cascade="all, delete-orphan")
    revisions: Mapped[list[ProgramRevision]] = relationship(
        back_populates="program", cascade="all, delete-orphan", order_by="ProgramRevision.id"
    )

    @property
    def key(self) -> str:
        return program_key(self.source, self.source_id)


class ProgramLink(Base):
    """An admin's decision that two program records are (or are not) the same program.

    Kept by program key, so it survives refreshes and re-imports; it overrides the automatic rules."""

    __tablename__ = "program_link"

    key_a: Mapped[str] = mapped_column(String(600), primary_key=True)
    key_b: Mapped[str] = mapped_column(String(600), primary_key=True)
    linked: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProgramFacet(Base):
    """One code of one of a program's code lists, for indexed filtering (region=BY, topic=…)."""

    __tablename__ = "program_facet"
    __table_args__ = (Index("ix_program_facet_lookup", "facet", "code", "program_id"),)

    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), primary_key=True)
    facet: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(128), primary_key=True)

    program: Mapped[Program] = relationship(back_populates="facets")


class ProgramRevision(Base):
    """The full earlier state of a program and which fields a change touched."""

    __tablename__ = "program_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("scrape_run.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_fields: Mapped[list] = mapped_column(default=list)
    diff: Mapped[dict] = mapped_column(default=dict)
    previous: Mapped[dict] = mapped_column(default=dict)

    program: Mapped[Program] = relationship(back_populates="revisions")


class CatalogueState(Base):
    """Single-row bookkeeping: the version stamp that changes whenever the catalogue changes."""

    __tablename__ = "catalogue_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefreshLock(Base):
    """A lock row with heartbeat: two refreshes never run at once; a stale lock is taken over."""

    __tablename__ = "refresh_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


class Municipality(Base):
    """A client Kommune: Gemeinde, Stadt, Landkreis or an association of them."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    ags: Mapped[str | None] = mapped_column(String(8), unique=True)
    land: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="gemeinde")
    population: Mapped[int | None]
    financially_weak: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    strategies: Mapped[list[Strategy]] = relationship(
        back_populates="municipality", cascade="all, delete-orphan", order_by="Strategy.id"
    )


class Strategy(Base):
    """A digital strategy of a municipality, with its Handlungsfelder and goals."""

    __tablename__ = "strategy"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    handlungsfelder: Mapped[list] = mapped_column(default=list)
    goals: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    municipality: Mapped[Municipality] = relationship(back_populates="strategies")
    measures: Mapped[list[Measure]] = relationship(
        back_populates="strategy", cascade="all, delete-orphan", order_by="Measure.id"
    )


class Measure(Base):
    """A planned Maßnahme of a strategy: what fundmatch finds funding for."""

    __tablename__ = "measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    handlungsfeld: Mapped[str | None] = mapped_column(String(32))
    land: Mapped[str] = mapped_column(String(2))
    applicant_type: Mapped[str] = mapped_column(String(32), default="kommune")
    cost_eur: Mapped[float | None] = mapped_column(Float)
    planned_start: Mapped[date | None] = mapped_column(Date)
    time_horizon: Mapped[str | None] = mapped_column(String(8))
    goal: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    strategy: Mapped[Strategy] = relationship(back_populates="measures")
    decisions: Mapped[list[MatchDecision]] = relationship(back_populates="measure", cascade="all, delete-orphan")


class MatchDecision(Base):
    """A consultant's verdict on one program for one measure: relevant, not relevant or shortlisted."""

    __tablename__ = "match_decision"
    __table_args__ = (UniqueConstraint("measure_id", "program_id", name="uq_match_decision_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    measure: Mapped[Measure] = relationship(back_populates="decisions")
    program: Mapped[Program] = relationship()


class User(Base):
    """A person who logs in to the web app (role admin or consultant)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16), default="consultant")
    api_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    """Raised by logout: a session cookie remembers the version it was issued for, older ones are void."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
