"""Tune the matcher's weights and levels on the development part of both judged sets (never the held-out part).

    python -m benchmarks.eval.tune FDB_CATALOGUE.json          # search, print the best values
    python -m benchmarks.eval.tune FDB_CATALOGUE.json --cv     # how well tuning generalises

Coordinate ascent over a grid, maximising the mean nDCG@10 of the two catalogues' development
measures. The evidence (similarities, overlaps, facet classes) is gathered once; only its weighing is
searched. Prints the best values and the development and held-out figures they give (the held-out
figures are only reported). ``--cv`` tunes from the shipped values on three quarters of the
development measures and scores the fourth, for four folds and three shuffles: the out-of-fold
figure estimates what tuning is worth on measures it has not seen.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from fundmatch.interchange import parse_catalogue
from fundmatch.matching.evaluate import ndcg_at, parse_gold
from fundmatch.matching.ranker import Matcher, Weights

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
GRID = (0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
LEVEL_GRID = tuple(round(0.1 * step, 1) for step in range(11))
RESTARTS = 6
FOLDS = 4
SHUFFLES = (1, 2, 3)
TUNED = [name for name in asdict(Weights()) if name != "text"]  # the text weight is the unit


def grid(name: str) -> tuple[float, ...]:
    return LEVEL_GRID if name in Weights().levels else GRID


class Prepared:
    """Everything the objective needs for one catalogue, gathered once."""

    def __init__(self, catalogue: Path, gold_path: Path):
        records = parse_catalogue(json.loads(catalogue.read_text()), name=str(catalogue))
        self.gold = parse_gold(json.loads(gold_path.read_text()), name=str(gold_path))
        self.matcher = Matcher().fit(records)
        self.keys = np.array(self.matcher.keys_)
        measures = [m for m in self.gold.measures if any(g >= 1 for g in self.gold.judgments.get(m.id, {}).values())]
        self.ids = [m.id for m in measures]
        self.development = [i for i in self.ids if i not in self.gold.heldout]
        self.evidence = self.matcher.evidence([self.matcher.prepare(m) for m in measures])
        verdicts = np.stack([self.matcher.verdicts(m, self.gold.as_of) for m in measures], axis=1)
        self.allowed = self.matcher.substance(self.evidence) & (verdicts < 2)

    def rankings(self, weights: Weights, top: int = 10) -> dict[str, list[str]]:
        """Each judged measure's top program keys under ``weights``, as ``fundmatch eval`` ranks them."""
        score = self.matcher.score(self.matcher.weigh(self.evidence, weights), weights)
        result = {}
        for j, measure_id in enumerate(self.ids):
            candidates = np.flatnonzero(self.allowed[:, j])
            order = candidates[np.lexsort((self.keys[candidates], -np.round(score[candidates, j], 6)))][:top]
            result[measure_id] = list(self.keys[order])
        return result

    def ndcg(self, weights: Weights, measure_ids: Collection[str]) -> float:
        rankings = self.rankings(weights)
        return float(np.mean([ndcg_at(rankings[i], self.gold.judgments[i], 10) for i in measure_ids]))

    def part(self, name: str) -> list[str]:
        return self.development if name == "dev" else [i for i in self.ids if i in self.gold.heldout]


def neighbours(weights: Weights) -> list[Weights]:
    """``weights`` with one value changed: a weight halved or doubled (a zero weight tried at 0.25 and
    0.5), a level moved by 0.2 within 0..1."""
    result = []
    levels = weights.levels
    for name, value in asdict(weights).items():
        if name in levels:
            options = {min(1.0, max(0.0, round(value + step, 1))) for step in (-0.2, 0.2)} - {value}
        else:
            options = (value / 2, value * 2) if value else (0.25, 0.5)
        result.extend(replace(weights, **{name: option}) for option in sorted(options))
    return result


def objective(prepared: Sequence[Prepared], weights: Weights, subsets: Sequence[Collection[str]]) -> float:
    return float(np.mean([p.ndcg(weights, subset) for p, subset in zip(prepared, subsets, strict=True)]))


def ascend(prepared: Sequence[Prepared], weights: Weights, subsets: Sequence[Collection[str]]) -> tuple[Weights, float]:
    """Coordinate ascent from ``weights`` until no single change on the grid improves the objective."""
    value = objective(prepared, weights, subsets)
    for _ in range(8):
        improved = False
        for name in TUNED:
            for option in grid(name):
                candidate = replace(weights, **{name: option})
                score = objective(prepared, candidate, subsets)
                if score > value + 1e-6:
                    weights, value, improved = candidate, score, True
        if not improved:
            break
    return weights, value


def search(prepared: Sequence[Prepared]) -> None:
    subsets = [p.development for p in prepared]
    rng = np.random.default_rng(7)
    starts = [Weights()] + [Weights(**{n: float(rng.choice(grid(n)[1:])) for n in TUNED}) for _ in range(RESTARTS)]
    best, best_value = Weights(), objective(prepared, Weights(), subsets)
    print(f"shipped: dev nDCG@10 {best_value:.3f}")
    for start in starts:
        weights, value = ascend(prepared, start, subsets)
        print(f"  restart: dev nDCG@10 {value:.3f}")
        if value > best_value + 1e-6:
            best, best_value = weights, value
    print(f"best: dev nDCG@10 {best_value:.3f}")
    print("best weights:", json.dumps(asdict(best)))
    for p, label in zip(prepared, ("seed", "fdb"), strict=True):
        print(f"{label}: dev nDCG@10 {p.ndcg(best, p.part('dev')):.3f}, held-out {p.ndcg(best, p.part('heldout')):.3f}")


def cross_validate(prepared: Sequence[Prepared]) -> None:
    """Out-of-fold development nDCG@10 of tuning from the shipped values (the held-out part is not used)."""
    figures = []
    for shuffle in SHUFFLES:
        rng = np.random.default_rng(shuffle)
        folds = []
        for p in prepared:
            ids = list(p.development)
            rng.shuffle(ids)
            folds.append([set(ids[k::FOLDS]) for k in range(FOLDS)])
        scores: list[list[float]] = [[] for _ in prepared]
        for k in range(FOLDS):
            training = [set(p.development) - f[k] for p, f in zip(prepared, folds, strict=True)]
            weights, _ = ascend(prepared, Weights(), training)
            for c, p in enumerate(prepared):
                scores[c].extend(p.ndcg(weights, [i]) for i in folds[c][k])
        figures.append([float(np.mean(s)) for s in scores])
        print(f"shuffle {shuffle}: out-of-fold dev nDCG@10 seed {figures[-1][0]:.3f}, fdb {figures[-1][1]:.3f}")
    mean = np.mean(figures, axis=0)
    shipped = [p.ndcg(Weights(), p.development) for p in prepared]
    print(f"out-of-fold mean: seed {mean[0]:.3f}, fdb {mean[1]:.3f}")
    print(f"shipped values in-sample: seed {shipped[0]:.3f}, fdb {shipped[1]:.3f}")


def main() -> None:
    prepared = [
        Prepared(ROOT / "seed_data" / "programs.json", HERE / "gold_seed.json"),
        Prepared(Path(sys.argv[1]), HERE / "gold_fdb.json"),
    ]
    if "--cv" in sys.argv[2:]:
        cross_validate(prepared)
    else:
        search(prepared)


if __name__ == "__main__":
    main()
