"""The instrument of a program (Zuschuss, Darlehen, Bürgschaft …) and its terms, written once.

Cards, catalogue rows, the Förderübersicht and drafts say the same thing the same way: what kind of
help, at which rate, up to which amount, with which own share. A loan's "rate" is not a share of
the costs that is given away, so loans, guarantees and equity never get grant arithmetic (no own
share, no "Zuwendung = Kosten × Satz").
"""

from __future__ import annotations

from collections.abc import Sequence

from fundmatch import vocab
from fundmatch.german import format_amount, format_number

GRANT_TYPES = frozenset({"zuschuss", "preis"})
"""Instruments that give money away: the only ones with a funding rate and an own share (Eigenanteil)."""


def is_grant(funding_types: Sequence[str]) -> bool:
    """True when the program gives grants; a program without a stated type is treated as one."""
    return not funding_types or bool(GRANT_TYPES & set(funding_types))


def rate_text(rate_min: float | None, rate_max: float | None) -> str | None:
    """ "50–90 %", "bis 80 %", "ab 40 %", or None."""
    if rate_max is not None and rate_min is not None and rate_min != rate_max:
        return f"{format_number(rate_min)}–{format_number(rate_max)} %"
    if rate_max is not None:
        return f"bis {format_number(rate_max)} %" if rate_min is None else f"{format_number(rate_max)} %"
    if rate_min is not None:
        return f"ab {format_number(rate_min)} %"
    return None


def summary(
    funding_types: Sequence[str],
    rate_min: float | None = None,
    rate_max: float | None = None,
    amount_max: float | None = None,
) -> str:
    """One line for a card or row: "Zuschuss · 50–90 % · bis 2.000.000 € · Eigenanteil ab 10 %"."""
    kinds = (
        " / ".join(vocab.FUNDING_TYPE.labels.get(code, code) for code in funding_types) or "Förderart nicht angegeben"
    )
    parts = [kinds]
    if is_grant(funding_types):
        rate = rate_text(rate_min, rate_max)
        if rate:
            parts.append(f"Fördersatz {rate}")
    if amount_max is not None:
        parts.append(f"bis {format_amount(amount_max, cents=False)}")
    if is_grant(funding_types) and rate_max is not None and rate_max < 100:
        parts.append(f"Eigenanteil ab {format_number(100 - rate_max)} %")
    return " · ".join(parts)
