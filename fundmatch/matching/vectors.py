"""TF-IDF vectors and the inverted index the matcher scores with, in numpy alone.

scikit-learn and scipy cost a second of imports and pickle into an index file that only they can read;
the matcher needs little of them. ``TfidfVectorizer`` does what scikit-learn's ``TfidfVectorizer``
does for the two analyzers the matcher uses (token lists taken as they are; character n-grams within
word boundaries, ``char_wb``, lowercased): sublinear tf, smooth idf, l2 norm, float32 values, the
vocabulary in sorted order. A test checks both against scikit-learn. ``InvertedIndex`` keeps a
documents × terms matrix by term (like a CSC matrix) and scores queries by gathering the postings of
their terms; the very frequent terms are also kept as a dense block, where a matrix product is
cheaper than gathering postings that cover most documents.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")
# Terms in at least this share of the documents are scored as a dense block (measured on the char
# n-grams of the real catalogue: about 3 % of the terms, 87 % of the postings a query gathers).
DENSE_SHARE = 0.1
GATHER_CHUNK = 1 << 16
FEW_QUERIES = 8


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Character n-grams inside word boundaries, each word padded with a space, as scikit-learn's
    ``analyzer="char_wb"`` extracts them (lowercased first): a word shorter than n counts once."""
    min_n, max_n = ngram_range
    ngrams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        length = len(padded)
        for n in range(min_n, max_n + 1):
            if length <= n:
                ngrams.append(padded)
                break
            ngrams += [padded[i : i + n] for i in range(length - n + 1)]
    return ngrams


@dataclass(frozen=True)
class SparseRows:
    """A rows × columns matrix by rows (like CSR): row i holds ``indices``/``values`` from
    ``indptr[i]`` to ``indptr[i + 1]``."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    n_columns: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[i], self.indptr[i + 1]
        return self.indices[start:end], self.values[start:end]

    def row_ids(self) -> np.ndarray:
        """The row of every stored value."""
        return np.repeat(np.arange(len(self), dtype=np.int32), np.diff(self.indptr))

    def toarray(self) -> np.ndarray:
        dense = np.zeros((len(self), self.n_columns), dtype=self.values.dtype)
        dense[self.row_ids(), self.indices] = self.values
        return dense


class TfidfVectorizer:
    """TF-IDF as scikit-learn computes it with ``sublinear_tf=True, norm="l2", smooth_idf=True`` and
    ``dtype=np.float32``: tf is 1 + log(count), idf is 1 + log((1 + documents) / (1 + df)), each row
    has unit length. ``analyzer`` turns a document into its terms."""

    def __init__(self, analyzer: Callable[[Any], list[str]]):
        self.analyzer = analyzer

    def fit(self, documents: Iterable[Any]) -> TfidfVectorizer:
        self.fit_transform(documents)
        return self

    def fit_transform(self, documents: Iterable[Any]) -> SparseRows:
        """Learn the vocabulary and idf, and weigh the documents. Counts go into compact arrays as they
        come (as scikit-learn does): a Counter per document of a large catalogue would take gigabytes."""
        seen: dict[str, int] = {}
        indptr, found, tf = self._count(documents, lambda term: seen.setdefault(term, len(seen)))
        terms = sorted(seen)
        sorted_column = np.empty(len(terms), dtype=np.int32)
        sorted_column[[seen[t] for t in terms]] = np.arange(len(terms), dtype=np.int32)
        columns = sorted_column[found]
        # In float32 step by step, as scikit-learn does, so that the values agree to the last bit.
        df = np.bincount(columns, minlength=len(terms)).astype(np.float32) + 1.0
        idf = np.full_like(df, len(indptr), dtype=np.float32)
        idf /= df
        np.log(idf, out=idf)
        idf += 1.0
        self.load(terms, idf)
        return self._weigh(indptr, columns, tf)

    def load(self, terms: list[str], idf: np.ndarray) -> TfidfVectorizer:
        """Set the learned state: the sorted vocabulary and its idf (as ``fit`` or an index file has them)."""
        self.terms_ = terms
        self.vocabulary_ = {term: column for column, term in enumerate(terms)}
        self.idf_ = idf
        return self

    def transform(self, documents: Iterable[Any]) -> SparseRows:
        lookup = self.vocabulary_.get
        indptr, found, tf = self._count(documents, lambda term: lookup(term, -1))
        known = found >= 0
        kept = np.concatenate(([0], np.cumsum(known))).astype(np.int64)[indptr]
        return self._weigh(kept, found[known], tf[known])

    def _count(
        self, documents: Iterable[Any], column: Callable[[str], int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row pointers, the column ``column`` gives each distinct term of a document, and its count."""
        indptr = array("q", [0])
        found = array("i")
        tf = array("i")
        for document in documents:
            counts = Counter(self.analyzer(document))
            found.extend(map(column, counts))
            tf.extend(counts.values())
            indptr.append(len(found))
        return (
            np.frombuffer(indptr, dtype=np.int64),
            np.frombuffer(found, dtype=np.int32),
            np.frombuffer(tf, dtype=np.int32),
        )

    def _weigh(self, indptr: np.ndarray, columns: np.ndarray, counts: np.ndarray) -> SparseRows:
        rows = len(indptr) - 1
        owners = np.repeat(np.arange(rows), np.diff(indptr))
        values = counts.astype(np.float32)
        np.log(values, out=values)
        values += 1.0
        values *= self.idf_[columns]
        squares = np.bincount(owners, weights=(values * values).astype(np.float64), minlength=rows)
        norms = np.sqrt(squares)
        norms[norms == 0] = 1.0
        values[:] = values / norms[owners]
        return SparseRows(indptr, columns.astype(np.int32), values, len(self.vocabulary_))


class InvertedIndex:
    """A documents × terms matrix by term: the ascending document rows and values of term t lie from
    ``indptr[t]`` to ``indptr[t + 1]``. ``dot`` scores queries with numpy only."""

    def __init__(self, indptr: np.ndarray, rows: np.ndarray, values: np.ndarray, n_documents: int):
        self.indptr = indptr
        self.rows = rows
        self.values = values
        self.n_documents = n_documents
        frequency = np.diff(indptr)
        dense_terms = np.flatnonzero(frequency >= max(1.0, DENSE_SHARE * n_documents))
        self.dense_slot_ = np.full(len(frequency), -1, dtype=np.int64)
        self.dense_slot_[dense_terms] = np.arange(len(dense_terms))
        self.dense_ = np.zeros((len(dense_terms), n_documents), dtype=np.float32)
        positions = self._positions(dense_terms)
        self.dense_[np.repeat(np.arange(len(dense_terms)), frequency[dense_terms]), rows[positions]] = values[positions]

    @classmethod
    def from_rows(cls, matrix: SparseRows) -> InvertedIndex:
        """The index of a documents × terms matrix given by rows."""
        order = np.argsort(matrix.indices, kind="stable")
        counts = np.bincount(matrix.indices, minlength=matrix.n_columns)
        indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return cls(indptr, matrix.row_ids()[order], matrix.values[order], len(matrix))

    @classmethod
    def from_cells(cls, rows: Sequence[int], terms: Sequence[int], n_documents: int, n_terms: int) -> InvertedIndex:
        """An indicator matrix (value 1) from its (row, term) cells."""
        term_array = np.asarray(terms, dtype=np.int64)
        order = np.lexsort((np.asarray(rows, dtype=np.int32), term_array))
        counts = np.bincount(term_array, minlength=n_terms)
        indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return cls(indptr, np.asarray(rows, dtype=np.int32)[order], np.ones(len(order), dtype=np.float32), n_documents)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """What an index file stores; ``InvertedIndex.load`` reads it back."""
        return {f"{prefix}.indptr": self.indptr, f"{prefix}.rows": self.rows, f"{prefix}.values": self.values}

    @classmethod
    def load(cls, arrays: Mapping[str, np.ndarray], prefix: str, n_documents: int) -> InvertedIndex:
        return cls(arrays[f"{prefix}.indptr"], arrays[f"{prefix}.rows"], arrays[f"{prefix}.values"], n_documents)

    def document_frequency(self) -> np.ndarray:
        return np.diff(self.indptr)

    def contains(self, row: int, term: int) -> bool:
        start, end = self.indptr[term], self.indptr[term + 1]
        position = start + np.searchsorted(self.rows[start:end], row)
        return bool(position < end and self.rows[position] == row)

    def _positions(self, terms: np.ndarray) -> np.ndarray:
        """Positions in ``rows``/``values`` of the postings of ``terms``, term after term."""
        starts = self.indptr[terms]
        lengths = self.indptr[terms + 1] - starts
        offsets = np.cumsum(lengths) - lengths
        return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))

    def dot(self, queries: SparseRows) -> np.ndarray:
        """Documents × queries dot products (float32): the dense block by one matrix product, the other
        terms by adding up their postings, for as many queries at once as keep that under
        ``GATHER_CHUNK`` postings (a whole batch's postings at once would cost more in fresh memory
        than in arithmetic)."""
        n, q = self.n_documents, len(queries)
        owners = queries.row_ids()
        slots = self.dense_slot_[queries.indices]
        in_block = slots >= 0
        block = np.zeros((len(self.dense_), q), dtype=np.float32)
        block[slots[in_block], owners[in_block]] = queries.values[in_block]
        terms, owners, weights = queries.indices[~in_block], owners[~in_block], queries.values[~in_block]
        lengths = self.indptr[terms + 1] - self.indptr[terms]
        per_query = np.bincount(owners, weights=lengths, minlength=q)
        sums = np.zeros((q, n))
        first = 0
        while first < q:
            last = first + max(1, int(np.searchsorted(np.cumsum(per_query[first:]), GATHER_CHUNK, side="right")))
            part = (owners >= first) & (owners < last)
            positions = self._positions(terms[part])
            cells = np.repeat((owners[part] - first) * n, lengths[part]) + self.rows[positions]
            weighted = self.values[positions] * np.repeat(weights[part], lengths[part])
            sums[first:last] = np.bincount(cells, weights=weighted, minlength=(last - first) * n).reshape(-1, n)
            first = last
        # BLAS is fastest with the block's rows contiguous for one or a few queries, transposed for a batch.
        sums += block.T @ self.dense_ if q <= FEW_QUERIES else (self.dense_.T @ block).T
        return np.ascontiguousarray(sums.T, dtype=np.float32)


@dataclass(frozen=True)
class RowTerms:
    """The terms each document holds in one or more indexes over the same terms (their row view):
    explanations ask which of a query's terms one program has."""

    indptr: np.ndarray
    terms: np.ndarray

    @classmethod
    def of(cls, indexes: Sequence[InvertedIndex]) -> RowTerms:
        rows = np.concatenate([index.rows for index in indexes])
        terms = np.concatenate(
            [
                np.repeat(np.arange(len(index.indptr) - 1, dtype=np.int32), index.document_frequency())
                for index in indexes
            ]
        )
        counts = np.bincount(rows, minlength=indexes[0].n_documents)
        return cls(np.concatenate(([0], np.cumsum(counts))).astype(np.int64), terms[np.argsort(rows, kind="stable")])

    def of_row(self, row: int) -> np.ndarray:
        return self.terms[self.indptr[row] : self.indptr[row + 1]]

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.indptr": self.indptr, f"{prefix}.terms": self.terms}

    @classmethod
    def load(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> RowTerms:
        return cls(arrays[f"{prefix}.indptr"], arrays[f"{prefix}.terms"])
