"""End to end in real headless Chromium (Debian's, driven by Playwright): a consultant's whole task.

Runs the app under waitress on 127.0.0.1 with the seed catalogue. Set FUNDMATCH_SCREENSHOT_DIR to
keep the screenshots (the match page is always taken).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from docx import Document

from fundmatch import catalogue, db, users
from fundmatch.config import Settings
from fundmatch.measure_import import example_csv
from fundmatch.web import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium not installed; CI installs it"),
]
PASSWORD = "browser-test-passwort"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from waitress.server import create_server

    folder = tmp_path_factory.mktemp("browser")
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'app.sqlite3'}")
    database = db.Database(settings)
    with database.session() as session:
        catalogue.seed_catalogue(session)
        users.create_user(session, "beraterin", PASSWORD, "consultant")
    database.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(settings)
    wsgi = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=wsgi.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    wsgi.close()
    app.extensions["fundmatch.database"].dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


def screenshot_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("FUNDMATCH_SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_consultant_from_measure_to_draft(server, browser, tmp_path):
    page = browser.new_page(accept_downloads=True, locale="de-DE")
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(f"{message.text} @ {message.location} on {page.url}") if message.type == "error" else None
        ),
    )

    page.goto(server + "/")
    assert "/login" in page.url
    page.get_by_label("Benutzername").fill("beraterin")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(server + "/")
    assert page.get_by_role("heading", name="Übersicht").is_visible()

    page.get_by_role("link", name="Kommunen", exact=True).click()  # due reviews on the dashboard name Kommunen too
    page.get_by_label("Name").fill("Markt Musterhausen")
    page.get_by_label("Bundesland").select_option("BY")
    page.get_by_label("Amtlicher Gemeindeschlüssel (8 Ziffern)").fill("09162000")
    page.get_by_label("Einwohner").fill("8200")
    page.get_by_role("button", name="Kommune anlegen").click()
    assert page.get_by_role("heading", name="Markt Musterhausen").is_visible()

    page.get_by_label("Titel").fill("Digitalstrategie 2030")
    page.get_by_role("button", name="Strategie anlegen").click()
    assert page.get_by_role("heading", name="Digitalstrategie 2030").is_visible()

    form = page.locator("form:has(input[name=action][value=measure])")
    form.get_by_label("Titel").fill("Glasfaser für das Gewerbegebiet")
    form.get_by_label("Beschreibung").fill(
        "FTTH-Anschlüsse für 40 Betriebe im Gewerbegebiet Nord, Ausbau im Betreibermodell."
    )
    form.get_by_label("Handlungsfeld").select_option("infrastruktur")
    form.get_by_label("Kosten (EUR)").fill("1.250.000")
    form.get_by_role("button", name="Maßnahme anlegen").click()

    page.wait_for_selector("ol.matches li.match")
    first = page.locator("li.match").first
    assert first.locator(".badge").first.inner_text() in ("förderfähig", "prüfen")
    assert "Fördergebiet" in first.locator(".reasons").inner_text()
    titles = page.locator("li.match h2").all_inner_texts()
    assert any("Gigabit" in title for title in titles), titles
    page.screenshot(path=str(screenshot_dir(tmp_path) / "treffer.png"), full_page=True)
    page.screenshot(path=str(screenshot_dir(tmp_path) / "treffer_oben.png"))

    first.get_by_role("button", name="Vormerken").click()
    first.locator(".badge", has_text="vorgemerkt").wait_for()

    with page.expect_download() as download_info:
        first.get_by_role("button", name="Entwurf erstellen").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    text = "\n".join([p.text for p in document.paragraphs] + cells)
    assert "Glasfaser für das Gewerbegebiet" in text and "Markt Musterhausen" in text

    page.get_by_role("link", name="Digitalstrategie 2030").click()
    csv = tmp_path / "massnahmen.csv"
    csv.write_text(example_csv(), encoding="utf-8")
    page.set_input_files("input[name=file]", str(csv))
    page.get_by_role("button", name="Importieren").click()
    page.locator(".flash.success", has_text="Maßnahmen importiert").wait_for()
    assert page.locator("table.data").first.locator("tbody tr").count() == 4
    page.screenshot(path=str(screenshot_dir(tmp_path) / "strategie.png"), full_page=True)

    assert not errors, errors
