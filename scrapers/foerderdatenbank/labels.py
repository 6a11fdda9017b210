"""Mapping the Förderdatenbank's category values (labels, ASCII labels or export codes) to our codes.

Both parsers (export and HTML) go through :func:`map_labels`, so a label means the same thing in
either path; anything unknown comes back as a warning, never as a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fundmatch import vocab


@dataclass
class MappedLabels:
    funding_types: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    applicant_types: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _codes(
    values: list[str], vocabulary: vocab.Vocabulary, warnings: list[str], ignored: frozenset[str] = frozenset()
) -> list[str]:
    codes: list[str] = []
    for value in values:
        if vocab.fold(value) in {vocab.fold(i) for i in ignored}:
            warnings.append(f"{vocabulary.name} {value!r} names no region; ignored")
            continue
        if ", " in value:
            found, unknown = vocab.split_labels(value, vocabulary)
        else:
            code = vocabulary.lookup(value)
            found, unknown = ([code], []) if code is not None else ([], [value])
        codes.extend(c for c in found if c not in codes)
        warnings.extend(f"unknown {vocabulary.name} {label!r}" for label in unknown)
    return codes


def map_labels(
    *, funding_types: list[str], topics: list[str], regions: list[str], applicant_types: list[str]
) -> MappedLabels:
    """Map raw category values; each list may hold labels, codes or comma-joined label lists."""
    result = MappedLabels()
    result.funding_types = _codes(funding_types, vocab.FUNDING_TYPE, result.warnings)
    result.topics = _codes(topics, vocab.TOPIC, result.warnings)
    result.regions = _codes(regions, vocab.REGION, result.warnings, vocab.REGION_IGNORED)
    result.applicant_types = _codes(applicant_types, vocab.APPLICANT_TYPE, result.warnings)
    return result


def status_from_note(note: str | None) -> str:
    """A listed program is open unless its status note says applications are not possible."""
    folded = vocab.fold(note or "")
    if any(marker in folded for marker in ("antragstellungnichtmoeglich", "ausgelaufen", "beendet", "eingestellt")):
        return "closed"
    return "open"
