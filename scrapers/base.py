"""What every source shares: its metadata, the parse error, and the warnings a parse collects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fundmatch.errors import FundmatchError
from fundmatch.scrapers.records import ProgramRecord
from fundmatch.shapes import describe, is_http_url


@dataclass(frozen=True)
class SourceInfo:
    """A source's metadata, declared beside its parsers (OpenSanctions-style).

    ``expected_count`` is the plausible record count of a complete run; a run outside it is failed
    before anything is written. ``fill_thresholds`` gives, per field, the share of records that must
    carry it.
    """

    id: str
    title: str
    publisher: str
    url: str
    expected_count: tuple[int, int]
    fill_thresholds: dict[str, float] = field(default_factory=lambda: {"title": 0.99, "url": 0.99, "regions": 0.99})
    licence: str | None = None
    attribution: str | None = None


class ParseError(FundmatchError):
    """A page or file that does not hold what its parser must find; says source, where and what."""

    def __init__(self, source: str, where: str, what: str):
        super().__init__(f"{source}: {where}: {what}")
        self.source = source
        self.where = where
        self.what = what


@dataclass
class Warnings:
    """Warnings a parse collects (unknown labels, skipped parts) with the URL or member they concern."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append((where, message))

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


@dataclass(frozen=True)
class SourceConfig:
    """Where and how one run reads a source: base URL (a local fixture server in tests), expected count,
    and the run's budget (overall seconds and bytes received)."""

    base_url: str
    expected_count: tuple[int, int]
    workdir: Path
    today: date
    deadline_s: float
    max_bytes: int


@dataclass
class Harvest:
    """What one run collected from a source, before anything is written.

    ``listed_ids`` is the complete listing of the source (the ids it offers now, parsed or not);
    None when the listing is incomplete, so that nothing may be withdrawn. ``contract_problems``
    say that the source's structure changed (a renamed classifier): the run is held for review.
    """

    records: list[ProgramRecord]
    listed_ids: set[str] | None
    warnings: Warnings
    errors: int = 0
    fetched: int = 0
    notes: list[str] = field(default_factory=list)
    contract_problems: list[str] = field(default_factory=list)


def build_record(where: str, warnings: Warnings, /, **fields: Any) -> ProgramRecord:
    """The record a parser read, checked against the catalogue's declared shape.

    A link that is not an http(s) address (``javascript:``, ``mailto:``, a relative path) is dropped
    with a warning, so it can never become a link on a page or in a draft; anything else the shape
    refuses is a :class:`ParseError` for this one record, which the run skips and counts."""
    links = list(fields.get("links") or [])
    fields["links"] = [url for url in links if is_http_url(url)]
    for url in dict.fromkeys(url for url in links if not is_http_url(url)):
        warnings.add(where, f"link {url[:200]!r} is not an http(s) address; dropped")
    try:
        return ProgramRecord(**fields)
    except ValidationError as exc:
        raise ParseError(str(fields.get("source")), where, describe(exc)) from None
