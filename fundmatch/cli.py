"""The ``fundmatch`` command: a thin layer over the services, one session per command.

Expected failures are ``click.ClickException`` (exit 1, message on stderr); scripts read
``--format json`` output on stdout.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fundmatch import __version__, german, logs, vocab
from fundmatch.config import Settings, load_settings
from fundmatch.errors import FundmatchError

if TYPE_CHECKING:  # imported where used, so that `fundmatch --help` loads no database or matching library
    from fundmatch import catalogue, db


@dataclass
class CliContext:
    """What every command shares: settings and, opened on first use, the database."""

    settings: Settings
    _database: db.Database | None = field(default=None, repr=False)

    @property
    def database(self) -> db.Database:
        from fundmatch import db

        if self._database is None:
            self._database = db.Database(self.settings)
        return self._database

    def session(self):
        from fundmatch import db

        try:
            self.database.ensure_ready()
        except db.DatabaseNotReady as exc:
            raise click.ClickException(str(exc)) from None
        return self.database.session()

    def close(self) -> None:
        """Give the database connections back when the command ends (the pool would outlive it)."""
        if self._database is not None:
            self._database.dispose()


pass_context = click.make_pass_decorator(CliContext)


def format_option(func: Callable) -> Callable:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Output for people (table) or scripts (json).",
    )(func)


LOGGING_COMMANDS = ("serve", "refresh")
"""Long-running commands whose progress is logged (level INFO) unless FUNDMATCH_LOG_LEVEL says otherwise."""


class FundmatchGroup(click.Group):
    """The command group: fundmatch's expected errors end a command with their message and exit code 1;
    anything else is a bug, logged with its traceback, exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FundmatchError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception:
            logging.getLogger("fundmatch.cli").exception("Interner Fehler bei »fundmatch %s«", " ".join(sys.argv[1:]))
            click.echo("Interner Fehler: das ist ein Programmfehler (Einzelheiten im Protokoll oben).", err=True)
            raise SystemExit(2) from None


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group(cls=FundmatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url", envvar="FUNDMATCH_DATABASE_URL", help="SQLAlchemy URL; default: SQLite in the data dir."
)
@click.option(
    "--data-dir", envvar="FUNDMATCH_DATA_DIR", type=click.Path(file_okay=False), help="Where fundmatch keeps its files."
)
@click.version_option(version=__version__, prog_name="fundmatch")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, data_dir: str | None) -> None:
    """fundmatch: funding programs for municipal measures.

    \b
    Example:
      fundmatch seed && fundmatch catalogue list --land BY --topic digitalisierung
    """
    logs.configure("INFO" if ctx.invoked_subcommand in LOGGING_COMMANDS else "WARNING")
    ctx.obj = CliContext(load_settings(database_url=database_url, data_dir=data_dir))
    ctx.call_on_close(ctx.obj.close)


@cli.group("db")
def db_group() -> None:
    """Database schema.

    \b
    Example:
      fundmatch --database-url postgresql://postgres@127.0.0.1/fundmatch db upgrade
    """


@db_group.command("upgrade")
@pass_context
def db_upgrade(ctx: CliContext) -> None:
    """Create or migrate the schema to the newest revision.

    \b
    Example:
      fundmatch db upgrade
    """
    from fundmatch import db

    revision = db.upgrade(ctx.database.engine)
    click.echo(f"database at schema revision {revision}")


@cli.command()
@format_option
@pass_context
def seed(ctx: CliContext, output_format: str) -> None:
    """Load the curated seed catalogue that ships with fundmatch (safe to repeat).

    \b
    Example:
      fundmatch seed
    """
    from fundmatch import catalogue

    with ctx.session() as session:
        result = catalogue.seed_catalogue(session)
        total = catalogue.stats(session).total
    summary = {"new": result.new, "changed": result.changed, "unchanged": result.unchanged, "total": total}
    if output_format == "json":
        echo_json(summary)
    else:
        click.echo(
            f"seed catalogue: {result.new} new, {result.changed} changed, {result.unchanged} unchanged; "
            f"{total} programs in the catalogue"
        )


@cli.group("catalogue")
def catalogue_group() -> None:
    """The program catalogue: import, export, list, show, stats.

    \b
    Example:
      fundmatch catalogue stats
    """


def filter_options(func: Callable) -> Callable:
    options = [
        click.option("--level", type=click.Choice(vocab.LEVEL.codes), help="EU, Bund, Land …"),
        click.option("--land", help="Programs open to applicants in this Land (includes bundesweit and EU)."),
        click.option("--region", help="Programs whose Fördergebiet names exactly this code (BY, DE, EU …)."),
        click.option("--applicant", "applicant_type", type=click.Choice(vocab.APPLICANT_TYPE.codes)),
        click.option("--funding-type", type=click.Choice(vocab.FUNDING_TYPE.codes)),
        click.option("--topic", type=click.Choice(vocab.TOPIC.codes), help="Förderbereich code."),
        click.option("--status", type=click.Choice(vocab.STATUS.codes)),
        click.option("--source", help="Source id, e.g. foerderdatenbank or manual."),
        click.option("--text", help="Words that must all appear in title, summary or funder."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _program_filter(**kwargs) -> catalogue.ProgramFilter:
    from fundmatch import catalogue

    land = kwargs.pop("land", None)
    return catalogue.ProgramFilter(land=land.upper() if land else None, **kwargs)


@catalogue_group.command("import")
@click.argument("file", type=click.File("rb"))
@format_option
@pass_context
def catalogue_import(ctx: CliContext, file, output_format: str) -> None:
    """Import a catalogue file (interchange format) in one transaction; "-" reads stdin.

    A file with any invalid record imports nothing; the error names record and field.

    \b
    Example:
      fundmatch catalogue import programs.json
    """
    from fundmatch import catalogue

    name = getattr(file, "name", "<stdin>")
    max_bytes = ctx.settings.max_import_mb * 1_000_000
    data = file.read(max_bytes + 1)
    with ctx.session() as session:
        result = catalogue.import_catalogue(session, data, name=name, max_bytes=max_bytes)
    summary = {"new": result.new, "changed": result.changed, "unchanged": result.unchanged}
    if output_format == "json":
        echo_json(summary)
    else:
        click.echo(f"imported {name}: {result.new} new, {result.changed} changed, {result.unchanged} unchanged")


@catalogue_group.command("export")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@filter_options
@pass_context
def catalogue_export(ctx: CliContext, out: str | None, **filters) -> None:
    """Export the catalogue (or a filtered part) in the interchange format.

    \b
    Example:
      fundmatch catalogue export --out catalogue.json
      fundmatch catalogue export --level land --land SN > sachsen.json
    """
    from fundmatch import catalogue
    from fundmatch.interchange import catalogue_document

    query = _program_filter(limit=None, **filters)
    with ctx.session() as session:
        records = catalogue.all_records(session, query)
    text = json.dumps(catalogue_document(records, datetime.now(UTC)), ensure_ascii=False, indent=1)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
        click.echo(f"exported {len(records)} programs to {out}", err=True)
    else:
        click.echo(text)


@catalogue_group.command("list")
@filter_options
@click.option("--order", type=click.Choice(["title", "deadline", "updated"]), default="title", show_default=True)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@format_option
@pass_context
def catalogue_list(ctx: CliContext, output_format: str, **filters) -> None:
    """List programs matching filters.

    \b
    Example:
      fundmatch catalogue list --land NW --applicant kommune --topic digitalisierung
      fundmatch catalogue list --text Breitband --format json
    """
    from fundmatch import catalogue, identity, instrument

    query = _program_filter(**filters)
    with ctx.session() as session:
        total, programs = catalogue.search_programs(session, query)
        rows: list[dict[str, Any]] = [
            {
                "key": p.key,
                "title": p.title,
                "level": p.level,
                "regions": p.regions,
                "status": p.status,
                "next_deadline": p.next_deadline.isoformat() if p.next_deadline else None,
                "instrument": instrument.summary(
                    p.funding_types, p.funding_rate_min, p.funding_rate_max, p.amount_max_eur
                ),
                "facts_as_of": facts.isoformat() if (facts := identity.facts_date(p)) else None,
            }
            for p in programs
        ]
    if output_format == "json":
        echo_json({"total": total, "programs": rows})
        return
    click.echo(f"{total} programs" + (f", showing {len(rows)}" if len(rows) < total else ""))
    for row in rows:
        deadline = row["next_deadline"] or ("-")
        click.echo(
            f"{row['key']}\n    {row['title'][:100]}\n    {row['instrument']}\n    {row['level']} · "
            f"{','.join(row['regions'])} · {row['status']} · Frist: {deadline} · Stand der Angaben: "
            f"{row['facts_as_of'] or 'unbekannt'}"
        )


@catalogue_group.command("show")
@click.argument("key")
@format_option
@pass_context
def catalogue_show(ctx: CliContext, key: str, output_format: str) -> None:
    """Show one program with its change history; KEY is SOURCE:SOURCE_ID.

    \b
    Example:
      fundmatch catalogue show manual:bund/kfw/ikk-208-investitionskredit-kommunen
    """
    from fundmatch import catalogue
    from fundmatch.scrapers.records import parse_program_key

    source, source_id = parse_program_key(key)
    with ctx.session() as session:
        program = catalogue.get_program(session, source, source_id)
        if program is None:
            raise click.ClickException(f"no program {key!r} in the catalogue")
        record = catalogue.record_from_program(program).to_dict()
        history: list[dict[str, Any]] = [
            {
                "changed_at": r.changed_at.isoformat(),
                "run": r.run_id,
                "changed_fields": r.changed_fields,
                "diff": r.diff,
            }
            for r in program.revisions
        ]
        first_seen = program.first_seen.isoformat()
    if output_format == "json":
        echo_json({"program": record, "first_seen": first_seen, "history": history})
        return
    for name, value in record.items():
        if value not in (None, [], ""):
            click.echo(f"{name:>30}: {value}")
    click.echo(f"{'first_seen':>30}: {first_seen}")
    click.echo(f"\nÄnderungshistorie: {len(history)} Revision(en)")
    for entry in history:
        click.echo(f"  {entry['changed_at']} (Lauf {entry['run'] or '-'}): {', '.join(entry['changed_fields'])}")
        for name, (old, new) in entry["diff"].items():
            click.echo(f"      {name}: {str(old)[:80]!s} → {str(new)[:80]!s}")


@catalogue_group.command("link")
@click.argument("key_a", metavar="KEY")
@click.argument("key_b", metavar="OTHER_KEY")
@click.option("--apart", is_flag=True, help="Declare them different programs instead (kept across refreshes).")
@pass_context
def catalogue_link(ctx: CliContext, key_a: str, key_b: str, apart: bool) -> None:
    """Declare two records the same program (or, with --apart, different ones); kept across refreshes.

    \b
    Example:
      fundmatch catalogue link manual:bund/kfw/ikk-208-investitionskredit-kommunen foerderdatenbank:Bund/KfW/ikk-208
    """
    from fundmatch import catalogue, identity

    with ctx.session() as session:
        identity.decide(session, key_a, key_b, linked=not apart, by="Kommandozeile")
        catalogue.bump_version(session)
    click.echo(f"{key_a} und {key_b}: {'getrennt' if apart else 'als ein Programm verknüpft'}")


@catalogue_group.command("stats")
@format_option
@pass_context
def catalogue_stats(ctx: CliContext, output_format: str) -> None:
    """Counts per level, status, source and region, and the last run per source.

    \b
    Example:
      fundmatch catalogue stats --format json
    """
    from fundmatch import catalogue

    with ctx.session() as session:
        result = catalogue.stats(session)
    if output_format == "json":
        echo_json(result.to_dict())
        return
    click.echo(f"{result.total} programs (catalogue version {result.version}), {result.revisions} revisions")
    for title, counts in (
        ("level", result.by_level),
        ("status", result.by_status),
        ("source", result.by_source),
        ("region", result.by_region),
    ):
        click.echo(f"  by {title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for source, run in result.last_runs.items():
        click.echo(f"  last run of {source}: #{run['run']} {run['status']} at {run['started_at']}")


@cli.command("refresh")
@click.option("--source", "sources", multiple=True, help="Source id; repeat for several. Default: all sources.")
@click.option("--dry-run", is_flag=True, help="Fetch, parse and count, but change nothing.")
@format_option
@pass_context
def refresh_command(ctx: CliContext, sources: tuple[str, ...], dry_run: bool, output_format: str) -> None:
    """Refresh the catalogue from its sources; what cron or a systemd timer calls.

    Each source run proves itself (record count, fill rates) before it changes anything; a failed
    run leaves the catalogue as it was, and a run that would withdraw or rewrite much of a source is
    held for review (fundmatch sources confirm RUN). Exit code 0 when all runs were ok, 1 when one
    was partial, 2 when one failed or another refresh holds the lock, 3 when one is held; 143 when
    SIGTERM ended the refresh (the run is recorded as failed, the lock released).

    \b
    Example:
      fundmatch refresh
      fundmatch refresh --source eu_funding_tenders --dry-run --format json
    """
    from fundmatch import db, refresh

    log = (lambda line: click.echo(line, err=True)) if output_format == "json" else click.echo
    try:
        with refresh.ending_cleanly_on_sigterm():
            reports = refresh.refresh(ctx.database, ctx.settings, sources or None, dry_run=dry_run, log=log)
    except refresh.RefreshLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except (ValueError, db.DatabaseNotReady) as exc:
        raise click.ClickException(str(exc)) from None
    if output_format == "json":
        echo_json({"runs": [r.to_dict() for r in reports]})
    else:
        for report in reports:
            for where, message in report.warnings[:20]:
                click.echo(f"  warning [{report.source}] {where}: {message}")
            if len(report.warnings) > 20:
                click.echo(f"  … {len(report.warnings) - 20} more warnings (fundmatch sources list)")
    sys.exit(refresh.exit_code(reports))


@cli.group("sources")
def sources_group() -> None:
    """Catalogue sources: their runs, and offline parsing of saved pages.

    \b
    Example:
      fundmatch sources list
    """


@sources_group.command("list")
@click.option("--runs", type=click.IntRange(1, 100), default=3, show_default=True, help="Runs to show per source.")
@format_option
@pass_context
def sources_list(ctx: CliContext, runs: int, output_format: str) -> None:
    """Each source with its last runs (status, counts) and the warnings of the latest one.

    \b
    Example:
      fundmatch sources list --runs 5 --format json
    """
    from fundmatch import sources

    with ctx.session() as session:
        overview = sources.overview(session, runs=runs)
    if output_format == "json":
        echo_json({"sources": overview})
        return
    for source in overview:
        click.echo(f"{source['id']}: {source['title']} ({source['publisher']}), {source['programs']} programs")
        if not source["runs"]:
            click.echo("    no runs yet")
        for run in source["runs"]:
            click.echo(
                f"    #{run['id']} {run['started_at'][:16]} {run['status']:8} fetched {run['fetched']}, "
                f"new {run['new']}, changed {run['changed']}, unchanged {run['unchanged']}, "
                f"withdrawn {run['withdrawn']}, errors {run['errors']}"
                + (f" — {run['message']}" if run["message"] else "")
            )
        for warning in source["open_warnings"][:10]:
            click.echo(f"      warning {warning['url'] or ''}: {warning['message']}")


@sources_group.command("confirm")
@click.argument("run_id", metavar="RUN", type=click.IntRange(1, 2**31 - 1))
@pass_context
def sources_confirm(ctx: CliContext, run_id: int) -> None:
    """Apply a run that was held for review (its reasons: fundmatch sources list).

    \b
    Example:
      fundmatch sources confirm 42
    """
    from fundmatch import refresh

    report = refresh.confirm_run(ctx.database, ctx.settings, run_id, by="Kommandozeile")
    click.echo(
        f"Lauf #{run_id} ({report.source}) übernommen: {report.new} neu, {report.changed} geändert, "
        f"{report.unchanged} unverändert, {report.withdrawn} zurückgezogen"
    )


@sources_group.command("reject")
@click.argument("run_id", metavar="RUN", type=click.IntRange(1, 2**31 - 1))
@pass_context
def sources_reject(ctx: CliContext, run_id: int) -> None:
    """Discard a run that was held for review; the catalogue stays as it is.

    \b
    Example:
      fundmatch sources reject 42
    """
    from fundmatch import refresh

    refresh.reject_run(ctx.database, run_id, by="Kommandozeile")
    click.echo(f"Lauf #{run_id} verworfen; der Katalog bleibt, wie er ist")


@sources_group.command("parse")
@click.argument("source")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["json"]), default="json", show_default=True)
def sources_parse(source: str, path: Path, output_format: str) -> None:
    """Parse a saved page or file offline and print the records in the catalogue interchange format.

    PATH may be a Förderdatenbank detail or list page, an export ZIP or unpacked export folder, an EU
    search response or the EU bulk file. Warnings go to stderr.

    \b
    Example:
      fundmatch sources parse foerderdatenbank saved/detail.html --format json
      fundmatch sources parse eu_funding_tenders grantsTenders.json
    """
    from fundmatch.interchange import catalogue_document
    from fundmatch.scrapers import source_modules
    from fundmatch.scrapers.base import ParseError, Warnings

    modules = source_modules()
    if source not in modules:
        raise click.ClickException(f"unknown source {source!r}; known: {', '.join(modules)}")
    warnings = Warnings()
    try:
        records = modules[source].parse_file(path, warnings)
    except ParseError as exc:
        raise click.ClickException(str(exc)) from None
    for where, message in warnings:
        click.echo(f"warning {where}: {message}", err=True)
    echo_json(catalogue_document(records, datetime.now(UTC)))


def _load_measures(path: str, max_bytes: int):
    from fundmatch.interchange import load_json, parse_measures

    data = Path(path).read_bytes() if path != "-" else sys.stdin.buffer.read(max_bytes + 1)
    return parse_measures(load_json(data, name=path, max_bytes=max_bytes), name=path)


def _free_text_measure(
    text: str, land: str | None, applicant: str, funding_type: str | None, handlungsfeld: str | None
):
    from fundmatch.interchange import MeasureSpec

    if not land:
        raise click.UsageError("--land is needed with a free-text measure")
    first_line = text.strip().split("\n", 1)[0][:300] if text.strip() else ""
    data = {"id": "text", "title": first_line or " ", "description": text, "land": land, "applicant_type": applicant}
    if funding_type:
        data["funding_type"] = funding_type
    if handlungsfeld:
        data["handlungsfeld"] = handlungsfeld
    return MeasureSpec.from_dict(data, "Maßnahme")


def _print_matches(run) -> None:
    for measure, matches in run.results:
        click.echo(f"\n{measure.id}: {measure.title[:100]} ({measure.land})")
        if not matches:
            click.echo("    keine passenden Programme")
        for rank, match in enumerate(matches, 1):
            if match.section == "general" and (rank == 1 or matches[rank - 2].section != "general"):
                click.echo("    Allgemeine Finanzierung (Kredite und Fonds für Investitionen jeder Art):")
            deadline = german.format_date(match.next_deadline) if match.next_deadline else "–"
            click.echo(f"{rank:>3}. {match.score:.2f}  [{match.eligibility}]  {match.title[:90]}")
            facts = german.format_date(match.facts_as_of) if match.facts_as_of else "unbekannt"
            click.echo(f"        {match.instrument}")
            click.echo(f"        {match.key}  ·  Frist: {deadline}  ·  Stand der Angaben: {facts}")
            click.echo(f"        Gründe: {'; '.join(match.reasons)}")
            if match.matched_terms:
                click.echo(f"        Begriffe: {', '.join(match.matched_terms[:8])}")
            if match.concepts:
                click.echo(f"        Thesaurus: {'; '.join(match.concepts[:3])}")


@cli.command("match")
@click.argument("text", required=False)
@click.option(
    "--measures",
    "measures_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Measures file (interchange format).",
)
@click.option("--land", help="The measure's Land (ISO code, e.g. NW) for a free-text measure.")
@click.option("--applicant", type=click.Choice(vocab.APPLICANT_TYPE.codes), default="kommune", show_default=True)
@click.option(
    "--funding-type",
    type=click.Choice(vocab.FUNDING_TYPE.codes),
    help="Preferred Förderart (a mismatch asks for a check).",
)
@click.option("--handlungsfeld", help="Handlungsfeld of a free-text measure, e.g. 'Mobilität'.")
@click.option("--top", type=click.IntRange(1, 200), default=10, show_default=True)
@click.option("--include-ineligible", is_flag=True, help="Also list programs the measure cannot use.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_context
def match_command(
    ctx: CliContext,
    text,
    measures_file,
    land,
    applicant,
    funding_type,
    handlungsfeld,
    top,
    include_ineligible,
    output_format,
):
    """Rank funding programs for a measure (free text) or a whole measures file.

    \b
    Example:
      fundmatch match "Glasfaser für das Gewerbegebiet und die Grundschule" --land BY
      fundmatch match --measures massnahmen.json --top 5 --format json > treffer.json
    """
    from fundmatch.matching.service import match_measures

    if bool(text) == bool(measures_file):
        raise click.UsageError("give either a free-text measure or --measures FILE")
    if land and land.upper() not in vocab.LAND_BY_CODE:
        raise click.BadParameter(f"unknown Land {land!r}; valid: {vocab.valid_land_codes()}", param_hint="--land")
    max_bytes = ctx.settings.max_import_mb * 1_000_000
    measures = (
        _load_measures(measures_file, max_bytes)
        if measures_file
        else [_free_text_measure(text, land.upper() if land else None, applicant, funding_type, handlungsfeld)]
    )
    with ctx.session() as session:
        run = match_measures(session, ctx.settings, measures, top=top, include_ineligible=include_ineligible)
    for warning in run.warnings:
        click.echo(f"Warnung: {warning}", err=True)
    if output_format == "json":
        click.echo(json.dumps(run.to_document(), ensure_ascii=False, indent=1))
    else:
        _print_matches(run)


@cli.command("overview")
@click.option("--measures", "measures_file", required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="uebersicht.xlsx or uebersicht.csv")
@click.option("--top", type=click.IntRange(1, 20), default=3, show_default=True, help="Programs per measure.")
@pass_context
def overview_command(ctx: CliContext, measures_file: str, out: str, top: int) -> None:
    """Write the Förderübersicht: every measure with its top programs (XLSX or CSV by file name).

    Measures without any eligible program are flagged.

    \b
    Example:
      fundmatch overview --measures massnahmen.json --out foerderuebersicht.xlsx --top 3
    """
    from fundmatch.matching import overview
    from fundmatch.matching.service import match_measures

    suffix = Path(out).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise click.BadParameter("the file name must end in .xlsx or .csv", param_hint="--out")
    measures = _load_measures(measures_file, ctx.settings.max_import_mb * 1_000_000)
    with ctx.session() as session:
        run = match_measures(session, ctx.settings, measures, top=top)
    if suffix == ".csv":
        Path(out).write_text(overview.write_csv(run, top), encoding="utf-8")
    else:
        overview.write_xlsx(run, top, Path(out))
    missing = sum(1 for _, matches in run.results if not any(m.eligibility == "eligible" for m in matches))
    click.echo(
        f"Förderübersicht mit {len(measures)} Maßnahmen geschrieben: {out} ({missing} ohne förderfähiges Programm)"
    )


@cli.command("verdicts")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@pass_context
def verdicts_command(ctx: CliContext, out: str | None) -> None:
    """The team's verdicts on matches as a judged set, to evaluate or tune the matcher on.

    Vorgemerkt counts 2, relevant 1, nicht relevant 0; the quarter of the measures decided last is
    held out.

    \b
    Example:
      fundmatch verdicts --out urteile.json && fundmatch eval urteile.json
    """
    from fundmatch import shortlist

    with ctx.session() as session:
        gold = shortlist.verdicts_as_gold(session, datetime.now(UTC).date())
    text = json.dumps(gold, ensure_ascii=False, indent=1)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
        click.echo(f"{len(gold['measures'])} Maßnahmen mit Urteilen nach {out} geschrieben", err=True)
    else:
        click.echo(text)


@cli.command("tune")
@click.argument("gold", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--catalogue",
    "catalogue_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Tune on this catalogue file instead of the database.",
)
@click.option("--keep", is_flag=True, help="Rank with the learned weights from now on, if the held-out figure holds.")
@click.option("--reset", is_flag=True, help="Forget learned weights: rank with the shipped ones again.")
@pass_context
def tune_command(ctx: CliContext, gold: tuple[str, ...], catalogue_file: str | None, keep: bool, reset: bool) -> None:
    """Learn the matcher's weights from judged sets (e.g. the team's verdicts: fundmatch verdicts).

    Tunes on the development measures and reports the held-out ones before and after; with --keep the
    weights are kept in the data dir only if the held-out figure does not fall.

    \b
    Example:
      fundmatch verdicts --out urteile.json && fundmatch tune urteile.json --keep
    """
    from fundmatch import catalogue
    from fundmatch.interchange import load_json, parse_catalogue
    from fundmatch.matching import evaluate, tuning
    from fundmatch.matching.ranker import Matcher

    if reset:
        tuning.weights_path(ctx.settings).unlink(missing_ok=True)
        click.echo("gelernte Gewichte gelöscht; der Matcher rankt wieder mit den mitgelieferten")
        return
    if not gold:
        raise click.UsageError("mindestens eine bewertete Datei (fundmatch-gold) angeben")
    if catalogue_file:
        data = Path(catalogue_file).read_bytes()
        records = parse_catalogue(load_json(data, name=catalogue_file, max_bytes=len(data) + 1), name=catalogue_file)
    else:
        with ctx.session() as session:
            records = catalogue.shown_records(session)
    matcher = Matcher().fit(records)
    golds = [evaluate.parse_gold(json.loads(Path(g).read_text(encoding="utf-8")), name=g) for g in gold]
    tuned = tuning.tune([tuning.JudgedRanking(matcher, g) for g in golds], start=tuning.load_weights(ctx.settings))
    click.echo(f"Entwicklung: nDCG@10 {tuned.dev_before:.3f} → {tuned.dev_after:.3f}")
    click.echo(f"zurückgehalten: nDCG@10 {tuned.heldout_before:.3f} → {tuned.heldout_after:.3f}")
    if not keep:
        return
    if not tuned.generalises:
        raise click.ClickException(
            "Gewichte nicht übernommen: auf den zurückgehaltenen Maßnahmen fällt nDCG@10 "
            f"von {tuned.heldout_before:.3f} auf {tuned.heldout_after:.3f}"
        )
    path = tuning.save_weights(ctx.settings, tuned, gold)
    click.echo(f"gelernte Gewichte gespeichert: {path}")


@cli.command("eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--catalogue",
    "catalogue_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Evaluate on this catalogue file instead of the database.",
)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_context
def eval_command(ctx: CliContext, gold: str, catalogue_file: str | None, output_format: str) -> None:
    """Evaluate the matcher on a judged set against a BM25 baseline (nDCG@5/10, Recall@20, MRR).

    Held-out measures are reported apart from the development part.

    \b
    Example:
      fundmatch eval benchmarks/eval/gold_seed.json --catalogue seed_data/programs.json
    """
    from fundmatch import catalogue
    from fundmatch.interchange import load_json, parse_catalogue
    from fundmatch.matching import evaluate
    from fundmatch.matching.ranker import Matcher

    gold_data = evaluate.parse_gold(json.loads(Path(gold).read_text(encoding="utf-8")), name=gold)
    if catalogue_file:
        data = Path(catalogue_file).read_bytes()
        records = parse_catalogue(load_json(data, name=catalogue_file, max_bytes=len(data) + 1), name=catalogue_file)
    else:
        with ctx.session() as session:
            records = catalogue.shown_records(session)
    reports = {
        "fundmatch": evaluate.evaluate(
            evaluate.matcher_ranker(Matcher().fit(records), today=gold_data.as_of), gold_data
        ),
        "bm25": evaluate.evaluate(evaluate.BM25Baseline().fit(records).rank_keys, gold_data),
    }
    if output_format == "json":
        echo_json(reports)
        return
    click.echo(f"{'measure':10} " + "  ".join(f"{'fm ' + m:>12} {'bm25 ' + m:>14}" for m in evaluate.METRICS))
    for measure_id, values in reports["fundmatch"]["per_measure"].items():
        base = reports["bm25"]["per_measure"][measure_id]
        marker = "*" if measure_id in gold_data.heldout else " "
        click.echo(
            f"{measure_id + marker:10} " + "  ".join(f"{values[m]:12.3f} {base[m]:14.3f}" for m in evaluate.METRICS)
        )
    for part in ("dev", "heldout", "all"):
        click.echo(
            f"{part:10} "
            + "  ".join(
                f"{reports['fundmatch'][part][m]:12.3f} {reports['bm25'][part][m]:14.3f}" for m in evaluate.METRICS
            )
        )
    click.echo("(* held out: never used for tuning)")
    missing = reports["fundmatch"]["without_relevant"]
    if missing:
        click.echo(f"measures without any relevant program (not averaged): {', '.join(missing)}")


@cli.command("draft")
@click.option("--measure", "measure_id", type=int, help="A stored measure's id.")
@click.option(
    "--measures",
    "measures_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Measures file (interchange format) …",
)
@click.option("--measure-id", "file_measure_id", help="… and the id of the measure in it.")
@click.option("--program", "program_key", required=True, help="SOURCE:SOURCE_ID of the program.")
@click.option("--template", help="Template name (see `fundmatch templates list`); default: chosen from the program.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the .docx.")
@pass_context
def draft_command(ctx: CliContext, measure_id, measures_file, file_measure_id, program_key, template, out) -> None:
    """Write a pre-filled DOCX application draft for a measure and a program, to finish in Word.

    \b
    Example:
      fundmatch draft --measure 12 --program manual:land/by/bayerische-gigabitrichtlinie --out skizze.docx
      fundmatch draft --measures massnahmen.json --measure-id m01 \\
          --program manual:bund/kfw/ikk-208-investitionskredit-kommunen --template finanzierungsplan --out plan.docx
    """
    from fundmatch.drafting import service
    from fundmatch.drafting.render import TemplateProblem

    if bool(measure_id) == bool(measures_file):
        raise click.UsageError("give either --measure ID or --measures FILE with --measure-id")
    if not out.lower().endswith(".docx"):
        raise click.BadParameter("the file name must end in .docx", param_hint="--out")
    with ctx.session() as session:
        try:
            if measure_id:
                draft = service.input_for_stored_measure(session, measure_id, program_key)
            else:
                if not file_measure_id:
                    raise click.UsageError("--measures needs --measure-id")
                measures = {m.id: m for m in _load_measures(measures_file, ctx.settings.max_import_mb * 1_000_000)}
                if file_measure_id not in measures:
                    raise click.ClickException(
                        f"no measure {file_measure_id!r} in {measures_file}; ids: {', '.join(measures)}"
                    )
                draft = service.input_for_measure_spec(session, measures[file_measure_id], program_key)
            _name, data = service.make_draft(draft, ctx.settings, template)
        except (service.DraftError, TemplateProblem) as exc:
            raise click.ClickException(str(exc)) from None
    Path(out).write_bytes(data)
    click.echo(f"Entwurf geschrieben: {out}")


@cli.group("templates")
def templates_group() -> None:
    """DOCX templates for application drafts.

    \b
    Example:
      fundmatch templates list
    """


@templates_group.command("list")
@format_option
@pass_context
def templates_list(ctx: CliContext, output_format: str) -> None:
    """The shipped templates and your own (FUNDMATCH_TEMPLATE_DIR), each checked for syntax errors.

    \b
    Example:
      FUNDMATCH_TEMPLATE_DIR=~/vorlagen fundmatch templates list
    """
    from fundmatch.drafting.render import TemplateProblem, available_templates, check_template

    rows = []
    for info in available_templates(ctx.settings).values():
        try:
            check_template(info)
            problem = None
        except TemplateProblem as exc:
            problem = str(exc)
        rows.append(
            {
                "name": info.name,
                "origin": info.origin,
                "description": info.description,
                "path": str(info.path),
                "problem": problem,
            }
        )
    if output_format == "json":
        echo_json({"templates": rows})
        return
    for row in rows:
        status = f"FEHLER: {row['problem']}" if row["problem"] else "ok"
        click.echo(f"{row['name']:20} {row['origin']:10} {row['description']}  [{status}]")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@pass_context
def serve(ctx: CliContext, host: str, port: int, threads: int) -> None:
    """Start the web app with the production server waitress (loads the seed catalogue on first start).

    On a fresh embedded database a first admin account is created and its password printed once.

    \b
    Example:
      fundmatch serve --port 8000
    """
    import secrets

    from waitress import serve as waitress_serve

    from fundmatch import catalogue, users
    from fundmatch.web import create_app

    if not ctx.settings.secret_key and not ctx.settings.is_embedded:
        raise click.ClickException("FUNDMATCH_SECRET_KEY must be set when fundmatch serves a server database")
    with ctx.session() as session:
        if catalogue.stats(session).total == 0:
            result = catalogue.seed_catalogue(session)
            click.echo(f"Katalog mit {result.new} kuratierten Programmen geladen.")
        if users.count_users(session) == 0:
            password = secrets.token_urlsafe(12)
            users.create_user(session, "admin", password, "admin")
            click.echo(f"Erster Zugang angelegt – Benutzer: admin  Passwort: {password}  (bitte ändern)")
    app = create_app(ctx.settings)
    click.echo(f"fundmatch läuft auf http://{host}:{port}/ (Strg+C beendet)")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="fundmatch")
    finally:
        app.extensions["fundmatch.database"].dispose()


@cli.group("users")
def users_group() -> None:
    """Accounts of the web app and API tokens.

    \b
    Example:
      fundmatch users create --username anna --password 'ein langes Passwort' --role consultant
    """


@users_group.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--role", type=click.Choice(["admin", "consultant"]), default="consultant", show_default=True)
@pass_context
def users_create(ctx: CliContext, username: str, password: str, role: str) -> None:
    """Create a user (passwords are stored as scrypt hashes).

    \b
    Example:
      fundmatch users create --username anna --password 'ein langes Passwort' --role admin
    """
    from fundmatch import users

    with ctx.session() as session:
        try:
            users.create_user(session, username, password, role)
        except users.UserError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Benutzer {username} ({role}) angelegt.")


@users_group.command("token")
@click.option("--username", required=True)
@pass_context
def users_token(ctx: CliContext, username: str) -> None:
    """Issue a new API token for scripts (shown once; the previous token stops working).

    \b
    Example:
      fundmatch users token --username anna
    """
    from fundmatch import users

    with ctx.session() as session:
        user = users.user_by_name(session, username)
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        token = users.issue_api_token(session, user)
    click.echo(token)


def main() -> None:
    cli(prog_name="fundmatch")


if __name__ == "__main__":
    main()
