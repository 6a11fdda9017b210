"""Build judging pools: for each measure, the union of the top hits of several different rankers.

    python -m benchmarks.eval.pool CATALOGUE.json NAME OUT_DIR
    python -m benchmarks.eval.pool --deepen CATALOGUE.json GOLD.json NAME OUT_DIR
    python -m benchmarks.eval.pool --merge GOLD.json JUDGED.json [JUDGED.json …]

Rankers: BM25 (title + summary), the matcher with its default weights, the matcher on text alone,
on thesaurus concepts and Förderbereiche alone, and on character n-grams alone. Judges then add what
their own keyword searches find. The packets name each candidate with its facts and a short summary.

``--deepen`` pools what the current matcher, and each of its neighbours (one weight halved or doubled,
or one level moved by 0.2), puts in its top 10 (as ``fundmatch eval`` ranks) that no judge has graded
yet, for every measure, held-out ones included: unjudged hits count as "not relevant" in nDCG, so without them the tuner
could never move away from the weights the pool was last deepened for. ``--merge``
adds judges' grades to a gold file; a grade already there is never changed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from benchmarks.eval.tune import Prepared, neighbours
from fundmatch.interchange import parse_catalogue, parse_measures
from fundmatch.matching.evaluate import BM25Baseline, parse_gold
from fundmatch.matching.ranker import Matcher, Weights
from fundmatch.scrapers.records import ProgramRecord

MEASURES = Path(__file__).with_name("measures.json")
DEPTH = 15
ZERO = Weights(text=0, chars=0, concepts=0, topics=0, name=0, region=0, applicant=0, status=0)


def candidate(record: ProgramRecord) -> dict:
    """What a judge sees of a program: its facts and the start of its summary, no score."""
    return {
        "key": record.key,
        "title": record.title,
        "level": record.level,
        "regions": record.regions,
        "applicant_types": record.applicant_types,
        "topics": record.topics,
        "funding_types": record.funding_types,
        "status": record.status,
        "funder": record.funder,
        "summary": (record.summary or "")[:500],
    }


def write_packets(out: Path, name: str, packets: list[dict]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"pool_{name}.json").write_text(json.dumps(packets, ensure_ascii=False, indent=1))
    sizes = [len(p["candidates"]) for p in packets]
    print(f"{name}: {len(packets)} measures, {sum(sizes)} candidates (mean {sum(sizes) / max(len(sizes), 1):.0f})")


def pool(catalogue_path: Path, name: str, out: Path) -> None:
    records = parse_catalogue(json.loads(catalogue_path.read_text()), name=str(catalogue_path))
    by_key = {r.key: r for r in records}
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
    packets = []
    for j, _measure in enumerate(measures):
        keys: list[str] = []
        for ranking in rankers.values():
            keys.extend(k for k in ranking[j] if k not in keys)
        packets.append(
            {
                "measure": json.loads(MEASURES.read_text())["measures"][j],
                "candidates": [candidate(by_key[key]) for key in keys],
            }
        )
    write_packets(out, name, packets)


def deepen(catalogue_path: Path, gold_path: Path, name: str, out: Path) -> None:
    prepared = Prepared(catalogue_path, gold_path)
    by_key = dict(zip(prepared.matcher.keys_, prepared.matcher.records_, strict=True))
    raw = {m["id"]: m for m in json.loads(gold_path.read_text())["measures"]}
    new: dict[str, set[str]] = {}
    for weights in [Weights(), *neighbours(Weights())]:
        for measure_id, ranking in prepared.rankings(weights).items():
            graded = prepared.gold.judgments[measure_id]
            new.setdefault(measure_id, set()).update(k for k in ranking if k not in graded)
    packets = [
        {"measure": raw[measure_id], "candidates": [candidate(by_key[k]) for k in sorted(keys)]}
        for measure_id, keys in new.items()
        if keys
    ]
    write_packets(out, name, packets)


def merge(gold_path: Path, judged_paths: list[Path]) -> None:
    document = json.loads(gold_path.read_text())
    added = 0
    for path in judged_paths:
        judged = json.loads(path.read_text())
        for measure_id, grades in judged["judgments"].items():
            known = document["judgments"].setdefault(measure_id, {})
            for key, grade in grades.items():
                if key not in known:
                    known[key] = grade
                    added += 1
    parse_gold(document, name=str(gold_path))
    gold_path.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    print(f"{gold_path}: {added} grades added")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--deepen"]:
        deepen(Path(args[1]), Path(args[2]), args[3], Path(args[4]))
    elif args[:1] == ["--merge"]:
        merge(Path(args[1]), [Path(a) for a in args[2:]])
    else:
        pool(Path(args[0]), args[1], Path(args[2]))


if __name__ == "__main__":
    main()
