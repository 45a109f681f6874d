"""BM25 over passages, precomputed into a sparse matrix so a query is one column slice and a sum.

Scores equal the textbook Okapi BM25 (k1=1.5, b=0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5)));
tests check them against a direct, slow implementation.
"""
from __future__ import annotations

import difflib
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from scipy import sparse


class BM25Index:
    def __init__(self, documents: Iterable[list[str]], k1: float = 1.5, b: float = 0.75):
        """`documents` may be a generator: each is counted and dropped, and the postings are kept in compact
        typed arrays (4 bytes an entry), so 100k passages do not need gigabytes while loading."""
        self.vocabulary: dict[str, int] = {}
        rows, cols, tfs, lengths = array("i"), array("i"), array("f"), array("f")
        for row, doc in enumerate(documents):
            lengths.append(len(doc))
            for term, count in Counter(doc).items():
                rows.append(row)
                cols.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                tfs.append(count)
        self.size = len(lengths)
        rows_np, cols_np = np.frombuffer(rows, dtype=np.int32), np.frombuffer(cols, dtype=np.int32)
        tf, length = np.frombuffer(tfs, dtype=np.float32), np.frombuffer(lengths, dtype=np.float32)
        df = np.bincount(cols_np, minlength=len(self.vocabulary)).astype(np.float32)
        self.idf_values = np.log1p((self.size - df + 0.5) / (df + 0.5)).astype(np.float32)
        average = float(length.mean()) if self.size else 1.0
        norm = k1 * (1 - b + b * length[rows_np] / max(average, 1e-9))
        weights = self.idf_values[cols_np] * tf * (k1 + 1) / (tf + norm)
        self.matrix = sparse.csc_matrix((weights, (rows_np, cols_np)), shape=(self.size, len(self.vocabulary)),
                                        dtype=np.float32)

    def idf(self, term: str) -> float | None:
        """The term's idf, or None when no passage contains it."""
        column = self.vocabulary.get(term)
        return None if column is None else float(self.idf_values[column])

    def scores(self, query_terms: list[str]) -> np.ndarray:
        columns = [self.vocabulary[t] for t in query_terms if t in self.vocabulary]
        if not columns:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.matrix[:, columns].sum(axis=1)).ravel()

    def search(self, query_terms: list[str], n: int) -> list[tuple[int, float]]:
        """Top-n (row, score) pairs with a positive score, best first."""
        scores = self.scores(query_terms)
        positive = np.flatnonzero(scores > 0)
        if not len(positive):
            return []
        top = positive[np.argsort(-scores[positive], kind="stable")[:n]] if len(positive) <= 4 * n else \
            _top_n(scores, positive, n)
        return [(int(i), float(scores[i])) for i in top]


def _top_n(scores: np.ndarray, candidates: np.ndarray, n: int) -> np.ndarray:
    part = candidates[np.argpartition(-scores[candidates], n)[:n]]
    return part[np.argsort(-scores[part], kind="stable")]


class SpellingCorrector:
    """Maps a term no passage contains to the closest term that some passage does ("adict" -> "addict")."""

    def __init__(self, vocabulary, min_length: int = 4, cutoff: float = 0.8):
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for term in vocabulary:
            if len(term) >= min_length and not term[0].isdigit():
                self._by_initial[term[0]].append(term)
        self._vocabulary = vocabulary
        self._min_length, self._cutoff = min_length, cutoff
        self.correct = lru_cache(maxsize=50_000)(self._correct)

    def _correct(self, term: str) -> str:
        if term in self._vocabulary or len(term) < self._min_length or term[0].isdigit():
            return term
        close = difflib.get_close_matches(term, self._by_initial.get(term[0], ()), n=1, cutoff=self._cutoff)
        return close[0] if close else term
