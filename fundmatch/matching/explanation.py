"""Explanations: a ranked program as the ``Match`` a user reads.

A match shows the program's facts, its eligibility with reasons, its score components, the measure's
words the program's own text holds ("Gemeinsame Begriffe") and the thesaurus concepts both name.
``ProgramTable`` keeps the facts of every program the matcher ranks, so an index file needs no records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from fundmatch import identity
from fundmatch.interchange import Match, MeasureSpec
from fundmatch.matching import eligibility
from fundmatch.matching.features import Features, Query
from fundmatch.matching.text import content_words, fold, stem
from fundmatch.scrapers.records import Deadline, ProgramRecord

MIN_SHOWN_PART = 5  # a compound part shorter than this ("Ende", "Amt") says nothing shown on its own
WEAK_TERMS = frozenset({"ende", "beginn", "teil", "art", "jahr", "jahre", "zeit", "neue", "neuen", "weitere"})
"""Words too general to be shown as "Gemeinsame Begriffe", however rare in the catalogue."""
MAX_MATCHED_TERMS = 8
_SHOWN_WORD = re.compile(r"[\wÄÖÜäöüß][\wÄÖÜäöüß\-]*")


@dataclass
class ProgramTable:
    """What ranking needs to know of each program besides the index arrays, column by column: the facts a
    Match shows and its eligibility reasons are written from. The index keeps this instead of the records,
    so an index file holds no program texts."""

    source: list[str]
    source_id: list[str]
    title: list[str]
    url: list[str]
    level: list[str]
    regions: list[list[str]]
    applicant_types: list[list[str]]
    funding_types: list[list[str]]
    status: list[str]
    status_note: list[str | None]
    deadlines: list[list[tuple[str, str, str | None]]]  # (ISO date, kind, recurrence)
    rolling: list[bool | None]
    rate_min: list[float | None]
    rate_max: list[float | None]
    amount_max: list[float | None]
    facts_as_of: list[str | None]  # ISO date

    @classmethod
    def of(cls, records: Sequence[ProgramRecord]) -> ProgramTable:
        facts = [identity.facts_date(r) for r in records]
        return cls(
            source=[r.source for r in records],
            source_id=[r.source_id for r in records],
            title=[r.title for r in records],
            url=[r.url for r in records],
            level=[r.level for r in records],
            regions=[list(r.regions) for r in records],
            applicant_types=[list(r.applicant_types) for r in records],
            funding_types=[list(r.funding_types) for r in records],
            status=[r.status for r in records],
            status_note=[r.status_note for r in records],
            deadlines=[[(d.date.isoformat(), d.kind, d.recurrence) for d in r.deadlines] for r in records],
            rolling=[r.rolling for r in records],
            rate_min=[r.funding_rate_min for r in records],
            rate_max=[r.funding_rate_max for r in records],
            amount_max=[r.amount_max_eur for r in records],
            facts_as_of=[day.isoformat() if day else None for day in facts],
        )

    def deadlines_of(self, i: int) -> list[Deadline]:
        return [
            Deadline(date=date.fromisoformat(day), kind=kind, recurrence=rule) for day, kind, rule in self.deadlines[i]
        ]

    def to_json(self) -> dict[str, list]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def assess(self, i: int, measure: MeasureSpec, today: date) -> eligibility.Assessment:
        """The eligibility of program ``i`` for ``measure``, with its reasons."""
        return eligibility.assess(
            regions=self.regions[i],
            applicant_types=self.applicant_types[i],
            status=self.status[i],
            deadlines=self.deadlines_of(i),
            rolling=self.rolling[i],
            funding_types=self.funding_types[i],
            land=measure.land,
            applicant=measure.applicant_type,
            funding_type=measure.funding_type,
            today=today,
            status_note=self.status_note[i],
        )


def shown_terms(query: Query, features: Features) -> list[tuple[str, int]]:
    """What of the measure's words can be shown as shared: (the form shown, its vocabulary column).

    A whole word is shown as the measure writes it; a compound part only as the part itself
    ("Beteiligung" of "Bürgerbeteiligung", never the whole word, which the program need not
    contain), and only a part long and specific enough to mean something on its own (not "Ende"
    of "Ende-zu-Ende")."""
    vocabulary = features.text.words.vocabulary_
    informative = features.text.informative
    terms: dict[int, str] = {}
    for word in _SHOWN_WORD.findall(query.text):
        segments = {fold(segment): segment for segment in word.split("-")}
        for part in content_words(word):
            shown = [(segments.get(fold(part), word), stem(part))]
            shown += [
                (piece[:1].upper() + piece[1:], stem(piece))
                for piece in features.splitter.split(part)
                if len(piece) >= MIN_SHOWN_PART and fold(piece) not in WEAK_TERMS
            ]
            for form, token in shown:
                column = vocabulary.get(token)
                if column is not None and informative[column] and fold(form) not in WEAK_TERMS:
                    terms.setdefault(column, form)
    return [(form, column) for column, form in terms.items()]


def matched_terms(i: int, terms: Sequence[tuple[str, int]], features: Features) -> list[str]:
    """The shown forms of the measure's terms whose stems stand in program ``i``'s own text, rarest first."""
    columns = set(features.text.program_terms.of_row(i).tolist())
    idf = features.text.words.idf_
    found = sorted((-idf[column], n, form) for n, (form, column) in enumerate(terms) if column in columns)
    return list(dict.fromkeys(form for _, _, form in found))[:MAX_MATCHED_TERMS]


def shared_concepts(i: int, query: Query, features: Features) -> list[str]:
    """The measure's concepts program ``i`` names too, each with the words of the measure it comes from."""
    concepts = features.concepts
    program_concepts = {concepts.names[k] for k in concepts.program_concepts.of_row(i).tolist()}
    thesaurus = features.thesaurus
    explained = []
    for mention in query.mentions:
        if mention.concept not in program_concepts:
            continue
        label = thesaurus.concepts[mention.concept].label
        if mention.via:
            narrower = thesaurus.concepts[mention.via].label
            explained.append(f"{label} (Oberbegriff zu {narrower}, aus „{mention.surface}“)")
        else:
            explained.append(f"{label} (aus „{mention.surface}“)")
    return explained


def explain(
    features: Features,
    programs: ProgramTable,
    query: Query,
    sections: Mapping[str, np.ndarray],
    scores: np.ndarray,
    components: Mapping[str, np.ndarray],
    today: date,
) -> list[Match]:
    """The matches of one measure: the programs of each section (section → program rows, in order), with
    the measure's scores and components (each per program). The measure's shown terms are found once,
    where there is a match to show them in."""
    terms = shown_terms(query, features) if any(len(rows) for rows in sections.values()) else []
    return [
        _match(i, query, terms, section, scores, components, features, programs, today)
        for section, rows in sections.items()
        for i in rows
    ]


def _match(
    i: int,
    query: Query,
    terms: Sequence[tuple[str, int]],
    section: str,
    scores: np.ndarray,
    components: Mapping[str, np.ndarray],
    features: Features,
    programs: ProgramTable,
    today: date,
) -> Match:
    assessment = programs.assess(i, query.measure, today)
    facts = programs.facts_as_of[i]
    return Match(
        source=programs.source[i],
        source_id=programs.source_id[i],
        title=programs.title[i],
        url=programs.url[i],
        level=programs.level[i],
        regions=list(programs.regions[i]),
        score=float(scores[i]),
        components={name: float(values[i]) for name, values in components.items()},
        eligibility=assessment.verdict,
        reasons=list(assessment.reasons),
        matched_terms=matched_terms(i, terms, features),
        concepts=shared_concepts(i, query, features),
        next_deadline=assessment.next_deadline,
        rolling=programs.rolling[i],
        funding_types=list(programs.funding_types[i]),
        funding_rate_min=programs.rate_min[i],
        funding_rate_max=programs.rate_max[i],
        amount_max_eur=programs.amount_max[i],
        facts_as_of=date.fromisoformat(facts) if facts else None,
        section=section,
    )
