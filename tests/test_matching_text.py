"""German text handling and the thesaurus: folding, stems, compounds, stop words, concepts."""

from __future__ import annotations

import json

import pytest

from fundmatch.matching.text import (
    STOP_WORDS,
    CompoundSplitter,
    analyse,
    complete_truncations,
    content_words,
    fold,
    plain,
    stem,
)
from fundmatch.matching.thesaurus import Thesaurus, ThesaurusError

THESAURUS = Thesaurus.load()
SPLITTER = CompoundSplitter(THESAURUS.lexicon() | {"ausbau", "gewerbe", "gebiet", "anschluss"})


def concepts(text: str) -> set[str]:
    return {m.concept for m in THESAURUS.mentions(text, SPLITTER)}


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("Straßenbeleuchtung", "strassenbeleuchtung"), ("Bürger-App", "buerger-app"), ("ÖPNV", "oepnv"), ("Café", "cafe")],
)
def test_fold_case_umlauts_and_sharp_s(raw, folded):
    assert fold(raw) == folded


def test_hyphenated_words_count_as_whole_and_parts():
    assert content_words("E-Akte für die Bürger-App") == ["akte", "buerger", "app"]


def test_stop_words_are_dropped_and_numbers_too():
    assert content_words("Die Gemeinde und der Landkreis mit 30 Schulen") == ["gemeinde", "landkreis", "schulen"]
    assert {"und", "der", "fuer", "mit"} <= STOP_WORDS


def test_snowball_stems_meet_inflections():
    assert stem("schulen") == stem("schule")
    assert stem("kommunen") == stem("kommune")


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("breitbandausbau", ("breitband", "ausbau")),
        ("gewerbegebiet", ("gewerbe", "gebiet")),
        ("schuldigitalisierung", ("schule", "digitalisierung")),
    ],
)
def test_compounds_split_into_known_parts(word, parts):
    assert tuple(stem(p) for p in SPLITTER.split(word)) == tuple(stem(p) for p in parts)


def test_short_and_unknown_words_stay_whole():
    assert SPLITTER.split("rathaus") == ()
    assert SPLITTER.split("xyzabcdefgh") == ()


def test_head_of_a_compound_also_when_its_first_part_is_unknown():
    assert SPLITTER.head("breitbandausbau") == "ausbau"
    assert SPLITTER.head("zzfoerderung") == "foerderung"
    assert SPLITTER.head("rathaus") is None


@pytest.mark.parametrize(
    ("text", "completed"),
    [
        ("Gewerbe- und Breitbandausbau", "gewerbeausbau und Breitbandausbau"),
        ("Schul-, Gewerbe- oder Breitbandausbau", "schulausbau, gewerbeausbau oder Breitbandausbau"),
        ("Breitband- bzw. Glasfaserausbau", "breitbandausbau bzw. Glasfaserausbau"),
        ("Baden-Württemberg und Bayern", "Baden-Württemberg und Bayern"),  # a hyphen inside a word is no gap
        ("Rathaus- und Xyzqwv", "Rathaus- und Xyzqwv"),  # nothing to complete with: unchanged
    ],
)
def test_truncated_words_are_completed_from_the_closing_compound(text, completed):
    assert complete_truncations(text, SPLITTER) == completed


def test_truncated_word_meets_the_whole_compound():
    assert stem("gewerbeausbau") in analyse("Förderung für Gewerbe- und Breitbandausbau", SPLITTER)
    assert "radverkehr" in concepts("verkehrswichtige Anlagen für den Rad- und Fußverkehr")
    assert (
        THESAURUS.mentions("verkehrswichtige Anlagen für den Rad- und Fußverkehr") == []
    )  # no splitter, no gap filled


def test_breitbandausbau_meets_breitband():
    assert stem("breitband") in analyse("Breitbandausbau im Landkreis", SPLITTER)


def test_markup_and_control_characters_become_plain_text():
    assert plain("<script>alert(1)</script>Glasfaser\x00\x07 für <b>alle</b>") == " alert(1) Glasfaser   für  alle "
    assert len(plain("x" * 50_000, 20_000)) == 20_000


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("FTTH-Anschlüsse für alle Haushalte", "breitband"),
        ("Ausbau mit FTTB im Ortskern", "breitband"),
        ("Einführung der E-Akte", "e_akte"),
        ("Umsetzung des OZG in der Verwaltung", "ozg"),
        ("Onlinezugangsgesetz umsetzen", "ozg"),
        ("LoRaWAN-Gateways für Sensoren", "iot"),
        ("Öffentliches WLAN auf dem Marktplatz", "wlan"),
        ("Einsatz von KI im Bürgerbüro", "ki"),
        ("Smart-City-Strategie der Stadt", "smart_city"),
        ("Medienentwicklungsplan für die Grundschulen", "schuldigitalisierung"),
        ("Telemedizin in der Hausarztpraxis", "telemedizin"),
        ("Neues Quartierszentrum", "quartier"),
        ("Attraktiver ÖPNV für die Dörfer", "oepnv"),
        ("Neuer Radweg zwischen den Ortsteilen", "radverkehr"),
        ("LED-Straßenbeleuchtung in allen Straßen", "strassenbeleuchtung"),
        ("Themenoffene Förderung von neuen Versorgungsformen", "gesundheit"),
    ],
)
def test_thesaurus_finds_concepts_by_synonym_abbreviation_and_compound(text, concept):
    assert concept in concepts(text)


def test_broader_concepts_are_added_and_marked():
    mentions = {m.concept: m for m in THESAURUS.mentions("FTTH für das Dorf", SPLITTER)}
    assert mentions["breitband"].via is None
    assert mentions["digitale_infrastruktur"].via == "breitband"


def test_abbreviations_match_only_with_their_spelling():
    assert "ki" in concepts("KI-Assistent im Bürgeramt")
    assert "ki" not in concepts("Die Kinder spielen")


def test_stop_word_inside_a_term_does_not_widen_it():
    assert "digitalisierung_kmu" not in concepts("Wir wollen digital arbeiten")


def test_thesaurus_file_integrity():
    for concept in THESAURUS.concepts.values():
        assert concept.terms, concept.id
        assert all(b in THESAURUS.concepts for b in concept.broader + concept.related)
    assert len(THESAURUS.concepts) >= 60


def test_thesaurus_with_a_dangling_reference_is_refused(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "format": "fundmatch-thesaurus",
                "version": 1,
                "concepts": [{"id": "a", "label": "A", "terms": ["a"], "broader": ["b"]}],
            }
        )
    )
    with pytest.raises(ThesaurusError, match="concept 'a' names unknown concept 'b'"):
        Thesaurus.load(path)
