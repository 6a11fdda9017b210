"""Web speed: match page and catalogue search times, then 20 clients for 30 s, each page's share reported.

    python -m benchmarks.bench_web ../shared/data/fdb_programmes_third_party_2026-03-12.json [PROGRAMS]
        [--database-url postgresql://postgres@127.0.0.1:5432/fm_bench] [--changes-every SECONDS]

PROGRAMS is the catalogue size (default 3,000; 1,432 is the real catalogue as it is, more is enlarged as in
``bench_matcher``). Starts ``fundmatch serve`` (waitress) in a subprocess on 127.0.0.1 and loads it from
this process. Traffic goes to the loopback address only and stops by itself.

The database is SQLite in a new temporary data dir, or the PostgreSQL database that ``--database-url``
names: it must have no programs; the script brings it to the newest schema as ``fundmatch db upgrade``
does, and leaves what it stored there. While the 20 clients run, a thread of this process changes the
catalogue every ``--changes-every`` seconds (default 3; 0 for none): one program's title, through
``apply_records`` in a session of its own, so the server rebuilds its matcher index under load (concurrent
rebuilds once answered HTTP 500). Per page it prints the times, the answers other than 200 by status and
the transport errors; the server's log (its stderr, with the traceback of any server error) is kept in the
data dir, and the first traceback in it is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

from benchmarks.bench_matcher import enlarged
from benchmarks.convert_fdb_third_party import convert
from fundmatch import catalogue, db, municipalities, users
from fundmatch.catalogue import apply_records
from fundmatch.config import Settings
from fundmatch.interchange import parse_catalogue, parse_measures
from fundmatch.scrapers.records import ProgramRecord

MEASURES = Path(__file__).parent / "eval" / "measures.json"
PASSWORD = "benchmark-passwort"
CLIENTS, SECONDS = 20, 30


def prepare(settings: Settings, source: Path, size: int) -> tuple[list[int], list[ProgramRecord]]:
    """Store the catalogue, a user and 20 measures; returns the measures' ids and the records stored."""
    if not settings.is_embedded:
        engine = db.create_db_engine(settings.database_url)
        db.upgrade(engine)
        engine.dispose()
    database = db.Database(settings)
    records = enlarged(parse_catalogue(convert(source)), size)
    with database.session() as session:
        if catalogue.stats(session).total:
            sys.exit("the database has programs already: give the benchmark an empty one")
        apply_records(session, records, seen_at=datetime.now(UTC))
        users.create_user(session, "bench", PASSWORD, "consultant")
        ids = []
        for spec in parse_measures(json.loads(MEASURES.read_text()))[:20]:
            town = municipalities.save_municipality(session, {"name": f"Gemeinde {spec.id}", "land": spec.land})
            strategy = municipalities.save_strategy(session, town, {"title": "Digitalstrategie"})
            measure = municipalities.save_measure(
                session, strategy, {"title": spec.title, "description": spec.description}
            )
            ids.append(measure.id)
    database.dispose()
    return ids, records


def change_catalogue(settings: Settings, records: list[ProgramRecord], every: float, stop: float) -> list[float]:
    """Until ``stop``, every ``every`` seconds retitle one program in a session of its own, as an import
    would; returns how long each change took (ms)."""
    database = db.Database(settings)
    took: list[float] = []
    due = time.monotonic() + every
    while due < stop:
        time.sleep(max(0.0, due - time.monotonic()))
        record = records[len(took) * 97 % len(records)]
        start = time.perf_counter()
        with database.session() as session:
            apply_records(session, [record.model_copy(update={"title": f"{record.title} (Stand {len(took) + 1})"})])
        took.append((time.perf_counter() - start) * 1000)
        due += every
    database.dispose()
    return took


def login(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    return client


def timed(client: httpx.Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    response.raise_for_status()
    return (time.perf_counter() - start) * 1000


def fetched(client: httpx.Client, url: str) -> tuple[int, float]:
    """Status and time (ms) of a GET, whatever the status."""
    start = time.perf_counter()
    status = client.get(url).status_code
    return status, (time.perf_counter() - start) * 1000


def pct(values: list[float], q: int) -> str:
    return f"{np.percentile(values, q):.0f}" if values else "–"


def first_traceback(log: Path) -> str | None:
    """How many tracebacks the server logged, and the first one (up to 60 lines)."""
    lines = log.read_text(errors="replace").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    if not starts:
        return None
    first = lines[max(0, starts[0] - 1) : starts[0] + 60]  # with the line that names the request
    return f"{len(starts)} tracebacks in the server log; the first:\n" + "\n".join(first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the Förderdatenbank export (JSON)")
    parser.add_argument("programs", type=int, nargs="?", default=3_000, help="catalogue size (default 3,000)")
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of a new SQLite file")
    parser.add_argument("--changes-every", type=float, default=3.0, help="seconds between catalogue changes")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fundmatch-web-"))
    settings = Settings(data_dir=folder, database_url=args.database_url or f"sqlite:///{folder / 'fundmatch.sqlite3'}")
    measure_ids, records = prepare(settings, args.source, args.programs)
    print(f"{args.programs} programs, {'SQLite' if settings.is_embedded else 'PostgreSQL'}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "FUNDMATCH_DATA_DIR": str(folder), "FUNDMATCH_SECRET_KEY": secrets.token_hex(16)}
    env.pop("FUNDMATCH_DATABASE_URL", None)
    if args.database_url:
        env["FUNDMATCH_DATABASE_URL"] = args.database_url
    log = folder / "serve.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "fundmatch", "serve", "--port", str(port), "--threads", "8"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    print(f"server log: {log}")
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):
            try:
                if httpx.get(base + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        client = login(base)
        client.get(f"/massnahmen/{measure_ids[0]}")  # first match builds the index
        matches = [timed(client, f"/massnahmen/{m}") for m in measure_ids * 3]
        searches = [
            timed(client, f"/katalog/?q={q}&land=BY")
            for q in ("Glasfaser", "Breitband Schule", "LED Straßenbeleuchtung", "Digitalisierung Verwaltung", "Radweg")
            * 10
        ]
        titles = [timed(client, "/katalog/?level=land&sort=title&page=2") for _ in range(30)]
        print(f"match page: p50 {pct(matches, 50)} ms, p95 {pct(matches, 95)} ms ({len(matches)} requests)")
        print(f"catalogue search (relevance): p50 {pct(searches, 50)} ms, p95 {pct(searches, 95)} ms")
        print(f"catalogue list (facet, title order): p95 {np.percentile(titles, 95):.0f} ms")

        latencies: dict[str, list[float]] = {}  # answers below 400
        statuses: dict[str, Counter[int]] = {}  # every answer but 200
        transport: dict[str, Counter[str]] = {}  # no answer: exception class
        stop = time.monotonic() + SECONDS
        lock = threading.Lock()

        def worker(n: int) -> None:
            own = login(base)
            urls = [
                ("match page", f"/massnahmen/{measure_ids[n % len(measure_ids)]}"),
                ("catalogue search", "/katalog/?q=Glasfaser&land=BY"),
                ("dashboard", "/"),
                ("Kommunen", "/kommunen"),
            ]
            i = 0
            while time.monotonic() < stop:
                page, url = urls[i % len(urls)]
                i += 1
                try:
                    status, value = fetched(own, url)
                except httpx.TransportError as exc:
                    with lock:
                        transport.setdefault(page, Counter())[type(exc).__name__] += 1
                    continue
                with lock:
                    if status < 400:
                        latencies.setdefault(page, []).append(value)
                    if status != 200:
                        statuses.setdefault(page, Counter())[status] += 1

        changes: list[float] = []
        changer = threading.Thread(
            target=lambda: changes.extend(change_catalogue(settings, records, args.changes_every, stop))
        )
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
        if args.changes_every > 0:
            threads.append(changer)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        every = [value for values in latencies.values() for value in values]
        answers = len(every) + sum(s for counts in statuses.values() for code, s in counts.items() if code >= 400)
        failed = sum(sum(counts.values()) for counts in transport.values())
        server_errors = sum(s for counts in statuses.values() for code, s in counts.items() if code >= 500)
        print(
            f"{CLIENTS} clients for {SECONDS} s: {answers + failed} requests ({(answers + failed) / SECONDS:.0f}/s), "
            f"{server_errors} server errors (5xx), {failed} transport errors, p50 {pct(every, 50)} ms, "
            f"p95 {pct(every, 95)} ms"
        )
        if changes:
            print(
                f"  {len(changes)} catalogue changes (one every {args.changes_every:g} s), "
                f"each p50 {pct(changes, 50)} ms, max {max(changes):.0f} ms"
            )
        for page in sorted(latencies.keys() | statuses.keys() | transport.keys()):
            values = latencies.get(page, [])
            other = ", ".join(f"{code}: {s}" for code, s in sorted(statuses.get(page, Counter()).items())) or "none"
            lost = ", ".join(f"{name}: {s}" for name, s in transport.get(page, Counter()).items()) or "none"
            print(
                f"  {page} under load: p50 {pct(values, 50)} ms, p95 {pct(values, 95)} ms ({len(values)} answered "
                f"below 400); other than 200: {other}; transport errors: {lost}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    traceback = first_traceback(log)
    if traceback:
        print(traceback)


if __name__ == "__main__":
    main()
