"""Render a DOCX draft from a template in a sandboxed Jinja environment.

Templates are the shipped ones (``templates/``) and a consultant's own in ``FUNDMATCH_TEMPLATE_DIR``
(same name wins). Jinja runs sandboxed with strict undefined names, so a custom template cannot reach
Python internals, and a typo is an error naming template and paragraph instead of an empty field.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import jinja2
from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from fundmatch.config import Settings
from fundmatch.drafting.build_templates import DESCRIPTIONS
from fundmatch.drafting.context import DraftInput, build_context
from fundmatch.errors import InputError
from fundmatch.shapes import strip_control

_DOCXTPL_PREFIX = re.compile(r"\{([{%#])(tr|tc|p|r)\s")


class TemplateProblem(InputError):
    """A template that cannot be used; the message names the template and where."""


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    path: Path
    origin: str  # "fundmatch" or "eigene"
    description: str


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)


def available_templates(settings: Settings) -> dict[str, TemplateInfo]:
    """Shipped templates, overridden or extended by those in the configured template folder."""
    templates: dict[str, TemplateInfo] = {}
    shipped = resources.files("fundmatch.templates")
    for entry in sorted(shipped.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".docx"):
            name = entry.name[:-5]
            templates[name] = TemplateInfo(name, Path(str(entry)), "fundmatch", DESCRIPTIONS.get(name, ""))
    if settings.template_dir and settings.template_dir.is_dir():
        for path in sorted(settings.template_dir.glob("*.docx")):
            if path.name.startswith("~$"):
                continue  # Word's lock file of an open document
            templates[path.stem] = TemplateInfo(
                path.stem, path, "eigene", DESCRIPTIONS.get(path.stem, "eigene Vorlage")
            )
    return templates


def choose_template(level: str, override: str | None, templates: dict[str, TemplateInfo]) -> TemplateInfo:
    """The override if given, else the EU outline for EU programs and the Projektskizze otherwise."""
    name = override or ("eu_outline" if level == "eu" else "projektskizze")
    if name not in templates:
        raise TemplateProblem(f"unknown template {name!r}; available: {', '.join(sorted(templates))}")
    return templates[name]


def check_template(info: TemplateInfo) -> None:
    """Parse the template's text paragraph by paragraph; a syntax error names template and paragraph."""
    try:
        document = Document(str(info.path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TemplateProblem(f"template {info.name!r} ({info.path}): not a readable DOCX file ({exc})") from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.extend(cell.text for cell in row.cells)
    for section in document.sections:
        paragraphs.extend(p.text for p in section.header.paragraphs)
        paragraphs.extend(p.text for p in section.footer.paragraphs)
    source = "\n".join(_DOCXTPL_PREFIX.sub(lambda m: "{" + m.group(1) + " ", text) for text in paragraphs)
    try:
        _environment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        line = paragraphs[exc.lineno - 1] if 0 < exc.lineno <= len(paragraphs) else ""
        raise TemplateProblem(
            f"template {info.name!r}: syntax error in paragraph {exc.lineno} ({line[:80]!r}): {exc.message}"
        ) from None


def render(draft: DraftInput, info: TemplateInfo, today: date | None = None) -> bytes:
    """The filled DOCX as bytes, with title, subject, author, keywords and language set."""
    today = today or date.today()
    check_template(info)
    template = DocxTemplate(str(info.path))
    try:
        template.render(build_context(draft, today), jinja_env=_environment())
    except jinja2.UndefinedError as exc:
        raise TemplateProblem(f"template {info.name!r}: unknown placeholder – {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateProblem(f"template {info.name!r}: not allowed in a template – {exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"template {info.name!r}: syntax error – {exc.message}") from None
    properties = template.docx.core_properties
    properties.title = strip_control(f"{info.description or info.name}: {draft.measure.title}")[:250]
    properties.subject = strip_control(draft.program.title)[:250]
    properties.author = strip_control(draft.municipality.name if draft.municipality else "") or "fundmatch"
    properties.keywords = strip_control(", ".join([*draft.program.keywords[:8], draft.program.source_id]))[:250]
    properties.language = "de-DE"
    properties.comments = "Entwurf, erstellt mit fundmatch"
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()
