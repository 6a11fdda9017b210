"""German values at the edge: amounts, percentages and dates, read and written in one place.

Consultants type values the way German documents write them ("250.000,- €", "1,5 Mio.", "Q2 2027").
The web forms, the measure import, the drafts and the exports read them with the ``parse_*`` functions
and write them with the ``format_*`` functions here, so a spelling one place accepts is accepted
everywhere, and one that is refused is refused everywhere with the same words.

A refusal is a :class:`GermanValueError` whose message is the detail and quotes the value
(``"250,000" ist mehrdeutig …``); the caller puts in front where it happened (``Zeile 4, Spalte
"Kosten": `` in the import, the field in a form).

Decisions on spellings that could mean two things:

* One comma before exactly three digits (``250,000``, ``1,500``) is refused: English thousands or a
  German decimal. ``1.500`` is German for 1500, ``1,5`` and ``1234,5`` have a decimal comma,
  ``1.5`` and ``1234.5`` a decimal point (a dot before anything but three digits cannot group), and
  ``1,234,567`` and ``1,234.50`` are English grouping.
* A percentage without a unit is read in percent (``80`` is 80 %), except a bare number above 0 and
  at most 1 (``0,8``, ``1``, or an Excel cell formatted as 80 %, which arrives as 0.8): it is refused,
  neither multiplied by 100 nor taken as 0,8 %, because both readings are common.
* Two-digit years (``01.04.27``, ``04/27``) are refused: the century would be a guess.
* A date that names only a month, quarter, half-year or year means its first day (``04/2027``,
  ``Q2 2027``, ``2. Halbjahr 2027``, ``2027``), as measure plans use them.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

from fundmatch.errors import InputError

MAX_AMOUNT_EUR = 1e12
"""No measure or program comes near a trillion euros: a larger figure is a typing error."""
MAX_INTEGER = 1_000_000_000
"""Counts (population) above this are typing errors; it also fits every database's integer column."""
MAX_PERCENT = 100
MIN_YEAR = 1990
MAX_YEAR = 2100
"""Years outside MIN_YEAR..MAX_YEAR in a measure plan are typing errors ("2207" for "2027")."""

AMOUNT_EXAMPLES = "z. B. 250000, 250.000, 250.000,50 € oder 1,5 Mio. €"
DATE_EXAMPLES = "z. B. 01.04.2027, 2027-04-01, 04/2027, April 2027 oder Q2 2027"

_MONTH_NAMES = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


class GermanValueError(InputError):
    """A value that is no valid German amount, number, percentage or date; the message is the detail."""


def quoted(value: object) -> str:
    """A value as a message shows it: in quotes, on one line, cut after 60 characters."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return f'"{text[:60]}…"' if len(text) > 60 else f'"{text}"'


# --- numbers ------------------------------------------------------------------------------------

_PLAIN = re.compile(r"\d+")
_COMMA_BEFORE_THREE = re.compile(r"[1-9]\d{0,2},\d{3}")
_GROUPED_DE = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")
_DECIMAL_DE = re.compile(r"\d+,\d+")
_GROUPED_EN = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL_EN = re.compile(r"\d+\.\d+")
_DIGITS = r"(?P<digits>\d(?:[\d.,]*\d)?)"
_NUMBER = re.compile(r"(?P<sign>[-+])?" + _DIGITS)
_AMOUNT = re.compile(
    r"(?P<sign>[-+])?(?P<before>€|euro|eur)?(?P<sign2>[-+])?" + _DIGITS + r"(?:,-+)?"
    r"(?P<scale>tsd\.?|tausend|t(?=€|eur)|mio\.?|millionen|million|mrd\.?|milliarden|milliarde)?"
    r"(?P<after>€|euro|eur)?"
)
_SCALES = {
    **dict.fromkeys(("t", "tsd", "tausend"), 10**3),
    **dict.fromkeys(("mio", "million", "millionen"), 10**6),
    **dict.fromkeys(("mrd", "milliarde", "milliarden"), 10**9),
}
_PERCENT = re.compile(r"(?P<sign>[-+])?" + _DIGITS + r"(?P<unit>%|prozent|v\.?h\.?)?")


def _compact(text: str) -> str:
    """Lower case without any spaces (also non-breaking and thin ones), every dash a minus."""
    return re.sub(r"\s+", "", text).lower().replace("−", "-").replace("–", "-")


def _decimal(digits: str, value: object, refusal: str) -> Decimal:
    """Digits with dots and commas as a number, by the rules in the module's docstring."""
    if _PLAIN.fullmatch(digits):
        return Decimal(digits)
    if _COMMA_BEFORE_THREE.fullmatch(digits):
        raise GermanValueError(
            f"{quoted(value)} ist mehrdeutig (Tausenderpunkt oder Dezimalkomma?); bitte z. B. 250000 oder "
            "250.000 schreiben"
        )
    if _GROUPED_DE.fullmatch(digits):
        return Decimal(digits.replace(".", "").replace(",", "."))
    if _DECIMAL_DE.fullmatch(digits):
        return Decimal(digits.replace(",", "."))
    if _GROUPED_EN.fullmatch(digits):
        return Decimal(digits.replace(",", ""))
    if _DECIMAL_EN.fullmatch(digits):
        return Decimal(digits)
    raise GermanValueError(f"{quoted(value)} {refusal}")


def _number(value: object, refusal: str) -> Decimal:
    """A number given as a number (spreadsheet cell, JSON) or as a string without unit."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise GermanValueError(f"{quoted(value)} {refusal}")
    if not isinstance(value, str):
        number = Decimal(str(value))
        if not number.is_finite():
            raise GermanValueError(f"{quoted(value)} {refusal}")
        return number
    match = _NUMBER.fullmatch(_compact(value))
    if not match:
        raise GermanValueError(f"{quoted(value)} {refusal}")
    number = _decimal(match["digits"], value, refusal)
    return -number if match["sign"] == "-" else number


def parse_amount(value: int | float | Decimal | str) -> float:
    """An amount in euros, in the spellings of German cost plans ("250.000,- €", "EUR 5000", "1,5 Mio.").

    Refuses negative, non-finite and implausibly high amounts (above :data:`MAX_AMOUNT_EUR`).
    """
    refusal = "ist kein Betrag"
    if not isinstance(value, str):
        amount = _number(value, refusal)
    else:
        match = _AMOUNT.fullmatch(_compact(value))
        if not match or (match["before"] and match["after"]):
            raise GermanValueError(f"{quoted(value)} {refusal}")
        scale = _SCALES[match["scale"].rstrip(".")] if match["scale"] else 1
        amount = _decimal(match["digits"], value, refusal) * scale
        if "-" in (match["sign"], match["sign2"]):
            amount = -amount
    if amount < 0:
        raise GermanValueError(f"{quoted(value)} ist negativ; Beträge müssen 0 oder mehr sein")
    if amount > Decimal(MAX_AMOUNT_EUR):
        raise GermanValueError(
            f"{quoted(value)} ist unplausibel hoch (mehr als {format_amount(MAX_AMOUNT_EUR, cents=False)})"
        )
    return float(amount)


def parse_integer(value: int | float | Decimal | str) -> int:
    """A whole number of at least 0, such as a population ("8.200", "52000"); no units, no decimals."""
    number = _number(value, "ist keine Zahl")
    if number < 0:
        raise GermanValueError(f"{quoted(value)} ist negativ; erlaubt sind 0 oder mehr")
    if number != number.to_integral_value():
        raise GermanValueError(f"{quoted(value)} ist keine ganze Zahl")
    if number > MAX_INTEGER:
        raise GermanValueError(
            f"{quoted(value)} ist unplausibel hoch (mehr als {format_number(MAX_INTEGER, grouping=True)})"
        )
    return int(number)


def parse_percent(value: int | float | Decimal | str) -> float:
    """A percentage from 0 to 100 ("80 %", "80,5%", "80 Prozent", "80 v. H."; a bare "80" is 80 %).

    A bare number above 0 and at most 1 is refused as ambiguous (see the module's docstring).
    """
    refusal = "ist kein Prozentsatz"
    if isinstance(value, str):
        match = _PERCENT.fullmatch(_compact(value))
        if not match:
            raise GermanValueError(f"{quoted(value)} {refusal}")
        number = _decimal(match["digits"], value, refusal)
        number = -number if match["sign"] == "-" else number
        bare = not match["unit"]
    else:
        number, bare = _number(value, refusal), True
    if not 0 <= number <= MAX_PERCENT:
        raise GermanValueError(f"{quoted(value)} liegt nicht zwischen 0 und {MAX_PERCENT} %")
    if bare and 0 < number <= 1:
        raise GermanValueError(
            f"{quoted(value)} ist mehrdeutig ({format_percent(number * 100)} oder {format_percent(number)}?); "
            "bitte mit Prozentzeichen schreiben"
        )
    return float(number)


# --- dates --------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januar", "jan", "jänner", "jaenner"),
            ("februar", "feb", "febr"),
            ("märz", "maerz", "mär", "mrz"),
            ("april", "apr"),
            ("mai",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt"),
            ("november", "nov"),
            ("dezember", "dez"),
        ),
        start=1,
    )
    for name in names
}
_YEAR = r"(?P<year>\d{4})"
_YEAR_OR_SHORT = r"(?P<year>\d{4}|\d{2})"
# Tried in this order; "2. Quartal 2027" must meet the quarter before the month names.
_DATES = [
    re.compile(_YEAR + r"-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[ t]00:00(?::00)?)?"),
    re.compile(_YEAR + r"-(?P<month>\d{1,2})"),
    re.compile(r"(?P<day>\d{1,2})\. ?(?P<month>\d{1,2})\. ?" + _YEAR_OR_SHORT),
    re.compile(r"(?P<month>\d{1,2}) ?[/.] ?" + _YEAR_OR_SHORT),
    re.compile(r"q(?P<quarter>[1-4]) ?[/-]? ?" + _YEAR),
    re.compile(_YEAR + r" ?[/-]? ?q(?P<quarter>[1-4])"),
    re.compile(r"(?P<quarter>[1-4])\. ?quartal " + _YEAR),
    re.compile(r"h(?P<half>[12]) ?[/-]? ?" + _YEAR),
    re.compile(r"(?P<half>[12])\. ?(?:halbjahr|hj\.?) " + _YEAR),
    re.compile(r"(?:(?P<day>\d{1,2})\.? ?)?(?P<name>[a-zäöü]+)\.? ?" + _YEAR),
    re.compile(_YEAR),
]


def parse_date(value: date | float | str) -> date:
    """A day in the spellings of German measure plans; see the module's docstring for coarse ones.

    Spreadsheet date cells (``datetime`` or ``date``) are taken as they are, a whole number as a year.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer()):
        text = str(int(value))
    elif isinstance(value, str):
        text = " ".join(value.split()).lower()
    else:
        raise GermanValueError(f"{quoted(value)} ist kein Datum ({DATE_EXAMPLES})")
    match = next((m for pattern in _DATES if (m := pattern.fullmatch(text))), None)
    parts = match.groupdict() if match else {}
    if match is None or (parts.get("name") and parts["name"] not in _MONTHS):
        raise GermanValueError(f"{quoted(value)} ist kein Datum ({DATE_EXAMPLES})")
    if len(parts["year"]) == 2:
        raise GermanValueError(
            f"{quoted(value)} hat eine zweistellige Jahreszahl; bitte vierstellig schreiben "
            f"(z. B. 20{parts['year']} statt {parts['year']})"
        )
    year = int(parts["year"])
    if parts.get("name"):
        month = _MONTHS[parts["name"]]
    elif parts.get("quarter"):
        month = 3 * int(parts["quarter"]) - 2
    elif parts.get("half"):
        month = 6 * int(parts["half"]) - 5
    else:
        month = int(parts.get("month") or 1)
    day = int(parts.get("day") or 1)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise GermanValueError(f"{quoted(value)} liegt nicht zwischen den Jahren {MIN_YEAR} und {MAX_YEAR}")
    if not 1 <= month <= 12:
        raise GermanValueError(f"{quoted(value)} ist kein gültiges Datum (einen Monat {month} gibt es nicht)")
    days = calendar.monthrange(year, month)[1]
    if day < 1:
        raise GermanValueError(f"{quoted(value)} ist kein gültiges Datum (einen Tag 0 gibt es nicht)")
    if day > days:
        raise GermanValueError(
            f"{quoted(value)} ist kein gültiges Datum (der {_MONTH_NAMES[month - 1]} {year} hat {days} Tage)"
        )
    return date(year, month, day)


# --- writing ------------------------------------------------------------------------------------


def format_number(value: int | float | Decimal, *, decimals: int | None = None, grouping: bool = False) -> str:
    """A number with a decimal comma, and with ``grouping`` a dot between thousands ("1.234,5").

    With ``decimals`` exactly that many places, rounded half up as in German commercial rounding;
    without, up to six places and no trailing zeros, as a CSV cell German Excel reads as a number.
    """
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"cannot write {value!r} as a German number")
    places = 6 if decimals is None else decimals
    context = Context(prec=max(28, number.adjusted() + places + 2))
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=context)
    whole, _, fraction = f"{abs(number):f}".partition(".")
    if decimals is None:
        fraction = fraction.rstrip("0")
    if grouping:
        whole = f"{int(whole):,}".replace(",", ".")
    return ("-" if number < 0 else "") + whole + (f",{fraction}" if fraction else "")


def format_amount(value: int | float | Decimal, *, cents: bool = True, unit: bool = True) -> str:
    """An amount as drafts and pages show it: "1.234,50 €" (``cents=False``: "1.235 €")."""
    text = format_number(value, decimals=2 if cents else 0, grouping=True)
    return f"{text} €" if unit else text


def format_percent(value: int | float | Decimal) -> str:
    """A percentage: "80 %", "80,5 %"."""
    return f"{format_number(value)} %"


def format_date(value: date) -> str:
    """A day as German documents write it: "01.04.2027"."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
