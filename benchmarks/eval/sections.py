"""What listing general municipal loans apart ("Allgemeine Finanzierung") does to the judged figures.

    python -m benchmarks.eval.sections ../shared/data/fdb_programmes_third_party_2026-03-12.json

For both gold sets (seed and real catalogue) and their development and held-out parts, nDCG@10 of:
one list as before (loans ranked among the specific programs); the specific list as the page now
shows it, the loans' judgments counted (a loan judged "worth checking" that now stands in its own
section counts as missing from the top 10); and the specific list judged without the loans'
judgments (what the ranking of the specific programs alone scores).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.convert_fdb_third_party import convert
from fundmatch.interchange import parse_catalogue
from fundmatch.matching.evaluate import ndcg_at, parse_gold
from fundmatch.matching.ranker import Matcher

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def main(fdb_source: Path) -> None:
    catalogues = {
        "gold_seed.json": parse_catalogue(json.loads((ROOT / "seed_data/programs.json").read_text()), name="seed"),
        "gold_fdb.json": parse_catalogue(convert(fdb_source)),
    }
    for name, records in catalogues.items():
        gold = parse_gold(json.loads((HERE / name).read_text()), name)
        matcher = Matcher().fit(records)
        loans = {records[i].key for i in np.flatnonzero(matcher.general_loan_)}
        measures = [m for m in gold.measures if any(g >= 1 for g in gold.judgments.get(m.id, {}).values())]
        figures: dict[str, dict[str, list[float]]] = {
            k: {"dev": [], "heldout": []} for k in ("one list", "page", "page, loans unjudged")
        }
        for spec, matches in zip(measures, matcher.rank_many(measures, top=20, today=gold.as_of), strict=True):
            part = "heldout" if spec.id in gold.heldout else "dev"
            grades = gold.judgments[spec.id]
            by_score = sorted(matches, key=lambda m: (-round(m.score, 6), m.key))
            specific = [m.key for m in matches if m.section == "specific"]
            figures["one list"][part].append(ndcg_at([m.key for m in by_score], grades, 10))
            figures["page"][part].append(ndcg_at(specific, grades, 10))
            without = {k: g for k, g in grades.items() if k not in loans}
            if any(g >= 1 for g in without.values()):
                figures["page, loans unjudged"][part].append(ndcg_at(specific, without, 10))
        print(f"{name}: {len(loans)} general loans")
        for label, parts in figures.items():
            print(f"  {label:22} dev {np.mean(parts['dev']):.3f}  held out {np.mean(parts['heldout']):.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
