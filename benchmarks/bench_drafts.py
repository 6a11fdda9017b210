"""Draft speed: one draft, and 50 drafts in a row, for each shipped template.

python -m benchmarks.bench_drafts
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from fundmatch.config import Settings
from fundmatch.drafting.context import DraftInput, MunicipalityInfo
from fundmatch.drafting.render import available_templates, render
from fundmatch.interchange import MeasureSpec, parse_catalogue, parse_measures

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    records = parse_catalogue(json.loads((ROOT / "seed_data" / "programs.json").read_text()))
    measures = parse_measures(json.loads((ROOT / "benchmarks" / "eval" / "measures.json").read_text()))
    town = MunicipalityInfo(name="Gemeinde Beispiel", land="BY", ags="09162000", population=9000)
    drafts = [
        DraftInput(
            MeasureSpec(
                id=m.id, title=m.title, land=m.land, description=m.description, cost_eur=m.cost_eur, start=m.start
            ),
            records[i % len(records)],
            town,
        )
        for i, m in enumerate(measures)
    ]
    templates = available_templates(Settings(data_dir=Path("/tmp"), database_url="sqlite://"))
    for name, info in templates.items():
        start = time.perf_counter()
        render(drafts[0], info)
        single = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        for i in range(50):
            render(drafts[i % len(drafts)], info)
        print(f"{name:18} one draft {single:6.0f} ms, 50 drafts {time.perf_counter() - start:5.2f} s")


if __name__ == "__main__":
    main()
