"""End-to-end refresh against a local fixture site with injected faults; after each, the catalogue is checked."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import replace
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from fundmatch import catalogue, refresh
from fundmatch.cli import cli
from fundmatch.errors import InputError
from fundmatch.models import HeldHarvest, Program, ProgramRevision, RefreshLock, ScrapeRun, utcnow
from fundmatch.scrapers.foerderdatenbank.harvest import EXPORT_PATH, SEARCH_PATH
from fundmatch.scrapers.http import Fetcher, HttpPolicy
from tests.conftest import FILES
from tests.fixture_server import RESET, Drip, Reply, Stall, Truncated, Unframed

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


def export_zip(
    *, drop: str | None = None, retitle: tuple[str, str] | None = None, substitute: tuple[bytes, bytes] = (b"", b"")
) -> bytes:
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
            if substitute[0]:
                data = data.replace(*substitute)
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
    go.settings = refresh_settings
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
    assert "Export unverändert (HTTP 304)" in second["foerderdatenbank"].message


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


def test_disappeared_program_is_withdrawn_at_the_second_missing_export_not_deleted(run, database, site):
    run("foerderdatenbank")
    site.plan("/" + EXPORT_PATH, zip_reply(export_zip(drop="smarte-doerfer-europa"), '"v2"'))
    first = run("foerderdatenbank")["foerderdatenbank"]
    assert (first.status, first.withdrawn, first.unchanged) == ("ok", 0, 5)
    assert "1 Programme erstmals nicht gelistet" in first.message
    assert programs(database, "foerderdatenbank")["EU/smarte-doerfer-europa"].status == "open"
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
    assert "Auflistung unvollständig" in report.message
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
    assert "Katalog unverändert" in report.message
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
    assert "HTML-Seiten gelesen" in report.message
    assert set(programs(database, "foerderdatenbank")) == set(pages), report.warnings
    assert any("layout changed" in m for _, m in report.warnings)
    assert report.errors == 12 - len(pages)


def test_out_of_range_count_fails_the_run(run, database, refresh_settings):
    strict = replace(refresh_settings, source_expected={"foerderdatenbank": (2000, 4000)})
    report = run("foerderdatenbank", settings=strict)["foerderdatenbank"]
    assert report.status == "failed"
    assert "6 Einträge, außerhalb der erwarteten Spanne 2000–4000" in report.message
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
    with pytest.raises(refresh.RefreshLocked, match="eine andere Aktualisierung \\(other-host:1\\) hält die Sperre"):
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
    assert any("Auflistung unvollständig" in w["message"] for w in by_id["eu_funding_tenders"]["open_warnings"])
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


# --- Faults a reliability probe found (issue 19): each test reproduces one probe ----------------------


def corrupt_export(compression: int) -> bytes:
    """The export with one byte flipped inside a program member's data: a bad CRC (stored) or bad deflate data."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for file in sorted(EXPORT_DIR.rglob("*.xml")):
            archive.writestr(file.relative_to(EXPORT_DIR).as_posix(), file.read_bytes())
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("smart-region-kommunen-nrw.xml"))
    name_length, extra_length = (
        int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little"),
        (int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")),
    )
    start = info.header_offset + 30 + name_length + extra_length
    for offset in range(start + 10, start + 14):
        data[offset] ^= 0xFF
    return bytes(data)


def fdb_html_walled(site) -> None:
    site.plan("/" + SEARCH_PATH.split("?")[0], Reply((FILES / "foerderdatenbank_botwall.html").read_bytes()))


def lock_holder(database) -> str | None:
    with database.session() as session:
        lock = session.get(RefreshLock, "refresh")
        return lock.owner if lock else None


def test_a_server_that_drips_bytes_ends_the_run_at_its_deadline_and_frees_the_lock(run, database, site):
    """Probe 5: 1 KB every 0.2 s stays under the 0.5 s read timeout; the run's deadline of 1 s ends it."""
    site.plan("/" + EXPORT_PATH, Drip(b"x" * 1024, every_s=0.2, count=1_000))
    settings = replace(run.settings, source_deadline_s=1.0)
    clock = time.monotonic()
    reports = run(settings=settings)
    assert time.monotonic() - clock < 10
    fdb = reports["foerderdatenbank"]
    assert fdb.status == "failed"
    assert "Zeitlimit des Laufs von 1 s überschritten" in fdb.message
    assert reports["eu_funding_tenders"].status == "ok"  # the next source still ran, with a fresh budget
    assert lock_holder(database) is None
    assert programs(database, "foerderdatenbank") == {}


def test_a_run_that_receives_more_than_its_byte_limit_fails(run, database, site):
    site.plan("/" + EXPORT_PATH, zip_reply(b"PK" + b"\0" * (3 << 20)))
    report = run("foerderdatenbank", settings=replace(run.settings, source_max_mb=1))["foerderdatenbank"]
    assert report.status == "failed"
    assert "mehr als 1.048.576 Bytes empfangen" in report.message
    assert not list((run.settings.data_dir / "downloads" / "foerderdatenbank").glob("*.part"))


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["bad-crc", "bad-deflate"])
def test_a_corrupt_export_fails_its_source_alone_and_is_not_kept_as_cache(run, database, site, compression):
    """Probe 7: a corrupt archive is a failed run with a German message; the EU source still runs; the
    broken file is not kept, so the next night downloads it again instead of getting a 304."""
    site.plan("/" + EXPORT_PATH, zip_reply(corrupt_export(compression)))
    fdb_html_walled(site)
    reports = run()
    fdb = reports["foerderdatenbank"]
    assert fdb.status == "failed"
    assert "ZIP-Archiv beschädigt" in fdb.message and "Katalog unverändert" in fdb.message
    assert reports["eu_funding_tenders"].status == "ok"
    downloads = run.settings.data_dir / "downloads" / "foerderdatenbank"
    assert not any(downloads.iterdir())
    site.plan("/" + EXPORT_PATH, zip_reply(export_zip()))
    assert run("foerderdatenbank")["foerderdatenbank"].status == "ok"
    export_requests = [r for r in site.requests if r.path == "/" + EXPORT_PATH]
    assert "If-None-Match" not in export_requests[-1].headers


def test_a_download_cut_short_without_a_length_is_not_kept_as_cache(run, database, site):
    data = export_zip()
    site.plan("/" + EXPORT_PATH, Unframed(data[: len(data) // 2]))
    fdb_html_walled(site)
    assert run("foerderdatenbank")["foerderdatenbank"].status == "failed"
    site.plan("/" + EXPORT_PATH, zip_reply(data))
    assert run("foerderdatenbank")["foerderdatenbank"].new == 6
    assert "If-None-Match" not in [r for r in site.requests if r.path == "/" + EXPORT_PATH][-1].headers


def test_sources_parse_names_a_corrupt_archive_in_german(tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(corrupt_export(zipfile.ZIP_STORED))
    result = CliRunner().invoke(cli, ["sources", "parse", "foerderdatenbank", str(path)])
    assert result.exit_code == 1
    assert "ZIP-Archiv beschädigt" in result.stderr and "Bad CRC-32" in result.stderr
    assert "Traceback" not in result.output


def test_a_crashing_source_is_recorded_failed_and_the_others_still_run(run, database, monkeypatch, refresh_settings):
    """A bug in one source (here: any exception from its harvest) fails that run, exit code 2, and the
    other source is refreshed; the log has the traceback."""
    from fundmatch.scrapers import foerderdatenbank

    def broken(fetcher, config):
        raise KeyError("a parser bug")

    monkeypatch.setattr(foerderdatenbank, "harvest", broken)
    reports = run()
    assert reports["foerderdatenbank"].status == "failed"
    assert "interner Fehler (KeyError)" in reports["foerderdatenbank"].message
    assert reports["eu_funding_tenders"].status == "ok" and reports["eu_funding_tenders"].new == 5
    assert refresh.exit_code(reports.values()) == 2
    with database.session() as session:
        statuses = dict(session.execute(select(ScrapeRun.source_id, ScrapeRun.status)).all())
    assert statuses == {"foerderdatenbank": "failed", "eu_funding_tenders": "ok"}
    assert lock_holder(database) is None


def test_runs_left_running_by_a_dead_refresh_are_closed_when_the_lock_is_taken_over(run, database):
    """Probe 8 (kill -9): the dead refresh's run stays ``running`` and its lock goes stale; the next
    refresh takes the lock over and closes that run as failed."""
    old = utcnow() - timedelta(hours=2)
    with database.session() as session:
        catalogue.ensure_source(session, "foerderdatenbank")
        session.add(ScrapeRun(source_id="foerderdatenbank", started_at=old, status="running"))
        session.add(RefreshLock(name="refresh", owner="dead-host:1", acquired_at=old, heartbeat_at=old))
    run("eu_funding_tenders")
    with database.session() as session:
        dead = session.scalars(select(ScrapeRun).where(ScrapeRun.source_id == "foerderdatenbank")).one()
        assert dead.status == "failed" and dead.finished_at is not None
        assert "abgebrochen" in dead.message


def _refresh_process(refresh_settings, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "fundmatch", "refresh", "--source", "foerderdatenbank"],
        env={
            **os.environ,
            **cli_env(refresh_settings),
            "FUNDMATCH_DATABASE_URL": refresh_settings.database_url,
            "FUNDMATCH_DATA_DIR": str(refresh_settings.data_dir),
            "FUNDMATCH_HTTP_TIMEOUT": "5",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_running_run(database, process: subprocess.Popen) -> None:
    for _ in range(200):
        with database.session() as session:
            if session.scalar(select(func.count(ScrapeRun.id)).where(ScrapeRun.status == "running")):
                return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the refresh never started its run")


def test_sigterm_ends_a_refresh_cleanly(database, site, refresh_settings):
    """Probe 8 (SIGTERM): the run in progress is recorded as failed, the lock released, exit code 143."""
    site.plan("/" + EXPORT_PATH, Drip(b"x" * 1024, every_s=0.2, count=1_000))
    process = _refresh_process(refresh_settings)
    _wait_for_running_run(database, process)
    time.sleep(0.5)  # inside the download now
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr.decode()
    with database.session() as session:
        (stopped,) = session.scalars(select(ScrapeRun))
        assert stopped.status == "failed" and "abgebrochen (Terminated)" in stopped.message
    assert lock_holder(database) is None


def test_kill_9_leaves_a_run_that_the_next_refresh_closes(run, database, site, refresh_settings):
    site.plan("/" + EXPORT_PATH, Drip(b"x" * 1024, every_s=0.2, count=1_000))
    process = _refresh_process(refresh_settings, FUNDMATCH_REFRESH_LOCK_STALE="1")
    _wait_for_running_run(database, process)
    process.kill()
    process.communicate(timeout=30)
    assert lock_holder(database) is not None  # nobody released it: the heartbeat just stopped
    time.sleep(1.5)
    site.plan("/" + EXPORT_PATH, zip_reply(export_zip()))
    report = run("foerderdatenbank", settings=replace(run.settings, refresh_lock_stale_s=1.0))["foerderdatenbank"]
    assert report.status == "ok"
    with database.session() as session:
        statuses = [r.status for r in session.scalars(select(ScrapeRun).order_by(ScrapeRun.id))]
    assert statuses == ["failed", "ok"]
    assert lock_holder(database) is None


# --- The change guard: runs that would withdraw or rewrite much of a source are held (probe 6) -----------


def guarded(settings, minimum: int = 1):
    return replace(settings, review_share=0.05, review_minimum=minimum)


def held_rows(database) -> list[int]:
    with database.session() as session:
        return list(session.scalars(select(HeldHarvest.run_id)))


def test_a_run_that_would_withdraw_too_many_programs_is_held_and_can_be_confirmed(run, database, site, run_cli):
    run("foerderdatenbank")
    site.plan("/" + EXPORT_PATH, zip_reply(export_zip(drop="smarte-doerfer-europa"), '"v2"'))
    report = run("foerderdatenbank", settings=guarded(run.settings))["foerderdatenbank"]
    assert report.status == "held" and report.withdrawn == 0
    assert "1 von 6 Programmen würden zurückgezogen (16,6 %; erlaubt sind 5 %)" in report.message
    assert programs(database, "foerderdatenbank")["EU/smarte-doerfer-europa"].status != "withdrawn"
    assert held_rows(database) == [report.run_id]
    assert refresh.exit_code([report]) == 3

    listed = run_cli("sources", "list").stdout
    assert "held" in listed and "zur Prüfung angehalten" in listed
    confirmed = run_cli("sources", "confirm", str(report.run_id))
    assert confirmed.exit_code == 0, confirmed.output
    assert "0 zurückgezogen" in confirmed.stdout  # the first miss counts; the second withdraws
    assert programs(database, "foerderdatenbank")["EU/smarte-doerfer-europa"].missed_runs == 1
    assert held_rows(database) == []
    with database.session() as session:
        stored = session.get(ScrapeRun, report.run_id)
        assert stored.status == "ok" and "bestätigt von Kommandozeile" in stored.message
    # The confirmed departure is known now: the next export without the program withdraws it, unheld.
    later = run("foerderdatenbank", settings=guarded(run.settings))["foerderdatenbank"]
    assert (later.status, later.withdrawn) == ("ok", 1)
    assert programs(database, "foerderdatenbank")["EU/smarte-doerfer-europa"].status == "withdrawn"
    again = run_cli("sources", "confirm", str(report.run_id))
    assert again.exit_code == 1 and "ist nicht zur Prüfung angehalten (Status ok)" in again.stderr


def test_a_held_run_can_be_rejected_and_a_later_run_supersedes_it(run, database, site, run_cli):
    run("foerderdatenbank")
    site.plan("/" + EXPORT_PATH, zip_reply(export_zip(drop="smarte-doerfer-europa"), '"v2"'))
    first = run("foerderdatenbank", settings=guarded(run.settings))["foerderdatenbank"]
    second = run("foerderdatenbank", settings=guarded(run.settings))["foerderdatenbank"]
    assert (first.status, second.status) == ("held", "held")
    assert held_rows(database) == [second.run_id]
    rejected = run_cli("sources", "reject", str(second.run_id))
    assert rejected.exit_code == 0
    assert held_rows(database) == []
    with database.session() as session:
        assert session.get(ScrapeRun, first.run_id).status == "superseded"
        assert session.get(ScrapeRun, second.run_id).status == "rejected"
    assert programs(database, "foerderdatenbank")["EU/smarte-doerfer-europa"].status != "withdrawn"
    assert run_cli("sources", "confirm", "999").exit_code == 1


def test_a_run_that_would_change_one_field_of_too_many_programs_is_held(run, database, site):
    run("foerderdatenbank")
    changed = export_zip(substitute=(b"Foerderart/zuschuss", b"Foerderart/darlehen"))
    site.plan("/" + EXPORT_PATH, zip_reply(changed, '"v2"'))
    report = run("foerderdatenbank", settings=guarded(run.settings))["foerderdatenbank"]
    assert report.status == "held"
    assert "Feld 'funding_types' würde bei" in report.message
    assert revisions(database) == 0
    assert run("foerderdatenbank", settings=guarded(run.settings, minimum=10))["foerderdatenbank"].status == "ok"


def test_a_renamed_classifier_in_the_export_holds_the_run_even_on_an_empty_catalogue(run, database, site):
    renamed = export_zip(substitute=(b'Classifier/Common/Foerdergebiet"', b'Classifier/Common/Foerdergebiete"'))
    site.plan("/" + EXPORT_PATH, zip_reply(renamed))
    report = run("foerderdatenbank")["foerderdatenbank"]
    assert report.status == "held"
    assert "Klassifikation 'Foerdergebiet' fehlt in 6 von 6 Programmen des Exports" in report.message
    assert "unbekannte Klassifikation 'Foerdergebiete' in 6 von 6 Programmen" in report.message
    assert programs(database, "foerderdatenbank") == {}


def test_an_eu_answer_with_half_the_topics_is_held(run, database, site):
    run("eu_funding_tenders")
    page = json.loads((FILES / "eu_funding_tenders_search_page1.json").read_bytes())
    page["results"] = page["results"][:2]
    page["totalResults"] = 2
    site.plan(EU_PATH, Reply(json.dumps(page).encode(), content_type="application/json"))
    report = run("eu_funding_tenders", settings=guarded(run.settings))["eu_funding_tenders"]
    assert report.status == "held" and "würden zurückgezogen" in report.message
    assert {p.status for p in programs(database, "eu_funding_tenders").values()} != {"withdrawn"}
    assert all(p.status != "withdrawn" for p in programs(database, "eu_funding_tenders").values())


def test_a_dry_run_says_it_would_be_held_and_stores_nothing(run, database, site):
    run("foerderdatenbank")
    site.plan("/" + EXPORT_PATH, zip_reply(export_zip(drop="smarte-doerfer-europa"), '"v2"'))
    report = run("foerderdatenbank", dry_run=True, settings=guarded(run.settings))["foerderdatenbank"]
    assert report.status == "held" and report.run_id is None
    assert held_rows(database) == []
