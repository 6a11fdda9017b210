"""The Förderdatenbank XML export (``/FDB/WS/export``): a ZIP with one document per program and the
contact, address, link and funder documents they point to.

Pure parsing: :func:`parse_export` takes a ZIP file or an unpacked folder and returns records, the
complete listing of program ids, and warnings. Members are read by name from the archive and never
extracted, so ``../`` names cannot escape; size and member count are capped against ZIP bombs.
"""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lxml import etree

from fundmatch import vocab
from fundmatch.scrapers.base import ParseError, Warnings, build_record
from fundmatch.scrapers.deadlines import iso_day, read_calls
from fundmatch.scrapers.foerderdatenbank.labels import Link, MappedLabels, map_labels, program_documents
from fundmatch.scrapers.foerderdatenbank.source import SOURCE, level_from_id, program_url, regions_from_id
from fundmatch.scrapers.html import cap, clean_text, html_to_text, strip_control
from fundmatch.scrapers.records import Contact, ProgramRecord

PROGRAM_DIR = "/BMWI/FDB/Content/DE/Foerderprogramm/"
XLINK = "{http://www.w3.org/1999/xlink}href"
_CDATA = re.compile(r"^\s*<!\[CDATA\[(.*)\]\]>\s*$", re.S)
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
# The export writes "?" where the source had a dash or typographic quotes ("Filmförderungsgesetz ? FFG",
# "(?Minitraité?)"). A "?" between spaces (or before a line's end) is a dash; a pair hugging a word is
# a pair of quotes. A real question mark follows its word directly and never precedes one.
_QUOTED = re.compile(r"(^|[\s(\[/])\?([^\s?](?:[^?\n]{0,150}?[^\s?])?)\?(?=$|[\s).,;:!\]])", re.M)
_DASH = re.compile(r"(?<=\s)\?(?=\s|$)", re.M)
_TAGS = re.compile(r"<[^>]*>")
# The export's rich text is machine-written: an anchor is <a … xlink:href="target:…" …>text</a>.
_ANCHOR = re.compile(r'<a\b[^>]*?\sxlink:href="(?P<href>[^"]*)"[^>]*>(?P<text>.*?)</a>', re.S)

MAX_MEMBERS = 60_000
MAX_TOTAL_BYTES = 2_000_000_000
MAX_MEMBER_BYTES = 20_000_000

# The export's structural contract: the classifiers every program document declares (even when empty),
# and the others it is known to carry. A core classifier missing from, or an unknown one present in,
# more than CONTRACT_SHARE of the programs means the export's structure changed: the run is held.
CORE_CLASSIFIERS = ("Foerderart", "Foerderbereich", "Foerdergebiet", "Foerderberechtigte")
KNOWN_CLASSIFIERS = frozenset(
    {
        *CORE_CLASSIFIERS,
        *("Foerdergeber", "Foerderorganisation", "Foerdertermin", "Kontakt", "ExternerLink", "Adresse", "Bild"),
        *("GRW", "Unternehmensgroesse", "Unternehmensalter", "BranchenUnternehmen", "BranchenExistenzgruenderin"),
        "UebergeordneteEinheit",
    }
)
CONTRACT_SHARE = 0.1


class CorruptArchive(ParseError):
    """The archive itself is damaged: no member of it can be trusted, so the export is unusable."""


@dataclass
class Document:
    """One export document: its type, path key and properties (value, rich text or link lists)."""

    key: str
    type: str
    values: dict[str, str] = field(default_factory=dict)
    rich: dict[str, str] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    classified: dict[str, list[str]] = field(default_factory=dict)
    _texts: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def text(self, name: str) -> str:
        """Plain text of a rich-text property, its "?" artefacts repaired (each property parsed once)."""
        if name not in self._texts:
            fragment = self.rich.get(name) or ""
            empty = not _TAGS.sub("", fragment).strip()  # most properties are an empty <div/>
            self._texts[name] = "" if empty else repair_question_marks(html_to_text(fragment))
        return self._texts[name]


def repair_question_marks(text: str) -> str:
    """The dashes and quotes the export turned into "?", back as "–" and „…“; real question marks stay."""
    if "?" not in text:
        return text
    return _DASH.sub("–", _QUOTED.sub(r"\1„\2“", text))


def _target(href: str | None) -> str | None:
    return href[len("target:") :] if href and href.startswith("target:") else None


def parse_document(data: bytes, member: str) -> Document:
    """Parse one export XML document; raises :class:`ParseError` naming the member."""
    try:
        text = strip_control(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParseError(SOURCE.id, member, f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}") from None
    try:
        root = etree.fromstring(text.encode("utf-8"), _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ParseError(SOURCE.id, member, f"malformed XML: {exc}") from None
    if root.tag != "document":
        raise ParseError(SOURCE.id, member, f"root element is <{root.tag}>, expected <document>")
    key = f"{root.get('path', '').rstrip('/')}/{root.get('name', '')}"
    document = Document(key=key, type=root.get("type", ""))
    for prop in root.iterfind("property"):
        name = (prop.get("name") or "").removeprefix("gsb:")
        kind = prop.get("type")
        if kind == "RichText":
            raw = prop.findtext("text") or ""
            match = _CDATA.match(raw)
            document.rich[name] = match.group(1) if match else raw
        elif kind == "ClassifiedLinkLists":
            for item in prop.iter("classifiedLinkList"):
                classifier = item.find("classifierLinks/link")
                classifier_name = (
                    (_target(classifier.get(XLINK)) or "").rsplit("/", 1)[-1] if classifier is not None else ""
                )
                targets = [t for t in (_target(link.get(XLINK)) for link in item.iterfind("links/link")) if t]
                document.classified.setdefault(classifier_name, []).extend(targets)
        elif kind == "LinkList":
            document.links[name] = [t for t in (_target(link.get(XLINK)) for link in prop.iter("link")) if t]
        else:
            document.values[name] = (prop.findtext("value") or "").strip()
    return document


class ExportSource:
    """Random access to the documents of an export ZIP or unpacked folder, keyed by path."""

    def __init__(self, path: Path):
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        self.warnings = Warnings()
        self.classifiers: Counter[str] = Counter()  # programs declaring each classifier
        if path.is_dir():
            for file in sorted(path.rglob("*.xml")):
                relative = file.relative_to(path).as_posix()
                self._members["/" + relative[:-4]] = relative
        else:
            self._open_zip(path)
        self._cache: dict[str, Document | None] = {}

    def _open_zip(self, path: Path) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise CorruptArchive(SOURCE.id, str(path), f"kein lesbares ZIP-Archiv ({exc})") from None
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ParseError(SOURCE.id, str(path), f"{len(infos):,} members, more than the cap of {MAX_MEMBERS:,}")
        total = sum(info.file_size for info in infos)
        if total > MAX_TOTAL_BYTES:
            raise ParseError(
                SOURCE.id, str(path), f"unpacks to {total:,} bytes, more than the cap of {MAX_TOTAL_BYTES:,}"
            )
        for info in infos:
            name = info.filename
            if info.is_dir() or not name.endswith(".xml"):
                continue
            if name.startswith("/") or ".." in name.split("/") or "\\" in name:
                self.warnings.add(name, "member name escapes the archive root; skipped")
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                self.warnings.add(name, f"member is {info.file_size:,} bytes, more than {MAX_MEMBER_BYTES:,}; skipped")
                continue
            self._members["/" + name[:-4]] = name

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> ExportSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self, member: str) -> bytes:
        """One member's bytes; a damaged archive (CRC, deflate data, cut short) fails the whole export."""
        if self._zip is None:
            return (self.path / member).read_bytes()
        try:
            with self._zip.open(member) as handle:
                data = handle.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise CorruptArchive(SOURCE.id, f"{self.path} ({member})", f"ZIP-Archiv beschädigt: {exc}") from None
        if len(data) > MAX_MEMBER_BYTES:
            raise ParseError(SOURCE.id, member, "member larger than declared; possible ZIP bomb")
        return data

    def program_keys(self) -> list[str]:
        return sorted(k for k in self._members if k.startswith(PROGRAM_DIR))

    def member_name(self, key: str) -> str:
        return self._members[key]

    def document(self, key: str) -> Document | None:
        """A linked document, or None (with a warning once) when it is missing or broken."""
        if key not in self._cache:
            member = self._members.get(key)
            if member is None:
                self._cache[key] = None
            else:
                try:
                    self._cache[key] = parse_document(self.read(member), member)
                except CorruptArchive:
                    raise
                except (ParseError, OSError) as exc:
                    self.warnings.add(member, f"linked document unreadable: {exc}")
                    self._cache[key] = None
        return self._cache[key]


@dataclass
class ExportResult:
    """Records parsed from an export, the ids it lists (for withdrawal) and what went wrong."""

    records: list[ProgramRecord]
    listed_ids: set[str]
    warnings: Warnings
    errors: int
    contract_problems: list[str] = field(default_factory=list)


def contract_problems(classifiers: Counter[str], programs: int) -> list[str]:
    """How the classifiers the programs declare break the export's known structure (empty: they don't)."""
    problems = []
    for name in CORE_CLASSIFIERS:
        missing = programs - classifiers[name]
        if missing > CONTRACT_SHARE * programs:
            problems.append(f"Klassifikation {name!r} fehlt in {missing} von {programs} Programmen des Exports")
    for name, count in sorted(classifiers.items()):
        if name not in KNOWN_CLASSIFIERS and not name.startswith("UF") and count > CONTRACT_SHARE * programs:
            problems.append(f"unbekannte Klassifikation {name!r} in {count} von {programs} Programmen des Exports")
    return problems


def _link_url(source: ExportSource, key: str, where: str) -> str | None:
    """The URL an ExternerLink (or, by mistake, another document) stands for."""
    document = source.document(key)
    if document is None:
        source.warnings.add(where, f"link target {key} is missing from the export")
        return None
    if document.values.get("url"):
        return document.values["url"]
    if "/Content/DE/" in key:
        return "https://www.foerderdatenbank.de/" + key.removeprefix("/BMWI/") + ".html"
    return None


def _contact(source: ExportSource, key: str, where: str) -> Contact | None:
    """A Kontakt with its address and website. Named like the page's contact card: by its
    Übergeordnete Einheit (the card's link), with its own title as the subtitle (``role``) where the
    two differ."""
    document = source.document(key)
    if document is None:
        source.warnings.add(where, f"contact {key} is missing from the export")
        return None
    website = None
    for link in document.links.get("website", []):
        website = _link_url(source, link, where)
        if website:
            break
    address = None
    for address_key in document.classified.get("Adresse", []):
        address_doc = source.document(address_key)
        if address_doc is not None:
            street = " ".join(filter(None, [address_doc.values.get("road"), address_doc.values.get("houseId")]))
            city = " ".join(filter(None, [address_doc.values.get("zipCode"), address_doc.values.get("city")]))
            address = ", ".join(filter(None, [street, city])) or None
            break
    own = _lines(document.text("title"))
    name, role = own or None, None
    for parent_key in document.classified.get("UebergeordneteEinheit", []):
        parent = source.document(parent_key)
        parent_title = _lines(parent.text("title")) if parent is not None else ""
        if parent_title and vocab.fold(parent_title) != vocab.fold(own):
            name, role = parent_title, own or None
        break
    return Contact(
        name=name,
        role=role,
        email=document.values.get("email") or None,
        phone=clean_text(document.values.get("phone")) or None,
        url=website,
        address=address,
    )


def _lines(text: str) -> str:
    """A multi-line title on one line, its lines joined by " / " (as the page's card subtitle reads)."""
    return " / ".join(line for line in (clean_text(part) for part in text.split("\n")) if line)


def _text_links(source: ExportSource, document: Document, names: tuple[str, ...], where: str) -> list[Link]:
    """The links inside rich-text properties, resolved through their ExternerLink documents."""
    links: list[Link] = []
    for name in names:
        fragment = document.rich.get(name)
        if not fragment or "xlink:href" not in fragment:
            continue
        for anchor in _ANCHOR.finditer(fragment):
            key = _target(anchor["href"])
            url = _link_url(source, key, where) if key else None
            if url:
                text = clean_text(html.unescape(_TAGS.sub(" ", anchor["text"])))
                links.append(Link(url, _link_title(source, key), text))
    return links


def _link_title(source: ExportSource, key: str | None) -> str:
    target = source.document(key) if key else None
    return " ".join(target.text("title").split()) if target is not None else ""


def _description(document: Document) -> str | None:
    sections = [
        ("", document.text("summary")),
        ("Voraussetzungen", document.text("regulatoryFWork")),
        ("Antragsverfahren", document.text("procMethod")),
        ("Antragstermine", document.text("procInfluence")),
        ("Bearbeitungsdauer", document.text("progress")),
        ("Unterlagen", document.text("competenceDescr")),
    ]
    parts = [f"{heading}\n{text}" if heading else text for heading, text in sections if text]
    return "\n\n".join(parts) or None


CALL_TEXTS = (
    "teaserText",
    "summary",
    "regulatoryFWork",
    "procMethod",
    "procInfluence",
    "progress",
    "competenceDescr",
    "bodyText",
    "procDescription",
)
"""The properties whose texts may state deadlines, rolling applications or the status."""
LEGAL_TEXTS = ("bodyText", "procDescription")


def program_from_document(
    document: Document, source: ExportSource, member: str, today: date | None = None
) -> ProgramRecord:
    """Map one program document to a record; mandatory fields raise :class:`ParseError`.

    The id is the member's path (unique in the archive); a document that declares another path
    is reported. ``today`` decides whether an announced opening day still lies ahead.
    """
    program_id = member.removeprefix(PROGRAM_DIR.lstrip("/")).removesuffix(".xml")
    if document.key != "/" + member.removesuffix(".xml"):
        source.warnings.add(member, f"document declares path {document.key}, read as {program_id}")
    source.classifiers.update(name for name in document.classified if name)
    title = clean_text(document.text("title"))
    if not title:
        raise ParseError(SOURCE.id, member, "program has no title")
    classes = document.classified
    mapped: MappedLabels = map_labels(
        funding_types=[c.rsplit("/", 1)[-1] for c in classes.get("Foerderart", [])],
        topics=[c.rsplit("/", 1)[-1] for c in classes.get("Foerderbereich", [])],
        regions=[c.rsplit("/", 1)[-1] for c in classes.get("Foerdergebiet", [])],
        applicant_types=[c.rsplit("/", 1)[-1] for c in classes.get("Foerderberechtigte", [])],
    )
    for message in mapped.warnings:
        source.warnings.add(member, message)
    subtopics = []
    for classifier, targets in classes.items():
        parent = vocab.SUBTOPICS.get(vocab.SUBTOPIC_CLASSIFIER_BY_FOLD.get(vocab.fold(classifier), ""))
        if parent is None:
            continue
        for target in targets:
            code = f"{parent[0]}/{target.rsplit('/', 1)[-1]}"
            if code in vocab.SUBTOPIC_LABELS:
                subtopics.append(code)
            else:
                source.warnings.add(member, f"unknown second-level Förderbereich {code!r}")
    levels = [c.rsplit("/", 1)[-1] for c in classes.get("Foerdergeber", [])]
    level = next((vocab.LEVEL.lookup(code) for code in levels if vocab.LEVEL.lookup(code)), None)
    level = level or level_from_id(program_id)
    regions = mapped.regions
    if not regions:
        regions = regions_from_id(program_id)
        if not regions:
            raise ParseError(SOURCE.id, member, "no Fördergebiet and none can be inferred from the path")
        source.warnings.add(member, f"no Fördergebiet; {', '.join(regions)} inferred from the path")
    funder = None
    for key in classes.get("Foerderorganisation", []):
        funder_doc = source.document(key)
        if funder_doc is not None:
            funder = clean_text(funder_doc.text("title")) or None
            break
        source.warnings.add(member, f"funding body {key} is missing from the export")
    contacts = [c for key in classes.get("Kontakt", []) if (c := _contact(source, key, member)) is not None]
    further = [
        Link(url, _link_title(source, key), _link_title(source, key))
        for key in classes.get("ExternerLink", [])
        if (url := _link_url(source, key, member))
    ]
    links = [link.url for link in further]
    source_updated = iso_day(document.values.get("dateOfIssue"))
    calls = read_calls(
        [document.text(name) for name in CALL_TEXTS],
        status_text=document.text("header"),
        stand=source_updated,
        today=today or date.today(),
    )
    summary, cut_summary = cap(document.text("teaserText") or None, "summary")
    description, cut_description = cap(_description(document), "description")
    body = document.text("bodyText")
    if vocab.fold(body.split("\n", 1)[0]) == "rechtsgrundlage":
        body = body.split("\n", 1)[1].strip() if "\n" in body else ""
    legal_basis, cut_legal = cap(
        "\n\n".join(filter(None, [body, document.text("procDescription")])) or None, "legal_basis"
    )
    if cut_summary or cut_description or cut_legal:
        source.warnings.add(member, "absurdly long text cut to the length the catalogue takes")
    return build_record(
        member,
        source.warnings,
        source=SOURCE.id,
        source_id=program_id,
        title=title[:1000],
        url=program_url(program_id),
        level=level,
        regions=regions,
        summary=summary,
        description=description,
        funding_types=mapped.funding_types,
        applicant_types=mapped.applicant_types,
        topics=mapped.topics,
        subtopics=subtopics,
        funder=funder,
        deadlines=calls.deadlines,
        rolling=calls.rolling,
        status=calls.status,
        status_note=calls.status_note,
        legal_basis=legal_basis,
        contacts=contacts,
        documents=program_documents(_text_links(source, document, LEGAL_TEXTS, member), further),
        links=list(dict.fromkeys(links)),
        keywords=document.values.get("keywords", "").split(),
        source_updated=source_updated,
    )


def iter_programs(source: ExportSource, today: date | None = None) -> Iterator[tuple[str, ProgramRecord | ParseError]]:
    for key in source.program_keys():
        member = source.member_name(key)
        try:
            document = parse_document(source.read(member), member)
            yield key, program_from_document(document, source, member, today)
        except CorruptArchive:
            raise
        except ParseError as exc:
            yield key, exc


def parse_export(path: Path, today: date | None = None) -> ExportResult:
    """Every program of an export ZIP or unpacked folder; broken members are reported and skipped.

    ``today`` (default: the calendar's) is the day the programs' calls are judged on."""
    with ExportSource(path) as source:
        records: list[ProgramRecord] = []
        listed: set[str] = set()
        errors = 0
        for key, outcome in iter_programs(source, today):
            listed.add(key.removeprefix(PROGRAM_DIR))
            if isinstance(outcome, ParseError):
                source.warnings.add(outcome.where, outcome.what)
                errors += 1
            else:
                records.append(outcome)
        if not listed:
            raise ParseError(SOURCE.id, str(path), "no program documents below BMWI/FDB/Content/DE/Foerderprogramm/")
        for name, count in sorted(source.classifiers.items()):
            if name not in KNOWN_CLASSIFIERS and not name.startswith("UF"):
                source.warnings.add(str(path), f"unbekannte Klassifikation {name!r} in {count} Programmen")
        return ExportResult(
            records=records,
            listed_ids=listed,
            warnings=source.warnings,
            errors=errors,
            contract_problems=contract_problems(source.classifiers, len(listed)),
        )
