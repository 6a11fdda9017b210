"""Eligibility of a program for a measure: ``eligible``, ``check`` or ``ineligible``, with German reasons.

Four independent checks (region, applicant type, timing, optional funding type); the verdict is the
worst of them. Missing data never excludes: it asks for a check.

Applicant mapping (documented for consultants): a Kommune reaches programs for Kommunen, and programs
for Öffentliche Einrichtungen as a check (it applies through its schools, Eigenbetriebe or other own
bodies); programs for associations or research institutions only as a check (as a partner or through
a Träger); it does not reach programs only for companies, founders or private persons, even though a
Stadtwerk may apply there in its own name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from fundmatch import vocab
from fundmatch.german import format_date
from fundmatch.scrapers.deadlines import expected_round, last_occurrence, last_round_before, next_deadline, program_end
from fundmatch.scrapers.records import Deadline

ELIGIBLE, CHECK, INELIGIBLE = "eligible", "check", "ineligible"
RANK = {ELIGIBLE: 0, CHECK: 1, INELIGIBLE: 2}
VERDICTS = (ELIGIBLE, CHECK, INELIGIBLE)

# measure's applicant type → {program applicant type: (verdict, reason)}
APPLICANT_REACH: dict[str, dict[str, tuple[str, str]]] = {
    "kommune": {
        "kommune": (ELIGIBLE, "Förderberechtigte: Kommune"),
        "oeffentliche_einrichtung": (
            CHECK,
            "Förderberechtigte: Öffentliche Einrichtung – Antrag über eigene Einrichtung der Kommune "
            "(z. B. Schulträger, Eigenbetrieb) prüfen",
        ),
    },
    "oeffentliche_einrichtung": {
        "oeffentliche_einrichtung": (ELIGIBLE, "Förderberechtigte: Öffentliche Einrichtung"),
        "kommune": (CHECK, "Förderberechtigte: Kommune – Antrag durch den kommunalen Träger prüfen"),
        "bildungseinrichtung": (CHECK, "Förderberechtigte: Bildungseinrichtung – prüfen, ob die Einrichtung passt"),
    },
    "bildungseinrichtung": {
        "bildungseinrichtung": (ELIGIBLE, "Förderberechtigte: Bildungseinrichtung"),
        "oeffentliche_einrichtung": (CHECK, "Förderberechtigte: Öffentliche Einrichtung – Trägerschaft prüfen"),
    },
    "hochschule": {
        "hochschule": (ELIGIBLE, "Förderberechtigte: Hochschule"),
        "forschungseinrichtung": (CHECK, "Förderberechtigte: Forschungseinrichtung – prüfen"),
    },
    "forschungseinrichtung": {
        "forschungseinrichtung": (ELIGIBLE, "Förderberechtigte: Forschungseinrichtung"),
        "hochschule": (CHECK, "Förderberechtigte: Hochschule – prüfen"),
    },
}


# Programs only for these never reach a public applicant; others (associations, research) may as partner.
PRIVATE_ONLY = frozenset({"unternehmen", "existenzgruenderin", "privatperson"})
PUBLIC_APPLICANTS = frozenset({"kommune", "oeffentliche_einrichtung"})


@dataclass(frozen=True)
class Check:
    verdict: str
    reason: str


def worst(verdicts: Iterable[str]) -> str:
    return max(verdicts, key=RANK.__getitem__, default=ELIGIBLE)


def region_check(regions: Sequence[str], land: str) -> Check:
    if not regions:
        return Check(CHECK, "Fördergebiet nicht angegeben – prüfen")
    if land in regions:
        return Check(ELIGIBLE, f"Fördergebiet: {vocab.REGION.label(land)}")
    if vocab.NATIONWIDE in regions:
        return Check(ELIGIBLE, "Fördergebiet: bundesweit")
    if vocab.EU_WIDE in regions:
        return Check(ELIGIBLE, "Fördergebiet: EU-weit")
    names = ", ".join(vocab.REGION.label(r) for r in regions)
    return Check(INELIGIBLE, f"Fördergebiet: nur {names}")


def applicant_check(applicant_types: Sequence[str], applicant: str) -> Check:
    if not applicant_types:
        return Check(CHECK, "Förderberechtigte nicht angegeben – prüfen")
    reach = APPLICANT_REACH.get(
        applicant, {applicant: (ELIGIBLE, f"Förderberechtigte: {vocab.APPLICANT_TYPE.label(applicant)}")}
    )
    found = [reach[t] for t in applicant_types if t in reach]
    if found:
        verdict, reason = min(found, key=lambda item: RANK[item[0]])
        return Check(verdict, reason)
    names = ", ".join(vocab.APPLICANT_TYPE.label(t) for t in applicant_types)
    if applicant in PUBLIC_APPLICANTS and not set(applicant_types) <= PRIVATE_ONLY:
        return Check(CHECK, f"Förderberechtigte: {names} – Beteiligung als Partner oder über einen Träger prüfen")
    return Check(INELIGIBLE, f"Förderberechtigte: nur {names}")


def timing_check(
    status: str, deadlines: Sequence[Deadline], rolling: bool | None, today: date, note: str | None = None
) -> Check:
    """Whether the program takes applications now. ``note`` is the source's status text: a closed
    program gives it as the reason. A yearly deadline whose day has passed means the next round is
    expected (check), never that the program is over; an ``end`` deadline is the program's end, not
    a submission deadline."""
    if status == "closed":
        return Check(
            INELIGIBLE, f"Programm geschlossen – laut Quelle: „{_short(note)}“" if note else "Programm geschlossen"
        )
    if status == "withdrawn":
        return Check(INELIGIBLE, "Programm nicht mehr an der Quelle gelistet")
    calls = [d.date for d in deadlines if d.kind != "end"]
    end = program_end(deadlines)
    upcoming = min((day for day in calls if day >= today), default=None)
    expected = expected_round(deadlines, today)
    if upcoming is None and expected is None:
        if end is not None and end < today:
            return Check(INELIGIBLE, f"Programmlaufzeit beendet ({format_date(end)})")
        if calls and not rolling:
            last = format_date(max(last_occurrence(d, today) or d.date for d in deadlines if d.kind != "end"))
            if end is not None:
                running = f"Programm läuft bis {format_date(end)}"
                return Check(CHECK, f"alle Fristen abgelaufen (zuletzt {last}); {running} – neuen Aufruf prüfen")
            return Check(INELIGIBLE, f"alle Fristen abgelaufen (zuletzt {last})")
    if status == "forthcoming":
        nearest = upcoming or (expected[0] if expected else None)
        when = f", nächste Frist {format_date(nearest)}" if nearest else ""
        return Check(ELIGIBLE, f"Aufruf angekündigt{when}")
    if upcoming is not None:
        return Check(ELIGIBLE, f"nächste Frist: {format_date(upcoming)}")
    if rolling:
        until = f" (bis {format_date(end)})" if end is not None else ""
        return Check(ELIGIBLE, f"Antragstellung laufend möglich{until}")
    if expected is not None:
        return Check(
            CHECK,
            f"nächste Runde erwartet: jährliche Frist, voraussichtlich {format_date(expected[0])} "
            f"(zuletzt: {format_date(expected[1])})",
        )
    if end is not None:
        return Check(ELIGIBLE, f"Programm läuft bis {format_date(end)}")
    if status == "unknown":
        return Check(CHECK, "Status unbekannt – prüfen, ob das Programm läuft")
    return Check(CHECK, "keine Frist angegeben – Antragsfenster prüfen")


def _short(note: str, limit: int = 200) -> str:
    text = " ".join(note.split())
    return text if len(text) <= limit else text[: limit - 2].rstrip() + " …"


NO_DAY = 0


@dataclass(frozen=True)
class TimingTable:
    """What :func:`timing_check` needs of every program, as arrays, so that the verdicts of a whole
    catalogue for any day are a few array operations (the reasons come from ``timing_check`` for the
    programs shown)."""

    ended: np.ndarray  # closed or withdrawn
    forthcoming: np.ndarray
    last_deadline: np.ndarray  # ordinal of the last non-end deadline's date; 0 without one
    rolling: np.ndarray
    last_end: np.ndarray  # ordinal of the program's end; 0 without one
    recurs_until: np.ndarray  # last day a yearly round can fall on; 0 without yearly deadlines

    @classmethod
    def of(cls, programs: Sequence[tuple[str, Sequence[Deadline], bool | None]]) -> TimingTable:
        """From (status, deadlines, rolling) of every program."""
        ends = [program_end(deadlines) for _, deadlines, _ in programs]
        return cls(
            ended=np.array([status in ("closed", "withdrawn") for status, _, _ in programs], dtype=bool),
            forthcoming=np.array([status == "forthcoming" for status, _, _ in programs], dtype=bool),
            last_deadline=np.array(
                [
                    max((d.date.toordinal() for d in deadlines if d.kind != "end"), default=NO_DAY)
                    for _, deadlines, _ in programs
                ],
                dtype=np.int32,
            ),
            rolling=np.array([bool(rolling) for _, _, rolling in programs], dtype=bool),
            last_end=np.array([end.toordinal() if end else NO_DAY for end in ends], dtype=np.int32),
            recurs_until=np.array(
                [
                    max(
                        (
                            last_round_before(d, end).toordinal()
                            for d in deadlines
                            if d.recurrence == "yearly" and d.kind != "end"
                        ),
                        default=NO_DAY,
                    )
                    for (_, deadlines, _), end in zip(programs, ends, strict=True)
                ],
                dtype=np.int32,
            ),
        )

    def ranks(self, today: date) -> np.ndarray:
        """``RANK`` of every program's timing verdict on ``today``, as ``timing_check`` decides it."""
        day = today.toordinal()
        last_end, recurs_until = self.last_end, self.recurs_until
        dated = self.last_deadline > NO_DAY
        upcoming = self.last_deadline >= day
        expected = ~upcoming & (recurs_until >= day)
        has_end = last_end > NO_DAY
        nothing_ahead = ~upcoming & ~expected
        conditions = [
            self.ended,
            nothing_ahead & has_end & (last_end < day),
            nothing_ahead & dated & ~self.rolling & has_end,
            nothing_ahead & dated & ~self.rolling,
            self.forthcoming | upcoming | self.rolling,
            expected,
        ]
        choices = [RANK[INELIGIBLE], RANK[INELIGIBLE], RANK[CHECK], RANK[INELIGIBLE], RANK[ELIGIBLE], RANK[CHECK]]
        # what is left: a program running until its end is eligible, anything else asks for a check
        default = np.where(has_end, RANK[ELIGIBLE], RANK[CHECK])
        return np.select(conditions, choices, default=default).astype(np.int8)


def funding_type_check(funding_types: Sequence[str], wanted: str | None) -> Check | None:
    if wanted is None:
        return None
    if not funding_types:
        return Check(CHECK, "Förderart nicht angegeben")
    if wanted in funding_types:
        return Check(ELIGIBLE, f"Förderart: {vocab.FUNDING_TYPE.label(wanted)}")
    names = ", ".join(vocab.FUNDING_TYPE.label(t) for t in funding_types)
    return Check(CHECK, f"Förderart: {names} statt {vocab.FUNDING_TYPE.label(wanted)}")


@dataclass(frozen=True)
class Assessment:
    verdict: str
    reasons: tuple[str, ...]
    next_deadline: date | None


def assess(
    *,
    regions: Sequence[str],
    applicant_types: Sequence[str],
    status: str,
    deadlines: Sequence[Deadline],
    rolling: bool | None,
    funding_types: Sequence[str],
    land: str,
    applicant: str,
    funding_type: str | None,
    today: date,
    status_note: str | None = None,
) -> Assessment:
    """All checks for one program and one measure; reasons in the order region, applicant, timing, type."""
    checks = [
        region_check(regions, land),
        applicant_check(applicant_types, applicant),
        timing_check(status, deadlines, rolling, today, status_note),
    ]
    typed = funding_type_check(funding_types, funding_type)
    if typed is not None:
        checks.append(typed)
    return Assessment(
        verdict=worst(c.verdict for c in checks),
        reasons=tuple(c.reason for c in checks),
        next_deadline=next_deadline(deadlines, today),
    )
