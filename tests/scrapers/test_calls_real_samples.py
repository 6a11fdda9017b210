"""Calls, documents and contacts read from every real Förderdatenbank sample, unedited.

The expected values are the table of ``benchmarks/bench_calls.py``, written by reading each sample;
the samples are not in the repository and the tests run where ../shared exists.
"""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks.bench_calls import EXPECTED, read_samples, score
from fundmatch.matching import eligibility as el
from tests.conftest import SHARED

REAL = SHARED / "fixtures" / "foerderdatenbank"
pytestmark = pytest.mark.skipif(not REAL.exists(), reason="../shared/fixtures (real samples) not present")
TODAY = date(2026, 12, 8)


@pytest.fixture(scope="module")
def records():
    return read_samples(REAL, today=TODAY)


def test_every_real_sample_is_in_the_table(records):
    assert sorted(records) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_deadlines_status_and_rolling_of_a_real_sample(records, name):
    record, expected = records[name], EXPECTED[name]
    assert [(d.date.isoformat(), d.kind, d.recurrence) for d in record.deadlines] == list(expected.deadlines)
    assert record.status == expected.status
    assert record.status_note == expected.status_note
    assert record.rolling is expected.rolling


def test_the_benchmark_scores_every_field_right(records):
    result = score(records)
    assert (result.false_positive, result.false_negative, result.misses) == (0, 0, [])


def test_deadline_notes_quote_the_sentence(records):
    (sketch,) = records["html:cdl_details_single_desc_alt.html"].deadlines
    assert sketch.note == "Die Frist zur Einreichung von Projektskizzen endete am 28.11.2024"


def test_export_dashes_and_quotes_read_as_on_the_page(records):
    exported = records["export:Bund/BKM/deutsch-franzoesische-kooperationen-film-ffa"]
    page = records["html:cdl_detail_fail_07_25.html"]
    for text in ("(Filmförderungsgesetz – FFG)", "Koproduktion („Minitraité“)"):
        assert text in exported.legal_basis
        assert text in " ".join(page.legal_basis.split())
    zuschuss = records["export:Bund/BA/eingliederungszuschuss-bund"]
    assert "Eingliederungszuschuss – Finanzielle Unterstützungsmöglichkeiten" in zuschuss.legal_basis
    assert "(SGB III – Arbeitsförderung, §§ 88 ff.)" in zuschuss.legal_basis
    assert "?" not in zuschuss.legal_basis and "?" not in exported.legal_basis


def test_richtlinien_of_both_paths_with_the_targets_own_title(records):
    exported = records["export:Bund/BKM/deutsch-franzoesische-kooperationen-film-ffa"]
    page = records["html:cdl_detail_fail_07_25.html"]
    for record in (exported, page):
        assert [d.kind for d in record.documents][:2] == ["richtlinie", "richtlinie"]  # shown first
    assert [d.title for d in exported.documents if d.kind == "richtlinie"] == [
        d.title for d in page.documents if d.kind == "richtlinie"
    ]
    assert exported.documents[0].title.startswith("Richtlinie für Bürgschaften (§ 85 Filmförderungsgesetz (FFG))")
    assert exported.documents[0].url.endswith("RL_B%C3%BCrgschaften.pdf")
    assert {d.kind for d in exported.documents} == {"richtlinie", "formular", "sonstiges"}  # Gesetz, Abkommen
    assert ("formular", "https://portal.ffa.de/start") in {(d.kind, d.url) for d in exported.documents}


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("export:Bund/BA/eingliederungszuschuss-bund", ["merkblatt"]),  # "Weblink zur Informationsunterlage"
        ("export:Bund/BMAS/einstiegsgeld", []),  # links to web sites, not documents
        ("html:cdl_detail_multi_desc.html", []),
        ("html:cdl_detail_fail_19_12.html", ["richtlinie"]),
        ("html:cdl_detail_rechts_only.html", ["richtlinie"]),
        ("html:cdl_detail_single_desc.html", ["richtlinie", "formular", "formular"]),
        ("html:cdl_details_single_desc_alt.html", ["richtlinie", "formular", "merkblatt"]),  # Leitfaden
        ("html:cdl_details_single_desc_alt_v2024-11-28.html", ["richtlinie", "formular"]),
    ],
)
def test_document_kinds_of_the_real_samples(records, name, kinds):
    assert [d.kind for d in records[name].documents] == kinds


def test_all_contacts_with_their_subtitles(records):
    assert [c.name for c in records["export:Bund/BMAS/einstiegsgeld"].contacts] == [
        "Bundesagentur für Arbeit – Ansprechpartner",
        "Bundesagentur für Arbeit (BA)",
    ]
    exist = records["html:cdl_detail_single_desc.html"].contacts
    assert [(c.name, c.role) for c in exist] == [
        ("Projektträger Jülich (PtJ)", "Forschungszentrum Jülich GmbH / Geschäftsstelle Berlin")
    ]
    (dlr,) = records["html:cdl_details_single_desc_alt_v2024-11-28.html"].contacts
    assert dlr.role.startswith("DLR Projektträger / Bildung, Gender | Empirische Bildungsforschung / Herr Dr.")
    page, exported = (
        records["html:cdl_detail_fail_07_25.html"].contacts,
        records["export:Bund/BKM/deutsch-franzoesische-kooperationen-film-ffa"].contacts,
    )
    assert [(c.name, c.role, c.email, c.address) for c in page] == [
        (c.name, c.role, c.email, c.address) for c in exported
    ]


@pytest.mark.parametrize(
    ("name", "verdict", "reason"),
    [
        (
            "html:cdl_detail_rechts_only.html",
            el.CHECK,
            "nächste Runde erwartet: jährliche Frist, voraussichtlich 31.03.2027 (zuletzt: 30.09.2026)",
        ),
        (
            "html:cdl_detail_single_desc.html",  # yearly until the Förderantrag's end in 2027
            el.CHECK,
            "nächste Runde erwartet: jährliche Frist, voraussichtlich 30.09.2027 (zuletzt: 30.09.2026)",
        ),
        (
            "html:cdl_details_single_desc_alt.html",
            el.INELIGIBLE,
            "Programm geschlossen – laut Quelle: „Förderprogramm aktiv, Antragsstellung nicht mehr möglich“",
        ),
        (
            "html:cdl_details_single_desc_alt_v2024-11-28.html",
            el.INELIGIBLE,
            "alle Fristen abgelaufen (zuletzt 08.01.2025)",
        ),
        (
            "export:Bund/BKM/deutsch-franzoesische-kooperationen-film-ffa",
            el.INELIGIBLE,
            "alle Fristen abgelaufen (zuletzt 15.09.2026)",
        ),
    ],
)
def test_timing_verdicts_of_the_real_samples(records, name, verdict, reason):
    record = records[name]
    check = el.timing_check(record.status, record.deadlines, record.rolling, TODAY, record.status_note)
    assert check == el.Check(verdict, reason)
    table = el.TimingTable.of([(record.status, record.deadlines, record.rolling)])
    assert table.ranks(TODAY).tolist() == [el.RANK[verdict]]
