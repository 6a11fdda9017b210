"""Contract with the real sources: the saved real pages in ../shared/fixtures parse to what they show.

These files are not in the repository; the tests run where ../shared exists (in CI it does).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from fundmatch.scrapers import eu_funding_tenders as eu
from fundmatch.scrapers.base import Warnings
from fundmatch.scrapers.foerderdatenbank.export import parse_export
from fundmatch.scrapers.foerderdatenbank.html import parse_detail, parse_list
from tests.conftest import SHARED

REAL = SHARED / "fixtures"
pytestmark = pytest.mark.skipif(not REAL.exists(), reason="../shared/fixtures (real samples) not present")

DETAIL_PAGES = {
    "cdl_detail_fail_07_25.html": (
        "Bund/BKM/deutsch-franzoesische-kooperationen-film-ffa",
        "bund",
        ["DE"],
        ["buergschaft", "darlehen"],
        ["unternehmen"],
        ["kultur_medien_sport"],
        "Förderung Deutsch-Französischer Koproduktionen",
    ),
    "cdl_detail_fail_19_12.html": (
        "Land/Hessen/fue-unternehmen-hessen-864943",
        "land",
        ["HE"],
        ["zuschuss"],
        ["unternehmen"],
        ["forschung_innovation_themenspezifisch"],
        "Förderung von Forschung und Entwicklung in Unternehmen",
    ),
    "cdl_detail_multi_desc.html": (
        "Land/Thueringen/beteiligungen-thueringen-mbg-express",
        "land",
        ["TH"],
        ["beteiligung"],
        ["unternehmen"],
        ["unternehmensfinanzierung"],
        "Beteiligungen der Mittelständischen Beteiligungsgesellschaft Thüringen",
    ),
    "cdl_detail_rechts_only.html": (
        "Land/Thueringen/schulbezogene-jahresprogramme-bne",
        "land",
        ["TH"],
        ["zuschuss"],
        ["bildungseinrichtung"],
        ["aus_weiterbildung", "umwelt_naturschutz"],
        "Förderung von Bildung für nachhaltige Entwicklung (BNE)",
    ),
    "cdl_detail_single_desc.html": (
        "Bund/BMWi/exist-women-2024",
        "bund",
        ["DE"],
        ["zuschuss"],
        ["forschungseinrichtung", "hochschule"],
        ["beratung", "existenzgruendung_festigung", "forschung_innovation_themenoffen", "frauenfoerderung"],
        "Förderung von Unternehmerinnen in der Vorgründungsphase (EXIST-Women)",
    ),
    "cdl_details_single_desc_alt.html": (
        "Bund/BMBF/foerderung-forschende-fachaerztinnen-unimedizin",
        "bund",
        ["DE"],
        [],
        ["forschungseinrichtung", "hochschule"],
        ["aus_weiterbildung", "forschung_innovation_themenspezifisch", "gesundheit_soziales"],
        "Förderung von forschenden Fachärztinnen und Fachärzten in der Universitätsmedizin",
    ),
    "cdl_details_single_desc_alt_v2024-11-28.html": (
        "Bund/BMBF/transfer-inklusive-bildung",
        "bund",
        ["DE"],
        ["zuschuss"],
        [],
        ["aus_weiterbildung", "forschung_innovation_themenspezifisch", "gesundheit_soziales"],
        "Förderung von Projekten zum Thema „Transfer in der inklusiven Bildung“",
    ),
}


@pytest.mark.parametrize("name", sorted(DETAIL_PAGES))
def test_real_detail_page(name):
    source_id, level, regions, funding, applicants, topics, title = DETAIL_PAGES[name]
    warnings = Warnings()
    record = parse_detail((REAL / "foerderdatenbank/html" / name).read_bytes(), name, warnings)
    assert record.source_id == source_id
    assert record.title.startswith(title)
    assert record.level == level
    assert record.regions == regions
    assert sorted(record.funding_types) == funding
    assert sorted(record.applicant_types) == applicants
    assert sorted(record.topics) == topics
    assert not [m for _, m in warnings if m.startswith("unknown")]


def test_real_list_page():
    page = parse_list((REAL / "foerderdatenbank/html/cdl_overview.html").read_bytes(), "overview")
    assert page.hit_count == 2395
    assert len(page.programs) == 10
    assert page.programs[0][0].endswith("Foerderprogramm/Land/Sachsen/buergschaft-sachsen-beteiligung.html")
    assert "gtp=%2526816beae2-d57e-4bdc-b55d-392bc1e17027_list%253D2" in page.next_url


def test_real_export_programs():
    result = parse_export(REAL / "foerderdatenbank/export")
    assert result.errors == 0
    assert result.contract_problems == []  # the real structure is what the contract check expects
    assert not [m for _, m in result.warnings if "Klassifikation" in m]
    records = {r.source_id: r for r in result.records}
    assert sorted(records) == [
        "Bund/BA/eingliederungszuschuss-bund",
        "Bund/BKM/deutsch-franzoesische-kooperationen-film-ffa",
        "Bund/BMAS/einstiegsgeld",
    ]
    film = records["Bund/BKM/deutsch-franzoesische-kooperationen-film-ffa"]
    assert (film.level, film.regions, sorted(film.funding_types)) == ("bund", ["DE"], ["buergschaft", "darlehen"])
    assert film.applicant_types == ["unternehmen"] and film.topics == ["kultur_medien_sport"]
    assert film.source_updated == date(2025, 5, 26)
    einstieg = records["Bund/BMAS/einstiegsgeld"]
    assert einstieg.title == "Einstiegsgeld"
    assert einstieg.applicant_types == ["existenzgruenderin"] and einstieg.topics == ["existenzgruendung_festigung"]
    zuschuss = records["Bund/BA/eingliederungszuschuss-bund"]
    assert zuschuss.topics == ["arbeit"] and zuschuss.funder == "Bundesagentur für Arbeit (BA)"
    assert zuschuss.contacts and zuschuss.contacts[0].phone


def test_real_html_and_export_of_the_same_program_agree_on_categories():
    html = parse_detail((REAL / "foerderdatenbank/html/cdl_detail_fail_07_25.html").read_bytes(), "html")
    exported = {r.source_id: r for r in parse_export(REAL / "foerderdatenbank/export").records}[html.source_id]
    for field in ("level", "regions", "funding_types", "applicant_types", "topics"):
        assert sorted(getattr(html, field)) == sorted(getattr(exported, field)), field


def test_real_eu_search_response_unfiltered():
    records = eu.parse_file(
        REAL / "eu/sedia_search_text-AI_jsonbody-unfiltered_nunommonteiro.json", Warnings(), date(2026, 11, 26)
    )
    assert [r.source_id for r in records] == ["HORIZON-CL4-2025-04-DATA-03"]
    assert records[0].status == "closed" and records[0].level == "eu"


def test_real_eu_grant_updates_are_not_programs():
    path = REAL / "eu/sedia_search_text-topicid_grant-updates-type6_nunommonteiro.json"
    assert eu.parse_file(path, Warnings(), date(2026, 11, 26)) == []


def test_real_eu_open_and_closed_topics():
    excerpt = json.loads((REAL / "eu/sedia_search_open-vs-closed_excerpt_launchpad.json").read_text())
    records = eu.records_from_results([excerpt["open"], excerpt["closed"]], date(2026, 9, 1), Warnings())
    statuses = {r.source_id: r.status for r in records}
    assert statuses["HORIZON-JU-IHI-2026-13-two-stage-01"] == "open"
    # its first stage closed on 2026-03-31: the second stage is open only to those who passed it
    assert statuses["HORIZON-CL5-2026-04-Two-Stage-D3-02"] == "closed"


def test_real_eu_bulk_file():
    warnings = Warnings()
    records = eu.parse_file(
        REAL / "eu/grantsTenders_reference_7records_funding_radar.json", warnings, date(2026, 11, 26)
    )
    assert len(records) == 6  # seven records, one of them a tender
    assert not [m for _, m in warnings if "unknown framework" in m]
    digital = next(r for r in records if r.source_id.startswith("DIGITAL-"))
    assert "digitalisierung" in digital.topics
