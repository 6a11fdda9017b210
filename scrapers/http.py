"""The one HTTP layer every source uses: polite, patient, and suspicious of what comes back.

An identifying User-Agent, timeouts, retries with exponential backoff and jitter (connection
errors, 429, 5xx; ``Retry-After`` honoured), robots.txt obeyed with its ``Crawl-delay`` as the
per-host throttle (at least ``min_delay_s``), bot walls recognised as errors, conditional and
streamed downloads of big files with a size cap, and a budget per source run (an overall deadline
and a byte limit, checked on every chunk that arrives, so a server that drips bytes just under the
read timeout cannot hold a refresh forever). Nobody creates an ``httpx.Client`` elsewhere.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from fundmatch.errors import FundmatchError
from fundmatch.german import format_number

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
BOT_WALL_TITLES = (b"radware", b"captcha", b"bot manager", b"access denied")


class FetchError(FundmatchError):
    """A request that did not give usable content after the allowed retries."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class BotWallError(FetchError):
    """The site answered with a bot wall (CAPTCHA) instead of content: stop, never retry quickly."""


class RobotsDisallowed(FetchError):
    """robots.txt forbids this URL to our User-Agent."""


class RunLimitExceeded(FundmatchError):
    """A source run passed its overall deadline or byte limit: the run ends, it is not retried."""


class RunBudget:
    """The deadline and byte limit of one source run, shared by every request in it."""

    def __init__(self, seconds: float, max_bytes: int):
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.deadline = time.monotonic() + seconds
        self.received = 0

    def check(self, url: str, more: int = 0) -> None:
        self.received += more
        if self.received > self.max_bytes:
            limit = format_number(self.max_bytes, grouping=True)
            raise RunLimitExceeded(f"{url}: der Lauf hat mehr als {limit} Bytes empfangen (Grenze je Lauf)")
        if time.monotonic() > self.deadline:
            raise RunLimitExceeded(
                f"{url}: Zeitlimit des Laufs von {format_number(self.seconds, grouping=True)} s überschritten"
            )

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class _BudgetStream(httpx.SyncByteStream):
    """A response body that counts every raw chunk against the run's budget as it arrives."""

    def __init__(self, stream: httpx.SyncByteStream, budget: Callable[[], RunBudget | None], url: str):
        self._stream = stream
        self._budget = budget
        self._url = url

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            budget = self._budget()
            if budget is not None:
                budget.check(self._url, len(chunk))
            yield chunk

    def close(self) -> None:
        self._stream.close()


class _BudgetTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, budget: Callable[[], RunBudget | None]):
        self._inner = inner
        self._budget = budget

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)  # a sync client's transport answers sync streams
        response.stream = _BudgetStream(response.stream, self._budget, str(request.url))
        return response

    def close(self) -> None:
        self._inner.close()


@dataclass(frozen=True)
class HttpPolicy:
    """How politely and patiently to fetch. Tests shrink the delays; production keeps the defaults."""

    user_agent: str
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    min_delay_s: float = 1.0
    max_retries: int = 4
    backoff_base_s: float = 2.0
    max_retry_after_s: float = 300.0
    obey_robots: bool = True


def is_bot_wall(content: bytes, content_type: str) -> bool:
    """A small HTML page whose title names a bot wall (the status may well be 200)."""
    if "html" not in content_type.lower() and not content.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
        return False
    match = _TITLE.search(content[:20_000])
    title = match.group(1).lower() if match else b""
    return any(marker in title for marker in BOT_WALL_TITLES)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _meta_path(target: Path) -> Path:
    """Where the validators (ETag, Last-Modified) of a cached download are kept."""
    return target.with_name(target.name + ".meta.json")


@dataclass
class Download:
    """A file on disk from :meth:`Fetcher.download`; ``not_modified`` when the cached copy was current."""

    path: Path
    size: int
    not_modified: bool

    def discard(self) -> None:
        """Forget a download that did not parse, so the next run fetches it whole instead of a 304."""
        self.path.unlink(missing_ok=True)
        _meta_path(self.path).unlink(missing_ok=True)


class Fetcher:
    """Polite HTTP for one refresh: one client, robots and throttle state per host."""

    def __init__(
        self,
        policy: HttpPolicy,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        progress: bool | None = None,
    ):
        self.policy = policy
        self._sleep = sleep
        self._progress = sys.stderr.isatty() if progress is None else progress
        self._robots: dict[str, RobotFileParser | None] = {}
        self._last_request: dict[str, float] = {}
        self._budget: RunBudget | None = None
        self.client = httpx.Client(
            headers={"User-Agent": policy.user_agent, "Accept-Language": "de-DE,de;q=0.9,en;q=0.5"},
            timeout=httpx.Timeout(policy.timeout_s, connect=policy.connect_timeout_s),
            follow_redirects=True,
            transport=_BudgetTransport(transport or httpx.HTTPTransport(), lambda: self._budget),
        )

    @contextmanager
    def budget(self, seconds: float, max_bytes: int) -> Iterator[RunBudget]:
        """Every request in the block shares one deadline and byte limit (one source run).

        A wait for the next chunk is bounded by the read timeout, so a run ends at most one timeout
        after its deadline."""
        self._budget = RunBudget(seconds, max_bytes)
        try:
            yield self._budget
        finally:
            self._budget = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def _host(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def _robots_for(self, host: str) -> RobotFileParser | None:
        if host not in self._robots:
            parser: RobotFileParser | None = None
            try:
                response = self._send("GET", f"{host}/robots.txt", {})
            except FetchError:
                response = None
            if (
                response is not None
                and response.status_code == 200
                and not is_bot_wall(response.content, response.headers.get("content-type", ""))
            ):
                parser = RobotFileParser()
                parser.parse(response.text.splitlines())
            self._robots[host] = parser
        return self._robots[host]

    def _throttle(self, host: str, robots: RobotFileParser | None) -> None:
        delay = self.policy.min_delay_s
        if robots is not None:
            crawl_delay = robots.crawl_delay(self.policy.user_agent)
            if crawl_delay is not None:
                delay = max(delay, float(crawl_delay))
        last = self._last_request.get(host)
        if last is not None:
            wait = last + delay - time.monotonic()
            if wait > 0:
                self._sleep(wait)
        self._last_request[host] = time.monotonic()

    def _send(self, method: str, url: str, kwargs: dict, *, stream: bool = False) -> httpx.Response:
        """One request with retries; the throttle applies to every attempt."""
        host = self._host(url)
        attempt = 0
        while True:
            if self._budget is not None:
                self._budget.check(url)
            self._throttle(host, self._robots.get(host))
            try:
                if stream:
                    request = self.client.build_request(method, url, **kwargs)
                    response = self.client.send(request, stream=True)
                else:
                    response = self.client.request(method, url, **kwargs)
            except (httpx.TransportError, httpx.DecodingError) as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if attempt >= self.policy.max_retries:
                    raise FetchError(url, f"{reason} (after {attempt + 1} attempts)") from None
                self._backoff(attempt, None)
                attempt += 1
                continue
            if response.status_code in RETRY_STATUS:
                retry_after = _retry_after_seconds(response.headers.get("retry-after"))
                response.close()
                if attempt >= self.policy.max_retries:
                    raise FetchError(url, f"HTTP {response.status_code} (after {attempt + 1} attempts)")
                if retry_after is not None and retry_after > self.policy.max_retry_after_s:
                    raise FetchError(url, f"HTTP {response.status_code} with Retry-After {retry_after:.0f} s: too long")
                self._backoff(attempt, retry_after)
                attempt += 1
                continue
            return response

    def _backoff(self, attempt: int, retry_after: float | None) -> None:
        exponential = self.policy.backoff_base_s * (2**attempt)
        jitter = random.uniform(0, self.policy.backoff_base_s)
        wait = max(retry_after or 0.0, exponential + jitter)
        if self._budget is not None:
            wait = min(wait, max(0.0, self._budget.remaining()))
        self._sleep(wait)

    def _check_allowed(self, url: str) -> None:
        if not self.policy.obey_robots:
            return
        robots = self._robots_for(self._host(url))
        if robots is not None and not robots.can_fetch(self.policy.user_agent, url):
            raise RobotsDisallowed(url, "robots.txt disallows this URL")

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        """A checked request: robots, throttle, retries; a bot wall or 4xx is an error."""
        self._check_allowed(url)
        response = self._send(method, url, kwargs)
        if is_bot_wall(response.content, response.headers.get("content-type", "")):
            raise BotWallError(url, "bot wall (CAPTCHA page) instead of content; stop and retry in hours")
        if response.status_code >= 400:
            raise FetchError(url, f"HTTP {response.status_code}")
        return response

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def download(self, url: str, target: Path, *, max_bytes: int) -> Download:
        """Stream ``url`` to ``target`` (conditional on the last download's ETag/Last-Modified).

        The file is written beside the target and moved into place only when complete, so a broken
        download never replaces a good one. More than ``max_bytes`` is an error. A caller that cannot
        parse the file calls :meth:`Download.discard`: a cache is only worth its 304 once it parsed.
        """
        self._check_allowed(url)
        meta_path = _meta_path(target)
        headers = {}
        if target.exists() and meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text())
            except (ValueError, OSError):
                meta = {}  # an unreadable note of the validators costs one full download, nothing more
            if meta.get("etag"):
                headers["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = meta["last_modified"]
        response = self._send("GET", url, {"headers": headers}, stream=True)
        try:
            if response.status_code == 304 and target.exists():
                return Download(target, target.stat().st_size, not_modified=True)
            if response.status_code >= 400:
                raise FetchError(url, f"HTTP {response.status_code}")
            declared = int(response.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise FetchError(url, f"declares {declared:,} bytes, more than the cap of {max_bytes:,} bytes")
            partial = target.with_name(target.name + ".part")
            target.parent.mkdir(parents=True, exist_ok=True)
            size = self._stream_to(response, partial, url, max_bytes, declared)
        finally:
            response.close()
        head = partial.read_bytes()[:2048] if size < 20_000 else b""
        if head and is_bot_wall(head, response.headers.get("content-type", "")):
            partial.unlink()
            raise BotWallError(url, "bot wall (CAPTCHA page) instead of the file")
        if declared and size != declared:
            partial.unlink()
            raise FetchError(url, f"download truncated: {size:,} of {declared:,} bytes")
        partial.replace(target)
        meta_path.write_text(
            json.dumps({"etag": response.headers.get("etag"), "last_modified": response.headers.get("last-modified")})
        )
        return Download(target, size, not_modified=False)

    def _stream_to(self, response: httpx.Response, partial: Path, url: str, max_bytes: int, declared: int) -> int:
        size = 0
        bar: ProgressBar[int] | None = None
        if self._progress:
            import click

            bar = click.progressbar(length=declared or None, label=f"Download {urlsplit(url).path}", file=sys.stderr)
            bar.__enter__()
        try:
            with partial.open("wb") as handle:
                try:
                    for chunk in response.iter_bytes(1 << 16):
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(url, f"more than the cap of {max_bytes:,} bytes")
                        handle.write(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
                except (httpx.TransportError, httpx.DecodingError) as exc:
                    raise FetchError(url, f"download interrupted after {size:,} bytes: {type(exc).__name__}") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        return size
