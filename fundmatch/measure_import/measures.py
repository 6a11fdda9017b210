"""Building measures from rows of cells: one :class:`MeasureRow` per valid row, every problem as a row error.

Values are read by :mod:`fundmatch.german` (amounts, dates) and the vocabularies (Handlungsfeld,
Zeithorizont, Antragsteller), exactly as the web form reads them; a bad value costs its row, never
the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fundmatch import german, vocab
from fundmatch.measure_import.cells import CellError, RowError, blank, clean_text, row_error
from fundmatch.measure_import.columns import (
    MAX_ID,
    MAX_TITLE,
    Header,
    read_header,
    unnamed_column_warnings,
    vocabulary_labels,
)
from fundmatch.measure_import.files import MeasureImportError

MAX_ROWS = 1000


@dataclass(frozen=True, kw_only=True)
class MeasureRow:
    """One valid measure of the list; ``row`` is the spreadsheet row number (the header is row 1)."""

    title: str
    description: str = ""
    handlungsfeld: str | None = None
    cost_eur: float | None = None
    start: date | None = None
    time_horizon: str | None = None
    applicant_type: str = "kommune"
    goal: str | None = None
    external_id: str | None = None
    row: int


@dataclass
class MeasureTable:
    """The valid rows of a measure list, the rows' errors and the warnings (e.g. ignored columns).

    Rows with an error are not in ``rows``; a table is ``ok`` when no row has an error.
    """

    rows: list[MeasureRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _code(value: Any, vocabulary: vocab.Vocabulary) -> str:
    text = clean_text(value)
    code = vocabulary.lookup(text)
    if code is None:
        raise CellError(f"{german.quoted(text)} ist unbekannt; gültig sind: {vocabulary_labels(vocabulary)}")
    return code


def read_row(number: int, cells: list[Any], header: Header) -> tuple[MeasureRow | None, list[RowError]]:
    """The row as a measure, or None and all of its errors."""
    errors: list[RowError] = []

    def read(name: str, parse: Callable[[Any], Any], default: Any = None) -> Any:
        index = header.positions.get(name)
        value = cells[index] if index is not None and index < len(cells) else None
        if blank(value):
            return default
        try:
            return parse(value)
        except (CellError, german.GermanValueError) as exc:
            errors.append(row_error(number, header.text(name), str(exc)))
            return default

    title = read("Titel", lambda v: clean_text(v, limit=MAX_TITLE), "")
    if not title and not errors:
        errors.append(row_error(number, header.text("Titel"), "Titel fehlt; jede Maßnahme braucht einen Titel"))
    values = {
        "description": read("Beschreibung", lambda v: clean_text(v, single_line=False), ""),
        "handlungsfeld": read("Handlungsfeld", lambda v: _code(v, vocab.HANDLUNGSFELD)),
        "cost_eur": read("Kosten", german.parse_amount),
        "start": read("Beginn", german.parse_date),
        "time_horizon": read("Zeithorizont", lambda v: _code(v, vocab.TIME_HORIZON)),
        "applicant_type": read("Antragsteller", lambda v: _code(v, vocab.APPLICANT_TYPE), "kommune"),
        "goal": read("Ziel", clean_text) or None,
        "external_id": read("ID", lambda v: clean_text(v, limit=MAX_ID)) or None,
    }
    if errors:
        return None, errors
    return MeasureRow(title=title, row=number, **values), []


def build_table(records: Iterable[tuple[int, list[Any]]], filename: str) -> MeasureTable:
    """The table from the file's rows: the first non-empty row is the header, empty rows are skipped."""
    table = MeasureTable()
    header: Header | None = None
    unnamed: dict[int, int] = {}  # index of a data column without header → first row using it
    first_id_row: dict[str, int] = {}
    count = 0
    for number, cells in records:
        if all(blank(c) for c in cells):
            continue
        if header is None:
            header = read_header(number, cells, filename)
            table.warnings = header.warnings
            continue
        count += 1
        if count > MAX_ROWS:
            raise MeasureImportError(
                f'Die Datei "{filename}" enthält mehr als {german.format_number(MAX_ROWS, grouping=True)} Maßnahmen '
                f"(Zeile {number}); bitte auf mehrere Dateien aufteilen."
            )
        for index, value in enumerate(cells):
            if index not in header.texts and not blank(value):
                unnamed.setdefault(index, number)
        row, errors = read_row(number, cells, header)
        if row is not None and row.external_id is not None:
            first = first_id_row.setdefault(row.external_id, number)
            if first != number:
                errors = [row_error(number, header.text("ID"), f'"{row.external_id}" steht schon in Zeile {first}')]
                row = None
        table.errors.extend(errors)
        if row is not None:
            table.rows.append(row)
    if header is None:
        raise MeasureImportError(f'Die Datei "{filename}" enthält keine Daten.')
    if not table.rows and not table.errors:
        raise MeasureImportError(f'Die Datei "{filename}" enthält nur die Kopfzeile, keine Maßnahmen.')
    table.warnings.extend(unnamed_column_warnings(unnamed))
    return table
