"""EU Funding & Tenders Portal: grant topics and calls from the public SEDIA search API.

The search API wants a multipart body whose parts are typed ``application/json`` (sent as plain
fields it answers 500; sent as a JSON body it silently ignores the filter). Each topic becomes one
record; translations, grant updates, tenders and stale "centricity" copies are dropped. Status is
derived from the dates, because the API's status field can be stale. The bulk reference file
(``grantsTenders.json``) is the alternative input of the same topics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fundmatch.german import format_amount
from fundmatch.scrapers.base import Harvest, ParseError, SourceConfig, SourceInfo, Warnings, build_record
from fundmatch.scrapers.deadlines import iso_day
from fundmatch.scrapers.html import cap, clean_text, html_to_text
from fundmatch.scrapers.http import Fetcher, FetchError
from fundmatch.scrapers.records import Deadline, ProgramRecord

SOURCE = SourceInfo(
    id="eu_funding_tenders",
    title="EU Funding & Tenders Portal",
    publisher="Europäische Kommission",
    url="https://ec.europa.eu/info/funding-tenders/opportunities/portal/",
    expected_count=(50, 5_000),
    fill_thresholds={"title": 0.99, "url": 0.99, "regions": 0.99, "deadlines": 0.9},
    licence="© Europäische Union, Weiterverwendung gestattet (Beschluss 2011/833/EU)",
    attribution="EU Funding & Tenders Portal, © Europäische Union",
)

SEARCH_URL = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
BASE_URL = SEARCH_URL
TOPIC_URL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/topic-details/{}"
PAGE_SIZE = 100
TYPE_TENDER = "0"
PROGRAM_TYPES = ("1", "2", "8")
STATUS_FORTHCOMING, STATUS_OPEN = "31094501", "31094502"
PREFERRED_DATASOURCE = "SEDIA"

# Framework programme codes (FACET API rawValue) → name, and the Förderbereiche their topics serve.
FRAMEWORK_PROGRAMMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "43108390": ("Horizon Europe", ("forschung_innovation_themenspezifisch",)),
    "43152860": ("Digital Europe Programme (DIGITAL)", ("digitalisierung",)),
    "43251567": ("Connecting Europe Facility (CEF)", ("infrastruktur",)),
    "43252405": ("LIFE", ("umwelt_naturschutz", "energieeffizienz_erneuerbare_energien")),
    "43251589": ("Citizens, Equality, Rights and Values (CERV)", ("kultur_medien_sport",)),
    "43353764": ("Erasmus+", ("aus_weiterbildung",)),
    "43252476": ("Single Market Programme (SMP)", ("unternehmensfinanzierung",)),
    "44416173": (
        "Interregional Innovation Investments (I3)",
        ("regionalfoerderung", "forschung_innovation_themenoffen"),
    ),
    "43254019": ("European Social Fund+ (ESF+)", ("arbeit", "gesundheit_soziales")),
    "44773066": ("Just Transition Mechanism (JTM)", ("regionalfoerderung",)),
    "43089234": ("Innovation Fund", ("energieeffizienz_erneuerbare_energien",)),
    "44181033": ("European Defence Fund (EDF)", ("forschung_innovation_themenspezifisch",)),
    "43298664": ("Promotion of Agricultural Products (AGRIP)", ("landwirtschaft_laendliche_entwicklung",)),
}
PUBLIC_APPLICANT_CUES = (
    "local authorit",
    "municipalit",
    "public authorit",
    "public bod",
    "local and regional",
    "cities",
)


def search_parts() -> dict[str, tuple[None, str, str]]:
    """The multipart parts of the search request, each typed application/json."""
    query = {
        "bool": {
            "must": [
                {"terms": {"type": list(PROGRAM_TYPES)}},
                {"terms": {"status": [STATUS_FORTHCOMING, STATUS_OPEN]}},
            ]
        }
    }
    parts = {"query": query, "languages": ["en", "de"], "sort": {"field": "deadlineDate", "order": "ASC"}}
    return {name: (None, json.dumps(value), "application/json") for name, value in parts.items()}


def search_params(page: int) -> dict[str, str]:
    return {"apiKey": "SEDIA", "text": "***", "pageSize": str(PAGE_SIZE), "pageNumber": str(page)}


def topic_url(identifier: str) -> str:
    return TOPIC_URL.format(identifier)


def derive_status(start: date | None, deadlines: Iterable[Deadline], today: date) -> str:
    """open while a new applicant can still enter; forthcoming before the topic opens; else closed.

    A two-stage topic admits newcomers only until its first stage (the sketch deadline).
    """
    if start is not None and start > today:
        return "forthcoming"
    deadlines = list(deadlines)
    entry = [d.date for d in deadlines if d.kind == "sketch"] or [d.date for d in deadlines]
    return "open" if any(d >= today for d in entry) else "closed"


def _deadline_kinds(days: list[date], model: str) -> list[Deadline]:
    days = sorted(set(days))
    if len(days) == 1:
        return [Deadline(date=days[0], kind="submission")]
    if "two" in model.lower() and len(days) == 2:
        return [
            Deadline(date=days[0], kind="sketch", note="erste Stufe"),
            Deadline(date=days[1], kind="submission", note="zweite Stufe"),
        ]
    return [Deadline(date=d, kind="cutoff", note=f"Stichtag {i} von {len(days)}") for i, d in enumerate(days, 1)]


@dataclass
class Budget:
    total: float | None
    grants: int | None
    min_contribution: float | None
    max_contribution: float | None


def topic_budget(raw: str | None, identifier: str) -> Budget:
    """The topic's share of the call's budget overview (entries whose action names the topic)."""
    if not raw:
        return Budget(None, None, None, None)
    data = json.loads(raw)
    entries = [
        entry
        for items in (data.get("budgetTopicActionMap") or {}).values()
        for entry in items
        if str(entry.get("action", "")).startswith(identifier + " ")
    ]
    if not entries:
        return Budget(None, None, None, None)
    total = sum(float(v) for e in entries for v in (e.get("budgetYearMap") or {}).values() if v not in (None, ""))
    grants = sum(int(e["expectedGrants"]) for e in entries if e.get("expectedGrants") is not None)
    mins = [float(e["minContribution"]) for e in entries if e.get("minContribution") is not None]
    maxs = [float(e["maxContribution"]) for e in entries if e.get("maxContribution") is not None]
    return Budget(total or None, grants or None, min(mins) if mins else None, max(maxs) if maxs else None)


def _first(metadata: dict, key: str) -> str | None:
    values = metadata.get(key) or []
    return values[0] if values else None


def _applicants(conditions_text: str) -> list[str]:
    folded = conditions_text.lower()
    return ["kommune", "oeffentliche_einrichtung"] if any(cue in folded for cue in PUBLIC_APPLICANT_CUES) else []


def _topics(framework: str | None, digital: bool, where: str, warnings: Warnings) -> tuple[str | None, list[str]]:
    name, topics = None, []
    if framework in FRAMEWORK_PROGRAMMES:
        name, known = FRAMEWORK_PROGRAMMES[framework]
        topics = list(known)
    elif framework:
        warnings.add(where, f"unknown framework programme code {framework!r}")
    if digital and "digitalisierung" not in topics:
        topics.append("digitalisierung")
    return name, topics


def _call_facts(framework: str | None, call_id: str | None, call_title: str | None) -> str:
    lines = [f"Rahmenprogramm: {framework}" if framework else "", f"Aufruf: {call_id or ''} – {clean_text(call_title)}"]
    return "\n".join(line for line in lines if line.strip(" –:")) if (framework or call_id) else ""


def record_from_result(result: dict, today: date, warnings: Warnings) -> ProgramRecord:
    """One search result (a topic) → record. Raises :class:`ParseError` without identifier or title."""
    metadata = result.get("metadata") or {}
    identifier = _first(metadata, "identifier")
    where = f"search result {result.get('reference', '?')}"
    if not identifier:
        raise ParseError(SOURCE.id, where, "no identifier")
    title = clean_text(_first(metadata, "title") or result.get("summary"))
    if not title:
        raise ParseError(SOURCE.id, where, f"topic {identifier} has no title")
    days = [d for d in (iso_day(v) for v in metadata.get("deadlineDate") or []) if d]
    deadlines = _deadline_kinds(days, _first(metadata, "deadlineModel") or "")
    start = iso_day(_first(metadata, "startDate"))
    framework, topics = _topics(
        _first(metadata, "frameworkProgramme"),
        "DigitalAgenda" in (metadata.get("crossCuttingPriorities") or []),
        where,
        warnings,
    )
    try:
        budget = topic_budget(_first(metadata, "budgetOverview"), identifier)
    except (ValueError, TypeError, KeyError) as exc:
        warnings.add(where, f"unreadable budgetOverview: {exc}")
        budget = Budget(None, None, None, None)
    description_text = html_to_text(_first(metadata, "descriptionByte"))
    conditions = html_to_text(_first(metadata, "topicConditions"))
    facts = [
        f"Rahmenprogramm: {framework}" if framework else "",
        f"Aufruf: {_first(metadata, 'callIdentifier') or ''} – {clean_text(_first(metadata, 'callTitle'))}",
    ]
    if budget.total:
        facts.append(f"Budget des Themas: {format_amount(budget.total, cents=False)}")
    if budget.grants:
        facts.append(f"Erwartete Zahl der Förderungen: {budget.grants}")
    description, _ = cap(
        "\n\n".join(filter(None, ["\n".join(f for f in facts if f), description_text])) or None, "description"
    )
    paragraphs = [p for p in description_text.split("\n\n") if len(p) > 40 and not p.endswith(":")]
    summary = paragraphs[0][:600] if paragraphs else None
    legal, _ = cap(conditions or None, "legal_basis")
    return _topic_record(
        where,
        warnings,
        identifier,
        title,
        summary=summary,
        description=description,
        applicant_types=_applicants(conditions),
        topics=topics,
        amount_min_eur=budget.min_contribution,
        amount_max_eur=budget.max_contribution,
        deadlines=deadlines,
        status=derive_status(start, deadlines, today),
        legal_basis=legal,
        keywords=[k for k in metadata.get("keywords") or [] if k != identifier][:20],
        source_updated=iso_day(_first(metadata, "es_SortDate") or _first(metadata, "esDA_IngestDate")),
    )


def _preference(result: dict) -> tuple[int, int]:
    metadata = result.get("metadata") or {}
    datasource = _first(metadata, "DATASOURCE") or PREFERRED_DATASOURCE
    language = _first(metadata, "language") or result.get("language") or ""
    return (0 if datasource == PREFERRED_DATASOURCE else 1, {"de": 0, "en": 1}.get(language, 2))


@dataclass
class SearchPage:
    total: int
    page: int
    results: list[dict]


def parse_search_page(data: bytes | str, where: str) -> SearchPage:
    """A search response → its results; a malformed or unexpected body raises :class:`ParseError`."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(SOURCE.id, where, f"malformed JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise ParseError(SOURCE.id, where, "no 'results' list in the search response")
    try:
        total = int(document.get("totalResults", 0))
        page = int(document.get("pageNumber", 1))
    except (TypeError, ValueError):
        raise ParseError(SOURCE.id, where, "totalResults or pageNumber is not a number") from None
    return SearchPage(total=total, page=page, results=document["results"])


def records_from_results(results: Iterable[dict], today: date, warnings: Warnings) -> list[ProgramRecord]:
    """Programs among search results: one record per topic identifier, tenders and updates dropped."""
    best: dict[str, dict] = {}
    for result in results:
        metadata = result.get("metadata") or {}
        kind = _first(metadata, "type")
        identifier = _first(metadata, "identifier")
        if kind not in PROGRAM_TYPES or not identifier:
            continue
        if identifier not in best or _preference(result) < _preference(best[identifier]):
            best[identifier] = result
    records = []
    for identifier in sorted(best):
        try:
            records.append(record_from_result(best[identifier], today, warnings))
        except ParseError as exc:
            warnings.add(exc.where, exc.what)
    return records


def _from_millis(value: Any) -> date | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC).date()
    except (TypeError, ValueError, OverflowError):
        return None


def parse_bulk(data: bytes | str, where: str, today: date, warnings: Warnings) -> list[ProgramRecord]:
    """The bulk reference file (``grantsTenders.json``): topics without texts or budgets."""
    try:
        document = json.loads(data)
        items = document["fundingData"]["GrantTenderObj"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ParseError(SOURCE.id, where, f"not a grantsTenders reference file: {exc}") from None
    records: dict[str, ProgramRecord] = {}
    for index, item in enumerate(items):
        if str(item.get("type")) not in PROGRAM_TYPES:
            continue
        identifier = item.get("identifier")
        title = clean_text(item.get("title"))
        if not identifier or not title:
            warnings.add(f"{where} record {index}", "topic without identifier or title; skipped")
            continue
        try:
            records[identifier] = _bulk_record(item, identifier, title, f"{where} record {index}", today, warnings)
        except ParseError as exc:
            warnings.add(exc.where, f"{exc.what}; skipped")
    return [records[k] for k in sorted(records)]


def _topic_record(where: str, warnings: Warnings, identifier: str, title: str, **fields: Any) -> ProgramRecord:
    """What every EU topic is, whichever file it comes from: an EU-wide grant of the Commission, with
    deadlines that are the call's (never rolling)."""
    return build_record(
        where,
        warnings,
        source=SOURCE.id,
        source_id=identifier,
        title=title[:1000],
        url=topic_url(identifier),
        level="eu",
        regions=["EU"],
        funding_types=["zuschuss"],
        funder="Europäische Kommission",
        rolling=False,
        **fields,
    )


def _bulk_record(item: dict, identifier: str, title: str, where: str, today: date, warnings: Warnings) -> ProgramRecord:
    days = [d for d in (_from_millis(v) for v in item.get("deadlineDatesLong") or []) if d]
    deadlines = _deadline_kinds(days, "")
    framework_id = str((item.get("frameworkProgramme") or {}).get("id") or "") or None
    framework, topics = _topics(framework_id, "DigitalAgenda" in (item.get("flags") or []), where, warnings)
    return _topic_record(
        where,
        warnings,
        identifier,
        title,
        description=_call_facts(framework, item.get("callIdentifier"), item.get("callTitle")),
        topics=topics,
        deadlines=deadlines,
        status=derive_status(_from_millis(item.get("plannedOpeningDateLong")), deadlines, today),
        keywords=[k for k in item.get("keywords") or [] if k != identifier][:20],
    )


MAX_PAGES = 200


def harvest(fetcher: Fetcher, config: SourceConfig) -> Harvest:
    """Every forthcoming and open grant topic, page by page; a failed page ends the listing early."""
    warnings = Warnings()
    results: list[dict] = []
    total: int | None = None
    complete = False
    errors = fetched = 0
    for page in range(1, MAX_PAGES + 1):
        where = f"{config.base_url} page {page}"
        try:
            response = fetcher.post(config.base_url, params=search_params(page), files=search_parts())
            parsed = parse_search_page(response.content, where)
        except (FetchError, ParseError) as exc:
            warnings.add(where, f"{exc}; Auflistung unvollständig")
            errors += 1
            break
        fetched += 1
        total = parsed.total
        results.extend(parsed.results)
        if len(results) >= total:
            complete = True
            break
        if not parsed.results:
            warnings.add(where, f"leere Seite nach {len(results)} von {total} Treffern; Auflistung unvollständig")
            break
    records = records_from_results(results, config.today, warnings)
    return Harvest(
        records=records,
        listed_ids={r.source_id for r in records} if complete else None,
        warnings=warnings,
        errors=errors,
        fetched=fetched,
        notes=[f"{len(results)} von {total if total is not None else '?'} Suchtreffern"],
    )


def parse_file(path: Path, warnings: Warnings, today: date | None = None) -> list[ProgramRecord]:
    """A saved search response or bulk reference file, offline."""
    data = path.read_bytes()
    today = today or date.today()
    if b'"fundingData"' in data[:10_000]:
        return parse_bulk(data, str(path), today, warnings)
    return records_from_results(parse_search_page(data, str(path)).results, today, warnings)
