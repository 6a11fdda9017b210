"""The curated seed catalogue that ships: complete, valid, and loadable twice without change."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources

from fundmatch import catalogue
from fundmatch.interchange import parse_catalogue
from fundmatch.vocab import LAENDER

DOCUMENT = json.loads((resources.files("fundmatch.seed_data") / "programs.json").read_text(encoding="utf-8"))
RECORDS = parse_catalogue(DOCUMENT, name="seed_data/programs.json")
DIGITAL = {"digitalisierung", "smart_cities_regionen"}


def test_counts_per_level_meet_the_brief():
    levels = Counter(r.level for r in RECORDS)
    assert len(RECORDS) >= 150
    assert levels["bund"] >= 40 and levels["land"] >= 70 and levels["eu"] >= 25


def test_every_land_has_at_least_three_land_programs():
    per_land = Counter(region for r in RECORDS if r.level == "land" for region in r.regions)
    assert {land.code: per_land[land.code] >= 3 for land in LAENDER} == {land.code: True for land in LAENDER}


def test_at_least_100_fit_digital_measures():
    assert sum(1 for r in RECORDS if DIGITAL & set(r.topics)) >= 100


def test_eu_level_holds_direct_programs_and_laender_lines():
    eu = [r for r in RECORDS if r.level == "eu"]
    assert sum(1 for r in eu if r.regions == ["EU"]) >= 10
    assert len({region for r in eu for region in r.regions} - {"EU"}) >= 10


def test_each_record_is_complete_enough_to_trust():
    for record in RECORDS:
        assert record.url.startswith("https://"), record.source_id
        assert record.funder and record.funding_types and record.topics, record.source_id
        assert record.applicant_types or record.status == "closed", record.source_id
        assert record.status in {"open", "forthcoming", "closed", "unknown"}
        assert record.source_updated is not None, record.source_id
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", record.summary or "") if s.strip()]
        assert 3 <= len(sentences) <= 7, (record.source_id, len(sentences))


def test_ids_are_unique_and_stable_slugs():
    ids = [r.source_id for r in RECORDS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9/._-]*", i) for i in ids)


def test_seed_is_idempotent(session):
    first = catalogue.seed_catalogue(session)
    second = catalogue.seed_catalogue(session)
    assert (first.new, second.new, second.changed, second.unchanged) == (len(RECORDS), 0, 0, len(RECORDS))


def test_cli_seed_and_stats(run_cli):
    assert f"{len(RECORDS)} new, 0 changed" in run_cli("seed").stdout
    assert f"0 new, 0 changed, {len(RECORDS)} unchanged" in run_cli("seed").stdout
    stats = json.loads(run_cli("catalogue", "stats", "--format", "json").stdout)
    assert stats["total"] == len(RECORDS)
    assert stats["by_source"] == {"manual": len(RECORDS)}
