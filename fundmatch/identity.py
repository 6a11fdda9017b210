"""One program across its sources: which stored records are the same program, and how they show as one.

A curated record and the Förderdatenbank's record of the same program are two rows (each source's
facts stay as that source gave them, with their revisions). They are linked, in this order of
authority:

1. an admin's decision (:class:`ProgramLink`): linked, or kept apart, by key; it survives refreshes;
2. a record's explicit ``same_as`` keys (the curated seed names its Förderdatenbank twin);
3. a curated record whose URL or links point to a scraped record's Förderdatenbank page;
4. the same normalised title and a compatible funder, with overlapping regions, in different sources.

A group's **canonical** record is its curated one if it has one, else its Förderdatenbank one;
every other member points to it (``Program.canonical_id``). Lists, search, matching, the
Förderübersicht and the API show canonical records only, with the group's facts merged by
:func:`merge`: the curated record wins every field it fills, the scraped records fill what it
leaves empty; status and deadlines come from the member with the freshest facts that states them;
documents, contacts, links and keywords are united, curated first. Umbrella programs and their
lines are not merged: a line names its umbrella in ``parent``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fundmatch import vocab
from fundmatch.errors import InputError
from fundmatch.models import Program, ProgramLink, utcnow
from fundmatch.scrapers.records import MANUAL_SOURCE, ProgramRecord, parse_program_key, program_key

SOURCE_PRECEDENCE = (MANUAL_SOURCE, "foerderdatenbank", "eu_funding_tenders")
LINK_FIELDS = frozenset({"title", "funder", "regions", "url", "links", "same_as", "status"})
"""The fields the linking rules read: a change elsewhere (a text, a deadline) cannot change a group."""
FRESHEST_FIELDS = ("status", "status_note", "deadlines", "rolling")
UNITED_FIELDS = ("documents", "contacts", "links", "keywords", "same_as")
FDB_PAGE = re.compile(r"foerderdatenbank\.de/FDB/Content/DE/Foerderprogramm/(?P<id>[^?#]+?)\.html", re.I)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^]]*\]")


def title_key(title: str) -> str:
    """A title as compared across sources: folded words, without what stands in brackets."""
    return " ".join(vocab.fold_words(_BRACKETS.sub(" ", title)))


def _funders_agree(a: str | None, b: str | None) -> bool:
    """Funders agree when either is unknown or they share a word ("KfW" in "KfW Bankengruppe")."""
    if not a or not b:
        return True
    return bool({w for w in vocab.fold_words(a) if len(w) >= 3} & {w for w in vocab.fold_words(b) if len(w) >= 3})


@dataclass(frozen=True)
class _Row:
    id: int
    key: str
    source: str
    title: str
    funder: str | None
    regions: frozenset[str]
    url: str
    links: tuple[str, ...]
    same_as: tuple[str, ...]
    status: str


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _automatic_links(rows: Sequence[_Row]) -> set[tuple[str, str]]:
    by_key = {row.key: row for row in rows}
    edges: set[tuple[str, str]] = set()
    for row in rows:
        for other in row.same_as:
            if other in by_key and other != row.key:
                edges.add(_pair(row.key, other))
        if row.source == MANUAL_SOURCE:
            for url in (row.url, *row.links):
                match = FDB_PAGE.search(url)
                twin = program_key("foerderdatenbank", match["id"]) if match else None
                if twin in by_key:
                    edges.add(_pair(row.key, twin))
    by_title: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.status != "withdrawn":
            by_title[title_key(row.title)].append(row)
    for same in by_title.values():
        for i, a in enumerate(same):
            for b in same[i + 1 :]:
                if a.source != b.source and a.regions & b.regions and _funders_agree(a.funder, b.funder):
                    edges.add(_pair(a.key, b.key))
    return edges


def _components(keys: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Union-find: each key → a representative of its group."""
    parent = {key: key for key in keys}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b in edges:
        parent[find(a)] = find(b)
    return {key: find(key) for key in parent}


def _precedence(row: _Row) -> tuple[bool, int, int]:
    """Canonical first: a listed record before a withdrawn one, then by source, then the oldest."""
    rank = SOURCE_PRECEDENCE.index(row.source) if row.source in SOURCE_PRECEDENCE else len(SOURCE_PRECEDENCE)
    return (row.status == "withdrawn", rank, row.id)


def relink(session: Session) -> int:
    """Recompute every program's canonical record; the number of programs shown as part of another."""
    curated_links: dict[int, list[str]] = dict(
        session.execute(select(Program.id, Program.links).where(Program.source == MANUAL_SOURCE)).all()
    )  # only curated records' links can point to a Förderdatenbank page; the rest need not be decoded
    rows = [
        _Row(
            id=p.id,
            key=program_key(p.source, p.source_id),
            source=p.source,
            title=p.title,
            funder=p.funder,
            regions=frozenset(p.regions),
            url=p.url,
            links=tuple(curated_links.get(p.id, ())),
            same_as=tuple(p.same_as),
            status=p.status,
        )
        for p in session.execute(
            select(
                Program.id,
                Program.source,
                Program.source_id,
                Program.title,
                Program.funder,
                Program.regions,
                Program.url,
                Program.same_as,
                Program.status,
            )
        )
    ]
    decisions = {_pair(d.key_a, d.key_b): d.linked for d in session.scalars(select(ProgramLink))}
    by_key = {row.key: row for row in rows}
    edges = {edge for edge in _automatic_links(rows) if decisions.get(edge, True)}
    edges |= {edge for edge, linked in decisions.items() if linked and edge[0] in by_key and edge[1] in by_key}
    groups: dict[str, list[_Row]] = defaultdict(list)
    for key, root in _components(by_key, edges).items():
        groups[root].append(by_key[key])
    apart = {edge for edge, linked in decisions.items() if not linked}
    canonical: dict[int, int | None] = {}
    for members in groups.values():
        members.sort(key=_precedence)
        head = members[0]
        canonical[head.id] = None
        for member in members[1:]:
            kept_apart = _pair(head.key, member.key) in apart
            canonical[member.id] = None if kept_apart else head.id
    current = dict(session.execute(select(Program.id, Program.canonical_id)).all())
    changes = [{"id": pid, "canonical_id": cid} for pid, cid in canonical.items() if current.get(pid) != cid]
    if changes:
        session.execute(update(Program), changes)
    return sum(1 for cid in canonical.values() if cid is not None)


def decide(session: Session, key_a: str, key_b: str, *, linked: bool, by: str) -> None:
    """Record an admin's link (or separation) of two programs and apply it at once."""
    for key in (key_a, key_b):
        source, source_id = parse_program_key(key)
        if session.scalar(select(Program.id).where(Program.source == source, Program.source_id == source_id)) is None:
            raise InputError(f"Programm {key} gibt es im Katalog nicht")
    if key_a == key_b:
        raise InputError("ein Programm kann nicht mit sich selbst verknüpft werden")
    a, b = _pair(key_a, key_b)
    decision = session.get(ProgramLink, (a, b))
    if decision is None:
        decision = ProgramLink(key_a=a, key_b=b, linked=linked, decided_by=by)
        session.add(decision)
    decision.linked, decision.decided_by, decision.decided_at = linked, by, utcnow()
    session.flush()
    relink(session)


STALE_AFTER_DAYS = 365
"""Facts older than this are shown with "vor Antragstellung an der Quelle prüfen" (UI, overview, drafts)."""


def is_stale(facts: date | None, today: date) -> bool:
    return facts is None or (today - facts).days > STALE_AFTER_DAYS


def facts_date(program: Program | ProgramRecord) -> date | None:
    """When the facts were last checked at the source: a curator's date, else the last sighting by a
    source run, else the source's own Stand."""
    if program.facts_as_of:
        return program.facts_as_of
    if program.last_seen:
        return program.last_seen.date()
    return program.source_updated


def merge(members: Sequence[ProgramRecord]) -> ProgramRecord:
    """One record of a group, under the canonical member's key (the first of ``members``)."""
    head = members[0]
    if len(members) == 1:
        return head
    values: dict = {}
    for name in type(head).model_fields:
        if name in ("source", "source_id", "last_seen") or name in FRESHEST_FIELDS or name in UNITED_FIELDS:
            continue
        values[name] = next((v for m in members if (v := getattr(m, name)) not in (None, [], "")), getattr(head, name))
    by_freshness = sorted(members, key=lambda m: facts_date(m) or date.min, reverse=True)
    status_from = next((m for m in by_freshness if m.status not in ("unknown", "withdrawn")), head)
    values["status"], values["status_note"] = status_from.status, status_from.status_note
    for name in ("deadlines", "rolling"):  # the freshest member that states it; an unknown is no statement
        values[name] = next((v for m in by_freshness if (v := getattr(m, name)) not in (None, [])), getattr(head, name))
    for name in UNITED_FIELDS:
        united: list = []
        for member in members:
            united.extend(item for item in getattr(member, name) if item not in united)
        values[name] = united
    values["facts_as_of"] = facts_date(head)  # the canonical (curated) record's facts are what the numbers rest on
    seen = [m.last_seen for m in members if m.last_seen]
    return head.model_copy(update={**values, "last_seen": max(seen) if seen else None})
