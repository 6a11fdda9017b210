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


def next_deadline(deadlines: Sequence[Deadline], today: date) -> date | None:
    upcoming = [d.date for d in deadlines if d.date >= today]
    return min(upcoming) if upcoming else None


def timing_check(status: str, deadlines: Sequence[Deadline], rolling: bool | None, today: date) -> Check:
    if status == "closed":
        return Check(INELIGIBLE, "Programm geschlossen")
    if status == "withdrawn":
        return Check(INELIGIBLE, "Programm nicht mehr an der Quelle gelistet")
    upcoming = next_deadline(deadlines, today)
    if deadlines and upcoming is None and not rolling:
        last = max(d.date for d in deadlines)
        return Check(INELIGIBLE, f"alle Fristen abgelaufen (zuletzt {format_date(last)})")
    if status == "forthcoming":
        when = f", nächste Frist {format_date(upcoming)}" if upcoming else ""
        return Check(ELIGIBLE, f"Aufruf angekündigt{when}")
    if upcoming is not None:
        return Check(ELIGIBLE, f"nächste Frist: {format_date(upcoming)}")
    if rolling:
        return Check(ELIGIBLE, "Antragstellung laufend möglich")
    if status == "unknown":
        return Check(CHECK, "Status unbekannt – prüfen, ob das Programm läuft")
    return Check(CHECK, "keine Frist angegeben – Antragsfenster prüfen")


@dataclass(frozen=True)
class TimingTable:
    """What :func:`timing_check` needs of every program, as arrays, so that the verdicts of a whole
    catalogue for any day are a few array operations (the reasons come from ``timing_check`` for the
    programs shown)."""

    ended: np.ndarray  # closed or withdrawn
    forthcoming: np.ndarray
    last_deadline: np.ndarray  # ordinal of the last deadline's date; 0 for a program without deadlines
    rolling: np.ndarray

    @classmethod
    def of(cls, programs: Sequence[tuple[str, Sequence[Deadline], bool | None]]) -> TimingTable:
        """From (status, deadlines, rolling) of every program."""
        return cls(
            ended=np.array([status in ("closed", "withdrawn") for status, _, _ in programs], dtype=bool),
            forthcoming=np.array([status == "forthcoming" for status, _, _ in programs], dtype=bool),
            last_deadline=np.array(
                [max((d.date.toordinal() for d in deadlines), default=0) for _, deadlines, _ in programs],
                dtype=np.int32,
            ),
            rolling=np.array([bool(rolling) for _, _, rolling in programs], dtype=bool),
        )

    def ranks(self, today: date) -> np.ndarray:
        """``RANK`` of every program's timing verdict on ``today``, as ``timing_check`` decides it."""
        dated = self.last_deadline > 0
        upcoming = self.last_deadline >= today.toordinal()
        ineligible = self.ended | (dated & ~upcoming & ~self.rolling)
        eligible = self.forthcoming | upcoming | self.rolling
        return np.where(ineligible, RANK[INELIGIBLE], np.where(eligible, RANK[ELIGIBLE], RANK[CHECK])).astype(np.int8)


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
) -> Assessment:
    """All checks for one program and one measure; reasons in the order region, applicant, timing, type."""
    checks = [
        region_check(regions, land),
        applicant_check(applicant_types, applicant),
        timing_check(status, deadlines, rolling, today),
    ]
    typed = funding_type_check(funding_types, funding_type)
    if typed is not None:
        checks.append(typed)
    return Assessment(
        verdict=worst(c.verdict for c in checks),
        reasons=tuple(c.reason for c in checks),
        next_deadline=next_deadline(deadlines, today),
    )
