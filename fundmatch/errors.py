"""The family of fundmatch's expected errors.

Every failure a user can cause or fix (bad input, a missing precondition, a broken source) is a
:class:`FundmatchError` whose message is the whole sentence to show, in German, naming what and where.
The edges catch this class only: the CLI prints the message and exits 1, the web answers 400 (or the
status the subclass names). Anything else is a bug and is logged with its traceback.
"""

from __future__ import annotations


class FundmatchError(Exception):
    """An expected failure; ``str(error)`` is the complete message for the user."""

    http_status = 400


class InputError(FundmatchError):
    """A value, file or request that fundmatch cannot use as it is."""


class ConflictError(FundmatchError):
    """The request is fine but the state does not allow it now (empty catalogue, running refresh)."""

    http_status = 409


class ConfigurationError(FundmatchError):
    """A ``FUNDMATCH_*`` setting with a value fundmatch cannot use; the message names the variable."""
