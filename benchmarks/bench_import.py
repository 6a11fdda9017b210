"""Import benchmark: the 1,434 real programs into an empty catalogue, then the unchanged file again.

    python benchmarks/bench_import.py ../shared/data/fdb_programmes_third_party_2026-03-12.json [DATABASE_URL]

Without DATABASE_URL a fresh SQLite file in a temporary folder is used. A PostgreSQL URL must name a
database the benchmark may wipe.
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


def main() -> None:
    data = json.dumps(convert(Path(sys.argv[1])), ensure_ascii=False).encode("utf-8")
    folder = Path(tempfile.mkdtemp())
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder / 'bench.sqlite3'}"
    database = db.Database(Settings(data_dir=folder, database_url=url))
    if not database.settings.is_embedded:
        with database.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.upgrade(database.engine)
    for label in ("first import", "unchanged re-import"):
        start = time.perf_counter()
        with database.session() as session:
            result = catalogue.import_catalogue(session, data, name="fdb.json", max_bytes=len(data))
        elapsed = time.perf_counter() - start
        with database.session() as session:
            revisions = session.scalar(select(func.count(ProgramRevision.id)))
        print(
            f"{database.engine.dialect.name:10} {label:20} {elapsed:6.2f} s  "
            f"new {result.new} changed {result.changed} unchanged {result.unchanged} revisions {revisions}"
        )


if __name__ == "__main__":
    main()
