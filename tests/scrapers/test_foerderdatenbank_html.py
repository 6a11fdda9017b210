"""Förderdatenbank HTML detail and list pages, field by field (expected values: tests/files/README.md)."""

from __future__ import annotations

from datetime import date

import pytest

from fundmatch.scrapers.base import ParseError, Warnings
from fundmatch.scrapers.foerderdatenbank.html import parse_detail, parse_list
from tests.conftest import FILES

SITE = "https://www.foerderdatenbank.de/"


def load(name: str):
    warnings = Warnings()
    record = parse_detail((FILES / f"foerderdatenbank_detail_{name}.html").read_bytes(), f"file:{name}", warnings)
    return record, warnings


TABBED, TABBED_WARNINGS = load("tabbed")
LEGAL, _ = load("rechtsgrundlage")
ASCII, ASCII_WARNINGS = load("ascii_labels")
MISSING, MISSING_WARNINGS = load("missing_rows")
ALL = [TABBED, LEGAL, ASCII, MISSING]


def test_title_from_h1_with_whitespace_collapsed():
    assert TABBED.title == (
        "Förderung digitaler Infrastruktur in kommunalen Kultur- und Sporteinrichtungen (Digitale Kommune Bayern)"
    )
    assert LEGAL.title.startswith("Gigabit-Beratung für Kommunen – Förderung")
    assert MISSING.title == "Förderung der Umrüstung kommunaler Straßenbeleuchtung auf LED-Technik in Sachsen"


def test_id_is_the_path_below_foerderprogramm():
    assert TABBED.source_id == "Land/Bayern/digitale-infrastruktur-kultur-sport-kommunen"
    assert LEGAL.source_id == "Bund/BMDS/gigabit-beratung-kommunen"
    assert MISSING.url == SITE + "FDB/Content/DE/Foerderprogramm/Land/Sachsen/led-strassenbeleuchtung-kommunen.html"


def test_level_from_path():
    assert [r.level for r in ALL] == ["land", "bund", "land", "land"]


def test_funding_types():
    assert TABBED.funding_types == ["zuschuss"]
    assert MISSING.funding_types == []


def test_topics_keep_the_label_with_a_comma_together():
    assert TABBED.topics == ["digitalisierung", "kultur_medien_sport", "infrastruktur"]
    assert MISSING.topics == ["energieeffizienz_erneuerbare_energien", "infrastruktur", "umwelt_naturschutz"]


def test_regions_and_bundesweit():
    assert TABBED.regions == ["BY"]
    assert LEGAL.regions == ["DE"]


def test_missing_region_row_is_inferred_from_the_path_with_a_warning():
    assert MISSING.regions == ["SN"]
    assert any("no Fördergebiet; SN inferred" in message for _, message in MISSING_WARNINGS)


def test_applicant_types():
    assert TABBED.applicant_types == ["kommune", "oeffentliche_einrichtung"]
    assert MISSING.applicant_types == ["kommune"]


def test_ascii_label_variant_reads_like_the_normal_page():
    assert ASCII.funding_types == ["zuschuss"]
    assert ASCII.topics == ["digitalisierung", "smart_cities_regionen"]
    assert ASCII.regions == ["NW"]
    assert ASCII.applicant_types == ["kommune"]
    assert ASCII.funder == "Ministerium für Heimat, Kommunales, Bau und Digitalisierung des Landes Nordrhein-Westfalen"
    assert ASCII.links == ["https://www.smart-region.nrw.de/foerderaufruf-2026"]
    assert list(ASCII_WARNINGS) == []


def test_funder_name_with_whitespace_runs():
    assert TABBED.funder == "Bayerisches Staatsministerium für Digitales (StMD)"
    assert (
        MISSING.funder == "Sächsisches Staatsministerium für Energie, Klimaschutz, Umwelt und Landwirtschaft (SMEKUL)"
    )


def test_contact_card():
    (contact,) = TABBED.contacts
    assert contact.name == "Regierung von Niederbayern"
    assert contact.role == "Sachgebiet 24 / Förderstelle Digitale Kommune"  # the card's subtitle
    assert contact.phone == "0871 808-1240"
    assert contact.email == "digitale-kommune@reg-nb.bayern.de"
    assert contact.url == "https://www.regierung.niederbayern.bayern.de/digitale-kommune/"
    assert contact.address == "Am Kommunalpark 12, 84028 Landshut"


def test_contact_with_nested_label_and_no_phone():
    assert LEGAL.contacts[0].name == "Projektträger Gigabit (PT Gigabit)"
    assert LEGAL.contacts[0].phone is None
    assert MISSING.contacts[0].name == "Sächsische Aufbaubank – Förderbank – (SAB)"


def test_further_links_resolve_against_base_href():
    assert TABBED.links == [
        "https://www.stmd.bayern.de/foerderung/digitale-kommune/",
        SITE + "FDB/Content/DE/Download/merkblatt-digitale-kommune-bayern.pdf?__blob=publicationFile&v=3",
    ]
    assert len(LEGAL.links) == 4


def test_tabbed_texts_summary_description_and_legal_basis():
    assert TABBED.summary.startswith("Wenn Sie als Kommune Museen, Bibliotheken")
    assert "Kultureinrichtungen" in TABBED.description  # soft hyphen removed
    assert "rechtliche Voraussetzungen\nAntragsberechtigt sind bayerische Kommunen" in TABBED.description
    assert "Antragstermine\nAnträge können jeweils bis zum 31. März" in TABBED.description
    assert TABBED.legal_basis.startswith("Richtlinie zur Förderung digitaler Infrastruktur")
    assert "0,5 Mio. Euro" in TABBED.legal_basis


def test_single_block_goes_to_legal_basis_without_its_heading():
    assert LEGAL.legal_basis.startswith("Richtlinie zur Förderung von Planungs- und Beratungsleistungen")
    assert "Markterkundung & Auswahlverfahren" in LEGAL.legal_basis
    assert LEGAL.summary is None and LEGAL.description is None
    assert MISSING.legal_basis.startswith("Richtlinie zur Förderung energieeffizienter kommunaler Straßenbeleuchtung")


def test_every_contact_card_with_its_subtitle():
    page = (FILES / "foerderdatenbank_detail_tabbed.html").read_text(encoding="utf-8")
    start = page.index('href="FDB/Content/DE/Kontakt/_Uebergeordnet/R/')
    start = page.rindex('<dd class="card">', 0, start)
    end = page.index("</dd>", start) + len("</dd>")
    second = (
        '<dd class="card"> <p class="card--title">'
        ' <a class="" href="FDB/Content/DE/Kontakt/_Uebergeordnet/S/stmd.html">'
        ' <span class="link--label"> Bayerisches Staatsministerium für Digitales </span> </a> </p>'
        ' <p class="card--title-subtitle">Referat D 3<br/>Fachliche Fragen</p>'
        ' <div class="person-contact"> <p class="email"> <a href="mailto:d3@stmd.bayern.de">'
        ' <span class="link--label">d3@stmd.bayern.de</span> </a> </p> </div> </dd>'
    )
    record = parse_detail(page[:end] + " " + second + page[end:], "file:two-contacts")
    assert [(c.name, c.role, c.email) for c in record.contacts] == [
        (
            "Regierung von Niederbayern",
            "Sachgebiet 24 / Förderstelle Digitale Kommune",
            "digitale-kommune@reg-nb.bayern.de",
        ),
        ("Bayerisches Staatsministerium für Digitales", "Referat D 3 / Fachliche Fragen", "d3@stmd.bayern.de"),
    ]


def test_dated_deadline_in_the_text_is_found():
    assert [(d.date.isoformat(), d.kind) for d in LEGAL.deadlines] == [("2027-11-30", "submission")]


def test_yearly_dates_of_the_antragstermine_tab_in_the_year_of_the_richtlinie():
    # "jeweils bis zum 31. März und bis zum 30. September eines Jahres"; Richtlinie "vom 12. Februar 2025"
    assert [(d.date, d.kind, d.recurrence) for d in TABBED.deadlines] == [
        (date(2025, 3, 31), "submission", "yearly"),
        (date(2025, 9, 30), "submission", "yearly"),
    ]
    assert TABBED.rolling is None


def test_documents_from_the_rechtsgrundlage_links_and_further_links():
    assert [(d.kind, d.title, d.url) for d in TABBED.documents] == [
        (
            "richtlinie",
            "Richtlinie Digitale Kommune Bayern vom 12. Februar 2025",
            "https://www.verkuendung-bayern.de/baymbl/2025-88/",
        ),
        (
            "merkblatt",
            "Merkblatt zum Antragsverfahren (PDF)",
            SITE + "FDB/Content/DE/Download/merkblatt-digitale-kommune-bayern.pdf?__blob=publicationFile&v=3",
        ),
    ]
    assert [d.kind for d in LEGAL.documents] == ["richtlinie", "formular", "merkblatt"]
    assert MISSING.documents[0].title.startswith("Richtlinie zur Förderung energieeffizienter kommunaler")
    assert all(d.url.startswith("https://") for r in ALL for d in r.documents)  # never the print button


def test_keywords_from_meta():
    assert LEGAL.keywords[:3] == ["Glasfaser", "Breitband", "Gigabit"]


def test_status_note_closes_the_program_and_is_kept_as_the_reason():
    assert (MISSING.status, MISSING.status_note) == ("closed", "Programm aktiv, Antragstellung nicht möglich")
    assert (TABBED.status, TABBED.status_note) == ("open", None)


def test_layout_change_is_a_parse_error_naming_what_is_missing():
    with pytest.raises(ParseError, match="meta rows: expected one .* found 0 \\(layout changed\\?\\)") as error:
        load("layout_changed")
    assert error.value.where == "file:layout_changed"


def test_bot_wall_page_is_a_parse_error():
    with pytest.raises(ParseError, match="bot wall"):
        parse_detail((FILES / "foerderdatenbank_botwall.html").read_bytes(), "file:botwall")


def test_html_without_the_expected_blocks():
    with pytest.raises(ParseError, match="title: expected one 'h1.title', found 0"):
        parse_detail("<html><body><main><p>nothing</p></main></body></html>", "file:empty")


def test_unknown_row_label_is_reported():
    page = (FILES / "foerderdatenbank_detail_tabbed.html").read_text(encoding="utf-8")
    page = page.replace("Förderart:", "Förderhöhe:", 1)
    warnings = Warnings()
    record = parse_detail(page, "file:x", warnings)
    assert record.funding_types == []
    assert ("file:x", "unknown row label 'Förderhöhe'") in list(warnings)


def test_invariants_over_all_detail_pages():
    for record in ALL:
        assert record.source == "foerderdatenbank"
        assert record.url.startswith(SITE + "FDB/Content/DE/Foerderprogramm/")
        assert record.regions and record.title
        assert record.content_hash() == record.normalised().content_hash()


LIST1 = parse_list((FILES / "foerderdatenbank_list_page1.html").read_bytes(), "file:list1")
LIST2 = parse_list((FILES / "foerderdatenbank_list_page2.html").read_bytes(), "file:list2")


def test_list_hit_count_and_cards():
    assert LIST1.hit_count == 13 and len(LIST1.programs) == 10
    assert LIST2.hit_count == 13 and len(LIST2.programs) == 3


def test_list_card_urls_are_absolute_program_urls():
    url, title = LIST1.programs[0]
    assert url == SITE + "FDB/Content/DE/Foerderprogramm/Land/Bayern/digitale-infrastruktur-kultur-sport-kommunen.html"
    assert title.startswith("Förderung digitaler Infrastruktur")


def test_list_next_link_is_followed_as_given():
    assert LIST1.next_url.startswith(SITE + "SiteGlobals/FDB/Forms/Suche/Foederprogrammsuche_Formular.html?gtp=")
    assert LIST2.next_url is None


def test_list_pages_repeat_one_card():
    urls = [u for u, _ in LIST1.programs + LIST2.programs]
    assert len(urls) == 13 and len(set(urls)) == 12
