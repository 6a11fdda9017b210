"""Application drafts: exact finance, filled facts, visible gaps, Word quality, sandboxed custom templates."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import time
import zipfile
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from docx import Document
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from fundmatch.config import Settings
from fundmatch.drafting import finance
from fundmatch.drafting import render as render_module
from fundmatch.drafting.context import DraftInput, MunicipalityInfo, build_context
from fundmatch.drafting.render import TemplateProblem, available_templates, check_template, choose_template, render
from fundmatch.interchange import MeasureSpec
from fundmatch.models import Measure, Municipality, Strategy
from fundmatch.scrapers.records import Contact, Deadline, ProgramRecord
from tests.builders import document, program

TODAY = date(2026, 11, 26)
HOSTILE = "Bürger-App {{ 7*7 }} {% if true %}x{% endif %} <w:p> & \x07\x1b Ende"

PROGRAM = ProgramRecord(
    source="manual",
    source_id="land/by/gigabit",
    title="Bayerische Gigabitrichtlinie (BayGibitR)",
    url="https://example.org/gigabit",
    level="land",
    regions=["BY"],
    summary="Zuschüsse für Glasfaser.",
    funding_types=["zuschuss"],
    applicant_types=["kommune"],
    funder="Bayerisches Staatsministerium der Finanzen",
    funding_rate_min=80,
    funding_rate_max=90,
    funding_rate_financially_weak=95,
    amount_max_eur=10_000_000,
    deadlines=[Deadline(date=date(2027, 3, 31), kind="submission", note="Stichtag")],
    status="open",
    legal_basis="Richtlinie vom 2. März 2020",
    contact=Contact(name="Breitbandzentrum", address="Am Platz 1, 92224 Amberg"),
    keywords=["Glasfaser"],
)
MEASURE = MeasureSpec(
    id="m1",
    title="Glasfaser für das Gewerbegebiet",
    land="BY",
    description="Wir schließen 40 Betriebe an.",
    handlungsfeld="infrastruktur",
    cost_eur=1_000_000.01,
    start=date(2027, 4, 1),
    time_horizon="lang",
    goal="Gigabit für alle Betriebe",
)
TOWN = MunicipalityInfo(
    name="Markt Musterhausen",
    land="BY",
    ags="09162000",
    kind="gemeinde",
    population=8200,
    financially_weak=False,
    contact_name="Frau Beispiel",
    contact_email="digital@musterhausen.de",
    contact_phone="09123 4567",
    address="Rathausplatz 1, 91234 Musterhausen",
)
SETTINGS = Settings(data_dir=Path("/nonexistent"), database_url="sqlite://")
TEMPLATES = available_templates(SETTINGS)


def render_doc(name: str, draft: DraftInput | None = None):
    data = render(draft or DraftInput(MEASURE, PROGRAM, TOWN), TEMPLATES[name], TODAY)
    return Document(io.BytesIO(data)), data


def full_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


# ---- finance -----------------------------------------------------------------------------------


def test_even_split_adds_up_to_the_cent():
    parts = finance.split_even(Decimal("1000000.01"), 3)
    assert parts == [Decimal("333333.34"), Decimal("333333.34"), Decimal("333333.33")]
    assert sum(parts) == Decimal("1000000.01")


def test_plan_grant_rate_maximum_and_own_share():
    result = finance.plan(
        cost_eur=1_000_000.01,
        rate_min=80,
        rate_max=90,
        rate_financially_weak=None,
        amount_max_eur=None,
        financially_weak=False,
        start=date(2027, 4, 1),
        time_horizon="lang",
    )
    assert result.grant == Decimal("900000.01")
    assert result.own_share == Decimal("100000.00")
    assert [y.year for y in result.years] == [2027, 2028, 2029]
    assert sum(y.total for y in result.years) == result.total
    assert sum(y.grant for y in result.years) == result.grant
    assert sum(y.own_share for y in result.years) == result.own_share
    assert any("80 % bis 90 %" in note for note in result.notes)


def test_plan_caps_at_maximum_and_uses_the_weak_municipality_rate():
    capped = finance.plan(
        cost_eur=2_000_000,
        rate_min=None,
        rate_max=90,
        rate_financially_weak=None,
        amount_max_eur=500_000,
        financially_weak=False,
        start=None,
        time_horizon=None,
    )
    assert capped.grant == Decimal("500000.00") and capped.own_share == Decimal("1500000.00")
    weak = finance.plan(
        cost_eur=100_000,
        rate_min=80,
        rate_max=90,
        rate_financially_weak=95,
        amount_max_eur=None,
        financially_weak=True,
        start=None,
        time_horizon=None,
    )
    assert weak.rate == Decimal("95") and weak.grant == Decimal("95000.00")


def test_plan_without_rate_leaves_grant_open():
    result = finance.plan(
        cost_eur=50_000,
        rate_min=None,
        rate_max=None,
        rate_financially_weak=None,
        amount_max_eur=None,
        financially_weak=False,
        start=None,
        time_horizon="kurz",
    )
    assert result.grant is None and result.own_share is None
    assert any("keinen Fördersatz" in n for n in result.notes)


# ---- rendering ---------------------------------------------------------------------------------


def test_projektskizze_structure_and_filled_facts():
    doc, _ = render_doc("projektskizze")
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "Antragsteller und Ansprechpartner",
        "Titel und Kurzbeschreibung",
        "Ausgangslage und Bedarf",
        "Ziele und messbare Ergebnisse",
        "Beschreibung der Maßnahme",
        "Beitrag zu den Förderzielen und zur Digitalstrategie",
        "Partner und Zuständigkeiten",
        "Nachhaltigkeit und Verstetigung",
        "Kosten- und Finanzierungsübersicht",
        "Anlagen und Termine",
    ]
    assert doc.paragraphs[0].style.name == "Title" and "Glasfaser für das Gewerbegebiet" in doc.paragraphs[0].text
    text = full_text(doc)
    for fact in (
        "Markt Musterhausen",
        "09162000",
        "8.200",
        "digital@musterhausen.de",
        "Bayerisches Staatsministerium der Finanzen",
        "Richtlinie vom 2. März 2020",
        "31.03.2027",
        "Gigabit für alle Betriebe",
        "Infrastruktur & Breitband",
        "Quelle: fundmatch-Katalog (eigene Zusammenfassung), https://example.org/gigabit",
    ):
        assert fact in text, fact


def test_gaps_are_highlighted_placeholders():
    doc, _ = render_doc("projektskizze")
    gaps = [run for p in doc.paragraphs for run in p.runs if run.text.startswith("[Bitte ergänzen:")]
    assert len(gaps) >= 3
    assert all(run._r.find(".//{*}shd") is not None and run.italic for run in gaps)
    assert "[Bitte ergänzen: Ausgangslage und Bedarf" in full_text(doc)


def test_finance_table_sums_are_exact():
    doc, _ = render_doc("finanzierungsplan")
    years = next(t for t in doc.tables if t.rows[0].cells[0].text == "Haushaltsjahr")
    rows = [[c.text for c in row.cells] for row in years.rows[1:]]
    assert [r[0] for r in rows] == ["2027", "2028", "2029", "Summe"]

    def amount(text: str) -> Decimal:
        return Decimal(text.replace(" €", "").replace(".", "").replace(",", "."))

    for column in (1, 2, 3):
        assert sum(amount(r[column]) for r in rows[:-1]) == amount(rows[-1][column])
    assert rows[-1][1:] == ["1.000.000,01 €", "900.000,01 €", "100.000,00 €"]


def test_cost_table_columns_are_wide_enough_for_their_labels():
    doc, _ = render_doc("finanzierungsplan")
    costs = next(t for t in doc.tables if t.rows[0].cells[0].text == "Kostenart")
    grid = [column.width.cm for column in costs.columns]
    assert grid[0] > grid[2] and abs(sum(grid) - 16.0) < 0.1  # "Gesamtausgaben" on one line; text width of A4


def test_missing_municipality_becomes_placeholders():
    doc, _ = render_doc("anschreiben", DraftInput(MEASURE, PROGRAM, None))
    text = full_text(doc)
    assert "[Bitte ergänzen: Name der Kommune]" in text
    assert "Antrag auf Förderung im Programm „Bayerische Gigabitrichtlinie (BayGibitR)“" in text
    assert "Breitbandzentrum" in text and "Am Platz 1, 92224 Amberg" in text


def test_eu_outline_for_eu_programs():
    eu = PROGRAM.model_copy(
        update={"level": "eu", "regions": ["EU"], "source_id": "DIGITAL-2026-X", "title": "Local Digital Twins"}
    )
    info = choose_template("eu", None, TEMPLATES)
    assert info.name == "eu_outline"
    doc, _ = render_doc("eu_outline", DraftInput(MEASURE, eu, TOWN))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[:3] == ["Excellence", "Impact", "Quality and efficiency of the implementation"]
    assert "Registrierung (PIC) im Funding & Tenders Portal" in full_text(doc)


def test_template_choice_and_override():
    assert choose_template("land", None, TEMPLATES).name == "projektskizze"
    assert choose_template("land", "finanzierungsplan", TEMPLATES).name == "finanzierungsplan"
    with pytest.raises(TemplateProblem, match="unbekannte Vorlage 'brief'; verfügbar: anschreiben"):
        choose_template("land", "brief", TEMPLATES)


def test_word_quality_styles_language_header_footer_page_numbers_properties():
    doc, data = render_doc("projektskizze")
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 2) == 2.5
    assert "Glasfaser für das Gewerbegebiet" in section.header.paragraphs[0].text
    footer_xml = etree.tostring(section.footer._element).decode()
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        styles = package.read("word/styles.xml").decode()
        assert 'w:val="de-DE"' in styles
        numbering = package.read("word/numbering.xml").decode()
        assert 'w:val="Heading1"' in numbering
        for name in package.namelist():
            if name.endswith(".xml"):
                etree.fromstring(package.read(name))  # every part is well-formed XML
    properties = doc.core_properties
    assert properties.title.endswith("Glasfaser für das Gewerbegebiet")
    assert properties.subject == PROGRAM.title
    assert properties.author == "Markt Musterhausen"
    assert "Glasfaser" in properties.keywords and properties.language == "de-DE"
    assert any(t.style.name == "Light Grid Accent 1" for t in doc.tables)


def test_measure_text_is_inserted_literally_never_evaluated():
    hostile = MEASURE.model_copy(
        update={"title": "Titel " + HOSTILE, "description": HOSTILE + " " + "Langer Text. " * 8000}
    )
    doc, data = render_doc("projektskizze", DraftInput(hostile, PROGRAM, TOWN))
    text = full_text(doc)
    assert "{{ 7*7 }}" in text and "49" not in text.split("Titel")[1][:40]
    assert "{% if true %}x{% endif %}" in text
    assert "<w:p>" in text and "&" in text
    assert "\x07" not in text and "\x1b" not in text
    assert len(text) > 100_000
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        etree.fromstring(package.read("word/document.xml"))


# ---- custom templates --------------------------------------------------------------------------


def custom_settings(tmp_path, name: str, extra_paragraph: str) -> Settings:
    folder = tmp_path / "vorlagen"
    folder.mkdir(exist_ok=True)
    doc = Document(str(TEMPLATES["anschreiben"].path))
    doc.add_paragraph(extra_paragraph)
    doc.save(folder / f"{name}.docx")
    return replace(SETTINGS, template_dir=folder)


def test_custom_template_overrides_by_name(tmp_path):
    settings = custom_settings(tmp_path, "anschreiben", "Eigener Zusatz für {{r municipality.name }}")
    info = available_templates(settings)["anschreiben"]
    assert info.origin == "eigene"
    doc = Document(io.BytesIO(render(DraftInput(MEASURE, PROGRAM, TOWN), info, TODAY)))
    assert "Eigener Zusatz für Markt Musterhausen" in full_text(doc)


def test_syntax_error_names_template_and_paragraph(tmp_path):
    settings = custom_settings(tmp_path, "kaputt", "Hallo {{r municipality.name }")
    with pytest.raises(
        TemplateProblem, match=r"Vorlage 'kaputt' \(.*kaputt\.docx\): Syntaxfehler in Absatz \d+ \('Hallo"
    ):
        check_template(available_templates(settings)["kaputt"])


@pytest.mark.parametrize(
    "payload",
    ["{{ municipality.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}", "{{ gaps.situation._parent }}"],
)
def test_sandbox_blocks_python_internals(tmp_path, payload):
    settings = custom_settings(tmp_path, "boese", payload)
    with pytest.raises(TemplateProblem, match="Vorlage 'boese'"):
        render(DraftInput(MEASURE, PROGRAM, TOWN), available_templates(settings)["boese"], TODAY)


def test_unknown_placeholder_is_named(tmp_path):
    settings = custom_settings(tmp_path, "tippfehler", "{{r municipality.nmae }}")
    with pytest.raises(TemplateProblem, match="unbekannter Platzhalter"):
        render(DraftInput(MEASURE, PROGRAM, TOWN), available_templates(settings)["tippfehler"], TODAY)


def test_broken_docx_in_template_folder(tmp_path):
    folder = tmp_path / "vorlagen"
    folder.mkdir()
    (folder / "leer.docx").write_bytes(b"not a zip")
    info = available_templates(replace(SETTINGS, template_dir=folder))["leer"]
    with pytest.raises(TemplateProblem, match="keine lesbare DOCX-Datei"):
        check_template(info)


# ---- LibreOffice -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed; CI installs it")
@pytest.mark.parametrize("name", ["projektskizze", "finanzierungsplan", "anschreiben", "eu_outline"])
def test_libreoffice_opens_the_draft(tmp_path, name):
    _, data = render_doc(name)
    source = tmp_path / f"{name}.docx"
    source.write_bytes(data)
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        ["pdftotext", str(tmp_path / f"{name}.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Musterhausen" in text
    if name in ("projektskizze", "finanzierungsplan"):
        assert "1.000.000,01 €" in text
    assert "Seite 1" in text


# ---- CLI ---------------------------------------------------------------------------------------


def catalogue_file(tmp_path) -> str:
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(document(program())))
    return str(path)


def test_cli_draft_for_a_measure_from_a_file(run_cli, tmp_path):
    run_cli("catalogue", "import", catalogue_file(tmp_path))
    measures = tmp_path / "m.json"
    measures.write_text(
        json.dumps([{"id": "m7", "title": "Glasfaser Gewerbegebiet", "land": "BY", "cost_eur": 200000}])
    )
    out = tmp_path / "entwurf.docx"
    result = run_cli(
        "draft",
        "--measures",
        str(measures),
        "--measure-id",
        "m7",
        "--program",
        "manual:land/by/gigabit",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    text = full_text(Document(str(out)))
    assert "Glasfaser Gewerbegebiet" in text and "[Bitte ergänzen: Name der Kommune]" in text
    assert "unknown" not in run_cli("templates", "list").stdout
    bad = run_cli(
        "draft",
        "--measures",
        str(measures),
        "--measure-id",
        "m9",
        "--program",
        "manual:land/by/gigabit",
        "--out",
        str(out),
    )
    assert bad.exit_code == 1 and "no measure 'm9'" in bad.stderr


def test_cli_draft_for_a_stored_measure_with_its_municipality(run_cli, tmp_path, database):
    run_cli("catalogue", "import", catalogue_file(tmp_path))
    with database.session() as session:
        town = Municipality(
            name="Stadt Beispielburg",
            ags="09564000",
            land="BY",
            kind="stadt",
            population=52000,
            financially_weak=True,
            contact_email="it@beispielburg.de",
        )
        strategy = Strategy(municipality=town, title="Digitalstrategie 2030", goals=["Gigabit überall"])
        measure = Measure(
            strategy=strategy,
            title="Glasfaser für Schulen",
            land="BY",
            cost_eur=400000,
            goal="Gigabit überall",
            time_horizon="mittel",
            planned_start=date(2027, 9, 1),
        )
        session.add_all([town, strategy, measure])
        session.flush()
        measure_id = measure.id
    out = tmp_path / "skizze.docx"
    result = run_cli(
        "draft",
        "--measure",
        str(measure_id),
        "--program",
        "manual:land/by/gigabit",
        "--template",
        "finanzierungsplan",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    text = full_text(Document(str(out)))
    assert "Stadt Beispielburg" in text and "400.000,00 €" in text and "2028" in text
    assert (
        "nicht" in run_cli("draft", "--measure", "999", "--program", "manual:land/by/gigabit", "--out", str(out)).stderr
        or True
    )
    missing = run_cli("draft", "--measure", "999", "--program", "manual:land/by/gigabit", "--out", str(out))
    assert missing.exit_code == 1 and "Maßnahme 999 gibt es nicht" in missing.stderr


# ---- resource limits for custom templates ------------------------------------------------------


def limited_template(tmp_path, body: str, header: str | None = None) -> Settings:
    """A custom template 'meine': the shipped Anschreiben plus ``body`` (and ``header``) paragraphs."""
    folder = tmp_path / "vorlagen"
    folder.mkdir(exist_ok=True)
    doc = Document(str(TEMPLATES["anschreiben"].path))
    doc.add_paragraph(body)
    if header is not None:
        doc.sections[0].header.add_paragraph(header)
    doc.save(folder / "meine.docx")
    return replace(SETTINGS, template_dir=folder)


def render_custom(settings: Settings) -> bytes:
    return render(DraftInput(MEASURE, PROGRAM, TOWN), available_templates(settings)["meine"], TODAY)


PROBE = "{% for i in range(10**7) %}x{% endfor %}"


def test_limits_huge_range_is_a_german_error_naming_the_template(tmp_path):
    settings = limited_template(tmp_path, PROBE)
    path = settings.template_dir / "meine.docx"
    with pytest.raises(TemplateProblem) as problem:
        render_custom(settings)
    assert str(problem.value) == (
        f"Vorlage 'meine' ({path}): Schleife zu groß – range() erlaubt höchstens 10.000 Durchläufe"
    )


def test_limits_huge_range_through_the_cli_is_exit_1_without_traceback(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FUNDMATCH_TEMPLATE_DIR", str(limited_template(tmp_path, PROBE).template_dir))
    run_cli("catalogue", "import", catalogue_file(tmp_path))
    measures = tmp_path / "m.json"
    measures.write_text(json.dumps([{"id": "m7", "title": "Glasfaser", "land": "BY", "cost_eur": 200000}]))
    out = tmp_path / "entwurf.docx"
    result = run_cli(
        "draft",
        *("--measures", str(measures), "--measure-id", "m7", "--program", "manual:land/by/gigabit"),
        *("--template", "meine", "--out", str(out)),
    )
    assert result.exit_code == 1
    assert "Vorlage 'meine'" in result.stderr and "range() erlaubt höchstens 10.000 Durchläufe" in result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_limits_huge_range_through_the_web_is_400(settings, database, make_app, tmp_path):
    from fundmatch import catalogue, users
    from tests.test_web import PASSWORD, Browser

    with database.session() as session:
        catalogue.apply_records(session, [PROGRAM])
        users.create_user(session, "admin", PASSWORD, "admin")
        town = Municipality(name="Markt Musterhausen", ags="09162000", land="BY", kind="gemeinde")
        measure = Measure(strategy=Strategy(municipality=town, title="Digitalstrategie"), title="Glasfaser", land="BY")
        session.add(measure)
        session.flush()
        measure_id = measure.id
    folder = limited_template(tmp_path, PROBE).template_dir
    app = make_app(replace(settings, secret_key="test-secret", template_dir=folder), testing=True)
    answer = Browser(app, "admin").get(
        f"/massnahmen/{measure_id}/entwurf?program=manual:land/by/gigabit&template=meine"
    )
    assert answer.status_code == 400
    assert "range() erlaubt höchstens 10.000 Durchläufe" in answer.get_data(as_text=True)


def test_limits_nested_loops_hit_the_time_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(render_module, "RENDER_SECONDS", 0.5)
    loops = "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
    settings = limited_template(tmp_path, loops + "{% endfor %}{% endfor %}{% endfor %}")  # no output, no call
    started = time.monotonic()
    with pytest.raises(TemplateProblem, match=r"^Vorlage 'meine' .*: Zeitlimit überschritten – .* 0,5 Sekunden"):
        render_custom(settings)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ('{{ "x" * 10**9 }}', "Wiederholung zu groß – „*“ darf höchstens 1.000.000 Zeichen oder Elemente ergeben"),
        ("{{ 10**9 * [1] }}", "Wiederholung zu groß"),
        ("{{ 2 ** (10 ** 8) }}", "Zahl zu groß – „**“ darf höchstens Zahlen mit 3.000 Stellen ergeben"),
        ("{{ (10 ** 2000) * (10 ** 2000) }}", "Zahl zu groß – „*“"),
        ("{{ 2.0 ** 10000 }}", "Rechenfehler"),
        ("{{ 1 / 0 }}", "Rechenfehler – division by zero"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "zu tief verschachtelt"),
    ],
)
def test_limits_runaway_expressions_are_template_problems(tmp_path, expression, message):
    with pytest.raises(TemplateProblem, match=f"^Vorlage 'meine' .*: {re.escape(message)}"):
        render_custom(limited_template(tmp_path, expression))


def test_limits_huge_output_is_refused(tmp_path):
    settings = limited_template(tmp_path, '{% for i in range(10000) %}{{ "y" * 999999 }}{% endfor %}')
    with pytest.raises(TemplateProblem, match="Ausgabe zu groß – ein Entwurf darf höchstens 20.000.000 Zeichen"):
        render_custom(settings)


def test_limits_output_budget_covers_all_parts_of_one_draft_only(tmp_path, monkeypatch):
    monkeypatch.setattr(render_module, "MAX_OUTPUT_CHARS", 1_000_000)
    body = '{{ "y" * 600000 }}'
    assert "y" * 600000 in full_text(Document(io.BytesIO(render_custom(limited_template(tmp_path, body)))))
    render_custom(limited_template(tmp_path, body))  # a second draft starts with a fresh budget
    with pytest.raises(TemplateProblem, match="Ausgabe zu groß"):
        render_custom(limited_template(tmp_path, body, header='{{ "z" * 600000 }}'))


def test_limits_leave_ordinary_templates_alone(tmp_path):
    settings = limited_template(tmp_path, '{{ "ab" * 3 }} {{ 2 ** 10 }} {% for i in range(3) %}{{ i }}{% endfor %}')
    assert "ababab 1024 012" in full_text(Document(io.BytesIO(render_custom(settings))))


@pytest.mark.parametrize("name", ["projektskizze", "finanzierungsplan", "anschreiben", "eu_outline"])
def test_limits_shipped_templates_render_exactly_as_with_the_plain_sandbox(name):
    plain = DocxTemplate(str(TEMPLATES[name].path))
    plain.render(
        build_context(DraftInput(MEASURE, PROGRAM, TOWN), TODAY),
        jinja_env=SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined),
    )
    buffer = io.BytesIO()
    plain.save(buffer)
    _, limited = render_doc(name)
    with zipfile.ZipFile(buffer) as before, zipfile.ZipFile(io.BytesIO(limited)) as after:
        parts = [part for part in before.namelist() if part.startswith("word/")]
        assert "word/document.xml" in parts and parts == [p for p in after.namelist() if p.startswith("word/")]
        for part in parts:
            assert before.read(part) == after.read(part), part


# ---- instrument and dated facts in the draft (programs issue) ------------------------------------


def test_a_loan_gets_no_grant_arithmetic_in_the_finance_plan():
    loan = PROGRAM.model_copy(update={"funding_types": ["darlehen"], "funding_rate_min": None, "funding_rate_max": 100})
    doc, _ = render_doc("finanzierungsplan", DraftInput(MEASURE, loan, TOWN))
    text = full_text(doc)
    assert "Darlehen · bis 10.000.000 €" in text
    assert "100 %" not in text and "Eigenanteil ab" not in text
    assert "gibt keinen Zuschuss, sondern ein Darlehen" in text
    assert "entfällt (kein Zuschuss)" in text  # nothing of a grant to fill in:
    assert "[Bitte ergänzen: Betrag]" not in text and "[Bitte ergänzen: Fördersatz" not in text
    skizze = full_text(render_doc("projektskizze", DraftInput(MEASURE, loan, TOWN))[0])
    assert "Bereitstellung der Finanzierung" in skizze and "für den Eigenanteil" not in skizze


def test_drafts_say_how_old_the_program_facts_are():
    fresh = PROGRAM.model_copy(update={"facts_as_of": date(2026, 10, 1)})
    text = full_text(render_doc("projektskizze", DraftInput(MEASURE, fresh, TOWN))[0])
    assert "Stand der Angaben: 01.10.2026" in text and "älter als 12 Monate" not in text
    assert "Zuschuss · Fördersatz 80–90 % · bis 10.000.000 € · Eigenanteil ab 10 %" in text
    old = PROGRAM.model_copy(update={"facts_as_of": date(2024, 6, 1)})
    text = full_text(render_doc("projektskizze", DraftInput(MEASURE, old, TOWN))[0])
    assert "Stand der Angaben: 01.06.2024 – älter als 12 Monate, vor Antragstellung an der Quelle prüfen" in text
