"""Build judging pools: for each measure, the union of the top hits of several different rankers.

    python -m benchmarks.eval.pool CATALOGUE.json NAME OUT_DIR

Rankers: BM25 (title + summary), the matcher with its default weights, the matcher on text alone,
on thesaurus concepts and Förderbereiche alone, and on character n-grams alone. Judges then add what
their own keyword searches find. The packets name each candidate with its facts and a short summary.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from fundmatch.interchange import parse_catalogue, parse_measures
from fundmatch.matching.evaluate import BM25Baseline
from fundmatch.matching.ranker import Matcher, Weights

MEASURES = Path(__file__).with_name("measures.json")
DEPTH = 15
ZERO = Weights(text=0, chars=0, concepts=0, topics=0, name=0, region=0, applicant=0, status=0)


def main() -> None:
    catalogue_path, name, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    records = parse_catalogue(json.loads(catalogue_path.read_text()), name=str(catalogue_path))
    by_key = {f"{r.source}:{r.source_id}": r for r in records}
    measures = parse_measures(json.loads(MEASURES.read_text()))
    rankers = {
        "bm25": BM25Baseline().fit(records).rank_keys(measures, top=DEPTH),
    }
    variants = {
        "default": Weights(),
        "text": replace(ZERO, text=1.0),
        "facets": replace(ZERO, concepts=1.0, topics=1.0),
        "chars": replace(ZERO, chars=1.0),
    }
    for label, weights in variants.items():
        matcher = Matcher(weights).fit(records)
        rankers[label] = [[m.key for m in ms] for ms in matcher.rank_many(measures, top=DEPTH, include_ineligible=True)]
    out.mkdir(parents=True, exist_ok=True)
    packets = []
    for j, _measure in enumerate(measures):
        keys: list[str] = []
        for ranking in rankers.values():
            keys.extend(k for k in ranking[j] if k not in keys)
        candidates = []
        for key in keys:
            r = by_key[key]
            candidates.append(
                {
                    "key": key,
                    "title": r.title,
                    "level": r.level,
                    "regions": r.regions,
                    "applicant_types": r.applicant_types,
                    "topics": r.topics,
                    "funding_types": r.funding_types,
                    "status": r.status,
                    "funder": r.funder,
                    "summary": (r.summary or "")[:500],
                }
            )
        packets.append({"measure": json.loads(MEASURES.read_text())["measures"][j], "candidates": candidates})
    (out / f"pool_{name}.json").write_text(json.dumps(packets, ensure_ascii=False, indent=1))
    sizes = [len(p["candidates"]) for p in packets]
    print(f"{name}: {len(packets)} measures, {sum(sizes)} candidates (mean {sum(sizes) / len(sizes):.0f})")


if __name__ == "__main__":
    main()
