"""Matching as a service for the CLI, the JSON API and the web pages: one function, one result shape."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from fundmatch.config import Settings
from fundmatch.german import format_number
from fundmatch.interchange import MATCHES_FORMAT, VERSION, MeasureSpec
from fundmatch.matching.index import current_matcher
from fundmatch.matching.ranker import Match
from fundmatch.matching.text import MAX_MEASURE_CHARS


@dataclass
class MatchRun:
    """Ranked matches for several measures against one catalogue version."""

    catalogue_version: str
    results: list[tuple[MeasureSpec, list[Match]]]
    warnings: list[str] = field(default_factory=list)

    def to_document(self) -> dict:
        """The ``fundmatch-matches`` interchange document."""
        return {
            "format": MATCHES_FORMAT,
            "version": VERSION,
            "catalogue_version": self.catalogue_version,
            "results": [
                {"measure_id": measure.id, "matches": [m.to_dict() for m in matches]}
                for measure, matches in self.results
            ],
        }


def match_measures(
    session: Session,
    settings: Settings,
    measures: Sequence[MeasureSpec],
    *,
    top: int = 10,
    include_ineligible: bool = False,
    today: date | None = None,
) -> MatchRun:
    """Rank the catalogue for each measure; over-long texts are cut with a warning."""
    matcher = current_matcher(session, settings)
    warnings = [
        f"Maßnahme {m.id}: Text mit {format_number(len(m.text), grouping=True)} Zeichen auf "
        f"{format_number(MAX_MEASURE_CHARS, grouping=True)} Zeichen gekürzt"
        for m in measures
        if len(m.text) > MAX_MEASURE_CHARS
    ]
    ranked = matcher.rank_many(measures, top=top, include_ineligible=include_ineligible, today=today)
    return MatchRun(
        catalogue_version=matcher.version_, results=list(zip(measures, ranked, strict=True)), warnings=warnings
    )


def search_relevance(session: Session, settings: Settings, text: str) -> dict[str, float]:
    """Catalogue search by meaning (stems, compounds, thesaurus): program key → relevance."""
    return current_matcher(session, settings).relevance(text)
