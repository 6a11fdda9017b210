"""Does learning the weights from verdicts generalise? The judged sets stand in for a team's verdicts.

    python -m benchmarks.eval.learn ../shared/data/fdb_programmes_third_party_2026-03-12.json

``fundmatch tune`` learns the weights from judged measures (the team's verdicts, ``fundmatch verdicts``)
by coordinate ascent on the development part and keeps them only if the held-out part holds. Here both
judged sets play the verdicts, from the shipped weights: the development and held-out figures before and
after, and a program-disjoint figure (learned on the judgments of one half of the programs, split by a
hash of the key, ranking only that half; scored on the other half's programs and judgments), which a
memorising learner fails.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path

from benchmarks.convert_fdb_third_party import convert
from fundmatch.interchange import parse_catalogue
from fundmatch.matching.evaluate import parse_gold
from fundmatch.matching.ranker import Matcher
from fundmatch.matching.tuning import JudgedRanking, ascend, tune

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def half(key: str) -> int:
    return hashlib.sha256(key.encode()).digest()[0] % 2


def restricted(gold, side: int):
    """The gold set judged against one half of the programs only (measures without relevant ones drop out)."""
    judgments = {m: {k: g for k, g in grades.items() if half(k) == side} for m, grades in gold.judgments.items()}
    return replace(gold, judgments=judgments)


def main(fdb_source: Path) -> None:
    sets = [
        (parse_catalogue(json.loads((ROOT / "seed_data/programs.json").read_text()), name="seed"), "gold_seed.json"),
        (parse_catalogue(convert(fdb_source)), "gold_fdb.json"),
    ]
    judged, matchers, golds = [], [], []
    for records, gold_file in sets:
        matcher = Matcher().fit(records)
        gold = parse_gold(json.loads((HERE / gold_file).read_text()), gold_file)
        matchers.append(matcher)
        golds.append(gold)
        judged.append(JudgedRanking(matcher, gold))
    tuned = tune(judged)
    print(
        f"both sets: dev {tuned.dev_before:.3f} → {tuned.dev_after:.3f}, "
        f"held out {tuned.heldout_before:.3f} → {tuned.heldout_after:.3f}"
    )
    for j, name in zip(judged, ("seed", "real"), strict=True):
        print(
            f"  {name}: dev {j.ndcg(tuned.start, j.development):.3f} → {j.ndcg(tuned.weights, j.development):.3f}, "
            f"held out {j.ndcg(tuned.start, j.heldout):.3f} → {j.ndcg(tuned.weights, j.heldout):.3f}"
        )
    learning = [
        JudgedRanking(m, restricted(g, 0), lambda k: half(k) == 0) for m, g in zip(matchers, golds, strict=True)
    ]
    scoring = [JudgedRanking(m, restricted(g, 1), lambda k: half(k) == 1) for m, g in zip(matchers, golds, strict=True)]
    learned, _ = ascend(learning, tuned.start, [j.ids for j in learning])
    for j, name in zip(scoring, ("seed", "real"), strict=True):
        print(f"  {name}, programs never learned from: {j.ndcg(tuned.start, j.ids):.3f} → {j.ndcg(learned, j.ids):.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
