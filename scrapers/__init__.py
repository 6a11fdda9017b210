"""Catalogue sources: one module per source, pure parsers behind the shared HTTP layer.

Installed as ``fundmatch.scrapers``. Nothing here imports the database models: sources yield
:class:`~fundmatch.scrapers.records.ProgramRecord` objects and ``fundmatch.refresh`` stores them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# The modules that are sources; each defines ``SOURCE`` (a ``SourceInfo``).
SOURCE_MODULES: tuple[str, ...] = ("foerderdatenbank", "eu_funding_tenders")


def source_modules() -> dict[str, ModuleType]:
    """Every registered source module by its source id."""
    modules = {}
    for name in SOURCE_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        modules[module.SOURCE.id] = module
    return modules


def registered_source_ids() -> list[str]:
    return list(source_modules())
