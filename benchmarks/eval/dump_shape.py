"""How much of the gap between the two catalogues is the shape of the real data, not the matcher.

    python -m benchmarks.eval.dump_shape

The seed catalogue is cut, step by step, to the shape of the 2026-03 Förderdatenbank dump: a summary
of one sentence, no description or keywords, and Förderbereiche and applicant types only for about a
fifth of the programs (the dump's share with a facet list). The same matcher with the shipped weights
is measured on the seed set's development measures after each step; steps that drop facets are drawn
ten times. The held-out part is not measured.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
from pathlib import Path

from benchmarks.eval.tune import ROOT, Prepared
from fundmatch.matching.ranker import Weights

SEED_CATALOGUE = ROOT / "seed_data" / "programs.json"
SEED_GOLD = ROOT / "benchmarks" / "eval" / "gold_seed.json"
FACETED_SHARE = 0.21  # programs of the dump with Förderbereiche and applicant types
DRAWS = range(1, 11)
_FIRST_SENTENCE = re.compile(r"^(.{40,}?[.!?])\s")


def first_sentence(text: str | None) -> str:
    text = text or ""
    found = _FIRST_SENTENCE.match(text + " ")
    return found.group(1) if found else text[:250]


def cut(programs: list[dict], *, short: bool, facets: tuple[str, ...], draw: int) -> list[dict]:
    chance = random.Random(draw)
    result = []
    for program in programs:
        program = dict(program)
        if short:
            program.update(summary=first_sentence(program.get("summary")), description=None, keywords=[])
        if facets and chance.random() >= FACETED_SHARE:
            program.update({name: [] for name in facets})
        result.append(program)
    return result


def measure(catalogue: dict, programs: list[dict], folder: Path) -> float:
    path = folder / "catalogue.json"
    path.write_text(json.dumps({**catalogue, "programs": programs}, ensure_ascii=False))
    prepared = Prepared(path, SEED_GOLD)
    return prepared.ndcg(Weights(), prepared.part("dev"))


def main() -> None:
    catalogue = json.loads(SEED_CATALOGUE.read_text())
    programs = catalogue["programs"]
    steps = [
        ("as shipped", False, ()),
        ("one-sentence summary, no description or keywords", True, ()),
        ("… and Förderbereiche for a fifth", True, ("topics",)),
        ("… and applicant types for the same fifth", True, ("topics", "applicant_types")),
    ]
    with tempfile.TemporaryDirectory() as folder:
        for label, short, facets in steps:
            draws = DRAWS if facets else DRAWS[:1]
            sample = (cut(programs, short=short, facets=facets, draw=d) for d in draws)
            figures = [measure(catalogue, cut_programs, Path(folder)) for cut_programs in sample]
            print(
                f"{label:50} dev nDCG@10 mean {sum(figures) / len(figures):.3f}, {min(figures):.3f}–{max(figures):.3f}"
            )


if __name__ == "__main__":
    main()
