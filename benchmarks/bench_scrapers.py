"""Scraper benchmarks: a synthetic 2,500-program export parsed and applied, and HTML detail pages per second.

    python -m benchmarks.bench_scrapers [PROGRAMS]

The synthetic export repeats the fixture programs under new ids (titles varied) with their linked
documents, zipped like the real one. Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from fundmatch import catalogue, db
from fundmatch.config import Settings
from fundmatch.models import ProgramRevision
from fundmatch.scrapers.base import Warnings
from fundmatch.scrapers.foerderdatenbank.export import PROGRAM_DIR, parse_export
from fundmatch.scrapers.foerderdatenbank.html import parse_detail

FILES = Path(__file__).resolve().parents[1] / "tests" / "files"
EXPORT = FILES / "foerderdatenbank_export"


def synthetic_export(target: Path, programs: int) -> None:
    templates = sorted((EXPORT / PROGRAM_DIR.strip("/")).rglob("*.xml"))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(EXPORT.rglob("*.xml")):
            if PROGRAM_DIR.strip("/") not in file.as_posix():
                archive.write(file, file.relative_to(EXPORT).as_posix())
        for i in range(programs):
            template = templates[i % len(templates)]
            relative = template.relative_to(EXPORT).as_posix()
            name = relative.replace(".xml", f"-{i:05d}.xml")
            data = template.read_bytes().replace(b'name="', f'name="{i:05d}-'.encode(), 1)
            data = data.replace(b"</p>", f" (Variante {i})</p>".encode(), 1)
            archive.writestr(name, data)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2_500
    folder = Path(tempfile.mkdtemp())
    archive = folder / "export.zip"
    synthetic_export(archive, count)
    database = db.Database(Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'bench.sqlite3'}"))
    db.upgrade(database.engine)
    for label in ("first run", "unchanged re-run"):
        start = time.perf_counter()
        result = parse_export(archive)
        parsed = time.perf_counter()
        with database.session() as session:
            applied = catalogue.apply_records(session, result.records, listings={"foerderdatenbank": result.listed_ids})
        done = time.perf_counter()
        with database.session() as session:
            revisions = session.scalar(select(func.count(ProgramRevision.id)))
        print(
            f"export {count} programs, {label}: parse {parsed - start:.1f} s + apply {done - parsed:.1f} s "
            f"= {done - start:.1f} s; new {applied.new}, unchanged {applied.unchanged}, revisions {revisions}; "
            f"peak RSS {peak_mb():.0f} MB"
        )
    pages = [p for p in FILES.glob("foerderdatenbank_detail_*.html") if "layout_changed" not in p.name]
    blobs = [(p.read_bytes(), p.name) for p in pages]
    rounds = 100
    start = time.perf_counter()
    for _ in range(rounds):
        for data, name in blobs:
            parse_detail(data, name, Warnings())
    elapsed = time.perf_counter() - start
    print(f"HTML detail pages: {rounds * len(blobs) / elapsed:.0f} pages/s ({rounds * len(blobs)} pages)")


if __name__ == "__main__":
    main()
