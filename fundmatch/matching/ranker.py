"""The matcher: ranks catalogue programs for measures, scikit-learn style.

``Matcher(weights).fit(records)`` builds the index (TF-IDF over stems, compound parts and thesaurus
concepts per field; character n-grams; concept, topic and facet matrices); ``rank(measure)`` and
``rank_many(measures)`` score every program with sparse matrix products, drop ineligible programs,
and explain the top hits. Every score component lies in 0..1; the score is their weighted mean.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
from rapidfuzz import fuzz
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from fundmatch import vocab
from fundmatch.interchange import MeasureSpec
from fundmatch.matching import eligibility
from fundmatch.matching.text import MAX_MEASURE_CHARS, CompoundSplitter, analyse, content_words, fold, plain, stem
from fundmatch.matching.thesaurus import Mention, Thesaurus
from fundmatch.scrapers.records import ProgramRecord

FIELDS = ("title", "tags", "summary", "body")
_MUNICIPAL_TEXT = re.compile(
    r"\b(kommunen|gemeinden|landkreise|staedte|kommunal\w*|gemeindeverbaende|zweckverbaende)\b"
)
_SHORT_NAME = re.compile(r"\(([^()]{2,40})\)|\b([A-ZÄÖÜ][A-Za-zÄÖÜäöüß]*[A-Z0-9][A-Za-z0-9.\-]*)\b")
NAME_SCORE_CUTOFF = 90
NAME_CANDIDATES = 300
# A program shares nothing with a measure unless one of these is above zero; then it is no match at all.
SUBSTANCE = ("text", "concepts", "topics", "name")
MAX_TERM_SHARE = 0.3  # a matched term shown in explanations occurs in under 30 % of the program fields


class MeasureTextError(ValueError):
    """A measure whose text gives nothing to match on."""


@dataclass(frozen=True)
class Weights:
    """How much each score component counts. Set by measurement (``fundmatch eval``), not by taste."""

    text: float = 1.0
    chars: float = 0.5
    concepts: float = 1.0
    topics: float = 0.5
    name: float = 1.0
    region: float = 0.3
    applicant: float = 0.3
    status: float = 0.2
    field_title: float = 2.0
    field_tags: float = 1.5
    field_summary: float = 1.0
    field_body: float = 0.5

    @property
    def components(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("field_")}

    @property
    def fields(self) -> dict[str, float]:
        return {f: getattr(self, f"field_{f}") for f in FIELDS}


@dataclass
class Match:
    """One ranked program for one measure, with what the score is made of and why."""

    source: str
    source_id: str
    title: str
    url: str
    level: str
    regions: list[str]
    score: float
    components: dict[str, float]
    eligibility: str
    reasons: list[str]
    matched_terms: list[str] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)
    next_deadline: date | None = None

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "source_id": self.source_id,
            "title": self.title,
            "url": self.url,
            "score": round(self.score, 4),
            "components": {k: round(v, 4) for k, v in self.components.items()},
            "eligibility": self.eligibility,
            "reasons": self.reasons,
            "matched_terms": self.matched_terms,
            "concepts": self.concepts,
            "next_deadline": self.next_deadline.isoformat() if self.next_deadline else None,
        }


@dataclass
class Query:
    """A measure prepared for scoring."""

    measure: MeasureSpec
    text: str
    tokens: list[str]
    mentions: list[Mention]
    topics: dict[str, float]


def _identity(tokens):
    return tokens


def _program_names(record: ProgramRecord) -> list[str]:
    """Short names a measure might use for a program: bracketed names and acronyms in the title."""
    names = []
    for bracketed, acronym in _SHORT_NAME.findall(record.title):
        name = (bracketed or acronym).strip()
        if len(name) >= 3 and not name.isdigit():
            names.append(name)
    return names


class Matcher:
    """Ranks programs for measures. Configure in ``__init__``; ``fit`` learns the index."""

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
        self.keys_ = [f"{r.source}:{r.source_id}" for r in self.records_]
        lexicon = set(thesaurus.lexicon())
        for record in self.records_:
            lexicon.update(content_words(f"{record.title} {' '.join(record.keywords)}"))
        self.splitter_ = CompoundSplitter(lexicon)
        field_tokens: dict[str, list[list[str]]] = {f: [] for f in FIELDS}
        concept_rows: list[list[str]] = []
        char_docs: list[str] = []
        for record in self.records_:
            texts = self._field_texts(record)
            mentions = thesaurus.mentions(" \n".join(texts.values()), self.splitter_)
            concept_tokens = [f"c_{m.concept}" for m in mentions]
            concept_rows.append([m.concept for m in mentions])
            for name, text in texts.items():
                tokens = analyse(text, self.splitter_)
                field_tokens[name].append(tokens + (concept_tokens if name == "tags" else []))
            char_docs.append(fold(f"{record.title} {record.summary or ''} {' '.join(record.keywords)}"))
        self.vectorizer_ = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2", dtype=np.float32)
        self.vectorizer_.fit([tokens for f in FIELDS for tokens in field_tokens[f]])
        self.field_matrices_ = {f: self.vectorizer_.transform(field_tokens[f]).tocsr() for f in FIELDS}
        document_frequency = sum((m > 0).astype(np.int32).sum(axis=0) for m in self.field_matrices_.values())
        share = np.asarray(document_frequency).ravel() / max(1, len(FIELDS) * len(self.records_))
        self.informative_ = share < MAX_TERM_SHARE
        self.char_vectorizer_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=self.char_ngrams, sublinear_tf=True, min_df=1, dtype=np.float32
        )
        self.char_matrix_ = self.char_vectorizer_.fit_transform(char_docs).tocsr()
        self._fit_concepts(concept_rows)
        self._fit_facets()
        return self

    def _field_texts(self, record: ProgramRecord) -> dict[str, str]:
        tags = [vocab.TOPIC.label(t) for t in record.topics]
        tags += [vocab.SUBTOPIC_LABELS[s] for s in record.subtopics if s in vocab.SUBTOPIC_LABELS]
        tags += record.keywords
        body = " ".join(filter(None, [record.description, (record.legal_basis or "")[:3000]]))
        return {"title": record.title, "tags": " ; ".join(tags), "summary": record.summary or "", "body": body}

    def _fit_concepts(self, concept_rows: list[list[str]]) -> None:
        ids = sorted(self.thesaurus_.concepts)
        self.concept_ids_ = {c: i for i, c in enumerate(ids)}
        rows, cols = [], []
        for row, concepts in enumerate(concept_rows):
            for concept in concepts:
                rows.append(row)
                cols.append(self.concept_ids_[concept])
        matrix = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(concept_rows), len(ids))
        )
        document_frequency = np.asarray(matrix.sum(axis=0)).ravel()
        self.concept_idf_ = np.log((1 + len(concept_rows)) / (1 + document_frequency)).astype(np.float32) + 1
        self.concept_matrix_ = matrix

    def _fit_facets(self) -> None:
        n = len(self.records_)
        topics = vocab.TOPIC.codes
        self.topic_index_ = {t: i for i, t in enumerate(topics)}
        rows = [i for i, r in enumerate(self.records_) for t in r.topics if t in self.topic_index_]
        cols = [self.topic_index_[t] for r in self.records_ for t in r.topics if t in self.topic_index_]
        self.topic_matrix_ = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(topics))
        )
        status_prior = {"open": 1.0, "forthcoming": 0.9, "unknown": 0.6, "closed": 0.0, "withdrawn": 0.0}
        self.status_prior_ = np.array([status_prior.get(r.status, 0.5) for r in self.records_], dtype=np.float32)
        self.region_prior_ = {}
        for land in [*vocab.LAND_BY_CODE, vocab.NATIONWIDE]:
            self.region_prior_[land] = np.array(
                [
                    1.0 if land in r.regions else 0.6 if "DE" in r.regions else 0.4 if "EU" in r.regions else 0.0
                    for r in self.records_
                ],
                dtype=np.float32,
            )
        self.municipal_text_ = np.array(
            [
                bool(_MUNICIPAL_TEXT.search(fold(f"{r.title} {r.summary or ''} {r.description or ''}")))
                for r in self.records_
            ]
        )
        self.names_: dict[str, list[int]] = {}
        for i, record in enumerate(self.records_):
            for name in _program_names(record):
                self.names_.setdefault(fold(name), []).append(i)
        self._static_checks: dict[tuple, list[eligibility.Check]] = {}
        self._timing_cache: tuple[date, list[eligibility.Check]] | None = None

    # ---- eligibility tables (the pure checks, tabulated per program) ---------------------------
    def _checks(self, kind: str, value) -> list[eligibility.Check]:
        key = (kind, value)
        if key not in self._static_checks:
            if kind == "region":
                checks = [eligibility.region_check(r.regions, value) for r in self.records_]
            elif kind == "applicant":
                checks = [eligibility.applicant_check(r.applicant_types, value) for r in self.records_]
            else:
                checks = [eligibility.funding_type_check(r.funding_types, value) for r in self.records_]
            self._static_checks[key] = checks
        return self._static_checks[key]

    def _timing(self, today: date) -> list[eligibility.Check]:
        if self._timing_cache is None or self._timing_cache[0] != today:
            checks = [eligibility.timing_check(r.status, r.deadlines, r.rolling, today) for r in self.records_]
            self._timing_cache = (today, checks)
        return self._timing_cache[1]

    def verdicts(self, measure: MeasureSpec, today: date) -> np.ndarray:
        """0 eligible, 1 check, 2 ineligible for every program."""
        parts = [
            self._checks("region", measure.land),
            self._checks("applicant", measure.applicant_type),
            self._timing(today),
        ]
        if measure.funding_type:
            parts.append(self._checks("funding_type", measure.funding_type))
        return np.array(
            [max(eligibility.RANK[c.verdict] for c in checks) for checks in zip(*parts, strict=True)], dtype=np.int8
        )

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
        topics: dict[str, float] = {}
        if measure.handlungsfeld:
            for rank, topic in enumerate(vocab.HANDLUNGSFELD_TOPICS[measure.handlungsfeld]):
                topics[topic] = max(topics.get(topic, 0), 1.0 if rank == 0 else 0.6)
        for topic in self.thesaurus_.topics(m.concept for m in mentions if m.via is None):
            topics[topic] = max(topics.get(topic, 0), 0.8)
        tokens = tokens + [f"c_{m.concept}" for m in mentions]
        return Query(measure=measure, text=text, tokens=tokens, mentions=mentions, topics=topics)

    def components(self, queries: Sequence[Query]) -> dict[str, np.ndarray]:
        """Every score component for every (program, query): arrays of shape (programs, queries)."""
        q_words = self.vectorizer_.transform([q.tokens for q in queries])
        weights = self.weights.fields
        text = sum(weights[f] * (self.field_matrices_[f] @ q_words.T).toarray() for f in FIELDS) / sum(weights.values())
        q_chars = self.char_vectorizer_.transform([fold(q.text) for q in queries])
        chars = (self.char_matrix_ @ q_chars.T).toarray()
        q_concepts = np.zeros((len(self.concept_ids_), len(queries)), dtype=np.float32)
        for j, query in enumerate(queries):
            for mention in query.mentions:
                q_concepts[self.concept_ids_[mention.concept], j] = self.concept_idf_[
                    self.concept_ids_[mention.concept]
                ]
        totals = q_concepts.sum(axis=0)
        concepts = (self.concept_matrix_ @ q_concepts) / np.where(totals > 0, totals, 1)
        q_topics = np.zeros((len(self.topic_index_), len(queries)), dtype=np.float32)
        for j, query in enumerate(queries):
            for topic, weight in query.topics.items():
                q_topics[self.topic_index_[topic], j] = weight
        topic_totals = q_topics.sum(axis=0)
        topics = (self.topic_matrix_ @ q_topics) / np.where(topic_totals > 0, topic_totals, 1)
        name = self._name_component(queries, text)
        region = np.stack([self.region_prior_[q.measure.land] for q in queries], axis=1)
        applicant = np.stack([self._applicant_prior(q.measure.applicant_type) for q in queries], axis=1)
        status = np.repeat(self.status_prior_[:, None], len(queries), axis=1)
        return {
            "text": text,
            "chars": chars,
            "concepts": concepts,
            "topics": topics,
            "name": name,
            "region": region,
            "applicant": applicant,
            "status": status,
        }

    def _applicant_prior(self, applicant: str) -> np.ndarray:
        key = ("applicant_prior", applicant)
        if key not in self._static_checks:
            values = []
            for record, check, municipal in zip(
                self.records_, self._checks("applicant", applicant), self.municipal_text_, strict=True
            ):
                if check.verdict == eligibility.ELIGIBLE:
                    values.append(1.0)
                elif check.verdict == eligibility.CHECK:
                    values.append(0.8 if record.applicant_types or municipal else 0.5)
                else:
                    values.append(0.0)
            self._static_checks[key] = np.array(values, dtype=np.float32)
        return self._static_checks[key]

    def _name_component(self, queries: Sequence[Query], text_scores: np.ndarray) -> np.ndarray:
        """1 where the measure names the program (its acronym, bracketed name or, fuzzily, its title)."""
        result = np.zeros((len(self.records_), len(queries)), dtype=np.float32)
        for j, query in enumerate(queries):
            folded = fold(query.text)
            tokens = set(re.findall(r"[a-z0-9][a-z0-9.\-]*", folded))
            for name, programs in self.names_.items():
                if (name in tokens) or (" " in name and name in folded):
                    result[programs, j] = 1.0
            candidates = np.argsort(-text_scores[:, j])[:NAME_CANDIDATES]
            for i in candidates:
                title = fold(self.records_[i].title)
                if len(title) >= 12 and fuzz.partial_ratio(title, folded) >= NAME_SCORE_CUTOFF:
                    result[i, j] = 1.0
        return result

    def score(self, components: dict[str, np.ndarray]) -> np.ndarray:
        weights = self.weights.components
        total = sum(weights.values())
        return sum(weights[name] * np.clip(values, 0, 1) for name, values in components.items()) / total

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
        """Ranked, explained matches for each measure, in one pass of matrix products."""
        if not measures:
            return []
        today = today or date.today()
        queries = [self.prepare(m) for m in measures]
        components = self.components(queries)
        scores = self.score(components)
        substance = sum(components[name] for name in SUBSTANCE) > 0
        order_key = np.array(self.keys_)
        results = []
        for j, query in enumerate(queries):
            verdicts = self.verdicts(query.measure, today)
            allowed = substance[:, j] & (True if include_ineligible else verdicts < 2)
            candidates = np.flatnonzero(allowed)
            ranked = candidates[np.lexsort((order_key[candidates], -np.round(scores[candidates, j], 6)))][:top]
            results.append([self._match(i, j, query, scores, components, today) for i in ranked])
        return results

    def _match(self, i: int, j: int, query: Query, scores, components, today: date) -> Match:
        record = self.records_[i]
        measure = query.measure
        assessment = eligibility.assess(
            regions=record.regions,
            applicant_types=record.applicant_types,
            status=record.status,
            deadlines=record.deadlines,
            rolling=record.rolling,
            funding_types=record.funding_types,
            land=measure.land,
            applicant=measure.applicant_type,
            funding_type=measure.funding_type,
            today=today,
        )
        return Match(
            source=record.source,
            source_id=record.source_id,
            title=record.title,
            url=record.url,
            level=record.level,
            regions=list(record.regions),
            score=float(scores[i, j]),
            components={name: float(values[i, j]) for name, values in components.items()},
            eligibility=assessment.verdict,
            reasons=list(assessment.reasons),
            matched_terms=self._matched_terms(i, query),
            concepts=self._shared_concepts(i, query),
            next_deadline=assessment.next_deadline,
        )

    def _matched_terms(self, i: int, query: Query) -> list[str]:
        """Words of the measure whose stems (or compound parts) occur in the program's text."""
        columns = set()
        for matrix in self.field_matrices_.values():
            columns.update(matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]])
        vocabulary = self.vectorizer_.vocabulary_
        found: dict[str, tuple[float, str]] = {}
        for word in re.findall(r"[\wÄÖÜäöüß][\wÄÖÜäöüß\-]*", query.text):
            for part in content_words(word):
                stems = [stem(part), *(stem(p) for p in self.splitter_.split(part))]
                hits = [vocabulary[s] for s in stems if s in vocabulary and vocabulary[s] in columns]
                informative = [self.vectorizer_.idf_[h] for h in hits if self.informative_[h]]
                if informative and fold(word) not in found:
                    found[fold(word)] = (max(informative), word)
        return [word for _, word in sorted(found.values(), key=lambda item: -item[0])][:8]

    def _shared_concepts(self, i: int, query: Query) -> list[str]:
        row = self.concept_matrix_[i]
        program_concepts = {c for c, k in self.concept_ids_.items() if row[0, k]}
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
