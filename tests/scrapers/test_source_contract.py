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


def test_a_record_is_checked_against_the_catalogue_shape_and_hostile_links_are_dropped():
    from fundmatch.scrapers.base import ParseError, Warnings, build_record

    warnings = Warnings()
    fields = dict(source="foerderdatenbank", source_id="Land/X/p", title="Programm", level="land", regions=["BY"])
    record = build_record(
        "p.xml",
        warnings,
        url="https://www.foerderdatenbank.de/p.html",
        links=["javascript:alert(1)", "https://example.org/rl.pdf", "mailto:a@b.de", "/relativ"],
        **fields,
    )
    assert record.links == ["https://example.org/rl.pdf"]
    assert [message for _, message in warnings] == [
        "link 'javascript:alert(1)' is not an http(s) address; dropped",
        "link 'mailto:a@b.de' is not an http(s) address; dropped",
        "link '/relativ' is not an http(s) address; dropped",
    ]
    with pytest.raises(ParseError, match=r"p.xml: Feld 'funding_rate_max': muss zwischen 0 und 100 liegen"):
        build_record("p.xml", warnings, url="https://x.de", funding_rate_max=900, **fields)
