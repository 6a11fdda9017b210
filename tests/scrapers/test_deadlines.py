"""Deadlines read from German program texts and ISO dates from source metadata."""

from __future__ import annotations

from datetime import date

import pytest

from fundmatch.scrapers.deadlines import find_deadlines, iso_day


def test_numeric_and_named_month_dates_after_a_deadline_word():
    text = "Anträge können bis zum 30.11.2027 gestellt werden. Stichtag: 15. März 2028."
    assert [(d.date, d.kind) for d in find_deadlines(text)] == [
        (date(2027, 11, 30), "submission"),
        (date(2028, 3, 15), "submission"),
    ]


def test_sketch_cue_gives_a_sketch_deadline_and_repeats_collapse():
    text = "Projektskizzen können bis zum 01.02.2027 eingereicht werden. Projektskizzen bis 01.02.2027!"
    assert [(d.date, d.kind) for d in find_deadlines(text)] == [(date(2027, 2, 1), "sketch")]


@pytest.mark.parametrize(
    "text",
    [
        "Das Programm wurde am 30.11.2027 veröffentlicht.",  # no deadline word
        "Anträge bis 31.02.2027",  # no such day
        "Frist: 12. Brumaire 2027",  # no such month
        "bis zum 30.11.",  # no year
        None,
    ],
)
def test_vague_or_impossible_dates_are_left_in_the_text(text):
    assert find_deadlines(text) == []


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
