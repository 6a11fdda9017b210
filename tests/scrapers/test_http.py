"""The shared HTTP layer against a local server with injected faults."""

from __future__ import annotations

import pytest

from fundmatch.scrapers.http import BotWallError, Fetcher, FetchError, HttpPolicy, RobotsDisallowed, is_bot_wall
from tests.conftest import FILES
from tests.fixture_server import RESET, Reply, Stall, Truncated

ROBOTS_OK = Reply(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetcher(sleeps: Sleeps, **policy) -> Fetcher:
    defaults = dict(user_agent="fundmatch-test (test@example.org)", min_delay_s=0, backoff_base_s=0.01, timeout_s=0.5)
    return Fetcher(HttpPolicy(**{**defaults, **policy}), sleep=sleeps, progress=False)


@pytest.fixture
def server(fixture_server):
    fixture_server.plan("/robots.txt", ROBOTS_OK)
    return fixture_server


def test_user_agent_and_language_are_sent(server):
    server.plan("/page", Reply(b"<html><title>ok</title></html>"))
    with fetcher(Sleeps()) as http:
        assert http.get(server.url + "/page").status_code == 200
    seen = server.requests[-1]
    assert seen.headers["User-Agent"] == "fundmatch-test (test@example.org)"
    assert seen.headers["Accept-Language"].startswith("de-DE")


def test_server_error_then_success_is_retried_with_backoff(server):
    server.plan("/page", Reply(b"boom", status=500), Reply(b"<html>ok</html>"))
    sleeps = Sleeps()
    with fetcher(sleeps) as http:
        assert http.get(server.url + "/page").text == "<html>ok</html>"
    assert server.hits("/page") == 2
    assert len(sleeps) == 1 and 0.01 <= sleeps[0] <= 0.03


def test_retry_after_is_honoured(server):
    server.plan("/page", Reply(status=429, headers={"Retry-After": "7"}), Reply(b"<html>ok</html>"))
    sleeps = Sleeps()
    with fetcher(sleeps) as http:
        http.get(server.url + "/page")
    assert sleeps == [7.0]


def test_too_long_retry_after_fails_at_once(server):
    server.plan("/page", Reply(status=503, headers={"Retry-After": "86400"}))
    with fetcher(Sleeps()) as http, pytest.raises(FetchError, match="Retry-After 86400 s: too long"):
        http.get(server.url + "/page")
    assert server.hits("/page") == 1


def test_persistent_errors_give_up_after_max_retries(server):
    server.plan("/page", Reply(status=502))
    with fetcher(Sleeps(), max_retries=2) as http, pytest.raises(FetchError, match=r"HTTP 502 \(after 3 attempts\)"):
        http.get(server.url + "/page")
    assert server.hits("/page") == 3


def test_read_timeout_is_retried(server):
    server.plan("/slow", Stall(1.0), Reply(b"<html>late but fine</html>"))
    with fetcher(Sleeps(), timeout_s=0.3) as http:
        assert http.get(server.url + "/slow").text == "<html>late but fine</html>"
    assert server.hits("/slow") == 2


def test_connection_reset_is_retried(server):
    server.plan("/flaky", RESET, Reply(b"<html>ok</html>"))
    with fetcher(Sleeps()) as http:
        assert http.get(server.url + "/flaky").status_code == 200


def test_client_error_is_not_retried(server):
    server.plan("/gone", Reply(status=404))
    with fetcher(Sleeps()) as http, pytest.raises(FetchError, match="HTTP 404"):
        http.get(server.url + "/gone")
    assert server.hits("/gone") == 1


def test_robots_disallow_is_obeyed(server):
    server.plan("/private/x", Reply(b"secret"))
    with fetcher(Sleeps()) as http, pytest.raises(RobotsDisallowed):
        http.get(server.url + "/private/x")
    assert server.hits("/private/x") == 0


def test_crawl_delay_throttles_each_host(server):
    server.plan("/robots.txt", Reply(b"User-agent: *\nCrawl-delay: 5\n", content_type="text/plain"))
    server.plan("/a", Reply(b"<html>a</html>"))
    sleeps = Sleeps()
    with fetcher(sleeps) as http:
        http.get(server.url + "/a")
        http.get(server.url + "/a")
    # robots.txt, then two pages: every request to the host waits out the delay
    assert len(sleeps) == 2 and all(4.5 < s <= 5 for s in sleeps)


def test_min_delay_applies_without_robots_delay(server):
    server.plan("/a", Reply(b"<html>a</html>"))
    sleeps = Sleeps()
    with fetcher(sleeps, min_delay_s=1.0) as http:
        http.get(server.url + "/a")
        http.get(server.url + "/a")
    assert sleeps and 0.5 < sleeps[-1] <= 1.0


def test_bot_wall_with_status_200_is_an_error_and_not_retried(server):
    server.plan("/page", Reply((FILES / "foerderdatenbank_botwall.html").read_bytes()))
    with fetcher(Sleeps()) as http, pytest.raises(BotWallError, match="bot wall"):
        http.get(server.url + "/page")
    assert server.hits("/page") == 1


def test_is_bot_wall_does_not_flag_real_pages():
    assert not is_bot_wall((FILES / "foerderdatenbank_detail_tabbed.html").read_bytes(), "text/html")
    assert not is_bot_wall(b'{"title": "Captcha"}', "application/json")
    assert is_bot_wall((FILES / "foerderdatenbank_botwall.html").read_bytes(), "text/html")


def test_download_is_conditional_and_keeps_the_old_file_on_304(server, tmp_path):
    server.plan(
        "/export",
        Reply(b"PK-first", headers={"ETag": '"v1"'}, content_type="application/zip"),
        Reply(status=304),
    )
    target = tmp_path / "export.zip"
    with fetcher(Sleeps()) as http:
        first = http.download(server.url + "/export", target, max_bytes=1000)
        second = http.download(server.url + "/export", target, max_bytes=1000)
    assert (first.not_modified, second.not_modified) == (False, True)
    assert target.read_bytes() == b"PK-first"
    assert server.requests[-1].headers["If-None-Match"] == '"v1"'


def test_truncated_download_is_an_error_and_keeps_the_previous_file(server, tmp_path):
    target = tmp_path / "export.zip"
    target.write_bytes(b"previous good file")
    server.plan("/export", Truncated(b"PK" + b"x" * 100, declared=5000))
    with fetcher(Sleeps(), max_retries=0) as http, pytest.raises(FetchError, match="interrupted|truncated"):
        http.download(server.url + "/export", target, max_bytes=100_000)
    assert target.read_bytes() == b"previous good file"
    assert not (tmp_path / "export.zip.part").exists()


def test_download_size_cap(server, tmp_path):
    server.plan("/export", Reply(b"x" * 5000, content_type="application/zip"))
    with fetcher(Sleeps()) as http, pytest.raises(FetchError, match="more than the cap of 1,000 bytes"):
        http.download(server.url + "/export", tmp_path / "e.zip", max_bytes=1000)
