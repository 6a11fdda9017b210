"""Build the shipped DOCX templates (``templates/*.docx``) from code, so they are reproducible.

    python -m fundmatch.drafting.build_templates templates/

The templates are ordinary Word documents with real styles (Title, Heading 1–3 with outline
numbering, Normal, List Bullet, a table style), A4 margins, German as the proofing language, a
header with measure and program and a footer with page numbers. The ``{{r … }}`` and ``{%tr … %}``
tags are docxtpl placeholders; consultants may edit copies in Word and put them in their template
folder (``FUNDMATCH_TEMPLATE_DIR``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

TABLE_STYLE = "Light Grid Accent 1"
ACCENT = RGBColor(0x1F, 0x4E, 0x79)

DESCRIPTIONS = {
    "projektskizze": "Projektskizze / Vorhabenbeschreibung in der üblichen Gliederung von Bund und Ländern",
    "finanzierungsplan": "Kosten- und Finanzierungsplan mit Aufteilung auf Haushaltsjahre",
    "anschreiben": "Anschreiben an den Fördergeber",
    "eu_outline": "Gliederung eines EU-Antrags (Excellence, Impact, Implementation)",
}


# ---- the styled base document ------------------------------------------------------------------


def _set_language(document) -> None:
    """German proofing language for every style (docDefaults) and the document settings."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "de-DE")
    lang.set(qn("w:eastAsia"), "de-DE")
    lang.set(qn("w:bidi"), "ar-SA")
    settings = document.settings.element
    theme = settings.find(qn("w:themeFontLang"))
    if theme is None:
        theme = OxmlElement("w:themeFontLang")
        settings.append(theme)
    theme.set(qn("w:val"), "de-DE")


def _heading_numbering(document) -> None:
    """Outline numbering 1, 1.1, 1.1.1 attached to Heading 1–3."""
    numbering = document.part.numbering_part.element
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), "90")
    multi = OxmlElement("w:multiLevelType")
    multi.set(qn("w:val"), "multilevel")
    abstract.append(multi)
    for level in range(3):
        lvl = OxmlElement("w:lvl")
        lvl.set(qn("w:ilvl"), str(level))
        for tag, value in (("w:start", "1"), ("w:numFmt", "decimal"), ("w:pStyle", f"Heading{level + 1}")):
            element = OxmlElement(tag)
            element.set(qn("w:val"), value)
            lvl.append(element)
        text = OxmlElement("w:lvlText")
        text.set(qn("w:val"), ".".join(f"%{i + 1}" for i in range(level + 1)))
        lvl.append(text)
        jc = OxmlElement("w:lvlJc")
        jc.set(qn("w:val"), "left")
        lvl.append(jc)
        ppr = OxmlElement("w:pPr")
        ind = OxmlElement("w:ind")
        ind.set(qn("w:left"), str(432 + 144 * level))
        ind.set(qn("w:hanging"), str(432 + 144 * level))
        ppr.append(ind)
        lvl.append(ppr)
        abstract.append(lvl)
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), "90")
    ref = OxmlElement("w:abstractNumId")
    ref.set(qn("w:val"), "90")
    num.append(ref)
    numbering.append(num)
    for level in range(3):
        style = document.styles[f"Heading {level + 1}"]
        ppr = style.element.get_or_add_pPr()
        numpr = OxmlElement("w:numPr")
        ilvl = OxmlElement("w:ilvl")
        ilvl.set(qn("w:val"), str(level))
        numid = OxmlElement("w:numId")
        numid.set(qn("w:val"), "90")
        numpr.append(ilvl)
        numpr.append(numid)
        ppr.insert(0, numpr)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice update when they lay out the page."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, separate, shown, end):
        run._r.append(element)


def base_document(title_tag: str):
    """A4, 2.5 cm margins, German, styled; header names measure and program, footer pages."""
    document = Document()
    _set_language(document)
    _heading_numbering(document)
    styles = document.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(11)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    for name, size in (("Title", 24), ("Heading 1", 15), ("Heading 2", 12.5), ("Heading 3", 11.5)):
        styles[name].font.color.rgb = ACCENT
        styles[name].font.size = Pt(size)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    header = section.header.paragraphs[0]
    header.text = "{{r header_left }}"
    header.style = styles["Header"]
    footer = section.footer.paragraphs[0]
    footer.style = styles["Footer"]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("{{r footer_note }} · Seite ")
    _field(footer, "PAGE")
    footer.add_run(" von ")
    _field(footer, "NUMPAGES")
    document.add_paragraph(title_tag, style="Title")
    return document


# ---- building blocks ---------------------------------------------------------------------------


def facts_table(document, rows: list[tuple[str, str]]) -> None:
    """Two columns: label, value tag."""
    table = document.add_table(rows=0, cols=2)
    table.style = document.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, tag in rows:
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = tag
        cells[0].width, cells[1].width = Cm(5.5), Cm(10.5)
    document.add_paragraph()


def loop_table(
    document,
    header: list[str],
    loop: str,
    cells: list[str],
    total: list[str] | None = None,
    widths_cm: list[float] | None = None,
) -> None:
    """A table whose body rows repeat ``{%tr for … %}`` over a list of the context.

    ``widths_cm`` keeps labels such as "Gesamtausgaben" from breaking mid-word in narrow columns.
    """
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    table.add_row().cells[0].text = f"{{%tr for row in {loop} %}}"
    body = table.add_row().cells
    for cell, text in zip(body, cells, strict=True):
        cell.text = text
    table.add_row().cells[0].text = "{%tr endfor %}"
    if total:
        for cell, text in zip(table.add_row().cells, total, strict=True):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
    if widths_cm:
        table.autofit = False
        for column, width in zip(table.columns, widths_cm, strict=True):
            column.width = Cm(width)  # the grid, which LibreOffice follows
        for row in table.rows:
            for cell, width in zip(row.cells, widths_cm, strict=False):
                cell.width = Cm(width)
    document.add_paragraph()


def heading(document, text: str, level: int = 1) -> None:
    document.add_heading(text, level=level)


def para(document, text: str, style: str | None = None) -> None:
    document.add_paragraph(text, style=style)


def bullet_loop(document, loop: str, item: str) -> None:
    document.add_paragraph(f"{{%p for item in {loop} %}}")
    document.add_paragraph(item, style="List Bullet")
    document.add_paragraph("{%p endfor %}")


def finance_block(document) -> None:
    facts_table(
        document,
        [
            ("Gesamtausgaben", "{{r finance.total }}"),
            ("davon zuwendungsfähig", "{{r finance.eligible }}"),
            ("Fördersatz", "{{r finance.rate }}"),
            ("Beantragte Zuwendung", "{{r finance.grant }}"),
            ("Eigenanteil", "{{r finance.own_share }}"),
            ("Drittmittel", "{{r finance.third_party }}"),
        ],
    )
    loop_table(
        document,
        ["Haushaltsjahr", "Ausgaben", "Zuwendung", "Eigenanteil"],
        "finance.years",
        ["{{r row.year }}", "{{r row.total }}", "{{r row.grant }}", "{{r row.own_share }}"],
        ["Summe", "{{r finance.total }}", "{{r finance.grant }}", "{{r finance.own_share }}"],
    )


def applicant_block(document) -> None:
    facts_table(
        document,
        [
            ("Antragsteller", "{{r municipality.name }}"),
            ("Gebietskörperschaft", "{{r municipality.kind }}"),
            ("Amtlicher Gemeindeschlüssel", "{{r municipality.ags }}"),
            ("Land", "{{r municipality.land }}"),
            ("Einwohner", "{{r municipality.population }}"),
            ("Ansprechperson", "{{r municipality.contact_name }}"),
            ("E-Mail / Telefon", "{{r municipality.contact_email }} / {{r municipality.contact_phone }}"),
            ("Anschrift", "{{r municipality.address }}"),
        ],
    )


def checklist_block(document) -> None:
    bullet_loop(document, "annexes", "☐ {{r item }}")
    heading(document, "Wichtige Termine", 2)
    loop_table(document, ["Datum", "Was"], "key_dates", ["{{r row.date }}", "{{r row.what }}"])


# ---- the four templates -------------------------------------------------------------------------


def projektskizze():
    document = base_document("Projektskizze: {{r measure.title }}")
    facts_table(
        document,
        [
            ("Förderprogramm", "{{r program.title }}"),
            ("Fördergeber", "{{r program.funder }}"),
            ("Förderart und Konditionen", "{{r program.instrument }}"),
            ("Rechtsgrundlage", "{{r program.legal_basis }}"),
            ("Richtlinie und Dokumente", "{{r program.documents }}"),
            ("Nächste Frist", "{{r program.next_deadline }}"),
            ("Programmangaben", "{{r program.facts_as_of }}"),
            ("Stand des Entwurfs", "{{r today }}"),
        ],
    )
    heading(document, "Antragsteller und Ansprechpartner")
    applicant_block(document)
    heading(document, "Titel und Kurzbeschreibung")
    para(document, "Titel: {{r measure.title }}")
    para(document, "Handlungsfeld: {{r measure.handlungsfeld }}")
    para(document, "{{r measure.description }}")
    heading(document, "Ausgangslage und Bedarf")
    para(document, "{{r gaps.situation }}")
    heading(document, "Ziele und messbare Ergebnisse")
    para(document, "Strategisches Ziel der Digitalstrategie: {{r measure.goal }}")
    loop_table(
        document,
        ["Ziel", "Indikator", "Zielwert", "bis"],
        "indicators",
        ["{{r row.goal }}", "{{r row.indicator }}", "{{r row.target }}", "{{r row.when }}"],
    )
    heading(document, "Beschreibung der Maßnahme")
    heading(document, "Arbeitspakete", 2)
    loop_table(
        document,
        ["Nr.", "Arbeitspaket", "Inhalt", "Zeitraum"],
        "work_packages",
        ["{{r row.number }}", "{{r row.title }}", "{{r row.content }}", "{{r row.period }}"],
    )
    heading(document, "Meilensteine und Zeitplan", 2)
    para(
        document,
        "Geplanter Beginn: {{r measure.start }} · Laufzeit: {{r measure.duration }} · "
        "Zeithorizont: {{r measure.time_horizon }}",
    )
    loop_table(document, ["Meilenstein", "geplant bis"], "milestones", ["{{r row.what }}", "{{r row.date }}"])
    heading(document, "Beitrag zu den Förderzielen und zur Digitalstrategie")
    para(document, "Ziele des Programms laut Quelle:")
    para(document, "{{r program.summary }}")
    para(document, "{{r program.attribution }}")
    para(document, "{{r gaps.contribution }}")
    heading(document, "Partner und Zuständigkeiten")
    loop_table(
        document,
        ["Partner", "Rolle", "Zuständigkeit"],
        "partners",
        ["{{r row.name }}", "{{r row.role }}", "{{r row.responsibility }}"],
    )
    heading(document, "Nachhaltigkeit und Verstetigung")
    para(document, "{{r gaps.sustainability }}")
    heading(document, "Kosten- und Finanzierungsübersicht")
    finance_block(document)
    bullet_loop(document, "finance.notes", "{{r item }}")
    heading(document, "Anlagen und Termine")
    checklist_block(document)
    return document


def finanzierungsplan():
    document = base_document("Kosten- und Finanzierungsplan")
    facts_table(
        document,
        [
            ("Vorhaben", "{{r measure.title }}"),
            ("Antragsteller", "{{r municipality.name }}"),
            ("Förderprogramm", "{{r program.title }}"),
            ("Förderart und Konditionen", "{{r program.instrument }}"),
            ("Programmangaben", "{{r program.facts_as_of }}"),
            ("Stand", "{{r today }}"),
        ],
    )
    heading(document, "Ausgaben nach Kostenarten")
    loop_table(
        document,
        ["Kostenart", "Beschreibung", "Gesamt", "davon zuwendungsfähig"],
        "finance.cost_items",
        ["{{r row.category }}", "{{r row.description }}", "{{r row.total }}", "{{r row.eligible }}"],
        ["Summe", "", "{{r finance.total }}", "{{r finance.eligible }}"],
        widths_cm=[4.4, 5.2, 3.2, 3.2],
    )
    heading(document, "Finanzierung")
    finance_block(document)
    heading(document, "Annahmen und Hinweise")
    bullet_loop(document, "finance.notes", "{{r item }}")
    return document


def anschreiben():
    document = base_document("{{r municipality.name }}")
    para(document, "{{r municipality.address }}")
    para(document, "")
    para(document, "{{r program.contact_name }}")
    para(document, "{{r program.contact_address }}")
    para(document, "")
    right = document.add_paragraph("{{r today }}")
    right.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    subject = document.add_paragraph()
    subject.add_run(
        "Antrag auf Förderung im Programm „{{r program.title }}“ – Vorhaben „{{r measure.title }}“"
    ).bold = True
    para(document, "Sehr geehrte Damen und Herren,")
    para(
        document,
        "hiermit beantragt {{r municipality.name }} eine Zuwendung aus dem Programm „{{r program.title }}“ "
        "für das Vorhaben „{{r measure.title }}“ mit Gesamtausgaben von {{r finance.total }} und einer beantragten "
        "Zuwendung von {{r finance.grant }}.",
    )
    para(document, "{{r gaps.letter_reason }}")
    para(
        document,
        "Die Projektskizze, der Kosten- und Finanzierungsplan sowie die weiteren Anlagen liegen bei. "
        "Für Rückfragen steht Ihnen {{r municipality.contact_name }} ({{r municipality.contact_email }}, "
        "{{r municipality.contact_phone }}) zur Verfügung.",
    )
    para(document, "Mit freundlichen Grüßen")
    para(document, "{{r gaps.signature }}")
    document.add_paragraph().add_run("Anlagen").bold = True
    bullet_loop(document, "annexes", "{{r item }}")
    return document


def eu_outline():
    document = base_document("Proposal outline: {{r measure.title }}")
    facts_table(
        document,
        [
            ("Topic", "{{r program.source_id }} – {{r program.title }}"),
            ("Programme", "{{r program.funder }}"),
            ("Deadline(s)", "{{r program.deadlines }}"),
            ("Coordinator", "{{r municipality.name }}"),
            ("Portal", "{{r program.url }}"),
        ],
    )
    heading(document, "Excellence")
    heading(document, "Objectives and ambition", 2)
    para(document, "{{r measure.description }}")
    para(document, "{{r gaps.objectives }}")
    heading(document, "Methodology", 2)
    para(document, "{{r gaps.methodology }}")
    heading(document, "Impact")
    heading(document, "Project’s pathways towards impact", 2)
    para(document, "Expected outcomes of the topic (from the call):")
    para(document, "{{r program.summary }}")
    para(document, "{{r gaps.pathways }}")
    heading(document, "Dissemination, exploitation and communication", 2)
    para(document, "{{r gaps.dissemination }}")
    heading(document, "Quality and efficiency of the implementation")
    heading(document, "Work plan and resources", 2)
    loop_table(
        document,
        ["WP", "Title", "Lead", "Months"],
        "work_packages",
        ["{{r row.number }}", "{{r row.title }}", "{{r row.content }}", "{{r row.period }}"],
    )
    heading(document, "Capacity of participants and consortium as a whole", 2)
    loop_table(
        document,
        ["Partner", "Role", "Country / type"],
        "partners",
        ["{{r row.name }}", "{{r row.role }}", "{{r row.responsibility }}"],
    )
    heading(document, "Budget overview")
    finance_block(document)
    heading(document, "Annexes and key dates")
    checklist_block(document)
    return document


BUILDERS = {
    "projektskizze": projektskizze,
    "finanzierungsplan": finanzierungsplan,
    "anschreiben": anschreiben,
    "eu_outline": eu_outline,
}


def build_all(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, builder in BUILDERS.items():
        document = builder()
        properties = document.core_properties
        properties.title = DESCRIPTIONS[name]
        properties.subject = "fundmatch-Vorlage"
        properties.author = "fundmatch"
        properties.language = "de-DE"
        path = target / f"{name}.docx"
        document.save(path)
        written.append(path)
    return written


def main() -> None:
    for path in build_all(Path(sys.argv[1] if len(sys.argv) > 1 else "templates")):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
