"""The documented columns of a measure list, and mapping a header row to them.

Every header spelling of :data:`ALIASES` (case, umlauts and punctuation folded by
:func:`fundmatch.vocab.fold`) maps to one column; a header no column knows is a warning, never
silently dropped, and so is a filled column without a header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fundmatch import german, vocab
from fundmatch.measure_import.cells import RowError, clean_text, row_error
from fundmatch.measure_import.files import MeasureImportError

# The interchange format refuses longer titles and ids (see interchange.measure_from_dict); a row
# that could be saved but never exported again is refused here already.
MAX_TITLE = 300
MAX_ID = 100


def vocabulary_labels(vocabulary: vocab.Vocabulary) -> str:
    return ", ".join(vocabulary.labels.values())


# (name, required, description): the documented columns, in the order of the example files.
COLUMNS: list[tuple[str, bool, str]] = [
    ("ID", False, "Eigene Kennung der Maßnahme, z. B. M-01; jede Kennung höchstens einmal."),
    ("Titel", True, f"Kurzer Name der Maßnahme (höchstens {MAX_TITLE} Zeichen)."),
    ("Beschreibung", False, "Was geplant ist: Inhalt, Umfang, Beteiligte. Je genauer, desto besser die Treffer."),
    ("Handlungsfeld", False, f"Eines von: {vocabulary_labels(vocab.HANDLUNGSFELD)}."),
    ("Kosten", False, f"Geschätzte Gesamtkosten in Euro, {german.AMOUNT_EXAMPLES}."),
    (
        "Beginn",
        False,
        f"Geplanter Beginn, {german.DATE_EXAMPLES}; ein Monat, Quartal oder Jahr steht für seinen ersten Tag "
        "(04/2027 = 1. April 2027).",
    ),
    ("Zeithorizont", False, f"Eines von: {vocabulary_labels(vocab.TIME_HORIZON)}."),
    (
        "Antragsteller",
        False,
        f"Wer den Antrag stellt; leer = Kommune. Eines von: {vocabulary_labels(vocab.APPLICANT_TYPE)}.",
    ),
    ("Ziel", False, "Das strategische Ziel, zu dem die Maßnahme beiträgt."),
]

ALIASES: dict[str, tuple[str, ...]] = {
    "Titel": ("Maßnahme", "Massnahme", "Title"),
    "Beschreibung": ("Description",),
    "Handlungsfeld": (),
    "Kosten": ("Kosten (EUR)", "Kosten EUR", "Kosten in EUR", "Kosten (€)", "Kosten in €", "Budget", "Cost"),
    "Beginn": ("Start", "geplanter Beginn"),
    "Zeithorizont": (),
    "Antragsteller": ("Förderberechtigte",),
    "Ziel": ("strategisches Ziel", "Goal"),
    "ID": ("Nr", "Nummer", "Kennung"),
}
_COLUMN_BY_KEY: dict[str, str] = {
    vocab.fold(spelling): name for name, aliases in ALIASES.items() for spelling in (name, *aliases)
}
assert set(ALIASES) == {name for name, _, _ in COLUMNS}


@dataclass
class Header:
    """Where each known column is (name → index), each header's text by index, and the warnings."""

    positions: dict[str, int] = field(default_factory=dict)
    texts: dict[int, str] = field(default_factory=dict)
    warnings: list[RowError] = field(default_factory=list)

    def text(self, name: str) -> str:
        """The header as the file spells it, for messages about that column."""
        return self.texts[self.positions[name]]


def read_header(number: int, cells: list[Any], filename: str) -> Header:
    """Map the header row; a duplicate column or a missing "Titel" makes the file unusable."""
    header = Header()
    known = ", ".join(name for name, _, _ in COLUMNS)
    for index, cell in enumerate(cells):
        text = clean_text(cell, limit=10**9)
        if not text:
            continue
        header.texts[index] = text
        name = _COLUMN_BY_KEY.get(vocab.fold(text))
        if name is None:
            header.warnings.append(
                row_error(number, text, f'unbekannte Spalte "{text}" wird ignoriert; bekannte Spalten: {known}')
            )
        elif name in header.positions:
            raise MeasureImportError(
                f'Die Datei "{filename}" hat die Spalte "{name}" doppelt: "{header.text(name)}" und '
                f'"{text}" (Zeile {number}); bitte eine davon löschen oder umbenennen.'
            )
        else:
            header.positions[name] = index
    if "Titel" not in header.positions:
        found = ", ".join(f'"{h}"' for h in header.texts.values())
        aliases = ", ".join(ALIASES["Titel"])
        raise MeasureImportError(
            f'Die Datei "{filename}" hat keine Spalte "Titel" (oder {aliases}) in Zeile {number}; '
            f"gefunden: {found}. Die Spalten sind in der Beispieldatei beschrieben."
        )
    return header


def unnamed_column_warnings(first_rows: dict[int, int]) -> list[RowError]:
    """Warnings for filled columns without a header, given column index → first row using it."""
    from openpyxl.utils import get_column_letter

    return [
        row_error(
            number, None, f"Spalte {get_column_letter(index + 1)} hat keine Überschrift; ihre Werte werden ignoriert"
        )
        for index, number in sorted(first_rows.items())
    ]
