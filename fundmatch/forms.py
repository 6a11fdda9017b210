"""The one reader of form input (web forms and API JSON): plain strings in, typed values out.

Every problem is collected per field in a :class:`FormErrors`, so a page shows them all at once and
nothing is saved until all is valid. Numbers and dates are read by :mod:`fundmatch.german`, as the
measure import reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TypeVar

from fundmatch import german, vocab
from fundmatch.errors import InputError
from fundmatch.shapes import strip_control

T = TypeVar("T")


class FormErrors(InputError):
    """Field → message for everything wrong with one form."""

    http_status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class Form:
    """Reads one form's values the German way (amounts, dates), collecting an error per field."""

    def __init__(self, data: Mapping):
        self.data = data
        self.errors: dict[str, str] = {}

    def _raw(self, name: str, *types: type) -> object:
        """The value if it has an accepted type (JSON may send anything); else an error and None."""
        value = self.data.get(name)
        if value is None or (
            (isinstance(value, types) and not isinstance(value, bool)) or (bool in types and isinstance(value, bool))
        ):
            return value
        self.errors[name] = "falscher Typ"
        return None

    def text(self, name: str, *, required: bool = False, limit: int = 300) -> str | None:
        value = strip_control(str(self._raw(name, str) or "")).strip()
        if required and not value:
            self.errors[name] = "Pflichtfeld"
        elif len(value) > limit:
            self.errors[name] = f"höchstens {german.format_number(limit, grouping=True)} Zeichen"
        return value or None

    def code(self, name: str, vocabulary: vocab.Vocabulary, *, default: str | None = None) -> str | None:
        raw = str(self._raw(name, str) or "").strip()
        if not raw:
            return default
        code = vocabulary.lookup(raw)
        if code is None:
            self.errors[name] = f"unbekannt: {raw!r}"
        return code

    def _german(self, name: str, read: Callable[[str | int | float], T], *types: type) -> T | None:
        """A value read by :mod:`fundmatch.german`; empty is None, a refusal is the field's error."""
        raw = self._raw(name, *types)  # one of these types or None
        if not isinstance(raw, str | int | float) or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            return read(raw)
        except german.GermanValueError as exc:
            self.errors[name] = str(exc)
            return None

    def number(self, name: str, *, integer: bool = False) -> float | None:
        """An amount in euros as :func:`german.parse_amount` reads it, or with ``integer`` a count (population)."""
        return self._german(name, german.parse_integer if integer else german.parse_amount, str, int, float)

    def percent(self, name: str) -> float | None:
        """A percentage as :func:`german.parse_percent` reads it ("80 %", "80,5")."""
        return self._german(name, german.parse_percent, str, int, float)

    def codes(self, name: str, vocabulary: vocab.Vocabulary) -> list[str]:
        """Several codes: a multiple choice of a web form, or a list or comma-separated text from JSON."""
        getlist = getattr(self.data, "getlist", None)
        raw = getlist(name) if getlist else self.data.get(name)
        values = raw if isinstance(raw, list) else str(raw or "").split(",")
        codes = []
        for value in (str(v).strip() for v in values):
            code = vocabulary.lookup(value) if value else None
            if value and code is None:
                self.errors[name] = f"unbekannt: {value!r}"
            elif code and code not in codes:
                codes.append(code)
        return codes

    def lines(self, name: str, *, limit: int = 20_000) -> list[str]:
        """The non-empty lines of a text area (one deadline, document or key per line)."""
        text = self.text(name, limit=limit) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def day(self, name: str) -> date | None:
        """A date as :func:`german.parse_date` reads it, so the form accepts what the measure import accepts."""
        return self._german(name, german.parse_date, str)

    def flag(self, name: str) -> bool:
        return str(self._raw(name, str, bool) or "").lower() in ("1", "true", "on", "ja", "yes")

    def done(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)
