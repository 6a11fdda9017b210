"""The typed program record every source yields and the catalogue stores.

Field names and values follow the catalogue interchange format (version 1). Scrapers build these
records; ``fundmatch.interchange`` reads and writes them as JSON; ``fundmatch.catalogue`` stores them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime

# Fields whose order carries no meaning: stored sorted so that a reordering is no change.
CODE_LIST_FIELDS = ("regions", "funding_types", "applicant_types", "topics", "subtopics")
# Fields that are bookkeeping of the catalogue, not content of the program.
NON_CONTENT_FIELDS = ("last_seen",)


@dataclass(frozen=True)
class Deadline:
    """A dated step: a submission deadline, the sketch stage of a two-stage call, a cut-off, the end."""

    date: date
    kind: str = "submission"
    note: str | None = None


@dataclass(frozen=True)
class Contact:
    """Ansprechpunkt: who to call about the program."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    address: str | None = None

    def is_empty(self) -> bool:
        return not any(asdict(self).values())


@dataclass
class ProgramRecord:
    """One funding program (Förderprogramm) as a source describes it."""

    source: str
    source_id: str
    title: str
    url: str
    level: str
    regions: list[str]
    summary: str | None = None
    description: str | None = None
    funding_types: list[str] = field(default_factory=list)
    applicant_types: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    subtopics: list[str] = field(default_factory=list)
    funder: str | None = None
    funding_rate_min: float | None = None
    funding_rate_max: float | None = None
    funding_rate_financially_weak: float | None = None
    amount_min_eur: float | None = None
    amount_max_eur: float | None = None
    deadlines: list[Deadline] = field(default_factory=list)
    rolling: bool | None = None
    status: str = "unknown"
    legal_basis: str | None = None
    contact: Contact | None = None
    links: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    source_updated: date | None = None
    last_seen: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)

    def normalised(self) -> ProgramRecord:
        """A copy with code lists sorted and de-duplicated, keywords de-duplicated, deadlines ordered."""
        copy = ProgramRecord(**{f.name: getattr(self, f.name) for f in fields(self)})
        for name in CODE_LIST_FIELDS:
            setattr(copy, name, sorted(set(getattr(self, name))))
        copy.keywords = list(dict.fromkeys(k for k in self.keywords if k))
        copy.links = list(dict.fromkeys(u for u in self.links if u))
        copy.deadlines = sorted(set(self.deadlines), key=lambda d: (d.date, d.kind, d.note or ""))
        if copy.contact is not None and copy.contact.is_empty():
            copy.contact = None
        return copy

    def to_dict(self) -> dict:
        """The interchange representation (JSON-ready; dates as ISO strings, empty contact as null)."""
        data: dict = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "deadlines":
                value = [{"date": d.date.isoformat(), "kind": d.kind, "note": d.note} for d in value]
            elif f.name == "contact":
                value = (
                    None
                    if value is None or value.is_empty()
                    else {k: v for k, v in asdict(value).items() if v is not None}
                )
            elif isinstance(value, datetime):
                value = value.isoformat().replace("+00:00", "Z")
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            elif isinstance(value, list):
                value = list(value)
            data[f.name] = value
        return data

    def content_hash(self) -> str:
        """SHA-256 over the normalised content fields: equal hash means nothing to record."""
        data = self.normalised().to_dict()
        for name in NON_CONTENT_FIELDS:
            data.pop(name, None)
        payload = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ProgramRecord))
