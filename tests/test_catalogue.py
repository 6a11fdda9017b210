"""The catalogue store: upsert, history with field diffs, withdrawal, filters, version stamp."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, func, select

from fundmatch import catalogue
from fundmatch.errors import InputError
from fundmatch.models import Program, ProgramFacet, ProgramRevision, ScrapeRun
from fundmatch.scrapers.records import Contact, Deadline, ProgramRecord

T0 = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 8, 4, 0, tzinfo=UTC)


def record(source_id: str = "land/by/gigabit", **overrides) -> ProgramRecord:
    values = dict(
        source="manual",
        source_id=source_id,
        title="Bayerische Gigabitrichtlinie",
        url="https://example.org/gigabit",
        level="land",
        regions=["BY"],
        funding_types=["zuschuss"],
        applicant_types=["kommune"],
        topics=["infrastruktur", "digitalisierung"],
        deadlines=[Deadline(date=date(2099, 3, 31), kind="submission")],
        status="open",
        contact=Contact(name="Breitbandzentrum"),
        keywords=["Glasfaser"],
    )
    values.update(overrides)
    return ProgramRecord(**values)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_new_records_are_stored_with_facets_and_bump_the_version(session):
    before = catalogue.catalogue_version(session)
    result = catalogue.apply_records(session, [record(), record("bund/x", level="bund", regions=["DE"])], seen_at=T0)
    assert (result.new, result.changed, result.unchanged) == (2, 0, 0)
    program = catalogue.get_program(session, "manual", "land/by/gigabit")
    assert program.first_seen == T0 and program.last_seen == T0
    assert program.next_deadline == date(2099, 3, 31)
    assert count(session, ProgramFacet) == 2 * 5
    assert catalogue.catalogue_version(session) != before


def test_unchanged_record_only_moves_last_seen(session):
    catalogue.apply_records(session, [record()], seen_at=T0)
    version = catalogue.catalogue_version(session)
    result = catalogue.apply_records(session, [record(topics=["digitalisierung", "infrastruktur"])], seen_at=T1)
    assert (result.new, result.changed, result.unchanged) == (0, 0, 1)
    program = catalogue.get_program(session, "manual", "land/by/gigabit")
    assert program.last_seen == T1 and program.first_seen == T0
    assert count(session, ProgramRevision) == 0
    assert catalogue.catalogue_version(session) == version


@contextmanager
def statements(session):
    """Every SQL statement the session's engine runs in the block, with its parameters."""
    seen: list[tuple[str, object]] = []

    def remember(_connection, _cursor, statement, parameters, _context, _executemany):
        seen.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def whole_program_selects(seen) -> list:
    return [(sql, params) for sql, params in seen if sql.lstrip().startswith("SELECT") and "program.summary" in sql]


def test_an_unchanged_import_reads_light_rows_and_moves_last_seen_in_one_update(session):
    batch = [record(f"p{i}") for i in range(6)]
    catalogue.apply_records(session, batch, seen_at=T0)
    session.expunge_all()
    with statements(session) as seen:
        result = catalogue.apply_records(session, batch, seen_at=T1)
    assert result.unchanged == 6
    assert whole_program_selects(seen) == []
    assert len([sql for sql, _ in seen if sql.lstrip().startswith("UPDATE program ")]) == 1
    assert set(session.scalars(select(Program.last_seen))) == {T1}


def test_an_import_loads_whole_programs_only_for_changed_records(session):
    batch = [record(f"p{i}") for i in range(6)]
    catalogue.apply_records(session, batch, seen_at=T0)
    session.expunge_all()
    changed_id = session.scalar(select(Program.id).where(Program.source_id == "p2"))
    batch[2] = record("p2", title="Neue Gigabitrichtlinie")
    with statements(session) as seen:
        result = catalogue.apply_records(session, batch, seen_at=T1)
    assert (result.changed, result.unchanged, result.changed_keys) == (1, 5, ["manual:p2"])
    ((_, parameters),) = whole_program_selects(seen)
    assert list(parameters.values() if isinstance(parameters, Mapping) else parameters) == [changed_id]
    assert catalogue.get_program(session, "manual", "p2").title == "Neue Gigabitrichtlinie"
    assert set(session.scalars(select(Program.last_seen))) == {T1}


def test_a_record_repeated_in_one_batch_is_applied_in_order(session):
    catalogue.apply_records(session, [record()], seen_at=T0)
    result = catalogue.apply_records(
        session, [record(title="Zwei"), record(title="Drei"), record(title="Drei")], seen_at=T1
    )
    assert (result.changed, result.unchanged) == (2, 1)
    program = catalogue.get_program(session, "manual", "land/by/gigabit")
    assert [r.diff["title"] for r in program.revisions] == [["Bayerische Gigabitrichtlinie", "Zwei"], ["Zwei", "Drei"]]


def test_changed_record_keeps_previous_state_and_field_diff(session):
    catalogue.apply_records(session, [record()], seen_at=T0)
    run = ScrapeRun(source_id="manual")
    session.add(run)
    session.flush()
    changed = record(title="Bayerische Gigabitrichtlinie 2.0", funding_rate_max=90)
    result = catalogue.apply_records(session, [changed], seen_at=T1, run=run)
    assert result.changed == 1 and result.changed_keys == ["manual:land/by/gigabit"]
    program = catalogue.get_program(session, "manual", "land/by/gigabit")
    (revision,) = program.revisions
    assert revision.changed_fields == ["funding_rate_max", "title"]
    assert revision.diff["title"] == ["Bayerische Gigabitrichtlinie", "Bayerische Gigabitrichtlinie 2.0"]
    assert revision.diff["funding_rate_max"] == [None, 90]
    assert revision.previous["title"] == "Bayerische Gigabitrichtlinie"
    assert revision.run_id == run.id
    assert program.title == "Bayerische Gigabitrichtlinie 2.0"


def test_changed_code_list_replaces_facets(session):
    catalogue.apply_records(session, [record()], seen_at=T0)
    catalogue.apply_records(session, [record(regions=["BY", "BW"])], seen_at=T1)
    total, _ = catalogue.search_programs(session, catalogue.ProgramFilter(region="BW"))
    assert total == 1
    assert count(session, ProgramFacet) == 6


def test_a_program_is_withdrawn_at_the_second_complete_listing_without_it_never_deleted(session):
    catalogue.apply_records(session, [record("a"), record("b")], seen_at=T0)
    first = catalogue.apply_records(session, [record("a")], seen_at=T1, listings={"manual": ["a"]})
    assert (first.withdrawn, first.missed) == (0, 1)
    assert catalogue.get_program(session, "manual", "b").status == "open"
    second = catalogue.apply_records(session, [record("a")], seen_at=T1, listings={"manual": ["a"]})
    assert (second.withdrawn, second.missed) == (1, 0)
    withdrawn = catalogue.get_program(session, "manual", "b")
    assert withdrawn.status == "withdrawn"
    assert withdrawn.revisions[0].diff["status"] == ["open", "withdrawn"]
    assert count(session, Program) == 2
    again = catalogue.apply_records(session, [record("a")], seen_at=T1, listings={"manual": ["a"]})
    assert again.withdrawn == 0


def test_a_program_listed_again_after_one_miss_starts_counting_anew(session):
    catalogue.apply_records(session, [record("a"), record("b")], seen_at=T0)
    catalogue.apply_records(session, [record("a")], seen_at=T1, listings={"manual": ["a"]})
    catalogue.apply_records(session, [record("a"), record("b")], seen_at=T1, listings={"manual": ["a", "b"]})
    assert catalogue.get_program(session, "manual", "b").missed_runs == 0
    result = catalogue.apply_records(session, [record("a")], seen_at=T1, listings={"manual": ["a"]})
    assert (result.withdrawn, result.missed) == (0, 1)


def test_a_missing_program_whose_deadlines_passed_is_closed_not_withdrawn(session):
    over = record("b", deadlines=[Deadline(date=date(2026, 3, 1))])
    catalogue.apply_records(session, [record("a"), over], seen_at=T0)
    result = catalogue.apply_records(session, [record("a")], seen_at=T1, listings={"manual": ["a"]})
    assert (result.closed, result.withdrawn, result.missed) == (1, 0, 0)
    closed = catalogue.get_program(session, "manual", "b")
    assert closed.status == "closed" and closed.status_note == "nicht mehr ausgeschrieben; letzte Frist 01.03.2026"
    for _ in range(2):
        again = catalogue.apply_records(session, [record("a")], seen_at=T1, listings={"manual": ["a"]})
        assert (again.closed, again.withdrawn) == (0, 0)


def test_a_yearly_deadline_keeps_a_missing_program_from_closing(session):
    yearly = record("b", deadlines=[Deadline(date=date(2025, 9, 30), recurrence="yearly")])
    catalogue.apply_records(session, [record("a"), yearly], seen_at=T0)
    result = catalogue.apply_records(session, [record("a")], seen_at=T1, listings={"manual": ["a"]})
    assert (result.closed, result.missed) == (0, 1)


def test_listed_program_that_failed_to_parse_is_not_withdrawn(session):
    catalogue.apply_records(session, [record("a"), record("b")], seen_at=T0)
    for _ in range(2):
        result = catalogue.apply_records(session, [record("a")], seen_at=T1, listings={"manual": ["a", "b"]})
        assert (result.withdrawn, result.missed) == (0, 0)
    assert catalogue.get_program(session, "manual", "b").status == "open"


def test_withdrawn_program_that_returns_is_reopened(session):
    catalogue.apply_records(session, [record("a"), record("b")], seen_at=T0)
    for _ in range(2):
        catalogue.apply_records(session, [record("a")], seen_at=T0, listings={"manual": ["a"]})
    result = catalogue.apply_records(session, [record("a"), record("b")], seen_at=T1, listings={"manual": ["a", "b"]})
    assert result.changed == 1
    assert catalogue.get_program(session, "manual", "b").status == "open"


def test_a_curated_program_has_no_last_seen_unless_a_source_run_saw_it(session):
    catalogue.apply_records(session, [record("a")])
    program = catalogue.get_program(session, "manual", "a")
    assert program.last_seen is None and program.first_seen is not None


def test_imported_last_seen_is_kept(session):
    stamped = record(last_seen=datetime(2026, 10, 1, tzinfo=UTC))
    catalogue.apply_records(session, [stamped], seen_at=T1)
    assert catalogue.get_program(session, "manual", "land/by/gigabit").last_seen == stamped.last_seen


def test_filters(session):
    catalogue.apply_records(
        session,
        [
            record("by"),
            record("bund", level="bund", regions=["DE"], funding_types=["darlehen"], applicant_types=["unternehmen"]),
            record("eu", level="eu", regions=["EU"], topics=["forschung_innovation_themenoffen"], status="closed"),
            record("nw", regions=["NW"], title="Gigabit NRW", summary="Glasfaser für Schulen"),
        ],
        seen_at=T0,
    )

    def keys(**kwargs):
        total, programs = catalogue.search_programs(session, catalogue.ProgramFilter(**kwargs))
        assert total == len(programs)
        return sorted(p.source_id for p in programs)

    assert keys(land="BY") == ["bund", "by", "eu"]
    assert keys(region="BY") == ["by"]
    assert keys(level="bund") == ["bund"]
    assert keys(applicant_type="kommune") == ["by", "eu", "nw"]
    assert keys(funding_type="darlehen") == ["bund"]
    assert keys(topic="infrastruktur") == ["bund", "by", "nw"]
    assert keys(status="closed") == ["eu"]
    assert keys(text="glasfaser schulen") == ["nw"]
    assert keys(text="GIGABIT nrw") == ["nw"]


def test_matching_ids_and_programs_by_ids_keep_the_callers_order(session):
    catalogue.apply_records(
        session, [record("by"), record("nw", regions=["NW"]), record("bund", level="bund", regions=["DE"])], seen_at=T0
    )
    admitted = catalogue.matching_ids(session, catalogue.ProgramFilter(land="NW"))
    assert sorted(admitted) == ["manual:bund", "manual:nw"]
    ordered = catalogue.programs_by_ids(session, [admitted["manual:nw"], 999_999, admitted["manual:bund"]])
    assert [p.source_id for p in ordered] == ["nw", "bund"]


def test_filter_rejects_unknown_codes(session):
    with pytest.raises(InputError, match="unbekanntes Land 'XX'; gültig sind: SH, HH"):
        catalogue.search_programs(session, catalogue.ProgramFilter(land="XX"))
    with pytest.raises(InputError, match=r"unbekannter Code 'breitband' \(Förderbereich\)"):
        catalogue.search_programs(session, catalogue.ProgramFilter(topic="breitband"))


def test_order_by_deadline_puts_undated_last(session):
    catalogue.apply_records(
        session,
        [
            record("late", deadlines=[Deadline(date=date(2099, 12, 1))]),
            record("none", deadlines=[]),
            record("soon", deadlines=[Deadline(date=date(2099, 1, 1)), Deadline(date=date(2000, 1, 1))]),
        ],
        seen_at=T0,
    )
    _, programs = catalogue.search_programs(session, catalogue.ProgramFilter(order="deadline"))
    assert [p.source_id for p in programs] == ["soon", "late", "none"]


def test_stored_record_reads_back_equal(session):
    original = record(description="Lang.\n\nText.", funding_rate_min=50.5, amount_max_eur=1_000_000)
    catalogue.apply_records(session, [original], seen_at=T0)
    back = catalogue.record_from_program(catalogue.get_program(session, "manual", "land/by/gigabit"))
    assert back.to_dict() == original.normalised().model_copy(update={"last_seen": T0}).to_dict()
    assert back.content_hash() == original.content_hash()


def test_stats_counts(session):
    catalogue.apply_records(session, [record("a"), record("b", level="bund", regions=["DE"])], seen_at=T0)
    stats = catalogue.stats(session)
    assert stats.total == 2
    assert stats.by_level == {"bund": 1, "land": 1}
    assert stats.by_region == {"BY": 1, "DE": 1}
    assert stats.by_source == {"manual": 2}
