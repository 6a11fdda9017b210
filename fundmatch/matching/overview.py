"""The Förderübersicht: every measure with its top programs, as XLSX (for people) or CSV (for tools).

One row per measure; measures without any eligible program are flagged, because those are the ones
a consultant has to look at by hand.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from fundmatch import identity
from fundmatch.german import format_date, format_number
from fundmatch.matching.service import MatchRun

VERDICT_LABELS = {"eligible": "förderfähig", "check": "prüfen", "ineligible": "nicht förderfähig"}


def header(top: int) -> list[str]:
    columns = ["Maßnahme-ID", "Maßnahme", "Land", "Handlungsfeld", "Kosten (EUR)", "Förderfähiges Programm gefunden"]
    columns.append("Allgemeine Finanzierung")
    for rank in range(1, top + 1):
        columns += [
            f"Programm {rank}",
            f"Förderart und Konditionen {rank}",
            f"Score {rank}",
            f"Eignung {rank}",
            f"Nächste Frist {rank}",
            f"Stand der Angaben {rank}",
            f"Link {rank}",
        ]
    return columns


def rows(run: MatchRun, top: int) -> list[list]:
    result = []
    for measure, matches in run.results:
        specific = [m for m in matches if m.section == "specific"]
        general = [m for m in matches if m.section == "general"]
        has_eligible = any(m.eligibility == "eligible" for m in specific)
        row = [
            measure.id,
            measure.title,
            measure.land,
            measure.handlungsfeld or "",
            measure.cost_eur if measure.cost_eur is not None else "",
            "ja" if has_eligible else "NEIN – manuell prüfen",
            "; ".join(f"{m.title} ({m.instrument})" for m in general),
        ]
        for match in specific[:top]:
            facts = match.facts_as_of
            row += [
                match.title,
                match.instrument,
                round(match.score, 3),
                VERDICT_LABELS[match.eligibility],
                format_date(match.next_deadline) if match.next_deadline else "",
                (
                    format_date(facts)
                    + (" – vor Antragstellung prüfen" if identity.is_stale(facts, date.today()) else "")
                )
                if facts
                else "unbekannt – an der Quelle prüfen",
                match.url,
            ]
        row += [""] * (len(header(top)) - len(row))
        result.append(row)
    return result


def german_number(value: object) -> object:
    """A float cell as German Excel reads a number (decimal comma, no exponent); other cells unchanged."""
    return format_number(value) if isinstance(value, float) else value


def write_csv(run: MatchRun, top: int) -> str:
    """Semicolon-separated with a BOM and decimal commas, as German Excel opens it without asking."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header(top))
    writer.writerows([german_number(cell) for cell in row] for row in rows(run, top))
    return "\ufeff" + buffer.getvalue()


def write_xlsx(run: MatchRun, top: int, target: Path | io.BytesIO) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook starts with one sheet, the active one
    sheet.title = "Förderübersicht"
    sheet.append(header(top))
    flag = PatternFill("solid", fgColor="FCE4D6")
    for row in rows(run, top):
        sheet.append(row)
        if row[5] != "ja":
            for cell in sheet[sheet.max_row][:6]:
                cell.fill = flag
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(sheet.columns, 1):
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(12, width + 2), 60)
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions
    info = book.create_sheet("Hinweise")
    info.append(["Katalogstand", run.catalogue_version])
    info.append(["Eignung", "förderfähig = Gebiet, Antragsteller und Frist passen; prüfen = etwas ist unbekannt"])
    for warning in run.warnings:
        info.append(["Warnung", warning])
    book.save(target)
