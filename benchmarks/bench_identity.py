"""Duplicates in the top 10, and the judged sets, with the seed and the real catalogue loaded together.

    python -m benchmarks.bench_identity ../shared/data/fdb_programmes_third_party_2026-03-12.json

Loads the curated seed and the 1,434 real Förderdatenbank programs (converted as in
``convert_fdb_third_party``) into one temporary SQLite catalogue, as the first ``fundmatch refresh``
would. For every judged measure of both gold sets it ranks the page twice (the top 10 specific
programs and the "Allgemeine Finanzierung" section below them): over every source record (before
program identity) and over the programs as shown (after). A duplicate is a pair on one page that are
the same program: records linked by the identity rules, or whose titles agree once folded. nDCG@10
of each gold set is computed on the shown catalogue, a judged key that is now part of another program
being read as that program.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from benchmarks.convert_fdb_third_party import convert
from fundmatch import catalogue, db, identity
from fundmatch.config import Settings
from fundmatch.interchange import parse_catalogue
from fundmatch.matching.evaluate import ndcg_at, parse_gold
from fundmatch.matching.ranker import Matcher
from fundmatch.models import Program
from fundmatch.scrapers.records import ProgramRecord

EVAL = Path(__file__).parent / "eval"
TODAY = date(2026, 11, 26)


def duplicates(ranked: list[list[str]], same: dict[str, str]) -> int:
    pairs = 0
    for keys in ranked:
        seen: dict[str, int] = {}
        for key in keys:
            group = same.get(key, key)
            pairs += seen.get(group, 0)
            seen[group] = seen.get(group, 0) + 1
    return pairs


@dataclass
class Combined:
    """Seed and real catalogue loaded together: every source record, the programs as shown, and each
    source key → the key of the program it is shown as (its own key where it stands for itself)."""

    records: list[ProgramRecord]
    shown: list[ProgramRecord]
    shown_as: dict[str, str]


def combined(source: Path) -> Combined:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), database_url=f"sqlite:///{folder}/bench.sqlite3")
        database = db.Database(settings)
        with database.session() as session:
            catalogue.seed_catalogue(session)
            catalogue.apply_records(
                session, parse_catalogue(convert(source)), seen_at=datetime(2026, 3, 12, tzinfo=UTC)
            )
            records = catalogue.all_records(session)
            shown = catalogue.shown_records(session)
            rows = session.execute(select(Program.id, Program.source, Program.source_id, Program.canonical_id)).all()
        database.dispose()
    key_of = {pid: f"{source_}:{source_id}" for pid, source_, source_id, _ in rows}
    return Combined(records, shown, {key_of[pid]: key_of[cid or pid] for pid, _, _, cid in rows})


def main(source: Path) -> None:
    loaded = combined(source)
    records, shown = loaded.records, loaded.shown
    canonical = {key: head for key, head in loaded.shown_as.items() if key != head}
    by_title: dict[str, str] = {}
    same: dict[str, str] = {}
    for record in records:
        group = canonical.get(record.key, record.key)
        title_group = by_title.setdefault(identity.title_key(record.title), group)
        same[record.key] = group if group != record.key else title_group
    print(f"catalogue: {len(records)} source records, {len(shown)} programs shown, {len(canonical)} linked")
    golds = [parse_gold(json.loads((EVAL / name).read_text()), name) for name in ("gold_seed.json", "gold_fdb.json")]
    before, after = Matcher().fit(records), Matcher().fit(shown)
    for gold in golds:
        measures = [m for m in gold.measures if any(g >= 1 for g in gold.judgments.get(m.id, {}).values())]
        ranked_before = [[m.key for m in ms] for ms in before.rank_many(measures, top=10, today=TODAY)]
        ranked_after = [[m.key for m in ms] for ms in after.rank_many(measures, top=10, today=TODAY)]
        scores, unjudged, slots = [], 0, 0
        for measure, keys in zip(measures, ranked_after, strict=True):
            grades: dict[str, int] = {}
            for key, grade in gold.judgments[measure.id].items():
                shown_key = canonical.get(key, key)
                grades[shown_key] = max(grades.get(shown_key, 0), grade)
            scores.append(ndcg_at(keys, grades, 10))
            unjudged += sum(1 for key in keys[:10] if key not in grades)
            slots += len(keys[:10])
        print(
            f"{gold.catalogue[:40]:40} measures {len(measures):3}  duplicate pairs on one page: "
            f"before {duplicates(ranked_before, same):3}, after {duplicates(ranked_after, same):3}  "
            f"nDCG@10 on the combined catalogue: {sum(scores) / len(scores):.3f} "
            f"({unjudged / slots:.0%} of its top-10 slots hold programs this set never judged)"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
