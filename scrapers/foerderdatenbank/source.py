"""Förderdatenbank source metadata and program ids (the path below ``Foerderprogramm/``, since slugs repeat)."""

from __future__ import annotations

import re

from fundmatch import vocab
from fundmatch.scrapers.base import SourceInfo

SOURCE = SourceInfo(
    id="foerderdatenbank",
    title="Förderdatenbank des Bundes",
    publisher="Bundesministerium für Wirtschaft und Energie (BMWE)",
    url="https://www.foerderdatenbank.de/",
    expected_count=(2_000, 4_000),
    fill_thresholds={"title": 0.99, "url": 0.99, "regions": 0.99, "topics": 0.8, "funding_types": 0.7},
    licence="CC BY-ND 4.0",
    attribution=(
        "Förderdatenbank des Bundes, Bundesministerium für Wirtschaft und Energie, lizenziert unter CC BY-ND 4.0"
    ),
)

SITE = "https://www.foerderdatenbank.de/"
BASE_URL = SITE
PROGRAM_PREFIX = "FDB/Content/DE/Foerderprogramm/"
_PROGRAM_PATH = re.compile(r"FDB/Content/DE/Foerderprogramm/(?P<id>[^?#]+?)\.(?:html|xml)")


def program_id_from_url(url: str) -> str | None:
    """``…/Foerderprogramm/Land/Bayern/x.html`` → ``Land/Bayern/x``; None for other pages."""
    match = _PROGRAM_PATH.search(url)
    return match.group("id") if match else None


def program_url(program_id: str) -> str:
    return f"{SITE}{PROGRAM_PREFIX}{program_id}.html"


def level_from_id(program_id: str) -> str:
    """The level the site files a program under: its first path folder (Bund, Land, EU)."""
    head = program_id.split("/", 1)[0].lower()
    return {"bund": "bund", "land": "land", "eu": "eu"}.get(head, "other")


def regions_from_id(program_id: str) -> list[str]:
    """The region the site's folder implies (Bund → DE, EU → EU, Land/Bayern → BY): a fallback only."""
    level = level_from_id(program_id)
    if level == "bund":
        return [vocab.NATIONWIDE]
    if level == "eu":
        return [vocab.EU_WIDE]
    parts = program_id.split("/")
    land = vocab.REGION.lookup(parts[1]) if level == "land" and len(parts) > 2 else None
    return [land] if land else []
