"""The matcher: ranks catalogue programs for measures, scikit-learn style.

``Matcher(weights).fit(records)`` learns the program side (``features``: TF-IDF over stems, compound
parts and thesaurus concepts per field; character n-grams; concept, topic and facet arrays; eligibility
tables). ``rank(measure)`` and ``rank_many(measures)`` gather what the measures share with every program
through inverted indexes (numpy only, see ``vectors``), weigh that evidence into score components and a
score (``scoring``), drop ineligible programs and those that share nothing real, order the rest by score
and key, and explain the top hits (``explanation``).

Rank-time caches, so that ranking computes nothing twice. Each is derived when a matcher is fitted or
loaded, or from the request at hand; none is written to an index file:

- per matcher (made by ``fit`` and ``from_arrays``): ``key_order_``, each program key's place in sorted
  order, the tie-break (so that a measure sorts numbers, not strings); in ``Features``, the
  vocabularies' term → column dicts, the concept and topic columns, the dense block of the frequent
  terms of every ``InvertedIndex``, and the compound splitter's memo of the words it has split;
- per batch of measures: the ``Evidence``, gathered once and weighed as often as asked;
- per measure: its ``Query`` (plain text, tokens, thesaurus mentions) and, while its matches are
  explained, the terms it can show as shared.

Stems are remembered per process, in ``text``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np

from fundmatch.errors import ConflictError
from fundmatch.interchange import Match, MeasureSpec
from fundmatch.matching import explanation, scoring
from fundmatch.matching.explanation import ProgramTable
from fundmatch.matching.features import Evidence, Features, MeasureTextError, Query
from fundmatch.matching.scoring import Weights
from fundmatch.matching.thesaurus import Thesaurus
from fundmatch.scrapers.records import ProgramRecord

__all__ = ["EmptyCatalogueError", "Match", "Matcher", "MeasureTextError", "Weights"]

SPECIFIC, GENERAL = "specific", "general"
GENERAL_TOP = 5
"""General financing instruments (a municipal investment loan, an umbrella fund such as EFRE, GRW,
LEADER or the Städtebauförderung) fit almost any measure; they are listed apart, after the specific
programs ("Allgemeine Finanzierung"), so that they never push a specific program out of the top."""
SEARCH_COMPONENTS = ("text", "chars", "concepts", "name")


class EmptyCatalogueError(ConflictError):
    """A catalogue without programs: there is nothing to index or rank until one is loaded."""


class Matcher:
    """Ranks programs for measures. Configure in ``__init__``; ``fit`` learns the program ``features_``
    and the ``programs_`` table of facts. ``arrays`` and ``from_arrays`` carry the learned state to an
    index file and back: numpy arrays and JSON-ready metadata, nothing pickled. ``records_`` is there
    only after ``fit``: ranking never needs it."""

    thesaurus_: Thesaurus
    version_: str
    records_: list[ProgramRecord]
    features_: Features
    programs_: ProgramTable
    keys_: list[str]
    key_order_: np.ndarray

    def __init__(
        self,
        weights: Weights | None = None,
        thesaurus: Thesaurus | None = None,
        char_ngrams: tuple[int, int] = (3, 5),
    ):
        self.weights = weights or Weights()
        self.thesaurus = thesaurus
        self.char_ngrams = char_ngrams

    def fit(self, records: Sequence[ProgramRecord], version: str = "") -> Matcher:
        self.thesaurus_ = self.thesaurus or Thesaurus.load()
        self.version_ = version
        self.records_ = list(records)
        if not self.records_:
            raise EmptyCatalogueError(
                "the catalogue holds no programs yet: load the curated one with `fundmatch seed` "
                "or import one with `fundmatch catalogue import FILE`"
            )
        self.programs_ = ProgramTable.of(self.records_)
        self._set_keys([r.key for r in self.records_])
        self.features_ = Features.fit(self.records_, self.thesaurus_, self.char_ngrams)
        return self

    def _set_keys(self, keys: list[str]) -> None:
        self.keys_ = keys
        self.key_order_ = np.unique(np.array(keys), return_inverse=True)[1]

    @property
    def general_loan_(self) -> np.ndarray:
        """1.0 for the general municipal loans, 0.0 for other programs."""
        return self.features_.facets.general_loan

    # ---- the learned state as arrays and metadata --------------------------------------------------
    def arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The learned state: numpy arrays, and metadata of plain lists, dicts and strings (JSON-ready).
        ``from_arrays`` builds an equal matcher from them."""
        arrays, meta = self.features_.arrays()
        return arrays, {
            "version": self.version_,
            "char_ngrams": list(self.char_ngrams),
            "keys": self.keys_,
            "programs": self.programs_.to_json(),
            **meta,
        }

    @classmethod
    def from_arrays(
        cls,
        arrays: Mapping[str, np.ndarray],
        meta: Mapping[str, Any],
        thesaurus: Thesaurus,
        weights: Weights | None = None,
    ) -> Matcher:
        """A fitted matcher from what ``arrays`` returned, with the thesaurus it was fitted with."""
        low, high = meta["char_ngrams"]
        matcher = cls(weights, thesaurus, (low, high))
        matcher.thesaurus_ = thesaurus
        matcher.version_ = meta["version"]
        matcher.programs_ = ProgramTable(**meta["programs"])
        matcher._set_keys(meta["keys"])
        matcher.features_ = Features.load(arrays, meta, thesaurus, len(matcher.keys_), matcher.char_ngrams)
        return matcher

    # ---- scoring -----------------------------------------------------------------------------------
    def prepare(self, measure: MeasureSpec) -> Query:
        """A measure as a query; an empty or stop-word-only text is a ``MeasureTextError``."""
        return self.features_.prepare(measure)

    def evidence(self, queries: Sequence[Query]) -> Evidence:
        """What every program shares with every query, before weighing."""
        return self.features_.evidence(queries)

    def weigh(self, evidence: Evidence, weights: Weights | None = None) -> dict[str, np.ndarray]:
        """Every score component for every (program, query), each 0..1, from the evidence."""
        return scoring.weigh(self.features_, evidence, weights or self.weights)

    def components(self, queries: Sequence[Query]) -> dict[str, np.ndarray]:
        """Every score component for every (program, query): arrays of shape (programs, queries)."""
        return self.weigh(self.evidence(queries))

    def score(self, components: dict[str, np.ndarray], weights: Weights | None = None) -> np.ndarray:
        """The score of every (program, query): the weighted mean of its components."""
        return scoring.score(components, weights or self.weights)

    def substance(self, evidence: Evidence) -> np.ndarray:
        """Where a program shares something real with a measure (see ``scoring.substance``)."""
        return scoring.substance(self.features_, evidence)

    def verdicts(self, measure: MeasureSpec, today: date) -> np.ndarray:
        """0 eligible, 1 check, 2 ineligible for every program: the worst of the tabulated checks."""
        return self.features_.eligibility.verdicts(measure, today)

    def relevance(self, text: str) -> dict[str, float]:
        """Text relevance of every program for a free search (no eligibility): key → score 0..1."""
        query = self.prepare(MeasureSpec(id="search", title=text[:300], description=text, land="BY"))
        evidence = self.evidence([query])
        components = self.weigh(evidence)
        weights = {k: v for k, v in self.weights.components.items() if k in SEARCH_COMPONENTS}
        score = sum(w * np.clip(components[k][:, 0], 0, 1) for k, w in weights.items()) / sum(weights.values())
        found = np.flatnonzero(scoring.shares_text(evidence)[:, 0])
        return {self.keys_[i]: float(score[i]) for i in found}

    # ---- ranking -----------------------------------------------------------------------------------
    def rank(
        self, measure: MeasureSpec, top: int = 10, include_ineligible: bool = False, today: date | None = None
    ) -> list[Match]:
        return self.rank_many([measure], top=top, include_ineligible=include_ineligible, today=today)[0]

    def rank_many(
        self,
        measures: Sequence[MeasureSpec],
        top: int = 10,
        include_ineligible: bool = False,
        today: date | None = None,
    ) -> list[list[Match]]:
        """Ranked, explained matches for each measure, in one pass over the index: the ``top`` specific
        programs by score (ties by key), then up to ``GENERAL_TOP`` general municipal loans apart."""
        if not measures:
            return []
        today = today or date.today()
        queries = [self.prepare(m) for m in measures]
        evidence = self.evidence(queries)
        components = self.weigh(evidence)
        scores = self.score(components)
        substance = self.substance(evidence)
        general = (self.general_loan_ > 0)[:, None] & (components["name"] == 0)
        results = []
        for j, query in enumerate(queries):
            allowed = substance[:, j]
            if not include_ineligible:
                allowed = allowed & (self.verdicts(query.measure, today) < 2)
            candidates = np.flatnonzero(allowed)
            ranked = candidates[np.lexsort((self.key_order_[candidates], -np.round(scores[candidates, j], 6)))]
            in_general = general[ranked, j]
            sections = {SPECIFIC: ranked[~in_general][:top], GENERAL: ranked[in_general][: min(top, GENERAL_TOP)]}
            column = {name: values[:, j] for name, values in components.items()}
            results.append(
                explanation.explain(self.features_, self.programs_, query, sections, scores[:, j], column, today)
            )
        return results
