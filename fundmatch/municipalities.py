"""Client municipalities, their digital strategies and measures: validated create, edit, delete, import.

Form input arrives as plain strings (web forms, API JSON) and is read by :class:`fundmatch.forms.Form`;
every problem is collected per field so the page can show them all at once, and nothing is saved until
all is valid.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fundmatch import vocab
from fundmatch.errors import InputError
from fundmatch.forms import Form
from fundmatch.interchange import MeasureSpec
from fundmatch.models import Measure, Municipality, Strategy

logger = logging.getLogger(__name__)


# ---- municipalities ----------------------------------------------------------------------------


def list_municipalities(session: Session) -> list[Municipality]:
    return list(
        session.scalars(select(Municipality).order_by(Municipality.name).options(selectinload(Municipality.strategies)))
    )


def save_municipality(session: Session, data: Mapping, municipality: Municipality | None = None) -> Municipality:
    form = Form(data)
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
    form = Form(data)
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
    form = Form(data)
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
