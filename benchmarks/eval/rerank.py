"""A learned ordering: logistic regression over the matcher's score components, on its own top 100.

    python -m benchmarks.eval.rerank ../shared/data/fdb_programmes_third_party_2026-03-12.json

Trains (standardised features, balanced classes) on the development measures of both judged sets together: every
program of a measure's top 100 (as the matcher ranks it, eligible or to check) is one example, its
features the score components, its label whether it was judged relevant (grade ≥ 1; unjudged = 0).
Reports nDCG@10 of the matcher and of the re-ranked top 100 on the development and held-out
measures, and a program-disjoint figure: trained on the programs of one half of each catalogue
(split by a hash of the key), scored on measures judged against the other half only, so that a model
that memorises programs gains nothing there.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks.convert_fdb_third_party import convert
from fundmatch.interchange import parse_catalogue
from fundmatch.matching.evaluate import ndcg_at, parse_gold
from fundmatch.matching.ranker import Matcher

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
DEPTH = 100


def half(key: str) -> int:
    return hashlib.sha256(key.encode()).digest()[0] % 2


@dataclass
class Candidates:
    """One measure's top 100: keys, features and grades."""

    measure_id: str
    heldout: bool
    keys: list[str]
    features: np.ndarray
    grades: dict[str, int]


def gather(records, gold) -> tuple[list[Candidates], list[str]]:
    matcher = Matcher().fit(records)
    measures = [m for m in gold.measures if any(g >= 1 for g in gold.judgments.get(m.id, {}).values())]
    evidence = matcher.evidence([matcher.prepare(m) for m in measures])
    components = matcher.weigh(evidence)
    names = sorted(components)
    scores = matcher.score(components)
    allowed = matcher.substance(evidence) & np.stack([matcher.verdicts(m, gold.as_of) < 2 for m in measures], axis=1)
    keys = np.array(matcher.keys_)
    found = []
    for j, measure in enumerate(measures):
        candidates = np.flatnonzero(allowed[:, j])
        top = candidates[np.lexsort((keys[candidates], -np.round(scores[candidates, j], 6)))][:DEPTH]
        features = np.column_stack([scores[top, j], *(components[name][top, j] for name in names)])
        found.append(
            Candidates(measure.id, measure.id in gold.heldout, list(keys[top]), features, gold.judgments[measure.id])
        )
    return found, ["score", *names]


def ndcg(candidates: list[Candidates], model: Pipeline | None, keep=lambda key: True) -> float:
    values = []
    for c in candidates:
        mask = np.array([keep(k) for k in c.keys], dtype=bool)
        grades = {k: g for k, g in c.grades.items() if keep(k)}
        if not mask.any() or not any(g >= 1 for g in grades.values()):
            continue
        keys = [k for k, m in zip(c.keys, mask, strict=True) if m]
        if model is not None:
            order = np.argsort(-model.predict_proba(c.features[mask])[:, 1], kind="stable")
            keys = [keys[i] for i in order]
        values.append(ndcg_at(keys, grades, 10))
    return float(np.mean(values)) if values else float("nan")


def train(candidates: list[Candidates], keep=lambda key: True) -> Pipeline:
    rows, labels = [], []
    for c in candidates:
        for key, row in zip(c.keys, c.features, strict=True):
            if keep(key):
                rows.append(row)
                labels.append(int(c.grades.get(key, 0) >= 1))
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=2_000))
    return model.fit(np.array(rows), np.array(labels))


def main(fdb_source: Path) -> None:
    sets = {
        "seed": (
            parse_catalogue(json.loads((ROOT / "seed_data/programs.json").read_text()), name="seed"),
            "gold_seed.json",
        ),
        "real": (parse_catalogue(convert(fdb_source)), "gold_fdb.json"),
    }
    gathered = {}
    for name, (records, gold_file) in sets.items():
        gold = parse_gold(json.loads((HERE / gold_file).read_text()), gold_file)
        gathered[name], feature_names = gather(records, gold)
    development = [c for found in gathered.values() for c in found if not c.heldout]
    model = train(development)
    print("features:", ", ".join(feature_names))
    coefficients = model[-1].coef_[0]
    print(
        "coefficients (standardised):",
        ", ".join(f"{n} {w:+.2f}" for n, w in zip(feature_names, coefficients, strict=True)),
    )
    for name, found in gathered.items():
        dev = [c for c in found if not c.heldout]
        held = [c for c in found if c.heldout]
        print(
            f"{name}: matcher dev {ndcg(dev, None):.3f} held out {ndcg(held, None):.3f}  |  "
            f"re-ranked dev {ndcg(dev, model):.3f} held out {ndcg(held, model):.3f}"
        )
    train_half = [c for found in gathered.values() for c in found]
    disjoint = train(train_half, keep=lambda key: half(key) == 0)
    for name, found in gathered.items():
        other = lambda key: half(key) == 1  # noqa: E731 (a predicate, named for the print)
        print(
            f"{name}, programs never seen in training: matcher {ndcg(found, None, other):.3f}  |  "
            f"re-ranked {ndcg(found, disjoint, other):.3f}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
