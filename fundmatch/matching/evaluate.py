"""Evaluation on a judged set: nDCG@5, nDCG@10, Recall@20 and MRR per measure and overall, against BM25.

A gold file holds measures and graded judgments (2 = a consultant would shortlist it, 1 = worth
checking, 0 = not) for one catalogue; programs nobody judged count as 0. Measures listed as
``heldout`` are reported apart and never used to tune.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from fundmatch import vocab
from fundmatch.interchange import InterchangeError, MeasureSpec
from fundmatch.matching.text import STOP_WORDS, words
from fundmatch.scrapers.records import ProgramRecord

GOLD_FORMAT = "fundmatch-gold"
METRICS = ("ndcg@5", "ndcg@10", "recall@20", "mrr")


@dataclass
class Gold:
    catalogue: str
    measures: list[MeasureSpec]
    judgments: dict[str, dict[str, int]]
    heldout: set[str]
    as_of: date | None = None


def parse_gold(document: Any, name: str = "gold") -> Gold:
    """A gold file; errors name the measure and the program key."""
    if not isinstance(document, dict) or document.get("format") != GOLD_FORMAT:
        raise InterchangeError(f'{name}: expected a JSON object with "format": "{GOLD_FORMAT}"')
    if document.get("version") != 1:
        raise InterchangeError(f"{name}: version {document.get('version')!r} is not supported (1)")
    measures = [
        MeasureSpec.from_dict(m, f"{name}: Maßnahme {i} (id {m.get('id')!r})")
        for i, m in enumerate(document.get("measures", []))
    ]
    ids = {m.id for m in measures}
    judgments: dict[str, dict[str, int]] = {}
    for measure_id, grades in (document.get("judgments") or {}).items():
        if measure_id not in ids:
            raise InterchangeError(f"{name}: judgments for unknown measure {measure_id!r}")
        for key, grade in grades.items():
            if grade not in (0, 1, 2):
                raise InterchangeError(f"{name}: measure {measure_id!r}, program {key!r}: grade must be 0, 1 or 2")
        judgments[measure_id] = dict(grades)
    heldout = set(document.get("heldout") or [])
    if heldout - ids:
        raise InterchangeError(f"{name}: held-out ids {sorted(heldout - ids)} are not measures of the file")
    try:
        as_of = date.fromisoformat(document["as_of"]) if document.get("as_of") else None
    except (TypeError, ValueError):
        raise InterchangeError(f"{name}: as_of must be a date YYYY-MM-DD") from None
    return Gold(
        catalogue=str(document.get("catalogue", "")),
        measures=measures,
        judgments=judgments,
        heldout=heldout,
        as_of=as_of,
    )


def dcg(grades: Sequence[int]) -> float:
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int) -> float:
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    return dcg([grades.get(key, 0) for key in ranked[:k]]) / ideal if ideal > 0 else 0.0


def recall_at(ranked: Sequence[str], grades: dict[str, int], k: int) -> float:
    relevant = {key for key, g in grades.items() if g >= 1}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], grades: dict[str, int]) -> float:
    for rank, key in enumerate(ranked, 1):
        if grades.get(key, 0) >= 1:
            return 1.0 / rank
    return 0.0


def metrics(ranked: Sequence[str], grades: dict[str, int]) -> dict[str, float]:
    return {
        "ndcg@5": ndcg_at(ranked, grades, 5),
        "ndcg@10": ndcg_at(ranked, grades, 10),
        "recall@20": recall_at(ranked, grades, 20),
        "mrr": reciprocal_rank(ranked, grades),
    }


def mean_metrics(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    return {name: float(np.mean([r[name] for r in rows])) if rows else 0.0 for name in METRICS}


Ranker = Callable[[Sequence[MeasureSpec]], list[list[str]]]


def evaluate(ranker: Ranker, gold: Gold) -> dict[str, Any]:
    """Per-measure metrics and the means over the development part, the held-out part and all.

    A measure for which no program was judged relevant has no defined nDCG; it is listed under
    ``without_relevant`` and left out of the means (the Förderübersicht flags such measures).
    """
    judged = [m for m in gold.measures if any(g >= 1 for g in gold.judgments.get(m.id, {}).values())]
    rankings = ranker(judged)
    per_measure = {m.id: metrics(r, gold.judgments[m.id]) for m, r in zip(judged, rankings, strict=True)}
    dev = [v for k, v in per_measure.items() if k not in gold.heldout]
    held = [v for k, v in per_measure.items() if k in gold.heldout]
    return {
        "per_measure": per_measure,
        "dev": mean_metrics(dev),
        "heldout": mean_metrics(held),
        "all": mean_metrics(list(per_measure.values())),
        "without_relevant": sorted(m.id for m in gold.measures if m.id in gold.judgments and m not in judged),
    }


def region_allows(record: ProgramRecord, land: str) -> bool:
    return not record.regions or bool({land, vocab.NATIONWIDE, vocab.EU_WIDE} & set(record.regions))


def keyword_tokens(text: str) -> list[str]:
    """The baseline's tokens: folded words without stop words, no stemming (what keyword search does)."""
    return [w for w in words(text) if w not in STOP_WORDS and len(w) > 1 and "-" not in w]


class BM25Baseline:
    """bm25s over title and summary, with the same region filter as the matcher."""

    def __init__(self, k1: float = 1.5, b: float = 0.75):
        self.k1 = k1
        self.b = b

    def fit(self, records: Sequence[ProgramRecord]) -> BM25Baseline:
        import bm25s

        self.records_ = list(records)
        self.keys_ = [r.key for r in self.records_]
        corpus = [keyword_tokens(f"{r.title} {r.summary or ''}") or ["_leer_"] for r in self.records_]
        self.retriever_ = bm25s.BM25(k1=self.k1, b=self.b)
        self.retriever_.index(corpus, show_progress=False)
        return self

    def rank_keys(self, measures: Sequence[MeasureSpec], top: int = 20) -> list[list[str]]:
        results = []
        for measure in measures:
            tokens = keyword_tokens(measure.text)
            scores = self.retriever_.get_scores(tokens) if tokens else np.zeros(len(self.records_))
            allowed = np.array([region_allows(r, measure.land) for r in self.records_])
            order = np.lexsort((np.array(self.keys_), -np.where(allowed, scores, -np.inf)))
            results.append([self.keys_[i] for i in order[:top] if allowed[i] and scores[i] > 0])
        return results


def matcher_ranker(matcher, top: int = 20, today: date | None = None) -> Ranker:
    def rank(measures: Sequence[MeasureSpec]) -> list[list[str]]:
        return [[m.key for m in matches] for matches in matcher.rank_many(measures, top=top, today=today)]

    return rank
