"""The JSON API's request and response bodies, declared once; the OpenAPI document is generated from them.

Request models check types and limits; the services behind them check what needs the database
(an AGS that belongs to another Land, a duplicate). Response models are built from the stored rows,
so a field cannot be typed one way in the database, another in the answer and a third in the schema.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from fundmatch import vocab
from fundmatch.models import MatchDecision, Municipality, Program, ProgramRevision
from fundmatch.scrapers.records import ProgramRecord
from fundmatch.shapes import (
    MAX_POPULATION,
    Amount,
    Code,
    Flag,
    IsoDate,
    Label,
    Number,
    OptionalText,
    Text,
    Timestamp,
)

MAX_PAGE = 10_000
MAX_QUERY = 500
MAX_TOP = 200
SORT_ORDERS = ("relevance", "deadline", "title")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Query(BaseModel):
    """Query parameters arrive as text; unknown ones are ignored, as HTTP APIs usually do."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# ---- requests ---------------------------------------------------------------------------------


class CatalogueQuery(_Query):
    """The catalogue search of the page and of ``GET /api/v1/programs``."""

    q: Annotated[str, Text(MAX_QUERY, strip=True)] = ""
    sort: Annotated[str | None, Code(list(SORT_ORDERS), blank=True)] = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    level: Annotated[str | None, Code(vocab.LEVEL, blank=True)] = None
    land: Annotated[str | None, Code(list(vocab.LAND_BY_CODE), blank=True)] = None
    applicant_type: Annotated[str | None, Code(vocab.APPLICANT_TYPE, blank=True)] = None
    funding_type: Annotated[str | None, Code(vocab.FUNDING_TYPE, blank=True)] = None
    topic: Annotated[str | None, Code(vocab.TOPIC, blank=True)] = None
    status: Annotated[str | None, Code(vocab.STATUS, blank=True)] = None


class TopQuery(_Query):
    top: Annotated[int, Field(ge=1, le=MAX_TOP)] = 10


class MatchesQuery(TopQuery):
    include_ineligible: bool = False


class DraftQuery(_Query):
    program: Annotated[str, Text(600, required=True, strip=True)]
    template: Annotated[str | None, Text(100, nullable=True, strip=True)] = None


class MunicipalityInput(_Request):
    """A client Kommune; ``ags`` (8 digits) must lie in ``land``."""

    name: Annotated[str, Text(200, required=True, single_line=True)]
    land: Annotated[str, Code(list(vocab.LAND_BY_CODE))]
    ags: Annotated[str | None, Text(8, nullable=True, strip=True)] = None
    kind: Annotated[str, Code(vocab.MUNICIPALITY_TYPE, default="gemeinde")] = "gemeinde"
    population: Annotated[int | None, Number(0, MAX_POPULATION, integer=True)] = None
    financially_weak: Annotated[bool | None, Flag()] = None
    contact_name: Annotated[str | None, Text(200, nullable=True)] = None
    contact_email: Annotated[str | None, Text(200, nullable=True)] = None
    contact_phone: Annotated[str | None, Text(64, nullable=True)] = None
    address: Annotated[str | None, Text(1_000, nullable=True)] = None


class StrategyInput(_Request):
    title: Annotated[str, Text(300, required=True, single_line=True)]
    goals: Annotated[str | None, Text(10_000, nullable=True)] = None
    """One goal per line."""
    handlungsfelder: list[Annotated[str, Label(vocab.HANDLUNGSFELD, "Handlungsfeld", nullable=False)]] = Field(
        default_factory=list
    )


class MeasureInput(_Request):
    """A Maßnahme; labels (Handlungsfeld, Zeithorizont) as shown in the UI or as codes."""

    title: Annotated[str, Text(300, required=True, single_line=True)]
    description: Annotated[str | None, Text(20_000, nullable=True)] = None
    handlungsfeld: Annotated[str | None, Label(vocab.HANDLUNGSFELD, "Handlungsfeld")] = None
    applicant_type: Annotated[str, Code(vocab.APPLICANT_TYPE, default="kommune")] = "kommune"
    cost_eur: Amount = None
    planned_start: Annotated[date | None, IsoDate()] = None
    time_horizon: Annotated[str | None, Label(vocab.TIME_HORIZON, "Zeithorizont")] = None
    goal: Annotated[str | None, Text(2_000, nullable=True)] = None
    external_id: Annotated[str | None, Text(100, nullable=True, strip=True)] = None


class DecisionInput(_Request):
    program: Annotated[str, Text(600, required=True, strip=True)]
    """The program key SOURCE:SOURCE_ID."""
    decision: Annotated[str, Code(vocab.MATCH_DECISION)]
    note: Annotated[str | None, Text(5_000, nullable=True)] = None


# ---- responses --------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    error: str
    message: str
    status: int
    errors: dict[str, str] | None = None
    """Field → German message, for invalid bodies."""


class ProgramOut(ProgramRecord):
    """A catalogue program with its key and when fundmatch first saw it. A program shown as one of
    several source records carries their merged facts and names the others in ``same_program``; a
    record shown as part of another names that one in ``shown_as``."""

    first_seen: Annotated[datetime | None, Timestamp()]
    same_program: list[str] = Field(default_factory=list)
    shown_as: str | None = None

    @classmethod
    def of(
        cls,
        program: Program,
        record: ProgramRecord,
        *,
        same_program: list[str] | None = None,
        shown_as: str | None = None,
    ) -> ProgramOut:
        return cls.model_construct(
            **dict(record), first_seen=program.first_seen, same_program=same_program or [], shown_as=shown_as
        )


class ProgramLinkInput(BaseModel):
    """Two program keys an admin declares the same program (``linked``) or different ones."""

    model_config = ConfigDict(extra="forbid")

    a: Annotated[str, Text(600, required=True, strip=True)]
    b: Annotated[str, Text(600, required=True, strip=True)]
    linked: Annotated[bool, Flag()] = True


class ProgramPage(BaseModel):
    q: str
    sort: str
    page: int
    pages: int
    total: int
    programs: list[ProgramOut]


class Revision(BaseModel):
    changed_at: datetime
    run_id: int | None
    changed_fields: list[str]
    diff: dict[str, list[Any]]
    """Field → [before, after]."""

    @classmethod
    def of(cls, revision: ProgramRevision) -> Revision:
        return cls(
            changed_at=revision.changed_at,
            run_id=revision.run_id,
            changed_fields=revision.changed_fields,
            diff=revision.diff,
        )


class ProgramDetail(BaseModel):
    program: ProgramOut
    history: list[Revision]


class StrategySummary(BaseModel):
    id: int
    title: str
    measures: int


class MunicipalityOut(BaseModel):
    id: int
    name: str
    ags: str | None
    land: str
    kind: str
    population: int | None
    financially_weak: bool
    contact_name: OptionalText
    contact_email: OptionalText
    contact_phone: OptionalText
    address: OptionalText
    strategies: list[StrategySummary]

    @classmethod
    def of(cls, m: Municipality) -> MunicipalityOut:
        return cls(
            id=m.id,
            name=m.name,
            ags=m.ags,
            land=m.land,
            kind=m.kind,
            population=m.population,
            financially_weak=m.financially_weak,
            contact_name=m.contact_name,
            contact_email=m.contact_email,
            contact_phone=m.contact_phone,
            address=m.address,
            strategies=[StrategySummary(id=s.id, title=s.title, measures=len(s.measures)) for s in m.strategies],
        )


class MunicipalityList(BaseModel):
    municipalities: list[MunicipalityOut]


class StrategyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    handlungsfelder: list[str]
    goals: list[str]


class MeasureOut(BaseModel):
    """A stored Maßnahme, read from its row (``MeasureOut.model_validate(measure)``)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    strategy_id: int
    external_id: str | None
    title: str
    description: str | None
    handlungsfeld: str | None
    land: str
    applicant_type: str
    cost_eur: float | None
    planned_start: date | None
    time_horizon: str | None
    goal: str | None


class MeasureList(BaseModel):
    measures: list[MeasureOut]


class DecisionOut(BaseModel):
    program: str
    decision: str
    note: str | None
    decided_by: str | None
    decided_at: datetime

    @classmethod
    def of(cls, key: str, d: MatchDecision) -> DecisionOut:
        return cls(program=key, decision=d.decision, note=d.note, decided_by=d.decided_by, decided_at=d.decided_at)


class DecisionList(BaseModel):
    decisions: list[DecisionOut]


class RunOut(BaseModel):
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    complete: bool
    fetched: int
    new: int
    changed: int
    unchanged: int
    withdrawn: int
    errors: int
    message: str | None
    warnings: int


class WarningOut(BaseModel):
    url: str | None
    message: str


class SourceOut(BaseModel):
    id: str
    title: str
    publisher: str | None
    url: str | None
    programs: int
    runs: list[RunOut]
    open_warnings: list[WarningOut]


class SourceList(BaseModel):
    sources: list[SourceOut]
