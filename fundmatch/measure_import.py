"""Import a municipality's measure list (Maßnahmenliste) from CSV or XLSX.

:func:`parse_measure_table` reads the whole file and returns every valid row together with every
row-level problem, so the caller can show all of them before anything is saved. Problems with the
file as a whole (wrong type, too big, too many rows, no "Titel" column) raise
:class:`MeasureImportError`. Unknown columns are warnings: the table stays ``ok``.

Columns are documented in :data:`COLUMNS`; :func:`example_csv` and :func:`example_xlsx` build the
downloadable example files from it. All labels (Handlungsfeld, Zeithorizont, Antragsteller) are
mapped by the vocabularies in :mod:`fundmatch.vocab`, never here.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from fundmatch import vocab

MAX_BYTES = 2_000_000
MAX_ROWS = 1000
MAX_TEXT = 20_000
# The interchange format refuses longer titles and ids (see interchange.measure_from_dict); a row
# that could be saved but never exported again is refused here already.
MAX_TITLE = 300
MAX_ID = 100
# An XLSX is a ZIP: 2 MB compressed can unpack to gigabytes of XML. Real measure lists stay far below.
MAX_XLSX_UNPACKED = 100_000_000
MAX_COST_EUR = 1e12

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CSV_DELIMITERS = (";", "\t", ",")  # order breaks ties: German Excel writes ";"


class MeasureImportError(ValueError):
    """A file that cannot be read as a measure list at all; the message names the file and the reason."""


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


@dataclass(frozen=True)
class RowError:
    """A problem in one row (or, for row 1, in the header); ``message`` is the complete German text."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        return self.message


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


def _labels(vocabulary: vocab.Vocabulary) -> str:
    return ", ".join(vocabulary.labels.values())


# (name, required, description): the documented columns, in the order of the example files.
COLUMNS: list[tuple[str, bool, str]] = [
    ("ID", False, "Eigene Kennung der Maßnahme, z. B. M-01; jede Kennung höchstens einmal."),
    ("Titel", True, f"Kurzer Name der Maßnahme (höchstens {MAX_TITLE} Zeichen)."),
    ("Beschreibung", False, "Was geplant ist: Inhalt, Umfang, Beteiligte. Je genauer, desto besser die Treffer."),
    ("Handlungsfeld", False, f"Eines von: {_labels(vocab.HANDLUNGSFELD)}."),
    ("Kosten", False, "Geschätzte Gesamtkosten in Euro, z. B. 250000, 250.000 oder 250.000,50 €."),
    ("Beginn", False, "Geplanter Beginn, z. B. 01.04.2027, 2027-04-01 oder 04/2027 (= 1. April 2027)."),
    ("Zeithorizont", False, f"Eines von: {_labels(vocab.TIME_HORIZON)}."),
    ("Antragsteller", False, f"Wer den Antrag stellt; leer = Kommune. Eines von: {_labels(vocab.APPLICANT_TYPE)}."),
    ("Ziel", False, "Das strategische Ziel, zu dem die Maßnahme beiträgt."),
]

_ALIASES: dict[str, tuple[str, ...]] = {
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
    vocab.fold(spelling): name for name, aliases in _ALIASES.items() for spelling in (name, *aliases)
}
assert set(_ALIASES) == {name for name, _, _ in COLUMNS}


# --- file type ----------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f}".replace(".", ",") + " MB"


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "ein PDF-Dokument"),
    (b"PK\x03\x04", "ein ZIP-Archiv (z. B. ein Word- oder OpenDocument-Dokument)"),
    (b"\xd0\xcf\x11\xe0", "eine Datei im alten Excel-Format (.xls) oder eine passwortgeschützte Excel-Datei"),
    (b"\x89PNG", "ein Bild"),
    (b"\xff\xd8\xff", "ein Bild"),
    (b"GIF8", "ein Bild"),
)


def _binary_kind(data: bytes) -> str | None:
    """What a file's first bytes say it is, when that is a known binary format."""
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


def _looks_like(data: bytes) -> str:
    """What a file seems to be, for error messages."""
    kind = _binary_kind(data)
    if kind:
        return kind
    if b"\x00" not in data[:4096]:
        try:
            data[:4096].decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if exc.start < 4090:
                return "eine Datei unbekannter Art"
        return "eine Textdatei (vielleicht CSV)"
    return "eine Datei unbekannter Art"


def _is_xlsx(data: bytes) -> bool:
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _decode_csv(data: bytes, filename: str) -> str:
    if _is_xlsx(data):
        raise MeasureImportError(
            f'Die Datei "{filename}" ist eine Excel-Datei (XLSX), heißt aber .csv; '
            "bitte mit der Endung .xlsx hochladen."
        )
    kind = _binary_kind(data)
    if kind:
        raise MeasureImportError(f'Die Datei "{filename}" ist keine CSV-Datei (Textdatei), sondern {kind}.')
    if b"\x00" in data:
        raise MeasureImportError(
            f'Die Datei "{filename}" ist keine CSV-Datei (Textdatei): sie enthält Binärdaten (Null-Bytes).'
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise MeasureImportError(
                f'Die Datei "{filename}" ist weder UTF-8 noch Windows-1252 (Byte 0x{data[exc.start]:02x} an Stelle '
                f"{exc.start}); bitte in Excel als „CSV UTF-8“ speichern."
            ) from None
    # Stray control characters are stripped from the cells; many of them mean binary data, not text.
    # (\x0b is how some Mac programs write a line break inside a cell.)
    controls = len(_BINARY.findall(text))
    if controls > max(3, len(text) // 100):
        raise MeasureImportError(
            f'Die Datei "{filename}" ist keine CSV-Datei (Textdatei): sie enthält {_thousands(controls)} Steuerzeichen.'
        )
    return text


def _check_xlsx(data: bytes, filename: str) -> None:
    if not _is_xlsx(data):
        raise MeasureImportError(
            f'Die Datei "{filename}" ist keine Excel-Datei (XLSX), sondern {_looks_like(data)}; '
            "bitte in Excel als „Excel-Arbeitsmappe (*.xlsx)“ oder als CSV speichern."
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_XLSX_UNPACKED:
        raise MeasureImportError(
            f'Die Datei "{filename}" entpackt sich auf {_megabytes(unpacked)}; erlaubt sind höchstens '
            f"{_megabytes(MAX_XLSX_UNPACKED)}."
        )


# --- reading cells ------------------------------------------------------------------------------


def _csv_delimiter(text: str) -> str:
    """The delimiter that splits the first non-empty line (the header) into the most columns."""
    best, best_count = _CSV_DELIMITERS[0], 1
    for delimiter in _CSV_DELIMITERS:
        try:
            header = next((r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r), [])
        except csv.Error:
            continue
        if len(header) > best_count:
            best, best_count = delimiter, len(header)
    return best


def _csv_rows(text: str, filename: str) -> Iterator[tuple[int, list[Any]]]:
    # Excel writes and hides a first line "sep=;" naming the delimiter.
    if match := re.match(r"sep=([;,\t|])\r?\n", text, re.IGNORECASE):
        text, delimiter = text[match.end() :], match[1]
    else:
        delimiter = _csv_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
    except csv.Error as exc:
        raise MeasureImportError(
            f'Die Datei "{filename}" ist fehlerhaft (Zeile {number + 1}, Textzeile {reader.line_num} der Datei): '
            f"{exc}; oft fehlt ein schließendes Anführungszeichen."
        ) from None


def _xlsx_rows(data: bytes, filename: str) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on malformed files
        raise MeasureImportError(f'Die Excel-Datei "{filename}" kann nicht gelesen werden: {exc}') from None
    try:
        if not workbook.worksheets:
            raise MeasureImportError(f'Die Excel-Datei "{filename}" enthält kein Tabellenblatt.')
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size; read what is there
        try:
            # Missing rows come as empty rows, so the count is the spreadsheet row number.
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(values)
        except Exception as exc:
            raise MeasureImportError(f'Die Excel-Datei "{filename}" kann nicht gelesen werden: {exc}') from None
    finally:
        workbook.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    return str(value)


# --- values -------------------------------------------------------------------------------------


class _Bad(ValueError):
    """A value that cannot be read; the text follows "Zeile n, Spalte "X": "."""


def _shown(value: Any) -> str:
    text = " ".join(_cell_text(value).split())
    return f'"{text[:60]}…"' if len(text) > 60 else f'"{text}"'


def _text(value: Any, *, limit: int = MAX_TEXT, single_line: bool = True) -> str:
    text = _CONTROL.sub("", _cell_text(value))
    text = " ".join(text.split()) if single_line else text.strip()
    if len(text) > limit:
        raise _Bad(f"Text ist {_thousands(len(text))} Zeichen lang, erlaubt sind höchstens {_thousands(limit)}")
    return text


_UNIT = re.compile(r"^(€|eur|euro)|(€|eur|euro)$", re.IGNORECASE)
_PLAIN = re.compile(r"\d+")
_DE_GROUPED = re.compile(r"\d{1,3}(\.\d{3})+(,\d+)?")
_DE_DECIMAL = re.compile(r"\d+,\d+")
_EN_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
_EN_DECIMAL = re.compile(r"\d+\.\d+")


def _amount(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Bad(f"{_shown(value)} ist kein Betrag")
    if isinstance(value, int | float):
        amount = float(value)
    else:
        raw = str(value)
        text = re.sub(r"\s", "", raw)
        text = _UNIT.sub("", text)
        text = re.sub(r",-+$", "", text)  # 250.000,-
        negative = text.startswith(("-", "−"))
        text = text.lstrip("-−+")
        if _PLAIN.fullmatch(text):
            amount = float(text)
        elif _DE_GROUPED.fullmatch(text):  # 250.000 and 250.000,50: a dot before three digits groups
            amount = float(text.replace(".", "").replace(",", "."))
        elif _DE_DECIMAL.fullmatch(text) and not re.fullmatch(r"\d{1,3},\d{3}", text):
            amount = float(text.replace(",", "."))
        elif _EN_GROUPED.fullmatch(text) and (text.count(",") > 1 or "." in text):  # 1,234,567 and 1,234.50
            amount = float(text.replace(",", ""))
        elif _EN_DECIMAL.fullmatch(text) and not _DE_GROUPED.fullmatch(text):  # 1234.5
            amount = float(text)
        elif re.fullmatch(r"\d{1,3},\d{3}", text):
            raise _Bad(
                f"{_shown(raw)} ist mehrdeutig (Tausenderpunkt oder Dezimalkomma?); bitte z. B. 250000 oder "
                "250.000 schreiben"
            )
        else:
            raise _Bad(f"{_shown(raw)} ist kein Betrag")
        if negative:
            amount = -amount
    if not math.isfinite(amount):
        raise _Bad(f"{_shown(value)} ist kein Betrag")
    if amount < 0:
        raise _Bad(f"{_shown(value)} ist negativ; Kosten müssen 0 oder mehr sein")
    if amount > MAX_COST_EUR:
        raise _Bad(f"{_shown(value)} ist unplausibel hoch (mehr als 1 Billion Euro)")
    return amount


_DATE_FORMATS = "z. B. 01.04.2027, 2027-04-01 oder 04/2027"


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _Bad(f"{_shown(value)} ist kein Datum ({_DATE_FORMATS})")
    text = value.strip()
    if match := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text):
        day, month, year = (int(part) for part in match.groups())
    elif match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?", text):
        year, month, day = (int(part) for part in match.groups())
    elif match := re.fullmatch(r"(\d{1,2})[/.](\d{4})", text):  # 04/2027 and 04.2027: first of the month
        month, year, day = int(match[1]), int(match[2]), 1
    else:
        raise _Bad(f"{_shown(value)} ist kein Datum ({_DATE_FORMATS})")
    try:
        return date(year, month, day)
    except ValueError:
        raise _Bad(f"{_shown(value)} ist kein gültiges Datum") from None


def _code(value: Any, vocabulary: vocab.Vocabulary) -> str:
    text = _text(value)
    code = vocabulary.lookup(text)
    if code is None:
        raise _Bad(f"{_shown(text)} ist unbekannt; gültig sind: {_labels(vocabulary)}")
    return code


# --- the table ----------------------------------------------------------------------------------


def _where(row: int, column: str | None) -> str:
    return f'Zeile {row}, Spalte "{column}"' if column else f"Zeile {row}"


def _row_error(row: int, column: str | None, detail: str) -> RowError:
    return RowError(row=row, column=column, message=f"{_where(row, column)}: {detail}")


def _read_header(number: int, cells: list[Any], filename: str) -> tuple[dict[str, int], dict[int, str], list[RowError]]:
    """Column name → index, header text by index, and warnings for unknown columns."""
    positions: dict[str, int] = {}
    headers: dict[int, str] = {}
    warnings: list[RowError] = []
    known = ", ".join(name for name, _, _ in COLUMNS)
    for index, cell in enumerate(cells):
        header = _text(cell, limit=10**9)
        if not header:
            continue
        headers[index] = header
        name = _COLUMN_BY_KEY.get(vocab.fold(header))
        if name is None:
            warnings.append(
                _row_error(number, header, f'unbekannte Spalte "{header}" wird ignoriert; bekannte Spalten: {known}')
            )
        elif name in positions:
            raise MeasureImportError(
                f'Die Datei "{filename}" hat die Spalte "{name}" doppelt: "{headers[positions[name]]}" und '
                f'"{header}" (Zeile {number}); bitte eine davon löschen oder umbenennen.'
            )
        else:
            positions[name] = index
    if "Titel" not in positions:
        found = ", ".join(f'"{h}"' for h in headers.values())
        aliases = ", ".join(_ALIASES["Titel"])
        raise MeasureImportError(
            f'Die Datei "{filename}" hat keine Spalte "Titel" (oder {aliases}) in Zeile {number}; '
            f"gefunden: {found}. Die Spalten sind in der Beispieldatei beschrieben."
        )
    return positions, headers, warnings


def _read_row(
    number: int, cells: list[Any], positions: dict[str, int], headers: dict[int, str]
) -> tuple[MeasureRow | None, list[RowError]]:
    errors: list[RowError] = []

    def cell(name: str) -> Any:
        index = positions.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def read(name: str, parse, default: Any = None) -> Any:
        value = cell(name)
        if _blank(value):
            return default
        try:
            return parse(value)
        except _Bad as exc:
            errors.append(_row_error(number, headers[positions[name]], str(exc)))
            return default

    title = read("Titel", lambda v: _text(v, limit=MAX_TITLE), "")
    if not title and not errors:
        errors.append(_row_error(number, headers[positions["Titel"]], "Titel fehlt; jede Maßnahme braucht einen Titel"))
    values = {
        "description": read("Beschreibung", lambda v: _text(v, single_line=False), ""),
        "handlungsfeld": read("Handlungsfeld", lambda v: _code(v, vocab.HANDLUNGSFELD)),
        "cost_eur": read("Kosten", _amount),
        "start": read("Beginn", _day),
        "time_horizon": read("Zeithorizont", lambda v: _code(v, vocab.TIME_HORIZON)),
        "applicant_type": read("Antragsteller", lambda v: _code(v, vocab.APPLICANT_TYPE), "kommune"),
        "goal": read("Ziel", _text) or None,
        "external_id": read("ID", lambda v: _text(v, limit=MAX_ID)) or None,
    }
    if errors:
        return None, errors
    return MeasureRow(title=title, row=number, **values), []


def _read_table(records: Iterable[tuple[int, list[Any]]], filename: str) -> MeasureTable:
    table = MeasureTable()
    positions: dict[str, int] | None = None
    headers: dict[int, str] = {}
    unnamed: dict[int, int] = {}  # index of a data column without header → first row using it
    first_id_row: dict[str, int] = {}
    count = 0
    for number, cells in records:
        if all(_blank(c) for c in cells):
            continue
        if positions is None:
            positions, headers, table.warnings = _read_header(number, cells, filename)
            continue
        count += 1
        if count > MAX_ROWS:
            raise MeasureImportError(
                f'Die Datei "{filename}" enthält mehr als {_thousands(MAX_ROWS)} Maßnahmen (Zeile {number}); '
                "bitte auf mehrere Dateien aufteilen."
            )
        for index, value in enumerate(cells):
            if index not in headers and not _blank(value):
                unnamed.setdefault(index, number)
        row, errors = _read_row(number, cells, positions, headers)
        if row is not None and row.external_id is not None:
            first = first_id_row.setdefault(row.external_id, number)
            if first != number:
                column = headers[positions["ID"]]
                errors = [_row_error(number, column, f'"{row.external_id}" steht schon in Zeile {first}')]
                row = None
        table.errors.extend(errors)
        if row is not None:
            table.rows.append(row)
    if positions is None:
        raise MeasureImportError(f'Die Datei "{filename}" enthält keine Daten.')
    if not table.rows and not table.errors:
        raise MeasureImportError(f'Die Datei "{filename}" enthält nur die Kopfzeile, keine Maßnahmen.')
    from openpyxl.utils import get_column_letter

    for index, number in sorted(unnamed.items()):
        letter = get_column_letter(index + 1)
        table.warnings.append(
            _row_error(number, None, f"Spalte {letter} hat keine Überschrift; ihre Werte werden ignoriert")
        )
    return table


def parse_measure_table(data: bytes, filename: str) -> MeasureTable:
    """Read a measure list (CSV or XLSX, by file name and content) into rows, row errors and warnings.

    Raises :class:`MeasureImportError` when the file as a whole cannot be used.
    """
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix not in ("csv", "xlsx"):
        raise MeasureImportError(
            f'Die Datei "{filename}" hat weder die Endung .csv noch .xlsx; bitte die Maßnahmenliste als CSV oder '
            "Excel-Arbeitsmappe (.xlsx) hochladen."
        )
    if len(data) > MAX_BYTES:
        raise MeasureImportError(
            f'Die Datei "{filename}" ist {_megabytes(len(data))} groß; erlaubt sind höchstens {_megabytes(MAX_BYTES)}.'
        )
    if not data.strip():
        raise MeasureImportError(f'Die Datei "{filename}" ist leer.')
    if suffix == "xlsx":
        _check_xlsx(data, filename)
        return _read_table(_xlsx_rows(data, filename), filename)
    return _read_table(_csv_rows(_decode_csv(data, filename), filename), filename)


# --- example files ------------------------------------------------------------------------------

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


def _german_amount(amount: float) -> str:
    whole, cents = divmod(round(amount * 100), 100)
    text = _thousands(whole)
    return f"{text},{cents:02d}" if cents else text


def example_csv() -> str:
    """The example measure list as CSV the way German Excel writes it: UTF-8 with BOM, ";" separated."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([name for name, _, _ in COLUMNS])
    for example in _EXAMPLES:
        cells = []
        for name, _, _ in COLUMNS:
            value = example[name]
            if name == "Kosten":
                value = _german_amount(value)
            elif name == "Beginn":
                value = value.strftime("%d.%m.%Y")
            cells.append(value)
        writer.writerow(cells)
    return "\ufeff" + out.getvalue()


def example_xlsx() -> bytes:
    """The example measure list as an Excel workbook: the rows on the first sheet, the column guide on the second."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
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
        guide.append([name, "ja" if required else "nein", description, ", ".join(_ALIASES[name])])
    for index, width in enumerate((16, 8, 100, 40), start=1):
        guide.cell(row=1, column=index).font = bold
        guide.column_dimensions[get_column_letter(index)].width = width

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
