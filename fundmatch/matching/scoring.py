"""Scoring: evidence weighed into score components, the components into one score.

Pure functions of the ``Evidence``, the program ``Features`` and ``Weights``: the tuner tries many
weightings on evidence gathered once. Every component lies in 0..1; the score is their weighted mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from fundmatch.matching.features import (
    APPLICANT_CLASSES,
    FIELDS,
    INVESTMENT_CLASSES,
    REGION_CLASSES,
    STATUS_CLASSES,
    Evidence,
    Features,
)

COMPONENTS = ("text", "chars", "concepts", "topics", "name", "finance", "instrument", "region", "applicant", "status")


@dataclass(frozen=True)
class Weights:
    """How much each score component counts, how much each field counts in the text component
    (``field_*``), and what a partial facet match is worth (the levels, 0..1; a full match is 1, none
    is 0). Set by measurement, not by taste: these are the values ``python -m benchmarks.eval.tune``
    found on the development part of both judged sets (see docs/benchmarks.md); the held-out part was
    never used to choose them."""

    text: float = 1.0
    chars: float = 5.0
    concepts: float = 1.5
    topics: float = 0.25
    name: float = 1.0
    finance: float = 1.5
    instrument: float = 0.25
    region: float = 2.0
    applicant: float = 2.0
    status: float = 1.5
    field_title: float = 5.0
    field_tags: float = 5.0
    field_summary: float = 0.0
    field_body: float = 3.0
    region_nationwide: float = 0.7  # a nationwide program for a Land's measure (its own Land's: 1)
    region_eu: float = 0.7  # an EU program
    applicant_check: float = 0.8  # applicant verdict "check" where the program names applicants or Kommunen
    applicant_unknown: float = 0.5  # … where it says nothing about applicants
    applicant_private: float = 0.2  # … where its text addresses companies or private persons
    status_forthcoming: float = 0.9
    status_unknown: float = 0.8
    investment_mixed: float = 0.7  # a general loan for a measure mostly of staff, advice or events
    investment_small: float = 0.4  # a general loan for a measure under INVESTMENT_EUR
    topic_inferred: float = 0.6  # a program's Förderbereich implied by its concepts, not declared
    topic_secondary: float = 0.8  # a Förderbereich of the measure's Handlungsfeld other than its first
    topic_from_concepts: float = 0.0  # a Förderbereich implied by the measure's concepts
    concept_in_body: float = 0.0  # a concept only the program's texts name, not its title or keywords

    @property
    def components(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in COMPONENTS}

    @property
    def fields(self) -> dict[str, float]:
        return {f: getattr(self, f"field_{f}") for f in FIELDS}

    @property
    def levels(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if k not in COMPONENTS and not k.startswith("field_")}


def _levels(classes: Sequence[str], values: dict[str, float]) -> np.ndarray:
    """The value of each facet class, in the order of ``classes`` (the class indices point into it)."""
    return np.array([values[name] for name in classes], dtype=np.float32)


def weigh(features: Features, evidence: Evidence, weights: Weights) -> dict[str, np.ndarray]:
    """Every score component for every (program, query), each 0..1, from the evidence."""
    field_weights = weights.fields
    text = sum(field_weights[f] * evidence.fields[f] for f in FIELDS) / max(sum(field_weights.values()), 1e-9)
    origins = evidence.query_topics
    q_topics = np.maximum.reduce(
        [
            origins["first"],
            weights.topic_secondary * origins["secondary"],
            weights.topic_from_concepts * origins["concepts"],
        ]
    )
    topic_totals = q_topics.sum(axis=0)
    program_topics = features.topics
    topics = (
        program_topics.declared @ q_topics + weights.topic_inferred * (program_topics.inferred @ q_topics)
    ) / np.where(topic_totals > 0, topic_totals, 1)
    facets = features.facets
    queries = evidence.investment.shape[0]
    region = _levels(
        REGION_CLASSES,
        {"own": 1.0, "nationwide": weights.region_nationwide, "eu": weights.region_eu, "elsewhere": 0.0},
    )
    applicant = _levels(
        APPLICANT_CLASSES,
        {
            "eligible": 1.0,
            "check": weights.applicant_check,
            "unknown": weights.applicant_unknown,
            "private": weights.applicant_private,
            "ineligible": 0.0,
        },
    )
    status = _levels(
        STATUS_CLASSES,
        {"open": 1.0, "forthcoming": weights.status_forthcoming, "unknown": weights.status_unknown, "over": 0.0},
    )[facets.status]
    investment = _levels(
        INVESTMENT_CLASSES,
        {"investment": 1.0, "mixed": weights.investment_mixed, "small": weights.investment_small},
    )[evidence.investment]
    return {
        "text": text,
        "chars": evidence.chars,
        "concepts": evidence.concepts_headline + weights.concept_in_body * evidence.concepts_body,
        "topics": topics,
        "name": evidence.name,
        "finance": facets.general_loan[:, None] * investment[None, :],
        "instrument": np.repeat(facets.general_program[:, None], queries, axis=1),
        "region": region[evidence.region],
        "applicant": applicant[evidence.applicant],
        "status": np.repeat(status[:, None], queries, axis=1),
    }


def score(components: Mapping[str, np.ndarray], weights: Weights) -> np.ndarray:
    """The weighted mean of the components (each clipped to 0..1), for every (program, query)."""
    by_component = weights.components
    total = sum(by_component.values())
    return np.asarray(sum(by_component[name] * np.clip(values, 0, 1) for name, values in components.items()) / total)


def shares_text(evidence: Evidence) -> np.ndarray:
    """Where a program shares a word, a concept or its name with a query, whatever the weights."""
    words = np.logical_or.reduce([values > 0 for values in evidence.fields.values()])
    concepts = (evidence.concepts_headline > 0) | (evidence.concepts_body > 0)
    return words | concepts | (evidence.name > 0)


def substance(features: Features, evidence: Evidence) -> np.ndarray:
    """Where a program shares something real with a measure: a word, a concept, its name, at least
    half of the measure's Förderbereiche among those it declares, or it is a general municipal
    instrument. Elsewhere it is no match at all, whatever the weights."""
    q_topics = np.maximum.reduce(list(evidence.query_topics.values()))
    shared_topics = features.topics.declared @ q_topics
    topics = shared_topics >= 0.5 * np.maximum(q_topics.sum(axis=0), 1)
    facets = features.facets
    instruments = (facets.general_loan > 0) | (facets.general_program > 0)
    return shares_text(evidence) | topics | instruments[:, None]
