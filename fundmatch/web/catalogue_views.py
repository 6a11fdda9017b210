"""Katalog: search with facets, sorting and pages; a program page with history and attribution."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from fundmatch import catalogue, curation, identity, instrument
from fundmatch.errors import InputError
from fundmatch.forms import FormErrors
from fundmatch.matching.ranker import EmptyCatalogueError, MeasureTextError
from fundmatch.matching.service import search_relevance
from fundmatch.models import Program
from fundmatch.scrapers import source_modules
from fundmatch.scrapers.records import MANUAL_SOURCE, parse_program_key
from fundmatch.web import get_session
from fundmatch.web.operations import query
from fundmatch.web.schemas import CatalogueQuery
from fundmatch.web.security import role_required, signed_in_user

bp = Blueprint("catalogue", __name__, url_prefix="/katalog")
PAGE_SIZE = 25
FACETS = ("level", "land", "applicant_type", "funding_type", "topic", "status")


def program_filter(search: CatalogueQuery, **overrides) -> catalogue.ProgramFilter:
    values = {name: getattr(search, name) for name in FACETS}
    values.update(overrides)
    return catalogue.ProgramFilter(**values)


def search_page(session, settings, search: CatalogueQuery) -> dict:
    """The search as data: used by the page and by the JSON API. Relevance is the order of a query."""
    text = search.q
    order = search.sort or ("relevance" if text else "title")
    page = search.page
    if order == "relevance" and text:
        try:
            scores = search_relevance(session, settings, text)
        except (MeasureTextError, EmptyCatalogueError):
            scores = {}
        allowed = catalogue.matching_ids(session, program_filter(search))
        ranked = sorted((key for key in allowed if key in scores), key=lambda key: (-scores[key], key))
        total = len(ranked)
        page_keys = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        programs = catalogue.programs_by_ids(session, [allowed[key] for key in page_keys])
    else:
        total, programs = catalogue.search_programs(
            session,
            program_filter(
                search,
                text=text or None,
                order=order if order != "relevance" else "title",
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
            ),
        )
    return {
        "q": text,
        "sort": order,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "total": total,
        "programs": programs,
    }


@bp.route("/")
def search():
    session = get_session()
    result = search_page(session, current_app.extensions["fundmatch.settings"], query(CatalogueQuery))
    template = "_catalogue_results.html" if request.headers.get("HX-Request") else "catalogue.html"
    return render_template(template, **result, args=request.args)


@bp.route("/<source>/<path:source_id>")
def program(source: str, source_id: str):
    """A program as shown (its sources' facts merged); a record shown as part of another redirects
    there, unless ``einzeln=1`` asks for that one source's record."""
    session = get_session()
    found = catalogue.get_program(session, source, source_id)
    if found is None:
        abort(404, description="Dieses Programm gibt es im Katalog nicht.")
    single = request.args.get("einzeln") == "1"
    if found.canonical_id is not None and not single:
        head = session.get(Program, found.canonical_id)
        assert head is not None  # the foreign key keeps it
        return redirect(url_for("catalogue.program", source=head.source, source_id=head.source_id))
    if single:
        record, members = catalogue.record_from_program(found), [found]
    else:
        record, others = catalogue.shown_record(session, found)
        members = [found, *others]
    parent = _by_key(session, record.parent) if record.parent else None
    lines = list(session.scalars(select(Program).where(Program.parent == found.key).order_by(Program.title)))
    module = source_modules().get(source)
    attribution = module.SOURCE.attribution if module else "fundmatch-Katalog (kuratierte Einträge)"
    return render_template(
        "program.html",
        program=found,
        record=record,
        rate=instrument.rate_text(record.funding_rate_min, record.funding_rate_max),
        members=members,
        parent=parent,
        lines=lines,
        attribution=attribution,
    )


@bp.route("/kuratiert/neu", methods=["GET", "POST"])
@role_required("admin")
def curated_new():
    return _curated_form(None)


@bp.route("/kuratiert/bearbeiten/<path:source_id>", methods=["GET", "POST"])
@role_required("admin")
def curated_edit(source_id: str):
    found = catalogue.get_program(get_session(), MANUAL_SOURCE, source_id)
    if found is None:
        abort(404, description="Diesen kuratierten Eintrag gibt es nicht.")
    return _curated_form(found)


def _curated_form(existing: Program | None):
    values = curation.form_values(existing) if existing else {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            saved = curation.save(get_session(), form, existing)
        except FormErrors as exc:
            errors = exc.errors
            values = {key: form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key) for key in form}
            for key in ("regions", "funding_types", "applicant_types", "topics"):
                values[key] = form.getlist(key)
        else:
            flash("Kuratierter Eintrag gespeichert.", "success")
            return redirect(url_for("catalogue.program", source=saved.source, source_id=saved.source_id))
    return render_template("curated_form.html", program=existing, v=values, errors=errors), 422 if errors else 200


def _by_key(session, key: str) -> Program | None:
    try:
        source, source_id = parse_program_key(key)
    except InputError:
        return None
    return session.scalar(select(Program).where(Program.source == source, Program.source_id == source_id))


@bp.route("/verknuepfen", methods=["POST"])
@role_required("admin")
def link():
    return _decide(linked=True)


@bp.route("/trennen", methods=["POST"])
@role_required("admin")
def unlink():
    return _decide(linked=False)


def _decide(*, linked: bool):
    session = get_session()
    a, b = request.form.get("a", "").strip(), request.form.get("b", "").strip()
    identity.decide(session, a, b, linked=linked, by=signed_in_user().username)
    catalogue.bump_version(session)
    flash(f"{a} und {b} {'als ein Programm verknüpft' if linked else 'getrennt'}.", "success")
    head = _by_key(session, a)
    target = head if head is not None and head.canonical_id is None else _by_key(session, b)
    assert target is not None  # decide() checked both keys
    return redirect(url_for("catalogue.program", source=target.source, source_id=target.source_id))


def program_by_key(key: str) -> Program:
    try:
        source, source_id = parse_program_key(key)
    except InputError as exc:
        abort(404, description=str(exc))
    found = get_session().scalar(select(Program).where(Program.source == source, Program.source_id == source_id))
    if found is None:
        abort(404, description=f"Programm {key} gibt es im Katalog nicht.")
    return found
