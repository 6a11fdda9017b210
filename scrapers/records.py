"""The typed program record every source yields and the catalogue stores, declared once.

Field names, codes and limits follow the catalogue interchange format (version 1): the same model
validates what a scraper builds, reads an imported file and describes the program in the API's
OpenAPI document. ``fundmatch.interchange`` reads and writes whole documents; ``fundmatch.catalogue``
stores records.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from fundmatch import vocab
from fundmatch.errors import InputError
from fundmatch.shapes import (
    Amount,
    Code,
    Codes,
    Flag,
    IsoDate,
    OptionalText,
    Rate,
    Text,
    TextList,
    Timestamp,
    Url,
    invalid,
)

# Fields whose order carries no meaning: stored sorted so that a reordering is no change.
CODE_LIST_FIELDS = ("regions", "funding_types", "applicant_types", "topics", "subtopics")
# Fields that are bookkeeping of the catalogue, not content of the program.
NON_CONTENT_FIELDS = ("last_seen",)
# Fields added in fundmatch 0.2: written only when they hold something, so a record that does not use
# them has the content hash (and the file) it had before.
ADDED_IN_0_2 = (
    "status_note",
    "contacts",
    "documents",
    "rate_conditions",
    "facts_as_of",
    "review_due",
    "same_as",
    "parent",
)
KEY_SEPARATOR = ":"
MANUAL_SOURCE = "manual"
"""The source of curated and imported programs, which no scraper refreshes."""


def program_key(source: str, source_id: str) -> str:
    """The one spelling of a program's key, ``SOURCE:SOURCE_ID``, used in URLs, files and the API."""
    return f"{source}{KEY_SEPARATOR}{source_id}"


class ProgramKeyError(InputError):
    """A text that is not a program key."""


def parse_program_key(key: str) -> tuple[str, str]:
    """``SOURCE:SOURCE_ID`` → (source, source_id); the source id may itself contain colons."""
    source, separator, source_id = key.partition(KEY_SEPARATOR)
    if not separator or not source or not source_id:
        raise ProgramKeyError(f"Ein Programmschlüssel hat die Form QUELLE:KENNUNG, nicht {key!r}")
    return source, source_id


class Deadline(BaseModel):
    """A dated step: a submission deadline, the sketch stage of a two-stage call, a cut-off, the end.

    A ``yearly`` deadline recurs on the same day every year ("30.09. jeden Jahres"); ``date`` is one
    known occurrence and :func:`fundmatch.scrapers.deadlines.next_occurrence` the next one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: Annotated[date, IsoDate(required=True)]
    kind: Annotated[str, Code(vocab.DEADLINE_KIND, default="submission")] = "submission"
    note: Annotated[str | None, Text(500, nullable=True)] = None
    recurrence: Annotated[str | None, Code(vocab.RECURRENCE, nullable=True)] = None


class Contact(BaseModel):
    """Ansprechpunkt: who to call about the program; ``role`` is what for ("Antragstellung", "Technik")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: OptionalText = None
    role: OptionalText = None
    email: OptionalText = None
    phone: OptionalText = None
    url: OptionalText = None
    address: OptionalText = None

    def is_empty(self) -> bool:
        return not any(value for name, value in self.model_dump().items() if name != "role")


class ProgramDocument(BaseModel):
    """A document of the program (the Förderrichtlinie, a call, a form): what a consultant opens first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: Annotated[str, Url()]
    title: Annotated[str, Text(500, required=True, single_line=True)]
    kind: Annotated[str, Code(vocab.DOCUMENT_KIND, default="sonstiges")] = "sonstiges"


class RateCondition(BaseModel):
    """A funding rate that applies only under a condition (finanzschwache Kommune, Verbund, Ortsgröße);
    the program's own rate is the standard that applies otherwise."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: Annotated[str, Code(vocab.RATE_CONDITION)]
    rate: Rate = None
    note: Annotated[str | None, Text(500, nullable=True)] = None


class ProgramRecord(BaseModel):
    """One funding program (Förderprogramm) as a source describes it."""

    model_config = ConfigDict(extra="forbid")

    source: Annotated[str, Text(64, required=True, strip=True)]
    source_id: Annotated[str, Text(500, required=True, strip=True)]
    title: Annotated[str, Text(1_000, required=True, single_line=True)]
    url: Annotated[str, Url()]
    level: Annotated[str, Code(vocab.LEVEL)]
    regions: Annotated[list[str], Codes(vocab.REGION, required=True)]
    summary: Annotated[str | None, Text(20_000, nullable=True)] = None
    description: Annotated[str | None, Text(500_000, nullable=True)] = None
    funding_types: Annotated[list[str], Codes(vocab.FUNDING_TYPE)] = Field(default_factory=list)
    applicant_types: Annotated[list[str], Codes(vocab.APPLICANT_TYPE)] = Field(default_factory=list)
    topics: Annotated[list[str], Codes(vocab.TOPIC)] = Field(default_factory=list)
    subtopics: Annotated[list[str], Codes(list(vocab.SUBTOPIC_LABELS))] = Field(default_factory=list)
    funder: OptionalText = None
    funding_rate_min: Rate = None
    funding_rate_max: Rate = None
    rate_conditions: list[RateCondition] = Field(default_factory=list)
    amount_min_eur: Amount = None
    amount_max_eur: Amount = None
    deadlines: list[Deadline] = Field(default_factory=list)
    rolling: Annotated[bool | None, Flag()] = None
    status: Annotated[str, Code(vocab.STATUS, default="unknown")] = "unknown"
    status_note: Annotated[str | None, Text(1_000, nullable=True)] = None
    legal_basis: Annotated[str | None, Text(50_000, nullable=True)] = None
    contacts: list[Contact] = Field(default_factory=list)
    documents: list[ProgramDocument] = Field(default_factory=list)
    links: Annotated[list[str], TextList(1_000, urls=True)] = Field(default_factory=list)
    keywords: Annotated[list[str], TextList()] = Field(default_factory=list)
    source_updated: Annotated[date | None, IsoDate()] = None
    facts_as_of: Annotated[date | None, IsoDate()] = None
    review_due: Annotated[date | None, IsoDate()] = None
    same_as: Annotated[list[str], TextList(600)] = Field(default_factory=list)
    parent: Annotated[str | None, Text(600, nullable=True, strip=True)] = None
    last_seen: Annotated[datetime | None, Timestamp()] = None

    @model_validator(mode="before")
    @classmethod
    def _earlier_spellings(cls, data: Any) -> Any:
        """Null lists, and the fields of fundmatch 0.1 files (one ``contact``, a financially weak rate)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in ("deadlines", "contacts", "documents", "rate_conditions", "same_as"):
            if name in data and data[name] is None:
                data[name] = []
        if "contact" in data:
            contact = data.pop("contact")
            if contact and "contacts" not in data:
                data["contacts"] = [contact]
        if "funding_rate_financially_weak" in data:
            rate = data.pop("funding_rate_financially_weak")
            if rate is not None and "rate_conditions" not in data:
                data["rate_conditions"] = [{"condition": "finanzschwache_kommune", "rate": rate}]
        return data

    @property
    def financially_weak_rate(self) -> float | None:
        """The rate for a finanzschwache Kommune, where the program names one."""
        return next((c.rate for c in self.rate_conditions if c.condition == "finanzschwache_kommune"), None)

    @model_validator(mode="after")
    def _ranges(self) -> ProgramRecord:
        for low, high in (("funding_rate_min", "funding_rate_max"), ("amount_min_eur", "amount_max_eur")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise invalid("range", f"Feld {low!r}: {a:g} liegt über {high} {b:g}")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def key(self) -> str:
        """``SOURCE:SOURCE_ID``, see :func:`program_key`; part of what the API answers, not of the file."""
        return program_key(self.source, self.source_id)

    def normalised(self) -> ProgramRecord:
        """A copy with code lists sorted and de-duplicated, keywords de-duplicated, deadlines ordered."""
        update: dict[str, Any] = {name: sorted(set(getattr(self, name))) for name in CODE_LIST_FIELDS}
        update["keywords"] = list(dict.fromkeys(k for k in self.keywords if k))
        update["links"] = list(dict.fromkeys(u for u in self.links if u))
        update["deadlines"] = sorted(set(self.deadlines), key=lambda d: (d.date, d.kind, d.note or ""))
        update["contacts"] = list(dict.fromkeys(c for c in self.contacts if not c.is_empty()))
        update["documents"] = list({d.url: d for d in self.documents}.values())
        update["same_as"] = sorted(set(self.same_as))
        return self.model_copy(update=update)

    def to_dict(self) -> dict:
        """The interchange representation (JSON-ready; dates as ISO strings, empty contact as null).

        Whole-number floats are written as integers: the content hash depends on this spelling, so
        it must not change between versions."""
        data: dict = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in ADDED_IN_0_2 and value in (None, []):
                continue  # absent rather than empty, so that records which do not use them keep their hash
            if name == "deadlines":
                value = [_deadline_dict(d) for d in value]
            elif name in ("contacts", "documents", "rate_conditions"):
                value = [{k: v for k, v in item.model_dump().items() if v is not None} for item in value]
            elif isinstance(value, datetime):
                value = value.isoformat().replace("+00:00", "Z")
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            elif isinstance(value, list):
                value = list(value)
            data[name] = value
        return data

    def content_hash(self) -> str:
        """SHA-256 over the normalised content fields: equal hash means nothing to record."""
        data = self.normalised().to_dict()
        for name in NON_CONTENT_FIELDS:
            data.pop(name, None)
        payload = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _deadline_dict(deadline: Deadline) -> dict:
    data = {"date": deadline.date.isoformat(), "kind": deadline.kind, "note": deadline.note}
    if deadline.recurrence:
        data["recurrence"] = deadline.recurrence
    return data


RECORD_FIELDS: tuple[str, ...] = tuple(ProgramRecord.model_fields)


def text_limit(field: str) -> int:
    """The longest text a record's field takes, as declared on the model (scrapers cut to it)."""
    rule = next(m for m in ProgramRecord.model_fields[field].metadata if isinstance(m, Text))
    return rule.limit
