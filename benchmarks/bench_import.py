"""Import benchmark: the 1,432 real programs into an empty catalogue, then the unchanged file again.

    python -m benchmarks.bench_import ../shared/data/fdb_programmes_third_party_2026-03-12.json [DATABASE_URL]

Without DATABASE_URL a fresh SQLite file in a temporary folder is used per round. A PostgreSQL URL must
name a database the benchmark may wipe. Three rounds; the figures are the best of them, and the share
is what an unchanged re-import costs against a first import (issue 13: at most 25 %).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from benchmarks.convert_fdb_third_party import convert
from fundmatch import catalogue, db
from fundmatch.config import Settings
from fundmatch.models import ProgramRevision

ROUNDS = 3
LABELS = ("first import", "unchanged re-import")


def one_round(data: bytes, url: str | None) -> dict[str, float]:
    """Both imports into a freshly created schema; seconds by label."""
    folder = Path(tempfile.mkdtemp())
    database = db.Database(Settings(data_dir=folder, database_url=url or f"sqlite:///{folder / 'bench.sqlite3'}"))
    if not database.settings.is_embedded:
        with database.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.upgrade(database.engine)
    elapsed = {}
    for label in LABELS:
        start = time.perf_counter()
        with database.session() as session:
            result = catalogue.import_catalogue(session, data, name="fdb.json", max_bytes=len(data))
        elapsed[label] = time.perf_counter() - start
        with database.session() as session:
            revisions = session.scalar(select(func.count(ProgramRevision.id)))
        print(
            f"{database.engine.dialect.name:10} {label:20} {elapsed[label]:6.2f} s  "
            f"new {result.new} changed {result.changed} unchanged {result.unchanged} revisions {revisions}"
        )
    database.dispose()
    return elapsed


def main() -> None:
    data = json.dumps(convert(Path(sys.argv[1])), ensure_ascii=False).encode("utf-8")
    url = sys.argv[2] if len(sys.argv) > 2 else None
    rounds = [one_round(data, url) for _ in range(ROUNDS)]
    best = {label: min(r[label] for r in rounds) for label in LABELS}
    print(
        f"best of {ROUNDS}: first import {best['first import']:.2f} s, unchanged re-import "
        f"{best['unchanged re-import']:.2f} s = {best['unchanged re-import'] / best['first import']:.0%} of the first"
    )


if __name__ == "__main__":
    main()
