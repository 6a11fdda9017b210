"""Client municipalities, their digital strategies and measures: validated create, edit, delete, import.

Form input arrives as plain strings (web forms, API JSON); every problem is collected per field in a
:class:`FormErrors` so the page can show them all at once, and nothing is saved until all is valid.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fundmatch import german, vocab
from fundmatch.errors import InputError
from fundmatch.interchange import MeasureSpec
from fundmatch.models import Measure, Municipality, Strategy
from fundmatch.shapes import strip_control

logger = logging.getLogger(__name__)


class FormErrors(InputError):
    """Field → message for everything wrong with one form."""

    http_status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class _Form:
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

    def number(self, name: str, *, integer: bool = False) -> float | None:
        """An amount in euros as :func:`german.parse_amount` reads it, or with ``integer`` a count (population)."""
        raw = self._raw(name, str, int, float)  # one of these types or None
        if not isinstance(raw, str | int | float) or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            return german.parse_integer(raw) if integer else german.parse_amount(raw)
        except german.GermanValueError as exc:
            self.errors[name] = str(exc)
            return None

    def day(self, name: str) -> date | None:
        """A date as :func:`german.parse_date` reads it, so the form accepts what the measure import accepts."""
        raw = self._raw(name, str)  # a str or None
        if not isinstance(raw, str) or not raw.strip():
            return None
        try:
            return german.parse_date(raw)
        except german.GermanValueError as exc:
            self.errors[name] = str(exc)
            return None

    def flag(self, name: str) -> bool:
        return str(self._raw(name, str, bool) or "").lower() in ("1", "true", "on", "ja", "yes")

    def done(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


# ---- municipalities ----------------------------------------------------------------------------


def list_municipalities(session: Session) -> list[Municipality]:
    return list(
        session.scalars(select(Municipality).order_by(Municipality.name).options(selectinload(Municipality.strategies)))
    )


def save_municipality(session: Session, data: Mapping, municipality: Municipality | None = None) -> Municipality:
    form = _Form(data)
    name = form.text("name", required=True, limit=200)
    land = form.code("land", vocab.REGION)
    if land in (vocab.NATIONWIDE, vocab.EU_WIDE):
        form.errors["land"] = "ein Bundesland wählen"
    ags = form.text("ags", limit=8)
    if ags:
        try:
            ags_land = vocab.land_for_ags(ags).code
        except InputError as exc:
            form.errors["ags"] = str(exc)
        else:
            if land and ags_land != land:
                form.errors["ags"] = (
                    f"gehört zu {vocab.LAND_BY_CODE[ags_land].name}, nicht zu {vocab.REGION.label(land)}"
                )
            land = land or ags_land
        duplicate = session.scalar(select(Municipality).where(Municipality.ags == ags))
        if duplicate is not None and duplicate is not municipality:
            form.errors["ags"] = f"gehört schon zu {duplicate.name}"
    if not land and "land" not in form.errors:
        form.errors["land"] = "Pflichtfeld"
    values = dict(
        name=name,
        land=land,
        ags=ags,
        kind=form.code("kind", vocab.MUNICIPALITY_TYPE, default="gemeinde"),
        population=form.number("population", integer=True),
        financially_weak=form.flag("financially_weak"),
        contact_name=form.text("contact_name", limit=200),
        contact_email=form.text("contact_email", limit=200),
        contact_phone=form.text("contact_phone", limit=64),
        address=form.text("address", limit=1000),
    )
    email = values["contact_email"]
    if isinstance(email, str) and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        form.errors["contact_email"] = "keine gültige E-Mail-Adresse"
    form.done()
    values["population"] = int(values["population"]) if values["population"] is not None else None
    municipality = municipality or Municipality()
    for key, value in values.items():
        setattr(municipality, key, value)
    session.add(municipality)
    session.flush()
    return municipality


# ---- strategies --------------------------------------------------------------------------------


def save_strategy(
    session: Session, municipality: Municipality, data: Mapping, strategy: Strategy | None = None
) -> Strategy:
    form = _Form(data)
    title = form.text("title", required=True)
    fields = data.getlist("handlungsfelder") if hasattr(data, "getlist") else data.get("handlungsfelder") or []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        form.errors["handlungsfelder"] = "Liste von Texten erwartet"
        fields = []
    handlungsfelder = []
    for raw in fields:
        code = vocab.HANDLUNGSFELD.lookup(raw)
        if code is None:
            form.errors["handlungsfelder"] = f"unbekannt: {raw!r}"
        elif code not in handlungsfelder:
            handlungsfelder.append(code)
    goals_text = form.text("goals", limit=10_000) or ""
    form.done()
    assert title is not None  # required: form.done() raised if it was missing
    strategy = strategy or Strategy(municipality=municipality)
    strategy.title = title
    strategy.handlungsfelder = handlungsfelder
    strategy.goals = [line.strip() for line in goals_text.splitlines() if line.strip()]
    session.add(strategy)
    session.flush()
    return strategy


# ---- measures ----------------------------------------------------------------------------------


def save_measure(session: Session, strategy: Strategy, data: Mapping, measure: Measure | None = None) -> Measure:
    form = _Form(data)
    values = dict(
        title=form.text("title", required=True),
        description=form.text("description", limit=20_000),
        handlungsfeld=form.code("handlungsfeld", vocab.HANDLUNGSFELD),
        applicant_type=form.code("applicant_type", vocab.APPLICANT_TYPE, default="kommune"),
        cost_eur=form.number("cost_eur"),
        planned_start=form.day("planned_start"),
        time_horizon=form.code("time_horizon", vocab.TIME_HORIZON),
        goal=form.text("goal", limit=2000),
        external_id=form.text("external_id", limit=100),
    )
    form.done()
    land = strategy.municipality.land
    if measure is None:
        measure = Measure(strategy=strategy, land=land)
        session.add(measure)
    measure.land = land
    for key, value in values.items():
        setattr(measure, key, value)
    session.flush()
    return measure


def measure_spec(measure: Measure) -> MeasureSpec:
    """A stored measure as the matcher and the drafts see it (checked like a file's measure, so a value
    an older version let through is a clear error, not a crash further on)."""
    values = {
        "id": str(measure.id),
        "title": measure.title,
        "land": measure.land,
        "description": measure.description or "",
        "applicant_type": measure.applicant_type,
        "handlungsfeld": measure.handlungsfeld,
        "cost_eur": measure.cost_eur,
        "start": measure.planned_start,
        "municipality_type": measure.strategy.municipality.kind,
        "time_horizon": measure.time_horizon,
        "goal": measure.goal,
    }
    return MeasureSpec.from_dict(values, f"Gespeicherte Maßnahme {measure.id} „{measure.title}“")


def all_measures(session: Session) -> list[Measure]:
    return list(
        session.scalars(select(Measure).options(selectinload(Measure.strategy).selectinload(Strategy.municipality)))
    )


def import_measures(session: Session, strategy: Strategy, rows: list) -> list[Measure]:
    """Store the rows of a checked measure table (``measure_import.MeasureTable.rows``) in one go."""
    created = []
    land = strategy.municipality.land
    for row in rows:
        measure = Measure(
            strategy=strategy,
            title=row.title,
            description=row.description or None,
            handlungsfeld=row.handlungsfeld,
            land=land,
            applicant_type=row.applicant_type,
            cost_eur=row.cost_eur,
            planned_start=row.start,
            time_horizon=row.time_horizon,
            goal=row.goal,
            external_id=row.external_id,
        )
        session.add(measure)
        created.append(measure)
    session.flush()
    logger.info(
        "%s Maßnahmen in Strategie %s importiert", len(created), strategy.id, extra={"strategy_id": strategy.id}
    )
    return created
