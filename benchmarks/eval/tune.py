"""Tune the matcher's weights on the development part of both judged sets (never the held-out part).

    python -m benchmarks.eval.tune FDB_CATALOGUE.json

Coordinate ascent over a grid, maximising the mean nDCG@10 of the two catalogues' development
measures. Components are computed once; only the weighting is searched. Prints the best weights and
the development and held-out figures they give (the held-out figures are only reported).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from fundmatch.interchange import parse_catalogue
from fundmatch.matching.evaluate import ndcg_at, parse_gold
from fundmatch.matching.ranker import FIELDS, Matcher, Weights, has_substance

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
GRID = (0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
RESTARTS = 6


class Prepared:
    """Everything the objective needs for one catalogue, computed once."""

    def __init__(self, catalogue: Path, gold_path: Path):
        records = parse_catalogue(json.loads(catalogue.read_text()), name=str(catalogue))
        self.gold = parse_gold(json.loads(gold_path.read_text()), name=str(gold_path))
        self.matcher = Matcher().fit(records)
        self.keys = np.array(self.matcher.keys_)
        measures = [m for m in self.gold.measures if any(g >= 1 for g in self.gold.judgments.get(m.id, {}).values())]
        self.ids = [m.id for m in measures]
        queries = [self.matcher.prepare(m) for m in measures]
        self.components = self.matcher.components(queries)
        q_words = self.matcher.vectorizer_.transform([q.tokens for q in queries])
        self.fields = {f: (self.matcher.field_matrices_[f] @ q_words.T).toarray() for f in FIELDS}
        substance = has_substance(self.components)
        verdicts = np.stack([self.matcher.verdicts(m, self.gold.as_of) for m in measures], axis=1)
        self.allowed = substance & (verdicts < 2)

    def rankings(self, weights: Weights, top: int = 10) -> dict[str, list[str]]:
        """Each judged measure's top program keys under ``weights``, as ``fundmatch eval`` ranks them."""
        field_weights = weights.fields
        text = sum(field_weights[f] * self.fields[f] for f in FIELDS) / max(sum(field_weights.values()), 1e-9)
        components = {**self.components, "text": text}
        score = sum(w * np.clip(components[name], 0, 1) for name, w in weights.components.items())
        result = {}
        for j, measure_id in enumerate(self.ids):
            candidates = np.flatnonzero(self.allowed[:, j])
            order = candidates[np.lexsort((self.keys[candidates], -np.round(score[candidates, j], 6)))][:top]
            result[measure_id] = list(self.keys[order])
        return result

    def ndcg(self, weights: Weights, part: str) -> float:
        values = [
            ndcg_at(ranking, self.gold.judgments[measure_id], 10)
            for measure_id, ranking in self.rankings(weights).items()
            if (measure_id in self.gold.heldout) == (part == "heldout")
        ]
        return float(np.mean(values))


def neighbours(weights: Weights) -> list[Weights]:
    """``weights`` with one weight halved or doubled (a zero weight tried at 0.25 and 0.5)."""
    result = []
    for name, value in asdict(weights).items():
        for option in (value / 2, value * 2) if value else (0.25, 0.5):
            result.append(replace(weights, **{name: option}))
    return result


def objective(prepared: list[Prepared], weights: Weights) -> float:
    return float(np.mean([p.ndcg(weights, "dev") for p in prepared]))


def ascend(prepared: list[Prepared], weights: Weights, names: list[str]) -> tuple[Weights, float]:
    """Coordinate ascent from ``weights`` until no single change on the grid improves the objective."""
    value = objective(prepared, weights)
    for _ in range(8):
        improved = False
        for name in names:
            for option in GRID:
                candidate = replace(weights, **{name: option})
                score = objective(prepared, candidate)
                if score > value + 1e-6:
                    weights, value, improved = candidate, score, True
        if not improved:
            break
    return weights, value


def main() -> None:
    prepared = [
        Prepared(ROOT / "seed_data" / "programs.json", HERE / "gold_seed.json"),
        Prepared(Path(sys.argv[1]), HERE / "gold_fdb.json"),
    ]
    rng = np.random.default_rng(7)
    names = [n for n in asdict(Weights()) if n != "text"]
    starts = [Weights()] + [Weights(**{n: float(rng.choice(GRID[1:])) for n in names}) for _ in range(RESTARTS)]
    best, best_value = Weights(), objective(prepared, Weights())
    print(f"defaults: dev nDCG@10 {best_value:.3f}")
    for start in starts:
        weights, value = ascend(prepared, start, names)
        print(f"  restart: dev nDCG@10 {value:.3f}")
        if value > best_value + 1e-6:
            best, best_value = weights, value
    print(f"best: dev nDCG@10 {best_value:.3f}")
    print("best weights:", json.dumps(asdict(best)))
    for p, label in zip(prepared, ("seed", "fdb"), strict=True):
        print(f"{label}: dev nDCG@10 {p.ndcg(best, 'dev'):.3f}, held-out nDCG@10 {p.ndcg(best, 'heldout'):.3f}")


if __name__ == "__main__":
    main()
