"""Matcher speed: index build, one measure (p50/p95), 200 measures in a batch, the CLI call, memory.

    python -m benchmarks.bench_matcher ../shared/data/fdb_programmes_third_party_2026-03-12.json 3000
    python -m benchmarks.bench_matcher ../shared/data/fdb_programmes_third_party_2026-03-12.json 30000

The real 1,432 programs are enlarged synthetically to the size asked for: copies get a new id and
one word of another program's title, so the vocabulary and the index grow like a real catalogue's.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.convert_fdb_third_party import convert
from fundmatch.interchange import catalogue_document, parse_catalogue, parse_measures
from fundmatch.matching.ranker import Matcher

MEASURES = Path(__file__).parent / "eval" / "measures.json"


def enlarged(records, size: int):
    rng = random.Random(42)
    out = list(records)
    while len(out) < size:
        base = records[len(out) % len(records)]
        donor = rng.choice(records).title.split()
        out.append(replace(base, source_id=f"{base.source_id}-v{len(out)}", title=f"{base.title} {rng.choice(donor)}"))
    return out[:size]


def main() -> None:
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000
    records = enlarged(parse_catalogue(convert(Path(sys.argv[1]))), size)
    base_measures = parse_measures(json.loads(MEASURES.read_text()))
    measures = [replace(base_measures[i % len(base_measures)], id=f"b{i}") for i in range(200)]

    start = time.perf_counter()
    matcher = Matcher().fit(records)
    print(f"{size} programs: index build {time.perf_counter() - start:.2f} s")

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

    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "FUNDMATCH_DATA_DIR": folder, "FUNDMATCH_MAX_IMPORT_MB": "500"}
        env.pop("FUNDMATCH_DATABASE_URL", None)
        catalogue_file = Path(folder) / "catalogue.json"
        catalogue_file.write_text(json.dumps(catalogue_document(records, datetime.now(UTC))))
        measures_file = Path(folder) / "measures.json"
        measures_file.write_text(
            json.dumps(
                {
                    "format": "fundmatch-measures",
                    "version": 1,
                    "measures": [
                        json.loads(MEASURES.read_text())["measures"][i % 48] | {"id": f"b{i}"} for i in range(200)
                    ],
                }
            )
        )
        command = [sys.executable, "-m", "fundmatch"]
        subprocess.run([*command, "catalogue", "import", str(catalogue_file)], env=env, check=True, capture_output=True)
        for label in ("first call (builds the index)", "next call (index cached)"):
            start = time.perf_counter()
            subprocess.run(
                [*command, "match", "--measures", str(measures_file), "--format", "json"],
                env=env,
                check=True,
                capture_output=True,
            )
            print(f"CLI match --measures, 200 measures, {label}: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
