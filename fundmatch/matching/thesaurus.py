"""The domain thesaurus (``seed_data/thesaurus.json``): concepts with synonyms, abbreviations, broader terms.

A text "mentions" a concept when one of its terms appears (compared as stems, so inflections and
compound parts count) or one of its abbreviations appears with the exact spelling ("KI", not "ki").
Mentions become concept tokens in the index, so a measure about "FTTH" meets a program about
"Glasfaser".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from fundmatch import vocab
from fundmatch.errors import InputError
from fundmatch.matching.text import STOP_WORDS, CompoundSplitter, complete_truncations, stem_sequence

THESAURUS_FORMAT = "fundmatch-thesaurus"


class ThesaurusError(InputError):
    """A thesaurus file that is not usable; says which concept and what."""


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    terms: tuple[str, ...]
    abbreviations: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mention:
    """A concept found in a text, with the words that named it (for explanations)."""

    concept: str
    surface: str
    via: str | None = None  # the narrower concept it was reached from, for broader-term expansion


@dataclass
class Thesaurus:
    concepts: dict[str, Concept]
    _phrases: dict[str, list[tuple[tuple[str, ...], str, str]]] = field(default_factory=dict, repr=False)
    _abbreviations: list[tuple[re.Pattern, str, str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        for concept in self.concepts.values():
            for name in (*concept.broader, *concept.related):
                if name not in self.concepts:
                    raise ThesaurusError(f"concept {concept.id!r} names unknown concept {name!r}")
            for topic in concept.topics:
                if topic not in vocab.TOPIC:
                    raise ThesaurusError(f"concept {concept.id!r} has unknown topic {topic!r}")
            for term in (concept.label, *concept.terms):
                stems = tuple(stem_sequence(term))
                if stems and not (len(stems) == 1 and stems[0] in STOP_WORDS):
                    self._phrases.setdefault(stems[0], []).append((stems, concept.id, term))
            for abbreviation in concept.abbreviations:
                pattern = re.compile(rf"(?<![\w-]){re.escape(abbreviation)}(?![\w])")
                self._abbreviations.append((pattern, concept.id, abbreviation))

    @classmethod
    def load(cls, path: Path | None = None) -> Thesaurus:
        """The shipped thesaurus, or another file in the same format."""
        source = path or resources.files("fundmatch.seed_data") / "thesaurus.json"
        data = json.loads(source.read_text(encoding="utf-8"))
        if data.get("format") != THESAURUS_FORMAT or data.get("version") != 1:
            raise ThesaurusError(f"{source}: expected format {THESAURUS_FORMAT!r} version 1")
        concepts = {}
        for entry in data["concepts"]:
            concept = Concept(
                id=entry["id"],
                label=entry["label"],
                terms=tuple(entry.get("terms", [])),
                abbreviations=tuple(entry.get("abbreviations", {})),
                broader=tuple(entry.get("broader", [])),
                related=tuple(entry.get("related", [])),
                topics=tuple(entry.get("topics", [])),
            )
            if concept.id in concepts:
                raise ThesaurusError(f"{source}: concept {concept.id!r} appears twice")
            concepts[concept.id] = concept
        return cls(concepts)

    def lexicon(self) -> set[str]:
        """Words of the thesaurus terms, for the compound splitter."""
        from fundmatch.matching.text import content_words

        return {w for c in self.concepts.values() for t in (c.label, *c.terms) for w in content_words(t)}

    def mentions(self, text: str, splitter: CompoundSplitter | None = None) -> list[Mention]:
        """Concepts a text names, then their broader concepts (marked with ``via``)."""
        found: dict[str, Mention] = {}
        if splitter is not None:
            text = complete_truncations(text, splitter)
        stems = stem_sequence(text)
        # In text order, so that the surface a concept is explained by is the first one the text uses,
        # the same in every process (a set's order changes with PYTHONHASHSEED).
        singles = dict.fromkeys(stem_sequence(text, splitter) if splitter is not None else stems)
        positions: dict[str, list[int]] = {}
        for index, token in enumerate(stems):
            positions.setdefault(token, []).append(index)
        for token in singles:
            for phrase, concept, term in self._phrases.get(token, ()):
                if concept in found:
                    continue
                if len(phrase) == 1 or any(
                    tuple(stems[i : i + len(phrase)]) == phrase for i in positions.get(token, ())
                ):
                    found[concept] = Mention(concept, term)
        for pattern, concept, abbreviation in self._abbreviations:
            if concept not in found and abbreviation in text and pattern.search(text):
                found[concept] = Mention(concept, abbreviation)
        for mention in list(found.values()):
            for broader in self.concepts[mention.concept].broader:
                if broader not in found:
                    found[broader] = Mention(broader, mention.surface, via=mention.concept)
        return sorted(found.values(), key=lambda m: m.concept)

    def topics(self, concept_ids) -> list[str]:
        return sorted({t for c in concept_ids for t in self.concepts[c].topics})
