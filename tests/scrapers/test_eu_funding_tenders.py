"""EU Funding & Tenders: search pages and the bulk file (expected values: tests/files/README_EU.md)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from fundmatch.scrapers import eu_funding_tenders as eu
from fundmatch.scrapers.base import ParseError, Warnings
from tests.conftest import FILES

TODAY = date(2026, 11, 26)


def page(n: int) -> eu.SearchPage:
    return eu.parse_search_page((FILES / f"eu_funding_tenders_search_page{n}.json").read_bytes(), f"page{n}")


WARNINGS = Warnings()
RECORDS = {r.source_id: r for r in eu.records_from_results(page(1).results + page(2).results, TODAY, WARNINGS)}
DIGITAL = RECORDS["DIGITAL-2026-DEPLOY-05-LDT-CITIES"]
MISSION = RECORDS["HORIZON-MISS-2027-01-Two-Stage-CIT-02"]
CEF = RECORDS["CEF-DIG-2026-5GCORRIDORS-SMARTCOMM-WORKS"]
LIFE = RECORDS["LIFE-2025-CET-MUNIPLANS"]
CERV = RECORDS["CERV-2027-CITIZENS-TOWN-TT"]


def test_envelope():
    first = page(1)
    assert (first.total, first.page, len(first.results)) == (7, 1, 5)


def test_tender_and_duplicates_are_dropped_one_record_per_topic():
    assert sorted(RECORDS) == [
        "CEF-DIG-2026-5GCORRIDORS-SMARTCOMM-WORKS",
        "CERV-2027-CITIZENS-TOWN-TT",
        "DIGITAL-2026-DEPLOY-05-LDT-CITIES",
        "HORIZON-MISS-2027-01-Two-Stage-CIT-02",
        "LIFE-2025-CET-MUNIPLANS",
    ]


def test_the_stale_centricity_copy_loses_to_the_sedia_record():
    assert "(draft)" not in DIGITAL.title
    assert [d.date for d in DIGITAL.deadlines] == [date(2027, 3, 10)]


def test_status_is_derived_from_dates_not_read():
    statuses = {k: r.status for k, r in RECORDS.items()}
    assert statuses == {
        "CEF-DIG-2026-5GCORRIDORS-SMARTCOMM-WORKS": "open",
        "CERV-2027-CITIZENS-TOWN-TT": "open",
        "DIGITAL-2026-DEPLOY-05-LDT-CITIES": "open",
        "HORIZON-MISS-2027-01-Two-Stage-CIT-02": "forthcoming",
        "LIFE-2025-CET-MUNIPLANS": "closed",
    }


def test_two_stage_topic_closes_to_newcomers_after_its_first_stage():
    deadlines = [
        eu.Deadline(date=date(2026, 3, 1), kind="sketch"),
        eu.Deadline(date=date(2027, 1, 1), kind="submission"),
    ]
    assert eu.derive_status(date(2025, 1, 1), deadlines, TODAY) == "closed"
    assert eu.derive_status(date(2025, 1, 1), deadlines[1:], TODAY) == "open"
    assert eu.derive_status(date(2027, 1, 1), deadlines, TODAY) == "forthcoming"


def test_deadline_kinds_two_stage_and_cutoffs():
    assert [(d.date.isoformat(), d.kind) for d in MISSION.deadlines] == [
        ("2027-01-20", "sketch"),
        ("2027-09-15", "submission"),
    ]
    assert [d.kind for d in CEF.deadlines] == ["cutoff"] * 3
    assert [d.date.isoformat() for d in CEF.deadlines] == ["2026-03-05", "2027-02-25", "2027-10-07"]


def test_portal_url_rebuilt_from_identifier():
    assert DIGITAL.url == (
        "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/topic-details/"
        "DIGITAL-2026-DEPLOY-05-LDT-CITIES"
    )


def test_budget_only_from_entries_of_this_topic():
    assert (DIGITAL.amount_min_eur, DIGITAL.amount_max_eur) == (2_000_000, 3_000_000)
    assert "Budget des Themas: 12.000.000 €" in DIGITAL.description
    assert "Budget des Themas: 75.000.000 €" in CEF.description
    assert CERV.amount_max_eur is None


def test_digital_agenda_flag_gives_digitalisierung():
    assert "digitalisierung" in DIGITAL.topics
    assert "digitalisierung" not in MISSION.topics


def test_level_region_funder_and_type():
    for record in RECORDS.values():
        assert (record.level, record.regions, record.funding_types) == ("eu", ["EU"], ["zuschuss"])
        assert record.funder == "Europäische Kommission"


def test_local_authorities_in_conditions_make_kommunen_eligible():
    assert "kommune" in CERV.applicant_types


def test_summary_skips_bare_headings():
    assert not DIGITAL.summary.endswith(":")
    assert len(DIGITAL.summary) > 40


def test_empty_search():
    empty = eu.parse_search_page((FILES / "eu_funding_tenders_search_empty.json").read_bytes(), "empty")
    assert empty.total == 0 and eu.records_from_results(empty.results, TODAY, Warnings()) == []


def test_malformed_response_is_a_parse_error():
    with pytest.raises(ParseError, match="malformed JSON"):
        eu.parse_search_page((FILES / "eu_funding_tenders_malformed.json").read_bytes(), "bad")
    with pytest.raises(ParseError, match="no 'results' list"):
        eu.parse_search_page(b'{"totalResults": 3}', "bad")


def test_search_request_parts_are_typed_json():
    parts = eu.search_parts()
    assert set(parts) == {"query", "languages", "sort"}
    for _name, (filename, body, content_type) in parts.items():
        assert filename is None and content_type == "application/json"
        json.loads(body)
    assert json.loads(parts["query"][1])["bool"]["must"][0] == {"terms": {"type": ["1", "2", "8"]}}


BULK = {
    r.source_id: r
    for r in eu.parse_bulk((FILES / "eu_funding_tenders_grants_tenders.json").read_bytes(), "bulk", TODAY, Warnings())
}


def test_bulk_file_topics_without_tender():
    assert sorted(BULK) == [
        "CEF-DIG-2026-5GCORRIDORS-SMARTCOMM-WORKS",
        "CERV-2025-CITIZENS-TOWN-NT",
        "DIGITAL-2026-DEPLOY-05-LDT-CITIES",
        "HORIZON-MISS-2027-01-Two-Stage-CIT-02",
        "LIFE-2026-CET-PDA-MUNI",
    ]


def test_bulk_millisecond_dates_and_deadline_today_is_still_open():
    life = BULK["LIFE-2026-CET-PDA-MUNI"]
    assert date(2026, 11, 26) in [d.date for d in life.deadlines]
    assert life.status == "open"
    assert BULK["CERV-2025-CITIZENS-TOWN-NT"].status == "closed"
    assert "digitalisierung" in BULK["DIGITAL-2026-DEPLOY-05-LDT-CITIES"].topics


def test_bulk_file_that_is_not_one():
    with pytest.raises(ParseError, match="not a grantsTenders reference file"):
        eu.parse_bulk(b'{"results": []}', "x", TODAY, Warnings())


def test_unknown_framework_programme_is_reported():
    result = page(1).results[0]
    result["metadata"]["frameworkProgramme"] = ["99999"]
    warnings = Warnings()
    eu.records_from_results([result], TODAY, warnings)
    assert any("unknown framework programme code '99999'" in m for _, m in warnings)
