"""German values: the web form and the measure import read every spelling alike; the formatters write them."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from fundmatch import german, municipalities
from fundmatch.errors import InputError
from fundmatch.forms import FormErrors
from fundmatch.measure_import import parse_measure_table

AMBIGUOUS = "ist mehrdeutig (Tausenderpunkt oder Dezimalkomma?); bitte z. B. 250000 oder 250.000 schreiben"
NO_DATE = f"ist kein Datum ({german.DATE_EXAMPLES})"
TWO_DIGITS = "hat eine zweistellige Jahreszahl; bitte vierstellig schreiben (z. B. 2027 statt 27)"

# (field, spelling, value or the refusal's German detail text). "old form" marks spellings where the
# web form and the import disagreed before both used fundmatch.german.
SPELLINGS: list[tuple[str, str, float | date | str]] = [
    ("cost", "250000", 250_000.0),
    ("cost", "250.000", 250_000.0),
    ("cost", "250.000,50", 250_000.5),
    ("cost", "250.000,-", 250_000.0),
    ("cost", "250.000,– €", 250_000.0),
    ("cost", "1.234,50 €", 1234.5),
    ("cost", "EUR 5000", 5000.0),  # old form: refused
    ("cost", "5.000 EUR", 5000.0),
    ("cost", "€ 5.000", 5000.0),
    ("cost", "5000 Euro", 5000.0),
    ("cost", "1,5 Mio.", 1_500_000.0),  # old form and import: refused
    ("cost", "1,5 Mio. €", 1_500_000.0),
    ("cost", "2 Mio", 2_000_000.0),
    ("cost", "250 Tsd.", 250_000.0),
    ("cost", "250 T€", 250_000.0),
    ("cost", "250 TEUR", 250_000.0),
    ("cost", "1,2 Mrd.", 1_200_000_000.0),
    ("cost", "250\u00a0000\u00a0€", 250_000.0),  # non-breaking spaces, as Word and Excel write them
    ("cost", "250\u202f000", 250_000.0),  # narrow no-break space
    ("cost", "1,234,567", 1_234_567.0),
    ("cost", "1,234.50", 1234.5),
    ("cost", "1234,5", 1234.5),
    ("cost", "1234.5", 1234.5),
    ("cost", "250,000", f'"250,000" {AMBIGUOUS}'),  # old form: 250.0
    ("cost", "1,500 €", f'"1,500 €" {AMBIGUOUS}'),
    ("cost", "−5.000 €", '"−5.000 €" ist negativ; Beträge müssen 0 oder mehr sein'),
    ("cost", "2.000.000.000.000 €", '"2.000.000.000.000 €" ist unplausibel hoch (mehr als 1.000.000.000.000 €)'),
    ("cost", "1e5", '"1e5" ist kein Betrag'),  # old form: 100000
    ("cost", "nan", '"nan" ist kein Betrag'),  # old form: stored NaN
    ("cost", "1_000", '"1_000" ist kein Betrag'),  # old form: 1000
    ("cost", "ca. 250.000 €", '"ca. 250.000 €" ist kein Betrag'),
    ("cost", "100.000–200.000 €", '"100.000–200.000 €" ist kein Betrag'),
    ("cost", "250 T", '"250 T" ist kein Betrag'),  # "T" only with a currency: 250 T€, 250 TEUR
    ("start", "01.04.2027", date(2027, 4, 1)),
    ("start", "1.4.2027", date(2027, 4, 1)),
    ("start", "2027-04-01", date(2027, 4, 1)),
    ("start", "04/2027", date(2027, 4, 1)),  # old form: refused
    ("start", "04.2027", date(2027, 4, 1)),
    ("start", "April 2027", date(2027, 4, 1)),
    ("start", "1. April 2027", date(2027, 4, 1)),
    ("start", "01. Apr. 2027", date(2027, 4, 1)),
    ("start", "März 2027", date(2027, 3, 1)),
    ("start", "Maerz 2027", date(2027, 3, 1)),
    ("start", "Q2 2027", date(2027, 4, 1)),
    ("start", "2. Quartal 2027", date(2027, 4, 1)),
    ("start", "2. Halbjahr 2027", date(2027, 7, 1)),
    ("start", "2027", date(2027, 1, 1)),
    ("start", "29.02.2028", date(2028, 2, 29)),
    ("start", "20270401", f'"20270401" {NO_DATE}'),  # old form: 1 April 2027 (date.fromisoformat)
    ("start", "01.04.27", f'"01.04.27" {TWO_DIGITS}'),
    ("start", "04/27", f'"04/27" {TWO_DIGITS}'),
    ("start", "04/01/2027", f'"04/01/2027" {NO_DATE}'),
    ("start", "31.02.2027", '"31.02.2027" ist kein gültiges Datum (der Februar 2027 hat 28 Tage)'),
    ("start", "01.13.2027", '"01.13.2027" ist kein gültiges Datum (einen Monat 13 gibt es nicht)'),
    ("start", "00.04.2027", '"00.04.2027" ist kein gültiges Datum (einen Tag 0 gibt es nicht)'),
    ("start", "01.04.2207", '"01.04.2207" liegt nicht zwischen den Jahren 1990 und 2100'),
    ("start", "Anfang 2027", f'"Anfang 2027" {NO_DATE}'),
]
# field → (form field, Measure attribute, import column, MeasureRow attribute)
FIELDS = {
    "cost": ("cost_eur", "cost_eur", "Kosten", "cost_eur"),
    "start": ("planned_start", "planned_start", "Beginn", "start"),
}


@pytest.fixture
def strategy(session):
    municipality = municipalities.save_municipality(session, {"name": "Markt Musterhausen", "land": "BY"})
    return municipalities.save_strategy(session, municipality, {"title": "Digitalstrategie 2030"})


def through_form(session, strategy, name: str, attribute: str, raw: object) -> object:
    """The stored value, or the form's message for the field (and no other field)."""
    try:
        measure = municipalities.save_measure(session, strategy, {"title": "Maßnahme A", name: raw})
    except FormErrors as exc:
        (message,) = exc.errors.values()
        assert list(exc.errors) == [name]
        return message
    return getattr(measure, attribute)


def through_import(data: bytes, filename: str, column: str, attribute: str) -> object:
    """The imported value, or the row error's detail without 'Zeile 2, Spalte "…": '."""
    table = parse_measure_table(data, filename)
    if table.errors:
        (error,) = table.errors
        prefix = f'Zeile 2, Spalte "{column}": '
        assert error.message.startswith(prefix)
        return error.message.removeprefix(prefix)
    (row,) = table.rows
    return getattr(row, attribute)


def csv_file(column: str, raw: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([["Titel", column], ["Maßnahme A", raw]])
    return out.getvalue().encode()


def xlsx_file(column: str, cell: object) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Titel", column])
    workbook.active.append(["Maßnahme A", cell])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_table_has_at_least_30_spellings_valid_and_refused():
    assert len(SPELLINGS) >= 30
    assert len({raw for _, raw, _ in SPELLINGS}) == len(SPELLINGS)
    refused = [expected for _, _, expected in SPELLINGS if isinstance(expected, str)]
    assert 10 <= len(refused) < len(SPELLINGS) - 10


@pytest.mark.parametrize(("kind", "raw", "expected"), SPELLINGS, ids=[f"{k}:{raw}" for k, raw, _ in SPELLINGS])
def test_form_and_import_read_a_spelling_alike(session, strategy, kind, raw, expected):
    name, attribute, column, row_attribute = FIELDS[kind]
    assert through_form(session, strategy, name, attribute, raw) == expected
    assert through_import(csv_file(column, raw), "liste.csv", column, row_attribute) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (250000, 250_000.0),
        (1234.5, 1234.5),
        (-1, '"-1" ist negativ; Beträge müssen 0 oder mehr sein'),
        (2e12, '"2000000000000" ist unplausibel hoch (mehr als 1.000.000.000.000 €)'),
    ],
)
def test_json_numbers_and_excel_number_cells_read_alike(session, strategy, number, expected):
    assert through_form(session, strategy, "cost_eur", "cost_eur", number) == expected
    assert through_import(xlsx_file("Kosten", number), "liste.xlsx", "Kosten", "cost_eur") == expected


def test_a_json_nan_is_refused_not_stored(session, strategy):
    assert through_form(session, strategy, "cost_eur", "cost_eur", float("nan")) == '"nan" ist kein Betrag'


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8200", 8200),
        ("8.200", 8200),
        ("52 000", 52000),
        ("8,5", '"8,5" ist keine ganze Zahl'),
        ("8,200", f'"8,200" {AMBIGUOUS}'),
        ("viele", '"viele" ist keine Zahl'),
        ("-3", '"-3" ist negativ; erlaubt sind 0 oder mehr'),
        ("3.000.000.000", '"3.000.000.000" ist unplausibel hoch (mehr als 1.000.000.000)'),
    ],
)
def test_population_in_the_form_uses_the_same_number_rules(session, raw, expected):
    try:
        municipality = municipalities.save_municipality(
            session, {"name": "Musterstadt", "land": "BY", "population": raw}
        )
    except FormErrors as exc:
        assert exc.errors == {"population": expected}
    else:
        assert municipality.population == expected


# --- percentages (no form field or import column holds one yet) ----------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("80 %", 80.0),
        ("80%", 80.0),
        ("80,5 %", 80.5),
        ("80 Prozent", 80.0),
        ("80 v. H.", 80.0),
        ("80", 80.0),
        (80, 80.0),
        ("0,8 %", 0.8),
        ("100 %", 100.0),
        ("0", 0.0),
        ("0,8", '"0,8" ist mehrdeutig (80 % oder 0,8 %?); bitte mit Prozentzeichen schreiben'),
        (0.8, '"0.8" ist mehrdeutig (80 % oder 0,8 %?); bitte mit Prozentzeichen schreiben'),
        ("1", '"1" ist mehrdeutig (100 % oder 1 %?); bitte mit Prozentzeichen schreiben'),
        ("120 %", '"120 %" liegt nicht zwischen 0 und 100 %'),
        ("-5 %", '"-5 %" liegt nicht zwischen 0 und 100 %'),
        ("12,500 %", f'"12,500 %" {AMBIGUOUS}'),
        ("achtzig", '"achtzig" ist kein Prozentsatz'),
    ],
)
def test_percentages(raw, expected):
    try:
        assert german.parse_percent(raw) == expected
    except german.GermanValueError as exc:
        assert str(exc) == expected


# --- readers: types and the error family ---------------------------------------------------------


def test_spreadsheet_date_cells_are_taken_as_they_are():
    assert german.parse_date(datetime(2027, 4, 1, 15, 30)) == date(2027, 4, 1)
    assert german.parse_date(date(2027, 4, 1)) == date(2027, 4, 1)
    assert german.parse_date(2027) == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("parse", "value"),
    [
        (german.parse_amount, True),
        (german.parse_amount, None),
        (german.parse_amount, float("inf")),
        (german.parse_integer, [1]),
        (german.parse_percent, None),
        (german.parse_date, 2027.5),
    ],
)
def test_other_types_are_refused_as_input_errors(parse, value):
    with pytest.raises(german.GermanValueError) as caught:
        parse(value)
    assert isinstance(caught.value, InputError) and not isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(german.quoted(value))


def test_long_values_are_cut_in_messages():
    with pytest.raises(german.GermanValueError, match='^"x{60}…" ist kein Betrag$'):
        german.parse_amount("x" * 500)


# --- writers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "options", "text"),
    [
        (1234567.89, {}, "1.234.567,89 €"),
        (0, {}, "0,00 €"),
        (999.995, {}, "1.000,00 €"),  # half up on the decimal value, not the binary float
        (-12.5, {}, "-12,50 €"),
        (-0.001, {}, "0,00 €"),
        (100, {}, "100,00 €"),
        (Decimal("0.005"), {}, "0,01 €"),
        (1234.5, {"cents": False}, "1.235 €"),
        (240000.5, {"unit": False}, "240.000,50"),
        (85000, {"cents": False, "unit": False}, "85.000"),
    ],
)
def test_format_amount(amount, options, text):
    assert german.format_amount(amount, **options) == text


@pytest.mark.parametrize(
    ("value", "options", "text"),
    [
        (250000.0, {}, "250000"),
        (0.417, {}, "0,417"),
        (1e-9, {}, "0"),
        (-1e-9, {}, "0"),
        (1e20, {}, "100000000000000000000"),
        (1234.5, {"grouping": True}, "1.234,5"),
        (52000, {"grouping": True}, "52.000"),
        (2.0, {"decimals": 1}, "2,0"),
    ],
)
def test_format_number(value, options, text):
    assert german.format_number(value, **options) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_format_number_refuses_what_is_no_number(value):
    with pytest.raises(ValueError, match="cannot write"):
        german.format_number(value)


@pytest.mark.parametrize(
    ("rate", "text"), [(80, "80 %"), (80.5, "80,5 %"), (Decimal("80.50"), "80,5 %"), (Decimal("1E+2"), "100 %")]
)
def test_format_percent(rate, text):
    assert german.format_percent(rate) == text


@pytest.mark.parametrize(
    ("day", "text"), [(date(2027, 4, 1), "01.04.2027"), (datetime(2027, 12, 31, 23, 59), "31.12.2027")]
)
def test_format_date(day, text):
    assert german.format_date(day) == text


@pytest.mark.parametrize("amount", [0, 0.01, 1234.5, 250_000, 1_200_000.99, german.MAX_AMOUNT_EUR])
def test_written_amounts_read_back(amount):
    assert german.parse_amount(german.format_amount(amount)) == amount
    assert german.parse_amount(german.format_amount(amount, unit=False)) == amount


@pytest.mark.parametrize("day", [date(2027, 4, 1), date(2028, 2, 29), date(german.MIN_YEAR, 1, 1)])
def test_written_dates_read_back(day):
    assert german.parse_date(german.format_date(day)) == day


@pytest.mark.parametrize("rate", [0, 0.5, 1, 80, 80.5, 100])
def test_written_percentages_read_back(rate):
    assert german.parse_percent(german.format_percent(rate)) == rate
