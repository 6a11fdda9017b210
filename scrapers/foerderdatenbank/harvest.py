"""Fetch plan of the Förderdatenbank: the export ZIP first, the HTML crawl as fallback."""

from __future__ import annotations

from pathlib import Path

from fundmatch.german import format_number
from fundmatch.scrapers.base import Harvest, ParseError, SourceConfig, Warnings, build_record
from fundmatch.scrapers.foerderdatenbank.export import parse_export
from fundmatch.scrapers.foerderdatenbank.html import parse_detail, parse_list
from fundmatch.scrapers.foerderdatenbank.source import (
    SOURCE,
    level_from_id,
    program_id_from_url,
    program_url,
    regions_from_id,
)
from fundmatch.scrapers.http import BotWallError, Fetcher, FetchError
from fundmatch.scrapers.records import ProgramRecord

EXPORT_PATH = "FDB/WS/export"
SEARCH_PATH = "SiteGlobals/FDB/Forms/Suche/Foederprogrammsuche_Formular.html?filterCategories=FundingProgram"
MAX_EXPORT_BYTES = 500_000_000
HIT_COUNT_TOLERANCE = 4
MAX_LIST_PAGES = 1_000


def harvest(fetcher: Fetcher, config: SourceConfig) -> Harvest:
    """The whole catalogue from the export; if the export cannot be had or read, from the HTML pages."""
    url = config.base_url.rstrip("/") + "/" + EXPORT_PATH
    target = config.workdir / "foerderdatenbank-export.zip"
    try:
        download = fetcher.download(url, target, max_bytes=MAX_EXPORT_BYTES)
    except FetchError as exc:
        return _fallback(fetcher, config, url, exc)
    try:
        result = parse_export(download.path, today=config.today)
    except ParseError as exc:
        download.discard()
        return _fallback(fetcher, config, url, exc)
    return Harvest(
        records=result.records,
        listed_ids=result.listed_ids,
        warnings=result.warnings,
        errors=result.errors,
        fetched=len(result.listed_ids),
        contract_problems=result.contract_problems,
        notes=[
            "Export unverändert (HTTP 304)"
            if download.not_modified
            else f"Export {format_number(download.size, grouping=True)} Bytes"
        ],
    )


def _fallback(fetcher: Fetcher, config: SourceConfig, url: str, problem: Exception) -> Harvest:
    crawl = harvest_html(fetcher, config)
    crawl.warnings.add(url, f"Export unbrauchbar ({problem}); ersatzweise die HTML-Seiten gelesen")
    crawl.notes.append(f"Export unbrauchbar ({problem}); HTML-Seiten gelesen")
    return crawl


def harvest_html(fetcher: Fetcher, config: SourceConfig) -> Harvest:
    """Crawl list pages (following the site's own next links) and every detail page on them.

    The listing counts as complete only when the last page was reached and the unique programs
    agree with the site's hit count (± a few, the site is known to repeat cards).
    """
    warnings = Warnings()
    harvest = Harvest(records=[], listed_ids=None, warnings=warnings)
    next_url: str | None = config.base_url.rstrip("/") + "/" + SEARCH_PATH
    seen: dict[str, str] = {}
    hit_count = None
    pages = 0
    complete = False
    while next_url and pages < MAX_LIST_PAGES:
        try:
            page = parse_list(fetcher.get(next_url).content, next_url)
        except BotWallError as exc:
            warnings.add(next_url, f"{exc.reason}; crawl stopped")
            break
        except (FetchError, ParseError) as exc:
            warnings.add(next_url, f"list page unusable: {exc}; listing incomplete")
            harvest.errors += 1
            break
        pages += 1
        hit_count = page.hit_count
        for program_url_, _title in page.programs:
            program_id = program_id_from_url(program_url_)
            if program_id is None:
                warnings.add(program_url_, "card links to something that is not a program; skipped")
            elif program_id in seen:
                warnings.add(program_url_, "program listed twice (site bug); counted once")
            else:
                seen[program_id] = program_url_
        next_url = page.next_url
        complete = next_url is None
    if complete and hit_count is not None and abs(len(seen) - hit_count) > HIT_COUNT_TOLERANCE:
        warnings.add(
            config.base_url, f"{len(seen)} unique programs but the site counts {hit_count}; listing incomplete"
        )
        complete = False
    for detail_url in seen.values():
        try:
            response = fetcher.get(detail_url)
            harvest.fetched += 1
            harvest.records.append(parse_detail(response.content, detail_url, warnings, today=config.today))
        except BotWallError as exc:
            warnings.add(detail_url, f"{exc.reason}; crawl stopped")
            complete = False
            break
        except (FetchError, ParseError) as exc:
            warnings.add(detail_url, str(exc))
            harvest.errors += 1
    harvest.listed_ids = set(seen) if complete else None
    return harvest


def parse_file(path: Path, warnings: Warnings) -> list[ProgramRecord]:
    """A saved file or folder, offline: an export ZIP or unpacked export, a detail page or a list page.

    A list page yields stub records (title and URL only) so an operator sees what it lists.
    """
    if path.is_dir() or path.suffix.lower() == ".zip":
        result = parse_export(path)
        for where, message in result.warnings:
            warnings.add(where, message)
        for problem in result.contract_problems:
            warnings.add(str(path), f"Strukturprüfung: {problem}")
        return result.records
    data = path.read_bytes()
    if b'id="hits--count"' in data:
        page = parse_list(data, str(path))
        warnings.add(str(path), f"list page: {page.hit_count} hits, next page {page.next_url or 'none'}")
        return [
            build_record(
                str(path),
                warnings,
                source=SOURCE.id,
                source_id=program_id,
                title=title,
                url=program_url(program_id),
                level=level_from_id(program_id),
                regions=regions_from_id(program_id),
            )
            for url, title in page.programs
            if (program_id := program_id_from_url(url))
        ]
    return [parse_detail(data, str(path), warnings)]
