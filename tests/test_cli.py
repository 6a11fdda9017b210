"""The command line: help on every command, import/export round trip, bad input leaves the database as it was."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import click
import pytest
from click.testing import CliRunner

from fundmatch.cli import cli
from tests.builders import document, program


def walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


@pytest.mark.parametrize("path", [p for p, _ in walk(cli)], ids=lambda p: " ".join(p) or "fundmatch")
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert "fundmatch " in result.output.split("Example:")[1]


HEAVY_LIBRARIES = "{'sqlalchemy', 'alembic', 'numpy', 'scipy', 'sklearn', 'httpx', 'bs4', 'lxml'}"


def loaded(script: str) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running ``script``."""
    probe = f"{script}\nimport sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY_LIBRARIES}))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().replace("'", '"'))


def test_the_command_line_starts_without_database_or_matching_libraries():
    """`fundmatch --help` must answer at once: such imports belong in the commands that need them."""
    assert loaded("import fundmatch.cli") == []


def test_a_database_at_the_newest_revision_opens_without_alembic(database, settings):
    database.ensure_ready()
    script = (
        "from fundmatch import db\n"
        "from fundmatch.config import Settings\n"
        f"settings = Settings(data_dir={str(settings.data_dir)!r}, database_url={settings.database_url!r})\n"
        "database = db.Database(settings)\n"
        "database.ensure_ready()\n"
        "database.dispose()"
    )
    assert not [m for m in loaded(script) if m.startswith("alembic")]


def test_the_head_revision_constant_is_alembics_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from fundmatch import db

    config = Config()
    config.set_main_option("script_location", str(resources.files("fundmatch") / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == db.HEAD_REVISION


def test_an_unmigrated_embedded_database_is_migrated_on_first_use(tmp_path):
    from fundmatch import db
    from fundmatch.config import Settings

    database = db.Database(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'new.sqlite3'}"))
    assert db.current_revision(database.engine) is None
    database.ensure_ready()
    assert db.current_revision(database.engine) == db.HEAD_REVISION
    database.dispose()


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(path)


def export(run_cli) -> dict:
    result = run_cli("catalogue", "export")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_import_export_round_trip_is_lossless_and_idempotent(run_cli, tmp_path):
    source = document(program(), program(source_id="bund/kfw-208", level="bund", regions=["DE"], contact=None))
    result = run_cli("catalogue", "import", write(tmp_path, "in.json", source), "--format", "json")
    assert json.loads(result.stdout) == {"new": 2, "changed": 0, "unchanged": 0}
    exported = export(run_cli)
    assert exported["format"] == "fundmatch-catalogue" and exported["version"] == 1
    again = run_cli("catalogue", "import", write(tmp_path, "out.json", exported), "--format", "json")
    assert json.loads(again.stdout) == {"new": 0, "changed": 0, "unchanged": 2}
    assert export(run_cli)["programs"] == exported["programs"]
    stats = json.loads(run_cli("catalogue", "stats", "--format", "json").stdout)
    assert stats["revisions"] == 0 and stats["total"] == 2


def test_export_to_file_and_filtered(run_cli, tmp_path):
    run_cli(
        "catalogue", "import", write(tmp_path, "in.json", document(program(), program(source_id="x", regions=["NW"])))
    )
    out = tmp_path / "sub.json"
    result = run_cli("catalogue", "export", "--region", "NW", "--out", str(out))
    assert result.exit_code == 0
    assert [p["source_id"] for p in json.loads(out.read_text())["programs"]] == ["x"]


def test_changed_import_records_history_shown_by_show(run_cli, tmp_path):
    run_cli("catalogue", "import", write(tmp_path, "a.json", document(program())))
    run_cli("catalogue", "import", write(tmp_path, "b.json", document(program(funding_rate_max=95))))
    shown = json.loads(run_cli("catalogue", "show", "manual:land/by/gigabit", "--format", "json").stdout)
    assert shown["program"]["funding_rate_max"] == 95
    assert shown["history"][0]["diff"] == {"funding_rate_max": [90, 95]}
    table = run_cli("catalogue", "show", "manual:land/by/gigabit").stdout
    assert "funding_rate_max: 90 → 95" in table


def test_list_filters_and_json(run_cli, tmp_path):
    run_cli(
        "catalogue", "import", write(tmp_path, "a.json", document(program(), program(source_id="x", regions=["NW"])))
    )
    listed = json.loads(run_cli("catalogue", "list", "--land", "nw", "--format", "json").stdout)
    assert listed["total"] == 1 and listed["programs"][0]["key"] == "manual:x"
    assert "1 programs" in run_cli("catalogue", "list", "--land", "BY").stdout


def test_list_and_match_show_instrument_and_the_date_of_the_facts(run_cli, tmp_path):
    loan = program(
        source_id="kredit", title="Kommunalkredit Glasfaser", funding_types=["darlehen"], facts_as_of="2026-10-01"
    )
    run_cli("catalogue", "import", write(tmp_path, "a.json", document(loan)))
    listed = run_cli("catalogue", "list").stdout
    assert "Darlehen" in listed and "Stand der Angaben: 2026-10-01" in listed
    assert json.loads(run_cli("catalogue", "list", "--format", "json").stdout)["programs"][0]["instrument"].startswith(
        "Darlehen"
    )
    matched = run_cli("match", "Glasfaser Kredit", "--land", "BY").stdout
    assert "Darlehen" in matched and "Stand der Angaben: 01.10.2026" in matched


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": "fundmatch-catalogue", "version": 1, "programs": [', "ungültiges JSON in Zeile 1"),
        (document(program(), format="something"), "format ist 'something'"),
        (document(program(), version=3), "Version 3 ist neuer"),
        (document(program(), program(source_id="z", regions=["Mars"])), "Datensatz 1 (source_id 'z'): Feld 'regions'"),
        (
            document(program(), program(source_id="z", topics=["weltraum"])),
            "Feld 'topics': unbekannter Code 'weltraum'",
        ),
        (document({k: v for k, v in program().items() if k != "url"}), "Feld 'url': fehlt (Pflichtfeld)"),
        (b'{"format": "fundmatch-catalogue", "format": "x"}', "Schlüssel 'format' steht doppelt"),
        ('{"format": "fundmatch-catalogue", "titel": "Gräben"}'.encode("latin-1"), "kein UTF-8"),
    ],
)
def test_bad_import_exits_nonzero_and_changes_nothing(run_cli, tmp_path, content, message):
    run_cli("catalogue", "import", write(tmp_path, "good.json", document(program(source_id="keep", title="Bestand"))))
    before = export(run_cli)["programs"]
    result = run_cli("catalogue", "import", write(tmp_path, "bad.json", content))
    assert result.exit_code == 1
    assert message in result.stderr
    assert export(run_cli)["programs"] == before


def test_oversized_import_is_refused(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FUNDMATCH_MAX_IMPORT_MB", "1")
    big = document(
        program(description="x" * 400_000), *[program(source_id=f"p{i}", description="y" * 400_000) for i in range(3)]
    )
    result = run_cli("catalogue", "import", write(tmp_path, "big.json", big))
    assert result.exit_code == 1
    assert "erlaubt sind 1 MB" in result.stderr
    assert export(run_cli)["programs"] == []


def test_show_unknown_program_and_bad_key(run_cli):
    assert "no program 'manual:nope'" in run_cli("catalogue", "show", "manual:nope").stderr
    assert "QUELLE:KENNUNG, nicht 'nokey'" in run_cli("catalogue", "show", "nokey").stderr


def test_list_rejects_unknown_land(run_cli):
    result = run_cli("catalogue", "list", "--land", "XX")
    assert result.exit_code == 1 and "unbekanntes Land 'XX'" in result.stderr
