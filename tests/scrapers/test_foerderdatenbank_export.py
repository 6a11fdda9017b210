"""Förderdatenbank XML export: programs with their linked documents, the export's quirks, hostile ZIPs."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest

from fundmatch.scrapers.base import ParseError
from fundmatch.scrapers.foerderdatenbank import export
from fundmatch.scrapers.foerderdatenbank.export import parse_export
from tests.conftest import FILES

EXPORT_DIR = FILES / "foerderdatenbank_export"
RESULT = parse_export(EXPORT_DIR)
BY_ID = {r.source_id: r for r in RESULT.records}
BUND = BY_ID["Bund/BMDS/gigabit-beratung-kommunen"]
BAYERN = BY_ID["Land/Bayern/led-strassenbeleuchtung-kommunen"]
SACHSEN = BY_ID["Land/Sachsen/led-strassenbeleuchtung-kommunen"]
NRW = BY_ID["Land/NRW/smart-region-kommunen-nrw"]
SH = BY_ID["Land/Schleswig-Holstein/foerderfonds-nord-smart-village"]
EU = BY_ID["EU/smarte-doerfer-europa"]


def zip_of(folder: Path, target: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*.xml")):
            archive.write(file, file.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return target


def test_every_program_is_listed_and_parsed():
    assert len(RESULT.records) == 6 and RESULT.errors == 0
    assert RESULT.listed_ids == set(BY_ID)


def test_same_slug_in_two_laender_gives_two_programs():
    assert BAYERN.title != SACHSEN.title
    assert BAYERN.regions == ["BY"] and SACHSEN.regions == ["SN"]


def test_level_from_the_foerdergeber_classifier():
    assert (BUND.level, BAYERN.level, EU.level) == ("bund", "land", "eu")


def test_region_codes_with_the_exports_spellings():
    assert BUND.regions == ["DE"]  # _bundesweit
    assert EU.regions == ["DE"]  # bundesweit without underscore
    assert sorted(SH.regions) == ["HH", "MV", "NI", "SH"]  # schlesig_holstein, de_ni


def test_funding_types_applicants_topics_and_second_level():
    assert BAYERN.funding_types == ["darlehen"]
    assert BAYERN.applicant_types == ["kommune", "oeffentliche_einrichtung"]
    assert BUND.topics == ["beratung", "digitalisierung", "infrastruktur"]
    assert BUND.subtopics == ["infrastruktur/information_kommunikation"]
    assert "energieeffizienz_erneuerbare_energien/oeffentliche_infrastruktur" in BAYERN.subtopics


def test_missing_region_is_inferred_from_path_with_a_warning():
    assert SACHSEN.funding_types == []
    assert any("no Fördergebiet; SN inferred" in m for _, m in RESULT.warnings)


def test_funder_from_the_foerdergeber_document():
    assert BUND.funder == "Bundesministerium für Digitales und Staatsmodernisierung (BMDS)"


def test_contact_resolves_kontakt_adresse_and_website():
    assert BAYERN.contacts[0].name == "LfA Förderbank Bayern"
    assert BAYERN.contacts[0].email == "kommunal@lfa.de"
    assert BAYERN.contacts[0].phone == "+49 89 2124-1000"
    assert BAYERN.contacts[0].url == "https://lfa.de/"
    assert BAYERN.contacts[0].address == "Königinstraße 17, 80539 München"


def test_contact_is_named_by_its_parent_unit_with_its_own_title_as_subtitle():
    # as the page's card shows it: the card links to (and names) the Übergeordnete Einheit
    (contact,) = BUND.contacts
    assert (contact.name, contact.role) == ("Projektträger Gigabit", "Projektträger Gigabit (PT Gigabit)")
    assert BAYERN.contacts[0].role is None  # no parent unit


def test_links_resolve_externer_link_documents_and_misplaced_kontakt_links():
    assert BUND.links[0] == "https://gigabitbuero.bund.de/kommunen/beratung"
    assert "https://www.foerderdatenbank.de/FDB/Content/DE/Kontakt/E/eu-kommission-agri.html" in EU.links


def test_dangling_link_is_reported_not_fatal():
    assert any("lfa-led-rechner is missing from the export" in m for _, m in RESULT.warnings)
    assert BAYERN.links == ["https://lfa.de/foerderprogramme/led-kommunalkredit/"]


def test_rich_text_unescaped_once_or_twice_and_control_characters_removed():
    assert NRW.title == "Förderung digitaler Modellprojekte in Städten und Gemeinden (Smart Region NRW)"
    for record in RESULT.records:
        for text in (record.title, record.summary or "", record.description or "", record.legal_basis or ""):
            assert "&#" not in text and "&amp;" not in text and "\x02" not in text and "<![CDATA[" not in text


def test_question_mark_artefact_is_repaired_to_a_dash():
    assert BUND.title.startswith("Gigabit-Beratung für Kommunen – Förderung")
    assert EU.legal_basis.startswith("Aufruf zur Einreichung von Vorschlägen – Smarte Dörfer Europa 2025")


@pytest.mark.parametrize(
    ("text", "repaired"),
    [
        ("Filmförderungsgesetz ? FFG", "Filmförderungsgesetz – FFG"),
        (
            "Filmförderungsanstalt ? Bundesanstalt des öffentlichen Rechts ?",
            "Filmförderungsanstalt – Bundesanstalt des öffentlichen Rechts –",
        ),
        ("(SGB III ? Arbeitsförderung, §§ 88 ff.)", "(SGB III – Arbeitsförderung, §§ 88 ff.)"),
        ("Koproduktion (?Minitraité?)", "Koproduktion („Minitraité“)"),
        ("das Programm ?Digitales Amt MV? fördert", "das Programm „Digitales Amt MV“ fördert"),
        ("Was wird gefördert? Gefördert werden Fachverfahren.", "Was wird gefördert? Gefördert werden Fachverfahren."),
        ("Wer? Was? Wann?", "Wer? Was? Wann?"),
        ("Fragen?\nAntworten", "Fragen?\nAntworten"),
    ],
)
def test_repair_question_marks(text, repaired):
    assert export.repair_question_marks(text) == repaired


def test_summary_description_and_legal_basis():
    assert EU.summary.startswith("Wenn Sie als ländliche Gemeinde digitale Dienste")
    assert EU.description.startswith("Die Europäische Kommission fördert Pilotvorhaben")
    assert BUND.legal_basis.startswith("Richtlinie zur Förderung von Planungs- und Beratungsleistungen")


def test_keywords_split_on_any_whitespace():
    assert BAYERN.keywords[:2] == ["LED", "Straßenbeleuchtung"]
    assert all("\t" not in k and " " not in k for r in RESULT.records for k in r.keywords)


def test_publication_date_and_meaningless_expiration():
    assert BUND.source_updated == date(2025, 3, 31)
    assert SH.source_updated is None


def test_header_note_marks_program_closed_and_is_kept_as_the_reason():
    assert (SACHSEN.status, SACHSEN.status_note) == ("closed", "Programm aktiv, Antragstellung nicht möglich")
    assert (NRW.status, NRW.status_note) == ("open", None)


def test_deadlines_are_read_from_the_export_texts():
    assert [(d.date, d.kind) for d in BUND.deadlines] == [(date(2027, 11, 30), "submission")]  # bodyText
    assert [(d.date, d.kind, d.note) for d in NRW.deadlines] == [  # procInfluence "Antragstermine"
        (date(2026, 5, 15), "sketch", "Projektskizzen können bis zum 15.05.2026 eingereicht werden.")
    ]
    assert BAYERN.deadlines == [] and BAYERN.rolling is None


def test_documents_from_the_legal_basis_links_and_the_further_links_richtlinie_first():
    assert [(d.kind, d.title, d.url) for d in BUND.documents] == [
        (
            "richtlinie",
            "Gigabit-Beratungsrichtlinie vom 14.03.2025",
            "https://bmds.bund.de/SharedDocs/Downloads/gigabit-beratungsrichtlinie.pdf?__blob=publicationFile&v=4",
        ),
        (
            "formular",
            "Die Bundesregierung - easy-Online: Elektronisches Antragssystem",
            "https://foerderportal.bund.de/easyonline/",
        ),
        (
            "merkblatt",
            "PT Gigabit - Merkblatt Beratungsleistungen (PDF)",
            "https://www.pt-gigabit.de/downloads/merkblatt-beratungsleistungen.pdf",
        ),
    ]
    assert [(d.kind, d.title) for d in NRW.documents] == [
        ("richtlinie", "Förderrichtlinie Smart Region NRW vom 09.12.2025"),
        ("aufruf", "Förderaufruf Smart Region NRW 2026"),  # "(externer Link)" dropped
    ]
    assert [d.kind for d in EU.documents] == ["aufruf"]
    # an information page among the further links is a link, not a document
    assert "https://gigabitbuero.bund.de/kommunen/beratung" in BUND.links
    assert all(d.url != "https://gigabitbuero.bund.de/kommunen/beratung" for d in BUND.documents)


CALLS = {r.source_id: r for r in parse_export(FILES / "foerderdatenbank_export_calls", today=date(2026, 12, 8)).records}
MV = CALLS["Land/Mecklenburg-Vorpommern/egovernment-kommunen-mv"]
BW = CALLS["Land/Baden-Wuerttemberg/zukunftskommune-bw-aufruf-2027"]
SN_ROLLING = CALLS["Land/Sachsen/breitbandberatung-kommunen-sachsen"]


def test_a_yearly_stichtag_is_a_yearly_cutoff_in_the_year_of_the_richtlinie():
    assert [(d.date, d.kind, d.recurrence) for d in MV.deadlines] == [(date(2024, 9, 30), "cutoff", "yearly")]
    assert MV.status == "open"  # "Vorhaben müssen bis zum 31.12.2027 abgeschlossen sein" is no deadline


def test_every_contact_of_the_program_with_its_subtitle():
    assert [(c.name, c.role, c.phone, c.address) for c in MV.contacts] == [
        (
            "Landesförderinstitut Mecklenburg-Vorpommern (LFI)",
            "Abteilung Kommunalförderung / Team E-Government",
            "+49 385 6363-1500",
            "Werkstraße 213, 19061 Schwerin",
        ),
        (
            "Ministerium für Inneres, Bau und Digitalisierung – Referat Digitale Verwaltung",
            None,
            "+49 385 588-12345",
            None,
        ),
    ]


def test_quotes_and_dashes_repaired_real_question_marks_kept():
    assert (
        MV.title == "Förderung kommunaler E-Government-Vorhaben „Digitales Amt MV“ – Zuschüsse für Ämter und Gemeinden"
    )
    assert "Was wird gefördert? Gefördert werden" in MV.description


def test_documents_link_the_richtlinie_and_the_form_of_the_legal_basis_text():
    assert [(d.kind, d.title) for d in MV.documents] == [
        (
            "richtlinie",
            "E-Government-Richtlinie MV vom: 14.02.2024 "
            "Ministerium für Inneres, Bau und Digitalisierung Mecklenburg-Vorpommern",
        ),
        ("formular", "Antragsformular E-Government-Förderung (PDF, nicht barrierefrei)"),
    ]
    assert [(d.kind, d.title) for d in BW.documents] == [
        ("richtlinie", "VwV Zukunftskommune vom 10.11.2026"),
        ("aufruf", "Förderaufruf Zukunftskommune 2027 (PDF)"),
        ("merkblatt", "Zukunftskommune – Häufige Fragen (FAQ)"),
    ]


def test_an_announced_two_stage_call_is_forthcoming_with_both_stages():
    assert (BW.status, BW.status_note) == (
        "forthcoming",
        "Projektskizzen können vom 01.03.2027 bis zum 30.04.2027 eingereicht werden.",
    )
    assert [(d.date, d.kind) for d in BW.deadlines] == [
        (date(2027, 4, 30), "sketch"),
        (date(2027, 9, 30), "submission"),
    ]
    opened = {
        r.source_id: r for r in parse_export(FILES / "foerderdatenbank_export_calls", today=date(2027, 3, 2)).records
    }
    assert opened[BW.source_id].status == "open"


def test_rolling_until_the_richtlinie_expires_and_a_conditional_sentence_does_not_close():
    assert SN_ROLLING.rolling is True and SN_ROLLING.status == "open"
    assert [(d.date, d.kind) for d in SN_ROLLING.deadlines] == [(date(2028, 12, 31), "end")]
    assert SN_ROLLING.contacts[0].name == "Sächsische Aufbaubank – Förderbank – (SAB)"


def test_zip_reads_like_the_folder(tmp_path):
    from_zip = parse_export(zip_of(EXPORT_DIR, tmp_path / "export.zip"))
    assert [r.to_dict() for r in from_zip.records] == [r.to_dict() for r in RESULT.records]


def test_member_names_escaping_the_root_are_skipped(tmp_path):
    evil = {"../../etc/evil.xml": b"<document/>", "/abs/evil.xml": b"<document/>"}
    result = parse_export(zip_of(EXPORT_DIR, tmp_path / "e.zip", evil))
    assert len(result.records) == 6
    skipped = [where for where, m in result.warnings if "escapes the archive root" in m]
    assert sorted(skipped) == ["../../etc/evil.xml", "/abs/evil.xml"]
    assert not (tmp_path.parent / "etc").exists()


def test_malformed_program_member_is_reported_and_the_rest_goes_on(tmp_path):
    broken = {"BMWI/FDB/Content/DE/Foerderprogramm/Land/Hessen/kaputt.xml": b"<document><property"}
    result = parse_export(zip_of(EXPORT_DIR, tmp_path / "e.zip", broken))
    assert len(result.records) == 6 and result.errors == 1
    assert "Land/Hessen/kaputt" in result.listed_ids
    assert any(where.endswith("kaputt.xml") and "malformed XML" in m for where, m in result.warnings)


def test_non_utf8_member_is_reported_with_its_name(tmp_path):
    latin = (
        '<?xml version="1.0"?><document name="x" path="/p">'
        '<property name="gsb:title" type="String"><value>Gr\u00e4ben</value></property></document>'
    )
    member = "BMWI/FDB/Content/DE/Foerderprogramm/Land/Hessen/latin.xml"
    result = parse_export(zip_of(EXPORT_DIR, tmp_path / "e.zip", {member: latin.encode("latin-1")}))
    assert len(result.records) == 6 and result.errors == 1
    assert any(where == member and m.startswith("not UTF-8: byte 0xe4 at offset") for where, m in result.warnings)


def test_truncated_zip_is_a_parse_error(tmp_path):
    archive = zip_of(EXPORT_DIR, tmp_path / "e.zip")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="kein lesbares ZIP-Archiv"):
        parse_export(archive)


def test_zip_bomb_caps(tmp_path, monkeypatch):
    archive = zip_of(EXPORT_DIR, tmp_path / "e.zip", {"BMWI/padding.xml": b"0" * 200_000})
    monkeypatch.setattr(export, "MAX_TOTAL_BYTES", 100_000)
    with pytest.raises(ParseError, match="unpacks to .* more than the cap of 100,000"):
        parse_export(archive)
    monkeypatch.setattr(export, "MAX_TOTAL_BYTES", 10**9)
    monkeypatch.setattr(export, "MAX_MEMBERS", 10)
    with pytest.raises(ParseError, match="members, more than the cap of 10"):
        parse_export(archive)


def test_oversized_member_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "MAX_MEMBER_BYTES", 50_000)
    big = {"BMWI/FDB/Content/DE/Foerderprogramm/Land/Hessen/riesig.xml": b"<document>" + b" " * 60_000}
    result = parse_export(zip_of(EXPORT_DIR, tmp_path / "e.zip", big))
    assert len(result.records) == 6
    assert any("riesig.xml" in where and "skipped" in m for where, m in result.warnings)


def test_absurdly_long_text_is_cut(tmp_path):
    source = (EXPORT_DIR / "BMWI/FDB/Content/DE/Foerderprogramm/Land/NRW/smart-region-kommunen-nrw.xml").read_text()
    huge = "Sehr langer Text. " * 20_000
    patched = source.replace("Wenn Sie als Kommune ein digitales Modellprojekt", huge + "Wenn Sie", 1)
    result = parse_export(
        zip_of(
            EXPORT_DIR, tmp_path / "e.zip", {"BMWI/FDB/Content/DE/Foerderprogramm/Land/NRW/lang.xml": patched.encode()}
        )
    )
    long = next(r for r in result.records if r.source_id == "Land/NRW/lang")
    assert 19_000 < len(long.summary) <= 20_000
    assert any("absurdly long text cut" in m for _, m in result.warnings)
    assert any(
        "declares path /BMWI/FDB/Content/DE/Foerderprogramm/Land/NRW/smart-region-kommunen-nrw" in m
        for _, m in result.warnings
    )


def test_zip_without_programs_is_a_parse_error(tmp_path):
    archive = tmp_path / "e.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("BMWI/readme.xml", "<document/>")
    with pytest.raises(ParseError, match="no program documents"):
        parse_export(archive)
