"""A judged set for the combined catalogue: the curated seed and the real Förderdatenbank programs, as shown.

    python -m benchmarks.eval.pool_combined pool  ../shared/data/fdb_programmes_third_party_2026-03-12.json
    python -m benchmarks.eval.pool_combined merge ../shared/data/fdb_programmes_third_party_2026-03-12.json [GRADES]
    python -m benchmarks.eval.pool_combined eval  ../shared/data/fdb_programmes_third_party_2026-03-12.json

The catalogue is built as ``benchmarks.bench_identity`` builds it (seed + converted real catalogue in a
temporary SQLite database, ``catalogue.shown_records``: twins merged under the seed's ``manual:`` key).

``pool`` ranks every measure of the gold sets with the matcher (top 15 of the specific section plus the
general section) and BM25 (top 10), and lists per measure the programs of that union which neither gold
set judged (a judged key merged into another program counts as judged under the shown key). The
candidates are shuffled by a hash of measure and key, never in rank order, and written to
``/tmp/pool_combined.json``.

``merge`` writes ``gold_combined.json``: both gold sets' judgments mapped to the shown keys (the higher
grade where both judged the same program) plus the pool's grades, which are kept in the file under
``pool_judgments`` (read from GRADES.json if given, else from the current ``gold_combined.json``).

``eval`` prints nDCG@10 of the matcher on the combined set, in the matcher's order (specific, then
general) and on one list sorted by score.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from benchmarks import bench_identity
from benchmarks.eval.pool import candidate
from fundmatch.matching.evaluate import BM25Baseline, evaluate, matcher_ranker, mean_metrics, metrics, parse_gold
from fundmatch.matching.ranker import Matcher
from fundmatch.scrapers.records import ProgramRecord

EVAL = Path(__file__).parent
GOLDS = ("gold_seed.json", "gold_fdb.json")
OUT = EVAL / "gold_combined.json"
POOL = Path("/tmp/pool_combined.json")
MATCHER_TOP, BM25_TOP = 15, 10


def combined(source: Path) -> tuple[list[ProgramRecord], dict[str, str]]:
    """The programs as shown, and each source key → the key it is shown under."""
    loaded = bench_identity.combined(source)
    return loaded.shown, loaded.shown_as


def golds() -> list:
    documents = [json.loads((EVAL / name).read_text()) for name in GOLDS]
    first, second = documents
    for field in ("measures", "heldout", "as_of"):
        if first[field] != second[field]:
            print(f"WARNING: {GOLDS[0]} and {GOLDS[1]} differ in {field!r}")
    return [parse_gold(document, name) for document, name in zip(documents, GOLDS, strict=True)]


def judged_shown(canonical: dict[str, str]) -> dict[str, dict[str, int]]:
    """Both gold sets' grades under the shown keys; the higher grade where both judged one program."""
    grades: dict[str, dict[str, int]] = {}
    for gold in golds():
        for measure_id, judged in gold.judgments.items():
            target = grades.setdefault(measure_id, {})
            for key, grade in judged.items():
                shown_key = canonical.get(key, key)
                target[shown_key] = max(target.get(shown_key, 0), grade)
    return grades


def blind_order(measure_id: str, key: str) -> str:
    return hashlib.sha256(f"{measure_id}|{key}".encode()).hexdigest()


def pool(source: Path) -> None:
    shown, canonical = combined(source)
    by_key = {r.key: r for r in shown}
    gold = golds()[0]
    judged = judged_shown(canonical)
    matched = Matcher().fit(shown).rank_many(gold.measures, top=MATCHER_TOP, include_ineligible=False, today=gold.as_of)
    bm25 = BM25Baseline().fit(shown).rank_keys(gold.measures, top=BM25_TOP)
    packets, sizes = [], []
    for measure, matches, keys in zip(gold.measures, matched, bm25, strict=True):
        union = {m.key for m in matches} | set(keys)
        fresh = sorted(union - set(judged.get(measure.id, {})), key=lambda k: blind_order(measure.id, k))
        sizes.append(len(fresh))
        packets.append(
            {
                "measure": {
                    "id": measure.id,
                    "title": measure.title,
                    "description": measure.description,
                    "land": measure.land,
                    "applicant_type": measure.applicant_type,
                    "municipality_type": measure.municipality_type,
                },
                "candidates": [candidate(by_key[k]) for k in fresh],
            }
        )
    POOL.write_text(json.dumps(packets, ensure_ascii=False, indent=1))
    for packet in packets:
        m = packet["measure"]
        print(f"\n=== {m['id']} [{m['land']}] {m['title']}\n    {m['description']}")
        for c in packet["candidates"]:
            print(
                f"  - {c['key']} | {c['title']} | {c['funder']} | {c['level']} | {','.join(c['regions'])} | "
                f"{','.join(c['funding_types'])} | {','.join(c['applicant_types'])} | {c['status']}\n"
                f"      {c['summary'][:400]}"
            )
    print(f"\n{len(packets)} measures, {sum(sizes)} unjudged pool programs (mean {sum(sizes) / len(sizes):.1f})")
    print(f"written to {POOL}")


def merge(source: Path, grades_path: Path | None) -> None:
    _, canonical = combined(source)
    seed = json.loads((EVAL / GOLDS[0]).read_text())
    fresh_from = grades_path or OUT
    document = json.loads(fresh_from.read_text())
    fresh = document.get("pool_judgments", document.get("judgments", {})) if grades_path else document["pool_judgments"]
    judgments = judged_shown(canonical)
    added = 0
    for measure_id, grades in fresh.items():
        target = judgments.setdefault(measure_id, {})
        for key, grade in grades.items():
            if key in target:
                raise SystemExit(f"{measure_id}: {key} is judged already")
            target[key] = grade
            added += 1
    out = {
        "format": "fundmatch-gold",
        "version": 1,
        "catalogue": (
            "the curated seed (seed_data/programs.json, 156 programs) + the 1,432 real Förderdatenbank programs "
            "of ../shared/data/fdb_programmes_third_party_2026-03-12.json (converted by "
            "benchmarks/convert_fdb_third_party.py), shown as merged by fundmatch.identity (33 seed programs "
            "merged with their Förderdatenbank twin under the manual: key)"
        ),
        "as_of": seed["as_of"],
        "heldout": seed["heldout"],
        "how_judged": (
            "Union of gold_seed.json and gold_fdb.json, each judged key mapped to the key it is shown under "
            "on the combined catalogue (a foerderdatenbank: twin merged into a manual: program counts under "
            "the manual: key; where both sets judged the same shown program the higher grade is kept). Then "
            "pooled on 2026-11-26 (python -m benchmarks.eval.pool_combined pool): for every measure the "
            "matcher's top 15 of the specific section plus its general section (current weights, eligible "
            "programs only, as of the as_of date) and BM25's top 10 over the combined shown catalogue; the "
            f"{added} programs of that pool neither set had judged for the measure were graded 0/1/2 by one "
            "judge following benchmarks/eval/JUDGING.md, measure by measure, shown in hash order (blind to "
            "rank and score) with title, funder, level, regions, funding and applicant types and summary, "
            "after reading how the existing sets grade similar programs (general municipal loans and umbrella "
            "funds 1, wrong Land or companies-only 0), without keyword searches of their own. Those grades "
            "are listed apart under pool_judgments."
        ),
        "measures": seed["measures"],
        "judgments": {m["id"]: dict(sorted(judgments.get(m["id"], {}).items())) for m in seed["measures"]},
        "pool_judgments": {k: dict(sorted(v.items())) for k, v in sorted(fresh.items())},
    }
    parse_gold(out, OUT.name)
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    counts = [0, 0, 0]
    for grades in fresh.values():
        for grade in grades.values():
            counts[grade] += 1
    print(
        f"{OUT}: {len(out['measures'])} measures, {sum(len(v) for v in judgments.values())} judgments, "
        f"{added} new (grade 0/1/2: {counts[0]}/{counts[1]}/{counts[2]})"
    )


def report(source: Path) -> None:
    shown, _ = combined(source)
    gold = parse_gold(json.loads(OUT.read_text()), OUT.name)
    matcher = Matcher().fit(shown)
    result = evaluate(matcher_ranker(matcher, today=gold.as_of), gold)
    print(
        f"matcher order (specific, then general): dev nDCG@10 {result['dev']['ndcg@10']:.3f}  "
        f"held-out {result['heldout']['ndcg@10']:.3f}  all {result['all']['ndcg@10']:.3f}  "
        f"(without relevant: {result['without_relevant']})"
    )
    judged = [m for m in gold.measures if any(g >= 1 for g in gold.judgments.get(m.id, {}).values())]
    rows: dict[str, list] = {"dev": [], "heldout": []}
    unjudged = slots = 0
    for measure, matches in zip(judged, matcher.rank_many(judged, top=20, today=gold.as_of), strict=True):
        keys = [m.key for m in sorted(matches, key=lambda m: (-round(m.score, 6), m.key))]
        grades = gold.judgments[measure.id]
        rows["heldout" if measure.id in gold.heldout else "dev"].append(metrics(keys, grades))
        ordered = [m.key for m in matches][:10]
        unjudged += sum(1 for k in ordered if k not in grades)
        slots += len(ordered)
    dev, held = mean_metrics(rows["dev"]), mean_metrics(rows["heldout"])
    print(f"one list sorted by score:               dev nDCG@10 {dev['ndcg@10']:.3f}  held-out {held['ndcg@10']:.3f}")
    print(f"unjudged top-10 slots (matcher order): {unjudged}/{slots}")
    bm25 = evaluate(BM25Baseline().fit(shown).rank_keys, gold)
    print(
        f"BM25:                                   dev nDCG@10 {bm25['dev']['ndcg@10']:.3f}  "
        f"held-out {bm25['heldout']['ndcg@10']:.3f}"
    )


if __name__ == "__main__":
    command, source = sys.argv[1], Path(sys.argv[2])
    if command == "pool":
        pool(source)
    elif command == "merge":
        merge(source, Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    elif command == "eval":
        report(source)
    else:
        raise SystemExit(__doc__)
