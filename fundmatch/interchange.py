"""Read and write the public interchange formats (``shared/formats/interchange.md``, version 1).

Reading is strict: every problem raises :class:`InterchangeError` naming the file position, the
record (index and ``source_id`` or ``id``) and the field. Nothing is half-read: callers get all
records or an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fundmatch import vocab
from fundmatch.scrapers import registered_source_ids
from fundmatch.scrapers.records import RECORD_FIELDS, Contact, Deadline, ProgramRecord

CATALOGUE_FORMAT = "fundmatch-catalogue"
MEASURES_FORMAT = "fundmatch-measures"
MATCHES_FORMAT = "fundmatch-matches"
VERSION = 1

MAX_TEXT = {"title": 1_000, "summary": 20_000, "description": 500_000, "legal_basis": 50_000}
MAX_SHORT_TEXT = 2_000
# A measure's text is cut for matching (with a warning), so only absurd sizes are refused outright.
MAX_MEASURE_DESCRIPTION = 10_000_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SOURCE_ID_RE = re.compile(r"[a-z0-9_]{1,64}")


class InterchangeError(ValueError):
    """A file that does not follow the interchange format; the message says what and where."""


def _fail(where: str, message: str) -> InterchangeError:
    return InterchangeError(f"{where}: {message}")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InterchangeError(f"duplicate key {key!r} in one JSON object")
        seen[key] = value
    return seen


def load_json(data: bytes, *, name: str, max_bytes: int) -> Any:
    """Decode and parse a JSON document strictly (UTF-8, no duplicate keys, size-capped)."""
    if len(data) > max_bytes:
        raise InterchangeError(
            f"{name}: file is {len(data) / 1e6:.1f} MB, more than the limit of {max_bytes / 1e6:.0f} MB "
            "(set FUNDMATCH_MAX_IMPORT_MB to raise it)"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InterchangeError(
            f"{name}: not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded"
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise InterchangeError(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except InterchangeError as exc:
        raise InterchangeError(f"{name}: {exc}") from None


def _check_header(document: Any, name: str, expected: str, list_key: str) -> list:
    if isinstance(document, list) and expected == MEASURES_FORMAT:
        return document
    if not isinstance(document, dict):
        raise InterchangeError(f'{name}: expected a JSON object with "format": "{expected}"')
    fmt = document.get("format")
    if fmt != expected:
        raise InterchangeError(f"{name}: format is {fmt!r}, expected {expected!r}")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InterchangeError(f"{name}: version must be a whole number, got {version!r}")
    if version > VERSION:
        raise InterchangeError(
            f"{name}: version {version} is newer than this fundmatch understands ({VERSION}); update fundmatch"
        )
    if version < 1:
        raise InterchangeError(f"{name}: version {version} does not exist")
    items = document.get(list_key)
    if not isinstance(items, list):
        raise InterchangeError(f"{name}: {list_key!r} must be a list")
    return items


class _Reader:
    """Typed field access on one record dict, with errors naming the record and field."""

    def __init__(self, data: dict, where: str):
        self.data = data
        self.where = where

    def error(self, field: str, message: str) -> InterchangeError:
        return _fail(self.where, f"field {field!r}: {message}")

    def text(self, field: str, *, required: bool = False, limit: int | None = None) -> str | None:
        value = self.data.get(field)
        if value is None:
            if required:
                raise self.error(field, "is required")
            return None
        if not isinstance(value, str):
            raise self.error(field, f"must be a string, got {type(value).__name__}")
        value = _CONTROL.sub("", value)
        if required and not value.strip():
            raise self.error(field, "must not be empty")
        limit = limit or MAX_TEXT.get(field, MAX_SHORT_TEXT)
        if len(value) > limit:
            raise self.error(field, f"is {len(value):,} characters long, the limit is {limit:,}")
        return value

    def codes(self, field: str, vocabulary: vocab.Vocabulary | dict, *, required: bool = False) -> list[str]:
        value = self.data.get(field)
        if value is None:
            if required:
                raise self.error(field, "is required")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(field, "must be a list of strings")
        if required and not value:
            raise self.error(field, "must not be empty")
        known = vocabulary.labels if isinstance(vocabulary, vocab.Vocabulary) else vocabulary
        for code in value:
            if code not in known:
                raise self.error(field, f"unknown code {code!r}; valid codes: {', '.join(known)}")
        return list(value)

    def code(self, field: str, vocabulary: vocab.Vocabulary, default: str | None = None) -> str:
        value = self.data.get(field, default)
        if value is None:
            value = default
        if value is None:
            raise self.error(field, "is required")
        if value not in vocabulary:
            raise self.error(field, f"unknown code {value!r}; valid codes: {', '.join(vocabulary.codes)}")
        return value

    def number(self, field: str, *, low: float = 0, high: float | None = None) -> float | None:
        value = self.data.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(field, f"must be a number, got {value!r}")
        if value < low or (high is not None and value > high):
            bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise self.error(field, f"must be {bounds}, got {value!r}")
        return float(value)

    def boolean(self, field: str) -> bool | None:
        value = self.data.get(field)
        if value is None or isinstance(value, bool):
            return value
        raise self.error(field, f"must be true, false or null, got {value!r}")

    def day(self, field: str, value: Any = None) -> date | None:
        value = self.data.get(field) if value is None else value
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise self.error(field, f"must be a date YYYY-MM-DD, got {value!r}") from None

    def timestamp(self, field: str) -> datetime | None:
        value = self.data.get(field)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise self.error(field, f"must be an ISO timestamp, got {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def string_list(self, field: str) -> list[str]:
        value = self.data.get(field)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(field, "must be a list of strings")
        for item in value:
            if len(item) > MAX_SHORT_TEXT:
                raise self.error(field, f"an entry is {len(item):,} characters long, the limit is {MAX_SHORT_TEXT:,}")
        return [_CONTROL.sub("", v).strip() for v in value if v.strip()]

    def urls(self, field: str) -> list[str]:
        values = self.string_list(field)
        for url in values:
            if not re.match(r"https?://\S+$", url):
                raise self.error(field, f"entries must be http(s) URLs, got {url!r}")
        return values


def _deadlines(reader: _Reader) -> list[Deadline]:
    raw = reader.data.get("deadlines")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise reader.error("deadlines", "must be a list")
    result = []
    for position, item in enumerate(raw):
        field = f"deadlines[{position}]"
        if not isinstance(item, dict):
            raise reader.error(field, "must be an object with date, kind and note")
        unknown = set(item) - {"date", "kind", "note"}
        if unknown:
            raise reader.error(field, f"unknown keys {sorted(unknown)}")
        day = reader.day(f"{field}.date", item.get("date") or "missing")
        kind = item.get("kind") or "submission"
        if kind not in vocab.DEADLINE_KIND:
            raise reader.error(
                f"{field}.kind", f"unknown code {kind!r}; valid codes: {', '.join(vocab.DEADLINE_KIND.codes)}"
            )
        note = item.get("note")
        if note is not None and not isinstance(note, str):
            raise reader.error(f"{field}.note", "must be a string")
        result.append(Deadline(date=day, kind=kind, note=note))
    return result


def _contact(reader: _Reader) -> Contact | None:
    raw = reader.data.get("contact")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise reader.error("contact", "must be an object")
    allowed = {"name", "email", "phone", "url", "address"}
    unknown = set(raw) - allowed
    if unknown:
        raise reader.error("contact", f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    sub = _Reader(raw, reader.where)
    return Contact(**{key: sub.text(key) for key in allowed if key in raw})


def program_from_dict(data: Any, where: str, known_sources: Iterable[str]) -> ProgramRecord:
    """One catalogue record → :class:`ProgramRecord`, validated field by field."""
    if not isinstance(data, dict):
        raise _fail(where, "must be a JSON object")
    reader = _Reader(data, where)
    unknown = set(data) - set(RECORD_FIELDS)
    if unknown:
        raise _fail(where, f"unknown fields {sorted(unknown)}")
    source = reader.text("source", required=True)
    if source not in known_sources:
        raise reader.error("source", f"unknown source {source!r}; known: {', '.join(sorted(known_sources))}")
    url = reader.text("url", required=True, limit=1000)
    if not re.match(r"https?://\S+$", url):
        raise reader.error("url", f"must be an http(s) URL, got {url!r}")
    rate_min = reader.number("funding_rate_min", high=100)
    rate_max = reader.number("funding_rate_max", high=100)
    if rate_min is not None and rate_max is not None and rate_min > rate_max:
        raise reader.error("funding_rate_min", f"{rate_min:g} is above funding_rate_max {rate_max:g}")
    amount_min = reader.number("amount_min_eur")
    amount_max = reader.number("amount_max_eur")
    if amount_min is not None and amount_max is not None and amount_min > amount_max:
        raise reader.error("amount_min_eur", f"{amount_min:g} is above amount_max_eur {amount_max:g}")
    return ProgramRecord(
        source=source,
        source_id=reader.text("source_id", required=True, limit=500).strip(),
        title=" ".join(reader.text("title", required=True).split()),
        url=url,
        level=reader.code("level", vocab.LEVEL),
        regions=reader.codes("regions", vocab.REGION, required=True),
        summary=reader.text("summary"),
        description=reader.text("description"),
        funding_types=reader.codes("funding_types", vocab.FUNDING_TYPE),
        applicant_types=reader.codes("applicant_types", vocab.APPLICANT_TYPE),
        topics=reader.codes("topics", vocab.TOPIC),
        subtopics=reader.codes("subtopics", vocab.SUBTOPIC_LABELS),
        funder=reader.text("funder"),
        funding_rate_min=rate_min,
        funding_rate_max=rate_max,
        funding_rate_financially_weak=reader.number("funding_rate_financially_weak", high=100),
        amount_min_eur=amount_min,
        amount_max_eur=amount_max,
        deadlines=_deadlines(reader),
        rolling=reader.boolean("rolling"),
        status=reader.code("status", vocab.STATUS, default="unknown"),
        legal_basis=reader.text("legal_basis"),
        contact=_contact(reader),
        links=reader.urls("links"),
        keywords=reader.string_list("keywords"),
        source_updated=reader.day("source_updated"),
        last_seen=reader.timestamp("last_seen"),
    ).normalised()


def parse_catalogue(document: Any, *, name: str = "catalogue") -> list[ProgramRecord]:
    """All records of a catalogue document, or an :class:`InterchangeError` for the first bad one."""
    items = _check_header(document, name, CATALOGUE_FORMAT, "programs")
    known = set(registered_source_ids()) | {"manual"}
    records: list[ProgramRecord] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        source_id = item.get("source_id") if isinstance(item, dict) else None
        where = f"{name}: record {index} (source_id {source_id!r})"
        record = program_from_dict(item, where, known)
        if record.key in seen:
            raise _fail(where, f"duplicate key {record.source}:{record.source_id}, first at record {seen[record.key]}")
        seen[record.key] = index
        records.append(record)
    return records


def catalogue_document(records: Iterable[ProgramRecord], exported_at: datetime) -> dict:
    return {
        "format": CATALOGUE_FORMAT,
        "version": VERSION,
        "exported_at": exported_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "programs": [record.to_dict() for record in records],
    }


@dataclass(frozen=True)
class MeasureSpec:
    """A planned measure (Maßnahme) as the matcher and the drafts see it, stored or not."""

    id: str
    title: str
    land: str
    description: str = ""
    applicant_type: str = "kommune"
    municipality_type: str | None = None
    handlungsfeld: str | None = None
    cost_eur: float | None = None
    start: date | None = None
    funding_type: str | None = None

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.description}".strip()


MEASURE_FIELDS = {
    "id",
    "title",
    "description",
    "land",
    "applicant_type",
    "municipality_type",
    "handlungsfeld",
    "cost_eur",
    "start",
    "funding_type",
}


def measure_from_dict(data: Any, where: str) -> MeasureSpec:
    if not isinstance(data, dict):
        raise _fail(where, "must be a JSON object")
    unknown = set(data) - MEASURE_FIELDS
    if unknown:
        raise _fail(where, f"unknown fields {sorted(unknown)}; allowed: {sorted(MEASURE_FIELDS)}")
    reader = _Reader(data, where)
    raw_id = data.get("id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        data = {**data, "id": str(raw_id)}
        reader = _Reader(data, where)
    land = reader.text("land", required=True).strip().upper()
    if land not in vocab.LAND_BY_CODE:
        raise reader.error("land", f"unknown Land {land!r}; valid: {vocab.valid_land_codes()}")
    handlungsfeld = reader.text("handlungsfeld")
    if handlungsfeld is not None:
        code = vocab.HANDLUNGSFELD.lookup(handlungsfeld)
        if code is None:
            raise reader.error(
                "handlungsfeld",
                f"unknown Handlungsfeld {handlungsfeld!r}; valid: {', '.join(vocab.HANDLUNGSFELD.labels.values())}",
            )
        handlungsfeld = code
    funding_type = data.get("funding_type")
    return MeasureSpec(
        id=reader.text("id", required=True, limit=100).strip(),
        title=" ".join(reader.text("title", required=True, limit=300).split()),
        land=land,
        description=reader.text("description", limit=MAX_MEASURE_DESCRIPTION) or "",
        applicant_type=reader.code("applicant_type", vocab.APPLICANT_TYPE, default="kommune"),
        municipality_type=reader.text("municipality_type", limit=100),
        handlungsfeld=handlungsfeld,
        cost_eur=reader.number("cost_eur"),
        start=reader.day("start"),
        funding_type=reader.code("funding_type", vocab.FUNDING_TYPE) if funding_type is not None else None,
    )


def parse_measures(document: Any, *, name: str = "measures") -> list[MeasureSpec]:
    items = _check_header(document, name, MEASURES_FORMAT, "measures")
    measures: list[MeasureSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        measure_id = item.get("id") if isinstance(item, dict) else None
        where = f"{name}: measure {index} (id {measure_id!r})"
        measure = measure_from_dict(item, where)
        if measure.id in seen:
            raise _fail(where, f"duplicate id {measure.id!r}, first at measure {seen[measure.id]}")
        seen[measure.id] = index
        measures.append(measure)
    return measures
