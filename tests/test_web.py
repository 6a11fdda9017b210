"""The web app through Flask's test client: every route, permissions, CSRF, escaping, uploads, API."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace

import pytest
from docx import Document
from icalendar import Calendar
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder

from fundmatch import catalogue, users
from fundmatch.measure_import import example_csv
from fundmatch.scrapers.records import Deadline
from tests.fixture_server import Reply
from tests.test_catalogue import record

PASSWORD = "ein-langes-passwort"
HOSTILE = '<script>alert("x")</script>{{ 7*7 }}'


@pytest.fixture
def app(settings, database, make_app):
    with database.session() as session:
        catalogue.apply_records(
            session,
            [
                record(
                    "gigabit",
                    title="Gigabitförderung Bayern",
                    summary="Zuschüsse für den Glasfaserausbau in Gemeinden.",
                    rolling=True,
                    deadlines=[Deadline(date=__import__("datetime").date(2099, 3, 31))],
                ),
                record(
                    "led",
                    title="LED-Straßenbeleuchtung",
                    summary="Außenbeleuchtung auf LED umrüsten.",
                    regions=["DE"],
                    level="bund",
                    topics=["energieeffizienz_erneuerbare_energien"],
                    keywords=["LED"],
                ),
                record("sachsen", title="Glasfaser Sachsen", regions=["SN"]),
            ],
        )
        users.create_user(session, "admin", PASSWORD, "admin")
        users.create_user(session, "berater", PASSWORD, "consultant")
    return make_app(replace(settings, secret_key="test-secret"), testing=True)


def token_of(response) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True)).group(1)


class Browser:
    """A logged-in test client that sends the CSRF token like the pages do."""

    def __init__(self, app, username: str):
        self.client = app.test_client()
        page = self.client.get("/login")
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        response = self.client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": self.token}
        )
        assert response.status_code == 302
        self.token = token_of(self.client.get("/"))

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, **kwargs):
        data = data.copy() if isinstance(data, MultiDict) else dict(data or {})  # a multiple choice stays whole
        data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kwargs)


@pytest.fixture
def admin(app):
    return Browser(app, "admin")


@pytest.fixture
def consultant(app):
    return Browser(app, "berater")


def make_measure(
    browser, title="Glasfaser für das Gewerbegebiet", description="FTTH für 40 Betriebe."
) -> tuple[int, int, int]:
    town = browser.post(
        "/kommunen", {"name": "Markt Musterhausen", "land": "BY", "ags": "09162000", "population": "8200"}
    )
    municipality_id = int(town.headers["Location"].rsplit("/", 1)[1])
    strategy = browser.post(
        f"/kommunen/{municipality_id}",
        {
            "action": "strategy",
            "title": "Digitalstrategie 2030",
            "handlungsfelder": ["infrastruktur"],
            "goals": "Gigabit",
        },
    )
    strategy_id = int(strategy.headers["Location"].rsplit("/", 1)[1])
    measure = browser.post(
        f"/strategien/{strategy_id}",
        {
            "action": "measure",
            "title": title,
            "description": description,
            "handlungsfeld": "infrastruktur",
            "cost_eur": "1.250.000",
            "planned_start": "01.04.2027",
            "time_horizon": "mittel",
        },
    )
    return municipality_id, strategy_id, int(measure.headers["Location"].rsplit("/", 1)[1])


# ---- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/katalog/", "/kommunen", "/quellen/", "/massnahmen/1", "/strategien/1/fristen.ics"]
)
def test_pages_need_a_login(app, url):
    response = app.test_client().get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_api_needs_a_token_or_login(app):
    response = app.test_client().get("/api/v1/programs")
    assert response.status_code == 401
    assert response.get_json()["status"] == 401
    assert app.test_client().get("/api/v1/programs", headers={"Authorization": "Bearer fm_wrong"}).status_code == 401


def test_health_is_public(app):
    assert app.test_client().get("/health").get_json() == {"status": "ok"}


def test_wrong_password_and_rate_limit(app):
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    for _ in range(5):
        assert (
            client.post("/login", data={"username": "admin", "password": "falsch", "csrf_token": token}).status_code
            == 401
        )
    blocked = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429 and "Zu viele" in blocked.get_data(as_text=True)
    for spelling in (" admin", "admin ", "\tadmin", "ADMIN", "admin      ", "Admin\n"):
        variant = client.post("/login", data={"username": spelling, "password": PASSWORD, "csrf_token": token})
        assert variant.status_code == 429, repr(spelling)  # one account, one throttle, however it is typed


def test_user_names_are_stored_and_found_in_one_spelling(app, database):
    with database.session() as session:
        carl = users.create_user(session, "  Carl ", PASSWORD, "consultant")
        assert carl.username == "carl"
        assert users.authenticate(session, "CARL\t", PASSWORD) is carl
        with pytest.raises(users.UserError):
            users.create_user(session, "carl", PASSWORD, "consultant")


def test_login_rejects_a_foreign_next_url(app):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_login_without_csrf_token_is_refused(app):
    response = app.test_client().post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400


def test_forms_without_csrf_token_are_refused(admin):
    response = admin.client.post("/kommunen", data={"name": "Ohne Token", "land": "BY"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert "Ohne Token" not in admin.get("/kommunen").get_data(as_text=True)


def test_htmx_requests_send_the_token_as_header(admin):
    _, _, measure_id = make_measure(admin)
    ok = admin.client.post(
        f"/massnahmen/{measure_id}/entscheidung",
        data={"program": "manual:gigabit", "decision": "shortlisted"},
        headers={"X-CSRFToken": admin.token, "HX-Request": "true"},
    )
    assert ok.status_code == 200 and "vorgemerkt" in ok.get_data(as_text=True)
    bad = admin.client.post(
        f"/massnahmen/{measure_id}/entscheidung",
        data={"program": "manual:gigabit", "decision": "shortlisted"},
        headers={"X-CSRFToken": "nope"},
    )
    assert bad.status_code == 400


def test_security_headers_and_cookie_flags(app, admin):
    response = admin.get("/")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and "unsafe-inline" not in directives["default-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    login = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_or_style_in_pages(admin):
    _, strategy_id, measure_id = make_measure(admin)
    for url in ("/", "/katalog/", "/kommunen", f"/strategien/{strategy_id}", f"/massnahmen/{measure_id}", "/quellen/"):
        html = admin.get(url).get_data(as_text=True)
        assert "<script>" not in html and "style=" not in html and " on" + "click=" not in html, url


def test_logout(admin):
    assert admin.post("/logout").status_code == 302
    assert admin.get("/").status_code == 302


# ---- pages -------------------------------------------------------------------------------------


def test_dashboard_shows_shortlisted_deadlines(admin):
    _, _, measure_id = make_measure(admin)
    admin.post(f"/massnahmen/{measure_id}/entscheidung", {"program": "manual:gigabit", "decision": "shortlisted"})
    # a shortlisted deadline in 2099 is outside the 60 days, so the list stays empty but the page works
    html = admin.get("/").get_data(as_text=True)
    assert "Fristen der vorgemerkten Programme" in html and "Letzte Aktualisierung je Quelle" in html


def test_catalogue_search_facets_sort_and_htmx_fragment(admin):
    html = admin.get("/katalog/?q=Glasfaser&land=BY").get_data(as_text=True)
    assert "Gigabitförderung Bayern" in html and "Glasfaser Sachsen" not in html
    fragment = admin.get("/katalog/?level=bund&sort=title", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "LED-Straßenbeleuchtung" in fragment and "<html" not in fragment
    assert admin.get("/katalog/?sort=zufall").status_code == 400


def test_program_page_with_history_and_staleness(app, admin, database):
    with database.session() as session:
        catalogue.apply_records(session, [record("gigabit", title="Gigabitförderung Bayern 2.0", rolling=True)])
    html = admin.get("/katalog/manual/gigabit").get_data(as_text=True)
    assert "Gigabitförderung Bayern 2.0" in html
    assert "kuratierter Eintrag" in html  # no source run saw it
    assert "Stand der Angaben unbekannt" in html  # the test record carries no dates of its facts
    assert "<del>Gigabitförderung Bayern</del>" in html
    assert admin.get("/katalog/manual/gibtsnicht").status_code == 404


def test_program_page_dates_its_facts_and_warns_when_they_are_old(app, admin, database):
    from datetime import date, timedelta

    with database.session() as session:
        catalogue.apply_records(
            session,
            [
                record("fresh", title="Frisch", facts_as_of=date.today() - timedelta(days=30)),
                record("old", title="Alt", facts_as_of=date(2024, 5, 2), source_updated=date(2024, 5, 2)),
            ],
        )
    fresh = admin.get("/katalog/manual/fresh").get_data(as_text=True)
    assert f"Stand der Angaben: {(date.today() - timedelta(days=30)):%d.%m.%Y}" in fresh
    assert "älter als 12 Monate" not in fresh
    old = admin.get("/katalog/manual/old").get_data(as_text=True)
    assert "Stand der Angaben: 02.05.2024 – älter als 12 Monate, vor Antragstellung an der Quelle prüfen" in old
    rows = admin.get("/katalog/?q=&sort=title").get_data(as_text=True)
    assert "02.05.2024 · prüfen" in rows and 'class="facts stale"' in rows  # the short form of a table cell


def test_program_page_shows_the_instrument_its_documents_first_and_all_contacts(app, admin, database):
    from fundmatch.scrapers.records import Contact, ProgramDocument, RateCondition

    with database.session() as session:
        catalogue.apply_records(
            session,
            [
                record(
                    "kredit",
                    title="Kommunalkredit",
                    funding_types=["darlehen"],
                    funding_rate_max=100,
                    amount_max_eur=5_000_000,
                ),
                record(
                    "zuschuss",
                    title="Zuschuss digital",
                    funding_rate_min=50,
                    funding_rate_max=80,
                    amount_max_eur=200_000,
                    rate_conditions=[RateCondition(condition="finanzschwache_kommune", rate=90)],
                    documents=[
                        ProgramDocument(url="https://example.org/rl.pdf", title="Richtlinie 2026", kind="richtlinie")
                    ],
                    contacts=[
                        Contact(name="Bank", role="Antragstellung"),
                        Contact(name="Ministerium", role="Fachfragen"),
                    ],
                ),
            ],
        )
    loan = admin.get("/katalog/manual/kredit").get_data(as_text=True)
    assert "Darlehen · bis 5.000.000 €" in loan and "Eigenanteil" not in loan and "Fördersatz 100" not in loan
    grant = admin.get("/katalog/manual/zuschuss").get_data(as_text=True)
    assert "Zuschuss · Fördersatz 50–80 % · bis 200.000 € · Eigenanteil ab 20 %" in grant
    assert "finanzschwache Kommune: 90 %" in grant
    assert grant.index("Richtlinie 2026") < grant.index("Eckdaten")
    assert "<strong>Antragstellung:</strong> Bank" in grant and "<strong>Fachfragen:</strong> Ministerium" in grant


def test_municipality_strategy_measure_lifecycle(admin):
    municipality_id, strategy_id, measure_id = make_measure(admin)
    assert "Markt Musterhausen" in admin.get("/kommunen").get_data(as_text=True)
    page = admin.get(f"/kommunen/{municipality_id}").get_data(as_text=True)
    assert 'data-confirm="Markt Musterhausen mit allen Strategien und Maßnahmen löschen?"' in page
    assert 'name="action" value="delete"' in page and "Kommune löschen" in page
    assert "Maßnahme löschen" in admin.get(f"/massnahmen/{measure_id}/bearbeiten").get_data(as_text=True)
    edited = admin.post(f"/massnahmen/{measure_id}/bearbeiten", {"title": "Glasfaser Nord", "cost_eur": "900.000,5"})
    assert edited.status_code == 302
    form = admin.get(f"/massnahmen/{measure_id}/bearbeiten").get_data(as_text=True)
    assert 'value="900.000,50"' in form  # shown the German way, so saving the form again keeps the amount
    assert "Glasfaser Nord" in admin.get(f"/strategien/{strategy_id}").get_data(as_text=True)
    deleted = admin.post(f"/massnahmen/{measure_id}/bearbeiten", {"action": "delete"})
    assert deleted.status_code == 302 and admin.get(f"/massnahmen/{measure_id}").status_code == 404
    assert admin.post(f"/kommunen/{municipality_id}", {"action": "delete"}).status_code == 302
    assert admin.get(f"/strategien/{strategy_id}").status_code == 404


def test_form_errors_are_shown_and_nothing_saved(admin):
    response = admin.post("/kommunen", {"name": "", "land": "BY", "ags": "05315000", "population": "viele"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Pflichtfeld" in html and "gehört zu Nordrhein-Westfalen" in html and "keine Zahl" in html
    assert "<td><a" not in admin.get("/kommunen").get_data(as_text=True)


def test_hostile_input_is_escaped_everywhere(admin):
    _, strategy_id, measure_id = make_measure(admin, title=HOSTILE, description=HOSTILE + " Glasfaser")
    for url in (
        f"/strategien/{strategy_id}",
        f"/massnahmen/{measure_id}",
        f"/strategien/{strategy_id}/foerderuebersicht",
    ):
        html = admin.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert" in html, url
    assert "&lt;script&gt;" in admin.get("/katalog/?q=" + HOSTILE).get_data(as_text=True)


def test_match_page_ranks_explains_and_filters(admin):
    _, _, measure_id = make_measure(admin, description="Zuschüsse für den Ausbau mit FTTH für 40 Betriebe.")
    html = admin.get(f"/massnahmen/{measure_id}").get_data(as_text=True)
    assert "Gigabitförderung Bayern" in html and "Glasfaser Sachsen" not in html
    assert "Fördergebiet: Bayern" in html and "<mark>" in html and "31.03.2099" in html
    wide = admin.get(f"/massnahmen/{measure_id}?eignung=alle").get_data(as_text=True)
    assert "Glasfaser Sachsen" in wide and "nicht förderfähig" in wide


def test_verdicts_hide_and_lift_programs_and_general_loans_stand_apart(app, admin, database):
    with database.session() as session:
        catalogue.apply_records(
            session,
            [
                record(
                    "ikk",
                    title="Investitionskredit Kommunen",
                    summary="Kredite für kommunale Investitionen aller Art.",
                    regions=["DE"],
                    level="bund",
                    funding_types=["darlehen"],
                    topics=["infrastruktur"],
                ),
                record("gigabit-2", title="Glasfaser Gewerbe Bayern", summary="Glasfaser für Gewerbegebiete."),
            ],
        )
    _, _, measure_id = make_measure(admin, description="Glasfaser-Investition für 40 Betriebe.")
    html = admin.get(f"/massnahmen/{measure_id}").get_data(as_text=True)
    general = html[html.index("Allgemeine Finanzierung") :]
    assert (
        "Investitionskredit Kommunen" in general
        and "Investitionskredit Kommunen" not in html[: html.index("Allgemeine Finanzierung")]
    )
    for key, decision in (("manual:gigabit", "not_relevant"), ("manual:gigabit-2", "shortlisted")):
        admin.post(f"/massnahmen/{measure_id}/entscheidung", {"program": key, "decision": decision})
    html = admin.get(f"/massnahmen/{measure_id}").get_data(as_text=True)
    listed = html[html.index('<ol class="matches">') : html.index("Allgemeine Finanzierung")]
    assert "Gigabitförderung Bayern" not in listed
    first_card = listed[listed.index("<h2>") : listed.index("</h2>")]
    assert "Glasfaser Gewerbe Bayern" in first_card  # shortlisted: on top whatever its score
    assert "1 als „nicht relevant“ markierte Programme ausgeblendet" in html
    hidden = html[html.index("ausgeblendet") :]
    assert "Gigabitförderung Bayern" in hidden


def test_decisions_and_draft_download(admin):
    _, _, measure_id = make_measure(admin)
    admin.post(
        f"/massnahmen/{measure_id}/entscheidung",
        {"program": "manual:gigabit", "decision": "shortlisted", "note": "passt"},
    )
    html = admin.get(f"/massnahmen/{measure_id}").get_data(as_text=True)
    assert "vorgemerkt" in html and 'value="passt"' in html
    bad = admin.post(f"/massnahmen/{measure_id}/entscheidung", {"program": "manual:gigabit", "decision": "vielleicht"})
    assert bad.status_code == 400
    draft = admin.get(f"/massnahmen/{measure_id}/entwurf?program=manual:gigabit&template=finanzierungsplan")
    assert draft.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(draft.data)).paragraphs)
    assert "Kosten- und Finanzierungsplan" in text
    assert admin.get(f"/massnahmen/{measure_id}/entwurf?program=manual:gibtsnicht").status_code == 404


def test_overview_xlsx_and_ics(admin):
    _, strategy_id, measure_id = make_measure(admin)
    admin.post(f"/massnahmen/{measure_id}/entscheidung", {"program": "manual:gigabit", "decision": "shortlisted"})
    page = admin.get(f"/strategien/{strategy_id}/foerderuebersicht").get_data(as_text=True)
    assert "Gigabitförderung Bayern" in page
    sheet = load_workbook(io.BytesIO(admin.get(f"/strategien/{strategy_id}/foerderuebersicht.xlsx").data))[
        "Förderübersicht"
    ]
    assert sheet.cell(2, 2).value == "Glasfaser für das Gewerbegebiet"
    calendar = Calendar.from_ical(admin.get(f"/strategien/{strategy_id}/fristen.ics").data)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1 and str(events[0]["dtstart"].dt) == "2099-03-31"


def test_measure_import_shows_row_errors_before_saving(admin):
    _, strategy_id, _ = make_measure(admin)
    bad = "Titel;Kosten\nApp;zwölf\n;100\n".encode()
    response = admin.post(
        f"/strategien/{strategy_id}",
        {"action": "import", "file": (io.BytesIO(bad), "liste.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nichts importiert" in html and "zwölf" in html
    assert html.count("<tr><td><a") == 1
    good = admin.post(
        f"/strategien/{strategy_id}",
        {"action": "import", "file": (io.BytesIO(example_csv().encode()), "liste.csv")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert admin.get(f"/strategien/{strategy_id}").get_data(as_text=True).count("<tr><td><a") == 4


def test_upload_type_and_size_are_checked(admin):
    _, strategy_id, _ = make_measure(admin)
    pdf = admin.post(
        f"/strategien/{strategy_id}",
        {"action": "import", "file": (io.BytesIO(b"%PDF-1.7 ..."), "liste.xlsx")},
        content_type="multipart/form-data",
    )
    assert pdf.status_code == 422
    # The test client spools a large body to a temporary file and leaves it open when the app refuses
    # the request early; building the request here lets the test close it.
    builder = EnvironBuilder(
        path=f"/strategien/{strategy_id}",
        method="POST",
        data={"action": "import", "csrf_token": admin.token, "file": (io.BytesIO(b"x" * 3_000_000), "liste.csv")},
        content_type="multipart/form-data",
    )
    environ = builder.get_environ()
    try:
        assert admin.client.open(environ).status_code == 413
    finally:
        environ["wsgi.input"].close()
        builder.close()


def test_example_files(admin):
    assert admin.get("/massnahmen/beispiel.csv").get_data(as_text=True).startswith("\ufeff")
    workbook = load_workbook(io.BytesIO(admin.get("/massnahmen/beispiel.xlsx").data))
    assert workbook.active.cell(1, 1).value


def test_only_admins_start_a_refresh(admin, consultant, app, monkeypatch):
    from fundmatch.web import sources_views

    started = []
    monkeypatch.setattr(sources_views, "start_refresh", lambda application: started.append(application))
    assert consultant.post("/quellen/aktualisieren").status_code == 403
    assert admin.post("/quellen/aktualisieren").status_code == 302
    assert len(started) == 1
    assert "Jetzt aktualisieren" not in consultant.get("/quellen/").get_data(as_text=True)


def test_unexpected_error_in_the_background_refresh_is_reported_as_failed(app, admin, monkeypatch, capsys):
    from fundmatch import refresh
    from fundmatch.web import sources_views

    def broken(*_args, **_kwargs):
        raise AttributeError("defekt")

    monkeypatch.setattr(refresh, "refresh", broken)
    job = sources_views.start_refresh(app)
    job.thread.join(timeout=10)
    assert job.done and job.error and "internen Fehler" in job.error
    status = admin.get("/quellen/status").get_data(as_text=True)
    assert "Aktualisierung fehlgeschlagen" in status and "abgeschlossen" not in status
    assert "AttributeError: defekt" in capsys.readouterr().err


def test_refresh_job_reports_progress(app, admin, fixture_server):
    from fundmatch.web.sources_views import start_refresh
    from tests.test_refresh import EU_PATH, EXPORT_PATH, eu_page, export_zip, zip_reply

    fixture_server.plan("/robots.txt", Reply(b"User-agent: *\n", content_type="text/plain"))
    fixture_server.plan("/" + EXPORT_PATH, zip_reply(export_zip()))
    fixture_server.plan(EU_PATH, eu_page(1), eu_page(2))
    app.extensions["fundmatch.settings"] = replace(
        app.extensions["fundmatch.settings"],
        source_urls={"foerderdatenbank": fixture_server.url, "eu_funding_tenders": fixture_server.url + EU_PATH},
        source_expected={"foerderdatenbank": (3, 50), "eu_funding_tenders": (2, 50)},
        http_min_delay_s=0,
    )
    job = start_refresh(app)
    job.thread.join(timeout=60)
    assert job.done and job.error is None
    status = admin.get("/quellen/status").get_data(as_text=True)
    assert "Aktualisierung abgeschlossen" in status and "[foerderdatenbank] ok: 6 new" in status
    page = admin.get("/quellen/").get_data(as_text=True)
    assert "EU Funding &amp; Tenders Portal" in page and "badge ok" in page


def held_run(database, *, withdraws: str = "led") -> int:
    """A run of the test source held for review: it lists every program but ``withdraws``."""
    from sqlalchemy import select

    from fundmatch import review
    from fundmatch.models import Program, ScrapeRun

    with database.session() as session:
        stored = session.scalars(select(Program).where(Program.source_id != withdraws))
        kept = [catalogue.record_from_program(program) for program in stored]
        run = ScrapeRun(source_id="manual", status="held", complete=True, message="zur Prüfung angehalten: 1 von 3")
        session.add(run)
        session.flush()
        review.hold(session, run, ["1 von 3 Programmen würden zurückgezogen"], kept, {r.source_id for r in kept})
        return run.id


def test_admins_confirm_or_reject_a_held_run_on_the_sources_page(app, admin, consultant, database):
    run_id = held_run(database)
    page = admin.get("/quellen/").get_data(as_text=True)
    assert "zur Prüfung angehalten" in page and f"/quellen/laeufe/{run_id}/uebernehmen" in page
    assert "/uebernehmen" not in consultant.get("/quellen/").get_data(as_text=True)
    assert consultant.post(f"/quellen/laeufe/{run_id}/uebernehmen").status_code == 403
    confirmed = admin.post(f"/quellen/laeufe/{run_id}/uebernehmen", follow_redirects=True).get_data(as_text=True)
    assert f"Lauf #{run_id} übernommen: 0 neu, 0 geändert, 0 zurückgezogen." in confirmed
    with database.session() as session:
        assert catalogue.get_program(session, "manual", "led").missed_runs == 1  # withdrawn at the next miss
    again = admin.post(f"/quellen/laeufe/{run_id}/uebernehmen")
    assert again.status_code == 409 and "nicht zur Prüfung angehalten" in again.get_data(as_text=True)
    assert admin.post("/quellen/laeufe/99999/uebernehmen").status_code == 404

    second = held_run(database, withdraws="sachsen")
    rejected = admin.post(f"/quellen/laeufe/{second}/verwerfen", follow_redirects=True).get_data(as_text=True)
    assert f"Lauf #{second} verworfen" in rejected and "verworfen von admin" in rejected
    with database.session() as session:
        assert catalogue.get_program(session, "manual", "sachsen").status != "withdrawn"


def test_api_confirms_and_rejects_held_runs_for_admins_only(app, api, database):
    run_id = held_run(database)
    assert api("POST", f"/api/v1/sources/runs/{run_id}/confirm").status_code == 403  # a consultant's token
    with database.session() as session:
        from sqlalchemy import select

        from fundmatch.models import User

        token = users.issue_api_token(session, session.scalar(select(User).where(User.username == "admin")))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post(f"/api/v1/sources/runs/{run_id}/confirm", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["status"], answer.get_json()["unchanged"]) == ("ok", 2)
    conflict = client.post(f"/api/v1/sources/runs/{run_id}/reject", headers=headers)
    assert conflict.status_code == 409 and "nicht zur Prüfung angehalten" in conflict.get_json()["message"]
    assert client.post("/api/v1/sources/runs/99999/confirm", headers=headers).status_code == 404


# ---- API ---------------------------------------------------------------------------------------


@pytest.fixture
def api(app, database):
    with database.session() as session:
        from sqlalchemy import select

        from fundmatch.models import User

        token = users.issue_api_token(session, session.scalar(select(User).where(User.username == "berater")))
    client = app.test_client()

    def call(method: str, url: str, **kwargs):
        return client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    return call


def test_api_programs_search_and_detail(api):
    data = api("GET", "/api/v1/programs?q=Glasfaser&land=BY").get_json()
    assert data["total"] == 1 and data["programs"][0]["key"] == "manual:gigabit"
    detail = api("GET", "/api/v1/programs/manual/gigabit").get_json()
    assert detail["program"]["title"] == "Gigabitförderung Bayern" and detail["history"] == []
    assert api("GET", "/api/v1/programs?sort=zufall").status_code == 400


def test_api_municipality_measure_matches_decisions_draft(api):
    created = api("POST", "/api/v1/municipalities", json={"name": "Stadt Beispiel", "land": "BY"})
    assert created.status_code == 201
    municipality_id = created.get_json()["id"]
    strategy = api(
        "POST", f"/api/v1/municipalities/{municipality_id}/strategies", json={"title": "Strategie"}
    ).get_json()
    measure = api(
        "POST",
        f"/api/v1/strategies/{strategy['id']}/measures",
        json={"title": "Glasfaser im Gewerbegebiet", "cost_eur": 500000, "planned_start": "2027-04-01"},
    )
    assert measure.status_code == 201, measure.get_json()
    assert measure.get_json()["cost_eur"] == 500000 and measure.get_json()["planned_start"] == "2027-04-01"
    measure_id = measure.get_json()["id"]
    matches = api("GET", f"/api/v1/measures/{measure_id}/matches?top=5").get_json()
    assert matches["format"] == "fundmatch-matches" and matches["results"][0]["matches"][0]["source_id"] == "gigabit"
    decided = api(
        "POST",
        f"/api/v1/measures/{measure_id}/decisions",
        json={"program": "manual:gigabit", "decision": "shortlisted"},
    )
    assert decided.status_code == 201 and decided.get_json()["decisions"][0]["decision"] == "shortlisted"
    draft = api("GET", f"/api/v1/measures/{measure_id}/draft?program=manual:gigabit")
    assert draft.status_code == 200 and draft.data[:2] == b"PK"


def test_api_validation_errors(api):
    invalid = api("POST", "/api/v1/municipalities", json={"name": "", "land": "XX"})
    assert invalid.status_code == 422 and set(invalid.get_json()["errors"]) == {"name", "land"}
    assert invalid.get_json()["errors"]["name"] == "darf nicht leer sein"
    typed = api("POST", "/api/v1/municipalities", json={"name": "Stadt", "land": "BY", "population": "12000"})
    assert typed.get_json()["errors"] == {"population": "muss eine Zahl sein, nicht '12000'"}
    town = api("POST", "/api/v1/municipalities", json={"name": "Stadt", "land": "BY"}).get_json()
    strategy = api("POST", f"/api/v1/municipalities/{town['id']}/strategies", json={"title": "S"}).get_json()
    costly = api(
        "POST", f"/api/v1/strategies/{strategy['id']}/measures", json={"title": "Glasfaser", "cost_eur": 1e308}
    )
    assert costly.status_code == 422
    assert costly.get_json()["errors"]["cost_eur"].startswith("muss zwischen 0 und 1e+12 liegen")
    assert api("GET", "/api/v1/programs?page=0").get_json()["errors"] == {"page": "muss mindestens 1 sein"}
    assert api("POST", "/api/v1/municipalities", data="kein json").status_code == 400
    assert api("GET", "/api/v1/measures/999").status_code == 404
    assert api("POST", "/api/v1/match", json={"format": "x"}).status_code == 422


def test_api_match_free_measures(api):
    body = {"format": "fundmatch-measures", "version": 1, "measures": [{"id": "a", "title": "Glasfaser", "land": "BY"}]}
    data = api("POST", "/api/v1/match?top=3", json=body).get_json()
    assert data["results"][0]["measure_id"] == "a" and len(data["results"][0]["matches"]) <= 3


def test_an_empty_catalogue_is_explained_not_a_server_error(settings, database, make_app):
    with database.session() as session:
        users.create_user(session, "admin", PASSWORD, "admin")
    browser = Browser(make_app(replace(settings, secret_key="test-secret"), testing=True), "admin")
    _, _, measure_id = make_measure(browser)
    page = browser.get(f"/massnahmen/{measure_id}")
    assert page.status_code == 200 and "Der Katalog enthält noch keine Programme" in page.get_data(as_text=True)
    assert browser.get("/katalog/?q=Glasfaser").status_code == 200
    api = browser.get(f"/api/v1/measures/{measure_id}/matches")
    assert api.status_code == 409 and "fundmatch seed" in api.get_json()["message"]


def test_api_with_session_needs_csrf_for_writes(admin):
    assert admin.client.post("/api/v1/municipalities", json={"name": "X", "land": "BY"}).status_code == 400
    ok = admin.client.post(
        "/api/v1/municipalities", json={"name": "X", "land": "BY"}, headers={"X-CSRFToken": admin.token}
    )
    assert ok.status_code == 201


def test_openapi_document(api):
    document = api("GET", "/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/measures/{measure_id}/matches" in document["paths"]
    schemas = document["components"]["schemas"]
    population = schemas["MunicipalityInput"]["properties"]["population"]
    assert population["anyOf"][0]["type"] == "integer" and population["anyOf"][1] == {"type": "null"}
    assert schemas["MeasureInput"]["properties"]["cost_eur"]["anyOf"][0]["maximum"] == 1e12
    json.dumps(document)


def test_every_api_route_is_in_the_openapi_document(app):
    """Generated from the URL map, so a new API route without a declared operation fails here."""
    from fundmatch.web.api import openapi_document

    document = openapi_document()
    documented = {
        (re.sub(r"\{(\w+)\}", r"<\1>", path), method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {rule.rule} is not in the OpenAPI document"


def test_serve_loads_the_catalogue_and_prints_first_credentials(run_cli, monkeypatch, settings):
    import waitress

    if not settings.is_embedded:
        refused = run_cli("serve")
        assert refused.exit_code == 1 and "FUNDMATCH_SECRET_KEY must be set" in refused.stderr
        monkeypatch.setenv("FUNDMATCH_SECRET_KEY", "team-secret")
    served = []
    monkeypatch.setattr(waitress, "serve", lambda app, **options: served.append(options))
    result = run_cli("serve", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert "Katalog mit 156 kuratierten Programmen geladen" in result.stdout
    assert re.search(r"Benutzer: admin  Passwort: \S{12,}", result.stdout)
    assert served == [{"host": "127.0.0.1", "port": 8123, "threads": 8, "ident": "fundmatch"}]
    again = run_cli("serve", "--port", "8123")
    assert "Passwort" not in again.stdout


def test_users_commands(run_cli):
    short = run_cli("users", "create", "--username", "kim", "--password", "kurz")
    assert short.exit_code == 1 and "at least 10 characters" in short.stderr
    assert run_cli("users", "create", "--username", "kim", "--password", PASSWORD, "--role", "admin").exit_code == 0
    assert "exists already" in run_cli("users", "create", "--username", "kim", "--password", PASSWORD).stderr
    token = run_cli("users", "token", "--username", "kim").stdout.strip()
    assert token.startswith("fm_") and len(token) > 30
    assert "no user 'nobody'" in run_cli("users", "token", "--username", "nobody").stderr


def test_the_product_hashes_passwords_with_scrypt():
    from tests.conftest import PRODUCT_PASSWORD_METHOD

    assert PRODUCT_PASSWORD_METHOD == "scrypt"


def test_ids_beyond_32_bits_and_nul_bytes_are_no_server_errors(api, admin):
    """PostgreSQL refuses both (integer out of range, NUL in text); SQLite took them silently."""
    assert api("GET", "/api/v1/measures/2147483648").status_code == 404
    assert api("GET", "/api/v1/municipalities/99999999999999").status_code == 404
    assert admin.get("/massnahmen/2147483648").status_code == 404
    created = api("POST", "/api/v1/municipalities", json={"name": "Null\x00stadt", "land": "BY", "address": "A\x00B"})
    assert created.status_code == 201 and created.get_json()["name"] == "Nullstadt"
    assert created.get_json()["address"] == "AB"
    form = admin.post("/kommunen", {"name": "Form\x00dorf", "land": "NW"})
    assert form.status_code == 302
    assert "Formdorf" in admin.get("/kommunen").get_data(as_text=True)
    assert api("GET", "/api/v1/programs?q=Glas%00faser").status_code == 200


def test_logout_ends_every_copy_of_the_session_cookie(app):
    browser = Browser(app, "berater")
    assert browser.get("/kommunen").status_code == 200
    copied = browser.client.get_cookie("session").value
    assert browser.get("/kommunen").headers["Cache-Control"] == "no-store"
    assert browser.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    replayed = thief.get("/kommunen")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert thief.get("/api/v1/municipalities").status_code == 401
    again = Browser(app, "berater")  # a new login works and is not voided by the old logout
    assert again.get("/kommunen").status_code == 200


# ---- curated programs -----------------------------------------------------------------------------


CURATED = {
    "title": "Digitale Dörfer Hessen",
    "url": "https://example.org/digitale-doerfer",
    "level": "land",
    "status": "open",
    "funder": "Hessisches Ministerium für Digitalisierung",
    "summary": "Zuschüsse für digitale Dorfprojekte.",
    "funding_rate_max": "80 %",
    "amount_max_eur": "250.000",
    "deadlines": "31.03.2027; Stichtag; jährlich; erste Runde\n30.09.2027",
    "documents": "Richtlinie Digitale Dörfer | https://example.org/rl.pdf | Richtlinie",
    "facts_as_of": "01.12.2026",
    "review_due": "01.06.2027",
}


def test_admins_create_and_edit_curated_programs_with_revisions(app, admin, consultant, database):
    assert consultant.get("/katalog/kuratiert/neu").status_code == 403
    form = MultiDict({**CURATED, "regions": "HE"})
    form.add("topics", "digitalisierung")
    form.add("topics", "landwirtschaft_laendliche_entwicklung")
    form.add("funding_types", "zuschuss")
    form.add("applicant_types", "kommune")
    created = admin.post("/katalog/kuratiert/neu", form)
    assert created.status_code == 302, re.findall(r"<li>(.*?)</li>", created.get_data(as_text=True))
    assert created.headers["Location"].endswith("/katalog/manual/land/he/digitale-doerfer-hessen")
    with database.session() as session:
        program = catalogue.get_program(session, "manual", "land/he/digitale-doerfer-hessen")
        record = catalogue.record_from_program(program)
    assert (
        record.topics == ["digitalisierung", "landwirtschaft_laendliche_entwicklung"] and record.funding_rate_max == 80
    )
    assert record.amount_max_eur == 250_000 and record.review_due.isoformat() == "2027-06-01"
    assert [(d.date.isoformat(), d.kind, d.recurrence) for d in record.deadlines] == [
        ("2027-03-31", "cutoff", "yearly"),
        ("2027-09-30", "submission", None),
    ]
    assert record.documents[0].kind == "richtlinie"
    page = admin.get("/katalog/manual/land/he/digitale-doerfer-hessen").get_data(as_text=True)
    assert "Kuratierten Eintrag bearbeiten" in page and "Stand der Angaben: 01.12.2026" in page
    edit_page = admin.get("/katalog/kuratiert/bearbeiten/land/he/digitale-doerfer-hessen").get_data(as_text=True)
    assert "31.03.2027; Stichtag; jährlich; erste Runde" in edit_page and 'value="80"' in edit_page
    edited = MultiDict({**CURATED, "funding_rate_max": "90", "regions": "HE"})
    edited.add("funding_types", "zuschuss")
    edited.add("topics", "digitalisierung")
    saved = admin.post("/katalog/kuratiert/bearbeiten/land/he/digitale-doerfer-hessen", edited)
    assert saved.status_code == 302, re.findall(r"<li>(.*?)</li>", saved.get_data(as_text=True))
    with database.session() as session:
        program = catalogue.get_program(session, "manual", "land/he/digitale-doerfer-hessen")
        assert program.funding_rate_max == 90
        assert program.revisions[-1].diff["funding_rate_max"] == [80, 90]


def test_a_curated_form_with_errors_names_each_field_and_saves_nothing(app, admin, database):
    bad = {**CURATED, "regions": "XX", "funding_rate_max": "180 %", "deadlines": "irgendwann", "url": "javascript:x"}
    answer = admin.post("/katalog/kuratiert/neu", bad)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "unbekannt: &#39;XX&#39;" in html and "deadlines" in html and "Zeile 1" in html
    with database.session() as session:
        assert catalogue.get_program(session, "manual", "land/he/digitale-doerfer-hessen") is None
    assert admin.get("/katalog/kuratiert/bearbeiten/gibt/es/nicht").status_code == 404


def test_the_dashboard_lists_curated_programs_due_for_review(app, admin, database):
    from datetime import date

    with database.session() as session:
        catalogue.apply_records(session, [record("due", title="Fällig", review_due=date(2026, 1, 1))])
        catalogue.apply_records(session, [record("later", title="Später", review_due=date(2099, 1, 1))])
    html = admin.get("/").get_data(as_text=True)
    section = html[html.index("Prüfung fällig") :]
    assert "Fällig" in section and "01.01.2026" in section and "Später" not in section


def test_api_matches_follow_the_verdicts_and_name_the_section(app, api, admin, database):
    _, _, measure_id = make_measure(admin)
    admin.post(f"/massnahmen/{measure_id}/entscheidung", {"program": "manual:gigabit", "decision": "not_relevant"})
    (result,) = api("GET", f"/api/v1/measures/{measure_id}/matches?include_ineligible=true").get_json()["results"]
    assert result["hidden"] == ["manual:gigabit"]
    assert "manual:gigabit" not in [m["source"] + ":" + m["source_id"] for m in result["matches"]]
    assert {m["section"] for m in result["matches"]} <= {"specific", "general"}
    assert all(m["instrument"] for m in result["matches"])


def test_the_teams_verdicts_become_a_judged_set_the_matcher_is_scored_on(app, admin, run_cli, tmp_path):
    _, strategy_id, first = make_measure(admin, title="Glasfaser Ortsteil 0")
    ids = [first]
    for n in range(1, 4):
        added = admin.post(
            f"/strategien/{strategy_id}",
            {"action": "measure", "title": f"Glasfaser Ortsteil {n}", "description": "FTTH"},
        )
        ids.append(int(added.headers["Location"].rsplit("/", 1)[1]))
    for measure_id in ids:
        admin.post(f"/massnahmen/{measure_id}/entscheidung", {"program": "manual:gigabit", "decision": "shortlisted"})
        admin.post(f"/massnahmen/{measure_id}/entscheidung", {"program": "manual:led", "decision": "not_relevant"})
    exported = run_cli("verdicts")
    assert exported.exit_code == 0, exported.output
    gold = json.loads(exported.stdout)
    assert gold["format"] == "fundmatch-gold" and gold["heldout"] == [str(ids[-1])]  # the last quarter in time
    assert gold["judgments"][str(ids[0])] == {"manual:gigabit": 2, "manual:led": 0}
    path = tmp_path / "urteile.json"
    path.write_text(exported.stdout, encoding="utf-8")
    scored = run_cli("eval", str(path), "--format", "json")
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["fundmatch"]["all"]["ndcg@10"] == 1.0  # the shortlisted program ranks first
