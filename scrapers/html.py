"""Turning source markup into clean text: one place for whitespace, soft hyphens and entities."""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup, NavigableString, Tag

from fundmatch.scrapers.records import text_limit
from fundmatch.shapes import strip_control

_SOFT = re.compile("[\u00ad\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f]+")
_LEFTOVER_ENTITY = re.compile(r"&(#x?[0-9a-fA-F]+|[a-zA-Z]{2,8});")
_BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "dl", "dt", "dd"}


def clean_text(text: str | None) -> str:
    """One line of text: entities left over from double escaping decoded, whitespace collapsed."""
    if not text:
        return ""
    if _LEFTOVER_ENTITY.search(text):
        text = html.unescape(text)
    text = _SOFT.sub("", strip_control(text))
    return " ".join(_SPACES.sub(" ", text).split())


def soup(markup: str | bytes) -> BeautifulSoup:
    return BeautifulSoup(markup, "lxml")


def attribute(tag: Tag | None, name: str) -> str | None:
    """An attribute's value as text (None without the tag or the attribute).

    bs4 gives multi-valued attributes such as ``class`` or ``rel`` as a list; they come back space-joined,
    as written in the markup. ``href``, ``content`` and the like are single values and come back as they are.
    """
    value = tag.get(name) if tag is not None else None
    if value is None or isinstance(value, str):
        return value
    return " ".join(value)


def _walk(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            out.append(str(child))
        elif isinstance(child, Tag):
            if child.name == "br":
                out.append("\n")
            elif child.name in ("script", "style"):
                continue
            elif child.name in _BLOCKS:
                out.append("\n\n- " if child.name == "li" else "\n\n")
                _walk(child, out)
                out.append("\n\n")
            else:
                _walk(child, out)


def element_text(node: Tag | None) -> str:
    """Block-aware text of an element: paragraphs separated by blank lines, list items as "- …"."""
    if node is None:
        return ""
    parts: list[str] = []
    _walk(node, parts)
    raw = "".join(parts)
    paragraphs = []
    for block in re.split(r"\n\s*\n", raw):
        lines = [clean_text(line) for line in block.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text and text != "-":
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment (rich text from an export or a page block)."""
    if not fragment or not fragment.strip():
        return ""
    return element_text(soup(fragment).body or soup(fragment))


def cap(text: str | None, field: str) -> tuple[str | None, bool]:
    """An absurdly long text cut to what the record's ``field`` takes; the flag says whether it was cut."""
    limit = text_limit(field)
    if text is None or len(text) <= limit:
        return text, False
    return text[: limit - 2].rstrip() + " …", True
