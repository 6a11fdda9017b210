"""JSON API under /api/v1 for scripts (token auth) and the browser (session + CSRF).

Same services as the pages. Every view is declared with its models (``fundmatch.web.schemas``) and
answers; the OpenAPI 3.1 document at /api/v1/openapi.json is generated from those declarations.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, abort, current_app, jsonify, request
from pydantic import BaseModel
from sqlalchemy import select

from fundmatch import __version__, catalogue, identity, municipalities, shortlist
from fundmatch.errors import InputError
from fundmatch.forms import FormErrors
from fundmatch.interchange import MatchesDocument, MeasuresDocument, parse_measures
from fundmatch.matching.service import match_measures
from fundmatch.models import Measure, Municipality, Program, ScrapeRun, Strategy
from fundmatch.scrapers.records import parse_program_key, program_key
from fundmatch.web import get_or_404, get_session
from fundmatch.web.catalogue_views import program_by_key, search_page
from fundmatch.web.matches_views import send_draft
from fundmatch.web.operations import DOCX, Answer, InvalidBody, Operations, body, query
from fundmatch.web.schemas import (
    CatalogueQuery,
    DecisionInput,
    DecisionList,
    DecisionOut,
    DraftQuery,
    ErrorBody,
    MatchesQuery,
    MeasureInput,
    MeasureList,
    MeasureOut,
    MunicipalityInput,
    MunicipalityList,
    MunicipalityOut,
    ProgramDetail,
    ProgramLinkInput,
    ProgramOut,
    ProgramPage,
    Revision,
    RunOut,
    SourceList,
    StrategyInput,
    StrategyOut,
    TopQuery,
)
from fundmatch.web.security import role_required, signed_in_user

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PREFIX = "/api/v1"


def _error(description: str) -> Answer:
    return Answer(description, ErrorBody)


api = Operations(bp, common={401: _error("nicht angemeldet"), 404: _error("nicht gefunden")})
CREATED_OR_INVALID = {400: _error("kein JSON-Objekt"), 422: _error("Eingaben ungültig")}


def _settings():
    return current_app.extensions["fundmatch.settings"]


def _answer(model: BaseModel, status: int = 200):
    return jsonify(model.model_dump(mode="json")), status


def _saved(save, *args):
    """Run a service's save; its field errors become the API's 422 with ``errors``."""
    try:
        return save(*args)
    except FormErrors as exc:
        raise InvalidBody("Eingaben ungültig", exc.errors) from None


def _programs_out(programs: Sequence[Program]) -> list[ProgramOut]:
    """Programs as shown: each merged with the records of the same program (named in ``same_program``),
    or a record shown as part of another pointing to it (``shown_as``); two queries for a whole page."""
    session = get_session()
    heads = [p.id for p in programs if p.canonical_id is None]
    members = list(session.scalars(select(Program).where(Program.canonical_id.in_(heads)))) if heads else []
    shown = catalogue.shown_by_id([*(p for p in programs if p.canonical_id is None), *members])
    same: dict[int, list[str]] = {}
    for member in members:
        same.setdefault(member.canonical_id or 0, []).append(member.key)
    wanted = {p.canonical_id for p in programs if p.canonical_id is not None}
    head_keys = {p.id: p.key for p in session.scalars(select(Program).where(Program.id.in_(wanted)))} if wanted else {}
    return [
        ProgramOut.of(p, catalogue.record_from_program(p), shown_as=head_keys.get(p.canonical_id))
        if p.canonical_id is not None
        else ProgramOut.of(p, shown[p.id], same_program=sorted(same.get(p.id, [])))
        for p in programs
    ]


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def openapi_document() -> dict:
    return api.document(
        title="fundmatch API",
        version=__version__,
        description="Förderprogramme, Kommunen, Maßnahmen, Treffer und Entwürfe. Anmeldung mit "
        "`Authorization: Bearer <Token>` (fundmatch users token).",
        prefix=PREFIX,
    )


@api.route(
    "/programs",
    summary="Katalog durchsuchen",
    query=CatalogueQuery,
    answers={200: Answer("Trefferseite", ProgramPage), 400: _error("ungültiger Filter")},
)
def search_programs():
    result = search_page(get_session(), _settings(), query(CatalogueQuery))
    page = ProgramPage(
        **{k: result[k] for k in ("q", "sort", "page", "pages", "total")},
        programs=_programs_out(result["programs"]),
    )
    return _answer(page)


@api.route(
    "/programs/<source>/<path:source_id>",
    summary="Ein Programm mit Änderungshistorie",
    answers={200: Answer("Programm", ProgramDetail)},
)
def get_program(source: str, source_id: str):
    found = catalogue.get_program(get_session(), source, source_id)
    if found is None:
        abort(404, description=f"Programm {program_key(source, source_id)} gibt es nicht.")
    return _answer(ProgramDetail(program=_programs_out([found])[0], history=[Revision.of(r) for r in found.revisions]))


@api.route(
    "/programs/links",
    "POST",
    summary="Zwei Einträge als ein Programm verknüpfen oder trennen",
    body=ProgramLinkInput,
    answers={
        200: Answer("Programm, wie es nun gezeigt wird", ProgramOut),
        403: _error("nur für Administratoren"),
        422: _error("Eingaben ungültig"),
    },
)
@role_required("admin")
def link_programs():
    decision = body(ProgramLinkInput)
    session = get_session()
    identity.decide(session, decision.a, decision.b, linked=decision.linked, by=signed_in_user().username)
    catalogue.bump_version(session)
    return _answer(_programs_out([program_by_key(decision.a)])[0])


@api.route("/municipalities", summary="Kommunen", answers={200: Answer("Kommunen", MunicipalityList)})
def list_municipalities():
    found = municipalities.list_municipalities(get_session())
    return _answer(MunicipalityList(municipalities=[MunicipalityOut.of(m) for m in found]))


@api.route(
    "/municipalities",
    "POST",
    summary="Kommune anlegen",
    body=MunicipalityInput,
    answers={201: Answer("angelegt", MunicipalityOut), **CREATED_OR_INVALID},
)
def create_municipality():
    data = body(MunicipalityInput).model_dump(exclude_none=True)
    return _answer(MunicipalityOut.of(_saved(municipalities.save_municipality, get_session(), data)), 201)


@api.route(
    "/municipalities/<int:municipality_id>", summary="Eine Kommune", answers={200: Answer("Kommune", MunicipalityOut)}
)
def get_municipality(municipality_id: int):
    return _answer(MunicipalityOut.of(get_or_404(Municipality, municipality_id, f"Kommune {municipality_id}")))


@api.route(
    "/municipalities/<int:municipality_id>/strategies",
    "POST",
    summary="Strategie anlegen",
    body=StrategyInput,
    answers={201: Answer("angelegt", StrategyOut), **CREATED_OR_INVALID},
)
def create_strategy(municipality_id: int):
    owner = get_or_404(Municipality, municipality_id, f"Kommune {municipality_id}")
    data = body(StrategyInput).model_dump(exclude_none=True)
    return _answer(StrategyOut.model_validate(_saved(municipalities.save_strategy, get_session(), owner, data)), 201)


@api.route(
    "/strategies/<int:strategy_id>/measures",
    summary="Maßnahmen einer Strategie",
    answers={200: Answer("Maßnahmen", MeasureList)},
)
def list_measures(strategy_id: int):
    strategy = get_or_404(Strategy, strategy_id, f"Strategie {strategy_id}")
    return _answer(MeasureList(measures=[MeasureOut.model_validate(m) for m in strategy.measures]))


@api.route(
    "/strategies/<int:strategy_id>/measures",
    "POST",
    summary="Maßnahme anlegen",
    body=MeasureInput,
    answers={201: Answer("angelegt", MeasureOut), **CREATED_OR_INVALID},
)
def create_measure(strategy_id: int):
    strategy = get_or_404(Strategy, strategy_id, f"Strategie {strategy_id}")
    data = body(MeasureInput).model_dump(mode="json", exclude_none=True)
    return _answer(MeasureOut.model_validate(_saved(municipalities.save_measure, get_session(), strategy, data)), 201)


@api.route("/measures/<int:measure_id>", summary="Eine Maßnahme", answers={200: Answer("Maßnahme", MeasureOut)})
def get_measure(measure_id: int):
    return _answer(MeasureOut.model_validate(get_or_404(Measure, measure_id, f"Maßnahme {measure_id}")))


MATCH_ANSWERS = {
    200: Answer("Treffer", MatchesDocument),
    400: _error("ungültiger Parameter"),
    409: _error("Katalog noch leer"),
    422: _error("Maßnahme ohne suchbaren Text oder ungültig"),
}


@api.route(
    "/measures/<int:measure_id>/matches", summary="Treffer einer Maßnahme", query=MatchesQuery, answers=MATCH_ANSWERS
)
def get_matches(measure_id: int):
    """A stored measure's matches as its page shows them: shortlisted programs first, those marked
    "nicht relevant" named in ``hidden`` instead of listed, general instruments with section ``general``."""
    found = get_or_404(Measure, measure_id, f"Maßnahme {measure_id}")
    options = query(MatchesQuery)
    session = get_session()
    decisions = shortlist.decisions_for(session, found.id)
    run = match_measures(
        session,
        _settings(),
        [municipalities.measure_spec(found)],
        top=options.top + len(decisions),
        include_ineligible=options.include_ineligible,
    )
    arranged = shortlist.arrange(run.results[0][1], decisions, options.top)
    document = run.to_document()
    document["results"][0]["matches"] = [m.to_dict() for m in (*arranged.specific, *arranged.general)]
    document["results"][0]["hidden"] = [m.key for m in arranged.hidden]
    return jsonify(document)


@api.route(
    "/match",
    "POST",
    summary="Treffer für Maßnahmen im Austauschformat",
    query=TopQuery,
    body=MeasuresDocument,
    answers=MATCH_ANSWERS,
)
def match():
    """Rank programs for measures sent in the measures interchange format (read as files are)."""
    options = query(TopQuery)
    measures = parse_measures(request.get_json(silent=True), name="Body")
    return jsonify(match_measures(get_session(), _settings(), measures, top=options.top).to_document())


@api.route(
    "/measures/<int:measure_id>/decisions", summary="Bewertungen", answers={200: Answer("Bewertungen", DecisionList)}
)
def list_decisions(measure_id: int):
    found = get_or_404(Measure, measure_id, f"Maßnahme {measure_id}")
    return _answer(_decisions(found))


@api.route(
    "/measures/<int:measure_id>/decisions",
    "POST",
    summary="Programm bewerten oder vormerken",
    body=DecisionInput,
    answers={201: Answer("gespeichert", DecisionList), **CREATED_OR_INVALID},
)
def decide(measure_id: int):
    found = get_or_404(Measure, measure_id, f"Maßnahme {measure_id}")
    decision = body(DecisionInput)
    program = program_by_key(decision.program)
    who = signed_in_user().username
    shortlist.record_decision(get_session(), found, program, decision.decision, decision.note, who)
    return _answer(_decisions(found), 201)


def _decisions(measure: Measure) -> DecisionList:
    rows = shortlist.decisions_for(get_session(), measure.id)
    return DecisionList(decisions=[DecisionOut.of(key, d) for key, d in sorted(rows.items())])


@api.route(
    "/measures/<int:measure_id>/draft",
    summary="DOCX-Entwurf",
    query=DraftQuery,
    answers={200: Answer("DOCX-Entwurf", media_type=DOCX), 400: _error("ungültige Anfrage")},
)
def get_draft(measure_id: int):
    get_or_404(Measure, measure_id, f"Maßnahme {measure_id}")
    options = query(DraftQuery)
    try:
        parse_program_key(options.program)
    except InputError as exc:
        raise InvalidBody(str(exc), {"program": str(exc)}, status=400) from None
    return send_draft(measure_id, options.program, options.template)


@api.route("/sources", summary="Quellen und ihre Läufe", answers={200: Answer("Quellen", SourceList)})
def list_sources():
    from fundmatch import sources

    return _answer(SourceList.model_validate({"sources": sources.overview(get_session(), runs=3)}))


RUN_DECISION = {403: _error("nur für Administratorinnen und Administratoren"), 409: _error("Lauf nicht angehalten")}


@api.route(
    "/sources/runs/<int:run_id>/confirm",
    "POST",
    summary="Angehaltenen Lauf übernehmen",
    answers={200: Answer("übernommen", RunOut), **RUN_DECISION},
)
@role_required("admin")
def confirm_run(run_id: int):
    from fundmatch import refresh

    database = current_app.extensions["fundmatch.database"]
    refresh.confirm_run(database, _settings(), run_id, signed_in_user().username)
    return _run_answer(run_id)


@api.route(
    "/sources/runs/<int:run_id>/reject",
    "POST",
    summary="Angehaltenen Lauf verwerfen",
    answers={200: Answer("verworfen", RunOut), **RUN_DECISION},
)
@role_required("admin")
def reject_run(run_id: int):
    from fundmatch import refresh

    refresh.reject_run(current_app.extensions["fundmatch.database"], run_id, signed_in_user().username)
    return _run_answer(run_id)


def _run_answer(run_id: int):
    from fundmatch import sources

    return _answer(RunOut.model_validate(sources.run_summary(get_or_404(ScrapeRun, run_id, f"Lauf {run_id}"))))
