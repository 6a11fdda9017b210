"""Mapping the Förderdatenbank's category values (labels, ASCII labels or export codes) to our codes.

Both parsers (export and HTML) go through :func:`map_labels`, so a label means the same thing in
either path; anything unknown comes back as a warning, never as a guess. The same holds for the
program's documents (:func:`program_documents`): one rule set names a link's kind in both paths.
The status is read with the deadlines, by :func:`fundmatch.scrapers.deadlines.read_calls`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from fundmatch import vocab
from fundmatch.scrapers.records import ProgramDocument
from fundmatch.shapes import is_http_url


@dataclass
class MappedLabels:
    funding_types: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    applicant_types: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _codes(
    values: list[str], vocabulary: vocab.Vocabulary, warnings: list[str], ignored: frozenset[str] = frozenset()
) -> list[str]:
    codes: list[str] = []
    for value in values:
        if vocab.fold(value) in {vocab.fold(i) for i in ignored}:
            warnings.append(f"{vocabulary.name} {value!r} names no region; ignored")
            continue
        if ", " in value:
            found, unknown = vocab.split_labels(value, vocabulary)
        else:
            code = vocabulary.lookup(value)
            found, unknown = ([code], []) if code is not None else ([], [value])
        codes.extend(c for c in found if c not in codes)
        warnings.extend(f"unknown {vocabulary.name} {label!r}" for label in unknown)
    return codes


def map_labels(
    *, funding_types: list[str], topics: list[str], regions: list[str], applicant_types: list[str]
) -> MappedLabels:
    """Map raw category values; each list may hold labels, codes or comma-joined label lists."""
    result = MappedLabels()
    result.funding_types = _codes(funding_types, vocab.FUNDING_TYPE, result.warnings)
    result.topics = _codes(topics, vocab.TOPIC, result.warnings)
    result.regions = _codes(regions, vocab.REGION, result.warnings, vocab.REGION_IGNORED)
    result.applicant_types = _codes(applicant_types, vocab.APPLICANT_TYPE, result.warnings)
    return result


# A document's kind from its title, link text and URL; the first rule that matches decides, so a
# "Leitfaden … zur Richtlinie" is a Merkblatt and a "Förderaufruf zur Richtlinie" a call.
DOCUMENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "merkblatt",
        re.compile(
            r"merkblatt|\bhinweise\b|\bfaq\b|fragen\s+und\s+antworten|leitfaden|informationsblatt|infoblatt"
            r"|informationsunterlage",
            re.I,
        ),
    ),
    ("formular", re.compile(r"formular|vordruck|easy-?online|antragsportal|antragssystem", re.I)),
    ("aufruf", re.compile(r"aufruf|\bcall\b|ausschreibung", re.I)),
    (
        "richtlinie",
        re.compile(
            r"richtlinie|\brl\b|\brl[_\s-]|[/_\s-]rl[_\s.-]|banz|verwaltungsvorschrift|\bvwv\b|programmbedingungen"
            r"|förderbedingungen",
            re.I,
        ),
    ),
    ("formular", re.compile(r"\bantr[aä]g|antrags?stellung", re.I)),
)
DOCUMENT_ORDER = {
    kind: rank for rank, kind in enumerate(("richtlinie", "aufruf", "formular", "merkblatt", "sonstiges"))
}
_EXTERNAL_SUFFIX = re.compile(r"\s*\((?:externer?|exerner|extener)\s+link[^)]*\)\s*$", re.I)


@dataclass(frozen=True)
class Link:
    """A link as a page or the export gives it: the address, the target's own title, the link text."""

    url: str
    title: str = ""
    text: str = ""


URL_KINDS = frozenset({"richtlinie", "merkblatt"})
"""The kinds an address alone may tell ("…/RL_Buergschaften.pdf", "BAnz AT …"); a folder such as
"infos-und-formulare" says nothing about the document in it."""


def document_kind(title: str, text: str = "", url: str = "") -> str:
    """richtlinie, aufruf, formular, merkblatt or sonstiges, from what the title and link text say,
    else from what the URL says of a Richtlinie or Merkblatt."""
    joined = f"{title} {text}"
    kind = next((kind for kind, rule in DOCUMENT_RULES if rule.search(joined)), None)
    if kind is None:
        address = unquote(url)
        kind = next((k for k, rule in DOCUMENT_RULES if k in URL_KINDS and rule.search(address)), "sonstiges")
    return kind


def document_title(text: str | None) -> str:
    """One line, without the site's "(externer Link)" tail, cut to what a document title takes."""
    title = _EXTERNAL_SUFFIX.sub("", " ".join((text or "").split()))
    return title if len(title) <= 500 else title[:498].rstrip() + " …"


def program_documents(legal: list[Link], further: list[Link]) -> list[ProgramDocument]:
    """The program's documents, Richtlinie first: every document link of the legal-basis text (a
    typed one, a "Weblink …" or a PDF) and the further links that are recognisably a Richtlinie,
    call, form or Merkblatt. Links that are not http(s) are left out; one document per URL."""
    documents: dict[str, ProgramDocument] = {}
    for links, from_legal_text in ((legal, True), (further, False)):
        for link in links:
            if not is_http_url(link.url) or link.url in documents:
                continue
            title = document_title(link.title) or document_title(link.text)
            if not title:
                continue
            kind = document_kind(link.title, link.text, link.url)
            pdf = ".pdf" in link.url.lower()
            weblink = from_legal_text and link.text.strip().lower().startswith("weblink")
            if kind != "sonstiges" or pdf or weblink:
                documents[link.url] = ProgramDocument(url=link.url.strip(), title=title, kind=kind)
    return sorted(documents.values(), key=lambda d: DOCUMENT_ORDER[d.kind])
