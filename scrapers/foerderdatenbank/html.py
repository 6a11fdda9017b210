"""Förderdatenbank HTML pages: detail pages (tabbed or single block) and search list pages.

Rows are read by their label, never by position; labels are folded (ö/oe, spaces) so that the
site's intermittent ASCII-label variant reads the same. Links resolve against ``<base href>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from fundmatch import vocab
from fundmatch.scrapers.base import ParseError, Warnings, build_record
from fundmatch.scrapers.deadlines import read_calls
from fundmatch.scrapers.foerderdatenbank.labels import Link, map_labels, program_documents
from fundmatch.scrapers.foerderdatenbank.source import (
    SITE,
    SOURCE,
    level_from_id,
    program_id_from_url,
    program_url,
    regions_from_id,
)
from fundmatch.scrapers.html import attribute, cap, clean_text, element_text, soup
from fundmatch.scrapers.http import is_bot_wall
from fundmatch.scrapers.records import Contact, ProgramRecord

ROW_FIELDS = {
    vocab.fold("Förderart"): "funding_types",
    vocab.fold("Förderbereich"): "topics",
    vocab.fold("Fördergebiet"): "regions",
    vocab.fold("Förderberechtigte"): "applicant_types",
    vocab.fold("Fördergeber"): "funder",
    vocab.fold("Ansprechpunkt"): "contact",
    vocab.fold("Weiterführende Links"): "links",
}
SECTION_SUMMARY = vocab.fold("Kurztext")
SECTION_FULL = vocab.fold("Volltext")
TAB_LEGAL = vocab.fold("Rechtsgrundlage")


def _one(scope: Tag, selector: str, where: str, what: str) -> Tag:
    found = scope.select(selector)
    if len(found) != 1:
        raise ParseError(SOURCE.id, where, f"{what}: expected one {selector!r}, found {len(found)} (layout changed?)")
    return found[0]


def _base(page: BeautifulSoup) -> str:
    href = attribute(page.select_one("base[href]"), "href")
    return href if href is not None else SITE


def _link(tag: Tag | None, base: str) -> str | None:
    """The tag's ``href`` resolved against the page's base; None without the tag or the attribute."""
    href = attribute(tag, "href")
    return urljoin(base, href) if href is not None else None


def _rows(dl: Tag) -> list[tuple[str, list[Tag]]]:
    rows: list[tuple[str, list[Tag]]] = []
    for child in dl.find_all(["dt", "dd"], recursive=False):
        if child.name == "dt":
            rows.append((clean_text(child.get_text(" ")).rstrip(":").strip(), []))
        elif rows:
            rows[-1][1].append(child)
    return rows


def _contact(dd: Tag, base: str) -> Contact:
    """One contact card; its subtitle (the lines under the name) becomes the role."""
    label = dd.select_one("p.card--title a span.link--label")
    subtitle = dd.select_one("p.card--title-subtitle")
    email = dd.select_one("div.person-contact p.email a[href^='mailto:']")
    website = dd.select_one("div.person-contact p.website a[href]")
    tel = dd.select_one("div.person-contact p.tel")
    street = dd.select_one("div.address p.adr")
    city = dd.select_one("div.address p.locality")
    mailto = attribute(email, "href")
    address = ", ".join(
        filter(
            None, [clean_text(street.get_text(" ")) if street else "", clean_text(city.get_text(" ")) if city else ""]
        )
    )
    role = " / ".join(line for line in element_text(subtitle).split("\n") if line) if subtitle else ""
    return Contact(
        name=clean_text(label.get_text(" ")) if label else None,
        role=role or None,
        email=mailto.removeprefix("mailto:").strip() if mailto is not None else None,
        phone=clean_text(tel.get_text(" ")).removeprefix("Tel:").strip() if tel else None,
        url=_link(website, base),
        address=address or None,
    )


@dataclass
class PageTexts:
    summary: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)
    legal_basis: str = ""
    legal_links: list[Link] = field(default_factory=list)

    def add_legal(self, block: Tag, body: str, base: str) -> None:
        """A Rechtsgrundlage block: its text, and its links (the target's title in ``title``)."""
        self.legal_basis = "\n\n".join(filter(None, [self.legal_basis, body]))
        for anchor in block.select("a[href]"):
            url = _link(anchor, base)
            if url is not None:
                title = clean_text(attribute(anchor, "title"))
                self.legal_links.append(Link(url, title, clean_text(anchor.get_text(" "))))


def _without_heading(block: Tag, heading: Tag | None) -> str:
    text = element_text(block)
    title = clean_text(heading.get_text(" ")) if heading else ""
    if title and text.startswith(title):
        text = text[len(title) :].strip()
    return text


def _texts(main: Tag, where: str, base: str) -> PageTexts:
    content = main.select_one("div.content--main")
    if content is None:
        raise ParseError(SOURCE.id, where, "no div.content--main (layout changed?)")
    texts = PageTexts()
    openers = content.select("h2.horizontal--tab-opener")
    if openers:
        articles = content.select("article.content--tab-text")
        if len(articles) != len(openers):
            raise ParseError(SOURCE.id, where, f"{len(openers)} tabs but {len(articles)} tab texts")
        for opener, article in zip(openers, articles, strict=True):
            tab = vocab.fold(opener.get_text(" "))
            for block in article.select("div.rich--text"):
                heading = block.find("h3")
                name = clean_text(heading.get_text(" ")) if heading else ""
                body = _without_heading(block, heading)
                if tab == TAB_LEGAL:
                    texts.add_legal(block, body, base)
                elif vocab.fold(name) == SECTION_SUMMARY:
                    texts.summary = body
                else:
                    texts.sections.append((name, body))
        return texts
    blocks = content.select("div.content > div.rich--text")
    if not blocks:
        raise ParseError(SOURCE.id, where, "no text block (div.rich--text) (layout changed?)")
    for block in blocks:
        heading = block.find(["h2", "h3", "h4", "h5"])
        body = _without_heading(block, heading)
        if heading is not None and vocab.fold(heading.get_text(" ")) == TAB_LEGAL:
            texts.add_legal(block, body, base)
        else:
            texts.sections.append((clean_text(heading.get_text(" ")) if heading else "", body))
    return texts


def parse_detail(
    markup: str | bytes, url: str, warnings: Warnings | None = None, *, today: date | None = None
) -> ProgramRecord:
    """A program detail page → record. Missing rows are normal; a missing title or meta block is not.

    ``today`` (default: the calendar's) is the day the program's calls are judged on."""
    warnings = warnings if warnings is not None else Warnings()
    raw = markup.encode("utf-8") if isinstance(markup, str) else markup
    if is_bot_wall(raw, "text/html"):
        raise ParseError(SOURCE.id, url, "bot wall (CAPTCHA page) instead of a program page")
    page = soup(raw)
    base = _base(page)
    main = _one(page, "main", url, "page body")
    title = clean_text(_one(main, "h1.title", url, "title").get_text(" "))
    if not title:
        raise ParseError(SOURCE.id, url, "empty title")
    dl = _one(main, "div.jumbotron dl.document-info-fundingprogram", url, "meta rows")
    canonical = attribute(page.select_one("link[rel='canonical'][href]"), "href")
    program_id = program_id_from_url(canonical if canonical is not None else url) or program_id_from_url(url)
    if program_id is None:
        raise ParseError(SOURCE.id, url, "no program path in the canonical URL")
    values: dict[str, list[str]] = {"funding_types": [], "topics": [], "regions": [], "applicant_types": []}
    funder = None
    contacts: list[Contact] = []
    further: list[Link] = []
    for label, dds in _rows(dl):
        target = ROW_FIELDS.get(vocab.fold(label))
        if target is None:
            warnings.add(url, f"unknown row label {label!r}")
            continue
        for dd in dds:
            if target in values:
                values[target].append(clean_text(dd.get_text(" ")))
            elif target == "funder":
                name = dd.select_one("p.card--title a span.link--label") or dd
                funder = clean_text(name.get_text(" ")) or None
            elif target == "contact":
                contacts.append(_contact(dd, base))
            elif target == "links":
                for anchor in dd.select("a.link.link-external[href]"):
                    link = _link(anchor, base)
                    caption = clean_text((anchor.select_one("span.link--label") or anchor).get_text(" "))
                    if link is not None:
                        further.append(Link(link, caption, caption))
    mapped = map_labels(**values)
    for message in mapped.warnings:
        warnings.add(url, message)
    texts = _texts(main, url, base)
    description = "\n\n".join(
        f"{name}\n{body}" if name and vocab.fold(name) != SECTION_FULL else body
        for name, body in texts.sections
        if body
    )
    meta_description = attribute(page.select_one("meta[name='description'][content]"), "content")
    summary = texts.summary or clean_text(meta_description)
    keywords = attribute(page.select_one("meta[name='keywords'][content]"), "content")
    banner = main.select_one("p.subtitle--text")
    calls = read_calls(
        [summary, *(body for _, body in texts.sections), texts.legal_basis],
        status_text=clean_text(banner.get_text(" ")) if banner else None,
        today=today or date.today(),
    )
    level = level_from_id(program_id)
    regions = mapped.regions
    if not regions:
        regions = regions_from_id(program_id)
        if not regions:
            raise ParseError(SOURCE.id, url, "no Fördergebiet and none can be inferred from the path")
        warnings.add(url, f"no Fördergebiet; {', '.join(regions)} inferred from the path")
    summary_text, _ = cap(summary or None, "summary")
    description_text, _ = cap(description or None, "description")
    legal_text, _ = cap(texts.legal_basis or None, "legal_basis")
    return build_record(
        url,
        warnings,
        source=SOURCE.id,
        source_id=program_id,
        title=title[:1000],
        url=program_url(program_id),
        level=level,
        regions=regions,
        summary=summary_text,
        description=description_text,
        funding_types=mapped.funding_types,
        applicant_types=mapped.applicant_types,
        topics=mapped.topics,
        funder=funder,
        deadlines=calls.deadlines,
        rolling=calls.rolling,
        status=calls.status,
        status_note=calls.status_note,
        legal_basis=legal_text,
        contacts=contacts,
        documents=program_documents(texts.legal_links, further),
        links=list(dict.fromkeys(link.url for link in further)),
        keywords=(keywords or "").split(),
    )


@dataclass
class ListPage:
    """One search result page: the site's hit count, the program URLs on it, the next page."""

    hit_count: int
    programs: list[tuple[str, str]]
    next_url: str | None


def parse_list(markup: str | bytes, url: str) -> ListPage:
    raw = markup.encode("utf-8") if isinstance(markup, str) else markup
    if is_bot_wall(raw, "text/html"):
        raise ParseError(SOURCE.id, url, "bot wall (CAPTCHA page) instead of a result list")
    page = soup(raw)
    base = _base(page)
    count_text = clean_text(_one(page, "#hits--count", url, "hit count").get_text()).replace(".", "")
    if not count_text.isdigit():
        raise ParseError(SOURCE.id, url, f"hit count {count_text!r} is not a number")
    programs = []
    for link in page.select("div.card--fundingprogram > p.card--title > a[href]"):
        label = link.select_one("span.link--label") or link
        target = _link(link, base)
        if target is not None:  # always: the selector asks for an href
            programs.append((target, clean_text(label.get_text(" "))))
    return ListPage(int(count_text), programs, _link(page.select_one("div.pagination a.forward.button[href]"), base))
