"""JSON API under /api/v1 for scripts (token auth) and the browser (session + CSRF).

Same services as the pages; the OpenAPI 3 document is at /api/v1/openapi.json.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from fundmatch import catalogue, municipalities, shortlist
from fundmatch.interchange import InterchangeError, parse_measures
from fundmatch.matching.ranker import MeasureTextError
from fundmatch.matching.service import match_measures
from fundmatch.models import Measure, Municipality, Strategy
from fundmatch.web import get_or_404, get_session
from fundmatch.web.catalogue_views import program_by_key, search_page
from fundmatch.web.matches_views import send_draft
from fundmatch.web.openapi import document as openapi_document
from fundmatch.web.security import current_user

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _settings():
    return current_app.extensions["fundmatch.settings"]


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Erwartet wird ein JSON-Objekt im Body (Content-Type: application/json).")
    return data


def _invalid(errors: dict[str, str]):
    return jsonify(
        {"error": "Unprocessable Entity", "message": "Eingaben ungültig", "status": 422, "errors": errors}
    ), 422


def _get(model, object_id: int):
    return get_or_404(model, object_id, f"{model.__name__} {object_id}")


def program_json(program) -> dict:
    record = catalogue.record_from_program(program).to_dict()
    record["key"] = f"{program.source}:{program.source_id}"
    record["first_seen"] = program.first_seen.isoformat()
    return record


def municipality_json(m: Municipality) -> dict:
    return {
        "id": m.id,
        "name": m.name,
        "ags": m.ags,
        "land": m.land,
        "kind": m.kind,
        "population": m.population,
        "financially_weak": m.financially_weak,
        "contact_name": m.contact_name,
        "contact_email": m.contact_email,
        "contact_phone": m.contact_phone,
        "address": m.address,
        "strategies": [{"id": s.id, "title": s.title, "measures": len(s.measures)} for s in m.strategies],
    }


def measure_json(m: Measure) -> dict:
    return {
        "id": m.id,
        "strategy_id": m.strategy_id,
        "title": m.title,
        "description": m.description,
        "handlungsfeld": m.handlungsfeld,
        "land": m.land,
        "applicant_type": m.applicant_type,
        "cost_eur": m.cost_eur,
        "planned_start": m.planned_start.isoformat() if m.planned_start else None,
        "time_horizon": m.time_horizon,
        "goal": m.goal,
    }


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.route("/programs")
def programs():
    try:
        result = search_page(get_session(), _settings(), request.args)
    except ValueError as exc:
        abort(400, description=str(exc))
    return jsonify(
        {
            **{k: result[k] for k in ("q", "sort", "page", "pages", "total")},
            "programs": [program_json(p) for p in result["programs"]],
        }
    )


@bp.route("/programs/<source>/<path:source_id>")
def program(source: str, source_id: str):
    found = catalogue.get_program(get_session(), source, source_id)
    if found is None:
        abort(404, description=f"Programm {source}:{source_id} gibt es nicht.")
    history = [{"changed_at": r.changed_at.isoformat(), "run_id": r.run_id, "diff": r.diff} for r in found.revisions]
    return jsonify({"program": program_json(found), "history": history})


@bp.route("/municipalities", methods=["GET", "POST"])
def municipality_list():
    session = get_session()
    if request.method == "POST":
        try:
            created = municipalities.save_municipality(session, _json_body())
        except municipalities.FormErrors as exc:
            return _invalid(exc.errors)
        return jsonify(municipality_json(created)), 201
    return jsonify({"municipalities": [municipality_json(m) for m in municipalities.list_municipalities(session)]})


@bp.route("/municipalities/<int:municipality_id>")
def municipality(municipality_id: int):
    return jsonify(municipality_json(_get(Municipality, municipality_id)))


@bp.route("/municipalities/<int:municipality_id>/strategies", methods=["POST"])
def create_strategy(municipality_id: int):
    owner = _get(Municipality, municipality_id)
    try:
        created = municipalities.save_strategy(get_session(), owner, _json_body())
    except municipalities.FormErrors as exc:
        return _invalid(exc.errors)
    return jsonify(
        {"id": created.id, "title": created.title, "handlungsfelder": created.handlungsfelder, "goals": created.goals}
    ), 201


@bp.route("/strategies/<int:strategy_id>/measures", methods=["GET", "POST"])
def strategy_measures(strategy_id: int):
    strategy = _get(Strategy, strategy_id)
    if request.method == "POST":
        try:
            created = municipalities.save_measure(get_session(), strategy, _json_body())
        except municipalities.FormErrors as exc:
            return _invalid(exc.errors)
        return jsonify(measure_json(created)), 201
    return jsonify({"measures": [measure_json(m) for m in strategy.measures]})


@bp.route("/measures/<int:measure_id>")
def measure(measure_id: int):
    return jsonify(measure_json(_get(Measure, measure_id)))


def _top() -> int:
    raw = request.args.get("top", "10")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        abort(400, description="top muss eine Zahl von 1 bis 200 sein")
    return int(raw)


@bp.route("/measures/<int:measure_id>/matches")
def measure_matches(measure_id: int):
    found = _get(Measure, measure_id)
    raw = request.args.get("include_ineligible", "false").lower()
    if raw not in ("true", "false", "1", "0"):
        abort(400, description="include_ineligible muss true oder false sein")
    include = raw in ("true", "1")
    try:
        run = match_measures(
            get_session(), _settings(), [municipalities.measure_spec(found)], top=_top(), include_ineligible=include
        )
    except MeasureTextError as exc:
        abort(422, description=str(exc))
    return jsonify(run.to_document())


@bp.route("/match", methods=["POST"])
def match():
    """Rank programs for measures sent in the measures interchange format."""
    try:
        measures = parse_measures(request.get_json(silent=True), name="body")
        run = match_measures(get_session(), _settings(), measures, top=_top())
    except (InterchangeError, MeasureTextError) as exc:
        abort(422, description=str(exc))
    return jsonify(run.to_document())


@bp.route("/measures/<int:measure_id>/decisions", methods=["GET", "POST"])
def decisions(measure_id: int):
    found = _get(Measure, measure_id)
    session = get_session()
    if request.method == "POST":
        body = _json_body()
        program_found = program_by_key(str(body.get("program", "")))
        try:
            shortlist.record_decision(
                session, found, program_found, str(body.get("decision", "")), body.get("note"), current_user().username
            )
        except shortlist.DecisionError as exc:
            return _invalid({"decision": str(exc)})
    rows = shortlist.decisions_for(session, found.id)
    return jsonify(
        {
            "decisions": [
                {
                    "program": key,
                    "decision": d.decision,
                    "note": d.note,
                    "decided_by": d.decided_by,
                    "decided_at": d.decided_at.isoformat(),
                }
                for key, d in sorted(rows.items())
            ]
        }
    ), (201 if request.method == "POST" else 200)


@bp.route("/measures/<int:measure_id>/draft")
def draft(measure_id: int):
    _get(Measure, measure_id)
    key = request.args.get("program", "")
    if not key:
        abort(400, description="program=SOURCE:SOURCE_ID fehlt")
    return send_draft(measure_id, key, request.args.get("template") or None)


@bp.route("/sources")
def source_list():
    from fundmatch import sources

    return jsonify({"sources": sources.overview(get_session(), runs=3)})
