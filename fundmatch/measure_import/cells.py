"""What a cell of a measure list holds (blank, text) and problems located at a row and a column.

Shared by the header mapping and the measure building, so both clean text and word their problems
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from fundmatch.errors import InputError
from fundmatch.german import format_number
from fundmatch.shapes import strip_control

MAX_TEXT = 20_000


@dataclass(frozen=True)
class RowError:
    """A problem in one row (or, for row 1, in the header); ``message`` is the complete German text."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        return self.message


class CellError(InputError):
    """A cell value that cannot be used; the text follows "Zeile n, Spalte "X": "."""


def row_error(row: int, column: str | None, detail: str) -> RowError:
    """A problem with its place in front: 'Zeile 4, Spalte "Kosten": …' or 'Zeile 4: …'."""
    where = f'Zeile {row}, Spalte "{column}"' if column else f"Zeile {row}"
    return RowError(row=row, column=column, message=f"{where}: {detail}")


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as the text a person sees in it: whole numbers without ".0", midnight dates without time."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    return str(value)


def clean_text(value: Any, *, limit: int = MAX_TEXT, single_line: bool = True) -> str:
    """The cell's text without control characters, on one line unless ``single_line`` is false."""
    text = strip_control(cell_text(value))
    text = " ".join(text.split()) if single_line else text.strip()
    if len(text) > limit:
        raise CellError(
            f"Text ist {format_number(len(text), grouping=True)} Zeichen lang, erlaubt sind höchstens "
            f"{format_number(limit, grouping=True)}"
        )
    return text
