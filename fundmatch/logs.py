"""One logging configuration for the CLI, the web app and background work (Twelve-Factor style).

Logs are an event stream on stderr: plain lines for a terminal, JSON lines (one object per event,
with the event's fields such as ``method``, ``path``, ``status``, ``ms``, ``user_id``, ``source``,
``run_id``) when ``FUNDMATCH_LOG_FORMAT=json``. ``FUNDMATCH_LOG_LEVEL`` sets the level. Passwords,
tokens and cookies are never passed to a logger.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

from fundmatch.errors import ConfigurationError

LOGGER = "fundmatch"
_HANDLER_NAME = "fundmatch-stderr"
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Attributes every LogRecord has; anything else on a record was passed as ``extra`` and is an event field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the moment (test runners swap it per command)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        """The stream is always the current ``sys.stderr``."""


class _PlainFormatter(logging.Formatter):
    """``2026-12-07 10:00:00 INFO fundmatch.web GET /katalog/ 200 12 ms`` plus the event fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line


def configure(default_level: str = "WARNING") -> None:
    """Set up the ``fundmatch`` logger once per process; repeated calls only adjust the level."""
    level = (os.environ.get("FUNDMATCH_LOG_LEVEL") or default_level).upper()
    if level not in _LEVELS:
        raise ConfigurationError(f"FUNDMATCH_LOG_LEVEL muss einer von {', '.join(_LEVELS)} sein, nicht {level!r}")
    style = (os.environ.get("FUNDMATCH_LOG_FORMAT") or "text").lower()
    if style not in ("text", "json"):
        raise ConfigurationError(f"FUNDMATCH_LOG_FORMAT muss text oder json sein, nicht {style!r}")
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    logger.propagate = False
    handler = next((h for h in logger.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = _StderrHandler()
        handler.set_name(_HANDLER_NAME)
        logger.addHandler(handler)
    if style == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(_PlainFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%d %H:%M:%S"))
