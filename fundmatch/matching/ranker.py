"""The matcher: ranks catalogue programs for measures, scikit-learn style.

``Matcher(weights).fit(records)`` builds the index (TF-IDF over stems, compound parts and thesaurus
concepts per field; character n-grams; concept, topic and facet arrays; eligibility tables);
``rank(measure)`` and ``rank_many(measures)`` score every program through inverted indexes (numpy
only, see ``vectors``), drop ineligible programs, and explain the top hits. Scoring has two steps:
``evidence`` gathers what the measures share with every program (cosines, concept and topic overlaps,
facet classes), ``weigh`` turns it into score components with the weights and levels of ``Weights``.
Every component lies in 0..1; the score is their weighted mean.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from functools import partial, reduce
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from fundmatch import identity, vocab
from fundmatch.errors import ConflictError, InputError
from fundmatch.interchange import Match, MeasureSpec
from fundmatch.matching import eligibility
from fundmatch.matching.text import MAX_MEASURE_CHARS, CompoundSplitter, analyse, content_words, fold, plain, stem
from fundmatch.matching.thesaurus import Mention, Thesaurus
from fundmatch.matching.vectors import InvertedIndex, RowTerms, SparseRows, TfidfVectorizer, char_wb_ngrams
from fundmatch.scrapers.records import Deadline, ProgramRecord

FIELDS = ("title", "tags", "summary", "body")
_MUNICIPAL_TEXT = re.compile(
    r"\b(kommunen?|gemeinden?|landkreise?|staedte|kommunal\w*|gemeindeverbaende|zweckverbaende?|gebietskoerperschaft\w*)\b"
)
# How summaries address companies or private persons ("Wenn Sie als Unternehmen …"): no Kommune then.
_PRIVATE_TEXT = re.compile(
    r"\b(ihr unternehmen|als unternehmen|unternehmerin|existenzgruend\w*|privatperson\w*|eigentuemer\w*)\b"
)
_BRACKETED = re.compile(r"\(([^()]{3,60})\)")
_ACRONYM = re.compile(r"(?<![\w-])([A-ZÄÖÜ][A-Za-z0-9ÄÖÜäöüß]{1,9})(?![\w])")
_WORD = re.compile(r"[\wÄÖÜäöüß][\wÄÖÜäöüß.\-]*")
SPECIFIC, GENERAL = "specific", "general"
GENERAL_TOP = 5
"""General financing instruments (a municipal investment loan, an umbrella fund such as EFRE, GRW,
LEADER or the Städtebauförderung) fit almost any measure; they are listed apart, after the specific
programs ("Allgemeine Finanzierung"), so that they never push a specific program out of the top."""
MIN_SHOWN_PART = 5  # a compound part shorter than this ("Ende", "Amt") says nothing shown on its own
WEAK_TERMS = frozenset({"ende", "beginn", "teil", "art", "jahr", "jahre", "zeit", "neue", "neuen", "weitere"})
"""Words too general to be shown as "Gemeinsame Begriffe", however rare in the catalogue."""
NAME_SCORE_CUTOFF = 90
NAME_CANDIDATES = 50
GENERAL_PROGRAM_TITLE = re.compile(
    r"staedtebau|stadterneuerung|\bleader\b|dorferneuerung|dorfentwicklung|interkommunal|regionalentwicklung|"
    r"\bgrw\b|gemeinschaftsaufgabe|\befre\b|fonds fuer regionale entwicklung|laendliche\w* (entwicklung|raum|raeume)|"
    r"daseinsvorsorge|strukturwandel|strukturstaerkung|kommunalinvest"
)
_INVESTIVE = re.compile(
    r"\b(beschaff\w*|anschaff\w*|bau\w*|ausbau\w*|neubau\w*|umbau\w*|errichtung|sanier\w*|install\w*|hardware|"
    r"geraete\w*|ausstattung|investition\w*|erwerb|umruest\w*|modernisier\w*|infrastruktur\w*)"
)
_NON_INVESTIVE = re.compile(
    r"\b(personal\w*|stelle|stellen|schulung\w*|beratung\w*|konzept\w*|kampagne\w*|veranstaltung\w*|workshop\w*|"
    r"sprechstunde\w*|moderation|begleitung|qualifizierung\w*|netzwerk\w*)\b"
)
# Measures from this cost on are investments a general municipal loan can finance.
INVESTMENT_EUR = 100_000
MAX_TERM_SHARE = 0.3  # a matched term shown in explanations occurs in under 30 % of the program fields


COMPONENTS = ("text", "chars", "concepts", "topics", "name", "finance", "instrument", "region", "applicant", "status")
# Facet classes of a (program, measure) pair; a level of ``Weights`` gives each class its value.
REGION_CLASSES = ("own", "nationwide", "eu", "elsewhere")
APPLICANT_CLASSES = ("eligible", "check", "unknown", "private", "ineligible")
INVESTMENT_CLASSES = ("investment", "mixed", "small")
STATUS_CLASSES = ("open", "forthcoming", "unknown", "over")


class MeasureTextError(InputError):
    """A measure whose text gives nothing to match on."""

    http_status = 422


class EmptyCatalogueError(ConflictError):
    """A catalogue without programs: there is nothing to index or rank until one is loaded."""


@dataclass(frozen=True)
class Weights:
    """How much each score component counts, how much each field counts in the text component
    (``field_*``), and what a partial facet match is worth (the levels, 0..1; a full match is 1, none
    is 0). Set by measurement, not by taste: these are the values ``python -m benchmarks.eval.tune``
    found on the development part of both judged sets (see docs/benchmarks.md); the held-out part was
    never used to choose them."""

    text: float = 1.0
    chars: float = 5.0
    concepts: float = 1.5
    topics: float = 0.25
    name: float = 1.0
    finance: float = 1.5
    instrument: float = 0.25
    region: float = 2.0
    applicant: float = 2.0
    status: float = 1.5
    field_title: float = 5.0
    field_tags: float = 5.0
    field_summary: float = 0.0
    field_body: float = 3.0
    region_nationwide: float = 0.7  # a nationwide program for a Land's measure (its own Land's: 1)
    region_eu: float = 0.7  # an EU program
    applicant_check: float = 0.8  # applicant verdict "check" where the program names applicants or Kommunen
    applicant_unknown: float = 0.5  # … where it says nothing about applicants
    applicant_private: float = 0.2  # … where its text addresses companies or private persons
    status_forthcoming: float = 0.9
    status_unknown: float = 0.8
    investment_mixed: float = 0.7  # a general loan for a measure mostly of staff, advice or events
    investment_small: float = 0.4  # a general loan for a measure under INVESTMENT_EUR
    topic_inferred: float = 0.6  # a program's Förderbereich implied by its concepts, not declared
    topic_secondary: float = 0.8  # a Förderbereich of the measure's Handlungsfeld other than its first
    topic_from_concepts: float = 0.0  # a Förderbereich implied by the measure's concepts
    concept_in_body: float = 0.0  # a concept only the program's texts name, not its title or keywords

    @property
    def components(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in COMPONENTS}

    @property
    def fields(self) -> dict[str, float]:
        return {f: getattr(self, f"field_{f}") for f in FIELDS}

    @property
    def levels(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if k not in COMPONENTS and not k.startswith("field_")}


@dataclass
class Evidence:
    """What a batch of measures shares with every program before any weighing (programs × measures).

    Gathered once per batch; ``Matcher.weigh`` turns it into score components, so the tuner can try
    many weightings without recomputing a single similarity."""

    fields: dict[str, np.ndarray]  # TF-IDF cosine per field
    chars: np.ndarray
    concepts_headline: np.ndarray  # concept overlap through concepts the program's title or keywords name
    concepts_body: np.ndarray  # … through concepts only its texts name
    query_topics: dict[str, np.ndarray]  # topics × measures: "first", "secondary", "concepts"
    name: np.ndarray
    region: np.ndarray  # index into REGION_CLASSES
    applicant: np.ndarray  # index into APPLICANT_CLASSES
    investment: np.ndarray  # per measure: index into INVESTMENT_CLASSES


@dataclass
class Query:
    """A measure prepared for scoring."""

    measure: MeasureSpec
    text: str
    tokens: list[str]
    mentions: list[Mention]
    terms: list[tuple[str, int]] | None = None


def _identity(tokens):
    return tokens


def program_names(title: str) -> tuple[list[str], list[str]]:
    """Names a measure might use for a program: bracketed names (compared folded) and acronyms such as
    LEADER, GRW or BayGibitR (compared with their exact spelling, so that "STÄRKEN" is no name)."""
    bracketed = [fold(name).strip() for name in _BRACKETED.findall(title) if re.search(r"[A-Za-zÄÖÜäöüß]", name)]
    acronyms = [
        word
        for word in _ACRONYM.findall(title)
        if sum(ch.isupper() for ch in word) >= 2 and not (word.isupper() and len(word) > 8)
    ]
    return [b for b in bracketed if len(b) >= 3], acronyms


def investment_class(query: Query) -> int:
    """Whether a measure is an investment a loan can finance: a sizeable one, one mostly of staff, advice
    or events (by the words that describe it), or a small one (an index into INVESTMENT_CLASSES)."""
    if (query.measure.cost_eur or INVESTMENT_EUR) < INVESTMENT_EUR:
        return INVESTMENT_CLASSES.index("small")
    folded = fold(query.text)
    investive = len(_INVESTIVE.findall(folded))
    non_investive = len(_NON_INVESTIVE.findall(folded))
    return INVESTMENT_CLASSES.index("investment" if investive >= non_investive else "mixed")


def _shares_text(evidence: Evidence) -> np.ndarray:
    """Where a program shares a word, a concept or its name with a query, whatever the weights."""
    words = np.logical_or.reduce([values > 0 for values in evidence.fields.values()])
    concepts = (evidence.concepts_headline > 0) | (evidence.concepts_body > 0)
    return words | concepts | (evidence.name > 0)


def _levels(classes: Sequence[str], values: dict[str, float]) -> np.ndarray:
    """The value of each facet class, in the order of ``classes`` (the class indices point into it)."""
    return np.array([values[name] for name in classes], dtype=np.float32)


def _tabulate(
    values: Sequence[Sequence[str]], check: Callable[[Sequence[str], str], eligibility.Check | None], wanted: str
) -> np.ndarray:
    """``RANK`` of ``check(codes, wanted)`` for every program's facet codes, as int8; computed once per
    distinct list of codes. A check that does not apply excludes nothing."""
    memo: dict[tuple[str, ...], int] = {}
    result = np.empty(len(values), dtype=np.int8)
    for i, codes in enumerate(values):
        key = tuple(codes)
        if key not in memo:
            found = check(codes, wanted)
            memo[key] = eligibility.RANK[found.verdict if found else eligibility.ELIGIBLE]
        result[i] = memo[key]
    return result


def _stacked(tables: dict[str, np.ndarray]) -> np.ndarray:
    return np.stack(list(tables.values()))


@dataclass
class ProgramTable:
    """What ranking needs to know of each program besides the index arrays, column by column: the facts a
    Match shows and its eligibility reasons are written from. The index keeps this instead of the records,
    so an index file holds no program texts."""

    source: list[str]
    source_id: list[str]
    title: list[str]
    url: list[str]
    level: list[str]
    regions: list[list[str]]
    applicant_types: list[list[str]]
    funding_types: list[list[str]]
    status: list[str]
    status_note: list[str | None]
    deadlines: list[list[tuple[str, str, str | None]]]  # (ISO date, kind, recurrence)
    rolling: list[bool | None]
    rate_min: list[float | None]
    rate_max: list[float | None]
    amount_max: list[float | None]
    facts_as_of: list[str | None]  # ISO date

    @classmethod
    def of(cls, records: Sequence[ProgramRecord]) -> ProgramTable:
        facts = [identity.facts_date(r) for r in records]
        return cls(
            source=[r.source for r in records],
            source_id=[r.source_id for r in records],
            title=[r.title for r in records],
            url=[r.url for r in records],
            level=[r.level for r in records],
            regions=[list(r.regions) for r in records],
            applicant_types=[list(r.applicant_types) for r in records],
            funding_types=[list(r.funding_types) for r in records],
            status=[r.status for r in records],
            status_note=[r.status_note for r in records],
            deadlines=[[(d.date.isoformat(), d.kind, d.recurrence) for d in r.deadlines] for r in records],
            rolling=[r.rolling for r in records],
            rate_min=[r.funding_rate_min for r in records],
            rate_max=[r.funding_rate_max for r in records],
            amount_max=[r.amount_max_eur for r in records],
            facts_as_of=[day.isoformat() if day else None for day in facts],
        )

    def deadlines_of(self, i: int) -> list[Deadline]:
        return [
            Deadline(date=date.fromisoformat(day), kind=kind, recurrence=rule) for day, kind, rule in self.deadlines[i]
        ]

    def to_json(self) -> dict[str, list]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def assess(self, i: int, measure: MeasureSpec, today: date) -> eligibility.Assessment:
        """The eligibility of program ``i`` for ``measure``, with its reasons."""
        return eligibility.assess(
            regions=self.regions[i],
            applicant_types=self.applicant_types[i],
            status=self.status[i],
            deadlines=self.deadlines_of(i),
            rolling=self.rolling[i],
            funding_types=self.funding_types[i],
            land=measure.land,
            applicant=measure.applicant_type,
            funding_type=measure.funding_type,
            today=today,
            status_note=self.status_note[i],
        )


class Matcher:
    """Ranks programs for measures. Configure in ``__init__``; ``fit`` learns the index. ``arrays`` and
    ``from_arrays`` carry the learned state to an index file and back: numpy arrays and JSON-ready
    metadata, nothing pickled. ``records_`` is there only after ``fit``: ranking never needs it."""

    def __init__(self, weights: Weights | None = None, thesaurus: Thesaurus | None = None, char_ngrams=(3, 5)):
        self.weights = weights or Weights()
        self.thesaurus = thesaurus
        self.char_ngrams = char_ngrams

    # ---- fitting -------------------------------------------------------------------------------
    def fit(self, records: Sequence[ProgramRecord], version: str = "") -> Matcher:
        thesaurus = self.thesaurus or Thesaurus.load()
        self.thesaurus_ = thesaurus
        self.version_ = version
        self.records_ = list(records)
        if not self.records_:
            raise EmptyCatalogueError(
                "the catalogue holds no programs yet: load the curated one with `fundmatch seed` "
                "or import one with `fundmatch catalogue import FILE`"
            )
        self.programs_ = ProgramTable.of(self.records_)
        self.keys_ = [r.key for r in self.records_]
        lexicon = set(thesaurus.lexicon())
        for record in self.records_:
            lexicon.update(content_words(f"{record.title} {' '.join(record.keywords)}"))
        self.splitter_ = CompoundSplitter(lexicon)
        field_tokens: dict[str, list[list[str]]] = {f: [] for f in FIELDS}
        concept_rows: list[dict[str, bool]] = []
        char_docs: list[str] = []
        for record in self.records_:
            texts = self._field_texts(record)
            mentions = thesaurus.mentions(" \n".join(texts.values()), self.splitter_)
            concept_tokens = [f"c_{m.concept}" for m in mentions]
            headline = {
                m.concept for m in thesaurus.mentions(f"{record.title} {' '.join(record.keywords)}", self.splitter_)
            }
            concept_rows.append({m.concept: m.concept in headline for m in mentions})
            for name, text in texts.items():
                tokens = analyse(text, self.splitter_)
                field_tokens[name].append(tokens + (concept_tokens if name == "tags" else []))
            char_docs.append(fold(f"{record.title} {record.summary or ''} {' '.join(record.keywords)}"))
        self.vectorizer_ = TfidfVectorizer(_identity)
        self.vectorizer_.fit([tokens for f in FIELDS for tokens in field_tokens[f]])
        self.field_index_ = {f: InvertedIndex.from_rows(self.vectorizer_.transform(field_tokens[f])) for f in FIELDS}
        self.program_terms_ = RowTerms.of(list(self.field_index_.values()))
        document_frequency = reduce(operator.add, (index.document_frequency() for index in self.field_index_.values()))
        self.informative_ = document_frequency / max(1, len(FIELDS) * len(self.records_)) < MAX_TERM_SHARE
        self.char_vectorizer_ = TfidfVectorizer(partial(char_wb_ngrams, ngram_range=self.char_ngrams))
        self.char_index_ = InvertedIndex.from_rows(self.char_vectorizer_.fit_transform(char_docs))
        self._fit_concepts(concept_rows)
        self._fit_facets(concept_rows)
        return self

    def _field_texts(self, record: ProgramRecord) -> dict[str, str]:
        tags = [vocab.TOPIC.label(t) for t in record.topics]
        tags += [vocab.SUBTOPIC_LABELS[s] for s in record.subtopics if s in vocab.SUBTOPIC_LABELS]
        tags += record.keywords
        body = " ".join(filter(None, [record.description, (record.legal_basis or "")[:3000]]))
        return {"title": record.title, "tags": " ; ".join(tags), "summary": record.summary or "", "body": body}

    def _fit_concepts(self, concept_rows: list[dict[str, bool]]) -> None:
        """Program × concept indicators: concepts its title or keywords name, and those only its texts
        name (``Weights.concept_in_body`` says what the latter are worth)."""
        ids = sorted(self.thesaurus_.concepts)
        self.concept_names_ = ids
        self.concept_ids_ = {c: i for i, c in enumerate(ids)}

        def indicator(headline: bool) -> InvertedIndex:
            cells = [
                (row, self.concept_ids_[concept])
                for row, concepts in enumerate(concept_rows)
                for concept, in_headline in concepts.items()
                if in_headline == headline
            ]
            rows, columns = zip(*cells, strict=True) if cells else ((), ())
            return InvertedIndex.from_cells(rows, columns, len(concept_rows), len(ids))

        self.concept_headline_ = indicator(True)
        self.concept_body_ = indicator(False)
        self.program_concepts_ = RowTerms.of([self.concept_headline_, self.concept_body_])
        frequency = (self.concept_headline_.document_frequency() + self.concept_body_.document_frequency()).astype(
            np.float32
        )
        self.concept_idf_ = np.log((1 + len(concept_rows)) / (1 + frequency)).astype(np.float32) + 1

    def _fit_facets(self, concept_rows: list[dict[str, bool]]) -> None:
        """Facet arrays and eligibility tables; a program's Förderbereiche are its declared ones, plus
        those its thesaurus concepts imply (``Weights.topic_inferred``), so that programs a source left
        unclassified still have topics. The eligibility checks that do not depend on the day are
        tabulated for every Land, applicant type and Förderart: ranking only looks them up."""
        n = len(self.records_)
        records = self.records_
        topics = vocab.TOPIC.codes
        self.topic_index_ = {t: i for i, t in enumerate(topics)}
        declared = np.zeros((n, len(topics)), dtype=np.float32)
        inferred = np.zeros((n, len(topics)), dtype=np.float32)
        for i, (record, concepts) in enumerate(zip(records, concept_rows, strict=True)):
            for topic in self.thesaurus_.topics(concepts):
                inferred[i, self.topic_index_[topic]] = 1.0
            for topic in record.topics:
                declared[i, self.topic_index_[topic]] = 1.0
        self.topics_declared_ = declared
        self.topics_inferred_ = inferred * (1 - declared)
        status_class = {"open": "open", "forthcoming": "forthcoming", "closed": "over", "withdrawn": "over"}
        self.status_class_ = np.array(
            [STATUS_CLASSES.index(status_class.get(r.status, "unknown")) for r in records], dtype=np.int8
        )
        lands = [*vocab.LAND_BY_CODE, vocab.NATIONWIDE]
        self.region_class_ = {}
        for land in lands:
            self.region_class_[land] = np.array(
                [
                    REGION_CLASSES.index(
                        "own"
                        if land in r.regions
                        else "nationwide"
                        if "DE" in r.regions
                        else "eu"
                        if "EU" in r.regions
                        else "elsewhere"
                    )
                    for r in records
                ],
                dtype=np.int8,
            )
        municipal = [
            bool(_MUNICIPAL_TEXT.search(fold(f"{r.title} {r.summary or ''} {r.description or ''}"))) for r in records
        ]
        self._fit_instruments(municipal)
        regions = [r.regions for r in records]
        self.region_verdict_ = {land: _tabulate(regions, eligibility.region_check, land) for land in lands}
        applicants = [r.applicant_types for r in records]
        self.applicant_verdict_ = {
            applicant: _tabulate(applicants, eligibility.applicant_check, applicant)
            for applicant in vocab.APPLICANT_TYPE.codes
        }
        funding = [r.funding_types for r in records]
        self.funding_verdict_ = {
            wanted: _tabulate(funding, eligibility.funding_type_check, wanted) for wanted in vocab.FUNDING_TYPE.codes
        }
        self.timing_ = eligibility.TimingTable.of([(r.status, r.deadlines, r.rolling) for r in records])
        private = [bool(_PRIVATE_TEXT.search(fold(f"{r.title} {r.summary or ''}"))) for r in records]
        self.applicant_class_ = {
            applicant: self._applicant_classes(self.applicant_verdict_[applicant], municipal, private)
            for applicant in vocab.APPLICANT_TYPE.codes
        }
        self.folded_titles_ = [fold(r.title) for r in records]
        self.acronyms_: dict[str, list[int]] = {}
        self.bracketed_: dict[str, list[tuple[str, int]]] = {}
        for i, record in enumerate(records):
            bracketed, acronyms = program_names(record.title)
            for acronym in acronyms:
                self.acronyms_.setdefault(acronym, []).append(i)
            for name in bracketed:
                first = name.split()[0]
                self.bracketed_.setdefault(first, []).append((name, i))

    def _applicant_classes(self, verdicts: np.ndarray, municipal: list[bool], private: list[bool]) -> np.ndarray:
        """Each program's applicant fit for one applicant type, as an index into APPLICANT_CLASSES: a
        "check" verdict is worth more where the program names applicants or addresses Kommunen, and less
        where its text addresses companies or private persons."""
        classes = []
        for record, verdict, addresses_municipalities, addresses_private in zip(
            self.records_, verdicts, municipal, private, strict=True
        ):
            if verdict == eligibility.RANK[eligibility.ELIGIBLE]:
                classes.append("eligible")
            elif verdict == eligibility.RANK[eligibility.CHECK] and (
                record.applicant_types or addresses_municipalities
            ):
                classes.append("check")
            elif verdict == eligibility.RANK[eligibility.CHECK]:
                classes.append("private" if addresses_private else "unknown")
            else:
                classes.append("ineligible")
        return np.array([APPLICANT_CLASSES.index(c) for c in classes], dtype=np.int8)

    def _fit_instruments(self, municipal: list[bool]) -> None:
        """General-purpose municipal instruments, which fit many measures that share no words with them.

        A general municipal loan (a loan open to Kommunen whose title names no subject of the thesaurus,
        such as KfW IKK or a Land's Kommunalkredit) can finance any investment of a Kommune; a general
        program (Städtebauförderung, EFRE, GRW, LEADER, rural development, inter-municipal cooperation,
        recognised by the names in its title, a small domain lexicon kept here) is worth checking for
        many of its measures.
        """
        loans, programs = [], []
        for record, addresses_municipalities in zip(self.records_, municipal, strict=True):
            title = fold(record.title)
            public = bool({"kommune", "oeffentliche_einrichtung"} & set(record.applicant_types)) or (
                addresses_municipalities
            )
            private_only = bool(record.applicant_types) and set(record.applicant_types) <= eligibility.PRIVATE_ONLY
            subjects = {m.concept for m in self.thesaurus_.mentions(record.title, self.splitter_) if m.via is None}
            loans.append(
                "darlehen" in record.funding_types
                and public
                and not private_only
                and not subjects - {"kommunalfinanzierung"}
            )
            programs.append(not private_only and bool(GENERAL_PROGRAM_TITLE.search(title)))
        self.general_loan_ = np.array(loans, dtype=np.float32)
        self.general_program_ = np.array(programs, dtype=np.float32)

    # ---- the learned state as arrays and metadata --------------------------------------------------
    def arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The learned state: numpy arrays, and metadata of plain lists, dicts and strings (JSON-ready).
        ``from_arrays`` builds an equal matcher from them."""
        arrays: dict[str, np.ndarray] = {
            "word_idf": self.vectorizer_.idf_,
            "informative": self.informative_,
            "char_idf": self.char_vectorizer_.idf_,
            "concept_idf": self.concept_idf_,
            "topics_declared": self.topics_declared_,
            "topics_inferred": self.topics_inferred_,
            "status_class": self.status_class_,
            "region_class": _stacked(self.region_class_),
            "region_verdict": _stacked(self.region_verdict_),
            "applicant_verdict": _stacked(self.applicant_verdict_),
            "applicant_class": _stacked(self.applicant_class_),
            "funding_verdict": _stacked(self.funding_verdict_),
            "general_loan": self.general_loan_,
            "general_program": self.general_program_,
            "timing.ended": self.timing_.ended,
            "timing.forthcoming": self.timing_.forthcoming,
            "timing.last_deadline": self.timing_.last_deadline,
            "timing.rolling": self.timing_.rolling,
            "timing.last_end": self.timing_.last_end,
            "timing.recurs_until": self.timing_.recurs_until,
            **self.program_terms_.arrays("program_terms"),
            **self.program_concepts_.arrays("program_concepts"),
            **self.char_index_.arrays("chars"),
            **self.concept_headline_.arrays("concepts_headline"),
            **self.concept_body_.arrays("concepts_body"),
        }
        for name, index in self.field_index_.items():
            arrays.update(index.arrays(f"field_{name}"))
        meta = {
            "version": self.version_,
            "char_ngrams": list(self.char_ngrams),
            "keys": self.keys_,
            "programs": self.programs_.to_json(),
            "word_terms": self.vectorizer_.terms_,
            "char_terms": self.char_vectorizer_.terms_,
            "concepts": self.concept_names_,
            "topics": list(self.topic_index_),
            "lands": list(self.region_class_),
            "applicant_types": list(self.applicant_verdict_),
            "funding_types": list(self.funding_verdict_),
            "lexicon": sorted(self.splitter_.lexicon),
            "folded_titles": self.folded_titles_,
            "acronyms": self.acronyms_,
            "bracketed": self.bracketed_,
        }
        return arrays, meta

    @classmethod
    def from_arrays(
        cls,
        arrays: Mapping[str, np.ndarray],
        meta: Mapping[str, Any],
        thesaurus: Thesaurus,
        weights: Weights | None = None,
    ) -> Matcher:
        """A fitted matcher from what ``arrays`` returned, with the thesaurus it was fitted with."""
        matcher = cls(weights, thesaurus, tuple(meta["char_ngrams"]))
        matcher.thesaurus_ = thesaurus
        matcher.version_ = meta["version"]
        matcher.keys_ = meta["keys"]
        matcher.programs_ = ProgramTable(**meta["programs"])
        n = len(matcher.keys_)
        matcher.splitter_ = CompoundSplitter(set(meta["lexicon"]))
        matcher.vectorizer_ = TfidfVectorizer(_identity).load(meta["word_terms"], arrays["word_idf"])
        matcher.field_index_ = {f: InvertedIndex.load(arrays, f"field_{f}", n) for f in FIELDS}
        matcher.program_terms_ = RowTerms.load(arrays, "program_terms")
        matcher.informative_ = arrays["informative"]
        matcher.char_vectorizer_ = TfidfVectorizer(partial(char_wb_ngrams, ngram_range=matcher.char_ngrams)).load(
            meta["char_terms"], arrays["char_idf"]
        )
        matcher.char_index_ = InvertedIndex.load(arrays, "chars", n)
        matcher.concept_names_ = meta["concepts"]
        matcher.concept_ids_ = {c: i for i, c in enumerate(matcher.concept_names_)}
        matcher.concept_headline_ = InvertedIndex.load(arrays, "concepts_headline", n)
        matcher.concept_body_ = InvertedIndex.load(arrays, "concepts_body", n)
        matcher.program_concepts_ = RowTerms.load(arrays, "program_concepts")
        matcher.concept_idf_ = arrays["concept_idf"]
        matcher.topic_index_ = {t: i for i, t in enumerate(meta["topics"])}
        matcher.topics_declared_ = arrays["topics_declared"]
        matcher.topics_inferred_ = arrays["topics_inferred"]
        matcher.status_class_ = arrays["status_class"]
        matcher.region_class_ = dict(zip(meta["lands"], arrays["region_class"], strict=True))
        matcher.region_verdict_ = dict(zip(meta["lands"], arrays["region_verdict"], strict=True))
        matcher.applicant_verdict_ = dict(zip(meta["applicant_types"], arrays["applicant_verdict"], strict=True))
        matcher.applicant_class_ = dict(zip(meta["applicant_types"], arrays["applicant_class"], strict=True))
        matcher.funding_verdict_ = dict(zip(meta["funding_types"], arrays["funding_verdict"], strict=True))
        matcher.general_loan_ = arrays["general_loan"]
        matcher.general_program_ = arrays["general_program"]
        matcher.timing_ = eligibility.TimingTable(
            ended=arrays["timing.ended"],
            forthcoming=arrays["timing.forthcoming"],
            last_deadline=arrays["timing.last_deadline"],
            rolling=arrays["timing.rolling"],
            last_end=arrays["timing.last_end"],
            recurs_until=arrays["timing.recurs_until"],
        )
        matcher.folded_titles_ = meta["folded_titles"]
        matcher.acronyms_ = meta["acronyms"]
        matcher.bracketed_ = meta["bracketed"]
        return matcher

    # ---- eligibility -----------------------------------------------------------------------------
    def verdicts(self, measure: MeasureSpec, today: date) -> np.ndarray:
        """0 eligible, 1 check, 2 ineligible for every program: the worst of the tabulated checks."""
        parts = [
            self.region_verdict_[measure.land],
            self.applicant_verdict_[measure.applicant_type],
            self.timing_.ranks(today),
        ]
        if measure.funding_type:
            parts.append(self.funding_verdict_[measure.funding_type])
        return np.maximum.reduce(parts)

    # ---- queries -------------------------------------------------------------------------------
    def prepare(self, measure: MeasureSpec) -> Query:
        """A measure as a query; an empty or stop-word-only text is an error."""
        text = plain(f"{measure.title}\n{measure.description or ''}", MAX_MEASURE_CHARS)
        tokens = analyse(text, self.splitter_)
        if not tokens:
            raise MeasureTextError(
                f"measure {measure.id!r}: the text has no words to match on (empty or only stop words)"
            )
        mentions = self.thesaurus_.mentions(text, self.splitter_)
        tokens = tokens + [f"c_{m.concept}" for m in mentions]
        return Query(measure=measure, text=text, tokens=tokens, mentions=mentions)

    def _query_concepts(self, queries: Sequence[Query]) -> SparseRows:
        """The queries' concepts, each weighted by its idf."""
        columns = [sorted(self.concept_ids_[m.concept] for m in q.mentions) for q in queries]
        indices = np.array([c for row in columns for c in row], dtype=np.int32)
        indptr = np.concatenate(([0], np.cumsum([len(row) for row in columns]))).astype(np.int64)
        return SparseRows(indptr, indices, self.concept_idf_[indices], len(self.concept_names_))

    def evidence(self, queries: Sequence[Query]) -> Evidence:
        """What every program shares with every query, before weighing."""
        q_words = self.vectorizer_.transform([q.tokens for q in queries])
        fields = {f: self.field_index_[f].dot(q_words) for f in FIELDS}
        q_chars = self.char_vectorizer_.transform([fold(q.text) for q in queries])
        q_concepts = self._query_concepts(queries)
        totals = np.bincount(q_concepts.row_ids(), weights=q_concepts.values, minlength=len(queries))
        totals = np.where(totals > 0, totals, 1).astype(np.float32)
        return Evidence(
            fields=fields,
            chars=self.char_index_.dot(q_chars),
            concepts_headline=self.concept_headline_.dot(q_concepts) / totals,
            concepts_body=self.concept_body_.dot(q_concepts) / totals,
            query_topics=self._query_topics(queries),
            name=self._name_component(queries, reduce(operator.add, fields.values())),
            region=np.stack([self.region_class_[q.measure.land] for q in queries], axis=1),
            applicant=np.stack([self.applicant_class_[q.measure.applicant_type] for q in queries], axis=1),
            investment=np.array([investment_class(q) for q in queries], dtype=np.int8),
        )

    def _query_topics(self, queries: Sequence[Query]) -> dict[str, np.ndarray]:
        """The measures' Förderbereiche by origin: the first of the Handlungsfeld, its others, and those
        the measure's concepts imply."""
        shape = (len(self.topic_index_), len(queries))
        result = {origin: np.zeros(shape, dtype=np.float32) for origin in ("first", "secondary", "concepts")}
        for j, query in enumerate(queries):
            if query.measure.handlungsfeld:
                for rank, topic in enumerate(vocab.HANDLUNGSFELD_TOPICS[query.measure.handlungsfeld]):
                    result["first" if rank == 0 else "secondary"][self.topic_index_[topic], j] = 1.0
            for topic in self.thesaurus_.topics(m.concept for m in query.mentions if m.via is None):
                result["concepts"][self.topic_index_[topic], j] = 1.0
        return result

    def weigh(self, evidence: Evidence, weights: Weights | None = None) -> dict[str, np.ndarray]:
        """Every score component for every (program, query), each 0..1, from the evidence."""
        weights = weights or self.weights
        field_weights = weights.fields
        text = sum(field_weights[f] * evidence.fields[f] for f in FIELDS) / max(sum(field_weights.values()), 1e-9)
        origins = evidence.query_topics
        q_topics = np.maximum.reduce(
            [
                origins["first"],
                weights.topic_secondary * origins["secondary"],
                weights.topic_from_concepts * origins["concepts"],
            ]
        )
        topic_totals = q_topics.sum(axis=0)
        topics = (
            self.topics_declared_ @ q_topics + weights.topic_inferred * (self.topics_inferred_ @ q_topics)
        ) / np.where(topic_totals > 0, topic_totals, 1)
        queries = evidence.investment.shape[0]
        region = _levels(
            REGION_CLASSES,
            {"own": 1.0, "nationwide": weights.region_nationwide, "eu": weights.region_eu, "elsewhere": 0.0},
        )
        applicant = _levels(
            APPLICANT_CLASSES,
            {
                "eligible": 1.0,
                "check": weights.applicant_check,
                "unknown": weights.applicant_unknown,
                "private": weights.applicant_private,
                "ineligible": 0.0,
            },
        )
        status = _levels(
            STATUS_CLASSES,
            {"open": 1.0, "forthcoming": weights.status_forthcoming, "unknown": weights.status_unknown, "over": 0.0},
        )[self.status_class_]
        investment = _levels(
            INVESTMENT_CLASSES,
            {"investment": 1.0, "mixed": weights.investment_mixed, "small": weights.investment_small},
        )[evidence.investment]
        return {
            "text": text,
            "chars": evidence.chars,
            "concepts": evidence.concepts_headline + weights.concept_in_body * evidence.concepts_body,
            "topics": topics,
            "name": evidence.name,
            "finance": self.general_loan_[:, None] * investment[None, :],
            "instrument": np.repeat(self.general_program_[:, None], queries, axis=1),
            "region": region[evidence.region],
            "applicant": applicant[evidence.applicant],
            "status": np.repeat(status[:, None], queries, axis=1),
        }

    def substance(self, evidence: Evidence) -> np.ndarray:
        """Where a program shares something real with a measure: a word, a concept, its name, at least
        half of the measure's Förderbereiche among those it declares, or it is a general municipal
        instrument. Elsewhere it is no match at all, whatever the weights."""
        q_topics = np.maximum.reduce(list(evidence.query_topics.values()))
        shared_topics = self.topics_declared_ @ q_topics
        topics = shared_topics >= 0.5 * np.maximum(q_topics.sum(axis=0), 1)
        instruments = (self.general_loan_ > 0) | (self.general_program_ > 0)
        return _shares_text(evidence) | topics | instruments[:, None]

    def components(self, queries: Sequence[Query]) -> dict[str, np.ndarray]:
        """Every score component for every (program, query): arrays of shape (programs, queries)."""
        return self.weigh(self.evidence(queries))

    def _name_component(self, queries: Sequence[Query], text_scores: np.ndarray) -> np.ndarray:
        """1 where the measure names the program (its acronym, bracketed name or, fuzzily, its title)."""
        result = np.zeros((len(self.keys_), len(queries)), dtype=np.float32)
        for j, query in enumerate(queries):
            words = set(_WORD.findall(query.text))
            for word in words:
                for i in self.acronyms_.get(word.rstrip(".-"), ()):
                    result[i, j] = 1.0
            folded = fold(query.text)
            for token in set(folded.split()):
                for name, i in self.bracketed_.get(token, ()):
                    if name in folded:
                        result[i, j] = 1.0
            scores = text_scores[:, j]
            candidates = (
                np.argpartition(-scores, NAME_CANDIDATES)[:NAME_CANDIDATES]
                if len(scores) > NAME_CANDIDATES
                else range(len(scores))
            )
            for i in candidates:
                title = self.folded_titles_[i]
                if len(title) >= 12 and fuzz.partial_ratio(title, folded, score_cutoff=NAME_SCORE_CUTOFF):
                    result[i, j] = 1.0
        return result

    def score(self, components: dict[str, np.ndarray], weights: Weights | None = None) -> np.ndarray:
        by_component = (weights or self.weights).components
        total = sum(by_component.values())
        return np.asarray(
            sum(by_component[name] * np.clip(values, 0, 1) for name, values in components.items()) / total
        )

    def relevance(self, text: str) -> dict[str, float]:
        """Text relevance of every program for a free search (no eligibility): key → score 0..1."""
        query = self.prepare(MeasureSpec(id="search", title=text[:300], description=text, land="BY"))
        evidence = self.evidence([query])
        components = self.weigh(evidence)
        weights = {k: v for k, v in self.weights.components.items() if k in ("text", "chars", "concepts", "name")}
        score = sum(w * np.clip(components[k][:, 0], 0, 1) for k, w in weights.items()) / sum(weights.values())
        found = np.flatnonzero(_shares_text(evidence)[:, 0])
        return {self.keys_[i]: float(score[i]) for i in found}

    # ---- ranking -------------------------------------------------------------------------------
    def rank(
        self, measure: MeasureSpec, top: int = 10, include_ineligible: bool = False, today: date | None = None
    ) -> list[Match]:
        return self.rank_many([measure], top=top, include_ineligible=include_ineligible, today=today)[0]

    def rank_many(
        self,
        measures: Sequence[MeasureSpec],
        top: int = 10,
        include_ineligible: bool = False,
        today: date | None = None,
    ) -> list[list[Match]]:
        """Ranked, explained matches for each measure, in one pass over the index."""
        if not measures:
            return []
        today = today or date.today()
        queries = [self.prepare(m) for m in measures]
        evidence = self.evidence(queries)
        components = self.weigh(evidence)
        scores = self.score(components)
        substance = self.substance(evidence)
        order_key = np.array(self.keys_)
        general = (self.general_loan_ > 0)[:, None] & (components["name"] == 0)
        results = []
        for j, query in enumerate(queries):
            verdicts = self.verdicts(query.measure, today)
            allowed = substance[:, j] & (True if include_ineligible else verdicts < 2)
            candidates = np.flatnonzero(allowed)
            ranked = candidates[np.lexsort((order_key[candidates], -np.round(scores[candidates, j], 6)))]
            specific = [i for i in ranked if not general[i, j]][:top]
            instruments = [i for i in ranked if general[i, j]][: min(top, GENERAL_TOP)]
            results.append(
                [self._match(i, j, query, scores, components, today) for i in specific]
                + [self._match(i, j, query, scores, components, today, section=GENERAL) for i in instruments]
            )
        return results

    def _match(self, i: int, j: int, query: Query, scores, components, today: date, section: str = SPECIFIC) -> Match:
        programs = self.programs_
        assessment = programs.assess(i, query.measure, today)
        facts = programs.facts_as_of[i]
        return Match(
            source=programs.source[i],
            source_id=programs.source_id[i],
            title=programs.title[i],
            url=programs.url[i],
            level=programs.level[i],
            regions=list(programs.regions[i]),
            score=float(scores[i, j]),
            components={name: float(values[i, j]) for name, values in components.items()},
            eligibility=assessment.verdict,
            reasons=list(assessment.reasons),
            matched_terms=self._matched_terms(i, query),
            concepts=self._shared_concepts(i, query),
            next_deadline=assessment.next_deadline,
            rolling=programs.rolling[i],
            funding_types=list(programs.funding_types[i]),
            funding_rate_min=programs.rate_min[i],
            funding_rate_max=programs.rate_max[i],
            amount_max_eur=programs.amount_max[i],
            facts_as_of=date.fromisoformat(facts) if facts else None,
            section=section,
        )

    def _query_terms(self, query: Query) -> list[tuple[str, int]]:
        """What of the measure's words can be shown as shared: (the form shown, its vocabulary column).

        A whole word is shown as the measure writes it; a compound part only as the part itself
        ("Beteiligung" of "Bürgerbeteiligung", never the whole word, which the program need not
        contain), and only a part long and specific enough to mean something on its own (not "Ende"
        of "Ende-zu-Ende"). Computed once per measure."""
        if query.terms is None:
            vocabulary = self.vectorizer_.vocabulary_
            terms: dict[int, str] = {}
            for word in re.findall(r"[\wÄÖÜäöüß][\wÄÖÜäöüß\-]*", query.text):
                segments = {fold(segment): segment for segment in word.split("-")}
                for part in content_words(word):
                    shown = [(segments.get(fold(part), word), stem(part))]
                    shown += [
                        (piece[:1].upper() + piece[1:], stem(piece))
                        for piece in self.splitter_.split(part)
                        if len(piece) >= MIN_SHOWN_PART and fold(piece) not in WEAK_TERMS
                    ]
                    for form, token in shown:
                        column = vocabulary.get(token)
                        if column is not None and self.informative_[column] and fold(form) not in WEAK_TERMS:
                            terms.setdefault(column, form)
            query.terms = [(form, column) for column, form in terms.items()]
        return query.terms

    def _matched_terms(self, i: int, query: Query) -> list[str]:
        """The shown forms of the measure's terms whose stems stand in the program's own text, rarest first."""
        columns = set(self.program_terms_.of_row(i).tolist())
        found = sorted(
            (-self.vectorizer_.idf_[column], n, form)
            for n, (form, column) in enumerate(self._query_terms(query))
            if column in columns
        )
        return list(dict.fromkeys(form for _, _, form in found))[:8]

    def _shared_concepts(self, i: int, query: Query) -> list[str]:
        program_concepts = {self.concept_names_[k] for k in self.program_concepts_.of_row(i).tolist()}
        explained = []
        for mention in query.mentions:
            if mention.concept not in program_concepts:
                continue
            label = self.thesaurus_.concepts[mention.concept].label
            if mention.via:
                narrower = self.thesaurus_.concepts[mention.via].label
                explained.append(f"{label} (Oberbegriff zu {narrower}, aus „{mention.surface}“)")
            else:
                explained.append(f"{label} (aus „{mention.surface}“)")
        return explained
