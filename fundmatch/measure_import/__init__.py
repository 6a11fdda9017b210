"""Import a municipality's measure list (Maßnahmenliste) from CSV or XLSX.

:func:`parse_measure_table` reads the whole file and returns every valid row together with every
row-level problem, so the caller can show all of them before anything is saved. Problems with the
file as a whole (wrong type, too big, too many rows, no "Titel" column) raise
:class:`MeasureImportError`. Unknown columns are warnings: the table stays ``ok``.

One module per job: :mod:`.files` reads a file into rows of cells, :mod:`.columns` documents the
columns and maps the header to them, :mod:`.measures` builds measures and row errors from the cells
(:mod:`.cells` is what both of those share), :mod:`.examples` writes the downloadable example files.
Amounts and dates are read by :mod:`fundmatch.german`, labels (Handlungsfeld, Zeithorizont,
Antragsteller) by the vocabularies in :mod:`fundmatch.vocab`, never here.
"""

from __future__ import annotations

from fundmatch.measure_import.cells import MAX_TEXT, RowError
from fundmatch.measure_import.columns import COLUMNS, MAX_ID, MAX_TITLE
from fundmatch.measure_import.examples import example_csv, example_xlsx
from fundmatch.measure_import.files import MAX_BYTES, MAX_XLSX_UNPACKED, MeasureImportError, read_rows
from fundmatch.measure_import.measures import MAX_ROWS, MeasureRow, MeasureTable, build_table

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ID",
    "MAX_ROWS",
    "MAX_TEXT",
    "MAX_TITLE",
    "MAX_XLSX_UNPACKED",
    "MeasureImportError",
    "MeasureRow",
    "MeasureTable",
    "RowError",
    "example_csv",
    "example_xlsx",
    "parse_measure_table",
]


def parse_measure_table(data: bytes, filename: str) -> MeasureTable:
    """Read a measure list (CSV or XLSX, by file name and content) into rows, row errors and warnings.

    Raises :class:`MeasureImportError` when the file as a whole cannot be used.
    """
    return build_table(read_rows(data, filename), filename)
