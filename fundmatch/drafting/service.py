"""Drafts as a service: gather the facts of a stored or a file measure, pick the template, render."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from fundmatch import catalogue, vocab
from fundmatch.config import Settings
from fundmatch.drafting.context import DraftInput, MunicipalityInfo
from fundmatch.drafting.render import available_templates, choose_template, render
from fundmatch.errors import InputError
from fundmatch.interchange import MeasureSpec
from fundmatch.models import Measure
from fundmatch.municipalities import measure_spec
from fundmatch.scrapers.records import parse_program_key


class DraftError(InputError):
    """A draft that cannot be made: unknown measure or program."""


def _program(session: Session, program_key: str):
    source, source_id = parse_program_key(program_key)
    program = catalogue.get_program(session, source, source_id)
    if program is None:
        raise DraftError(f"Programm {program_key!r} gibt es im Katalog nicht")
    return catalogue.record_from_program(program)


def input_for_stored_measure(session: Session, measure_id: int, program_key: str) -> DraftInput:
    measure = session.get(Measure, measure_id)
    if measure is None:
        raise DraftError(f"Maßnahme {measure_id} gibt es nicht")
    municipality = measure.strategy.municipality
    return DraftInput(
        measure=measure_spec(measure),
        program=_program(session, program_key),
        municipality=MunicipalityInfo(
            name=municipality.name,
            land=municipality.land,
            ags=municipality.ags,
            kind=municipality.kind,
            population=municipality.population,
            financially_weak=municipality.financially_weak,
            contact_name=municipality.contact_name,
            contact_email=municipality.contact_email,
            contact_phone=municipality.contact_phone,
            address=municipality.address,
        ),
    )


def input_for_measure_spec(session: Session, spec: MeasureSpec, program_key: str) -> DraftInput:
    return DraftInput(measure=spec, program=_program(session, program_key))


def make_draft(
    draft: DraftInput, settings: Settings, template: str | None = None, today: date | None = None
) -> tuple[str, bytes]:
    """The rendered DOCX and a file name for it (template chosen from the program unless named)."""
    info = choose_template(draft.program.level, template, available_templates(settings))
    slug = "-".join(vocab.fold_words(draft.measure.title))[:50].strip("-") or "massnahme"
    return f"{info.name}-{slug}.docx", render(draft, info, today)
