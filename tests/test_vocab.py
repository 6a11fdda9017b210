"""Vocabularies: every source spelling maps to one code; unknown labels are reported, never defaulted."""

from __future__ import annotations

import json

import pytest

from fundmatch import vocab
from fundmatch.errors import InputError
from tests.conftest import SHARED


@pytest.mark.parametrize(
    ("vocabulary", "raw", "code"),
    [
        (vocab.REGION, "Thüringen", "TH"),
        (vocab.REGION, "Thueringen", "TH"),
        (vocab.REGION, "thueringen", "TH"),
        (vocab.REGION, "_bundesweit", "DE"),
        (vocab.REGION, "bundesweit", "DE"),
        (vocab.REGION, "schlesig_holstein", "SH"),
        (vocab.REGION, "Schleswig-Holstein", "SH"),
        (vocab.REGION, "de_ni", "NI"),
        (vocab.REGION, "de_st", "ST"),
        (vocab.REGION, "Baden-Württemberg", "BW"),
        (vocab.FUNDING_TYPE, "Bürgschaft", "buergschaft"),
        (vocab.FUNDING_TYPE, "Buergschaft", "buergschaft"),
        (vocab.APPLICANT_TYPE, "Öffentliche Einrichtung", "oeffentliche_einrichtung"),
        (vocab.APPLICANT_TYPE, "Oeffentliche Einrichtung", "oeffentliche_einrichtung"),
        (vocab.APPLICANT_TYPE, "Existenzgründer/in", "existenzgruenderin"),
        (vocab.APPLICANT_TYPE, "Verband/Vereinigung", "verband_vereinigung"),
        (vocab.TOPIC, "Kultur, Medien & Sport", "kultur_medien_sport"),
        (vocab.TOPIC, "Forschung & Innovation (themenspezifisch)", "forschung_innovation_themenspezifisch"),
        (vocab.TOPIC, "forschung_innovation_themenspezifisch", "forschung_innovation_themenspezifisch"),
        (vocab.TOPIC, "Energieeffizienz & Erneuerbare Energien", "energieeffizienz_erneuerbare_energien"),
        (vocab.TOPIC, "Städtebau & Stadterneuerung", "staedtebau_stadterneuerung"),
        (vocab.HANDLUNGSFELD, "Verwaltung & Bürgerservice", "verwaltung"),
        (vocab.HANDLUNGSFELD, "Infrastruktur/Breitband", "infrastruktur"),
    ],
)
def test_spellings_map_to_one_code(vocabulary, raw, code):
    assert vocabulary.code(raw) == code


def test_unknown_label_is_reported_not_defaulted():
    assert vocab.TOPIC.lookup("Raumfahrt") is None
    with pytest.raises(vocab.UnknownLabel, match="unknown Förderbereich label 'Raumfahrt'"):
        vocab.TOPIC.code("Raumfahrt")


def test_sonstige_region_is_not_a_region():
    assert vocab.REGION.lookup("sonstige") is None
    assert "sonstige" in vocab.REGION_IGNORED


def test_alias_to_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError, match="alias 'x' points to unknown code 'y'"):
        vocab.Vocabulary("T", {"a": "A"}, aliases={"x": "y"})


def test_sixteen_laender_with_unique_ags_prefixes():
    assert len(vocab.LAENDER) == 16
    assert sorted(land.ags_prefix for land in vocab.LAENDER) == [f"{i:02d}" for i in range(1, 17)]


@pytest.mark.parametrize(("ags", "land"), [("09162000", "BY"), ("11000000", "BE"), ("05315000", "NW")])
def test_land_for_ags(ags, land):
    assert vocab.land_for_ags(ags).code == land


@pytest.mark.parametrize("ags", ["1234567", "17000000", "abcdefgh", ""])
def test_bad_ags(ags):
    with pytest.raises(InputError, match="AGS"):
        vocab.land_for_ags(ags)


def test_subtopic_codes_carry_their_parent():
    assert (
        vocab.SUBTOPIC_LABELS["infrastruktur/information_kommunikation"]
        == "Infrastruktur › Information & Kommunikation"
    )
    for code in vocab.SUBTOPIC_LABELS:
        assert code.split("/")[0] in vocab.TOPIC


def test_every_handlungsfeld_has_topics_from_the_vocabulary():
    assert set(vocab.HANDLUNGSFELD_TOPICS) == set(vocab.HANDLUNGSFELD.codes)
    for topics in vocab.HANDLUNGSFELD_TOPICS.values():
        assert all(t in vocab.TOPIC for t in topics)


@pytest.mark.skipif(not (SHARED / "data").exists(), reason="../shared/data not present")
def test_every_foerderdatenbank_code_and_label_is_known():
    """Contract with the Förderdatenbank export vocabularies: nothing of theirs is unknown to us."""
    data = json.loads((SHARED / "data" / "fdb_export_vocabularies.json").read_text())["vocabularies"]
    pairs = [
        ("FOERDERART", vocab.FUNDING_TYPE),
        ("FOERDERBEREICH", vocab.TOPIC),
        ("FOERDERBERECHTIGTE", vocab.APPLICANT_TYPE),
        ("FOERDERGEBER", vocab.LEVEL),
    ]
    for name, vocabulary in pairs:
        for code, label in data[name].items():
            assert vocabulary.lookup(code) is not None, (name, code)
            assert vocabulary.lookup(label) is not None, (name, label)
    for code, label in data["FOERDERGEBIET"].items():
        if code in vocab.REGION_IGNORED:
            continue
        assert vocab.REGION.code(code) == vocab.REGION.code(label)
    subareas = {code.split("/")[1] for code in vocab.SUBTOPIC_LABELS}
    for name, values in data.items():
        if name.startswith("UF_"):
            assert set(values) <= subareas, name


def test_split_labels_rejoins_labels_with_commas_and_reports_the_rest():
    codes, unknown = vocab.split_labels(
        "Beratung, Kultur, Medien & Sport, Infrastruktur, Raumfahrt, digitalisierung", vocab.TOPIC
    )
    assert codes == ["beratung", "kultur_medien_sport", "infrastruktur", "digitalisierung"]
    assert unknown == ["Raumfahrt"]
