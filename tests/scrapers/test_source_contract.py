"""Every registered source module offers what refresh and `sources parse` call (docs/adding-a-source.md)."""

from __future__ import annotations

import inspect

import pytest

from fundmatch.scrapers import SOURCE_MODULES, source_modules
from fundmatch.scrapers.base import SourceInfo


@pytest.mark.parametrize("source_id", sorted(source_modules()))
def test_source_module_defines_the_four_names(source_id):
    module = source_modules()[source_id]
    assert isinstance(module.SOURCE, SourceInfo) and module.SOURCE.id == source_id
    assert module.BASE_URL.startswith("https://")
    assert list(inspect.signature(module.harvest).parameters) == ["fetcher", "config"]
    assert list(inspect.signature(module.parse_file).parameters)[:2] == ["path", "warnings"]
    low, high = module.SOURCE.expected_count
    assert 0 < low <= high
    assert all(0 < share <= 1 for share in module.SOURCE.fill_thresholds.values())


def test_every_listed_module_is_a_source_with_its_own_id():
    assert len(source_modules()) == len(SOURCE_MODULES) == 2
