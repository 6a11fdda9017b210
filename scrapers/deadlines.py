"""Deadlines stated in German program texts ("Anträge können bis zum 30.11.2027 gestellt werden").

Only dates with a year and a deadline word before them are taken; anything vaguer stays in the
text for the consultant to read.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from fundmatch.scrapers.records import Deadline

_MONTHS = {
    "januar": 1,
    "jänner": 1,
    "februar": 2,
    "märz": 3,
    "maerz": 3,
    "april": 4,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "dezember": 12,
}
_DATE = r"(?P<d>\d{1,2})\.\s?(?:(?P<m>\d{1,2})\.\s?|(?P<mname>[A-Za-zäÄ]+)\s)(?P<y>20\d\d)"
_CUE = re.compile(
    r"(?P<cue>bis (?:zum |spätestens |einschließlich )*|Stichtag(?:e|s)?:?\s*(?:ist |der )?|"
    r"Einreichungsfrist:?\s*(?:endet am |ist der |bis )?|Antragsfrist:?\s*(?:endet am |ist der |bis )?|"
    r"Frist(?:ende)?:?\s*|Projektskizzen? (?:können |sind )?bis (?:zum )?)" + _DATE,
    re.I,
)


def iso_day(value: str | None) -> date | None:
    """The day of an ISO date or timestamp ("2027-03-31T17:00:00+0200"); None when absent or garbled."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def next_occurrence(deadline: Deadline, today: date) -> date | None:
    """The deadline's next day on or after ``today``; for a yearly one the same day of a coming year
    (29 February falls on the 28th in other years). None when it has passed for good."""
    if deadline.date >= today:
        return deadline.date
    if deadline.recurrence != "yearly":
        return None
    for year in (today.year, today.year + 1):
        day = deadline.date.replace(year=year, day=min(deadline.date.day, 28 if deadline.date.month == 2 else 31))
        if deadline.date.month == 2 and deadline.date.day == 29 and calendar.isleap(year):
            day = day.replace(day=29)
        if day >= today:
            return day
    raise AssertionError("a yearly day recurs within two years")


def find_deadlines(text: str | None) -> list[Deadline]:
    """Dated deadlines found in a text; a sketch deadline when the cue speaks of Projektskizzen."""
    found: list[Deadline] = []
    for match in _CUE.finditer(text or ""):
        month = int(match["m"]) if match["m"] else _MONTHS.get((match["mname"] or "").lower())
        if not month:
            continue
        try:
            day = date(int(match["y"]), month, int(match["d"]))
        except ValueError:
            continue
        kind = "sketch" if "skizze" in match["cue"].lower() else "submission"
        deadline = Deadline(date=day, kind=kind, note="im Programmtext genannt")
        if deadline not in found:
            found.append(deadline)
    return found
