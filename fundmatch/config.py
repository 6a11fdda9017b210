"""Settings from environment variables, with the embedded SQLite default under a per-user data dir.

Nothing is ever written into the installed package: the data dir holds the database, the matcher's
index cache, downloads and the generated secret key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from platformdirs import user_data_dir

from fundmatch import __version__
from fundmatch.errors import ConfigurationError

ENV_PREFIX = "FUNDMATCH_"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int, low: int, high: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise ConfigurationError(f"{ENV_PREFIX}{name} muss eine ganze Zahl von {low} bis {high} sein, nicht {raw!r}")
    return int(raw)


def _env_share(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)  # a plain number, as every FUNDMATCH_* setting is written
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise ConfigurationError(f"{ENV_PREFIX}{name} muss ein Anteil über 0 bis 1 sein (0.05 für 5 %), nicht {raw!r}")
    return value


def _env_seconds(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 86_400:
        raise ConfigurationError(f"{ENV_PREFIX}{name} muss eine Zahl von Sekunden sein, nicht {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build with :func:`load_settings`; tests build their own."""

    data_dir: Path
    database_url: str
    template_dir: Path | None = None
    user_agent: str = f"fundmatch/{__version__} (+https://github.com/fundmatch; kontakt@fundmatch.invalid)"
    contact_email: str = "kontakt@fundmatch.invalid"
    http_timeout_s: float = 30.0
    http_min_delay_s: float = 1.0
    max_import_mb: int = 32
    secret_key: str | None = None
    source_urls: dict[str, str] = field(default_factory=dict)
    source_expected: dict[str, tuple[int, int]] = field(default_factory=dict)
    refresh_lock_stale_s: float = 120.0
    source_deadline_s: float = 7_200.0
    source_max_mb: int = 1_024
    review_share: float = 0.05
    review_minimum: int = 10
    secure_cookies: bool = False
    behind_proxy: bool = False

    @property
    def is_embedded(self) -> bool:
        """True for SQLite, the zero set-up database that migrates itself on first use."""
        return self.database_url.startswith("sqlite")

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)


def _source_overrides() -> tuple[dict[str, str], dict[str, tuple[int, int]]]:
    """``FUNDMATCH_SOURCE_URL_<ID>`` and ``FUNDMATCH_SOURCE_EXPECTED_<ID>=MIN-MAX`` per source."""
    urls: dict[str, str] = {}
    expected: dict[str, tuple[int, int]] = {}
    for name, value in os.environ.items():
        if name.startswith(ENV_PREFIX + "SOURCE_URL_") and value:
            urls[name.removeprefix(ENV_PREFIX + "SOURCE_URL_").lower()] = value
        elif name.startswith(ENV_PREFIX + "SOURCE_EXPECTED_") and value:
            match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", value)
            if not match:
                raise ConfigurationError(f"{name} muss die Form MIN-MAX haben, nicht {value!r}")
            expected[name.removeprefix(ENV_PREFIX + "SOURCE_EXPECTED_").lower()] = (int(match[1]), int(match[2]))
    return urls, expected


def load_settings(database_url: str | None = None, data_dir: str | Path | None = None) -> Settings:
    """Settings from ``FUNDMATCH_*`` variables; explicit arguments (CLI options) win."""
    directory = Path(data_dir or _env("DATA_DIR") or user_data_dir("fundmatch", appauthor=False))
    url = database_url or _env("DATABASE_URL") or f"sqlite:///{directory / 'fundmatch.sqlite3'}"
    template_dir = _env("TEMPLATE_DIR")
    user_agent = _env("USER_AGENT")
    source_urls, source_expected = _source_overrides()
    return Settings(
        data_dir=directory,
        database_url=url,
        template_dir=Path(template_dir) if template_dir else None,
        user_agent=user_agent or Settings.user_agent,
        contact_email=_env("CONTACT_EMAIL", Settings.contact_email) or Settings.contact_email,
        http_timeout_s=_env_seconds("HTTP_TIMEOUT", Settings.http_timeout_s),
        http_min_delay_s=_env_seconds("HTTP_MIN_DELAY", Settings.http_min_delay_s),
        max_import_mb=_env_int("MAX_IMPORT_MB", Settings.max_import_mb, 1, 4096),
        refresh_lock_stale_s=_env_seconds("REFRESH_LOCK_STALE", Settings.refresh_lock_stale_s),
        source_deadline_s=_env_seconds("SOURCE_DEADLINE", Settings.source_deadline_s),
        source_max_mb=_env_int("SOURCE_MAX_MB", Settings.source_max_mb, 1, 100_000),
        review_share=_env_share("REVIEW_SHARE", Settings.review_share),
        review_minimum=_env_int("REVIEW_MINIMUM", Settings.review_minimum, 1, 1_000_000),
        secret_key=_env("SECRET_KEY"),
        source_urls=source_urls,
        source_expected=source_expected,
        secure_cookies=_env("SECURE_COOKIES", "") in ("1", "true", "yes"),
        behind_proxy=_env("BEHIND_PROXY", "") in ("1", "true", "yes"),
    )
