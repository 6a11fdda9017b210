"""The controlled vocabularies of fundmatch and the one place that maps raw source labels to them.

Codes are the Förderdatenbank's own classifier codes (see the interchange format). Every source
spelling (labels with and without umlauts, ASCII labels of the site bug, export codes, old labels)
is folded by :func:`fold` and looked up here. An unknown label raises :class:`UnknownLabel` or is
reported by the caller; it is never quietly mapped to a default.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from fundmatch.errors import InputError

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _ascii(text: str) -> str:
    text = text.translate(_UMLAUTS).casefold()
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def fold(label: str) -> str:
    """Fold a label to a lookup key: case, umlauts (ä/ae), accents, punctuation and spaces ignored."""
    return _NON_ALNUM.sub("", _ascii(label))


def fold_words(text: str) -> list[str]:
    """The words of a text folded as :func:`fold` folds a label, in one pass."""
    return _NON_ALNUM.sub(" ", _ascii(text)).split()


class UnknownLabel(InputError):
    """A label a source used that no vocabulary knows."""

    def __init__(self, vocabulary: str, label: str):
        super().__init__(f"unknown {vocabulary} label {label!r}")
        self.vocabulary = vocabulary
        self.label = label


@dataclass(frozen=True)
class Vocabulary:
    """Codes with their German labels plus extra spellings that sources use for them."""

    name: str
    labels: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for code, label in self.labels.items():
            index[fold(code)] = code
            index[fold(label)] = code
        for alias, code in self.aliases.items():
            if code not in self.labels:
                raise ValueError(f"{self.name}: alias {alias!r} points to unknown code {code!r}")
            index[fold(alias)] = code
        object.__setattr__(self, "_index", index)

    def __contains__(self, code: object) -> bool:
        return code in self.labels

    @property
    def codes(self) -> list[str]:
        return list(self.labels)

    def label(self, code: str) -> str:
        return self.labels[code]

    def lookup(self, raw: str) -> str | None:
        """The code for a raw label or code, or None when the vocabulary does not know it."""
        return self._index.get(fold(raw))  # type: ignore[attr-defined]

    def code(self, raw: str) -> str:
        """The code for a raw label or code; raises :class:`UnknownLabel`."""
        found = self.lookup(raw)
        if found is None:
            raise UnknownLabel(self.name, raw)
        return found


@dataclass(frozen=True)
class Land:
    """A Bundesland: ISO 3166-2:DE suffix, name and the AGS prefix of its municipalities."""

    code: str
    name: str
    ags_prefix: str


LAENDER: tuple[Land, ...] = (
    Land("SH", "Schleswig-Holstein", "01"),
    Land("HH", "Hamburg", "02"),
    Land("NI", "Niedersachsen", "03"),
    Land("HB", "Bremen", "04"),
    Land("NW", "Nordrhein-Westfalen", "05"),
    Land("HE", "Hessen", "06"),
    Land("RP", "Rheinland-Pfalz", "07"),
    Land("BW", "Baden-Württemberg", "08"),
    Land("BY", "Bayern", "09"),
    Land("SL", "Saarland", "10"),
    Land("BE", "Berlin", "11"),
    Land("BB", "Brandenburg", "12"),
    Land("MV", "Mecklenburg-Vorpommern", "13"),
    Land("SN", "Sachsen", "14"),
    Land("ST", "Sachsen-Anhalt", "15"),
    Land("TH", "Thüringen", "16"),
)
LAND_BY_CODE: dict[str, Land] = {land.code: land for land in LAENDER}
LAND_BY_AGS_PREFIX: dict[str, Land] = {land.ags_prefix: land for land in LAENDER}

NATIONWIDE = "DE"
EU_WIDE = "EU"

REGION = Vocabulary(
    "Fördergebiet",
    {**{land.code: land.name for land in LAENDER}, NATIONWIDE: "bundesweit", EU_WIDE: "EU-weit"},
    aliases={
        # Förderdatenbank export and facet codes (with the export's own misspellings).
        "_bundesweit": NATIONWIDE,
        "bund": NATIONWIDE,
        "deutschlandweit": NATIONWIDE,
        "Deutschland": NATIONWIDE,
        "baden_wuerttemberg": "BW",
        "bayern": "BY",
        "berlin": "BE",
        "brandenburg": "BB",
        "bremen": "HB",
        "de_ni": "NI",
        "de_st": "ST",
        "hamburg": "HH",
        "hessen": "HE",
        "mecklenburg_vorpommern": "MV",
        "nordrhein_westfalen": "NW",
        "NRW": "NW",
        "rheinland_pfalz": "RP",
        "saarland": "SL",
        "sachsen": "SN",
        "schlesig_holstein": "SH",
        "schleswig_holstein": "SH",
        "thueringen": "TH",
        "Europäische Union": EU_WIDE,
        "EU-weit": EU_WIDE,
        "europaweit": EU_WIDE,
    },
)
# Förderdatenbank region codes that name no region we can match on; reported, never guessed.
REGION_IGNORED: frozenset[str] = frozenset({"sonstige"})

LEVEL = Vocabulary(
    "Ebene",
    {"eu": "EU", "bund": "Bund", "land": "Land", "kommune": "Kommune", "other": "Sonstige"},
    aliases={"Europäische Union": "eu", "Bundesland": "land", "Länder": "land"},
)

FUNDING_TYPE = Vocabulary(
    "Förderart",
    {
        "zuschuss": "Zuschuss",
        "darlehen": "Darlehen",
        "buergschaft": "Bürgschaft",
        "beteiligung": "Beteiligung",
        "garantie": "Garantie",
        "preis": "Preis / Wettbewerb",
        "sonstige": "Sonstige",
    },
    aliases={
        "Kredit": "darlehen",
        "Förderkredit": "darlehen",
        "Zuwendung": "zuschuss",
        "Grant": "zuschuss",
        "Preis": "preis",
        "Wettbewerb": "preis",
    },
)

APPLICANT_TYPE = Vocabulary(
    "Förderberechtigte",
    {
        "kommune": "Kommune",
        "oeffentliche_einrichtung": "Öffentliche Einrichtung",
        "unternehmen": "Unternehmen",
        "existenzgruenderin": "Existenzgründer/in",
        "verband_vereinigung": "Verband/Vereinigung",
        "bildungseinrichtung": "Bildungseinrichtung",
        "forschungseinrichtung": "Forschungseinrichtung",
        "hochschule": "Hochschule",
        "privatperson": "Privatperson",
    },
    aliases={
        "Kommunen": "kommune",
        "Gemeinde": "kommune",
        "Existenzgründer": "existenzgruenderin",
        "Existenzgründerin": "existenzgruenderin",
        "Verein": "verband_vereinigung",
        "Verband": "verband_vereinigung",
        "Vereinigung": "verband_vereinigung",
    },
)

TOPIC = Vocabulary(
    "Förderbereich",
    {
        "arbeit": "Arbeit",
        "aus_weiterbildung": "Aus- & Weiterbildung",
        "aussenwirtschaft": "Außenwirtschaft",
        "beratung": "Beratung",
        "corona": "Corona-Hilfe",
        "digitalisierung": "Digitalisierung",
        "energieeffizienz_erneuerbare_energien": "Energieeffizienz & Erneuerbare Energien",
        "existenzgruendung_festigung": "Existenzgründung & -festigung",
        "forschung_innovation_themenoffen": "Forschung & Innovation (themenoffen)",
        "forschung_innovation_themenspezifisch": "Forschung & Innovation (themenspezifisch)",
        "frauenfoerderung": "Frauenförderung",
        "gesundheit_soziales": "Gesundheit & Soziales",
        "infrastruktur": "Infrastruktur",
        "kultur_medien_sport": "Kultur, Medien & Sport",
        "landwirtschaft_laendliche_entwicklung": "Landwirtschaft & Ländliche Entwicklung",
        "messen_ausstellungen": "Messen & Ausstellungen",
        "mobilitaet": "Mobilität",
        "regionalfoerderung": "Regionalförderung",
        "smart_cities_regionen": "Smart Cities & Regionen",
        "staedtebau_stadterneuerung": "Städtebau & Stadterneuerung",
        "umwelt_naturschutz": "Umwelt- & Naturschutz",
        "unternehmensfinanzierung": "Unternehmensfinanzierung",
        "wohnungsbau_modernisierung": "Wohnungsbau & -modernisierung",
    },
    aliases={"Corona": "corona"},
)

# Second-level Förderbereich areas: the export classifier name → (parent topic, {code: label}).
SUBTOPICS: dict[str, tuple[str, dict[str, str]]] = {
    "UFArbeit": (
        "arbeit",
        {
            "arbeitsgestaltung_arbeitsschutz": "Arbeitsgestaltung & Arbeitsschutz",
            "ausserbetriebliche_arbeitsgelegenheiten": "Außerbetriebliche Arbeitsgelegenheiten",
            "betriebliche_arbeitsplaetze": "Betriebliche Arbeitsplätze",
            "eingliederung_besonderer_zielgruppen": "Eingliederung besonderer Zielgruppen",
            "qualifizierung_von_arbeitssuchenden": "Qualifizierung von Arbeitssuchenden",
        },
    ),
    "UFAusWeiterbildung": (
        "aus_weiterbildung",
        {
            "ausbildung_besonderer_zielgruppen": "Ausbildung besonderer Zielgruppen",
            "ausbildungsstrukturen_traeger": "Ausbildungsstrukturen & -träger",
            "ausserbetriebliche_ausbildung": "Außerbetriebliche Ausbildung",
            "berufsvorbereitung": "Berufsvorbereitung",
            "betriebliche_ausbildung": "Betriebliche Ausbildung",
            "studienfoerderung": "Studienförderung",
            "weiterbildung_unternehmer_selbststaendige": "Weiterbildung Unternehmer & Selbstständige",
            # The upstream label bundle lacks this label ("[EN] …"); ours is the obvious German one.
            "weiterbildung_von_arbeitnehmern": "Weiterbildung von Arbeitnehmern",
            "weiterbildung_von_arbeitssuchenden": "Weiterbildung von Arbeitssuchenden",
            "weiterbildungsstrukturen_traeger": "Weiterbildungsstrukturen & -träger",
        },
    ),
    "UFAussenwirtschaft": (
        "aussenwirtschaft",
        {
            "auslandsinvestitionen": "Auslandsinvestitionen",
            "aussenwirtschaftsberatung": "Außenwirtschaftsberatung",
            "entwicklungszusammenarbeit": "Entwicklungszusammenarbeit",
            "exportfinanzierung": "Exportfinanzierung",
            "markterkundung_erschliessung": "Markterkundung & -erschließung",
            "messen_ausstellungen": "Messen & Ausstellungen",
        },
    ),
    "UFBeratung": (
        "beratung",
        {
            "aus_weiterbildung": "Aus- & Weiterbildung",
            "aussenwirtschaft": "Außenwirtschaft",
            "energieeffizienz_erneuerbare_energien": "Energieeffizienz & Erneuerbare Energien",
            "existenzgruendung_festigung": "Existenzgründung & -festigung",
            "forschung_innovation": "Forschung & Innovation",
            "umwelt_naturschutz": "Umwelt- & Naturschutz",
            "unternehmensfuehrung": "Unternehmensführung",
        },
    ),
    "UFEnergieeffizienz": (
        "energieeffizienz_erneuerbare_energien",
        {
            "beratung_schulung": "Beratung & Schulung",
            "betriebliche_private_investitionen": "Betriebliche/private Investitionen",
            "forschung_innovation": "Forschung & Innovation",
            "oeffentliche_infrastruktur": "Öffentliche Infrastruktur",
            "wohnungsbau_modernisierung": "Wohnungsbau & Modernisierung",
        },
    ),
    "UFExistenzgruendung": (
        "existenzgruendung_festigung",
        {
            "beratung_schulung": "Beratung & Schulung",
            "betriebsmittel": "Betriebsmittel",
            "festigungsinvestitionen": "Festigungsinvestitionen",
            "gruendungsinvestitionen": "Gründungsinvestitionen",
            "gruendungsstrukturen_netzwerke": "Gründungsstrukturen & -netzwerke",
            "lebensunterhalt_soziale_sicherung": "Lebensunterhalt & Soziale Sicherung",
        },
    ),
    "UFForschungOffen": (
        "forschung_innovation_themenoffen",
        {
            "beratung_schulung": "Beratung & Schulung",
            "betriebliche_innovationen": "Betriebliche Innovationen",
            "forschung_entwicklung": "Forschung & Entwicklung",
            "gruendung_von_technologieunternehmen": "Gründung von Technologieunternehmen",
            "kooperationen_netzwerke": "Kooperationen & Netzwerke",
            "patentierung_verwertung": "Patentierung & Verwertung",
        },
    ),
    "UFForschungSpezifisch": (
        "forschung_innovation_themenspezifisch",
        {
            "bauen_wohnen": "Bauen & Wohnen",
            "biowissenschaften": "Biowissenschaften",
            "energieeffizienz_erneuerbare_energien": "Energieeffizienz & Erneuerbare Energien",
            "geowissenschaften": "Geowissenschaften",
            "gesundheit_medizin": "Gesundheit & Medizin",
            "grundlagenforschung": "Grundlagenforschung",
            "information_kommunikation": "Information & Kommunikation",
            "land_forst_fischwirtschaft": "Land-, Forst- & Fischwirtschaft",
            "luft_raumfahrt": "Luft & Raumfahrt",
            "mikrosysteme": "Mikrosysteme",
            "mobilitaet_verkehr": "Mobilität & Verkehr",
            "nachwachsende_rohstoffe": "Nachwachsende Rohstoffe",
            "nanotechnologie": "Nanotechnologie",
            "optische_technologien": "Optische Technologien",
            "produktion_dienstleistungen": "Produktion & Dienstleistungen",
            "schifffahrt_meerestechnik": "Schifffahrt & Meerestechnik",
            "sicherheitsforschung": "Sicherheitsforschung",
            "umwelt_naturschutz": "Umwelt- & Naturschutz",
            "werkstoffe": "Werkstoffe",
            "wirtschafts_sozial_geisteswissenschaften": "Wirtschafts-, Sozial- & Geisteswissenschaften",
        },
    ),
    "UFFrauenfoerderung": (
        "frauenfoerderung",
        {
            "arbeit_aus_weiterbildung": "Arbeit, Aus- & Weiterbildung",
            "existenzgruendung_unternehmensfinanzierung": "Existenzgründung & Unternehmensfinanzierung",
            "gesundheit_soziales_ff": "Gesundheit & Soziales",
            "sonstige": "Sonstige",
        },
    ),
    "UFGesundheitSoziales": (
        "gesundheit_soziales",
        {
            "behinderte_menschen": "Behinderte Menschen",
            "buergerschaftliches_engagement": "Bürgerschaftliches Engagement",
            "gesundheit": "Gesundheit",
            "gleichstellung": "Gleichstellung",
            "integration": "Integration",
            "kinder_jugendliche_familien": "Kinder, Jugendliche & Familien",
            "senioren_pflege": "Senioren & Pflege",
        },
    ),
    "UFInfrastruktur": (
        "infrastruktur",
        {
            "aus_weiterbildung": "Aus- & Weiterbildung",
            "energie_umwelt": "Energie & Umwelt",
            "forschung_innovation": "Forschung & Innovation",
            "gesundheit_soziales": "Gesundheit & Soziales",
            "information_kommunikation": "Information & Kommunikation",
            "kultur": "Kultur",
            "laendliche_entwicklung": "Ländliche Entwicklung",
            "staedtebau_stadterneuerung": "Städtebau & Stadterneuerung",
            "tourismus": "Tourismus",
            "verkehr": "Verkehr",
        },
    ),
    "UFKulturMedienSport": (
        "kultur_medien_sport",
        {
            "denkmalschutz_pflege": "Denkmalschutz & -pflege",
            "film_fernsehen": "Film & Fernsehen",
            "kunst_kultur": "Kunst & Kultur",
            "politische_bildung": "Politische Bildung",
            "sport_sportstaetten": "Sport & Sportstätten",
        },
    ),
    "UFLandwirtschaft": (
        "landwirtschaft_laendliche_entwicklung",
        {
            "besondere_formen_der_landbewirtschaftung": "Besondere Formen der Landbewirtschaftung",
            "einzelbetriebliche_foerderung": "Einzelbetriebliche Förderung",
            "fischwirtschaft": "Fischwirtschaft",
            "forschung_innovation": "Forschung & Innovation",
            "forstwirtschaft": "Forstwirtschaft",
            "laendliche_entwicklung": "Ländliche Entwicklung",
            "marktstrukturverbesserung": "Marktstrukturverbesserung",
            "wasserwirtschaft_kuestenschutz": "Wasserwirtschaft & Küstenschutz",
        },
    ),
    "UFMessenAusstellungen": (
        "messen_ausstellungen",
        {
            "auslandsmessen": "Auslandsmessen",
            "inlandsmessen": "Inlandsmessen",
        },
    ),
    "UFRegionalfoerderung": (
        "regionalfoerderung",
        {
            "gewerbliche_wirtschaft": "Gewerbliche Wirtschaft",
            "laendliche_entwicklung": "Ländliche Entwicklung",
            "oeffentliche_infrastruktur": "Öffentliche Infrastruktur",
        },
    ),
    "UFStaedtebauStadterneuerung": (
        "staedtebau_stadterneuerung",
        {
            "aktive_stadt_und_ortsteilzentren": "Aktive Stadt- und Ortsteilzentren",
            "energetische_sanierung": "Energetische Sanierung",
            "sanierung_entwicklung": "Sanierung & Entwicklung",
            "soziale_stadt": "Soziale Stadt",
            "stadtumbau": "Stadtumbau",
            "staedtebaulicher_denkmalschutz": "Städtebaulicher Denkmalschutz",
        },
    ),
    "UFUmweltNaturschutz": (
        "umwelt_naturschutz",
        {
            "beratung_schulung": "Beratung & Schulung",
            "betriebliche_private_investitionen": "Betriebliche/private Investitionen",
            "forschung_innovation": "Forschung & Innovation",
            "naturschutz_landschaftspflege": "Naturschutz & Landschaftspflege",
            "oeffentliche_infrastruktur": "Öffentliche Infrastruktur",
        },
    ),
    "UFUnternehmensfinanzierung": (
        "unternehmensfinanzierung",
        {
            "beratung_schulung": "Beratung & Schulung",
            "betriebliche_investitionen": "Betriebliche Investitionen",
            "betriebsmittel": "Betriebsmittel",
            "konsolidierung_stabilisierung": "Konsolidierung & Stabilisierung",
            "kooperationen_netzwerke": "Kooperationen & Netzwerke",
            "nachfolge": "Nachfolge",
        },
    ),
    "UFWohnungsbau": (
        "wohnungsbau_modernisierung",
        {
            "modernisierung_sanierung": "Modernisierung & Sanierung",
            "soziale_wohnraumfoerderung": "Soziale Wohnraumförderung",
            "wohnungsbau_erwerb": "Wohnungsbau & Erwerb",
        },
    ),
}
# Second-level codes as stored: "<topic>/<area>", e.g. "infrastruktur/information_kommunikation".
SUBTOPIC_LABELS: dict[str, str] = {
    f"{parent}/{code}": f"{TOPIC.label(parent)} › {label}"
    for parent, areas in SUBTOPICS.values()
    for code, label in areas.items()
}
SUBTOPIC_CLASSIFIER_BY_FOLD: dict[str, str] = {fold(name): name for name in SUBTOPICS}

STATUS = Vocabulary(
    "Status",
    {
        "open": "offen",
        "forthcoming": "angekündigt",
        "closed": "geschlossen",
        "withdrawn": "nicht mehr gelistet",
        "unknown": "unbekannt",
    },
)

DOCUMENT_KIND = Vocabulary(
    "Dokumentart",
    {
        "richtlinie": "Förderrichtlinie",
        "aufruf": "Förderaufruf",
        "formular": "Antragsformular",
        "merkblatt": "Merkblatt",
        "sonstiges": "Dokument",
    },
    aliases={"Richtlinie": "richtlinie", "Förderaufruf": "aufruf", "Formular": "formular", "Antrag": "formular"},
)

RATE_CONDITION = Vocabulary(
    "Bedingung des Fördersatzes",
    {
        "finanzschwache_kommune": "finanzschwache Kommune",
        "interkommunal": "interkommunales Vorhaben / Verbund",
        "ortsgroesse": "Ortsgröße",
        "strukturschwache_region": "strukturschwache Region",
        "sonstige": "sonstige Bedingung",
    },
    aliases={"finanzschwach": "finanzschwache_kommune", "Verbund": "interkommunal"},
)

RECURRENCE = Vocabulary("Wiederkehr", {"yearly": "jährlich"}, aliases={"jährlich": "yearly", "jedes Jahr": "yearly"})

RUN_STATUS = Vocabulary(
    "Laufstatus",
    {
        "running": "läuft",
        "ok": "ok",
        "partial": "teilweise",
        "failed": "fehlgeschlagen",
        "held": "zur Prüfung angehalten",
        "rejected": "verworfen",
        "superseded": "überholt",
    },
)

DEADLINE_KIND = Vocabulary(
    "Fristart",
    {
        "submission": "Einreichungsfrist",
        "sketch": "Projektskizze (erste Stufe)",
        "cutoff": "Stichtag",
        "end": "Programmende",
    },
)

MATCH_SECTION = Vocabulary(
    "Abschnitt der Treffer",
    {"specific": "Passende Programme", "general": "Allgemeine Finanzierung"},
)

MATCH_DECISION = Vocabulary(
    "Bewertung",
    {"relevant": "relevant", "not_relevant": "nicht relevant", "shortlisted": "vorgemerkt"},
)

TIME_HORIZON = Vocabulary(
    "Zeithorizont",
    {"kurz": "kurzfristig", "mittel": "mittelfristig", "lang": "langfristig"},
    aliases={"kurzfristig": "kurz", "mittelfristig": "mittel", "langfristig": "lang"},
)

MUNICIPALITY_TYPE = Vocabulary(
    "Gebietskörperschaft",
    {
        "gemeinde": "Gemeinde",
        "stadt": "Stadt",
        "kreisfreie_stadt": "Kreisfreie Stadt",
        "landkreis": "Landkreis",
        "verbandsgemeinde": "Verbandsgemeinde",
        "amt": "Amt",
        "samtgemeinde": "Samtgemeinde",
        "zweckverband": "Zweckverband",
        "stadtstaat": "Stadtstaat",
        "region": "Region / interkommunale Kooperation",
    },
    aliases={
        "Markt": "gemeinde",
        "Marktgemeinde": "gemeinde",
        "Große Kreisstadt": "stadt",
        "Kreis": "landkreis",
        "Verwaltungsgemeinschaft": "verbandsgemeinde",
        "LEADER-Region": "region",
        "interkommunale Kooperation": "region",
        "Bezirk": "stadtstaat",
    },
)

HANDLUNGSFELD = Vocabulary(
    "Handlungsfeld",
    {
        "verwaltung": "Verwaltung & Bürgerservice",
        "bildung": "Bildung",
        "mobilitaet": "Mobilität",
        "gesundheit": "Gesundheit & Pflege",
        "wirtschaft": "Wirtschaft & Arbeit",
        "infrastruktur": "Infrastruktur & Breitband",
        "energie_umwelt": "Energie & Umwelt",
        "tourismus_kultur": "Tourismus & Kultur",
        "beteiligung": "Beteiligung & Engagement",
        "ortsentwicklung": "Stadt- & Ortsentwicklung",
        "sicherheit": "Sicherheit & Katastrophenschutz",
    },
    aliases={
        "Verwaltung": "verwaltung",
        "Bürgerservice": "verwaltung",
        "E-Government": "verwaltung",
        "Schule": "bildung",
        "Gesundheit": "gesundheit",
        "Pflege": "gesundheit",
        "Gesundheit & Soziales": "gesundheit",
        "Wirtschaft": "wirtschaft",
        "Infrastruktur": "infrastruktur",
        "Infrastruktur/Breitband": "infrastruktur",
        "Breitband": "infrastruktur",
        "Energie": "energie_umwelt",
        "Umwelt": "energie_umwelt",
        "Energie/Umwelt": "energie_umwelt",
        "Klimaschutz": "energie_umwelt",
        "Tourismus": "tourismus_kultur",
        "Kultur": "tourismus_kultur",
        "Beteiligung": "beteiligung",
        "Engagement": "beteiligung",
        "Stadtentwicklung": "ortsentwicklung",
        "Ortsentwicklung": "ortsentwicklung",
        "Städtebau": "ortsentwicklung",
        "Sicherheit": "sicherheit",
        "Katastrophenschutz": "sicherheit",
    },
)

# Förderbereiche a measure of a Handlungsfeld is usually funded from (first = most typical).
HANDLUNGSFELD_TOPICS: dict[str, tuple[str, ...]] = {
    "verwaltung": ("digitalisierung", "smart_cities_regionen", "infrastruktur"),
    "bildung": ("aus_weiterbildung", "digitalisierung", "infrastruktur"),
    "mobilitaet": ("mobilitaet", "infrastruktur", "smart_cities_regionen", "umwelt_naturschutz"),
    "gesundheit": ("gesundheit_soziales", "digitalisierung", "infrastruktur"),
    "wirtschaft": ("regionalfoerderung", "digitalisierung", "existenzgruendung_festigung", "infrastruktur"),
    "infrastruktur": ("infrastruktur", "digitalisierung", "regionalfoerderung"),
    "energie_umwelt": ("energieeffizienz_erneuerbare_energien", "umwelt_naturschutz", "infrastruktur"),
    "tourismus_kultur": ("kultur_medien_sport", "regionalfoerderung", "infrastruktur"),
    "beteiligung": ("gesundheit_soziales", "smart_cities_regionen", "digitalisierung"),
    "ortsentwicklung": (
        "staedtebau_stadterneuerung",
        "landwirtschaft_laendliche_entwicklung",
        "smart_cities_regionen",
    ),
    "sicherheit": ("infrastruktur", "digitalisierung", "umwelt_naturschutz"),
}


def land_for_ags(ags: str) -> Land:
    """The Land of an Amtlicher Gemeindeschlüssel (8 digits, the first two name the Land)."""
    if not re.fullmatch(r"\d{8}", ags or ""):
        raise InputError(f"Der AGS hat 8 Ziffern, nicht {ags!r}")
    try:
        return LAND_BY_AGS_PREFIX[ags[:2]]
    except KeyError:
        raise InputError(f"Der AGS {ags!r} beginnt mit {ags[:2]!r}; das ist kein Land (01–16)") from None


def region_code(raw: str) -> str:
    """Map a raw region label or code to our region code; raises :class:`UnknownLabel`."""
    return REGION.code(raw)


def valid_land_codes() -> str:
    return ", ".join(land.code for land in LAENDER)


def split_labels(text: str, vocabulary: Vocabulary) -> tuple[list[str], list[str]]:
    """Codes for a comma-separated label list, and the parts no label matched.

    Labels may themselves contain ", " ("Kultur, Medien & Sport"), so adjacent parts are joined
    whenever the join is a known label.
    """
    parts = [p.strip() for p in text.split(",") if p.strip()]
    codes: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(parts):
        for width in range(min(3, len(parts) - i), 0, -1):
            code = vocabulary.lookup(", ".join(parts[i : i + width]))
            if code is not None:
                if code not in codes:
                    codes.append(code)
                i += width
                break
        else:
            unknown.append(parts[i])
            i += 1
    return codes, unknown
