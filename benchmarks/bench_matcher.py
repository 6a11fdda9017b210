"""Matcher speed in one process: index build, index file size and load, one measure (p50/p95), 200 measures
in a batch, memory. The command line's wall times, interpreter start included, are in ``bench_cli``.

    python -m benchmarks.bench_matcher ../shared/data/fdb_programmes_third_party_2026-03-12.json 3000
    python -m benchmarks.bench_matcher ../shared/data/fdb_programmes_third_party_2026-03-12.json 30000

The real 1,432 programs are enlarged synthetically to the size asked for: copies get a new id and
one word of another program's title, so the vocabulary and the index grow like a real catalogue's.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.convert_fdb_third_party import convert
from fundmatch.interchange import parse_catalogue, parse_measures
from fundmatch.matching import index
from fundmatch.matching.ranker import Matcher
from fundmatch.scrapers.records import ProgramRecord

MEASURES = Path(__file__).parent / "eval" / "measures.json"


def enlarged(records: list[ProgramRecord], size: int) -> list[ProgramRecord]:
    rng = random.Random(42)
    out = list(records)
    while len(out) < size:
        base = records[len(out) % len(records)]
        donor = rng.choice(records).title.split()
        out.append(
            base.model_copy(
                update={"source_id": f"{base.source_id}-v{len(out)}", "title": f"{base.title} {rng.choice(donor)}"}
            )
        )
    return out[:size]


SERVING = """
import json, resource, sys
from pathlib import Path
from fundmatch.interchange import parse_measures
from fundmatch.matching import index
matcher = index.load(Path(sys.argv[1]))
measures = parse_measures(json.loads(Path(sys.argv[2]).read_text()))
for _ in range(5):
    matcher.rank_many(measures, top=10)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def serving_memory(path: Path) -> float:
    """Peak resident memory of a process that only loads the index and ranks (as `fundmatch serve` does)."""
    result = subprocess.run(
        [sys.executable, "-c", SERVING, str(path), str(MEASURES)], capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip())


def main() -> None:
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000
    records = enlarged(parse_catalogue(convert(Path(sys.argv[1]))), size)
    base_measures = parse_measures(json.loads(MEASURES.read_text()))
    measures = [base_measures[i % len(base_measures)].model_copy(update={"id": f"b{i}"}) for i in range(200)]

    start = time.perf_counter()
    matcher = Matcher().fit(records)
    print(f"{size} programs: index build {time.perf_counter() - start:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.npz"
        index.save(matcher, path)
        start = time.perf_counter()
        index.load(path)
        print(f"index file {path.stat().st_size / 1e6:.0f} MB, loaded in {time.perf_counter() - start:.2f} s")
        print(f"a serving process (loads the index file, ranks 200 measures): {serving_memory(path):.0f} MB resident")

    timings = []
    for measure in base_measures * 3:
        t = time.perf_counter()
        matcher.rank(measure, top=10)
        timings.append((time.perf_counter() - t) * 1000)
    p50, p95 = np.percentile(timings, 50), np.percentile(timings, 95)
    print(f"one measure: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(timings)} runs)")

    start = time.perf_counter()
    matcher.rank_many(measures, top=10)
    print(f"200 measures in one batch: {time.perf_counter() - start:.2f} s")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
