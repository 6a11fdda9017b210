"""Render a DOCX draft from a template in a sandboxed Jinja environment.

Templates are the shipped ones (``templates/``) and a consultant's own in ``FUNDMATCH_TEMPLATE_DIR``
(same name wins). Jinja runs sandboxed with strict undefined names, so a custom template cannot reach
Python internals, and a typo is an error naming template and paragraph instead of an empty field.
Limits on loops, repetition, big numbers, time and output keep a slip in a custom template (a
``range(10**7)``, a nested loop) a clear error instead of a hung worker or an HTTP 500.
"""

from __future__ import annotations

import io
import math
import re
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import jinja2
from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Node
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from fundmatch.config import Settings
from fundmatch.drafting.build_templates import DESCRIPTIONS
from fundmatch.drafting.context import DraftInput, build_context
from fundmatch.errors import InputError
from fundmatch.german import format_number
from fundmatch.shapes import strip_control

_DOCXTPL_PREFIX = re.compile(r"\{([{%#])(tr|tc|p|r)\s")

# Far above what a real template needs (a table of a few hundred rows, a page of text), far below
# what hangs a web worker; RENDER_SECONDS and MAX_OUTPUT_CHARS hold for a whole draft, all its parts.
MAX_RANGE = 10_000
MAX_REPEAT_ITEMS = 1_000_000  # result of "text" * n or [list] * n
MAX_NUMBER_DIGITS = 3_000  # result of * and ** on integers; Python refuses to print more than 4,300 digits
RENDER_SECONDS = 10.0
MAX_OUTPUT_CHARS = 20_000_000


class TemplateProblem(InputError):
    """A template that cannot be used; the message names the template and where."""


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    path: Path
    origin: str  # "fundmatch" or "eigene"
    description: str


class _LimitExceeded(Exception):
    """A template went past one of the limits; the message says which, in German."""


def _de(number: float) -> str:
    return format_number(number, grouping=True)


class _BudgetedCodeGenerator(CodeGenerator):
    """Every block checks the budget on entry, so a loop that neither calls nor outputs anything is bounded too."""

    def blockvisit(self, nodes: Iterable[Node], frame: Frame) -> None:
        self.writeline("environment.check_budget(0)")
        super().blockvisit(nodes, frame)


class _BudgetedTemplate(jinja2.Template):
    """Renders piece by piece so output is counted as it grows, not after it has filled the memory."""

    environment: _LimitedEnvironment

    def render(self, *args: object, **kwargs: object) -> str:
        pieces = []
        for piece in self.generate(*args, **kwargs):
            self.environment.check_budget(len(piece))
            pieces.append(piece)
        return "".join(pieces)


class _LimitedEnvironment(SandboxedEnvironment):
    """The sandbox plus the limits above; a fresh one per draft, since it holds that draft's budget."""

    code_generator_class = _BudgetedCodeGenerator
    template_class = _BudgetedTemplate
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=jinja2.StrictUndefined)
        self.globals["range"] = self._range
        self.deadline = time.monotonic() + RENDER_SECONDS
        self.output_chars = 0

    def check_budget(self, chars: int) -> None:
        self.output_chars += chars
        if self.output_chars > MAX_OUTPUT_CHARS:
            raise _LimitExceeded(
                f"Ausgabe zu groß – ein Entwurf darf höchstens {_de(MAX_OUTPUT_CHARS)} Zeichen ergeben"
            )
        if time.monotonic() > self.deadline:
            raise _LimitExceeded(
                f"Zeitlimit überschritten – ein Entwurf darf höchstens {_de(RENDER_SECONDS)} Sekunden rechnen"
            )

    @staticmethod
    def _range(*args: int) -> range:
        items = range(*args)
        if items[MAX_RANGE : MAX_RANGE + 1]:  # not len(): it overflows past sys.maxsize items
            raise _LimitExceeded(f"Schleife zu groß – range() erlaubt höchstens {_de(MAX_RANGE)} Durchläufe")
        return items

    def call_binop(self, context: Context, operator: str, left: object, right: object) -> object:
        if operator == "*":
            for items, count in ((left, right), (right, left)):
                if (
                    isinstance(items, str | list | tuple)
                    and isinstance(count, int)
                    and len(items) * count > MAX_REPEAT_ITEMS
                ):
                    raise _LimitExceeded(
                        f"Wiederholung zu groß – „*“ darf höchstens {_de(MAX_REPEAT_ITEMS)} Zeichen"
                        " oder Elemente ergeben"
                    )
        if isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
            size = math.log10(abs(left))
            digits = size * right if operator == "**" else size + math.log10(abs(right) or 1)
            if digits > MAX_NUMBER_DIGITS:
                raise _LimitExceeded(
                    f"Zahl zu groß – „{operator}“ darf höchstens Zahlen mit {_de(MAX_NUMBER_DIGITS)} Stellen ergeben"
                )
        return super().call_binop(context, operator, left, right)


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
        raise TemplateProblem(f"unbekannte Vorlage {name!r}; verfügbar: {', '.join(sorted(templates))}")
    return templates[name]


def _label(info: TemplateInfo) -> str:
    return f"Vorlage {info.name!r}" + (f" ({info.path})" if info.origin == "eigene" else "")


def check_template(info: TemplateInfo) -> None:
    """Parse the template's text paragraph by paragraph; a syntax error names template and paragraph."""
    try:
        document = Document(str(info.path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TemplateProblem(f"{_label(info)}: keine lesbare DOCX-Datei ({exc})") from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.extend(cell.text for cell in row.cells)
    for section in document.sections:
        paragraphs.extend(p.text for p in section.header.paragraphs)
        paragraphs.extend(p.text for p in section.footer.paragraphs)
    source = "\n".join(_DOCXTPL_PREFIX.sub(lambda m: "{" + m.group(1) + " ", text) for text in paragraphs)
    try:
        _LimitedEnvironment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        line = paragraphs[exc.lineno - 1] if 0 < exc.lineno <= len(paragraphs) else ""
        raise TemplateProblem(
            f"{_label(info)}: Syntaxfehler in Absatz {exc.lineno} ({line[:80]!r}): {exc.message}"
        ) from None


def render(draft: DraftInput, info: TemplateInfo, today: date | None = None) -> bytes:
    """The filled DOCX as bytes, with title, subject, author, keywords and language set."""
    today = today or date.today()
    check_template(info)
    template = DocxTemplate(str(info.path))
    context = build_context(draft, today)
    try:
        template.render(context, jinja_env=_LimitedEnvironment())
    except jinja2.UndefinedError as exc:
        raise TemplateProblem(f"{_label(info)}: unbekannter Platzhalter – {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateProblem(f"{_label(info)}: in einer Vorlage nicht erlaubt – {exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"{_label(info)}: Syntaxfehler – {exc.message}") from None
    except _LimitExceeded as exc:
        raise TemplateProblem(f"{_label(info)}: {exc}") from None
    except ArithmeticError as exc:  # OverflowError of a float, ZeroDivisionError
        raise TemplateProblem(f"{_label(info)}: Rechenfehler – {exc}") from None
    except RecursionError:
        raise TemplateProblem(f"{_label(info)}: zu tief verschachtelt (Makro ruft sich endlos selbst auf?)") from None
    except MemoryError:
        raise TemplateProblem(f"{_label(info)}: zu wenig Arbeitsspeicher für diese Vorlage") from None
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
