"""The public interchange formats (``shared/formats/interchange.md``, version 1), declared once.

The documents are pydantic models built from :mod:`fundmatch.shapes`; the same models read files,
write exports, validate API bodies and describe them in the OpenAPI document. Reading is strict:
every problem raises :class:`InterchangeError` naming the file, the record (index and ``source_id``
or ``id``) and the field. Nothing is half-read: callers get all records or an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_serializer

from fundmatch import instrument, vocab
from fundmatch.errors import InputError
from fundmatch.scrapers.records import MANUAL_SOURCE, ProgramRecord, program_key
from fundmatch.shapes import Amount, Code, IsoDate, Label, Land, Number, Rate, Text, Timestamp, describe

CATALOGUE_FORMAT = "fundmatch-catalogue"
MEASURES_FORMAT = "fundmatch-measures"
MATCHES_FORMAT = "fundmatch-matches"
VERSION = 1

# A measure's text is cut for matching (with a warning), so only absurd sizes are refused outright.
MAX_MEASURE_DESCRIPTION = 10_000_000
MAX_MEASURE_TITLE = 300
MAX_MEASURE_ID = 100


class InterchangeError(InputError):
    """A file that does not follow the interchange format; the message says what and where."""

    http_status = 422


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InterchangeError(f"Schlüssel {key!r} steht doppelt in einem JSON-Objekt")
        seen[key] = value
    return seen


def load_json(data: bytes, *, name: str, max_bytes: int) -> Any:
    """Decode and parse a JSON document strictly (UTF-8, no duplicate keys, size-capped)."""
    if len(data) > max_bytes:
        raise InterchangeError(
            f"{name}: die Datei ist {len(data) / 1e6:.1f} MB groß, erlaubt sind {max_bytes / 1e6:.0f} MB "
            "(FUNDMATCH_MAX_IMPORT_MB hebt die Grenze an)"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InterchangeError(
            f"{name}: kein UTF-8: Byte 0x{data[exc.start]:02x} an Stelle {exc.start} ist nicht lesbar"
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise InterchangeError(
            f"{name}: ungültiges JSON in Zeile {exc.lineno}, Spalte {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InterchangeError(f"{name}: das JSON ist zu tief verschachtelt") from None
    except InterchangeError as exc:
        raise InterchangeError(f"{name}: {exc}") from None


@dataclass(frozen=True)
class _Header:
    format: str
    list_key: str


def _check_header(document: Any, name: str, header: _Header) -> list:
    if isinstance(document, list) and header.format == MEASURES_FORMAT:
        return document
    if not isinstance(document, dict):
        raise InterchangeError(f'{name}: erwartet wird ein JSON-Objekt mit "format": "{header.format}"')
    fmt = document.get("format")
    if fmt != header.format:
        raise InterchangeError(f"{name}: format ist {fmt!r}, erwartet wird {header.format!r}")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InterchangeError(f"{name}: version muss eine ganze Zahl sein, nicht {version!r}")
    if version > VERSION:
        raise InterchangeError(
            f"{name}: Version {version} ist neuer, als dieses fundmatch versteht ({VERSION}); bitte fundmatch "
            "aktualisieren"
        )
    if version < 1:
        raise InterchangeError(f"{name}: Version {version} gibt es nicht")
    items = document.get(header.list_key)
    if not isinstance(items, list):
        raise InterchangeError(f"{name}: {header.list_key!r} muss eine Liste sein")
    return items


def _validated(model: type[BaseModel], item: Any, where: str) -> Any:
    if not isinstance(item, dict):
        raise InterchangeError(f"{where}: muss ein JSON-Objekt sein")
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        raise InterchangeError(f"{where}: {describe(exc)}") from None


def known_sources() -> set[str]:
    """The sources a catalogue record may name: every registered one and ``manual``."""
    from fundmatch.scrapers import registered_source_ids

    return {*registered_source_ids(), MANUAL_SOURCE}


def parse_catalogue(document: Any, *, name: str = "catalogue") -> list[ProgramRecord]:
    """All records of a catalogue document, or an :class:`InterchangeError` for the first bad one."""
    items = _check_header(document, name, _Header(CATALOGUE_FORMAT, "programs"))
    sources = known_sources()
    records: list[ProgramRecord] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        source_id = item.get("source_id") if isinstance(item, dict) else None
        where = f"{name}: Datensatz {index} (source_id {source_id!r})"
        record = _validated(ProgramRecord, item, where)
        if record.source not in sources:
            known = ", ".join(sorted(sources))
            raise InterchangeError(f"{where}: Feld 'source': unbekannte Quelle {record.source!r}; bekannt: {known}")
        record = record.normalised()
        if record.key in seen:
            raise InterchangeError(
                f"{where}: Schlüssel {record.key} steht doppelt, zuerst in Datensatz {seen[record.key]}"
            )
        seen[record.key] = index
        records.append(record)
    return records


class CatalogueDocument(BaseModel):
    """A whole catalogue file (``fundmatch catalogue export``)."""

    format: Annotated[str, Code([CATALOGUE_FORMAT])] = CATALOGUE_FORMAT
    version: int = VERSION
    exported_at: Annotated[datetime | None, Timestamp()] = None
    programs: list[ProgramRecord]


def catalogue_document(records: Iterable[ProgramRecord], exported_at: datetime) -> dict:
    return {
        "format": CATALOGUE_FORMAT,
        "version": VERSION,
        "exported_at": exported_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "programs": [record.to_dict() for record in records],
    }


class MeasureSpec(BaseModel):
    """A planned measure (Maßnahme) as the matcher and the drafts see it, stored or read from a file.

    ``handlungsfeld`` and ``time_horizon`` accept the German labels and keep the codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Text(MAX_MEASURE_ID, required=True, single_line=True)]
    title: Annotated[str, Text(MAX_MEASURE_TITLE, required=True, single_line=True)]
    land: Annotated[str, Land()]
    description: Annotated[str, Text(MAX_MEASURE_DESCRIPTION)] = ""
    applicant_type: Annotated[str, Code(vocab.APPLICANT_TYPE, default="kommune")] = "kommune"
    municipality_type: Annotated[str | None, Text(100, nullable=True)] = None
    handlungsfeld: Annotated[str | None, Label(vocab.HANDLUNGSFELD, "Handlungsfeld")] = None
    cost_eur: Amount = None
    start: Annotated[date | None, IsoDate()] = None
    funding_type: Annotated[str | None, Code(vocab.FUNDING_TYPE, nullable=True)] = None
    time_horizon: Annotated[str | None, Label(vocab.TIME_HORIZON, "Zeithorizont")] = None
    goal: Annotated[str | None, Text(2_000, nullable=True)] = None

    @classmethod
    def from_dict(cls, data: Any, where: str) -> MeasureSpec:
        """One measure object; a whole-number id is taken as its text, a null description as empty."""
        if isinstance(data, dict):
            data = dict(data)
            if isinstance(data.get("id"), int) and not isinstance(data["id"], bool):
                data["id"] = str(data["id"])
            if data.get("description") is None:
                data.pop("description", None)
        return _validated(cls, data, where)

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.description}".strip()


class MeasuresDocument(BaseModel):
    """A measures file (``fundmatch match --measures``); a bare list of measures is read as well."""

    format: Annotated[str, Code([MEASURES_FORMAT])] = MEASURES_FORMAT
    version: int = VERSION
    measures: list[MeasureSpec]


def parse_measures(document: Any, *, name: str = "measures") -> list[MeasureSpec]:
    items = _check_header(document, name, _Header(MEASURES_FORMAT, "measures"))
    measures: list[MeasureSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        measure_id = item.get("id") if isinstance(item, dict) else None
        where = f"{name}: Maßnahme {index} (id {measure_id!r})"
        measure = MeasureSpec.from_dict(item, where)
        if measure.id in seen:
            raise InterchangeError(f"{where}: id {measure.id!r} steht doppelt, zuerst bei Maßnahme {seen[measure.id]}")
        seen[measure.id] = index
        measures.append(measure)
    return measures


ELIGIBILITY = ("eligible", "check", "ineligible")


class Match(BaseModel):
    """One ranked program for one measure, with what the score is made of and why."""

    source: str
    source_id: str
    title: str
    url: str
    level: Annotated[str, Code(vocab.LEVEL)]
    regions: list[str]
    score: Annotated[float, Number(0, 1)]
    components: dict[str, float]
    eligibility: Annotated[str, Code(ELIGIBILITY)]
    reasons: list[str]
    matched_terms: list[str] = Field(default_factory=list)
    concepts: list[str] = Field(default_factory=list)
    next_deadline: Annotated[date | None, IsoDate()] = None
    rolling: bool | None = None
    """Applications any time (laufend), as the program's merged facts say."""
    funding_types: list[str] = Field(default_factory=list)
    funding_rate_min: Rate = None
    funding_rate_max: Rate = None
    amount_max_eur: Amount = None
    facts_as_of: Annotated[date | None, IsoDate()] = None
    """When the program's facts were last checked at the source (Stand der Angaben)."""
    section: Annotated[str, Code(vocab.MATCH_SECTION, default="specific")] = "specific"
    """``general`` for a general financing instrument, listed apart under "Allgemeine Finanzierung"."""

    @property
    def key(self) -> str:
        return program_key(self.source, self.source_id)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def instrument(self) -> str:
        """What kind of help on which terms, in one German line (see :mod:`fundmatch.instrument`)."""
        return instrument.summary(self.funding_types, self.funding_rate_min, self.funding_rate_max, self.amount_max_eur)

    @field_serializer("score")
    def _round_score(self, score: float) -> float:
        return round(score, 4)

    @field_serializer("components")
    def _round_components(self, components: dict[str, float]) -> dict[str, float]:
        return {name: round(value, 4) for name, value in components.items()}

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")


class MeasureMatches(BaseModel):
    measure_id: str
    matches: list[Match]
    hidden: list[str] = Field(default_factory=list)
    """Keys of programs the consultant marked "nicht relevant" for this measure (left out of ``matches``)."""


class MatchesDocument(BaseModel):
    """Ranked programs for measures (``fundmatch match --format json``, the API's match answers)."""

    format: Annotated[str, Code([MATCHES_FORMAT])] = MATCHES_FORMAT
    version: int = VERSION
    catalogue_version: str
    results: list[MeasureMatches]
