"""The matcher: eligibility verdicts, ranking with components and reasons, batch = single, CLI, overview."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
from datetime import date

import numpy as np
import pytest
from openpyxl import load_workbook
from sklearn.metrics import ndcg_score

from fundmatch.interchange import MeasureSpec
from fundmatch.matching import eligibility as el
from fundmatch.matching import evaluate, overview
from fundmatch.matching.ranker import EmptyCatalogueError, Matcher, MeasureTextError, Weights
from fundmatch.scrapers.records import Deadline, ProgramRecord
from tests.builders import document, program
from tests.test_web import app as web_app  # noqa: F401 (the web tests' app fixture, here "web_app")

TODAY = date(2026, 11, 26)


def record(source_id: str, title: str, summary: str = "", **facets) -> ProgramRecord:
    values = dict(
        source="manual",
        source_id=source_id,
        title=title,
        url=f"https://example.org/{source_id}",
        level="land",
        regions=["BY"],
        summary=summary,
        funding_types=["zuschuss"],
        applicant_types=["kommune"],
        topics=[],
        status="open",
        rolling=True,
    )
    values.update(facets)
    return ProgramRecord(**values)


CATALOGUE = [
    record(
        "gigabit-by",
        "Bayerische Gigabitrichtlinie (BayGibitR)",
        "Zuschüsse für den Glasfaserausbau in Gemeinden.",
        topics=["infrastruktur", "digitalisierung"],
        keywords=["Glasfaser", "FTTB"],
    ),
    record(
        "gigabit-sn",
        "Gigabitförderung Sachsen",
        "Glasfaserausbau in sächsischen Kommunen.",
        regions=["SN"],
        topics=["infrastruktur", "digitalisierung"],
    ),
    record(
        "led-bund",
        "Kommunalrichtlinie LED-Straßenbeleuchtung",
        "Umrüstung der Außenbeleuchtung auf LED.",
        regions=["DE"],
        topics=["energieeffizienz_erneuerbare_energien"],
        level="bund",
    ),
    record(
        "ikk",
        "IKK – Investitionskredit Kommunen",
        "Zinsgünstige Kredite für kommunale Infrastruktur.",
        regions=["DE"],
        funding_types=["darlehen"],
        level="bund",
        topics=["infrastruktur"],
    ),
    record(
        "schule-by",
        "Digitale Schule Bayern",
        "Tablets und interaktive Tafeln für Schulen.",
        topics=["aus_weiterbildung", "digitalisierung"],
        applicant_types=["oeffentliche_einrichtung"],
    ),
    record(
        "firmen",
        "Digitalbonus für Unternehmen",
        "Digitalisierung im Mittelstand, Glasfaseranschluss des Betriebs.",
        applicant_types=["unternehmen"],
        topics=["digitalisierung"],
    ),
    record(
        "closed", "Glasfaser-Sonderprogramm 2023", "Glasfaser für Gemeinden.", status="closed", topics=["infrastruktur"]
    ),
    record(
        "eu-ldt",
        "Local Digital Twins",
        "Digitale Zwillinge für Städte.",
        regions=["EU"],
        level="eu",
        status="open",
        rolling=False,
        deadlines=[Deadline(date=date(2027, 3, 10))],
        applicant_types=[],
    ),
]
MATCHER = Matcher().fit(CATALOGUE, version="test")


def measure(text: str, land: str = "BY", **kwargs) -> MeasureSpec:
    title, _, description = text.partition("\n")
    return MeasureSpec(id=kwargs.pop("id", "m1"), title=title, description=description, land=land, **kwargs)


# ---- eligibility -------------------------------------------------------------------------------


def test_region_check():
    assert el.region_check(["BY"], "BY").verdict == el.ELIGIBLE
    assert el.region_check(["DE"], "SN") == el.Check(el.ELIGIBLE, "Fördergebiet: bundesweit")
    assert el.region_check(["EU"], "SN").reason == "Fördergebiet: EU-weit"
    assert el.region_check(["SN", "TH"], "BY") == el.Check(el.INELIGIBLE, "Fördergebiet: nur Sachsen, Thüringen")
    assert el.region_check([], "BY").verdict == el.CHECK


def test_applicant_mapping_for_a_kommune():
    assert el.applicant_check(["kommune", "unternehmen"], "kommune").verdict == el.ELIGIBLE
    via_body = el.applicant_check(["oeffentliche_einrichtung"], "kommune")
    assert via_body.verdict == el.CHECK and "Schulträger" in via_body.reason
    assert el.applicant_check(["unternehmen", "existenzgruenderin"], "kommune") == el.Check(
        el.INELIGIBLE, "Förderberechtigte: nur Unternehmen, Existenzgründer/in"
    )
    assert el.applicant_check([], "kommune").verdict == el.CHECK


def test_applicant_mapping_for_other_applicants():
    assert el.applicant_check(["verband_vereinigung"], "verband_vereinigung").verdict == el.ELIGIBLE
    assert el.applicant_check(["kommune"], "oeffentliche_einrichtung").verdict == el.CHECK
    assert el.applicant_check(["kommune"], "verband_vereinigung").verdict == el.INELIGIBLE
    partner = el.applicant_check(["verband_vereinigung", "forschungseinrichtung"], "kommune")
    assert partner.verdict == el.CHECK and "als Partner" in partner.reason


@pytest.mark.parametrize(
    ("status", "deadlines", "rolling", "verdict", "reason"),
    [
        ("closed", [], None, el.INELIGIBLE, "Programm geschlossen"),
        ("withdrawn", [], None, el.INELIGIBLE, "Programm nicht mehr an der Quelle gelistet"),
        (
            "open",
            [Deadline(date=date(2026, 1, 1))],
            False,
            el.INELIGIBLE,
            "alle Fristen abgelaufen (zuletzt 01.01.2026)",
        ),
        (
            "open",
            [Deadline(date=date(2026, 1, 1)), Deadline(date=date(2026, 11, 26))],
            False,
            el.ELIGIBLE,
            "nächste Frist: 26.11.2026",
        ),
        ("open", [], True, el.ELIGIBLE, "Antragstellung laufend möglich"),
        ("open", [], None, el.CHECK, "keine Frist angegeben – Antragsfenster prüfen"),
        ("unknown", [], None, el.CHECK, "Status unbekannt – prüfen, ob das Programm läuft"),
        (
            "forthcoming",
            [Deadline(date=date(2027, 1, 20), kind="sketch")],
            False,
            el.ELIGIBLE,
            "Aufruf angekündigt, nächste Frist 20.01.2027",
        ),
    ],
)
def test_timing_check(status, deadlines, rolling, verdict, reason):
    assert el.timing_check(status, deadlines, rolling, TODAY) == el.Check(verdict, reason)


def test_funding_type_preference_never_excludes():
    assert el.funding_type_check(["darlehen"], "zuschuss").verdict == el.CHECK
    assert el.funding_type_check([], "zuschuss").verdict == el.CHECK
    assert el.funding_type_check(["zuschuss"], "zuschuss").verdict == el.ELIGIBLE
    assert el.funding_type_check(["darlehen"], None) is None


def test_missing_data_never_excludes():
    result = el.assess(
        regions=[],
        applicant_types=[],
        status="unknown",
        deadlines=[],
        rolling=None,
        funding_types=[],
        land="BY",
        applicant="kommune",
        funding_type="zuschuss",
        today=TODAY,
    )
    assert result.verdict == el.CHECK and len(result.reasons) == 4


@pytest.mark.parametrize("status", ["open", "forthcoming", "closed", "withdrawn", "unknown"])
@pytest.mark.parametrize("rolling", [True, False, None])
def test_the_timing_table_decides_as_timing_check(status, rolling):
    deadline_sets = [
        [],
        [Deadline(date=date(2026, 11, 26))],
        [Deadline(date=date(2026, 1, 5)), Deadline(date=date(2027, 2, 1))],
    ]
    table = el.TimingTable.of([(status, deadlines, rolling) for deadlines in deadline_sets])
    for today in (date(2026, 1, 1), date(2026, 11, 26), date(2026, 11, 27), date(2027, 3, 1)):
        expected = [el.RANK[el.timing_check(status, d, rolling, today).verdict] for d in deadline_sets]
        assert table.ranks(today).tolist() == expected


YEARLY = Deadline(date=date(2024, 9, 30), recurrence="yearly")


@pytest.mark.parametrize(
    ("status", "deadlines", "rolling", "note", "verdict", "reason"),
    [
        (
            "open",
            [YEARLY],
            None,
            None,
            el.CHECK,
            "nächste Runde erwartet: jährliche Frist, voraussichtlich 30.09.2027 (zuletzt: 30.09.2026)",
        ),
        (  # Starke Heimat Hessen, MV E-Government: last year's Stichtag passed, the next one is a year ahead
            "open",
            [Deadline(date=date(2025, 3, 31), kind="cutoff", recurrence="yearly"), Deadline(date=date(2025, 3, 31))],
            False,
            None,
            el.CHECK,
            "nächste Runde erwartet: jährliche Frist, voraussichtlich 31.03.2027 (zuletzt: 31.03.2026)",
        ),
        (
            "open",
            [Deadline(date=date(2026, 12, 1), recurrence="yearly")],
            None,
            None,
            el.ELIGIBLE,
            "nächste Frist: 01.12.2026",
        ),
        (
            "open",
            [YEARLY, Deadline(date=date(2027, 12, 31), kind="end")],
            None,
            None,
            el.CHECK,
            "nächste Runde erwartet: jährliche Frist, voraussichtlich 30.09.2027 (zuletzt: 30.09.2026)",
        ),
        (  # no round before the program's end
            "open",
            [YEARLY, Deadline(date=date(2027, 6, 30), kind="end")],
            None,
            None,
            el.CHECK,
            "alle Fristen abgelaufen (zuletzt 30.09.2026); Programm läuft bis 30.06.2027 – neuen Aufruf prüfen",
        ),
        (
            "open",
            [YEARLY, Deadline(date=date(2025, 12, 31), kind="end")],
            None,
            None,
            el.INELIGIBLE,
            "Programmlaufzeit beendet (31.12.2025)",
        ),
        (
            "open",
            [Deadline(date=date(2027, 12, 31), kind="end")],
            None,
            None,
            el.ELIGIBLE,
            "Programm läuft bis 31.12.2027",
        ),
        (
            "open",
            [Deadline(date=date(2027, 12, 31), kind="end")],
            True,
            None,
            el.ELIGIBLE,
            "Antragstellung laufend möglich (bis 31.12.2027)",
        ),
        (
            "forthcoming",
            [YEARLY],
            None,
            None,
            el.ELIGIBLE,
            "Aufruf angekündigt, nächste Frist 30.09.2027",
        ),
        (
            "closed",
            [YEARLY],
            None,
            "Förderprogramm aktiv, Antragsstellung nicht mehr möglich",
            el.INELIGIBLE,
            "Programm geschlossen – laut Quelle: „Förderprogramm aktiv, Antragsstellung nicht mehr möglich“",
        ),
        ("open", [], None, "Programm aktiv", el.CHECK, "keine Frist angegeben – Antragsfenster prüfen"),
    ],
)
def test_timing_of_yearly_rounds_program_ends_and_status_notes(status, deadlines, rolling, note, verdict, reason):
    assert el.timing_check(status, deadlines, rolling, TODAY, note) == el.Check(verdict, reason)
    table = el.TimingTable.of([(status, deadlines, rolling)])
    assert table.ranks(TODAY).tolist() == [el.RANK[verdict]]


def test_a_recurring_program_is_never_ineligible_for_a_passed_date():
    for today in (date(2026, 10, 1), date(2027, 1, 1), date(2031, 9, 30), date(2031, 10, 1)):
        assert el.timing_check("open", [YEARLY], None, today).verdict != el.INELIGIBLE


def test_assess_shows_the_status_note_and_the_next_round_as_next_deadline():
    closed = el.assess(
        regions=["BY"],
        applicant_types=["kommune"],
        status="closed",
        deadlines=[],
        rolling=None,
        funding_types=[],
        land="BY",
        applicant="kommune",
        funding_type=None,
        today=TODAY,
        status_note="Mittel ausgeschöpft",
    )
    assert closed.verdict == el.INELIGIBLE
    assert closed.reasons[2] == "Programm geschlossen – laut Quelle: „Mittel ausgeschöpft“"
    assert el.next_deadline([YEARLY], TODAY) == date(2027, 9, 30)
    assert el.next_deadline([YEARLY, Deadline(date=date(2027, 6, 30), kind="end")], TODAY) == date(2027, 6, 30)
    assert el.next_deadline([Deadline(date=date(2026, 1, 1))], TODAY) is None


def test_the_timing_table_decides_as_timing_check_for_yearly_and_end_deadlines():
    sets = [
        [YEARLY],
        [Deadline(date=date(2024, 2, 29), recurrence="yearly")],
        [YEARLY, Deadline(date=date(2027, 12, 31), kind="end")],
        [YEARLY, Deadline(date=date(2027, 6, 30), kind="end")],
        [YEARLY, Deadline(date=date(2025, 12, 31), kind="end")],
        [Deadline(date=date(2027, 12, 31), kind="end")],
        [Deadline(date=date(2026, 1, 1)), Deadline(date=date(2027, 12, 31), kind="end")],
        [Deadline(date=date(2026, 1, 1)), YEARLY],
        [Deadline(date=date(2027, 2, 1), kind="sketch"), Deadline(date=date(2024, 3, 31), recurrence="yearly")],
    ]
    days = [
        date(2026, 1, 1),
        date(2026, 9, 30),
        date(2026, 10, 1),
        date(2027, 2, 28),
        date(2027, 7, 1),
        date(2028, 3, 1),
    ]
    for status in ("open", "forthcoming", "closed", "unknown"):
        for rolling in (True, False, None):
            table = el.TimingTable.of([(status, d, rolling) for d in sets])
            for today in days:
                expected = [el.RANK[el.timing_check(status, d, rolling, today).verdict] for d in sets]
                assert table.ranks(today).tolist() == expected, (status, rolling, today)


def test_the_tabulated_verdicts_are_those_of_the_checks():
    for land, applicant, funding_type in [("BY", "kommune", None), ("SN", "hochschule", "darlehen")]:
        spec = measure("Glasfaser", land=land, applicant_type=applicant, funding_type=funding_type)
        expected = [
            el.RANK[
                el.assess(
                    regions=r.regions,
                    applicant_types=r.applicant_types,
                    status=r.status,
                    deadlines=r.deadlines,
                    rolling=r.rolling,
                    funding_types=r.funding_types,
                    land=land,
                    applicant=applicant,
                    funding_type=funding_type,
                    today=TODAY,
                ).verdict
            ]
            for r in CATALOGUE
        ]
        assert MATCHER.verdicts(spec, TODAY).tolist() == expected


# ---- vectors -----------------------------------------------------------------------------------

SAMPLE_TEXTS = [
    "Gigabitförderung Bayern: Glasfaserausbau in Gemeinden",
    "  LED-Straßenbeleuchtung\tund  Außenbeleuchtung ",
    "WLAN an Schulen, Medienentwicklungsplan, iPads",
    "a ab abc",
    "",
    "Äußerst ÜBERÖRTLICHE Förderung",
]


def test_the_vectorizers_agree_with_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer as Reference

    from fundmatch.matching.vectors import TfidfVectorizer, char_wb_ngrams

    token_docs = [text.lower().split() for text in SAMPLE_TEXTS]
    queries = ["Glasfaser für die Gemeinde", "unbekannt xyz"]
    cases = [
        (
            TfidfVectorizer(lambda tokens: tokens),
            Reference(analyzer=lambda tokens: tokens, sublinear_tf=True, norm="l2", dtype=np.float32),
            [*token_docs, token_docs[0] * 3],
            [q.lower().split() for q in queries],
        ),
        (
            TfidfVectorizer(lambda text: char_wb_ngrams(text, (3, 5))),
            Reference(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1, dtype=np.float32),
            SAMPLE_TEXTS,
            queries,
        ),
    ]
    for own, reference, documents, new in cases:
        fitted = own.fit_transform(documents)
        expected = reference.fit_transform(documents)
        assert own.vocabulary_ == reference.vocabulary_
        np.testing.assert_allclose(own.idf_, reference.idf_, atol=1e-6)
        np.testing.assert_allclose(fitted.toarray(), expected.toarray(), atol=1e-6)
        np.testing.assert_allclose(own.transform(new).toarray(), reference.transform(new).toarray(), atol=1e-6)


def test_the_inverted_index_scores_as_the_matrix_product():
    from fundmatch.matching import vectors

    rng = np.random.default_rng(3)
    dense = rng.random((40, 30)).astype(np.float32) * (rng.random((40, 30)) < np.linspace(0.02, 0.9, 30))
    rows = vectors.SparseRows(
        np.concatenate(([0], np.cumsum((dense > 0).sum(axis=1)))),
        np.nonzero(dense)[1].astype(np.int32),
        dense[dense > 0],
        30,
    )
    index = vectors.InvertedIndex.from_rows(rows)
    assert 0 < len(index.dense_) < 30  # both ways of scoring are used
    queries = rng.random((5, 30)).astype(np.float32) * (rng.random((5, 30)) < 0.4)
    query_rows = vectors.SparseRows(
        np.concatenate(([0], np.cumsum((queries > 0).sum(axis=1)))),
        np.nonzero(queries)[1].astype(np.int32),
        queries[queries > 0],
        30,
    )
    np.testing.assert_allclose(index.dot(query_rows), dense @ queries.T, atol=1e-5)
    assert index.contains(int(np.nonzero(dense[:, 29])[0][0]), 29)
    assert not index.contains(int(np.flatnonzero(dense[:, 0] == 0)[0]), 0)


# ---- ranking -----------------------------------------------------------------------------------


def keys(matches) -> list[str]:
    return [m.source_id for m in matches]


def test_wrong_land_companies_only_and_closed_programs_are_left_out():
    ranked = keys(
        MATCHER.rank(measure("Glasfaserausbau im Gewerbegebiet und FTTH für alle Haushalte"), top=20, today=TODAY)
    )
    assert ranked[0] == "gigabit-by"
    assert {"gigabit-sn", "firmen", "closed"}.isdisjoint(ranked)


def test_include_ineligible_shows_them_with_their_verdict_and_reason():
    matches = MATCHER.rank(measure("Glasfaserausbau für die Gemeinde"), top=20, include_ineligible=True, today=TODAY)
    by_key = {m.source_id: m for m in matches}
    assert by_key["gigabit-sn"].eligibility == "ineligible"
    assert "Fördergebiet: nur Sachsen" in by_key["gigabit-sn"].reasons
    assert by_key["firmen"].reasons[1] == "Förderberechtigte: nur Unternehmen"


def test_compound_and_thesaurus_meet_programs_without_shared_words():
    led = MATCHER.rank(
        measure("Umstellung der Straßenlaternen auf sparsame Leuchten\nAlle Laternen der Gemeinde"), today=TODAY
    )
    assert "led-bund" in keys(led)[:2]
    school = MATCHER.rank(measure("Medienentwicklungsplan und iPads für die Grundschule"), today=TODAY)
    assert keys(school)[0] == "schule-by"


def test_naming_a_program_finds_it():
    matches = MATCHER.rank(measure("Antrag nach BayGibitR für weiße Flecken"), today=TODAY)
    assert matches[0].source_id == "gigabit-by"
    assert matches[0].components["name"] == 1.0


def test_scores_are_between_0_and_1_and_carry_components():
    for match in MATCHER.rank(measure("Glasfaser und Schulen und Straßenbeleuchtung"), top=10, today=TODAY):
        assert 0 <= match.score <= 1
        assert set(match.components) == set(Weights().components)
        assert all(0 <= v <= 1 for v in match.components.values())


def test_levels_give_partial_facet_matches_their_value():
    """Region, status, applicant and investment classes are worth what ``Weights`` says, not a fixed taste."""
    queries = [
        MATCHER.prepare(measure("Glasfaser für Gemeinden", id="big", cost_eur=500_000)),
        MATCHER.prepare(measure("Glasfaser für Gemeinden", id="small", cost_eur=20_000)),
    ]
    evidence = MATCHER.evidence(queries)
    weights = Weights(region_nationwide=0.3, region_eu=0.1, investment_small=0.2, applicant_check=0.4)
    components = MATCHER.weigh(evidence, weights)
    at = {r.source_id: i for i, r in enumerate(MATCHER.records_)}
    assert components["region"][[at["gigabit-by"], at["led-bund"], at["eu-ldt"], at["gigabit-sn"]], 0].tolist() == (
        pytest.approx([1.0, 0.3, 0.1, 0.0])
    )
    assert components["finance"][at["ikk"]].tolist() == pytest.approx([1.0, 0.2])
    assert components["applicant"][at["schule-by"], 0] == pytest.approx(0.4)
    assert components["status"][at["closed"], 0] == 0.0
    default = MATCHER.components(queries)
    assert all(np.array_equal(default[name], MATCHER.weigh(evidence)[name]) for name in default)


def test_free_search_finds_a_word_only_the_summary_has_whatever_the_field_weights():
    matcher = Matcher(Weights(field_summary=0.0)).fit(CATALOGUE)
    found = matcher.relevance("zinsgünstig")
    assert list(found) == ["manual:ikk"]
    assert 0 < found["manual:ikk"] <= 1


def test_concepts_only_the_texts_name_count_at_their_level():
    body_only = [
        record(
            "body",
            "Förderung kommunaler Infrastruktur",
            description="Gefördert wird unter anderem LoRaWAN für Sensoren.",
        )
    ]
    matcher = Matcher().fit(body_only)
    evidence = matcher.evidence([matcher.prepare(measure("LoRaWAN-Netz für die Stadt"))])
    assert matcher.weigh(evidence, Weights(concept_in_body=0.0))["concepts"][0, 0] == 0.0
    assert matcher.weigh(evidence, Weights(concept_in_body=0.5))["concepts"][0, 0] > 0.0


def test_explanations_name_terms_concepts_reasons_and_deadline():
    (match,) = [
        m
        for m in MATCHER.rank(measure("FTTH-Ausbau mit Glasfaser im Dorf"), today=TODAY)
        if m.source_id == "gigabit-by"
    ]
    assert "Glasfaser" in " ".join(match.matched_terms)
    assert any(c.startswith("Breitband / Gigabit (aus „FTTH“)") or "Breitband" in c for c in match.concepts)
    assert match.reasons[0] == "Fördergebiet: Bayern"
    eu = next(
        m for m in MATCHER.rank(measure("Digitaler Zwilling der Stadt"), top=20, today=TODAY) if m.source_id == "eu-ldt"
    )
    assert eu.next_deadline == date(2027, 3, 10)
    assert eu.eligibility == "check"  # applicant types unknown


def test_batch_equals_one_by_one_and_order_is_stable():
    measures = [
        measure("Glasfaser für Schulen", id="a"),
        measure("LED-Beleuchtung", id="b", land="SN"),
        measure("Kredit für kommunale Investitionen", id="c"),
    ]
    batch = MATCHER.rank_many(measures, top=5, today=TODAY)
    single = [MATCHER.rank(m, top=5, today=TODAY) for m in measures]
    assert [keys(b) for b in batch] == [keys(s) for s in single]
    assert [keys(b) for b in MATCHER.rank_many(measures, top=5, today=TODAY)] == [keys(b) for b in batch]


def test_ties_break_by_key():
    twins = [record(f"twin-{c}", "Gleiches Programm", "Gleicher Text") for c in "cab"]
    matches = Matcher().fit(twins).rank(measure("Gleiches Programm"), today=TODAY)
    assert keys(matches) == ["twin-a", "twin-b", "twin-c"]


@pytest.mark.parametrize("text", ["", "   \n\t ", "und der die das mit für"])
def test_empty_or_stop_word_text_is_an_error(text):
    with pytest.raises(MeasureTextError, match="no words to match on"):
        # Built without validation: the matcher guards itself against texts a file could never hold.
        MATCHER.rank(MeasureSpec.model_construct(id="m", title=text, description="", land="BY"))


def test_an_empty_catalogue_is_a_clear_error():
    with pytest.raises(EmptyCatalogueError, match="fundmatch seed"):
        Matcher().fit([])


def test_hostile_text_is_plain_text():
    hostile = "<script>alert('x')</script>Glasfaser \x00\x1b {{ 7*7 }} " + "Breitband " * 200_000
    matches = MATCHER.rank(measure("Breitband\n" + hostile), today=TODAY)
    assert matches and matches[0].source_id == "gigabit-by"


def test_missing_facets_are_unknown_not_excluded():
    sparse = [
        record(
            "sparse",
            "Glasfaserförderung",
            regions=["BY"],
            applicant_types=[],
            topics=[],
            status="unknown",
            rolling=None,
        )
    ]
    (match,) = Matcher().fit(sparse).rank(measure("Glasfaser"), today=TODAY)
    assert match.eligibility == "check"


# ---- evaluation --------------------------------------------------------------------------------


def test_ndcg_agrees_with_scikit_learn():
    rng = np.random.default_rng(7)
    for _ in range(20):
        grades = {f"p{i}": int(g) for i, g in enumerate(rng.integers(0, 3, 30))}
        if not any(grades.values()):
            continue
        ranked = list(rng.permutation(list(grades)))
        scores = np.array([[len(ranked) - ranked.index(k) for k in grades]])
        truth = np.array([[2 ** grades[k] - 1 for k in grades]])
        for k in (5, 10):
            assert evaluate.ndcg_at(ranked, grades, k) == pytest.approx(ndcg_score(truth, scores, k=k))


def test_recall_and_mrr():
    grades = {"a": 2, "b": 1, "c": 0, "d": 1}
    assert evaluate.recall_at(["x", "b", "a"], grades, 20) == pytest.approx(2 / 3)
    assert evaluate.reciprocal_rank(["x", "c", "b"], grades) == pytest.approx(1 / 3)
    assert evaluate.reciprocal_rank(["x"], grades) == 0.0


def gold(**extra) -> dict:
    return {
        "format": "fundmatch-gold",
        "version": 1,
        "catalogue": "test",
        "as_of": "2026-11-26",
        "measures": [
            {"id": "g1", "title": "Glasfaserausbau in der Gemeinde", "land": "BY"},
            {"id": "g2", "title": "LED-Straßenbeleuchtung", "land": "BY"},
        ],
        "judgments": {"g1": {"manual:gigabit-by": 2, "manual:ikk": 1}, "g2": {"manual:led-bund": 2}},
        "heldout": ["g2"],
        **extra,
    }


def test_evaluate_reports_dev_heldout_and_beats_bm25_on_the_toy_set():
    data = evaluate.parse_gold(gold())
    ours = evaluate.evaluate(evaluate.matcher_ranker(MATCHER, today=data.as_of), data)
    assert set(ours["per_measure"]) == {"g1", "g2"}
    assert ours["heldout"]["ndcg@10"] == ours["per_measure"]["g2"]["ndcg@10"]
    assert ours["all"]["mrr"] == 1.0
    bm25 = evaluate.evaluate(evaluate.BM25Baseline().fit(CATALOGUE).rank_keys, data)
    assert set(bm25["per_measure"]) == {"g1", "g2"}


def test_bm25_baseline_applies_the_region_filter():
    ranked = (
        evaluate.BM25Baseline().fit(CATALOGUE).rank_keys([measure("Gigabitförderung Sachsen Glasfaser", land="BY")])[0]
    )
    assert "manual:gigabit-sn" not in ranked


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "x"}, "expected a JSON object"),
        ({"judgments": {"nope": {}}}, "judgments for unknown measure 'nope'"),
        ({"judgments": {"g1": {"manual:x": 3}}}, "grade must be 0, 1 or 2"),
        ({"heldout": ["zz"]}, "held-out ids ['zz']"),
    ],
)
def test_bad_gold_files(change, message):
    from fundmatch.interchange import InterchangeError

    with pytest.raises(InterchangeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        evaluate.parse_gold(gold(**change))


# ---- service, CLI, overview --------------------------------------------------------------------


def seed_small(run_cli, tmp_path):
    programs = [
        program(
            source_id="gigabit",
            title="Gigabitförderung Bayern",
            summary="Glasfaserausbau in Gemeinden.",
            rolling=True,
            deadlines=[],
        ),
        program(
            source_id="led",
            title="LED-Straßenbeleuchtung",
            summary="Außenbeleuchtung auf LED umrüsten.",
            regions=["DE"],
            level="bund",
            rolling=True,
            deadlines=[],
            keywords=["LED"],
            topics=["energieeffizienz_erneuerbare_energien"],
        ),
        program(source_id="sachsen", title="Glasfaser Sachsen", regions=["SN"], deadlines=[]),
    ]
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(document(*programs)))
    assert run_cli("catalogue", "import", str(path)).exit_code == 0


def measures_file(tmp_path, *measures) -> str:
    path = tmp_path / "measures.json"
    path.write_text(json.dumps({"format": "fundmatch-measures", "version": 1, "measures": list(measures)}))
    return str(path)


def test_cli_match_free_text_table_and_json(run_cli, tmp_path):
    seed_small(run_cli, tmp_path)
    table = run_cli("match", "Glasfaser für das Gewerbegebiet", "--land", "BY")
    assert table.exit_code == 0 and "Gigabitförderung Bayern" in table.stdout and "Gründe:" in table.stdout
    data = json.loads(run_cli("match", "Glasfaser", "--land", "BY", "--format", "json").stdout)
    assert data["format"] == "fundmatch-matches" and data["version"] == 1
    (result,) = data["results"]
    assert result["matches"][0]["source_id"] == "gigabit"
    assert {"source", "source_id", "title", "score", "eligibility", "reasons", "matched_terms", "next_deadline"} <= set(
        result["matches"][0]
    )
    assert all(m["source_id"] != "sachsen" for m in result["matches"])


def test_cli_match_measures_file_top_and_include_ineligible(run_cli, tmp_path):
    seed_small(run_cli, tmp_path)
    path = measures_file(
        tmp_path,
        {"id": "m1", "title": "Glasfaser im Ort", "land": "BY"},
        {"id": "m2", "title": "LED-Laternen", "land": "SN"},
    )
    data = json.loads(run_cli("match", "--measures", path, "--top", "1", "--format", "json").stdout)
    assert [len(r["matches"]) for r in data["results"]] == [1, 1]
    wide = json.loads(run_cli("match", "--measures", path, "--include-ineligible", "--format", "json").stdout)
    assert any(m["eligibility"] == "ineligible" for m in wide["results"][0]["matches"])


def test_cli_match_errors(run_cli, tmp_path):
    seed_small(run_cli, tmp_path)
    assert "unknown Land 'XX'" in run_cli("match", "Glasfaser", "--land", "XX").stderr
    assert "no words to match on" in run_cli("match", "und oder", "--land", "BY").stderr
    assert "--land is needed" in run_cli("match", "Glasfaser").stderr
    bad = measures_file(tmp_path, {"id": "m1", "title": "x", "land": "Bayern"})
    assert "Feld 'land': unbekanntes Land 'Bayern'" in run_cli("match", "--measures", bad).stderr


@pytest.mark.parametrize(("value", "cell"), [(250000.0, "250000"), (0.417, "0,417"), (1e-9, "0"), ("m1", "m1")])
def test_csv_numbers_use_the_decimal_comma(value, cell):
    assert overview.german_number(value) == cell


def test_cli_match_on_an_empty_catalogue_says_how_to_fill_it(run_cli, tmp_path):
    result = run_cli("match", "Glasfaser", "--land", "BY")
    assert result.exit_code == 1 and "catalogue holds no programs yet" in result.stderr
    assert "fundmatch seed" in result.stderr and "vocabulary" not in result.stderr


def test_cli_long_text_is_cut_with_a_warning(run_cli, tmp_path):
    seed_small(run_cli, tmp_path)
    result = run_cli("match", "Glasfaser " * 120_000, "--land", "BY", "--format", "json")
    assert result.exit_code == 0
    assert "auf 20.000 Zeichen gekürzt" in result.stderr
    assert json.loads(result.stdout)["results"][0]["matches"]


def test_index_is_rebuilt_when_the_catalogue_changes(run_cli, settings, tmp_path):
    seed_small(run_cli, tmp_path)
    first = json.loads(run_cli("match", "Glasfaser", "--land", "BY", "--format", "json").stdout)["catalogue_version"]
    path = tmp_path / "more.json"
    path.write_text(
        json.dumps(document(program(source_id="neu", title="Glasfaser-Neuprogramm", rolling=True, deadlines=[])))
    )
    run_cli("catalogue", "import", str(path))
    second = json.loads(run_cli("match", "Glasfaser", "--land", "BY", "--format", "json").stdout)
    assert second["catalogue_version"] != first
    assert "neu" in [m["source_id"] for m in second["results"][0]["matches"]]
    (current,) = (settings.data_dir / "index").iterdir()  # the stale index is gone, and no temporary file is left
    assert current.suffix == ".npz" and second["catalogue_version"] in current.name


def test_an_index_of_an_older_format_is_neither_loaded_nor_kept(run_cli, settings, tmp_path):
    """A new release (other learned state) must not match with an old index, nor keep old pickled ones."""
    from fundmatch.matching import index

    seed_small(run_cli, tmp_path)
    run_cli("match", "Glasfaser", "--land", "BY")
    (current,) = (settings.data_dir / "index").glob("matcher-*.npz")
    older = current.with_name(current.name.replace(f"matcher-{index.INDEX_FORMAT}-", "matcher-0-"))
    current.rename(older)
    pickled = current.with_name(current.name.replace(f"matcher-{index.INDEX_FORMAT}-", "matcher-2-")).with_suffix(
        ".pickle"
    )
    pickled.write_bytes(b"an index of format 2")
    index._slots.clear()
    assert run_cli("match", "Glasfaser", "--land", "BY").exit_code == 0
    assert [p.name for p in (settings.data_dir / "index").iterdir()] == [current.name]


def test_the_index_file_holds_arrays_and_json_and_ranks_as_the_fitted_matcher(tmp_path):
    from fundmatch.matching import index

    path = tmp_path / "index.npz"
    index.save(MATCHER, path)
    with np.load(path, allow_pickle=False) as stored:  # refuses object arrays: nothing in it is pickled
        assert {stored[name].dtype.kind for name in stored.files} <= set("biuf")
    loaded = index.load(path)
    measures = [measure("Glasfaser und Schulen und Straßenbeleuchtung"), measure("WLAN an der Grundschule", id="m2")]
    expected = [[m.to_dict() for m in ms] for ms in MATCHER.rank_many(measures, top=20, today=TODAY)]
    assert [[m.to_dict() for m in ms] for ms in loaded.rank_many(measures, top=20, today=TODAY)] == expected
    assert loaded.relevance("Glasfaser") == MATCHER.relevance("Glasfaser")


def test_an_index_fitted_with_another_thesaurus_is_not_used(tmp_path, monkeypatch):
    from fundmatch.matching import index

    path = tmp_path / "index.npz"
    index.save(MATCHER, path)
    monkeypatch.setattr(index, "fitted_with", lambda: "another thesaurus")
    assert index.load(path) is None


def test_ranking_from_a_stored_index_imports_neither_scikit_learn_nor_scipy(tmp_path):
    from fundmatch.matching import index

    path = tmp_path / "index.npz"
    index.save(MATCHER, path)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from fundmatch.interchange import MeasureSpec\n"
        "from fundmatch.matching import index\n"
        f"matcher = index.load(Path({str(path)!r}))\n"
        "assert matcher.rank(MeasureSpec(id='m', title='Glasfaser für die Gemeinde', land='BY'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sklearn', 'scipy'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_processes_building_the_same_index_at_once_do_not_trip_over_each_other(database, settings):
    """Threads that build directly (not through the process's one builder) stand for processes: each
    builds and writes the same index."""
    from fundmatch import catalogue
    from fundmatch.matching import index

    with database.session() as session:
        catalogue.apply_records(session, CATALOGUE[:5])
    with database.session() as session:
        index.current_matcher(session, settings)
    with database.session() as session:
        catalogue.apply_records(session, CATALOGUE)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def build() -> None:
        try:
            with database.session() as session:
                version = catalogue.catalogue_version(session)
                barrier.wait()
                assert len(index.load_or_build(session, settings, version).keys_) == len(CATALOGUE)
        except BaseException as exc:  # reported below with the others
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    (stored,) = (settings.data_dir / "index").iterdir()
    assert len(index.load(stored).keys_) == len(CATALOGUE)


def test_overview_xlsx_and_csv_flag_measures_without_eligible_program(run_cli, tmp_path):
    seed_small(run_cli, tmp_path)
    path = measures_file(
        tmp_path,
        {"id": "m1", "title": "Glasfaser im Ort", "land": "BY", "cost_eur": 250000},
        {"id": "m2", "title": "Glasfaser im Ort", "land": "HE", "cost_eur": 1234.5},
    )
    xlsx = tmp_path / "uebersicht.xlsx"
    assert run_cli("overview", "--measures", path, "--out", str(xlsx), "--top", "2").exit_code == 0
    sheet = load_workbook(xlsx)["Förderübersicht"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:8] == (
        "Maßnahme-ID",
        "Maßnahme",
        "Land",
        "Handlungsfeld",
        "Kosten (EUR)",
        "Förderfähiges Programm gefunden",
        "Allgemeine Finanzierung",
        "Programm 1",
    )
    assert rows[1][0] == "m1" and rows[1][5] == "ja" and rows[1][7] == "Gigabitförderung Bayern"
    assert rows[2][0] == "m2" and rows[2][5].startswith("NEIN")
    out = tmp_path / "uebersicht.csv"
    run_cli("overview", "--measures", path, "--out", str(out))
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert parsed[1][7] == "Gigabitförderung Bayern" and parsed[2][5].startswith("NEIN")
    assert parsed[1][4] == "250000" and parsed[2][4] == "1234,5"
    assert parsed[1][8] == "Zuschuss · Fördersatz 80–90 % · bis 10.000.000 € · Eigenanteil ab 10 %"
    assert "," in parsed[1][9] and float(parsed[1][9].replace(",", ".")) == rows[1][9]
    assert rows[0][8:14] == (
        "Förderart und Konditionen 1",
        "Score 1",
        "Eignung 1",
        "Nächste Frist 1",
        "Stand der Angaben 1",
        "Link 1",
    )
    assert rows[1][12].startswith("20.11.2026")  # the day the test catalogue says a source last saw it
    assert (
        "must end in .xlsx or .csv" in run_cli("overview", "--measures", path, "--out", str(tmp_path / "x.pdf")).stderr
    )


def test_cli_eval_prints_both_rankers(run_cli, tmp_path):
    seed_small(run_cli, tmp_path)
    data = gold(
        measures=[{"id": "g1", "title": "Glasfaser", "land": "BY"}], judgments={"g1": {"manual:gigabit": 2}}, heldout=[]
    )
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(data))
    result = json.loads(run_cli("eval", str(path), "--format", "json").stdout)
    assert result["fundmatch"]["per_measure"]["g1"]["ndcg@10"] == 1.0
    assert set(result) == {"fundmatch", "bm25"}
    table = run_cli("eval", str(path)).stdout
    assert "held out" in table and "dev" in table


def test_the_match_page_loads_its_programs_in_one_query_whatever_it_shows(web_app):  # noqa: F811 (the fixture)
    from sqlalchemy import event

    from tests.test_web import Browser, make_measure

    browser = Browser(web_app, "admin")
    _, _, measure_id = make_measure(browser, title="Glasfaser und LED", description="Glasfaserausbau, LED-Leuchten")
    page = f"/massnahmen/{measure_id}?eignung=alle&top="
    assert browser.get(page + "1").status_code == 200  # builds the index
    selects: list[str] = []

    def count(_connection, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    engine = web_app.extensions["fundmatch.database"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        shown = {}
        for top in (1, 3):
            selects.clear()
            html = browser.get(page + str(top)).get_data(as_text=True)
            shown[top] = (html.count("Gigabitförderung Bayern") > 0) + (html.count("LED-Straßenbeleuchtung") > 0)
            shown[top] += html.count("Glasfaser Sachsen") > 0
            shown[f"selects {top}"] = len(selects)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (shown[1], shown[3]) == (1, 3)
    assert shown["selects 1"] == shown["selects 3"]


def test_while_one_request_builds_the_new_index_the_others_rank_with_the_previous_one(database, settings, monkeypatch):
    """Load probe: catalogue changes under 20 clients queued every request behind each rebuild."""
    from fundmatch import catalogue
    from fundmatch.matching import index

    monkeypatch.setattr(index, "_slots", {})
    with database.session() as session:
        catalogue.apply_records(session, CATALOGUE[:5])
    with database.session() as session:
        previous = index.current_matcher(session, settings)
    with database.session() as session:
        catalogue.apply_records(session, CATALOGUE)
    started, release = threading.Event(), threading.Event()
    real_build = index.load_or_build

    def slow_build(session, settings_, version):
        started.set()
        release.wait(timeout=30)
        return real_build(session, settings_, version)

    monkeypatch.setattr(index, "load_or_build", slow_build)
    built: list = []

    def request() -> None:
        with database.session() as session:
            built.append(index.current_matcher(session, settings))

    builder = threading.Thread(target=request)
    builder.start()
    assert started.wait(timeout=30)
    with database.session() as session:
        assert index.current_matcher(session, settings) is previous  # served at once, no waiting
    release.set()
    builder.join(timeout=30)
    assert len(built[0].keys_) == len(CATALOGUE)
    with database.session() as session:
        assert index.current_matcher(session, settings) is built[0]


def test_a_yearly_round_and_a_status_note_survive_the_index_file(tmp_path):
    from fundmatch.matching import index

    yearly = CATALOGUE[0].model_copy(
        update={
            "source_id": "land/mv/egovernment",
            "deadlines": [Deadline(date=date(2026, 3, 31), kind="cutoff", recurrence="yearly")],
            "rolling": False,
            "status": "open",
        }
    )
    closed = CATALOGUE[1].model_copy(
        update={"source_id": "land/x/zu", "status": "closed", "status_note": "Mittel ausgeschöpft", "deadlines": []}
    )
    fitted = Matcher().fit([yearly, closed, *CATALOGUE[2:]])
    path = tmp_path / "index.npz"
    index.save(fitted, path)
    loaded = index.load(path)
    spec = measure(f"{yearly.title} {closed.title}")
    for matcher in (fitted, loaded):
        by_key = {m.key: m for m in matcher.rank(spec, top=50, include_ineligible=True, today=TODAY)}
        mv = by_key[yearly.key]
        assert mv.eligibility == "check" and any("nächste Runde erwartet" in r for r in mv.reasons), mv.reasons
        assert mv.next_deadline == date(2027, 3, 31)
        assert any("Mittel ausgeschöpft" in r for r in by_key[closed.key].reasons)


def test_shared_terms_are_only_what_stands_in_the_program_text_and_never_weak_words():
    """LEADER Hessen was credited with "OZG-Onlinedienste", a KfW loan with "Bürgerbeteiligung" from
    "kommunaler Beteiligung", an IT program with "Ende" from "Ende-zu-Ende"."""
    catalogue = [
        *CATALOGUE,
        record("leader-he", "LEADER Hessen", "Ländliche Räume; digitale Dienste im Dorf.", regions=["HE"]),
        record("kfw", "KfW Kredit", "Kredite für Investitionen mit kommunaler Beteiligung.", regions=["DE"]),
        record("it", "IT-Sicherheit", "Sichere Kommunikation von Anfang bis Ende.", regions=["DE"]),
    ]
    matcher = Matcher().fit(catalogue)

    def terms(text: str, key: str) -> list[str]:
        found = matcher.rank(measure(text, land="HE"), top=20, include_ineligible=True, today=TODAY)
        return next(m.matched_terms for m in found if m.source_id == key)

    assert terms("OZG-Onlinedienste für Bürgerinnen", "leader-he") == ["Dienste"]
    assert terms("Bürgerbeteiligung online", "kfw") == ["Beteiligung"]
    assert terms("Ende-zu-Ende-Verschlüsselung und Sicherheit", "it") == ["Sicherheit"]


def test_explanations_are_the_same_in_every_process():
    """The surface a shared concept is explained by was taken in set order, which PYTHONHASHSEED changes."""
    script = (
        "import json\n"
        "from datetime import date\n"
        "from tests.test_matching import MATCHER, measure\n"
        "spec = measure('Glasfaser, FTTB und Breitband für Schulen, WLAN und Tablets in der Grundschule')\n"
        "found = MATCHER.rank(spec, top=20, include_ineligible=True, today=date(2026, 11, 26))\n"
        "print(json.dumps([[m.key, m.concepts, m.matched_terms] for m in found], ensure_ascii=False))\n"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(runs) == 1 and "aus „" in runs.pop()


# ---- learned weights: fundmatch tune ---------------------------------------------------------------


def small_gold(tmp_path) -> str:
    measures = [
        {"id": f"m{n}", "title": title, "land": "BY"}
        for n, title in enumerate(
            ["Glasfaser für Schulen", "LED in der Ortsmitte", "Glasfaser im Gewerbegebiet", "LED-Leuchten"]
        )
    ]
    judgments = {
        "m0": {"manual:gigabit": 2, "manual:led": 0},
        "m1": {"manual:led": 2, "manual:gigabit": 0},
        "m2": {"manual:gigabit": 2},
        "m3": {"manual:led": 2},
    }
    gold = {
        "format": "fundmatch-gold",
        "version": 1,
        "as_of": "2026-11-26",
        "heldout": ["m3"],
        "measures": measures,
        "judgments": judgments,
    }
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(gold), encoding="utf-8")
    return str(path)


def test_tune_reports_keeps_and_resets_learned_weights(run_cli, settings, tmp_path, database):
    from fundmatch.matching import index, tuning

    seed_small(run_cli, tmp_path)
    gold = small_gold(tmp_path)
    reported = run_cli("tune", gold)
    assert reported.exit_code == 0 and "Entwicklung: nDCG@10 1.000 → 1.000" in reported.stdout
    assert not tuning.weights_path(settings).exists()  # reported, not kept
    kept = run_cli("tune", gold, "--keep")
    assert kept.exit_code == 0 and "gelernte Gewichte gespeichert" in kept.stdout
    stored = json.loads(tuning.weights_path(settings).read_text())
    stored["weights"]["chars"] = 0.5
    tuning.weights_path(settings).write_text(json.dumps(stored))
    with database.session() as session:
        assert index.current_matcher(session, settings).weights.chars == 0.5  # the matcher ranks with them
    assert run_cli("tune", "--reset").exit_code == 0 and not tuning.weights_path(settings).exists()
    with database.session() as session:
        assert index.current_matcher(session, settings).weights == tuning.Weights()


def test_tune_keeps_no_weights_that_lower_the_held_out_figure(run_cli, settings, tmp_path, monkeypatch):
    from fundmatch.matching import tuning

    seed_small(run_cli, tmp_path)
    monkeypatch.setattr(tuning, "tune", lambda judged, start=None: tuning.Tuned(tuning.Weights(), 0.5, 0.9, 0.8, 0.6))
    refused = run_cli("tune", small_gold(tmp_path), "--keep")
    assert refused.exit_code == 1 and "von 0.800 auf 0.600" in refused.stderr
    assert not tuning.weights_path(settings).exists()


def test_unreadable_learned_weights_are_a_german_error(run_cli, settings, tmp_path):
    from fundmatch.matching import tuning

    seed_small(run_cli, tmp_path)
    tuning.weights_path(settings).parent.mkdir(parents=True, exist_ok=True)
    tuning.weights_path(settings).write_text("{kaputt")
    result = run_cli("match", "Glasfaser", "--land", "BY")
    assert result.exit_code == 1 and "gelernte Gewichte nicht lesbar" in result.stderr
