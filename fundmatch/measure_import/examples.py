"""The downloadable example measure lists, built from :data:`~fundmatch.measure_import.columns.COLUMNS`.

Both files read back to the same rows (a test checks it), so the examples show what the import accepts.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from fundmatch import german, vocab
from fundmatch.measure_import.columns import ALIASES, COLUMNS

_EXAMPLES: list[dict[str, Any]] = [
    {
        "ID": "M-01",
        "Titel": "Digitales Bürgerbüro mit Online-Terminvergabe",
        "Beschreibung": (
            "Online-Terminvergabe für das Bürgerbüro und Anbindung von 15 OZG-Leistungen (u. a. Wohnsitz- und "
            "Gewerbeanmeldung) an das Serviceportal des Landes; Schulung der Mitarbeitenden."
        ),
        "Handlungsfeld": vocab.HANDLUNGSFELD.label("verwaltung"),
        "Kosten": 85_000.0,
        "Beginn": date(2027, 4, 1),
        "Zeithorizont": vocab.TIME_HORIZON.label("kurz"),
        "Antragsteller": vocab.APPLICANT_TYPE.label("kommune"),
        "Ziel": "Verwaltungsleistungen rund um die Uhr digital anbieten",
    },
    {
        "ID": "M-02",
        "Titel": "WLAN und digitale Tafeln für die Grundschulen",
        "Beschreibung": (
            "Flächendeckendes WLAN in den drei Grundschulen der Gemeinde, 24 interaktive Displays und ein "
            "Medienentwicklungsplan; Wartung über den IT-Dienstleister des Schulträgers."
        ),
        "Handlungsfeld": vocab.HANDLUNGSFELD.label("bildung"),
        "Kosten": 240_000.5,
        "Beginn": date(2027, 8, 1),
        "Zeithorizont": vocab.TIME_HORIZON.label("mittel"),
        "Antragsteller": vocab.APPLICANT_TYPE.label("kommune"),
        "Ziel": "Zeitgemäße digitale Bildung an allen Schulen",
    },
    {
        "ID": "M-03",
        "Titel": "Sensorgestütztes Parkleitsystem in der Innenstadt",
        "Beschreibung": (
            "LoRaWAN-Sensoren an 300 Stellplätzen, eine offene Datenplattform und die Anzeige freier Parkplätze "
            "und ÖPNV-Verbindungen in der Stadt-App."
        ),
        "Handlungsfeld": vocab.HANDLUNGSFELD.label("mobilitaet"),
        "Kosten": 1_200_000.0,
        "Beginn": date(2028, 1, 1),
        "Zeithorizont": vocab.TIME_HORIZON.label("lang"),
        "Antragsteller": vocab.APPLICANT_TYPE.label("kommune"),
        "Ziel": "Parksuchverkehr in der Innenstadt um 30 % senken",
    },
]


def _csv_cell(name: str, value: Any) -> Any:
    if name == "Kosten":
        return german.format_amount(value, cents=not value.is_integer(), unit=False)
    if name == "Beginn":
        return german.format_date(value)
    return value


def example_csv() -> str:
    """The example measure list as CSV the way German Excel writes it: UTF-8 with BOM, ";" separated."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([name for name, _, _ in COLUMNS])
    for example in _EXAMPLES:
        writer.writerow([_csv_cell(name, example[name]) for name, _, _ in COLUMNS])
    return "\ufeff" + out.getvalue()


def example_xlsx() -> bytes:
    """The example measure list as an Excel workbook: the rows on the first sheet, the column guide on the second."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook starts with one sheet, the active one
    sheet.title = "Maßnahmen"
    sheet.append([name for name, _, _ in COLUMNS])
    for example in _EXAMPLES:
        sheet.append([example[name] for name, _, _ in COLUMNS])
    bold = Font(bold=True)
    widths = {"ID": 8, "Titel": 45, "Beschreibung": 80, "Kosten": 14, "Beginn": 12, "Ziel": 45}
    for index, (name, _, _) in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=index).font = bold
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(name, 26)
        for row in range(2, len(_EXAMPLES) + 2):
            cell = sheet.cell(row=row, column=index)
            if name == "Kosten":
                cell.number_format = "#,##0.00 €"
            elif name == "Beginn":
                cell.number_format = "DD.MM.YYYY"
            elif name == "Beschreibung":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("Spalten")
    guide.append(["Spalte", "Pflicht", "Inhalt", "Andere erkannte Überschriften"])
    for name, required, description in COLUMNS:
        guide.append([name, "ja" if required else "nein", description, ", ".join(ALIASES[name])])
    for index, width in enumerate((16, 8, 100, 40), start=1):
        guide.cell(row=1, column=index).font = bold
        guide.column_dimensions[get_column_letter(index)].width = width

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
