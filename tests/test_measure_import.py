"""Importing a measure list from CSV/XLSX: every value format, every row error, every refused file."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from fundmatch import vocab
from fundmatch.errors import InputError
from fundmatch.measure_import import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    MeasureImportError,
    MeasureRow,
    RowError,
    example_csv,
    example_xlsx,
    parse_measure_table,
)


def csv_bytes(*rows: list, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    return "\r\n".join(delimiter.join(str(cell) for cell in row) for row in rows).encode(encoding)


def xlsx_bytes(*rows: list) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def one_value(column: str, value, *, xlsx: bool = False):
    """Parse a one-row table with a title and one more column; returns the table."""
    rows = (["Titel", column], ["Maßnahme A", value])
    if xlsx:
        return parse_measure_table(xlsx_bytes(*rows), "liste.xlsx")
    return parse_measure_table(csv_bytes(*rows), "liste.csv")


def only_row(table) -> MeasureRow:
    assert table.errors == []
    (row,) = table.rows
    return row


def only_error(table) -> RowError:
    assert table.rows == []
    assert not table.ok
    (error,) = table.errors
    return error


# --- example files and round trips --------------------------------------------------------------


def test_example_csv_is_german_excel_csv_and_reads_back():
    text = example_csv()
    assert text.startswith("\ufeff")
    header = text[1:].splitlines()[0]
    assert header.split(";") == [name for name, _, _ in COLUMNS]
    table = parse_measure_table(text.encode("utf-8"), "beispiel.csv")
    assert table.ok and table.warnings == []
    assert [r.row for r in table.rows] == [2, 3, 4]
    second = table.rows[1]
    assert second.external_id == "M-02"
    assert second.handlungsfeld == "bildung"
    assert second.cost_eur == 240_000.5
    assert second.start == date(2027, 8, 1)
    assert second.time_horizon == "mittel"
    assert second.applicant_type == "kommune"
    assert "Medienentwicklungsplan; Wartung" in second.description
    assert {r.handlungsfeld for r in table.rows} == {"verwaltung", "bildung", "mobilitaet"}


def test_example_xlsx_reads_back_to_the_same_rows_as_the_csv():
    data = example_xlsx()
    from_xlsx = parse_measure_table(data, "beispiel.xlsx")
    from_csv = parse_measure_table(example_csv().encode("utf-8"), "beispiel.csv")
    assert from_xlsx.ok and from_xlsx.warnings == []
    assert len(from_xlsx.rows) == 3
    assert from_xlsx.rows == from_csv.rows


def test_example_xlsx_has_bold_header_widths_and_column_guide():
    workbook = openpyxl.load_workbook(io.BytesIO(example_xlsx()))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == [name for name, _, _ in COLUMNS]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.column_dimensions["C"].width == 80  # Beschreibung
    assert isinstance(sheet["E2"].value, int | float)  # Kosten as a number, not text
    assert isinstance(sheet["F2"].value, datetime)  # Beginn as an Excel date
    guide = workbook["Spalten"]
    assert [row[0] for row in guide.iter_rows(min_row=2, values_only=True)] == [n for n, _, _ in COLUMNS]


def test_columns_document_titel_as_the_only_required_column():
    assert [name for name, required, _ in COLUMNS if required] == ["Titel"]
    assert all(description for _, _, description in COLUMNS)


# --- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("250000", 250_000.0),
        ("250.000", 250_000.0),
        ("250.000,50", 250_000.5),
        ("250.000 €", 250_000.0),
        ("250.000,50 EUR", 250_000.5),
        ("1.200.000", 1_200_000.0),
        ("1234.5", 1234.5),
        ("1234,5", 1234.5),
        ("1,234,567", 1_234_567.0),
        ("250.000,-", 250_000.0),
        ("0", 0.0),
    ],
)
def test_cost_formats(raw, expected):
    assert only_row(one_value("Kosten", raw)).cost_eur == expected


@pytest.mark.parametrize(("cell", "expected"), [(250000, 250_000.0), (1234.5, 1234.5)])
def test_cost_from_numeric_xlsx_cells(cell, expected):
    assert only_row(one_value("Kosten", cell, xlsx=True)).cost_eur == expected


def test_bad_amount_names_row_column_and_value():
    table = parse_measure_table(
        csv_bytes(["Titel", "Kosten"], ["A", "100"], ["B", "200"], ["C", "zwölf"]),
        "liste.csv",
    )
    assert [r.title for r in table.rows] == ["A", "B"]
    (error,) = table.errors
    assert (error.row, error.column) == (4, "Kosten")
    assert str(error) == 'Zeile 4, Spalte "Kosten": "zwölf" ist kein Betrag'
    assert not table.ok


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-5000", "ist negativ"),
        ("250,000", "ist mehrdeutig"),
        ("1.2.3", "ist kein Betrag"),
    ],
)
def test_amounts_refused(raw, message):
    error = only_error(one_value("Kosten", raw))
    assert error.column == "Kosten"
    assert message in error.message


def test_negative_numeric_xlsx_cell_is_refused():
    assert "ist negativ" in only_error(one_value("Kosten", -1, xlsx=True)).message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("01.04.2027", date(2027, 4, 1)), ("2027-04-01", date(2027, 4, 1)), ("04/2027", date(2027, 4, 1))],
)
def test_start_formats(raw, expected):
    assert only_row(one_value("Beginn", raw)).start == expected


@pytest.mark.parametrize("cell", [datetime(2027, 4, 1), date(2027, 4, 1)])
def test_start_from_excel_date_cells(cell):
    assert only_row(one_value("Beginn", cell, xlsx=True)).start == date(2027, 4, 1)


@pytest.mark.parametrize(
    ("raw", "message"),
    [("31.02.2027", '"31.02.2027" ist kein gültiges Datum'), ("nächstes Jahr", '"nächstes Jahr" ist kein Datum')],
)
def test_bad_dates(raw, message):
    error = only_error(one_value("Beginn", raw))
    assert error.message.startswith(f'Zeile 2, Spalte "Beginn": {message}')


@pytest.mark.parametrize("raw", ["Verwaltung & Bürgerservice", "VERWALTUNG & BUERGERSERVICE", "E-Government"])
def test_handlungsfeld_via_vocabulary(raw):
    assert only_row(one_value("Handlungsfeld", raw)).handlungsfeld == vocab.HANDLUNGSFELD.lookup(raw) == "verwaltung"


def test_unknown_handlungsfeld_lists_valid_labels():
    error = only_error(one_value("Handlungsfeld", "Raumfahrt"))
    assert error.message.startswith('Zeile 2, Spalte "Handlungsfeld": "Raumfahrt" ist unbekannt; gültig sind: ')
    assert all(label in error.message for label in vocab.HANDLUNGSFELD.labels.values())


def test_time_horizon_and_applicant_via_vocabularies():
    table = parse_measure_table(
        csv_bytes(["Titel", "Zeithorizont", "Förderberechtigte"], ["A", "Mittelfristig", "Verein"]), "l.csv"
    )
    row = only_row(table)
    assert (row.time_horizon, row.applicant_type) == ("mittel", "verband_vereinigung")


def test_applicant_defaults_to_kommune_and_unknown_applicant_is_an_error():
    table = parse_measure_table(csv_bytes(["Titel", "Antragsteller"], ["A", ""], ["B", "Raumfahrtagentur"]), "l.csv")
    assert [(r.title, r.applicant_type) for r in table.rows] == [("A", "kommune")]
    (error,) = table.errors
    assert error.row == 3 and "Öffentliche Einrichtung" in error.message


def test_unknown_time_horizon_is_an_error():
    assert "kurzfristig, mittelfristig, langfristig" in only_error(one_value("Zeithorizont", "bald")).message


def test_header_aliases_case_and_umlauts():
    table = parse_measure_table(
        csv_bytes(
            ["MASSNAHME", "kosten (eur)", "Geplanter Beginn", "nr", "Strategisches Ziel", "description"],
            ["A", "1.000", "05/2027", "7", "Klimaneutral 2040", "Text"],
        ),
        "l.csv",
    )
    row = only_row(table)
    assert (row.title, row.cost_eur, row.start, row.external_id, row.goal, row.description) == (
        "A",
        1000.0,
        date(2027, 5, 1),
        "7",
        "Klimaneutral 2040",
        "Text",
    )
    assert table.warnings == []


def test_text_fields_strip_control_characters_and_keep_line_breaks_in_description():
    data = b'Titel;Beschreibung\r\n"Smart\x07 City\x7f";"Zeile eins\r\nZeile zwei\x1b"\r\n'
    row = only_row(parse_measure_table(data, "l.csv"))
    assert row.title == "Smart City"
    assert row.description == "Zeile eins\r\nZeile zwei"


def test_too_long_text_is_a_row_error():
    error = only_error(one_value("Beschreibung", "x" * 20_001))
    assert (
        error.message == 'Zeile 2, Spalte "Beschreibung": Text ist 20.001 Zeichen lang, erlaubt sind höchstens 20.000'
    )
    assert only_row(one_value("Beschreibung", "x" * 20_000)).description == "x" * 20_000


def test_title_is_capped_like_the_interchange_format():
    assert "höchstens 300" in only_error(parse_measure_table(csv_bytes(["Titel"], ["x" * 301]), "l.csv")).message


def test_integral_xlsx_id_reads_as_whole_number():
    assert only_row(one_value("ID", 12, xlsx=True)).external_id == "12"


def test_duplicate_id_is_a_row_error():
    table = parse_measure_table(csv_bytes(["ID", "Titel"], ["M-1", "A"], ["M-1", "B"]), "l.csv")
    assert [r.title for r in table.rows] == ["A"]
    assert str(table.errors[0]) == 'Zeile 3, Spalte "ID": "M-1" steht schon in Zeile 2'


def test_all_errors_of_a_row_are_reported():
    table = parse_measure_table(csv_bytes(["Titel", "Kosten", "Beginn"], ["A", "viel", "bald"]), "l.csv")
    assert [(e.row, e.column) for e in table.errors] == [(2, "Kosten"), (2, "Beginn")]


# --- rows and columns -----------------------------------------------------------------------------


def test_empty_title_is_a_row_error_and_other_rows_stay():
    table = parse_measure_table(csv_bytes(["Titel", "Kosten"], ["A", "1"], ["  ", "2"], ["C", "3"]), "l.csv")
    assert [r.title for r in table.rows] == ["A", "C"]
    (error,) = table.errors
    assert (error.row, error.column) == (3, "Titel")
    assert str(error).startswith('Zeile 3, Spalte "Titel": Titel fehlt')


def test_missing_title_column_names_columns_found():
    with pytest.raises(MeasureImportError) as caught:
        parse_measure_table(csv_bytes(["Name", "Kosten"], ["A", "1"]), "liste.csv")
    message = str(caught.value)
    assert message.startswith('Die Datei "liste.csv" hat keine Spalte "Titel"')
    assert 'gefunden: "Name", "Kosten"' in message


def test_duplicate_column_is_refused():
    with pytest.raises(MeasureImportError, match='Spalte "Titel" doppelt: "Titel" und "Maßnahme"'):
        parse_measure_table(csv_bytes(["Titel", "Maßnahme"], ["A", "B"]), "l.csv")


def test_unknown_column_is_a_warning_and_table_stays_ok():
    table = parse_measure_table(csv_bytes(["Titel", "Verantwortlich"], ["A", "Amt 10"]), "l.csv")
    assert table.ok
    assert only_row(table).title == "A"
    (warning,) = table.warnings
    assert (warning.row, warning.column) == (1, "Verantwortlich")
    assert str(warning).startswith(
        'Zeile 1, Spalte "Verantwortlich": unbekannte Spalte "Verantwortlich" wird ignoriert'
    )


def test_values_without_header_are_a_warning():
    table = parse_measure_table(xlsx_bytes(["Titel"], ["A", None, "Notiz"]), "l.xlsx")
    assert table.ok and len(table.rows) == 1
    assert [(w.row, w.column, w.message) for w in table.warnings] == [
        (2, None, "Zeile 2: Spalte C hat keine Überschrift; ihre Werte werden ignoriert")
    ]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiters_are_sniffed(delimiter):
    title = f"Glasfaser{delimiter} Phase 1"  # the delimiter inside a quoted cell does not split it
    data = csv_bytes(["Titel", "Kosten", "Beginn"], [f'"{title}"', "250000", "2027-04-01"], delimiter=delimiter)
    table = parse_measure_table(data, "l.csv")
    assert table.warnings == []
    row = only_row(table)
    # Titles are one line: a tab in a title becomes a space.
    assert (row.title, row.cost_eur, row.start) == (" ".join(title.split()), 250_000.0, date(2027, 4, 1))


def test_null_byte_means_binary_not_text():
    with pytest.raises(MeasureImportError, match="Null-Bytes"):
        parse_measure_table(b"Titel\r\nSmart City\x00\r\n", "l.csv")


def test_excel_sep_line_names_the_delimiter():
    row = only_row(parse_measure_table(b"sep=,\r\nTitel,Kosten\r\nA,12\r\n", "l.csv"))
    assert (row.title, row.cost_eur, row.row) == ("A", 12.0, 2)


def test_empty_rows_are_skipped_but_counted():
    csv_table = parse_measure_table(b"Titel;Kosten\r\nA;1\r\n\r\n;\r\nB;x\r\n", "l.csv")
    assert [r.row for r in csv_table.rows] == [2]
    assert csv_table.errors[0].row == 5
    xlsx_table = parse_measure_table(xlsx_bytes(["Titel"], ["A"], [None], [], ["B"]), "l.xlsx")
    assert [(r.title, r.row) for r in xlsx_table.rows] == [("A", 2), ("B", 5)]


def test_row_limit():
    header = ["Titel"]
    assert len(parse_measure_table(csv_bytes(header, *[[f"M{i}"] for i in range(MAX_ROWS)]), "l.csv").rows) == MAX_ROWS
    with pytest.raises(MeasureImportError, match=r'"l\.csv" enthält mehr als 1\.000 Maßnahmen \(Zeile 1002\)'):
        parse_measure_table(csv_bytes(header, *[[f"M{i}"] for i in range(MAX_ROWS + 1)]), "l.csv")


def test_header_only_file_is_refused():
    with pytest.raises(MeasureImportError, match="nur die Kopfzeile"):
        parse_measure_table(b"Titel;Kosten\r\n", "l.csv")


def test_measure_row_and_row_error_are_frozen():
    row = only_row(one_value("Kosten", "1"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.title = "B"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        RowError(1, None, "x").row = 2  # type: ignore[misc]


# --- refused files --------------------------------------------------------------------------------


def test_too_big_file():
    data = b"Titel\r\n" + b"x" * MAX_BYTES
    with pytest.raises(MeasureImportError, match=r'"gross\.csv" ist 2,0 MB groß; erlaubt sind höchstens 2,0 MB'):
        parse_measure_table(data, "gross.csv")


def test_pdf_renamed_xlsx():
    with pytest.raises(MeasureImportError, match=r'"plan\.xlsx" ist keine Excel-Datei \(XLSX\), sondern ein PDF'):
        parse_measure_table(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "plan.xlsx")


def test_zip_without_workbook_is_not_xlsx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(MeasureImportError, match="ist keine Excel-Datei"):
        parse_measure_table(out.getvalue(), "plan.xlsx")


def test_csv_renamed_xlsx():
    with pytest.raises(MeasureImportError, match="sondern eine Textdatei"):
        parse_measure_table(csv_bytes(["Titel"], ["A"]), "plan.xlsx")


def test_xlsx_renamed_csv():
    with pytest.raises(MeasureImportError, match=r"ist eine Excel-Datei \(XLSX\), heißt aber \.csv"):
        parse_measure_table(example_xlsx(), "plan.csv")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(range(256)) * 4, "enthält Binärdaten"),
        (bytes(range(1, 256)) * 4, "ist weder UTF-8 noch Windows-1252"),
        (b"Titel\r\n" + bytes(range(1, 32)) * 20, "Steuerzeichen"),
    ],
)
def test_binary_garbage_as_csv(data, message):
    with pytest.raises(MeasureImportError, match=message) as caught:
        parse_measure_table(data, "muell.csv")
    assert '"muell.csv"' in str(caught.value)


def test_cp1252_csv_with_umlauts():
    data = csv_bytes(
        ["Maßnahme", "Handlungsfeld", "Kosten"],
        ["„Bürgerbüro“ Größenwahn", "Mobilität", "250.000 €"],
        encoding="cp1252",
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    row = only_row(parse_measure_table(data, "alt.csv"))
    assert (row.title, row.handlungsfeld, row.cost_eur) == ("„Bürgerbüro“ Größenwahn", "mobilitaet", 250_000.0)


def test_utf8_bom_is_not_part_of_the_first_header():
    table = parse_measure_table(b"\xef\xbb\xbfTitel;Kosten\r\nA;1\r\n", "l.csv")
    assert table.warnings == [] and only_row(table).title == "A"


@pytest.mark.parametrize("filename", ["liste.xls", "liste.txt", "liste", "liste.csv.pdf"])
def test_other_suffixes_are_refused(filename):
    with pytest.raises(MeasureImportError, match=f'"{filename}" hat weder die Endung .csv noch .xlsx'):
        parse_measure_table(b"Titel\r\nA\r\n", filename)


def test_suffix_is_case_insensitive():
    assert only_row(parse_measure_table(b"Titel\r\nA\r\n", "LISTE.CSV")).title == "A"


def test_unterminated_quote_is_refused():
    with pytest.raises(MeasureImportError, match="schließendes Anführungszeichen"):
        parse_measure_table(b'Titel;Kosten\r\n"A;1\r\nB;2\r\n', "l.csv")


def test_empty_file_is_refused():
    with pytest.raises(MeasureImportError, match='"l.csv" ist leer'):
        parse_measure_table(b"  \r\n", "l.csv")


def test_import_error_is_an_expected_input_error():
    assert issubclass(MeasureImportError, InputError) and not issubclass(MeasureImportError, ValueError)
