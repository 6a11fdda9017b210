"""The building blocks of every declared shape: field types with their limits, and German error texts.

fundmatch declares each data shape once as a pydantic model (the program record, the interchange
documents, the API bodies); the models are built from the field types here, so a limit or a code
list is written in one place and reaches validation and the JSON schema alike. :func:`describe`
turns pydantic's errors into the sentence a consultant reads: what is wrong, in which record and
which field, never pydantic's raw ``loc`` tuples.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic_core import PydanticCustomError, core_schema

from fundmatch import vocab
from fundmatch.german import MAX_AMOUNT_EUR, MAX_INTEGER, format_number

MAX_SHORT_TEXT = 2_000
MAX_POPULATION = MAX_INTEGER
MAX_URL = 1_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_control(text: str, replacement: str = "") -> str:
    """Text without C0/C1 control characters except tab and line breaks: a NUL byte is refused by
    PostgreSQL, a raw \\x02 breaks strict XML (DOCX, XLSX) and neither means anything in a text."""
    return _CONTROL.sub(replacement, text)


_HTTP_URL = re.compile(r"https?://\S+")


def _fail(kind: str, message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, context)


def _thousands(number: int) -> str:
    return format_number(number, grouping=True)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


class _Rule(ABC):
    """A field rule used as ``Annotated`` metadata: it validates the value and writes its JSON schema.

    The rules replace pydantic's coercions (no "5" for 5, no 1700000000 for a date) with the checks
    and German messages of fundmatch's formats."""

    @abstractmethod
    def check(self, value: Any) -> Any:
        """The value as the model keeps it, or a ``PydanticCustomError`` in German."""

    @abstractmethod
    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the values ``check`` accepts."""

    def __get_pydantic_core_schema__(self, _source: Any, _handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)

    def __get_pydantic_json_schema__(self, _schema: Any, _handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return self.json_schema()


def _nullable(schema: dict[str, Any], nullable: bool) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]} if nullable else schema


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _fail("text_type", "muss ein Text sein, nicht {shown}", shown=_shown(value))
    return strip_control(value)


def _too_long(text: str, limit: int, what: str = "ist") -> PydanticCustomError:
    return _fail(
        "text_too_long",
        what + " {length} Zeichen lang, erlaubt sind höchstens {limit}",
        length=_thousands(len(text)),
        limit=_thousands(limit),
    )


@dataclass(frozen=True)
class Text(_Rule):
    """A string without control characters, at most ``limit`` long; ``single_line`` folds white space;
    ``nullable`` admits null (and only then)."""

    limit: int = MAX_SHORT_TEXT
    single_line: bool = False
    required: bool = False
    strip: bool = False
    nullable: bool = False

    def check(self, value: Any) -> str | None:
        if value is None and self.nullable:
            return None
        text = _string(value)
        if self.single_line:
            text = " ".join(text.split())
        elif self.strip:
            text = text.strip()
        if self.required and not text.strip():
            raise _fail("text_empty", "darf nicht leer sein")
        if len(text) > self.limit:
            raise _too_long(text, self.limit)
        return text

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": self.limit}
        if self.required:
            schema["minLength"] = 1
        return _nullable(schema, self.nullable)


def is_http_url(text: str) -> bool:
    """Whether a text is an http(s) address fundmatch may show as a link."""
    return bool(_HTTP_URL.fullmatch(text.strip())) and len(text) <= MAX_URL


def _http_url(value: Any) -> str:
    text = _string(value).strip()
    if not _HTTP_URL.fullmatch(text) or len(text) > MAX_URL:
        raise _fail("url", "muss eine http(s)-Adresse sein, nicht {shown}", shown=_shown(value))
    return text


@dataclass(frozen=True)
class Url(_Rule):
    """An http(s) address (never ``javascript:`` or ``file:``)."""

    def check(self, value: Any) -> str:
        return _http_url(value)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "uri", "maxLength": MAX_URL, "pattern": "^https?://"}


@dataclass(frozen=True)
class TextList(_Rule):
    """A list of short texts, each stripped, empty ones dropped; null is the empty list."""

    limit: int = MAX_SHORT_TEXT
    urls: bool = False

    def check(self, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _fail("text_list", "muss eine Liste von Texten sein")
        for item in value:
            if len(item) > self.limit:
                raise _too_long(item, self.limit, "ein Eintrag ist")
        items = [strip_control(item).strip() for item in value if item.strip()]
        return [_http_url(item) for item in items] if self.urls else items

    def json_schema(self) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "string", "maxLength": self.limit}
        if self.urls:
            item = {"type": "string", "format": "uri", "pattern": "^https?://"}
        return _nullable({"type": "array", "items": item}, True)


# ---- codes of the vocabularies ------------------------------------------------------------------


def _codes_of(vocabulary: vocab.Vocabulary | Sequence[str]) -> list[str]:
    return vocabulary.codes if isinstance(vocabulary, vocab.Vocabulary) else list(vocabulary)


def _unknown_code(value: Any, codes: Sequence[str]) -> PydanticCustomError:
    return _fail("code", "unbekannter Code {shown}; gültig sind: {valid}", shown=_shown(value), valid=", ".join(codes))


@dataclass(frozen=True, init=False)
class Code(_Rule):
    """One code of a vocabulary; ``default`` stands in for null, ``nullable`` keeps null, and with
    ``blank`` an empty text means null too (a filter form's "alle")."""

    codes: tuple[str, ...]
    default: str | None
    nullable: bool
    blank: bool

    def __init__(
        self,
        vocabulary: vocab.Vocabulary | Sequence[str],
        *,
        default: str | None = None,
        nullable: bool = False,
        blank: bool = False,
    ) -> None:
        object.__setattr__(self, "codes", tuple(_codes_of(vocabulary)))
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "nullable", nullable or blank)
        object.__setattr__(self, "blank", blank)

    def check(self, value: Any) -> str | None:
        if (value is None or (self.blank and value == "")) and (self.default is not None or self.nullable):
            return self.default
        if not isinstance(value, str) or value not in self.codes:
            raise _unknown_code(value, self.codes)
        return value

    def json_schema(self) -> dict[str, Any]:
        codes = ["", *self.codes] if self.blank else list(self.codes)
        return _nullable({"type": "string", "enum": codes}, self.default is not None or self.nullable)


@dataclass(frozen=True, init=False)
class Codes(_Rule):
    """A list of codes of a vocabulary; null is the empty list unless a code is ``required``."""

    codes: tuple[str, ...]
    required: bool

    def __init__(self, vocabulary: vocab.Vocabulary | Sequence[str], *, required: bool = False) -> None:
        object.__setattr__(self, "codes", tuple(_codes_of(vocabulary)))
        object.__setattr__(self, "required", required)

    def check(self, value: Any) -> list[str]:
        if value is None and not self.required:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _fail("code_list", "muss eine Liste von Codes sein")
        if self.required and not value:
            raise _fail(
                "code_list_empty", "braucht mindestens einen Code; gültig sind: {valid}", valid=", ".join(self.codes)
            )
        for code in value:
            if code not in self.codes:
                raise _unknown_code(code, self.codes)
        return list(value)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": {"type": "string", "enum": list(self.codes)}}
        if self.required:
            return schema | {"minItems": 1}
        return _nullable(schema, True)


@dataclass(frozen=True)
class Label(_Rule):
    """A code or German label of a vocabulary (any spelling :func:`vocab.fold` knows) → its code.

    What people type (a Handlungsfeld "Verwaltung & Bürgerservice", a Land "by") is read here;
    codes alone are :class:`Code`."""

    vocabulary: vocab.Vocabulary
    what: str
    nullable: bool = True

    def check(self, value: Any) -> str | None:
        if value is None and self.nullable:
            return None
        code = self.vocabulary.lookup(value) if isinstance(value, str) else None
        if code is None:
            raise _fail(
                "label",
                "unbekannt: {what} {shown}; gültig sind: {valid}",
                what=self.what,
                shown=_shown(value),
                valid=", ".join(self.vocabulary.labels.values()),
            )
        return code

    def json_schema(self) -> dict[str, Any]:
        schema = {"type": "string", "examples": list(self.vocabulary.labels.values())[:3]}
        return _nullable(schema, self.nullable)


@dataclass(frozen=True)
class Land(_Rule):
    """A Bundesland as its ISO code, in any case (``by`` → ``BY``)."""

    def check(self, value: Any) -> str:
        code = value.strip().upper() if isinstance(value, str) else None
        if code not in vocab.LAND_BY_CODE:
            raise _fail(
                "land",
                "unbekanntes Land {shown}; gültig sind: {valid}",
                shown=_shown(value),
                valid=vocab.valid_land_codes(),
            )
        return code

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(vocab.LAND_BY_CODE)}


# ---- numbers, flags and dates ---------------------------------------------------------------------


@dataclass(frozen=True)
class Number(_Rule):
    """A finite number within bounds, or null; never a string or a boolean."""

    low: float
    high: float
    integer: bool = False

    def check(self, value: Any) -> float | int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail("number_type", "muss eine Zahl sein, nicht {shown}", shown=_shown(value))
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail("number_finite", "muss eine endliche Zahl sein, nicht {shown}", shown=_shown(value))
        if self.integer and not float(value).is_integer():
            raise _fail("number_integer", "muss eine ganze Zahl sein, nicht {shown}", shown=_shown(value))
        if not self.low <= value <= self.high:
            raise _fail(
                "number_range",
                "muss zwischen {low} und {high} liegen, nicht {shown}",
                low=f"{self.low:g}",
                high=f"{self.high:g}",
                shown=_shown(value),
            )
        return int(value) if self.integer else float(value)

    def json_schema(self) -> dict[str, Any]:
        kind = "integer" if self.integer else "number"
        return _nullable({"type": kind, "minimum": self.low, "maximum": self.high}, True)


@dataclass(frozen=True)
class Flag(_Rule):
    """true, false, or null where ``nullable``."""

    nullable: bool = True

    def check(self, value: Any) -> bool | None:
        if isinstance(value, bool) or (value is None and self.nullable):
            return value
        raise _fail("flag", "muss true oder false sein, nicht {shown}", shown=_shown(value))

    def json_schema(self) -> dict[str, Any]:
        return _nullable({"type": "boolean"}, self.nullable)


@dataclass(frozen=True)
class IsoDate(_Rule):
    """A date written YYYY-MM-DD (JSON) or a ``date``; null only where not ``required``."""

    required: bool = False

    def check(self, value: Any) -> date | None:
        if value is None and not self.required:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        if value is None:
            raise _fail("missing", "fehlt (Pflichtfeld)")
        raise _fail("date", "muss ein Datum JJJJ-MM-TT sein, nicht {shown}", shown=_shown(value))

    def json_schema(self) -> dict[str, Any]:
        return _nullable({"type": "string", "format": "date"}, not self.required)


@dataclass(frozen=True)
class Timestamp(_Rule):
    """An ISO timestamp; one without a zone is taken as UTC."""

    def check(self, value: Any) -> datetime | None:
        if value is None:
            return None
        parsed = value if isinstance(value, datetime) else None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None:
            raise _fail("timestamp", "muss ein ISO-Zeitstempel sein, nicht {shown}", shown=_shown(value))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def json_schema(self) -> dict[str, Any]:
        return _nullable({"type": "string", "format": "date-time"}, True)


Amount = Annotated[float | None, Number(0, MAX_AMOUNT_EUR)]
"""Euros: finite, not negative, at most :data:`MAX_AMOUNT_EUR`."""
Rate = Annotated[float | None, Number(0, 100)]
"""A funding rate in percent."""
OptionalText = Annotated[str | None, Text(nullable=True)]
"""A short text or null."""


def invalid(kind: str, message: str, **context: Any) -> PydanticCustomError:
    """An error for a model validator (cross-field checks), in the same German as the field rules."""
    return _fail(kind, message, **context)


# ---- German error texts ---------------------------------------------------------------------------

_BUILTIN = {
    "missing": "fehlt (Pflichtfeld)",
    "model_type": "muss ein Objekt sein",
    "dict_type": "muss ein Objekt sein",
    "model_attributes_type": "muss ein Objekt sein",
    "list_type": "muss eine Liste sein",
    "string_type": "muss ein Text sein",
    "literal_error": "muss einer dieser Werte sein: {expected}",
    "int_type": "muss eine ganze Zahl sein",
    "int_parsing": "muss eine ganze Zahl sein",
    "int_from_float": "muss eine ganze Zahl sein",
    "bool_type": "muss true oder false sein",
    "bool_parsing": "muss true oder false sein",
    "greater_than_equal": "muss mindestens {ge} sein",
    "less_than_equal": "darf höchstens {le} sein",
    "extra_forbidden": "unbekanntes Feld",
}


def field_path(loc: Sequence[int | str]) -> str:
    """``('deadlines', 0, 'date')`` → ``deadlines[0].date``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _message(problem: Any) -> str:
    """One pydantic problem as German text: fundmatch's own rules say it already, built-ins are translated."""
    template = _BUILTIN.get(problem["type"])
    if template is None:
        return str(problem["msg"])
    return template.format(**problem.get("ctx", {}))


def field_messages(error: ValidationError) -> dict[str, str]:
    """Field → German message for every problem (the first per field), as forms and the API show them."""
    messages: dict[str, str] = {}
    for problem in error.errors(include_url=False):
        messages.setdefault(field_path(problem["loc"]) or "body", _message(problem))
    return messages


def describe(error: ValidationError) -> str:
    """The first problem of a validation error as German text, ``Feld 'x': …``, as files are read.

    Unknown fields are reported first and together, as one finds them in a file."""
    problems = error.errors(include_url=False)
    extras = [p for p in problems if p["type"] == "extra_forbidden"]
    if extras:
        parent = tuple(extras[0]["loc"][:-1])
        names = sorted(str(p["loc"][-1]) for p in extras if tuple(p["loc"][:-1]) == parent)
        where = f"Feld {field_path(parent)!r}: " if parent else ""
        return f"{where}unbekannte Felder {names}"
    first = problems[0]
    text = _message(first)
    return f"Feld {field_path(first['loc'])!r}: {text}" if first["loc"] else text
