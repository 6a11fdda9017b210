"""Reading a measure list file: check type and size, decode CSV or unpack XLSX, yield rows of cells.

Everything that makes the file as a whole unusable raises :class:`MeasureImportError` naming the file
and, where it can, what the file is instead (a PDF, an old .xls, binary data).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from fundmatch.errors import InputError
from fundmatch.german import format_number

MAX_BYTES = 2_000_000
# An XLSX is a ZIP: 2 MB compressed can unpack to gigabytes of XML. Real measure lists stay far below.
MAX_XLSX_UNPACKED = 100_000_000

_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CSV_DELIMITERS = (";", "\t", ",")  # order breaks ties: German Excel writes ";"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "ein PDF-Dokument"),
    (b"PK\x03\x04", "ein ZIP-Archiv (z. B. ein Word- oder OpenDocument-Dokument)"),
    (b"\xd0\xcf\x11\xe0", "eine Datei im alten Excel-Format (.xls) oder eine passwortgeschützte Excel-Datei"),
    (b"\x89PNG", "ein Bild"),
    (b"\xff\xd8\xff", "ein Bild"),
    (b"GIF8", "ein Bild"),
)

Rows = Iterator[tuple[int, list[Any]]]
"""(spreadsheet row number, cells) for every row of the file, empty ones included."""


class MeasureImportError(InputError):
    """A file that cannot be read as a measure list at all; the message names the file and the reason."""


def read_rows(data: bytes, filename: str) -> Rows:
    """The rows of a CSV or XLSX file (by file name and content), after the checks on the whole file."""
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
        return _xlsx_rows(data, filename)
    return _csv_rows(_decode_csv(data, filename), filename)


def _megabytes(size: int) -> str:
    return f"{format_number(size / 1e6, decimals=1, grouping=True)} MB"


# --- file type ----------------------------------------------------------------------------------


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
            f'Die Datei "{filename}" ist keine CSV-Datei (Textdatei): sie enthält '
            f"{format_number(controls, grouping=True)} Steuerzeichen."
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


# --- rows of cells ------------------------------------------------------------------------------


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


def _csv_rows(text: str, filename: str) -> Rows:
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


def _xlsx_rows(data: bytes, filename: str) -> Rows:
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
