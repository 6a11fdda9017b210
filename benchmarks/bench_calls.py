"""Field accuracy of deadline, status and rolling reading on every real Förderdatenbank sample.

    python -m benchmarks.bench_calls

Reads the saved real pages and export documents in ``../shared/fixtures/foerderdatenbank`` through
the two public parsers (``parse_export``, ``parse_detail``) and compares what they read with
``EXPECTED``, a table written by reading each sample by hand. A deadline counts as found when its
date, kind and recurrence match; a yearly deadline is compared by day and month only, since the year
of its stored occurrence is a convention, not something the text says. Prints precision and recall
of deadlines, and how many samples have the right status (with the note kept for a closed one) and
the right ``rolling`` flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from fundmatch.scrapers.base import Warnings
from fundmatch.scrapers.foerderdatenbank.export import parse_export
from fundmatch.scrapers.foerderdatenbank.html import parse_detail
from fundmatch.scrapers.records import ProgramRecord

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "foerderdatenbank"


@dataclass(frozen=True)
class Expected:
    """What a sample's texts say: deadlines as (ISO date, kind, recurrence), status, note, rolling."""

    deadlines: tuple[tuple[str, str, str | None], ...] = ()
    status: str = "open"
    status_note: str | None = None
    rolling: bool | None = None


# Read by hand from each sample; the quoted text is the evidence.
EXPECTED: dict[str, Expected] = {
    # export: "Stand: Januar 2024", "Stand Juli 2022"; "vor Abschluss des Arbeitsvertrages" is no date
    "export:Bund/BA/eingliederungszuschuss-bund": Expected(),
    # export: "Für das Jahr 2026 können Anträge bis zum 20.04.2026 und 15.09.2026 gestellt werden."
    # ("vom: 23.12.2024", "BGBl. Teil I Nr. 451 vom 30.12.2024", "vom: 20.03.2025" are no deadlines)
    "export:Bund/BKM/deutsch-franzoesische-kooperationen-film-ffa": Expected(
        (("2026-04-20", "submission", None), ("2026-09-15", "submission", None))
    ),
    # export: "Stand April 2023"; "vor Aufnahme der Erwerbstätigkeit … zu beantragen" is no date
    "export:Bund/BMAS/einstiegsgeld": Expected(),
    # "Der Antrag ist spätestens zu den von der FFA festgesetzten und bekanntgemachten Antragsterminen
    # zu stellen." names no date
    "html:cdl_detail_fail_07_25.html": Expected(),
    # "vom: 27.11.2024", "StAnz. 52/2024 S. 1252" only
    "html:cdl_detail_fail_19_12.html": Expected(),
    # "aktualisiert im Januar 2018"; "rechtzeitig vor Beginn des Vorhabens" is no date
    "html:cdl_detail_multi_desc.html": Expected(),
    # "Anträge … sind jeweils bis zum 31. März (…) oder bis zum 30. September (…) eines jeden Jahres …
    # einzureichen." (Richtlinie "vom: 31.07.2024")
    "html:cdl_detail_rechts_only.html": Expected(
        (("2024-03-31", "submission", "yearly"), ("2024-09-30", "submission", "yearly"))
    ),
    # "… einen Förderantrag bis 2027 und dabei spätestens bis zum 30.09. jeden Jahres stellen. Im Jahr
    # 2024 ist die Antragstellung bis zum 06.12.2024 möglich." (Richtlinie "vom 04.11.2024")
    "html:cdl_detail_single_desc.html": Expected(
        (
            ("2024-09-30", "submission", "yearly"),
            ("2024-12-06", "submission", None),
            ("2027-12-31", "end", None),
        )
    ),
    # status "Förderprogramm aktiv, Antragsstellung nicht mehr möglich";
    # "Die Frist zur Einreichung von Projektskizzen endete am 28.11.2024"
    "html:cdl_details_single_desc_alt.html": Expected(
        (("2024-11-28", "sketch", None),),
        status="closed",
        status_note="Förderprogramm aktiv, Antragsstellung nicht mehr möglich",
    ),
    # "In der ersten Verfahrensstufe sind dem DLR Projektträger bis spätestens zum 08.01.2025 zunächst
    # Projektskizzen in elektronischer Form vorzulegen."
    "html:cdl_details_single_desc_alt_v2024-11-28.html": Expected((("2025-01-08", "sketch", None),)),
}


def read_samples(real: Path = REAL, today: date | None = None) -> dict[str, ProgramRecord]:
    """Every real sample's record, keyed as in ``EXPECTED``; ``today`` defaults to the calendar's."""
    records = {f"export:{r.source_id}": r for r in parse_export(real / "export", today=today).records}
    for page in sorted((real / "html").glob("cdl_detail*.html")):
        records[f"html:{page.name}"] = parse_detail(page.read_bytes(), page.name, Warnings(), today=today)
    return records


def _key(deadline: tuple[str, str, str | None]) -> tuple[str, str, str | None]:
    day, kind, recurrence = deadline
    return (day[5:] if recurrence == "yearly" else day, kind, recurrence)


def found(record: ProgramRecord) -> set[tuple[str, str, str | None]]:
    return {_key((d.date.isoformat(), d.kind, d.recurrence)) for d in record.deadlines}


@dataclass
class Score:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    exact_samples: int = 0
    status_right: int = 0
    rolling_right: int = 0
    samples: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positive / max(1, self.true_positive + self.false_positive)

    @property
    def recall(self) -> float:
        return self.true_positive / max(1, self.true_positive + self.false_negative)


def score(records: dict[str, ProgramRecord], expected: dict[str, Expected] = EXPECTED) -> Score:
    result = Score()
    for name, want in expected.items():
        record = records[name]
        result.samples += 1
        wanted = {_key(d) for d in want.deadlines}
        got = found(record)
        result.true_positive += len(wanted & got)
        result.false_positive += len(got - wanted)
        result.false_negative += len(wanted - got)
        result.exact_samples += wanted == got
        if wanted != got:
            result.misses.append(f"{name}: Fristen {sorted(got)} statt {sorted(wanted)}")
        status_ok = record.status == want.status and (
            want.status_note is None or record.status_note == want.status_note
        )
        result.status_right += status_ok
        if not status_ok:
            result.misses.append(f"{name}: Status {record.status} ({record.status_note!r}) statt {want.status}")
        result.rolling_right += record.rolling == want.rolling
        if record.rolling != want.rolling:
            result.misses.append(f"{name}: laufend {record.rolling} statt {want.rolling}")
    return result


def main() -> None:
    if not REAL.exists():
        raise SystemExit(f"{REAL} fehlt: die echten Beispiele liegen nicht vor")
    result = score(read_samples())
    expected = result.true_positive + result.false_negative
    print(f"Stichtag {date.today().isoformat()}, {result.samples} echte Beispiele")
    print(
        f"Fristen: {result.true_positive} von {expected} gefunden (Recall {result.recall:.0%}), "
        f"{result.false_positive} falsch (Precision {result.precision:.0%}), "
        f"{result.exact_samples}/{result.samples} Beispiele ganz richtig"
    )
    print(f"Status richtig: {result.status_right}/{result.samples}")
    print(f"laufend richtig: {result.rolling_right}/{result.samples}")
    for miss in result.misses:
        print(f"  - {miss}")


if __name__ == "__main__":
    main()
