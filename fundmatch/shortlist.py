"""The consultant's decisions on matches (relevant, not relevant, shortlisted) and what follows from them:
upcoming deadlines, the ICS calendar of shortlisted deadlines, news that concern active measures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from fundmatch import catalogue, vocab
from fundmatch.errors import InputError
from fundmatch.interchange import Match
from fundmatch.models import MatchDecision, Measure, Program, ProgramRevision, ScrapeRun, Strategy
from fundmatch.scrapers.deadlines import next_deadline


class DecisionError(InputError):
    """A decision that cannot be recorded."""


def record_decision(
    session: Session, measure: Measure, program: Program, decision: str, note: str | None, who: str
) -> MatchDecision:
    """Set (or change) the verdict on one program for one measure."""
    if decision not in vocab.MATCH_DECISION:
        raise DecisionError(f"unknown decision {decision!r}; valid: {', '.join(vocab.MATCH_DECISION.codes)}")
    existing = session.scalar(
        select(MatchDecision).where(MatchDecision.measure_id == measure.id, MatchDecision.program_id == program.id)
    )
    if existing is None:
        existing = MatchDecision(measure_id=measure.id, program_id=program.id)
        session.add(existing)
    existing.decision = decision
    existing.note = (note or "").strip()[:5000] or None
    existing.decided_by = who
    existing.decided_at = datetime.now(UTC)
    session.flush()
    return existing


VERDICT_GRADES = {"shortlisted": 2, "relevant": 1, "not_relevant": 0}
HELD_OUT_SHARE = 0.25


def verdicts_as_gold(session: Session, today: date) -> dict:
    """The team's recorded verdicts as a judged set (``fundmatch-gold``), so that they become training
    data: ``fundmatch eval`` scores the matcher on it and ``benchmarks/eval/tune.py`` tunes on it.

    The quarter of the measures decided last is held out (a split in time): tuned on the earlier
    verdicts and scored on the later ones, it tells whether learning from verdicts helps."""
    from fundmatch.matching.evaluate import GOLD_FORMAT
    from fundmatch.municipalities import measure_spec

    rows = session.scalars(
        select(MatchDecision).options(selectinload(MatchDecision.program), selectinload(MatchDecision.measure))
    )
    judgments: dict[int, dict[str, int]] = {}
    decided: dict[int, datetime] = {}
    measures: dict[int, Measure] = {}
    for row in rows:
        judgments.setdefault(row.measure_id, {})[row.program.key] = VERDICT_GRADES[row.decision]
        decided[row.measure_id] = max(decided.get(row.measure_id, row.decided_at), row.decided_at)
        measures[row.measure_id] = row.measure
    in_time = sorted(decided, key=lambda measure_id: (decided[measure_id], measure_id))
    held = in_time[len(in_time) - int(len(in_time) * HELD_OUT_SHARE) :] if len(in_time) >= 4 else []
    return {
        "format": GOLD_FORMAT,
        "version": 1,
        "catalogue": f"fundmatch-Katalog, Stand {catalogue.catalogue_version(session)}",
        "as_of": today.isoformat(),
        "how_judged": "Urteile des Teams auf den Trefferseiten: vorgemerkt 2, relevant 1, nicht relevant 0",
        "heldout": [str(measure_id) for measure_id in held],
        "measures": [measure_spec(measures[measure_id]).model_dump(mode="json") for measure_id in in_time],
        "judgments": {str(measure_id): judgments[measure_id] for measure_id in in_time},
    }


def decisions_for(session: Session, measure_id: int) -> dict[str, MatchDecision]:
    """Decisions of a measure by the key of the program as shown: a verdict on a record that has since
    been linked into another program counts for that program."""
    rows = list(
        session.scalars(
            select(MatchDecision)
            .where(MatchDecision.measure_id == measure_id)
            .options(selectinload(MatchDecision.program))
        )
    )
    heads = {d.program.canonical_id for d in rows if d.program.canonical_id is not None}
    shown = {p.id: p.key for p in session.scalars(select(Program).where(Program.id.in_(heads)))} if heads else {}
    found: dict[str, MatchDecision] = {}
    for decision in sorted(rows, key=lambda d: d.program.canonical_id is None):  # the shown record's own last
        found[shown.get(decision.program.canonical_id or -1, decision.program.key)] = decision
    return found


@dataclass(frozen=True)
class ArrangedMatches:
    """A measure's matches as consultants see them: the specific programs (shortlisted ones first), the
    general financing instruments apart ("Allgemeine Finanzierung"), and those marked "nicht relevant"
    out of the list (shown collapsed as "ausgeblendet")."""

    specific: list[Match]
    general: list[Match]
    hidden: list[Match]


def arrange(matches: Sequence[Match], decisions: Mapping[str, MatchDecision], top: int) -> ArrangedMatches:
    """Apply the consultant's verdicts to ranked matches; ``top`` bounds the specific list."""
    verdict = {key: d.decision for key, d in decisions.items()}
    hidden = [m for m in matches if verdict.get(m.key) == "not_relevant"]
    kept = sorted(
        (m for m in matches if verdict.get(m.key) != "not_relevant"),
        key=lambda m: verdict.get(m.key) != "shortlisted",  # stable: the ranking holds within each group
    )
    return ArrangedMatches(
        specific=[m for m in kept if m.section == "specific"][:top],
        general=[m for m in kept if m.section == "general"],
        hidden=hidden,
    )


@dataclass(frozen=True)
class UpcomingDeadline:
    day: date
    kind: str
    measure: Measure
    program: Program


def _deadlines(program: Program):
    return catalogue.record_from_program(program).deadlines


def upcoming_deadlines(
    session: Session, today: date, days: int | None = 60, strategy_id: int | None = None
) -> list[UpcomingDeadline]:
    """Deadlines of shortlisted programs from today on, within ``days`` (all of them when days is None)."""
    statement = (
        select(MatchDecision)
        .where(MatchDecision.decision == "shortlisted")
        .options(selectinload(MatchDecision.program), selectinload(MatchDecision.measure))
    )
    if strategy_id is not None:
        statement = statement.join(Measure).where(Measure.strategy_id == strategy_id)
    found = []
    for decision in session.scalars(statement):
        for deadline in _deadlines(decision.program):
            if deadline.date >= today and (days is None or deadline.date <= today + timedelta(days=days)):
                found.append(UpcomingDeadline(deadline.date, deadline.kind, decision.measure, decision.program))
    return sorted(found, key=lambda u: (u.day, u.measure.id, u.program.id))


def calendar(session: Session, strategy: Strategy, today: date) -> bytes:
    """An ICS feed of the shortlisted deadlines of a strategy's measures (all-day events)."""
    cal = Calendar()
    cal.add("prodid", "-//fundmatch//Fristen//DE")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Förderfristen – {strategy.title}")
    for item in upcoming_deadlines(session, today, days=None, strategy_id=strategy.id):
        event = Event()
        event.add("uid", f"fundmatch-{item.measure.id}-{item.program.id}-{item.day.isoformat()}-{item.kind}@fundmatch")
        event.add("summary", f"{vocab.DEADLINE_KIND.label(item.kind)}: {item.program.title[:120]}")
        event.add("description", f"Maßnahme: {item.measure.title}\nProgramm: {item.program.url}")
        event.add("dtstart", item.day)
        event.add("dtend", item.day + timedelta(days=1))
        event.add("dtstamp", datetime.now(UTC))
        event.add("url", item.program.url)
        cal.add_component(event)
    return cal.to_ical()


def news_since_last_refresh(session: Session) -> list[Program]:
    """Programs that the newest run of each source added or changed."""
    latest = (
        select(ScrapeRun.source_id, func.max(ScrapeRun.id).label("run_id"))
        .where(ScrapeRun.status.in_(("ok", "partial")))
        .group_by(ScrapeRun.source_id)
        .subquery()
    )
    runs = list(session.execute(select(ScrapeRun).join(latest, ScrapeRun.id == latest.c.run_id)).scalars())
    programs: dict[int, Program] = {}
    for run in runs:
        changed = select(ProgramRevision.program_id).where(ProgramRevision.run_id == run.id)
        statement = select(Program).where(
            Program.source == run.source_id, (Program.first_seen >= run.started_at) | Program.id.in_(changed)
        )
        for program in session.scalars(statement):
            programs[program.id] = program
    return sorted(programs.values(), key=lambda p: p.title)


def next_deadline_of(program: Program, today: date) -> date | None:
    return next_deadline(_deadlines(program), today)
