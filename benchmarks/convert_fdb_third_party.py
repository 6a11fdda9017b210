"""Convert the third-party Förderdatenbank scrape (1,434 real programs, 2026-03-12) to the interchange format.

Only the trustworthy fields are used (see ../shared/data/README.md): name, url_quelle, beschreibung,
foerderart, bundeslaender, foerdergeber. Card-meta descriptions ("Wer wird gefördert?: …") give
applicant types and topics. The texts stay out of the repository: the output goes where you say.

    python benchmarks/convert_fdb_third_party.py ../shared/data/fdb_programmes_third_party_2026-03-12.json out.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from fundmatch import vocab
from fundmatch.scrapers.foerderdatenbank.source import level_from_id, program_id_from_url

_CARD_META = re.compile(r"Wer wird gefördert\?:\s*(?P<who>.*?)\.\s*Was wird gefördert\?:\s*(?P<what>.*)$", re.S)


def convert_program(raw: dict) -> dict | None:
    program_id = program_id_from_url(raw["url_quelle"])
    if program_id is None:
        return None
    summary = (raw.get("beschreibung") or "").strip() or None
    applicants: list[str] = []
    topics: list[str] = []
    meta = _CARD_META.match(summary or "")
    if meta:
        applicants, _ = vocab.split_labels(meta["who"], vocab.APPLICANT_TYPE)
        topics, _ = vocab.split_labels(meta["what"], vocab.TOPIC)
    regions = ["DE" if r == "BUND" else r for r in raw.get("bundeslaender") or []]
    funding = vocab.FUNDING_TYPE.lookup(raw.get("foerderart") or "")
    return {
        "source": "foerderdatenbank",
        "source_id": program_id,
        "title": " ".join(raw["name"].split()),
        "summary": summary,
        "url": raw["url_quelle"],
        "level": level_from_id(program_id),
        "regions": regions or ["DE"],
        "funding_types": [funding] if funding else [],
        "applicant_types": applicants,
        "topics": topics,
        "funder": (raw.get("foerdergeber") or "").strip() or None,
        "status": "open" if raw.get("aktiv") else "unknown",
        "source_updated": raw.get("aktualisiert_am"),
    }


def convert(path: Path) -> dict:
    raw = json.loads(path.read_text(encoding="utf-8"))
    programs = [p for p in (convert_program(r) for r in raw["programme"]) if p is not None]
    seen: set[str] = set()
    unique = [p for p in programs if not (p["source_id"] in seen or seen.add(p["source_id"]))]
    return {"format": "fundmatch-catalogue", "version": 1, "programs": unique}


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    document = convert(source)
    target.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    print(f"{len(document['programs'])} programs written to {target}")


if __name__ == "__main__":
    main()
