"""The reader of calls: deadlines (with kinds and yearly rules), rolling applications and status from
German program texts, and ISO dates from source metadata."""

from __future__ import annotations

from datetime import date

import pytest

from fundmatch.scrapers.deadlines import (
    find_deadlines,
    iso_day,
    last_occurrence,
    next_occurrence,
    read_calls,
    text_stand,
)
from fundmatch.scrapers.records import Deadline

TODAY = date(2026, 12, 8)


def deadlines(*texts: str, stand: date | None = None) -> list[tuple[str, str, str | None]]:
    calls = read_calls(list(texts), stand=stand, today=TODAY)
    return [(d.date.isoformat(), d.kind, d.recurrence) for d in calls.deadlines]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anträge können bis zum 30.11.2027 gestellt werden.", [("2027-11-30", "submission", None)]),
        ("Anträge sind bis spätestens 31. März 2027 einzureichen.", [("2027-03-31", "submission", None)]),
        ("Einreichungsfrist: 30.06.2027", [("2027-06-30", "submission", None)]),
        ("Antragsschluss ist der 15.01.2027.", [("2027-01-15", "submission", None)]),
        ("Die Antragsfrist endet am 28.02.2027.", [("2027-02-28", "submission", None)]),
        ("Anträge können bis Ende März 2027 gestellt werden.", [("2027-03-31", "submission", None)]),
        (
            "Für das Jahr 2026 können Anträge bis zum 20.04.2026 und 15.09.2026 gestellt werden.",
            [("2026-04-20", "submission", None), ("2026-09-15", "submission", None)],
        ),
        ("Stichtag: 15. März 2028.", [("2028-03-15", "cutoff", None)]),
        (
            "Stichtage für Anträge sind der 15.03.2027 und der 15.09.2027.",
            [("2027-03-15", "cutoff", None), ("2027-09-15", "cutoff", None)],
        ),
        ("Projektskizzen können bis zum 01.02.2027 eingereicht werden.", [("2027-02-01", "sketch", None)]),
        ("Die Frist zur Einreichung von Projektskizzen endete am 28.11.2024", [("2024-11-28", "sketch", None)]),
        (
            "In der ersten Verfahrensstufe sind dem Projektträger bis spätestens zum 08.01.2025 zunächst "
            "Projektskizzen in elektronischer Form vorzulegen.",
            [("2025-01-08", "sketch", None)],
        ),
        (
            "Stichtage für Projektskizzen sind der 15.03.2027 und der 15.09.2027.",
            [("2027-03-15", "sketch", None), ("2027-09-15", "sketch", None)],
        ),
        (
            "Projektskizzen bis zum 01.02.2027; Anträge bis zum 01.06.2027.",
            [("2027-02-01", "sketch", None), ("2027-06-01", "submission", None)],
        ),
        ("Das Programm läuft bis zum 31.12.2027.", [("2027-12-31", "end", None)]),
        ("Die Richtlinie gilt bis zum 31.12.2027.", [("2027-12-31", "end", None)]),
        ("Programmlaufzeit: 01.01.2023 – 31.12.2027", [("2027-12-31", "end", None)]),
        (
            "Die Richtlinie tritt am 01.01.2025 in Kraft und mit Ablauf des 31.12.2027 außer Kraft.",
            [("2027-12-31", "end", None)],
        ),
        ("Die Richtlinie tritt zum 01.01.2025 in Kraft und gilt bis zum 31.12.2027.", [("2027-12-31", "end", None)]),
        ("Anträge können bis 2027 gestellt werden.", [("2027-12-31", "end", None)]),
        ("Antragszeitraum: 01.02.2027 – 30.04.2027", [("2027-04-30", "submission", None)]),
    ],
)
def test_dated_deadlines_and_their_kinds(text, expected):
    assert deadlines(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anträge sind jährlich zum 31. März einzureichen.", [("2025-03-31", "submission", "yearly")]),
        ("Förderanträge können bis zum 30.09. jeden Jahres gestellt werden.", [("2025-09-30", "submission", "yearly")]),
        (
            "Anträge können bis zum 31. März eines jeden Jahres gestellt werden.",
            [("2025-03-31", "submission", "yearly")],
        ),
        ("Stichtag ist jeweils der 31.03. eines Jahres.", [("2025-03-31", "cutoff", "yearly")]),
        (
            "Anträge sind jeweils bis zum 31. März (für einen Projektbeginn im laufenden Kalenderjahr) oder bis zum "
            "30. September (für einen Projektbeginn im folgenden Kalenderjahr) eines jeden Jahres einzureichen.",
            [("2025-03-31", "submission", "yearly"), ("2025-09-30", "submission", "yearly")],
        ),
        ("Anträge können bis zum 29.02. jeden Jahres gestellt werden.", [("2025-02-28", "submission", "yearly")]),
    ],
)
def test_yearly_dates_become_a_rule_in_the_year_of_the_stand(text, expected):
    assert deadlines(text, stand=date(2025, 5, 1)) == expected


def test_the_texts_own_stand_anchors_yearly_deadlines_before_the_callers():
    texts = ["Richtlinie zur Förderung von X\nvom: 31.07.2024", "Anträge sind jährlich zum 31. März einzureichen."]
    assert deadlines(*texts, stand=date(2020, 1, 1)) == [("2024-03-31", "submission", "yearly")]
    assert deadlines(texts[1]) == [("2026-03-31", "submission", "yearly")]  # neither: the current year


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Stand: Januar 2024"], date(2024, 1, 1)),
        (["Richtlinie vom 12. Februar 2025, BayMBl. 2025 Nr. 88"], date(2025, 2, 12)),
        (["vom: 23.12.2024", "BGBl. Teil I Nr. 451 vom 30.12.2024", "vom: 20.03.2025"], date(2025, 3, 20)),
        (["aktualisiert im Januar 2018"], date(2018, 1, 1)),
        (["Anträge bis zum 30.11.2027"], None),
    ],
)
def test_text_stand(texts, expected):
    assert text_stand(texts) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Das Programm wurde am 30.11.2027 veröffentlicht.",  # no deadline cue
        "Richtlinie zur Förderung der Digitalisierung vom 12.03.2024 (BAnz AT 05.05.2025 B2)",
        "Gigabit-Beratungsrichtlinie vom 14.03.2025, BAnz AT 28.03.2025 B2",
        "Stand: 01.07.2019",
        "Vorhaben müssen bis zum 31.12.2026 abgeschlossen sein.",  # not an application step
        "Der Verwendungsnachweis ist bis zum 30.06.2027 vorzulegen.",
        "Die Projektlaufzeit endet spätestens am 31.12.2027.",
        "Förderfähig sind Ausgaben, die bis zum 31.12.2026 anfallen.",
        "Die Richtlinie tritt am 01.01.2025 in Kraft.",
        "Die Förderung beträgt bis zu 50 Prozent, höchstens 200.000 EUR.",
        "Der Antrag ist spätestens zu den von der FFA festgesetzten Antragsterminen zu stellen.",
        "Anträge bis 31.02.2027",  # no such day
        "Frist: 12. Brumaire 2027",  # no such month
        "bis zum 30.11.",  # no year and no rule
        "Anträge bis zum 30.09.25 stellen",  # two-digit year stays in the text
        "§ 2.3.1 der Richtlinie",
        "",
    ],
)
def test_what_is_not_a_deadline(text):
    assert deadlines(text) == []


def test_deadlines_keep_their_sentence_and_repeats_collapse():
    calls = read_calls(
        ["Projektskizzen können bis zum 01.02.2027 eingereicht werden.", "Projektskizzen bis 01.02.2027!"],
        today=TODAY,
    )
    assert [(d.date, d.kind, d.note) for d in calls.deadlines] == [
        (date(2027, 2, 1), "sketch", "Projektskizzen können bis zum 01.02.2027 eingereicht werden.")
    ]


def test_line_breaks_inside_a_paragraph_do_not_cut_a_sentence():
    text = (
        "Anträge auf Förderung sind jeweils bis zum 31. März (für einen\n"
        "Projektbeginn im laufenden Jahr)\neines jeden Jahres einzureichen."
    )
    assert deadlines(text, stand=date(2024, 7, 31)) == [("2024-03-31", "submission", "yearly")]


@pytest.mark.parametrize(
    ("text", "rolling"),
    [
        ("Anträge können laufend gestellt werden.", True),
        ("Anträge können jederzeit bei der NBank gestellt werden.", True),
        ("Die Antragstellung ist fortlaufend möglich.", True),
        ("Es gibt keine Antragsfrist; Anträge werden in der Reihenfolge ihres Eingangs bearbeitet.", True),
        ("Für einen Projektbeginn im laufenden Kalenderjahr sind Anträge bis zum 31. März einzureichen.", None),
        ("Die Liste wird laufend aktualisiert.", None),  # no application step
        ("Anträge können nicht mehr jederzeit gestellt werden.", None),
        ("Der Zuschuss deckt laufende Kosten.", None),
    ],
)
def test_rolling_applications(text, rolling):
    assert read_calls([text], today=TODAY).rolling is rolling


@pytest.mark.parametrize(
    ("banner", "status"),
    [
        ("Förderprogramm aktiv, Antragsstellung nicht mehr möglich", "closed"),
        ("Programm aktiv, Antragstellung nicht möglich", "closed"),
        ("Antragstellung derzeit nicht möglich", "closed"),
        ("Derzeit keine Antragstellung möglich", "closed"),
        ("Mittel ausgeschöpft", "closed"),
        ("Programm ausgelaufen", "closed"),
        ("Förderaufruf geschlossen", "closed"),
        ("Antragstellung noch nicht möglich", "forthcoming"),
        ("Förderaufruf in Vorbereitung", "forthcoming"),
        ("Programm aktiv", "open"),
    ],
)
def test_the_status_banner_decides_and_is_kept_as_the_note(banner, status):
    calls = read_calls(["Anträge können laufend gestellt werden."], status_text=f"  {banner} ", today=TODAY)
    assert (calls.status, calls.status_note) == (status, banner)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Die Mittel für das laufende Jahr sind ausgeschöpft.", "closed"),
        ("Die Fördermittel 2026 wurden bereits vollständig ausgeschöpft.", "closed"),
        ("Eine Antragstellung ist derzeit nicht möglich.", "closed"),
        ("Das Förderprogramm ist zum 31.12.2025 ausgelaufen.", "closed"),
        ("Der Förderaufruf ist geschlossen.", "closed"),
        ("Neue Anträge können erst nach Veröffentlichung eines weiteren Förderaufrufs gestellt werden.", "closed"),
        ("Es können derzeit keine neuen Anträge gestellt werden.", "closed"),
        ("Der nächste Förderaufruf wird voraussichtlich im Frühjahr 2027 veröffentlicht.", "forthcoming"),
        ("Anträge können ab dem 01.03.2027 gestellt werden.", "forthcoming"),
        ("Anträge können vom 01.02.2027 bis zum 30.04.2027 gestellt werden.", "forthcoming"),
        ("Anträge können seit dem 01.03.2026 gestellt werden.", "open"),
        ("Anträge können ab dem 01.03.2026 gestellt werden.", "open"),  # that day has come
        ("Sind die Mittel ausgeschöpft, werden keine weiteren Anträge bewilligt.", "open"),  # conditional
        ("Nach Ablauf der Frist ist eine Antragstellung nicht mehr möglich.", "open"),
        ("Anträge können gestellt werden, solange Mittel verfügbar sind.", "open"),
        ("Die Ergebnisse werden voraussichtlich im Sommer veröffentlicht.", "open"),
        ("Das Vorgängerprogramm wurde 2023 beendet.", "open"),
    ],
)
def test_status_from_the_body_when_there_is_no_banner(text, status):
    calls = read_calls([text], today=TODAY)
    assert calls.status == status
    assert calls.status_note == (text if status != "open" else None)


def test_a_closed_body_sentence_outweighs_an_announcement():
    texts = ["Der nächste Förderaufruf wird voraussichtlich 2027 veröffentlicht.", "Die Mittel sind ausgeschöpft."]
    calls = read_calls(texts, today=TODAY)
    assert (calls.status, calls.status_note) == ("closed", "Die Mittel sind ausgeschöpft.")


def test_a_banner_without_a_status_leaves_the_body_to_decide_and_may_name_a_date():
    calls = read_calls(["Die Mittel sind ausgeschöpft."], status_text="Programm aktiv", today=TODAY)
    assert calls.status == "closed"
    dated = read_calls([], status_text="Antragstellung bis zum 31.03.2027 möglich", today=TODAY)
    assert (dated.status, [d.date for d in dated.deadlines]) == ("open", [date(2027, 3, 31)])


def test_find_deadlines_is_the_reader_for_one_text():
    assert find_deadlines("Anträge können bis zum 30.11.2027 gestellt werden.") == [
        Deadline(date=date(2027, 11, 30), kind="submission", note="Anträge können bis zum 30.11.2027 gestellt werden.")
    ]
    assert find_deadlines(None) == []


@pytest.mark.parametrize(
    ("deadline", "today", "next_day", "last_day"),
    [
        (Deadline(date=date(2027, 3, 31)), date(2026, 12, 8), date(2027, 3, 31), None),
        (Deadline(date=date(2026, 3, 31)), date(2026, 12, 8), None, date(2026, 3, 31)),
        (
            Deadline(date=date(2024, 9, 30), recurrence="yearly"),
            date(2026, 12, 8),
            date(2027, 9, 30),
            date(2026, 9, 30),
        ),
        (
            Deadline(date=date(2024, 9, 30), recurrence="yearly"),
            date(2026, 9, 30),
            date(2026, 9, 30),
            date(2025, 9, 30),
        ),
        (
            Deadline(date=date(2024, 2, 29), recurrence="yearly"),
            date(2026, 12, 8),
            date(2027, 2, 28),
            date(2026, 2, 28),
        ),
        (Deadline(date=date(2024, 2, 29), recurrence="yearly"), date(2027, 3, 1), date(2028, 2, 29), date(2027, 2, 28)),
    ],
)
def test_next_and_last_occurrence(deadline, today, next_day, last_day):
    assert next_occurrence(deadline, today) == next_day
    assert last_occurrence(deadline, today) == last_day


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-03-31T17:00:00.000+0200", date(2027, 3, 31)),
        ("2027-03-31", date(2027, 3, 31)),
        ("31.03.2027", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_day(value, expected):
    assert iso_day(value) == expected
