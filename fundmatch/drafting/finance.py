"""The Kosten- und Finanzierungsplan: exact sums in cents, explicit assumptions.

Requested grant = min(rate × eligible costs, maximum); own share = total − grant − third-party funds;
a financially weak municipality gets the program's higher rate where the program defines one. The
split over budget years is even, with the rounding remainder in the last year, so every column adds
up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from fundmatch.german import format_amount, format_percent

CENT = Decimal("0.01")
HORIZON_YEARS = {"kurz": 1, "mittel": 2, "lang": 3}


@dataclass(frozen=True)
class CostItem:
    category: str
    description: str
    total: Decimal
    eligible: Decimal


@dataclass(frozen=True)
class YearSplit:
    year: int
    total: Decimal
    grant: Decimal | None
    own_share: Decimal | None


@dataclass
class FinancingPlan:
    items: list[CostItem]
    total: Decimal
    eligible: Decimal
    rate: Decimal | None
    grant: Decimal | None
    third_party: Decimal
    own_share: Decimal | None
    years: list[YearSplit]
    notes: list[str] = field(default_factory=list)
    grant_program: bool = True
    """False for a loan or guarantee: rate, Zuwendung and own share do not apply (rather than unknown)."""


def split_even(amount: Decimal, parts: int) -> list[Decimal]:
    """``amount`` in ``parts`` cent-exact shares; the remainder goes to the last share."""
    share = (amount / parts).quantize(CENT, rounding=ROUND_HALF_UP) if parts else amount
    shares = [share] * (parts - 1)
    return [*shares, amount - sum(shares, Decimal(0))]


def plan(
    *,
    cost_eur: float | None,
    rate_min: float | None,
    rate_max: float | None,
    rate_financially_weak: float | None,
    amount_max_eur: float | None,
    financially_weak: bool,
    start: date | None,
    time_horizon: str | None,
    third_party_eur: float = 0.0,
    grant_program: bool = True,
) -> FinancingPlan:
    """The plan for a measure's total cost; unknown parts stay unknown (None) with a note saying so.

    A program that gives no grants (a loan, a guarantee) gets no grant arithmetic: no rate, no
    "Zuwendung", no own share computed from them, and a note that says what is applied for instead."""
    notes: list[str] = []
    total = Decimal(str(cost_eur or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
    if not cost_eur:
        notes.append("Gesamtausgaben der Maßnahme sind noch nicht beziffert.")
    items = [
        CostItem(
            "Gesamtausgaben",
            "laut Maßnahmenplan, Aufteilung auf Personal-, Dienstleistungs-, Investitions- "
            "und sonstige Ausgaben bitte ergänzen",
            total,
            total,
        )
    ]
    eligible = total
    notes.append("Annahme: alle Ausgaben sind zuwendungsfähig; nicht förderfähige Ausgaben bitte abziehen.")
    rate_value = rate_max if rate_max is not None else rate_min
    if not grant_program:
        rate_value = None
        limit = f" bis {format_amount(amount_max_eur)}" if amount_max_eur is not None else ""
        notes.append(
            f"Das Programm gibt keinen Zuschuss, sondern ein Darlehen oder eine Bürgschaft{limit}: "
            "beantragt wird die Finanzierung der Ausgaben; Zins, Laufzeit und tilgungsfreie Jahre beim "
            "Förderinstitut erfragen. Zuwendung und Eigenanteil entfallen."
        )
    elif financially_weak and rate_financially_weak is not None:
        rate_value = rate_financially_weak
        notes.append(f"Erhöhter Fördersatz für finanzschwache Kommunen ({format_percent(rate_value)}) angesetzt.")
    elif rate_min is not None and rate_max is not None and rate_min != rate_max:
        notes.append(
            f"Das Programm nennt {format_percent(rate_min)} bis {format_percent(rate_max)}; "
            "angesetzt ist der Höchstsatz – den zutreffenden Satz bitte prüfen."
        )
    third_party = Decimal(str(third_party_eur)).quantize(CENT)
    rate = grant = own_share = None
    if rate_value is not None:
        rate = Decimal(str(rate_value))
        grant = (eligible * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount_max_eur is not None and grant > Decimal(str(amount_max_eur)):
            grant = Decimal(str(amount_max_eur)).quantize(CENT)
            notes.append(f"Zuwendung auf den Höchstbetrag von {format_amount(grant)} begrenzt.")
        own_share = total - grant - third_party
    elif grant_program:
        notes.append("Das Programm nennt keinen Fördersatz: Zuwendung und Eigenanteil bitte ergänzen.")
    years_count = HORIZON_YEARS.get(time_horizon or "", 1)
    first_year = (start or date.today()).year
    totals = split_even(total, years_count)
    grants: list[Decimal | None] = [*split_even(grant, years_count)] if grant is not None else [None] * years_count
    third_parties = split_even(third_party, years_count)
    years = [
        YearSplit(
            first_year + i,
            year_total,
            year_grant,
            (year_total - year_grant - year_third) if year_grant is not None else None,
        )
        for i, (year_total, year_grant, year_third) in enumerate(zip(totals, grants, third_parties, strict=True))
    ]
    if years_count > 1:
        notes.append(
            "Annahme: Ausgaben verteilen sich gleichmäßig auf die Haushaltsjahre; bitte an den Zeitplan anpassen."
        )
    return FinancingPlan(items, total, eligible, rate, grant, third_party, own_share, years, notes, grant_program)
