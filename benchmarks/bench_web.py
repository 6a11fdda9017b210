"""Web speed: match page and catalogue search times, then 20 clients for 30 s, each page's share reported.

    python -m benchmarks.bench_web ../shared/data/fdb_programmes_third_party_2026-03-12.json [PROGRAMS]

PROGRAMS is the catalogue size (default 3,000; 1,432 is the real catalogue as it is, more is enlarged as in
``bench_matcher``). Starts ``fundmatch serve`` (waitress) in a subprocess on 127.0.0.1 and loads it from
this process. Traffic goes to the loopback address only and stops by itself.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

from benchmarks.bench_matcher import enlarged
from benchmarks.convert_fdb_third_party import convert
from fundmatch import db, municipalities, users
from fundmatch.catalogue import apply_records
from fundmatch.config import Settings
from fundmatch.interchange import parse_catalogue, parse_measures

MEASURES = Path(__file__).parent / "eval" / "measures.json"
PASSWORD = "benchmark-passwort"
CLIENTS, SECONDS = 20, 30


def prepare(folder: Path, source: Path, size: int) -> list[int]:
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'fundmatch.sqlite3'}")
    database = db.Database(settings)
    records = enlarged(parse_catalogue(convert(source)), size)
    with database.session() as session:
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
    return ids


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


def pct(values: list[float], q: int) -> str:
    return f"{np.percentile(values, q):.0f}"


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="fundmatch-web-"))
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000
    measure_ids = prepare(folder, Path(sys.argv[1]), size)
    print(f"{size} programs")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "FUNDMATCH_DATA_DIR": str(folder)}
    env.pop("FUNDMATCH_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "fundmatch", "serve", "--port", str(port), "--threads", "8"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "serve.log").open("w"),
    )
    print(f"server log: {folder / 'serve.log'}")
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

        latencies: dict[str, list[float]] = {}
        errors: list[str] = []
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
                    value = timed(own, url)
                    with lock:
                        latencies.setdefault(page, []).append(value)
                except (httpx.HTTPError, httpx.TransportError) as exc:
                    with lock:
                        errors.append(f"{url}: {exc}")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        every = [value for values in latencies.values() for value in values]
        print(
            f"{CLIENTS} clients for {SECONDS} s: {len(every)} requests ({len(every) / SECONDS:.0f}/s), "
            f"{len(errors)} errors, p50 {pct(every, 50)} ms, p95 {pct(every, 95)} ms"
        )
        for page, values in latencies.items():
            print(f"  {page} under load: p50 {pct(values, 50)} ms, p95 {pct(values, 95)} ms ({len(values)} requests)")
        for error in errors[:5]:
            print("  error:", error)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
