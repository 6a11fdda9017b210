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
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from fundmatch.interchange import parse_catalogue
from fundmatch.matching.evaluate import parse_gold
from fundmatch.matching.ranker import Matcher, Weights
from fundmatch.matching.tuning import TUNED, JudgedRanking, ascend, grid, objective

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
RESTARTS = 6
FOLDS = 4
SHUFFLES = (1, 2, 3)


class Prepared(JudgedRanking):
    """One catalogue file and its judged set."""

    def __init__(self, catalogue: Path, gold_path: Path):
        records = parse_catalogue(json.loads(catalogue.read_text()), name=str(catalogue))
        super().__init__(Matcher().fit(records), parse_gold(json.loads(gold_path.read_text()), name=str(gold_path)))

    def part(self, name: str) -> list[str]:
        return self.development if name == "dev" else self.heldout


def neighbours(weights: Weights) -> list[Weights]:
    """``weights`` with one value changed: a weight halved or doubled (a zero weight tried at 0.25 and
    0.5), a level moved by 0.2 within 0..1 (the pooling of ``pool.py`` ranks with each)."""
    result = []
    levels = weights.levels
    for name, value in asdict(weights).items():
        if name in levels:
            options = {min(1.0, max(0.0, round(value + step, 1))) for step in (-0.2, 0.2)} - {value}
        else:
            options = (value / 2, value * 2) if value else (0.25, 0.5)
        result.extend(replace(weights, **{name: option}) for option in sorted(options))
    return result


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
