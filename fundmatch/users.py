"""Users of the web app and API: admins and consultants, slow password hashes, API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from fundmatch.errors import InputError
from fundmatch.models import User

ROLES = ("admin", "consultant")
MIN_PASSWORD = 10
PASSWORD_METHOD = "scrypt"
"""Slow on purpose; the test suite swaps in a cheap method, never the product."""


@cache
def _dummy_hash(method: str) -> str:
    """A hash to compare against when the user does not exist, so both paths take the same time."""
    return generate_password_hash("fundmatch-dummy-password", method=method)


class UserError(InputError):
    """A user that cannot be created as asked."""


def normalise_username(username: str) -> str:
    """The one spelling of a user name for storage, login and the login throttle: " Carl\t" is "carl".

    Lower case as SQL's ``lower()`` has it, so accounts stored before this rule match too."""
    return username.strip().lower()


def user_by_name(session: Session, username: str) -> User | None:
    """The account of a user name in any spelling :func:`normalise_username` folds together."""
    return session.scalar(select(User).where(func.lower(func.trim(User.username)) == normalise_username(username)))


def create_user(session: Session, username: str, password: str, role: str) -> User:
    username = normalise_username(username)
    if not username or len(username) > 100:
        raise UserError("username must have 1 to 100 characters")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; valid: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")
    if user_by_name(session, username) is not None:
        raise UserError(f"user {username!r} exists already")
    user = User(username=username, password_hash=generate_password_hash(password, method=PASSWORD_METHOD), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user when the password fits; None otherwise (in the same time either way)."""
    user = user_by_name(session, username)
    if user is None:
        check_password_hash(_dummy_hash(PASSWORD_METHOD), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def end_sessions(user: User) -> None:
    """Void every session cookie issued to the user so far (logout; a copied cookie no longer works)."""
    user.session_version += 1


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(session: Session, user: User) -> str:
    """A new API token for scripts (shown once; only its hash is stored; the old one stops working)."""
    token = "fm_" + secrets.token_urlsafe(32)
    user.api_token_hash = _token_hash(token)
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token.startswith("fm_"):
        return None
    digest = _token_hash(token)
    user = session.scalar(select(User).where(User.api_token_hash == digest))
    if user is None or user.api_token_hash is None:
        return None
    return user if hmac.compare_digest(user.api_token_hash, digest) else None


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0
