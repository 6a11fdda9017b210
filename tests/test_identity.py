"""One program across its sources: linking rules, admin decisions, the merged record, and that lists,
search, matching and the API show each program once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from fundmatch import catalogue, identity, users
from fundmatch.interchange import MeasureSpec
from fundmatch.matching.ranker import Matcher
from fundmatch.models import Program
from fundmatch.scrapers.records import Contact, Deadline, ProgramDocument
from tests.test_catalogue import record
from tests.test_web import PASSWORD, Browser

T0 = datetime(2026, 11, 1, tzinfo=UTC)
FDB_URL = "https://www.foerderdatenbank.de/FDB/Content/DE/Foerderprogramm/Bund/KfW/ikk-investitionskredit-kommunen.html"


def curated(**overrides):
    values = dict(
        title="IKK – Investitionskredit Kommunen (208)",
        level="bund",
        regions=["DE"],
        funder="KfW",
        funding_types=["darlehen"],
        amount_max_eur=150_000_000,
        facts_as_of=date(2025, 3, 1),
        deadlines=[],
        rolling=True,
    )
    return record("bund/kfw/ikk-208", **{**values, **overrides})


def scraped(source_id: str = "Bund/KfW/ikk-investitionskredit-kommunen", **overrides):
    values = dict(
        source="foerderdatenbank",
        title="IKK - Investitionskredit Kommunen",
        url=FDB_URL,
        level="bund",
        regions=["DE"],
        funder="KfW Bankengruppe",
        funding_types=["darlehen"],
        description="Langer Text der Förderdatenbank.",
        contacts=[Contact(name="KfW Infocenter", role="Beratung")],
        documents=[ProgramDocument(url="https://example.org/merkblatt.pdf", title="Merkblatt 208", kind="merkblatt")],
        status="open",
        deadlines=[],
    )
    return record(source_id, **{**values, **overrides})


@pytest.fixture
def app_and_admin(settings, database, make_app):
    with database.session() as session:
        users.create_user(session, "admin", PASSWORD, "admin")
    app = make_app(replace(settings, secret_key="test-secret"), testing=True)
    return app, Browser(app, "admin")


def canonical_of(session, key: str) -> int | None:
    source, source_id = key.split(":", 1)
    return session.scalar(select(Program.canonical_id).where(Program.source == source, Program.source_id == source_id))


def test_same_title_and_funder_link_a_curated_and_a_scraped_record(session):
    catalogue.apply_records(session, [curated(), scraped()], seen_at=T0)
    head = catalogue.get_program(session, "manual", "bund/kfw/ikk-208")
    assert head.canonical_id is None
    assert canonical_of(session, "foerderdatenbank:Bund/KfW/ikk-investitionskredit-kommunen") == head.id
    total, shown = catalogue.search_programs(session, catalogue.ProgramFilter(limit=None))
    assert total == 1 and shown[0].key == "manual:bund/kfw/ikk-208"
    assert len(catalogue.all_records(session)) == 2  # the export keeps every source's record


def test_same_title_in_another_land_or_with_another_funder_is_another_program(session):
    catalogue.apply_records(
        session,
        [
            curated(),
            scraped(regions=["BY"], level="land"),
            scraped(source_id="Land/NRW/ikk", funder="NRW.BANK", regions=["DE"]),
        ],
        seen_at=T0,
    )
    assert session.scalar(select(Program.id).where(Program.canonical_id.is_not(None))) is None


def test_explicit_same_as_and_a_foerderdatenbank_url_link_different_titles(session):
    catalogue.apply_records(
        session,
        [
            curated(
                title="Kommunalkredit der KfW", same_as=["foerderdatenbank:Bund/KfW/ikk-investitionskredit-kommunen"]
            ),
            scraped(),
            record(
                "land/nw/x",
                title="Eigener Titel",
                url=FDB_URL.replace("Bund/KfW/ikk-investitionskredit-kommunen", "Land/NRW/y"),
            ),
            scraped(source_id="Land/NRW/y", title="Ganz anders", url=FDB_URL, regions=["NW"], level="land"),
        ],
        seen_at=T0,
    )
    assert canonical_of(session, "foerderdatenbank:Bund/KfW/ikk-investitionskredit-kommunen") is not None
    assert (
        canonical_of(session, "foerderdatenbank:Land/NRW/y") == catalogue.get_program(session, "manual", "land/nw/x").id
    )


def test_the_merged_record_follows_the_documented_precedence(session):
    newer = scraped(status="closed", status_note="Mittel ausgeschöpft", deadlines=[Deadline(date=date(2026, 6, 30))])
    catalogue.apply_records(session, [curated(), newer], seen_at=T0)
    head = catalogue.get_program(session, "manual", "bund/kfw/ikk-208")
    shown, members = catalogue.shown_record(session, head)
    assert [m.key for m in members] == ["foerderdatenbank:Bund/KfW/ikk-investitionskredit-kommunen"]
    assert shown.key == "manual:bund/kfw/ikk-208"
    assert shown.title == "IKK – Investitionskredit Kommunen (208)" and shown.amount_max_eur == 150_000_000
    assert shown.description == "Langer Text der Förderdatenbank."  # the curated record left it empty
    assert (shown.status, shown.status_note) == ("closed", "Mittel ausgeschöpft")  # fresher: seen 2026-11-01
    assert shown.deadlines == [Deadline(date=date(2026, 6, 30))]
    assert shown.rolling is True  # the fresher record states no 'laufend': the curated one's holds
    assert [c.name for c in shown.contacts] == ["Breitbandzentrum", "KfW Infocenter"]  # united, curated first
    assert shown.documents[0].title == "Merkblatt 208"
    assert shown.facts_as_of == date(2025, 3, 1)  # the curated numbers rest on the curator's date


def test_an_admins_separation_and_link_survive_a_refresh(session):
    catalogue.apply_records(session, [curated(), scraped()], seen_at=T0)
    fdb = "foerderdatenbank:Bund/KfW/ikk-investitionskredit-kommunen"
    identity.decide(session, "manual:bund/kfw/ikk-208", fdb, linked=False, by="anna")
    assert canonical_of(session, fdb) is None
    catalogue.apply_records(session, [scraped(title="IKK - Investitionskredit Kommunen", keywords=["neu"])], seen_at=T0)
    assert canonical_of(session, fdb) is None
    catalogue.apply_records(session, [scraped(source_id="Bund/KfW/anderer", title="Ganz anders")], seen_at=T0)
    identity.decide(session, "manual:bund/kfw/ikk-208", "foerderdatenbank:Bund/KfW/anderer", linked=True, by="anna")
    catalogue.apply_records(session, [scraped(source_id="Bund/KfW/anderer", title="Ganz anders 2")], seen_at=T0)
    assert canonical_of(session, "foerderdatenbank:Bund/KfW/anderer") is not None


def test_an_admin_decision_names_existing_programs(session):
    from fundmatch.errors import InputError

    catalogue.apply_records(session, [curated()], seen_at=T0)
    with pytest.raises(InputError, match="Programm foerderdatenbank:nope gibt es im Katalog nicht"):
        identity.decide(session, "manual:bund/kfw/ikk-208", "foerderdatenbank:nope", linked=True, by="anna")


def test_the_matcher_ranks_each_program_once(session):
    catalogue.apply_records(session, [curated(), scraped()], seen_at=T0)
    matcher = Matcher().fit(catalogue.shown_records(session))
    matches = matcher.rank(MeasureSpec(id="m", title="Investitionskredit für Kommunen", land="BY"))
    keys = [m.key for m in matches]
    assert keys.count("manual:bund/kfw/ikk-208") == 1
    assert "foerderdatenbank:Bund/KfW/ikk-investitionskredit-kommunen" not in keys
    assert matches[0].instrument == "Darlehen · bis 150.000.000 €"


def test_lines_name_their_umbrella_and_are_not_merged(session):
    umbrella = record("bund/kommunalrichtlinie", title="Kommunalrichtlinie", level="bund", regions=["DE"])
    line = record(
        "bund/kommunalrichtlinie/aussenbeleuchtung",
        title="Kommunalrichtlinie: Außenbeleuchtung",
        level="bund",
        regions=["DE"],
        parent="manual:bund/kommunalrichtlinie",
    )
    catalogue.apply_records(session, [umbrella, line], seen_at=T0)
    total, _ = catalogue.search_programs(session, catalogue.ProgramFilter(limit=None))
    assert total == 2


def test_program_pages_redirect_to_the_program_shown_and_admins_link_by_hand(app_and_admin, database):
    _, admin = app_and_admin
    with database.session() as session:
        catalogue.apply_records(
            session, [curated(), scraped(source_id="Bund/KfW/zweiter", title="Zweiter")], seen_at=T0
        )
    page = admin.post(
        "/katalog/verknuepfen", {"a": "manual:bund/kfw/ikk-208", "b": "foerderdatenbank:Bund/KfW/zweiter"}
    )
    assert page.status_code == 302
    moved = admin.get("/katalog/foerderdatenbank/Bund/KfW/zweiter")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/katalog/manual/bund/kfw/ikk-208")
    single = admin.get("/katalog/foerderdatenbank/Bund/KfW/zweiter?einzeln=1").get_data(as_text=True)
    assert "Zweiter" in single
    shown = admin.get("/katalog/manual/bund/kfw/ikk-208").get_data(as_text=True)
    assert "Dieses Programm in den Quellen" in shown and "foerderdatenbank" in shown and "Trennen" in shown
    admin.post("/katalog/trennen", {"a": "manual:bund/kfw/ikk-208", "b": "foerderdatenbank:Bund/KfW/zweiter"})
    assert admin.get("/katalog/foerderdatenbank/Bund/KfW/zweiter").status_code == 200


def test_cli_links_and_keeps_apart(run_cli, database):
    with database.session() as session:
        catalogue.apply_records(session, [curated(), scraped()], seen_at=T0)
    fdb = "foerderdatenbank:Bund/KfW/ikk-investitionskredit-kommunen"
    apart = run_cli("catalogue", "link", "--apart", "manual:bund/kfw/ikk-208", fdb)
    assert apart.exit_code == 0 and "getrennt" in apart.stdout
    with database.session() as session:
        assert canonical_of(session, fdb) is None
    bad = run_cli("catalogue", "link", "manual:bund/kfw/ikk-208", "kein-schluessel")
    assert bad.exit_code == 1 and "QUELLE:KENNUNG" in bad.stderr


def test_the_api_lists_a_program_once_and_names_its_records(app_and_admin, database):
    app, _ = app_and_admin
    with database.session() as session:
        catalogue.apply_records(session, [curated(), scraped()], seen_at=T0)
        from fundmatch.models import User

        token = users.issue_api_token(session, session.scalar(select(User).where(User.username == "admin")))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    page = client.get("/api/v1/programs?q=", headers=headers).get_json()
    assert page["total"] == 1
    (shown,) = page["programs"]
    assert shown["key"] == "manual:bund/kfw/ikk-208"
    assert shown["same_program"] == ["foerderdatenbank:Bund/KfW/ikk-investitionskredit-kommunen"]
    assert shown["description"] == "Langer Text der Förderdatenbank."
    member = client.get("/api/v1/programs/foerderdatenbank/Bund/KfW/ikk-investitionskredit-kommunen", headers=headers)
    assert member.get_json()["program"]["shown_as"] == "manual:bund/kfw/ikk-208"
    linked = client.post(
        "/api/v1/programs/links",
        json={
            "a": "manual:bund/kfw/ikk-208",
            "b": "foerderdatenbank:Bund/KfW/ikk-investitionskredit-kommunen",
            "linked": False,
        },
        headers=headers,
    )
    assert linked.status_code == 200 and linked.get_json()["same_program"] == []
    assert client.get("/api/v1/programs?q=", headers=headers).get_json()["total"] == 2


def test_a_verdict_on_a_record_counts_for_the_program_it_was_linked_into(session):
    from fundmatch import municipalities, shortlist

    catalogue.apply_records(session, [curated(), scraped(source_id="Bund/KfW/zweiter", title="Zweiter")], seen_at=T0)
    town = municipalities.save_municipality(session, {"name": "Musterstadt", "land": "BY"})
    strategy = municipalities.save_strategy(session, town, {"title": "Strategie"})
    measure = municipalities.save_measure(session, strategy, {"title": "Kredit für die Schule"})
    member = catalogue.get_program(session, "foerderdatenbank", "Bund/KfW/zweiter")
    shortlist.record_decision(session, measure, member, "not_relevant", None, "anna")
    assert set(shortlist.decisions_for(session, measure.id)) == {"foerderdatenbank:Bund/KfW/zweiter"}
    identity.decide(session, "manual:bund/kfw/ikk-208", "foerderdatenbank:Bund/KfW/zweiter", linked=True, by="anna")
    decisions = shortlist.decisions_for(session, measure.id)
    assert (
        set(decisions) == {"manual:bund/kfw/ikk-208"}
        and decisions["manual:bund/kfw/ikk-208"].decision == "not_relevant"
    )
