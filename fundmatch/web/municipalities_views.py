"""Kommunen → Strategien → Maßnahmen: create, edit, delete, and import measure lists (CSV/XLSX)."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from fundmatch import measure_import, municipalities
from fundmatch.forms import FormErrors
from fundmatch.models import Measure, Municipality, Strategy
from fundmatch.web import get_or_404, get_session

bp = Blueprint("municipalities", __name__)


@bp.route("/kommunen", methods=["GET", "POST"])
def index():
    session = get_session()
    errors, form = {}, {}
    if request.method == "POST":
        form = request.form
        try:
            municipality = municipalities.save_municipality(session, request.form)
        except FormErrors as exc:
            errors = exc.errors
        else:
            flash(f"{municipality.name} angelegt.", "success")
            return redirect(url_for("municipalities.municipality", municipality_id=municipality.id))
    return render_template(
        "municipalities.html", municipalities=municipalities.list_municipalities(session), errors=errors, form=form
    ), (422 if errors else 200)


@bp.route("/kommunen/<int:municipality_id>", methods=["GET", "POST"])
def municipality(municipality_id: int):
    session = get_session()
    item = get_or_404(Municipality, municipality_id)
    errors, strategy_errors = {}, {}
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "delete":
                session.delete(item)
                flash(f"{item.name} gelöscht.", "success")
                return redirect(url_for("municipalities.index"))
            if action == "strategy":
                strategy = municipalities.save_strategy(session, item, request.form)
                flash(f"Strategie „{strategy.title}“ angelegt.", "success")
                return redirect(url_for("municipalities.strategy", strategy_id=strategy.id))
            municipalities.save_municipality(session, request.form, item)
            flash("Gespeichert.", "success")
            return redirect(url_for("municipalities.municipality", municipality_id=item.id))
        except FormErrors as exc:
            session.rollback()
            item = get_or_404(Municipality, municipality_id)
            if action == "strategy":
                strategy_errors = exc.errors
            else:
                errors = exc.errors
    return render_template(
        "municipality.html", item=item, errors=errors, strategy_errors=strategy_errors, form=request.form
    ), (422 if errors or strategy_errors else 200)


@bp.route("/strategien/<int:strategy_id>", methods=["GET", "POST"])
def strategy(strategy_id: int):
    session = get_session()
    item = get_or_404(Strategy, strategy_id)
    errors: dict[str, str] = {}
    measure_errors: dict[str, str] = {}
    import_errors: Sequence[measure_import.RowError | str] = []
    import_warnings: list[measure_import.RowError] = []
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "delete":
                municipality_id = item.municipality_id
                session.delete(item)
                flash("Strategie gelöscht.", "success")
                return redirect(url_for("municipalities.municipality", municipality_id=municipality_id))
            if action == "measure":
                measure = municipalities.save_measure(session, item, request.form)
                flash(f"Maßnahme „{measure.title}“ angelegt.", "success")
                return redirect(url_for("matches.index", measure_id=measure.id))
            if action == "import":
                upload = request.files.get("file")
                if upload is None or not upload.filename:
                    raise measure_import.MeasureImportError("Bitte eine CSV- oder XLSX-Datei auswählen.")
                table = measure_import.parse_measure_table(upload.read(), upload.filename)
                import_warnings = table.warnings
                if table.errors:
                    import_errors = table.errors
                else:
                    created = municipalities.import_measures(session, item, table.rows)
                    flash(f"{len(created)} Maßnahmen importiert.", "success")
                    return redirect(url_for("municipalities.strategy", strategy_id=item.id))
            else:
                municipalities.save_strategy(session, item.municipality, request.form, item)
                flash("Gespeichert.", "success")
                return redirect(url_for("municipalities.strategy", strategy_id=item.id))
        except FormErrors as exc:
            session.rollback()
            item = get_or_404(Strategy, strategy_id)
            measure_errors, errors = (exc.errors, {}) if action == "measure" else ({}, exc.errors)
        except measure_import.MeasureImportError as exc:
            import_errors = [str(exc)]
    status = 422 if errors or measure_errors or import_errors else 200
    return render_template(
        "strategy.html",
        item=item,
        errors=errors,
        measure_errors=measure_errors,
        import_errors=import_errors,
        import_warnings=import_warnings,
        form=request.form,
        columns=measure_import.COLUMNS,
    ), status


@bp.route("/massnahmen/<int:measure_id>/bearbeiten", methods=["GET", "POST"])
def measure(measure_id: int):
    session = get_session()
    item = get_or_404(Measure, measure_id)
    errors = {}
    if request.method == "POST":
        if request.form.get("action") == "delete":
            strategy_id = item.strategy_id
            session.delete(item)
            flash("Maßnahme gelöscht.", "success")
            return redirect(url_for("municipalities.strategy", strategy_id=strategy_id))
        try:
            municipalities.save_measure(session, item.strategy, request.form, item)
        except FormErrors as exc:
            session.rollback()
            item = get_or_404(Measure, measure_id)
            errors = exc.errors
        else:
            flash("Gespeichert.", "success")
            return redirect(url_for("matches.index", measure_id=item.id))
    return render_template("measure_form.html", item=item, errors=errors, form=request.form), (422 if errors else 200)


@bp.route("/massnahmen/beispiel.<any(csv, xlsx):kind>")
def example(kind: str):
    if kind == "csv":
        return Response(
            measure_import.example_csv(),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=massnahmen-beispiel.csv"},
        )
    return Response(
        measure_import.example_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=massnahmen-beispiel.xlsx"},
    )
