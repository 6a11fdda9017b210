"""The curated seed catalogue that ships: complete, valid, and loadable twice without change."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta
from importlib import resources

from fundmatch import catalogue
from fundmatch.interchange import parse_catalogue
from fundmatch.scrapers.records import parse_program_key
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


# The catalogue's own date: what "past" and "today" mean for the facts it ships (stable over time).
AS_OF = date.fromisoformat(DOCUMENT["exported_at"][:10])
OPEN = {"open", "forthcoming"}
KEYS = {r.key for r in RECORDS}


def test_every_record_dates_its_facts_honestly():
    for record in RECORDS:
        assert record.facts_as_of is not None, record.source_id
        assert record.facts_as_of <= AS_OF, record.source_id
        # by construction: the facts are at least as recent as the source Stand they rest on
        assert record.facts_as_of >= record.source_updated, record.source_id


def test_open_programs_say_when_to_review_them():
    for record in RECORDS:
        if record.status in OPEN:
            assert record.review_due is not None, record.source_id
            assert record.review_due <= record.facts_as_of + timedelta(days=366), record.source_id
        else:
            assert record.review_due is None, record.source_id


def test_open_programs_have_a_coming_deadline_or_explain_why_not():
    for record in RECORDS:
        if record.status not in OPEN or not record.deadlines or record.rolling or record.status_note:
            continue
        assert any(d.date >= AS_OF or d.recurrence == "yearly" for d in record.deadlines), record.source_id


def test_same_as_links_name_foerderdatenbank_programs_once():
    linked = [key for record in RECORDS for key in record.same_as]
    for key in linked:
        source, source_id = parse_program_key(key)
        assert source == "foerderdatenbank", key
        assert re.fullmatch(r"(Bund|Land|EU)/[^\s]+", source_id), key
    assert len(linked) == len(set(linked)), Counter(linked).most_common(3)


def test_parents_are_seed_umbrellas_without_cycles():
    by_key = {r.key: r for r in RECORDS}
    for record in RECORDS:
        if record.parent is None:
            continue
        assert record.parent in KEYS and record.parent != record.key, record.source_id
        assert by_key[record.parent].parent is None, record.source_id  # one level: umbrella and its lines


def test_documents_and_rate_conditions_are_usable():
    for record in RECORDS:
        for document in record.documents:
            assert document.url.startswith("https://"), (record.source_id, document.url)
        for condition in record.rate_conditions:
            assert condition.rate is not None, record.source_id
            if condition.condition != "sonstige" and record.funding_rate_max is not None:
                # a bonus condition raises the standard rate; the standard stays in funding_rate_max
                assert condition.rate > record.funding_rate_max, record.source_id
