"""Reading the interchange formats strictly: every bad input names record and field."""

from __future__ import annotations

import json
from datetime import date

import pytest

from fundmatch.interchange import (
    InterchangeError,
    catalogue_document,
    load_json,
    parse_catalogue,
    parse_measures,
)
from tests.builders import document, program


def parse(*programs: dict, **header):
    return parse_catalogue(document(*programs, **header), name="test.json")


def test_valid_record_is_read_with_types():
    (record,) = parse(program())
    assert record.title == "Bayerische Gigabitrichtlinie"
    assert record.topics == ["digitalisierung", "infrastruktur"]
    assert record.deadlines[0].date == date(2027, 3, 31)
    assert record.funding_rate_max == 90.0
    assert record.contact.name == "Breitbandzentrum"
    assert record.last_seen.isoformat() == "2026-11-20T04:00:00+00:00"


def test_round_trip_through_document_is_lossless():
    records = parse(program(), program(source_id="bund/x", level="bund", regions=["DE"], contact=None))
    again = parse_catalogue(json.loads(json.dumps(catalogue_document(records, records[0].last_seen))))
    assert [r.to_dict() for r in again] == [r.to_dict() for r in records]


def test_minimal_record_needs_only_required_fields():
    minimal = {k: program()[k] for k in ("source", "source_id", "title", "url", "level", "regions")}
    (record,) = parse(minimal)
    assert record.status == "unknown"
    assert record.applicant_types == []
    assert record.rolling is None


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"regions": ["BY", "XX"]}, "record 0 (source_id 'land/by/gigabit'): field 'regions': unknown code 'XX'"),
        ({"topics": ["breitband"]}, "field 'topics': unknown code 'breitband'"),
        ({"level": "state"}, "field 'level': unknown code 'state'"),
        ({"funding_types": "zuschuss"}, "field 'funding_types': must be a list of strings"),
        ({"status": "active"}, "field 'status': unknown code 'active'"),
        ({"funding_rate_max": 120}, "field 'funding_rate_max': must be between 0 and 100"),
        ({"funding_rate_min": 95}, "field 'funding_rate_min': 95 is above funding_rate_max 90"),
        ({"deadlines": [{"date": "31.03.2027"}]}, "field 'deadlines[0].date': must be a date YYYY-MM-DD"),
        ({"deadlines": [{"date": "2027-03-31", "kind": "soon"}]}, "field 'deadlines[0].kind': unknown code"),
        ({"url": "ftp://example.org"}, "field 'url': must be an http(s) URL"),
        ({"source": "somewhere"}, "field 'source': unknown source 'somewhere'"),
        ({"title": "   "}, "field 'title': must not be empty"),
        ({"title": "x" * 1001}, "field 'title': is 1,001 characters long, the limit is 1,000"),
        ({"colour": "blue"}, "unknown fields ['colour']"),
        ({"contact": {"fax": "1"}}, "field 'contact': unknown keys ['fax']"),
        ({"last_seen": "yesterday"}, "field 'last_seen': must be an ISO timestamp"),
        ({"rolling": "yes"}, "field 'rolling': must be true, false or null"),
    ],
)
def test_bad_field_names_record_and_field(overrides, expected):
    with pytest.raises(InterchangeError) as error:
        parse(program(**overrides))
    assert expected in str(error.value)
    assert str(error.value).startswith("test.json: record 0")


@pytest.mark.parametrize("missing", ["source", "source_id", "title", "url", "level", "regions"])
def test_missing_required_field(missing):
    record = program()
    del record[missing]
    with pytest.raises(InterchangeError, match=f"field '{missing}': is required"):
        parse(record)


def test_error_names_the_failing_record_index():
    with pytest.raises(InterchangeError, match=r"record 2 \(source_id 'c'\): field 'regions'"):
        parse(program(source_id="a"), program(source_id="b"), program(source_id="c", regions=["Bayern"]))


def test_duplicate_program_key_in_one_file():
    with pytest.raises(InterchangeError, match="record 1 .*duplicate key manual:land/by/gigabit, first at record 0"):
        parse(program(), program())


def test_wrong_format_and_newer_version():
    with pytest.raises(InterchangeError, match="format is 'fundmatch-measures', expected 'fundmatch-catalogue'"):
        parse(program(), format="fundmatch-measures")
    with pytest.raises(InterchangeError, match="version 2 is newer than this fundmatch understands"):
        parse(program(), version=2)
    with pytest.raises(InterchangeError, match="'programs' must be a list"):
        parse_catalogue({"format": "fundmatch-catalogue", "version": 1, "programs": {}})


def test_load_json_rejects_malformed_json_with_position():
    with pytest.raises(InterchangeError, match=r"f.json: invalid JSON at line 2, column 1"):
        load_json(b'{"format": "x",\n}', name="f.json", max_bytes=1000)


def test_load_json_rejects_duplicate_keys():
    with pytest.raises(InterchangeError, match="f.json: duplicate key 'title' in one JSON object"):
        load_json(b'{"title": "a", "title": "b"}', name="f.json", max_bytes=1000)


def test_load_json_rejects_non_utf8_with_offset():
    with pytest.raises(InterchangeError, match="f.json: not UTF-8: byte 0xe4 at offset 13"):
        load_json('{"title": "Gr\u00e4ben"}'.encode("latin-1"), name="f.json", max_bytes=1000)


def test_load_json_rejects_oversized_file():
    with pytest.raises(InterchangeError, match="f.json: file is 50.0 MB, more than the limit of 32 MB"):
        load_json(b" " * 50_000_000, name="f.json", max_bytes=32_000_000)


def test_control_characters_are_removed_from_text():
    (record,) = parse(program(summary="Glas\x02faser\x1b"))
    assert record.summary == "Glasfaser"


def test_measures_document_and_bare_list():
    measures = [{"id": "m1", "title": "Bürger-App", "land": "by", "handlungsfeld": "Verwaltung & Bürgerservice"}]
    (from_list,) = parse_measures(measures)
    (from_doc,) = parse_measures({"format": "fundmatch-measures", "version": 1, "measures": measures})
    assert from_list == from_doc
    assert from_list.land == "BY"
    assert from_list.handlungsfeld == "verwaltung"
    assert from_list.applicant_type == "kommune"


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        ({"id": "m1", "title": "x", "land": "XY"}, "field 'land': unknown Land 'XY'; valid: SH, HH"),
        ({"id": "m1", "land": "BY"}, "field 'title': is required"),
        ({"id": "m1", "title": "x", "land": "BY", "handlungsfeld": "Raumfahrt"}, "unknown Handlungsfeld"),
        ({"id": "m1", "title": "x", "land": "BY", "applicant_type": "firma"}, "field 'applicant_type'"),
    ],
)
def test_bad_measures(measure, expected):
    with pytest.raises(InterchangeError, match="measure 0") as error:
        parse_measures([measure])
    assert expected in str(error.value)
