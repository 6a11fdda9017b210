"""End-to-end refresh against a local fixture site with injected faults; after each, the catalogue is checked."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from fundmatch import catalogue, refresh
from fundmatch.cli import cli
from fundmatch.errors import InputError
from fundmatch.models import Program, ProgramRevision, RefreshLock, ScrapeRun, utcnow
from fundmatch.scrapers.foerderdatenbank.harvest import EXPORT_PATH, SEARCH_PATH
from fundmatch.scrapers.http import Fetcher, HttpPolicy
from tests.conftest import FILES
from tests.fixture_server import RESET, Reply, Stall, Truncated

TODAY = date(2026, 11, 26)
EXPORT_DIR = FILES / "foerderdatenbank_export"
EU_PATH = "/search-api/prod/rest/search"
FDB_IDS = {
    "Bund/BMDS/gigabit-beratung-kommunen",
    "EU/smarte-doerfer-europa",
    "Land/Bayern/led-strassenbeleuchtung-kommunen",
    "Land/NRW/smart-region-kommunen-nrw",
    "Land/Sachsen/led-strassenbeleuchtung-kommunen",
    "Land/Schleswig-Holstein/foerderfonds-nord-smart-village",
}
EU_IDS = {
    "CEF-DIG-2026-5GCORRIDORS-SMARTCOMM-WORKS",
    "CERV-2027-CITIZENS-TOWN-TT",
    "DIGITAL-2026-DEPLOY-05-LDT-CITIES",
    "HORIZON-MISS-2027-01-Two-Stage-CIT-02",
    "LIFE-2025-CET-MUNIPLANS",
}


def export_zip(*, drop: str | None = None, retitle: tuple[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(EXPORT_DIR.rglob("*.xml")):
            name = file.relative_to(EXPORT_DIR).as_posix()
            data = file.read_bytes()
            if drop and name.endswith(drop + ".xml"):
                continue
            if retitle and name.endswith(retitle[0] + ".xml"):
                head, title = data.split(b'name="gsb:title"', 1)
                data = head + b'name="gsb:title"' + title.replace(b"Smart Region NRW)", retitle[1].encode() + b")", 1)
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_reply(data: bytes, etag: str = '"v1"') -> Reply:
    return Reply(data, headers={"ETag": etag}, content_type="application/zip")


def eu_page(n: int) -> Reply:
    return Reply((FILES / f"eu_funding_tenders_search_page{n}.json").read_bytes(), content_type="application/json")


def site_page(server, name: str) -> Reply:
    """A saved page with its <base href> pointing at the fixture server instead of the real site."""
    body = (FILES / name).read_bytes().replace(b"https://www.foerderdatenbank.de/", server.url.encode() + b"/")
    return Reply(body)


@pytest.fixture
def site(fixture_server):
    server = fixture_server
    server.plan("/robots.txt", Reply(b"User-agent: *\nDisallow: /FDB/SiteGlobals/\n", content_type="text/plain"))
    server.plan("/" + EXPORT_PATH, zip_reply(export_zip()))
    server.plan(EU_PATH, eu_page(1), eu_page(2))
    server.plan("/" + SEARCH_PATH.split("?")[0], site_page(server, "foerderdatenbank_list_page1.html"))
    return server


@pytest.fixture
def refresh_settings(settings, site):
    return replace(
        settings,
        source_urls={"foerderdatenbank": site.url, "eu_funding_tenders": site.url + EU_PATH},
        source_expected={"foerderdatenbank": (3, 50), "eu_funding_tenders": (2, 50)},
        http_min_delay_s=0,
    )


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def run(database, refresh_settings):
    sleeps = Sleeps()

    def go(*sources: str, dry_run: bool = False, settings=None) -> dict[str, refresh.RunReport]:
        policy = HttpPolicy(
            user_agent="fundmatch-test", min_delay_s=0, backoff_base_s=0.01, timeout_s=0.5, max_retries=2
        )
        with Fetcher(policy, sleep=sleeps, progress=False) as fetcher:
            reports = refresh.refresh(
                database,
                settings or refresh_settings,
                sources or None,
                dry_run=dry_run,
                log=lambda line: None,
                fetcher=fetcher,
                today=TODAY,
            )
        return {r.source: r for r in reports}

    go.sleeps = sleeps
    return go


def programs(database, source: str) -> dict[str, Program]:
    with database.session() as session:
        return {p.source_id: p for p in session.scalars(select(Program).where(Program.source == source))}


def revisions(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(ProgramRevision.id)))


def test_refresh_fills_an_empty_catalogue_and_a_second_run_changes_nothing(run, database, site):
    first = run()
    assert first["foerderdatenbank"].status == "ok" and first["eu_funding_tenders"].status == "ok"
    assert (first["foerderdatenbank"].new, first["eu_funding_tenders"].new) == (6, 5)
    assert set(programs(database, "foerderdatenbank")) == FDB_IDS
    assert set(programs(database, "eu_funding_tenders")) == EU_IDS
    site.plan("/" + f"{EXPORT_PATH}", Reply(status=304))
    site.plan(EU_PATH, eu_page(1), eu_page(2))
    second = run()
    assert [(r.new, r.changed, r.withdrawn, r.unchanged) for r in second.values()] == [(0, 0, 0, 6), (0, 0, 0, 5)]
    assert revisions(database) == 0
    assert site.requests[-3].headers.get("If-None-Match") == '"v1"' or any(
        r.headers.get("If-None-Match") == '"v1"' for r in site.requests
    )
    assert "export unchanged (HTTP 304)" in second["foerderdatenbank"].message


def test_runs_are_recorded_with_counts_and_warnings(run, database):
    run()
    with database.session() as session:
        (fdb_run,) = session.scalars(select(ScrapeRun).where(ScrapeRun.source_id == "foerderdatenbank"))
        assert (fdb_run.status, fdb_run.complete, fdb_run.new, fdb_run.fetched) == ("ok", True, 6, 6)
        assert fdb_run.finished_at is not None
        assert any("lfa-led-rechner is missing" in w.message for w in fdb_run.warnings)


@pytest.mark.parametrize(
    "fault",
    [Reply(b"boom", status=500), Reply(status=429, headers={"Retry-After": "3"}), Stall(1.5), RESET],
    ids=["500-then-ok", "429-retry-after", "read-timeout", "connection-reset"],
)
def test_transient_faults_are_survived(run, database, site, fault):
    site.plan("/" + EXPORT_PATH, fault, zip_reply(export_zip()))
    report = run("foerderdatenbank")["foerderdatenbank"]
    assert report.status == "ok" and report.new == 6
    assert set(programs(database, "foerderdatenbank")) == FDB_IDS
    if isinstance(fault, Reply) and fault.status == 429:
        assert 3.0 in run.sleeps


def test_changed_program_gets_a_revision_with_the_field_diff(run, database, site):
    run("foerderdatenbank")
    site.plan(
        "/" + EXPORT_PATH, zip_reply(export_zip(retitle=("smart-region-kommunen-nrw", "Smart Region NRW 2027")), '"v2"')
    )
    report = run("foerderdatenbank")["foerderdatenbank"]
    assert (report.changed, report.unchanged, report.new) == (1, 5, 0)
    with database.session() as session:
        program = catalogue.get_program(session, "foerderdatenbank", "Land/NRW/smart-region-kommunen-nrw")
        (revision,) = program.revisions
        assert revision.changed_fields == ["title"]
        assert revision.diff["title"][1].endswith("(Smart Region NRW 2027)")
        assert revision.run_id == report.run_id


def test_disappeared_program_is_withdrawn_not_deleted(run, database, site):
    run("foerderdatenbank")
    site.plan("/" + EXPORT_PATH, zip_reply(export_zip(drop="smarte-doerfer-europa"), '"v2"'))
    report = run("foerderdatenbank")["foerderdatenbank"]
    assert (report.status, report.withdrawn, report.unchanged) == ("ok", 1, 5)
    stored = programs(database, "foerderdatenbank")
    assert set(stored) == FDB_IDS
    assert stored["EU/smarte-doerfer-europa"].status == "withdrawn"


def test_listing_that_ends_early_is_partial_and_withdraws_nothing(run, database, site):
    run("eu_funding_tenders")
    site.plan(EU_PATH, eu_page(1), Reply(b"down", status=503))
    report = run("eu_funding_tenders")["eu_funding_tenders"]
    assert report.status == "partial" and not report.complete
    assert report.withdrawn == 0 and report.unchanged == 4
    assert "listing incomplete" in report.message
    stored = programs(database, "eu_funding_tenders")
    assert stored["CERV-2027-CITIZENS-TOWN-TT"].status == "open"


def test_truncated_zip_with_walled_html_fails_and_keeps_the_catalogue(run, database, site):
    run("foerderdatenbank")
    before = {k: (p.title, p.status, p.content_hash) for k, p in programs(database, "foerderdatenbank").items()}
    data = export_zip(drop="smarte-doerfer-europa")
    site.plan("/" + EXPORT_PATH, Truncated(data[:2000], declared=len(data)))
    site.plan("/" + SEARCH_PATH.split("?")[0], Reply((FILES / "foerderdatenbank_botwall.html").read_bytes()))
    report = run("foerderdatenbank")["foerderdatenbank"]
    assert report.status == "failed"
    assert "catalogue unchanged" in report.message
    after = {k: (p.title, p.status, p.content_hash) for k, p in programs(database, "foerderdatenbank").items()}
    assert after == before


def test_bot_wall_instead_of_the_export_is_an_error_not_data(run, database, site):
    wall = (FILES / "foerderdatenbank_botwall.html").read_bytes()
    site.plan("/" + EXPORT_PATH, Reply(wall))
    site.plan("/" + SEARCH_PATH.split("?")[0], Reply(wall))
    report = run("foerderdatenbank")["foerderdatenbank"]
    assert report.status == "failed"
    assert any("bot wall" in m for _, m in report.warnings)
    assert programs(database, "foerderdatenbank") == {}


def test_html_fallback_survives_a_changed_layout_and_missing_pages(run, database, site):
    site.plan("/" + EXPORT_PATH, Reply(b"<html><title>Wartung</title></html>"))
    site.plan("/" + SEARCH_PATH.split("?")[0], site_page(site, "foerderdatenbank_list_page1.html"))
    site.plan(
        "/SiteGlobals/FDB/Forms/Suche/Foederprogrammsuche_Formular.html",
        site_page(site, "foerderdatenbank_list_page1.html"),
        site_page(site, "foerderdatenbank_list_page2.html"),
    )
    pages = {
        "Land/Bayern/digitale-infrastruktur-kultur-sport-kommunen": "tabbed",
        "Bund/BMDS/gigabit-beratung-kommunen": "rechtsgrundlage",
        "Land/NRW/smart-region-kommunen-nrw": "ascii_labels",
        "Land/Sachsen/led-strassenbeleuchtung-kommunen": "missing_rows",
    }
    for program_id, name in pages.items():
        site.plan(
            f"/FDB/Content/DE/Foerderprogramm/{program_id}.html",
            site_page(site, f"foerderdatenbank_detail_{name}.html"),
        )
    changed = "FDB/Content/DE/Foerderprogramm/Land/Hessen/digitale-schule-kommunale-schultraeger.html"
    site.plan("/" + changed, site_page(site, "foerderdatenbank_detail_layout_changed.html"))
    report = run("foerderdatenbank")["foerderdatenbank"]
    assert report.status == "partial"
    assert "HTML fallback" in report.message
    assert set(programs(database, "foerderdatenbank")) == set(pages), report.warnings
    assert any("layout changed" in m for _, m in report.warnings)
    assert report.errors == 12 - len(pages)


def test_out_of_range_count_fails_the_run(run, database, refresh_settings):
    strict = replace(refresh_settings, source_expected={"foerderdatenbank": (2000, 4000)})
    report = run("foerderdatenbank", settings=strict)["foerderdatenbank"]
    assert report.status == "failed"
    assert "6 records, outside the expected range 2000–4000" in report.message
    assert programs(database, "foerderdatenbank") == {}


def test_malformed_eu_response_fails_without_damage(run, database, site):
    run("eu_funding_tenders")
    site.plan(
        EU_PATH, Reply((FILES / "eu_funding_tenders_malformed.json").read_bytes(), content_type="application/json")
    )
    report = run("eu_funding_tenders")["eu_funding_tenders"]
    assert report.status == "failed"
    assert any("malformed JSON" in m for _, m in report.warnings)
    assert len(programs(database, "eu_funding_tenders")) == 5


def test_dry_run_changes_nothing(run, database):
    reports = run(dry_run=True)
    assert reports["foerderdatenbank"].new == 6 and reports["foerderdatenbank"].run_id is None
    assert programs(database, "foerderdatenbank") == {}
    with database.session() as session:
        assert session.scalar(select(func.count(ScrapeRun.id))) == 0


def test_eu_search_is_sent_as_typed_multipart(run, site):
    run("eu_funding_tenders")
    search = [r for r in site.requests if r.path.startswith(EU_PATH)]
    assert "pageNumber=1" in search[0].path and "pageNumber=2" in search[1].path
    assert search[0].headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="query"' in search[0].body and b"Content-Type: application/json" in search[0].body


def test_a_held_lock_refuses_a_second_refresh(run, database):
    with database.session() as session:
        session.add(RefreshLock(name="refresh", owner="other-host:1", acquired_at=utcnow(), heartbeat_at=utcnow()))
    with pytest.raises(refresh.RefreshLocked, match="another refresh \\(other-host:1\\) holds the lock"):
        run()


def test_a_stale_lock_is_taken_over_and_released(run, database):
    old = utcnow() - timedelta(hours=2)
    with database.session() as session:
        session.add(RefreshLock(name="refresh", owner="dead-host:1", acquired_at=old, heartbeat_at=old))
    assert run("eu_funding_tenders")["eu_funding_tenders"].status == "ok"
    with database.session() as session:
        assert session.get(RefreshLock, "refresh") is None


def test_unknown_source_is_refused(run):
    with pytest.raises(InputError, match="unbekannte Quelle nope; bekannt sind: foerderdatenbank, eu_funding_tenders"):
        run("nope")


def cli_env(refresh_settings) -> dict[str, str]:
    return {
        "FUNDMATCH_SOURCE_URL_FOERDERDATENBANK": refresh_settings.source_urls["foerderdatenbank"],
        "FUNDMATCH_SOURCE_URL_EU_FUNDING_TENDERS": refresh_settings.source_urls["eu_funding_tenders"],
        "FUNDMATCH_SOURCE_EXPECTED_FOERDERDATENBANK": "3-50",
        "FUNDMATCH_SOURCE_EXPECTED_EU_FUNDING_TENDERS": "2-50",
        "FUNDMATCH_HTTP_MIN_DELAY": "0",
    }


def test_cli_refresh_exit_codes_and_sources_list(refresh_settings, site):
    runner = CliRunner()
    base = ["--database-url", refresh_settings.database_url, "--data-dir", str(refresh_settings.data_dir)]
    env = cli_env(refresh_settings)
    ok = runner.invoke(cli, [*base, "refresh", "--format", "json"], env=env)
    assert ok.exit_code == 0, ok.output
    runs = json.loads(ok.stdout)["runs"]
    assert [(r["source"], r["status"], r["new"]) for r in runs] == [
        ("foerderdatenbank", "ok", 6),
        ("eu_funding_tenders", "ok", 5),
    ]
    site.plan(EU_PATH, eu_page(1), Reply(status=404))
    partial = runner.invoke(cli, [*base, "refresh", "--source", "eu_funding_tenders"], env=env)
    assert partial.exit_code == 1
    failed = runner.invoke(
        cli,
        [*base, "refresh", "--source", "foerderdatenbank"],
        env={**env, "FUNDMATCH_SOURCE_EXPECTED_FOERDERDATENBANK": "100-200"},
    )
    assert failed.exit_code == 2
    listed = json.loads(runner.invoke(cli, [*base, "sources", "list", "--format", "json"]).stdout)["sources"]
    by_id = {s["id"]: s for s in listed}
    assert [r["status"] for r in by_id["eu_funding_tenders"]["runs"]] == ["partial", "ok"]
    assert by_id["foerderdatenbank"]["runs"][0]["status"] == "failed"
    assert by_id["foerderdatenbank"]["programs"] == 6
    assert any("listing incomplete" in w["message"] for w in by_id["eu_funding_tenders"]["open_warnings"])
    text = runner.invoke(cli, [*base, "sources", "list"]).stdout
    assert "eu_funding_tenders: EU Funding & Tenders Portal" in text and "partial" in text


def test_cli_sources_parse_prints_interchange_json():
    result = CliRunner().invoke(
        cli, ["sources", "parse", "eu_funding_tenders", str(FILES / "eu_funding_tenders_search_page1.json")]
    )
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["format"] == "fundmatch-catalogue"
    assert len(document["programs"]) == 4
    bad = CliRunner().invoke(
        cli, ["sources", "parse", "eu_funding_tenders", str(FILES / "eu_funding_tenders_malformed.json")]
    )
    assert bad.exit_code == 1 and "malformed JSON" in bad.stderr
    unknown = CliRunner().invoke(cli, ["sources", "parse", "nope", str(FILES / "eu_funding_tenders_malformed.json")])
    assert unknown.exit_code == 1 and "unknown source 'nope'" in unknown.stderr


def test_each_source_run_and_the_refresh_log_one_line(run, monkeypatch, capsys):
    from fundmatch import logs

    monkeypatch.setenv("FUNDMATCH_LOG_FORMAT", "json")
    monkeypatch.setenv("FUNDMATCH_LOG_LEVEL", "INFO")
    logs.configure()
    capsys.readouterr()
    run()
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    monkeypatch.setenv("FUNDMATCH_LOG_FORMAT", "text")
    logs.configure()
    runs = {e["source"]: e for e in events if e["message"].startswith("Quelle ")}
    assert set(runs) == {"foerderdatenbank", "eu_funding_tenders"}
    assert runs["foerderdatenbank"]["status"] == "ok" and runs["foerderdatenbank"]["new"] > 0
    assert isinstance(runs["eu_funding_tenders"]["run_id"], int) and runs["eu_funding_tenders"]["seconds"] >= 0
    (summary,) = [e for e in events if e["message"].startswith("Aktualisierung beendet")]
    assert summary["exit_code"] == 0 and summary["runs"] == {"foerderdatenbank": "ok", "eu_funding_tenders": "ok"}
