"""Start-up and CLI wall times: ``fundmatch --help``, a warm free-text match, 200 measures with the index cached.

    python -m benchmarks.bench_cli ../shared/data/fdb_programmes_third_party_2026-03-12.json 3000 30000

Each figure is the best of several runs of the installed ``fundmatch`` command in a subprocess (what a
user or a script waits for, interpreter start included), against a fresh embedded database per
catalogue size. The real 1,432 programs are enlarged as in ``bench_matcher``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bench_matcher import enlarged
from benchmarks.convert_fdb_third_party import convert
from fundmatch.interchange import catalogue_document, parse_catalogue

MEASURES = Path(__file__).parent / "eval" / "measures.json"
FREE_TEXT = "Glasfaseranschluss für das Gewerbegebiet und WLAN in der Grundschule"
HELP_RUNS, MATCH_RUNS, BATCH_RUNS = 10, 5, 3


def command() -> list[str]:
    """The console script next to this interpreter, as installed; ``python -m fundmatch`` without one."""
    script = Path(sys.executable).with_name("fundmatch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fundmatch"]


def best_of(runs: int, args: list[str], env: dict[str, str]) -> float:
    """The shortest wall time of ``runs`` calls: the least disturbed by whatever else the machine does."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*command(), *args], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def measures_document(count: int) -> dict:
    base = json.loads(MEASURES.read_text(encoding="utf-8"))["measures"]
    return {
        "format": "fundmatch-measures",
        "version": 1,
        "measures": [base[i % len(base)] | {"id": f"b{i}"} for i in range(count)],
    }


def environment(folder: str) -> dict[str, str]:
    env = {**os.environ, "FUNDMATCH_DATA_DIR": folder, "FUNDMATCH_MAX_IMPORT_MB": "500"}
    env.pop("FUNDMATCH_DATABASE_URL", None)
    return env


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[2:]] or [3_000]
    real = parse_catalogue(convert(Path(sys.argv[1])))
    with tempfile.TemporaryDirectory() as folder:
        print(f"fundmatch --help: {best_of(HELP_RUNS, ['--help'], environment(folder)):.3f} s (best of {HELP_RUNS})")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            env = environment(folder)
            catalogue_file = Path(folder) / "catalogue.json"
            document = catalogue_document(enlarged(real, size), datetime.now(UTC))
            catalogue_file.write_text(json.dumps(document), encoding="utf-8")
            measures_file = Path(folder) / "measures.json"
            measures_file.write_text(json.dumps(measures_document(200)), encoding="utf-8")
            subprocess.run([*command(), "catalogue", "import", str(catalogue_file)], env=env, check=True)
            single = ["match", FREE_TEXT, "--land", "NW"]
            print(f"{size} programs: first match, builds the index: {best_of(1, single, env):.2f} s")
            print(f"{size} programs: warm match TEXT --land NW: {best_of(MATCH_RUNS, single, env):.3f} s")
            batch = ["match", "--measures", str(measures_file), "--format", "json"]
            print(
                f"{size} programs: match --measures (200), index cached: "
                f"{best_of(BATCH_RUNS, batch, env):.2f} s (best of {BATCH_RUNS})"
            )


if __name__ == "__main__":
    main()
