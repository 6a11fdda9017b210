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
    assert record.contacts[0].name == "Breitbandzentrum"  # the 0.2 spelling "contact" is still read
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
        ({"regions": ["BY", "XX"]}, "Datensatz 0 (source_id 'land/by/gigabit'): Feld 'regions': unbekannter Code 'XX'"),
        ({"topics": ["breitband"]}, "Feld 'topics': unbekannter Code 'breitband'"),
        ({"level": "state"}, "Feld 'level': unbekannter Code 'state'"),
        ({"funding_types": "zuschuss"}, "Feld 'funding_types': muss eine Liste von Codes sein"),
        ({"status": "active"}, "Feld 'status': unbekannter Code 'active'"),
        ({"funding_rate_max": 120}, "Feld 'funding_rate_max': muss zwischen 0 und 100 liegen, nicht 120"),
        ({"funding_rate_min": 95}, "Feld 'funding_rate_min': 95 liegt über funding_rate_max 90"),
        (
            {"deadlines": [{"date": "31.03.2027"}]},
            "Feld 'deadlines[0].date': muss ein Datum JJJJ-MM-TT sein, nicht '31.03.2027'",
        ),
        ({"deadlines": [{"date": "2027-03-31", "kind": "soon"}]}, "Feld 'deadlines[0].kind': unbekannter Code 'soon'"),
        ({"url": "ftp://example.org"}, "Feld 'url': muss eine http(s)-Adresse sein, nicht 'ftp://example.org'"),
        ({"source": "somewhere"}, "Feld 'source': unbekannte Quelle 'somewhere'"),
        ({"title": "   "}, "Feld 'title': darf nicht leer sein"),
        ({"title": "x" * 1001}, "Feld 'title': ist 1.001 Zeichen lang, erlaubt sind höchstens 1.000"),
        ({"colour": "blue"}, "unbekannte Felder ['colour']"),
        ({"contacts": [{"fax": "1"}]}, "Feld 'contacts[0]': unbekannte Felder ['fax']"),
        ({"last_seen": "yesterday"}, "Feld 'last_seen': muss ein ISO-Zeitstempel sein, nicht 'yesterday'"),
        ({"rolling": "yes"}, "Feld 'rolling': muss true oder false sein, nicht 'yes'"),
    ],
)
def test_bad_field_names_record_and_field(overrides, expected):
    with pytest.raises(InterchangeError) as error:
        parse(program(**overrides))
    assert expected in str(error.value)
    assert str(error.value).startswith("test.json: Datensatz 0")


@pytest.mark.parametrize("missing", ["source", "source_id", "title", "url", "level", "regions"])
def test_missing_required_field(missing):
    record = program()
    del record[missing]
    with pytest.raises(InterchangeError, match=rf"Feld '{missing}': fehlt \(Pflichtfeld\)"):
        parse(record)


def test_error_names_the_failing_record_index():
    with pytest.raises(InterchangeError, match=r"Datensatz 2 \(source_id 'c'\): Feld 'regions'"):
        parse(program(source_id="a"), program(source_id="b"), program(source_id="c", regions=["Bayern"]))


def test_duplicate_program_key_in_one_file():
    with pytest.raises(
        InterchangeError, match="Datensatz 1 .*Schlüssel manual:land/by/gigabit steht doppelt, zuerst in Datensatz 0"
    ):
        parse(program(), program())


def test_wrong_format_and_newer_version():
    with pytest.raises(InterchangeError, match="format ist 'fundmatch-measures', erwartet wird 'fundmatch-catalogue'"):
        parse(program(), format="fundmatch-measures")
    with pytest.raises(InterchangeError, match="Version 2 ist neuer, als dieses fundmatch versteht"):
        parse(program(), version=2)
    with pytest.raises(InterchangeError, match="'programs' muss eine Liste sein"):
        parse_catalogue({"format": "fundmatch-catalogue", "version": 1, "programs": {}})


def test_load_json_rejects_malformed_json_with_position():
    with pytest.raises(InterchangeError, match=r"f.json: ungültiges JSON in Zeile 2, Spalte 1"):
        load_json(b'{"format": "x",\n}', name="f.json", max_bytes=1000)


def test_load_json_rejects_duplicate_keys():
    with pytest.raises(InterchangeError, match="f.json: Schlüssel 'title' steht doppelt in einem JSON-Objekt"):
        load_json(b'{"title": "a", "title": "b"}', name="f.json", max_bytes=1000)


def test_load_json_rejects_non_utf8_with_offset():
    with pytest.raises(InterchangeError, match="f.json: kein UTF-8: Byte 0xe4 an Stelle 13"):
        load_json('{"title": "Gr\u00e4ben"}'.encode("latin-1"), name="f.json", max_bytes=1000)


def test_load_json_rejects_oversized_file():
    with pytest.raises(InterchangeError, match="f.json: die Datei ist 50.0 MB groß, erlaubt sind 32 MB"):
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
        ({"id": "m1", "title": "x", "land": "XY"}, "Feld 'land': unbekanntes Land 'XY'; gültig sind: SH, HH"),
        ({"id": "m1", "land": "BY"}, "Feld 'title': fehlt (Pflichtfeld)"),
        (
            {"id": "m1", "title": "x", "land": "BY", "handlungsfeld": "Raumfahrt"},
            "Feld 'handlungsfeld': unbekannt: Handlungsfeld 'Raumfahrt'",
        ),
        (
            {"id": "m1", "title": "x", "land": "BY", "applicant_type": "firma"},
            "Feld 'applicant_type': unbekannter Code 'firma'",
        ),
    ],
)
def test_bad_measures(measure, expected):
    with pytest.raises(InterchangeError, match="Maßnahme 0") as error:
        parse_measures([measure])
    assert expected in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"amount_max_eur": float("inf")}, "Feld 'amount_max_eur': muss eine endliche Zahl sein, nicht inf"),
        ({"amount_max_eur": float("nan")}, "Feld 'amount_max_eur': muss eine endliche Zahl sein, nicht nan"),
        ({"amount_max_eur": 1e999}, "Feld 'amount_max_eur': muss eine endliche Zahl sein"),
        ({"amount_max_eur": 1e308}, "Feld 'amount_max_eur': muss zwischen 0 und 1e+12 liegen"),
        ({"amount_max_eur": "5000"}, "Feld 'amount_max_eur': muss eine Zahl sein, nicht '5000'"),
        ({"funding_rate_max": True}, "Feld 'funding_rate_max': muss eine Zahl sein, nicht True"),
        ({"links": ["javascript:alert(1)"]}, "Feld 'links': muss eine http(s)-Adresse sein"),
        ({"source_updated": 1700000000}, "Feld 'source_updated': muss ein Datum JJJJ-MM-TT sein"),
    ],
)
def test_numbers_dates_and_links_are_strict(overrides, expected):
    with pytest.raises(InterchangeError) as error:
        parse(program(**overrides))
    assert expected in str(error.value)


def test_deeply_nested_json_is_a_clear_error():
    with pytest.raises(InterchangeError, match="f.json: das JSON ist zu tief verschachtelt"):
        load_json(b"[" * 100_000 + b"]" * 100_000, name="f.json", max_bytes=10**7)


def test_measure_labels_are_read_and_ids_may_be_numbers():
    (measure,) = parse_measures([{"id": 7, "title": "x", "land": "nw", "time_horizon": "kurzfristig"}])
    assert (measure.id, measure.land, measure.time_horizon) == ("7", "NW", "kurz")
