"""Curated programs (kuratierte Einträge): what a consultancy keeps by hand because no source has it.

About a third of the Länder's programs are not in the Förderdatenbank. Admins create and edit them in
the web UI; every save goes through :func:`fundmatch.catalogue.apply_records`, so an edit is a
revision like a scraped change, and curated programs are exported and imported with the catalogue.
Each carries the date its facts were confirmed (``facts_as_of``) and when to check them again
(``review_due``); the dashboard lists those that are due.

The form's text areas take one item per line: deadlines as ``31.03.2027; Stichtag; Notiz`` (kind and
note optional, ``jährlich`` for a yearly date), documents as ``Titel | https://… | Richtlinie``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fundmatch import catalogue, german, vocab
from fundmatch.forms import Form, FormErrors
from fundmatch.models import Program
from fundmatch.scrapers.records import MANUAL_SOURCE, Deadline, ProgramDocument, ProgramRecord
from fundmatch.shapes import field_messages

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(title: str) -> str:
    """A stable id part from a title: "Digitale Dörfer Hessen" → "digitale-doerfer-hessen"."""
    words = [vocab.fold(word) for word in title.split()]
    return _SLUG.sub("-", "-".join(w for w in words if w))[:80].strip("-") or "programm"


def new_source_id(level: str | None, regions: list[str], title: str) -> str:
    """``land/by/<slug>``, ``bund/<slug>``, ``eu/<slug>``: the pattern of the seed's ids."""
    head = level or "programm"
    if level == "land" and regions:
        head = f"land/{regions[0].lower()}"
    return f"{head}/{slug(title)}"


def _deadlines(form: Form) -> list[Deadline]:
    found = []
    for number, line in enumerate(form.lines("deadlines"), start=1):
        parts = [part.strip() for part in line.split(";")]
        try:
            day = german.parse_date(parts[0])
        except german.GermanValueError as exc:
            form.errors["deadlines"] = f"Zeile {number}: {exc}"
            continue
        kind, note, recurrence = "submission", None, None
        for part in parts[1:]:
            if vocab.RECURRENCE.lookup(part):
                recurrence = vocab.RECURRENCE.lookup(part)
            elif vocab.DEADLINE_KIND.lookup(part):
                kind = vocab.DEADLINE_KIND.lookup(part) or kind
            elif part:
                note = part
        found.append(Deadline(date=day, kind=kind, note=note, recurrence=recurrence))
    return found


def _documents(form: Form) -> list[ProgramDocument]:
    found = []
    for number, line in enumerate(form.lines("documents"), start=1):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) < 2:
            form.errors["documents"] = f"Zeile {number}: erwartet „Titel | https://… | Art“"
            continue
        kind = vocab.DOCUMENT_KIND.lookup(parts[2]) if len(parts) > 2 and parts[2] else "sonstiges"
        try:
            found.append(ProgramDocument(title=parts[0], url=parts[1], kind=kind or "sonstiges"))
        except ValidationError as exc:
            form.errors["documents"] = f"Zeile {number}: {'; '.join(field_messages(exc).values())}"
    return found


def read_form(data: Mapping, existing: Program | None = None) -> ProgramRecord:
    """The curated record a form describes; every problem as a German message per field."""
    form = Form(data)
    title = form.text("title", required=True, limit=1_000)
    level = form.code("level", vocab.LEVEL)
    regions = form.codes("regions", vocab.REGION)
    values: dict[str, Any] = dict(
        title=title,
        summary=form.text("summary", limit=20_000),
        description=form.text("description", limit=500_000),
        url=form.text("url", required=True, limit=1_000),
        level=level,
        regions=regions,
        funding_types=form.codes("funding_types", vocab.FUNDING_TYPE),
        applicant_types=form.codes("applicant_types", vocab.APPLICANT_TYPE),
        topics=form.codes("topics", vocab.TOPIC),
        funder=form.text("funder", limit=1_000),
        funding_rate_min=form.percent("funding_rate_min"),
        funding_rate_max=form.percent("funding_rate_max"),
        amount_min_eur=form.number("amount_min_eur"),
        amount_max_eur=form.number("amount_max_eur"),
        deadlines=_deadlines(form),
        rolling=form.flag("rolling"),
        status=form.code("status", vocab.STATUS, default="open"),
        status_note=form.text("status_note", limit=1_000),
        legal_basis=form.text("legal_basis", limit=50_000),
        documents=_documents(form),
        facts_as_of=form.day("facts_as_of"),
        review_due=form.day("review_due"),
        same_as=form.lines("same_as"),
        parent=form.text("parent", limit=600),
    )
    if existing is not None:
        kept = catalogue.record_from_program(existing)
        values |= {"contacts": kept.contacts, "rate_conditions": kept.rate_conditions, "links": kept.links}
        values |= {"keywords": kept.keywords, "subtopics": kept.subtopics, "source_updated": kept.source_updated}
    form.done()
    source_id = existing.source_id if existing else new_source_id(level, regions, title or "")
    try:
        return ProgramRecord(source=MANUAL_SOURCE, source_id=source_id, **values)
    except ValidationError as exc:
        raise FormErrors(field_messages(exc)) from None


def save(session: Session, data: Mapping, existing: Program | None = None) -> Program:
    """Create or edit a curated program; the edit is kept as a revision."""
    if existing is not None and existing.source != MANUAL_SOURCE:
        raise FormErrors({"source": "nur kuratierte Einträge lassen sich hier bearbeiten"})
    record = read_form(data, existing)
    if existing is None and catalogue.get_program(session, MANUAL_SOURCE, record.source_id) is not None:
        raise FormErrors({"title": f"einen kuratierten Eintrag {record.source_id!r} gibt es schon"})
    catalogue.apply_records(session, [record])
    program = catalogue.get_program(session, MANUAL_SOURCE, record.source_id)
    assert program is not None  # just written
    return program


def due_for_review(session: Session, today: date | None = None) -> list[Program]:
    """Curated programs whose review date has come, oldest first (withdrawn ones need none)."""
    today = today or date.today()
    return list(
        session.scalars(
            select(Program)
            .where(Program.source == MANUAL_SOURCE, Program.review_due <= today, Program.status != "withdrawn")
            .order_by(Program.review_due, Program.title)
        )
    )


def form_values(program: Program) -> dict[str, object]:
    """A stored curated program as the form shows it (German numbers and dates, one item per line)."""
    record = catalogue.record_from_program(program)

    def number(value: float | None) -> str:
        return german.format_number(value) if value is not None else ""

    return {
        **{name: getattr(record, name) or "" for name in ("title", "summary", "description", "url", "funder")},
        **{name: getattr(record, name) or "" for name in ("status_note", "legal_basis", "parent")},
        "level": record.level,
        "status": record.status,
        "rolling": record.rolling,
        "regions": record.regions,
        "funding_types": record.funding_types,
        "applicant_types": record.applicant_types,
        "topics": record.topics,
        "funding_rate_min": number(record.funding_rate_min),
        "funding_rate_max": number(record.funding_rate_max),
        "amount_min_eur": german.format_amount(record.amount_min_eur, unit=False) if record.amount_min_eur else "",
        "amount_max_eur": german.format_amount(record.amount_max_eur, unit=False) if record.amount_max_eur else "",
        "deadlines": "\n".join(
            "; ".join(
                filter(
                    None,
                    [
                        german.format_date(d.date),
                        vocab.DEADLINE_KIND.label(d.kind),
                        vocab.RECURRENCE.label(d.recurrence) if d.recurrence else None,
                        d.note,
                    ],
                )
            )
            for d in record.deadlines
        ),
        "documents": "\n".join(f"{d.title} | {d.url} | {vocab.DOCUMENT_KIND.label(d.kind)}" for d in record.documents),
        "facts_as_of": german.format_date(record.facts_as_of) if record.facts_as_of else "",
        "review_due": german.format_date(record.review_due) if record.review_due else "",
        "same_as": "\n".join(record.same_as),
    }
