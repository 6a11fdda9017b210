"""Learning the matcher's weights from judged sets: the shipped ones, or the team's own verdicts.

The score is a weighed sum of components (``scoring.Weights``). Tuning searches the weights by
coordinate ascent over a grid, maximising the mean nDCG@10 over the **development** measures of the
given judged sets; the held-out measures are only scored, before and after, so that a consultant can
see whether the learned weights generalise. ``fundmatch tune`` keeps learned weights in the data dir
(``weights.json``) only when the held-out figure does not fall; the matcher then ranks with them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from pathlib import Path

import numpy as np

from fundmatch.config import Settings
from fundmatch.errors import ConfigurationError
from fundmatch.matching.evaluate import Gold, ndcg_at
from fundmatch.matching.ranker import Matcher
from fundmatch.matching.scoring import Weights

GRID = (0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
LEVEL_GRID = tuple(round(0.1 * step, 1) for step in range(11))
TUNED = [name for name in asdict(Weights()) if name != "text"]  # the text weight is the unit
ROUNDS = 8
WEIGHTS_FILE = "weights.json"


def grid(name: str) -> tuple[float, ...]:
    return LEVEL_GRID if name in Weights().levels else GRID


class JudgedRanking:
    """Everything the objective needs for one judged set on one catalogue, gathered once: the
    evidence does not depend on the weights, only its weighing does."""

    def __init__(self, matcher: Matcher, gold: Gold, programs: Callable[[str], bool] | None = None):
        """``programs`` limits the candidates (a program-disjoint split learns on some, scores on others)."""
        self.matcher = matcher
        self.gold = gold
        self.keys = np.array(matcher.keys_)
        measures = [m for m in gold.measures if any(g >= 1 for g in gold.judgments.get(m.id, {}).values())]
        self.ids = [m.id for m in measures]
        self.development = [i for i in self.ids if i not in gold.heldout]
        self.heldout = [i for i in self.ids if i in gold.heldout]
        self.evidence = matcher.evidence([matcher.prepare(m) for m in measures])
        verdicts = np.stack([matcher.verdicts(m, gold.as_of or date.today()) for m in measures], axis=1)
        self.allowed = matcher.substance(self.evidence) & (verdicts < 2)
        if programs is not None:
            self.allowed &= np.array([programs(key) for key in matcher.keys_], dtype=bool)[:, None]

    def rankings(self, weights: Weights, top: int = 10) -> dict[str, list[str]]:
        """Each judged measure's top keys under ``weights`` (one list by score)."""
        score = self.matcher.score(self.matcher.weigh(self.evidence, weights), weights)
        result = {}
        for j, measure_id in enumerate(self.ids):
            candidates = np.flatnonzero(self.allowed[:, j])
            order = candidates[np.lexsort((self.keys[candidates], -np.round(score[candidates, j], 6)))][:top]
            result[measure_id] = list(self.keys[order])
        return result

    def ndcg(self, weights: Weights, measure_ids: Collection[str]) -> float:
        if not measure_ids:
            return float("nan")
        rankings = self.rankings(weights)
        return float(np.mean([ndcg_at(rankings[i], self.gold.judgments[i], 10) for i in measure_ids]))


def objective(judged: Sequence[JudgedRanking], weights: Weights, subsets: Sequence[Collection[str]]) -> float:
    values = [j.ndcg(weights, subset) for j, subset in zip(judged, subsets, strict=True) if subset]
    return float(np.mean(values)) if values else 0.0


def ascend(
    judged: Sequence[JudgedRanking], weights: Weights, subsets: Sequence[Collection[str]]
) -> tuple[Weights, float]:
    """Coordinate ascent from ``weights`` until no single change on the grid improves the objective."""
    value = objective(judged, weights, subsets)
    for _ in range(ROUNDS):
        improved = False
        for name in TUNED:
            for option in grid(name):
                candidate = replace(weights, **{name: option})
                score = objective(judged, candidate, subsets)
                if score > value + 1e-6:
                    weights, value, improved = candidate, score, True
        if not improved:
            break
    return weights, value


@dataclass(frozen=True)
class Tuned:
    """Learned weights with the figures that say whether to trust them."""

    weights: Weights
    dev_before: float
    dev_after: float
    heldout_before: float
    heldout_after: float
    start: Weights = field(default_factory=Weights)

    @property
    def generalises(self) -> bool:
        """The held-out figure did not fall (or there is no held-out part to say otherwise)."""
        return bool(np.isnan(self.heldout_before) or self.heldout_after >= self.heldout_before - 1e-9)


def tune(judged: Sequence[JudgedRanking], start: Weights | None = None) -> Tuned:
    start = start or Weights()
    weights, _ = ascend(judged, start, [j.development for j in judged])

    def mean(w: Weights, part: str) -> float:
        values = [j.ndcg(w, getattr(j, part)) for j in judged if getattr(j, part)]
        return float(np.mean(values)) if values else float("nan")

    return Tuned(
        weights,
        mean(start, "development"),
        mean(weights, "development"),
        mean(start, "heldout"),
        mean(weights, "heldout"),
        start,
    )


def weights_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / WEIGHTS_FILE


def weights_stamp(settings: Settings) -> str:
    """Changes whenever the learned weights do, so that a process picks up newly learned ones."""
    path = weights_path(settings)
    return str(path.stat().st_mtime_ns) if path.exists() else "shipped"


def load_weights(settings: Settings) -> Weights:
    """The weights the matcher ranks with: learned ones from the data dir, else the shipped ones."""
    path = weights_path(settings)
    if not path.exists():
        return Weights()
    try:
        values = json.loads(path.read_text(encoding="utf-8"))["weights"]
        known = {f.name for f in fields(Weights)}
        return Weights(**{name: float(value) for name, value in values.items() if name in known})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"{path}: gelernte Gewichte nicht lesbar ({exc}); Datei löschen oder neu lernen"
        ) from None


def save_weights(settings: Settings, tuned: Tuned, trained_on: Sequence[str]) -> Path:
    path = weights_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        name: None if np.isnan(value := getattr(tuned, name)) else round(value, 4)
        for name in ("dev_before", "dev_after", "heldout_before", "heldout_after")
    }
    document = {"weights": asdict(tuned.weights), "trained_on": list(trained_on), "figures": figures}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return path
