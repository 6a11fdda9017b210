"""Index lifecycle: a fitted matcher per catalogue version, cached in the process and on disk.

The key is the catalogue version stamp, which every import and refresh that changes programs moves;
so a changed catalogue is re-indexed on the next match, and an unchanged one loads in milliseconds.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from pathlib import Path

from sqlalchemy.orm import Session

from fundmatch import catalogue
from fundmatch.config import Settings
from fundmatch.matching.ranker import Matcher

INDEX_FORMAT = 2  # bump when the Matcher's fitted state changes shape or its shipped weights change
_memory: dict[tuple[str, str], Matcher] = {}
_lock = threading.Lock()


def _cache_path(settings: Settings, version: str) -> Path:
    database = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    return Path(settings.data_dir) / "index" / f"matcher-{INDEX_FORMAT}-{database}-{version}.pickle"


def current_matcher(session: Session, settings: Settings) -> Matcher:
    """The matcher for the catalogue as it is now: from memory, from disk, or freshly fitted."""
    version = catalogue.catalogue_version(session)
    key = (settings.database_url, version)
    with _lock:
        if key in _memory:
            return _memory[key]
        path = _cache_path(settings, version)
        matcher = None
        if path.exists():
            try:
                with path.open("rb") as handle:
                    matcher = pickle.load(handle)
            except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
                matcher = None
        if matcher is None:
            matcher = Matcher().fit(catalogue.all_records(session), version=version)
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob(f"matcher-*-{path.name.split('-')[2]}-*.pickle"):
                old.unlink(missing_ok=True)
            partial = path.with_suffix(".part")
            with partial.open("wb") as handle:
                pickle.dump(matcher, handle, protocol=pickle.HIGHEST_PROTOCOL)
            partial.replace(path)
        for stale in [k for k in _memory if k[0] == settings.database_url]:
            del _memory[stale]
        _memory[key] = matcher
        return matcher
