"""What a program and a measure share: the matcher's learned program side and the evidence it gathers.

``Features.fit(records, thesaurus)`` learns, program by program, what a measure can meet: words per
field and character n-grams (``TextFeatures``), thesaurus concepts (``ConceptFeatures``), Förderbereiche
(``TopicFeatures``), facet classes and general instruments (``FacetFeatures``), eligibility tables
(``EligibilityTables``) and the names a measure may call it by (``NameFeatures``). ``prepare`` makes a
measure a ``Query``; ``evidence`` gathers what a batch of queries shares with every program, through
inverted indexes and lookups only. Each part writes its learned state as numpy arrays and JSON-ready
metadata and loads it back (``arrays``, ``load``); what it derives from that state (a term → column
dict, an id → index dict, an index's dense block) it builds when it is made, never stored.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial, reduce
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from fundmatch import vocab
from fundmatch.errors import InputError
from fundmatch.interchange import MeasureSpec
from fundmatch.matching import eligibility
from fundmatch.matching.text import MAX_MEASURE_CHARS, CompoundSplitter, analyse, content_words, fold, plain
from fundmatch.matching.thesaurus import Mention, Thesaurus
from fundmatch.matching.vectors import InvertedIndex, RowTerms, SparseRows, TfidfVectorizer, char_wb_ngrams
from fundmatch.scrapers.records import ProgramRecord

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

# Facet classes of a (program, measure) pair; a level of ``Weights`` gives each class its value.
REGION_CLASSES = ("own", "nationwide", "eu", "elsewhere")
APPLICANT_CLASSES = ("eligible", "check", "unknown", "private", "ineligible")
INVESTMENT_CLASSES = ("investment", "mixed", "small")
STATUS_CLASSES = ("open", "forthcoming", "unknown", "over")

Arrays = dict[str, np.ndarray]
Meta = dict[str, Any]


class MeasureTextError(InputError):
    """A measure whose text gives nothing to match on."""

    http_status = 422


@dataclass(frozen=True)
class Query:
    """A measure prepared for scoring, once per measure: its plain text, its tokens (stems, compound
    parts and ``c_``-prefixed concept tokens) and the thesaurus concepts it names."""

    measure: MeasureSpec
    text: str
    tokens: list[str]
    mentions: list[Mention]


@dataclass
class Evidence:
    """What a batch of measures shares with every program before any weighing (programs × measures).

    Gathered once per batch; ``scoring.weigh`` turns it into score components, so the tuner can try
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


def _identity(tokens: list[str]) -> list[str]:
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


def _field_texts(record: ProgramRecord) -> dict[str, str]:
    tags = [vocab.TOPIC.label(t) for t in record.topics]
    tags += [vocab.SUBTOPIC_LABELS[s] for s in record.subtopics if s in vocab.SUBTOPIC_LABELS]
    tags += record.keywords
    body = " ".join(filter(None, [record.description, (record.legal_basis or "")[:3000]]))
    return {"title": record.title, "tags": " ; ".join(tags), "summary": record.summary or "", "body": body}


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


def _lands() -> list[str]:
    """The Länder a measure can name, and the code of a nationwide one."""
    return [*vocab.LAND_BY_CODE, vocab.NATIONWIDE]


@dataclass
class TextFeatures:
    """Words per field (TF-IDF over stems, compound parts and, in ``tags``, concept tokens) and character
    n-grams of title, summary and keywords, each scored through an inverted index; the words each program
    holds and which words are rare enough to be shown as shared."""

    words: TfidfVectorizer
    fields: dict[str, InvertedIndex]
    program_terms: RowTerms
    informative: np.ndarray  # per word column: in under MAX_TERM_SHARE of the program fields
    chars: TfidfVectorizer
    char_index: InvertedIndex

    @classmethod
    def of(
        cls, field_tokens: dict[str, list[list[str]]], char_docs: list[str], char_ngrams: tuple[int, int]
    ) -> TextFeatures:
        words = TfidfVectorizer(_identity)
        words.fit([tokens for f in FIELDS for tokens in field_tokens[f]])
        fields = {f: InvertedIndex.from_rows(words.transform(field_tokens[f])) for f in FIELDS}
        frequency = reduce(operator.add, (index.document_frequency() for index in fields.values()))
        chars = TfidfVectorizer(partial(char_wb_ngrams, ngram_range=char_ngrams))
        return cls(
            words=words,
            fields=fields,
            program_terms=RowTerms.of(list(fields.values())),
            informative=frequency / max(1, len(FIELDS) * len(char_docs)) < MAX_TERM_SHARE,
            chars=chars,
            char_index=InvertedIndex.from_rows(chars.fit_transform(char_docs)),
        )

    def arrays(self) -> tuple[Arrays, Meta]:
        arrays = {
            "word_idf": self.words.idf_,
            "informative": self.informative,
            "char_idf": self.chars.idf_,
            **self.program_terms.arrays("program_terms"),
            **self.char_index.arrays("chars"),
        }
        for name, index in self.fields.items():
            arrays.update(index.arrays(f"field_{name}"))
        return arrays, {"word_terms": self.words.terms_, "char_terms": self.chars.terms_}

    @classmethod
    def load(
        cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any], n: int, char_ngrams: tuple[int, int]
    ) -> TextFeatures:
        return cls(
            words=TfidfVectorizer(_identity).load(meta["word_terms"], arrays["word_idf"]),
            fields={f: InvertedIndex.load(arrays, f"field_{f}", n) for f in FIELDS},
            program_terms=RowTerms.load(arrays, "program_terms"),
            informative=arrays["informative"],
            chars=TfidfVectorizer(partial(char_wb_ngrams, ngram_range=char_ngrams)).load(
                meta["char_terms"], arrays["char_idf"]
            ),
            char_index=InvertedIndex.load(arrays, "chars", n),
        )


@dataclass
class ConceptFeatures:
    """Program × concept indicators: concepts its title or keywords name (``headline``), and those only
    its texts name (``body``, worth ``Weights.concept_in_body``); the concepts each program has, and each
    concept's idf."""

    names: list[str]  # concept ids in column order
    headline: InvertedIndex
    body: InvertedIndex
    program_concepts: RowTerms
    idf: np.ndarray
    ids: dict[str, int] = field(init=False)  # concept id → column

    def __post_init__(self) -> None:
        self.ids = {c: i for i, c in enumerate(self.names)}

    @classmethod
    def of(cls, concept_rows: list[dict[str, bool]], names: list[str]) -> ConceptFeatures:
        """From each program's concepts (concept → whether its title or keywords name it)."""
        ids = {c: i for i, c in enumerate(names)}

        def indicator(headline: bool) -> InvertedIndex:
            cells = [
                (row, ids[concept])
                for row, concepts in enumerate(concept_rows)
                for concept, in_headline in concepts.items()
                if in_headline == headline
            ]
            rows, columns = zip(*cells, strict=True) if cells else ((), ())
            return InvertedIndex.from_cells(rows, columns, len(concept_rows), len(names))

        headline, body = indicator(True), indicator(False)
        frequency = (headline.document_frequency() + body.document_frequency()).astype(np.float32)
        idf = np.log((1 + len(concept_rows)) / (1 + frequency)).astype(np.float32) + 1
        return cls(names, headline, body, RowTerms.of([headline, body]), idf)

    def overlaps(self, queries: Sequence[Query]) -> tuple[np.ndarray, np.ndarray]:
        """The share of each query's concepts (by idf) every program has, through headline and body concepts."""
        columns = [sorted(self.ids[m.concept] for m in q.mentions) for q in queries]
        indices = np.array([c for row in columns for c in row], dtype=np.int32)
        indptr = np.concatenate(([0], np.cumsum([len(row) for row in columns]))).astype(np.int64)
        weighted = SparseRows(indptr, indices, self.idf[indices], len(self.names))
        totals = np.bincount(weighted.row_ids(), weights=weighted.values, minlength=len(queries))
        totals = np.where(totals > 0, totals, 1).astype(np.float32)
        return self.headline.dot(weighted) / totals, self.body.dot(weighted) / totals

    def arrays(self) -> tuple[Arrays, Meta]:
        arrays = {
            "concept_idf": self.idf,
            **self.program_concepts.arrays("program_concepts"),
            **self.headline.arrays("concepts_headline"),
            **self.body.arrays("concepts_body"),
        }
        return arrays, {"concepts": self.names}

    @classmethod
    def load(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any], n: int) -> ConceptFeatures:
        return cls(
            names=meta["concepts"],
            headline=InvertedIndex.load(arrays, "concepts_headline", n),
            body=InvertedIndex.load(arrays, "concepts_body", n),
            program_concepts=RowTerms.load(arrays, "program_concepts"),
            idf=arrays["concept_idf"],
        )


@dataclass
class TopicFeatures:
    """Each program's Förderbereiche (programs × topics): those it declares, and those only its thesaurus
    concepts imply (``Weights.topic_inferred``), so that programs a source left unclassified have topics."""

    codes: list[str]  # topic codes in column order
    declared: np.ndarray
    inferred: np.ndarray
    index: dict[str, int] = field(init=False)  # topic code → column

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.codes)}

    @classmethod
    def of(
        cls, records: Sequence[ProgramRecord], concept_rows: list[dict[str, bool]], thesaurus: Thesaurus
    ) -> TopicFeatures:
        topics = list(vocab.TOPIC.codes)
        index = {t: i for i, t in enumerate(topics)}
        declared = np.zeros((len(records), len(topics)), dtype=np.float32)
        inferred = np.zeros((len(records), len(topics)), dtype=np.float32)
        for i, (record, concepts) in enumerate(zip(records, concept_rows, strict=True)):
            for topic in thesaurus.topics(concepts):
                inferred[i, index[topic]] = 1.0
            for topic in record.topics:
                declared[i, index[topic]] = 1.0
        return cls(topics, declared, inferred * (1 - declared))

    def of_queries(self, queries: Sequence[Query], thesaurus: Thesaurus) -> dict[str, np.ndarray]:
        """The measures' Förderbereiche (topics × measures) by origin: the first of the Handlungsfeld, its
        others, and those the measure's concepts imply."""
        shape = (len(self.index), len(queries))
        result = {origin: np.zeros(shape, dtype=np.float32) for origin in ("first", "secondary", "concepts")}
        for j, query in enumerate(queries):
            if query.measure.handlungsfeld:
                for rank, topic in enumerate(vocab.HANDLUNGSFELD_TOPICS[query.measure.handlungsfeld]):
                    result["first" if rank == 0 else "secondary"][self.index[topic], j] = 1.0
            for topic in thesaurus.topics(m.concept for m in query.mentions if m.via is None):
                result["concepts"][self.index[topic], j] = 1.0
        return result

    def arrays(self) -> tuple[Arrays, Meta]:
        return {"topics_declared": self.declared, "topics_inferred": self.inferred}, {"topics": self.codes}

    @classmethod
    def load(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> TopicFeatures:
        return cls(meta["topics"], arrays["topics_declared"], arrays["topics_inferred"])


@dataclass
class EligibilityTables:
    """The eligibility checks that do not depend on the day, tabulated per program for every Land,
    applicant type and Förderart, and the programs' deadlines as arrays: ranking only looks them up."""

    region: dict[str, np.ndarray]  # Land → RANK per program
    applicant: dict[str, np.ndarray]  # applicant type → RANK per program
    funding: dict[str, np.ndarray]  # Förderart → RANK per program
    timing: eligibility.TimingTable

    @classmethod
    def of(cls, records: Sequence[ProgramRecord]) -> EligibilityTables:
        regions = [r.regions for r in records]
        applicants = [r.applicant_types for r in records]
        funding = [r.funding_types for r in records]
        return cls(
            region={land: _tabulate(regions, eligibility.region_check, land) for land in _lands()},
            applicant={
                applicant: _tabulate(applicants, eligibility.applicant_check, applicant)
                for applicant in vocab.APPLICANT_TYPE.codes
            },
            funding={
                wanted: _tabulate(funding, eligibility.funding_type_check, wanted)
                for wanted in vocab.FUNDING_TYPE.codes
            },
            timing=eligibility.TimingTable.of([(r.status, r.deadlines, r.rolling) for r in records]),
        )

    def verdicts(self, measure: MeasureSpec, today: date) -> np.ndarray:
        """0 eligible, 1 check, 2 ineligible for every program: the worst of the tabulated checks."""
        parts = [self.region[measure.land], self.applicant[measure.applicant_type], self.timing.ranks(today)]
        if measure.funding_type:
            parts.append(self.funding[measure.funding_type])
        return np.maximum.reduce(parts)

    def arrays(self) -> tuple[Arrays, Meta]:
        timing = self.timing
        arrays = {
            "region_verdict": _stacked(self.region),
            "applicant_verdict": _stacked(self.applicant),
            "funding_verdict": _stacked(self.funding),
            "timing.ended": timing.ended,
            "timing.forthcoming": timing.forthcoming,
            "timing.last_deadline": timing.last_deadline,
            "timing.rolling": timing.rolling,
            "timing.last_end": timing.last_end,
            "timing.recurs_until": timing.recurs_until,
        }
        meta = {
            "lands": list(self.region),
            "applicant_types": list(self.applicant),
            "funding_types": list(self.funding),
        }
        return arrays, meta

    @classmethod
    def load(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> EligibilityTables:
        return cls(
            region=dict(zip(meta["lands"], arrays["region_verdict"], strict=True)),
            applicant=dict(zip(meta["applicant_types"], arrays["applicant_verdict"], strict=True)),
            funding=dict(zip(meta["funding_types"], arrays["funding_verdict"], strict=True)),
            timing=eligibility.TimingTable(
                ended=arrays["timing.ended"],
                forthcoming=arrays["timing.forthcoming"],
                last_deadline=arrays["timing.last_deadline"],
                rolling=arrays["timing.rolling"],
                last_end=arrays["timing.last_end"],
                recurs_until=arrays["timing.recurs_until"],
            ),
        )


@dataclass
class FacetFeatures:
    """Each program's facet classes (indices into the ``*_CLASSES`` tuples): its status, its region for
    every Land, its applicant fit for every applicant type; and whether it is a general municipal
    instrument (1.0 or 0.0)."""

    status: np.ndarray
    region: dict[str, np.ndarray]  # Land → REGION_CLASSES index per program
    applicant: dict[str, np.ndarray]  # applicant type → APPLICANT_CLASSES index per program
    general_loan: np.ndarray
    general_program: np.ndarray

    @classmethod
    def of(
        cls,
        records: Sequence[ProgramRecord],
        applicant_verdicts: Mapping[str, np.ndarray],
        thesaurus: Thesaurus,
        splitter: CompoundSplitter,
    ) -> FacetFeatures:
        status_class = {"open": "open", "forthcoming": "forthcoming", "closed": "over", "withdrawn": "over"}
        status = np.array([STATUS_CLASSES.index(status_class.get(r.status, "unknown")) for r in records], dtype=np.int8)
        region = {
            land: np.array(
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
            for land in _lands()
        }
        municipal = [
            bool(_MUNICIPAL_TEXT.search(fold(f"{r.title} {r.summary or ''} {r.description or ''}"))) for r in records
        ]
        general_loan, general_program = _instruments(records, municipal, thesaurus, splitter)
        private = [bool(_PRIVATE_TEXT.search(fold(f"{r.title} {r.summary or ''}"))) for r in records]
        applicant = {
            applicant: _applicant_classes(records, applicant_verdicts[applicant], municipal, private)
            for applicant in vocab.APPLICANT_TYPE.codes
        }
        return cls(status, region, applicant, general_loan, general_program)

    def arrays(self) -> tuple[Arrays, Meta]:
        arrays = {
            "status_class": self.status,
            "region_class": _stacked(self.region),
            "applicant_class": _stacked(self.applicant),
            "general_loan": self.general_loan,
            "general_program": self.general_program,
        }
        return arrays, {}

    @classmethod
    def load(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> FacetFeatures:
        """Keyed by the Länder and applicant types ``EligibilityTables`` stores (the same lists)."""
        return cls(
            status=arrays["status_class"],
            region=dict(zip(meta["lands"], arrays["region_class"], strict=True)),
            applicant=dict(zip(meta["applicant_types"], arrays["applicant_class"], strict=True)),
            general_loan=arrays["general_loan"],
            general_program=arrays["general_program"],
        )


def _applicant_classes(
    records: Sequence[ProgramRecord], verdicts: np.ndarray, municipal: list[bool], private: list[bool]
) -> np.ndarray:
    """Each program's applicant fit for one applicant type, as an index into APPLICANT_CLASSES: a
    "check" verdict is worth more where the program names applicants or addresses Kommunen, and less
    where its text addresses companies or private persons."""
    classes = []
    for record, verdict, addresses_municipalities, addresses_private in zip(
        records, verdicts, municipal, private, strict=True
    ):
        if verdict == eligibility.RANK[eligibility.ELIGIBLE]:
            classes.append("eligible")
        elif verdict == eligibility.RANK[eligibility.CHECK] and (record.applicant_types or addresses_municipalities):
            classes.append("check")
        elif verdict == eligibility.RANK[eligibility.CHECK]:
            classes.append("private" if addresses_private else "unknown")
        else:
            classes.append("ineligible")
    return np.array([APPLICANT_CLASSES.index(c) for c in classes], dtype=np.int8)


def _instruments(
    records: Sequence[ProgramRecord], municipal: list[bool], thesaurus: Thesaurus, splitter: CompoundSplitter
) -> tuple[np.ndarray, np.ndarray]:
    """General-purpose municipal instruments, which fit many measures that share no words with them.

    A general municipal loan (a loan open to Kommunen whose title names no subject of the thesaurus,
    such as KfW IKK or a Land's Kommunalkredit) can finance any investment of a Kommune; a general
    program (Städtebauförderung, EFRE, GRW, LEADER, rural development, inter-municipal cooperation,
    recognised by the names in its title, a small domain lexicon kept here) is worth checking for
    many of its measures.
    """
    loans, programs = [], []
    for record, addresses_municipalities in zip(records, municipal, strict=True):
        title = fold(record.title)
        public = bool({"kommune", "oeffentliche_einrichtung"} & set(record.applicant_types)) or (
            addresses_municipalities
        )
        private_only = bool(record.applicant_types) and set(record.applicant_types) <= eligibility.PRIVATE_ONLY
        subjects = {m.concept for m in thesaurus.mentions(record.title, splitter) if m.via is None}
        loans.append(
            "darlehen" in record.funding_types
            and public
            and not private_only
            and not subjects - {"kommunalfinanzierung"}
        )
        programs.append(not private_only and bool(GENERAL_PROGRAM_TITLE.search(title)))
    return np.array(loans, dtype=np.float32), np.array(programs, dtype=np.float32)


@dataclass
class NameFeatures:
    """The names a measure may call a program by: its folded title (compared fuzzily), the acronyms and
    bracketed names of its title (acronym → programs; first word of a bracketed name → (name, program))."""

    folded_titles: list[str]
    acronyms: dict[str, list[int]]
    bracketed: dict[str, list[tuple[str, int]]]

    @classmethod
    def of(cls, records: Sequence[ProgramRecord]) -> NameFeatures:
        acronyms: dict[str, list[int]] = {}
        bracketed: dict[str, list[tuple[str, int]]] = {}
        for i, record in enumerate(records):
            names, found = program_names(record.title)
            for acronym in found:
                acronyms.setdefault(acronym, []).append(i)
            for name in names:
                bracketed.setdefault(name.split()[0], []).append((name, i))
        return cls([fold(r.title) for r in records], acronyms, bracketed)

    def named(self, queries: Sequence[Query], text_scores: np.ndarray) -> np.ndarray:
        """1 where the measure names the program (its acronym, bracketed name or, fuzzily, its title; the
        title only among the ``NAME_CANDIDATES`` programs of the highest ``text_scores``)."""
        result = np.zeros((len(self.folded_titles), len(queries)), dtype=np.float32)
        for j, query in enumerate(queries):
            for word in set(_WORD.findall(query.text)):
                for i in self.acronyms.get(word.rstrip(".-"), ()):
                    result[i, j] = 1.0
            folded = fold(query.text)
            for token in set(folded.split()):
                for name, i in self.bracketed.get(token, ()):
                    if name in folded:
                        result[i, j] = 1.0
            scores = text_scores[:, j]
            candidates = (
                np.argpartition(-scores, NAME_CANDIDATES)[:NAME_CANDIDATES]
                if len(scores) > NAME_CANDIDATES
                else range(len(scores))
            )
            for i in candidates:
                title = self.folded_titles[i]
                if len(title) >= 12 and fuzz.partial_ratio(title, folded, score_cutoff=NAME_SCORE_CUTOFF):
                    result[i, j] = 1.0
        return result

    def arrays(self) -> tuple[Arrays, Meta]:
        return {}, {"folded_titles": self.folded_titles, "acronyms": self.acronyms, "bracketed": self.bracketed}

    @classmethod
    def load(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> NameFeatures:
        return cls(meta["folded_titles"], meta["acronyms"], meta["bracketed"])


@dataclass
class Features:
    """Everything the matcher learns of the programs, part by part, with the thesaurus it learnt it with
    and the compound splitter learnt from the thesaurus and the programs' titles and keywords."""

    thesaurus: Thesaurus
    splitter: CompoundSplitter
    text: TextFeatures
    concepts: ConceptFeatures
    topics: TopicFeatures
    eligibility: EligibilityTables
    facets: FacetFeatures
    names: NameFeatures

    @classmethod
    def fit(cls, records: Sequence[ProgramRecord], thesaurus: Thesaurus, char_ngrams: tuple[int, int]) -> Features:
        """Learn every part; the programs' texts are analysed in one pass, as stemming is what costs."""
        lexicon = set(thesaurus.lexicon())
        for record in records:
            lexicon.update(content_words(f"{record.title} {' '.join(record.keywords)}"))
        splitter = CompoundSplitter(lexicon)
        field_tokens: dict[str, list[list[str]]] = {f: [] for f in FIELDS}
        concept_rows: list[dict[str, bool]] = []  # per program: concept → named in its title or keywords
        char_docs: list[str] = []
        for record in records:
            texts = _field_texts(record)
            mentions = thesaurus.mentions(" \n".join(texts.values()), splitter)
            concept_tokens = [f"c_{m.concept}" for m in mentions]
            headline = {m.concept for m in thesaurus.mentions(f"{record.title} {' '.join(record.keywords)}", splitter)}
            concept_rows.append({m.concept: m.concept in headline for m in mentions})
            for name, text in texts.items():
                tokens = analyse(text, splitter)
                field_tokens[name].append(tokens + (concept_tokens if name == "tags" else []))
            char_docs.append(fold(f"{record.title} {record.summary or ''} {' '.join(record.keywords)}"))
        tables = EligibilityTables.of(records)
        return cls(
            thesaurus=thesaurus,
            splitter=splitter,
            text=TextFeatures.of(field_tokens, char_docs, char_ngrams),
            concepts=ConceptFeatures.of(concept_rows, sorted(thesaurus.concepts)),
            topics=TopicFeatures.of(records, concept_rows, thesaurus),
            eligibility=tables,
            facets=FacetFeatures.of(records, tables.applicant, thesaurus, splitter),
            names=NameFeatures.of(records),
        )

    def arrays(self) -> tuple[Arrays, Meta]:
        """The learned state: numpy arrays, and metadata of plain lists, dicts and strings (JSON-ready)."""
        arrays: Arrays = {}
        meta: Meta = {"lexicon": sorted(self.splitter.lexicon)}
        for part in (self.text, self.concepts, self.topics, self.eligibility, self.facets, self.names):
            part_arrays, part_meta = part.arrays()
            arrays.update(part_arrays)
            meta.update(part_meta)
        return arrays, meta

    @classmethod
    def load(
        cls,
        arrays: Mapping[str, np.ndarray],
        meta: Mapping[str, Any],
        thesaurus: Thesaurus,
        n: int,
        char_ngrams: tuple[int, int],
    ) -> Features:
        """The features of ``n`` programs from what ``arrays`` returned, with the thesaurus they were learnt with."""
        return cls(
            thesaurus=thesaurus,
            splitter=CompoundSplitter(set(meta["lexicon"])),
            text=TextFeatures.load(arrays, meta, n, char_ngrams),
            concepts=ConceptFeatures.load(arrays, meta, n),
            topics=TopicFeatures.load(arrays, meta),
            eligibility=EligibilityTables.load(arrays, meta),
            facets=FacetFeatures.load(arrays, meta),
            names=NameFeatures.load(arrays, meta),
        )

    def prepare(self, measure: MeasureSpec) -> Query:
        """A measure as a query; an empty or stop-word-only text is an error."""
        text = plain(f"{measure.title}\n{measure.description or ''}", MAX_MEASURE_CHARS)
        tokens = analyse(text, self.splitter)
        if not tokens:
            raise MeasureTextError(
                f"measure {measure.id!r}: the text has no words to match on (empty or only stop words)"
            )
        mentions = self.thesaurus.mentions(text, self.splitter)
        return Query(
            measure=measure, text=text, tokens=tokens + [f"c_{m.concept}" for m in mentions], mentions=mentions
        )

    def evidence(self, queries: Sequence[Query]) -> Evidence:
        """What every program shares with every query, before weighing."""
        text = self.text
        q_words = text.words.transform([q.tokens for q in queries])
        fields = {f: text.fields[f].dot(q_words) for f in FIELDS}
        q_chars = text.chars.transform([fold(q.text) for q in queries])
        concepts_headline, concepts_body = self.concepts.overlaps(queries)
        return Evidence(
            fields=fields,
            chars=text.char_index.dot(q_chars),
            concepts_headline=concepts_headline,
            concepts_body=concepts_body,
            query_topics=self.topics.of_queries(queries, self.thesaurus),
            name=self.names.named(queries, reduce(operator.add, fields.values())),
            region=np.stack([self.facets.region[q.measure.land] for q in queries], axis=1),
            applicant=np.stack([self.facets.applicant[q.measure.applicant_type] for q in queries], axis=1),
            investment=np.array([investment_class(q) for q in queries], dtype=np.int8),
        )
