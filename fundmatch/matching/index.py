"""Index lifecycle: a fitted matcher per catalogue version, cached in the process and on disk.

The key is the catalogue version stamp, which every import and refresh that changes programs moves;
so a changed catalogue is re-indexed on the next match, and an unchanged one loads in milliseconds.

The file is one uncompressed ``.npz``: the matcher's numpy arrays, and its metadata (vocabularies,
program facts, the stems it computed) as a JSON document in a byte array. Nothing is pickled, so a
load runs no code from the file and needs neither scikit-learn nor scipy. Every writer writes a
temporary file of its own and renames it into place, so processes that build the same index at once
never rename or truncate each other's files; the last rename wins with equal content.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from fundmatch import catalogue
from fundmatch.config import Settings
from fundmatch.matching import tuning
from fundmatch.matching.ranker import Matcher
from fundmatch.matching.text import remember_stems, remembered_stems
from fundmatch.matching.thesaurus import Thesaurus

INDEX_FORMAT = 5  # bump when the Matcher's learned state changes shape or meaning
_META = "meta"
_lock = threading.Lock()


@cache
def fitted_with() -> str:
    """What else an index depends on: the shipped thesaurus and the stemmer's version. An index built
    with others is rebuilt, not used."""
    thesaurus = (resources.files("fundmatch.seed_data") / "thesaurus.json").read_bytes()
    return f"{hashlib.sha256(thesaurus).hexdigest()[:16]}-snowballstemmer-{package_version('snowballstemmer')}"


def _cache_path(settings: Settings, version: str) -> Path:
    database = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    return Path(settings.data_dir) / "index" / f"matcher-{INDEX_FORMAT}-{database}-{version}.npz"


def save(matcher: Matcher, path: Path) -> None:
    """Write the matcher's learned state to ``path`` (through a temporary file of its own)."""
    arrays, meta = matcher.arrays()
    meta = {**meta, "format": INDEX_FORMAT, "fitted_with": fitted_with(), "stems": remembered_stems()}
    document = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f"{path.stem}.", suffix=".part", dir=path.parent)
    try:
        members: dict[str, Any] = {**arrays, _META: document}
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **members)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path) -> Matcher | None:
    """The matcher stored at ``path``; None where there is none, or one of another format or fitted
    with another thesaurus or stemmer."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(stored[_META].tobytes())
            if meta.get("format") != INDEX_FORMAT or meta.get("fitted_with") != fitted_with():
                return None
            arrays = {name: stored[name] for name in stored.files if name != _META}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    remember_stems(meta["stems"])
    return Matcher.from_arrays(arrays, meta, Thesaurus.load())


@dataclass
class _Slot:
    """What this process holds of one database's index: the newest matcher, and the build under way."""

    matcher: Matcher | None = None
    version: str | None = None
    building: bool = False
    built: threading.Event = field(default_factory=threading.Event)


_slots: dict[str, _Slot] = {}


def current_matcher(session: Session, settings: Settings) -> Matcher:
    """The matcher for the catalogue as it is now: from memory, from disk, or freshly fitted.

    One thread per process builds a new catalogue version's index; while it does, the others keep
    ranking with the previous index (a few seconds behind the catalogue, never an error or a queue of
    waiting requests). Only when there is no previous index do they wait for the build."""
    version = f"{catalogue.catalogue_version(session)}|{tuning.weights_stamp(settings)}"
    with _lock:
        slot = _slots.setdefault(settings.database_url, _Slot())
        if slot.version == version and slot.matcher is not None:
            return slot.matcher
        if slot.building:
            if slot.matcher is not None:
                return slot.matcher
            built = slot.built
        else:
            slot.building, slot.built = True, threading.Event()
            built = None
    if built is not None:
        built.wait()
        return current_matcher(session, settings)
    try:
        matcher = load_or_build(session, settings, version)
        with _lock:
            slot.matcher, slot.version = matcher, version
        return matcher
    finally:
        with _lock:
            slot.building = False
            slot.built.set()


def load_or_build(session: Session, settings: Settings, version: str) -> Matcher:
    """The index of one catalogue version from disk, or fitted and written there (old versions removed);
    it ranks with the learned weights where there are some (``fundmatch tune``)."""
    version = version.split("|", 1)[0]
    path = _cache_path(settings, version)
    matcher = load(path) if path.exists() else None
    if matcher is None:
        matcher = Matcher().fit(catalogue.shown_records(session), version=version)
        save(matcher, path)
        database = path.name.split("-")[2]
        for old in path.parent.glob(f"matcher-*-{database}-*"):
            if old != path and old.suffix in (".npz", ".pickle"):
                old.unlink(missing_ok=True)
    matcher.weights = tuning.load_weights(settings)
    return matcher
