"""Maßnahme → Treffer (ranked, explained, decided), drafts, and a strategy's Förderübersicht (XLSX, ICS)."""

from __future__ import annotations

import io
import re
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from markupsafe import Markup, escape
from sqlalchemy import select, tuple_
from sqlalchemy.orm import load_only

from fundmatch import municipalities, shortlist
from fundmatch.drafting import service as drafts
from fundmatch.drafting.render import TemplateProblem, available_templates
from fundmatch.matching import overview as overview_export
from fundmatch.matching.ranker import EmptyCatalogueError, MeasureTextError
from fundmatch.matching.service import match_measures
from fundmatch.models import Measure, Program, Strategy
from fundmatch.scrapers.records import parse_program_key
from fundmatch.web import EMPTY_CATALOGUE, get_or_404, get_session
from fundmatch.web.catalogue_views import program_by_key
from fundmatch.web.security import signed_in_user

bp = Blueprint("matches", __name__)
VERDICT_LABELS = {"eligible": "förderfähig", "check": "prüfen", "ineligible": "nicht förderfähig"}


def highlight(text: str | None, terms: list[str]) -> Markup:
    """Text with the matched terms in <mark>, escaped first so nothing of it can be markup."""
    safe = str(escape(text or ""))
    words = sorted({str(escape(t)) for t in terms if len(t) > 2}, key=len, reverse=True)
    if not words:
        return Markup(safe)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    return Markup(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", safe))


@bp.app_template_filter("highlight")
def _highlight_filter(text, terms):
    return highlight(text, terms)


def _settings():
    return current_app.extensions["fundmatch.settings"]


def _measure(measure_id: int) -> Measure:
    return get_or_404(Measure, measure_id, "Diese Maßnahme")


def shown_top(args) -> int:
    """How many specific programs the page shows: ``top`` from 1 to 100, 20 by default."""
    raw = str(args.get("top") or "20")
    return min(max(int(raw), 1), 100) if raw.isdigit() else 20


def ranked_matches(measure: Measure, args, extra: int = 0) -> tuple[list, list[str]]:
    """Matches of a stored measure with the page's filters applied; also any warnings. ``extra`` more
    are ranked, so that hiding programs marked "nicht relevant" leaves the list full."""
    top = shown_top(args)
    include = args.get("eignung") == "alle"
    run = match_measures(
        get_session(), _settings(), [municipalities.measure_spec(measure)], top=top + extra, include_ineligible=include
    )
    matches = run.results[0][1]
    if args.get("eignung") == "foerderfaehig":
        matches = [m for m in matches if m.eligibility == "eligible"]
    if args.get("ebene"):
        matches = [m for m in matches if m.level == args["ebene"]]
    return matches, run.warnings


def shown_programs(keys: list[str]) -> dict[str, Program]:
    """The stored programs behind the shown matches, key → program, in one query and with only the
    columns the page shows besides the match (the page shows up to 100 matches; a query for each, of
    whole programs, made it the slowest page under load)."""
    pairs = [parse_program_key(key) for key in keys]
    if not pairs:
        return {}
    statement = (
        select(Program)
        .where(tuple_(Program.source, Program.source_id).in_(pairs))
        .options(load_only(Program.source, Program.source_id, Program.summary))
    )
    return {program.key: program for program in get_session().scalars(statement)}


@bp.route("/massnahmen/<int:measure_id>")
def index(measure_id: int):
    measure = _measure(measure_id)
    decisions = shortlist.decisions_for(get_session(), measure.id)
    try:
        matches, warnings = ranked_matches(measure, request.args, extra=len(decisions))
    except MeasureTextError:
        matches, warnings = [], ["Titel und Beschreibung enthalten keine Wörter, nach denen gesucht werden kann."]
    except EmptyCatalogueError:
        matches, warnings = [], [EMPTY_CATALOGUE]
    summaries = shown_programs([m.key for m in matches])
    arranged = shortlist.arrange([m for m in matches if m.key in summaries], decisions, shown_top(request.args))
    return render_template(
        "matches.html",
        measure=measure,
        matches=arranged.specific,
        general=arranged.general,
        hidden=arranged.hidden,
        warnings=warnings,
        decisions=decisions,
        programs=summaries,
        args=request.args,
        verdicts=VERDICT_LABELS,
        templates=available_templates(_settings()),
    )


@bp.route("/massnahmen/<int:measure_id>/entscheidung", methods=["POST"])
def decide(measure_id: int):
    measure = _measure(measure_id)
    program = program_by_key(request.form.get("program", ""))
    try:
        decision = shortlist.record_decision(
            get_session(),
            measure,
            program,
            request.form.get("decision", ""),
            request.form.get("note"),
            signed_in_user().username,
        )
    except shortlist.DecisionError as exc:
        abort(400, description=str(exc))
    key = program.key
    return render_template("_decision.html", measure=measure, key=key, decision=decision)


@bp.route("/massnahmen/<int:measure_id>/entwurf")
def draft(measure_id: int):
    measure = _measure(measure_id)
    return send_draft(measure.id, request.args.get("program", ""), request.args.get("template") or None)


def send_draft(measure_id: int, key: str, template: str | None) -> Response:
    """The DOCX download for page and API alike; 404 for an unknown program, 400 for a draft that fails."""
    program_by_key(key)
    try:
        data_input = drafts.input_for_stored_measure(get_session(), measure_id, key)
        name, data = drafts.make_draft(data_input, _settings(), template)
    except (drafts.DraftError, TemplateProblem) as exc:
        abort(400, description=str(exc))
    return send_file(
        io.BytesIO(data),
        as_attachment=True,
        download_name=name,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


def _strategy(strategy_id: int) -> Strategy:
    return get_or_404(Strategy, strategy_id, "Diese Strategie")


def _overview_run(strategy: Strategy, top: int):
    specs = [municipalities.measure_spec(m) for m in strategy.measures]
    return match_measures(get_session(), _settings(), specs, top=top)


@bp.route("/strategien/<int:strategy_id>/foerderuebersicht")
def overview(strategy_id: int):
    strategy = _strategy(strategy_id)
    run = _overview_run(strategy, 3)
    measures = {str(m.id): m for m in strategy.measures}
    return render_template(
        "overview.html",
        strategy=strategy,
        run=run,
        measures=measures,
        verdicts=VERDICT_LABELS,
        deadlines=shortlist.upcoming_deadlines(get_session(), date.today(), days=None, strategy_id=strategy.id),
    )


@bp.route("/strategien/<int:strategy_id>/foerderuebersicht.xlsx")
def overview_xlsx(strategy_id: int):
    strategy = _strategy(strategy_id)
    buffer = io.BytesIO()
    overview_export.write_xlsx(_overview_run(strategy, 3), 3, buffer)
    buffer.seek(0)
    return send_file(
        buffer,
        as_attachment=True,
        download_name=f"foerderuebersicht-{strategy.id}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.route("/strategien/<int:strategy_id>/fristen.ics")
def calendar(strategy_id: int):
    strategy = _strategy(strategy_id)
    return Response(
        shortlist.calendar(get_session(), strategy, date.today()),
        mimetype="text/calendar",
        headers={"Content-Disposition": f"attachment; filename=fristen-{strategy.id}.ics"},
    )
