"""In-process BM25 index over the stored chunks (Chroma has no sparse index locally).

Scores are computed with a sparse term-by-chunk matrix, so a query touches only the
columns of its own terms (an inverted index), never a Python loop over all chunks.
"""

from __future__ import annotations

import bisect
import math
import os
from collections import Counter

import numpy as np
from scipy import sparse

from .text import Analyzer


class BM25Index:
    def __init__(self, analyzer: Analyzer, k1: float = 1.2, b: float = 0.75):
        self.analyzer = analyzer
        self.k1 = k1
        self.b = b
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.matrix = sparse.csc_matrix((0, 0), dtype=np.float32)
        self.doc_terms: list[frozenset[str]] = []
        self.sorted_terms: list[str] = []
        self.size = 0

    def build(self, texts: list[str]) -> BM25Index:
        rows, cols, vals = [], [], []
        lengths = np.zeros(len(texts), dtype=np.float32)
        doc_terms = []
        for row, text in enumerate(texts):
            counts = Counter(self.analyzer.terms(text))
            lengths[row] = sum(counts.values())
            doc_terms.append(frozenset(counts))
            for term, tf in counts.items():
                col = self.vocab.setdefault(term, len(self.vocab))
                rows.append(row)
                cols.append(col)
                vals.append(tf)
        n = len(texts)
        self.size = n
        self.sorted_terms = sorted(self.vocab)
        self.doc_terms = doc_terms
        tf = sparse.csc_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, len(self.vocab))
        )
        df = np.diff(tf.indptr).astype(np.float32)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(lengths.mean()) if n else 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths / max(avg, 1e-9))
        # Pre-compute the BM25 weight of every (chunk, term) pair.
        coo = tf.tocoo()
        weights = coo.data * (self.k1 + 1) / (coo.data + norm[coo.row]) * self.idf[coo.col]
        self.matrix = sparse.csc_matrix((weights, (coo.row, coo.col)), shape=tf.shape)
        return self

    def resolve(self, term: str) -> str | None:
        """The indexed term for a query term: itself, or the indexed term sharing a long prefix.

        Dutch verb forms the stemmer leaves apart ("verhuist" / "verhuis", "minimaliseert" /
        "minimaliser") meet here. Neighbours in sorted order share the longest prefixes.
        """
        if term in self.vocab:
            return term
        if len(term) < 6 or not self.sorted_terms:
            return None
        pos = bisect.bisect_left(self.sorted_terms, term)
        best, best_len = None, 0
        for cand in self.sorted_terms[max(0, pos - 3) : pos + 3]:
            common = len(_common_prefix(cand, term))
            # Only the endings may differ: "verhuist"/"verhuis", not two different compounds.
            if common > best_len and len(term) - common <= 3 and len(cand) - common <= 3:
                best, best_len = cand, common
        if best is not None and best_len >= 6:
            return best
        return None

    def unknown_idf(self) -> float:
        """The idf a term would have if no chunk contained it."""
        n = self.size
        return math.log(1.0 + (n + 0.5) / 0.5)

    def term_idf(self, term: str) -> float:
        col = self.vocab.get(term)
        return float(self.idf[col]) if col is not None else self.unknown_idf()

    def scores(self, terms: list[str]) -> np.ndarray:
        resolved = (self.resolve(t) for t in dict.fromkeys(terms))
        cols = [self.vocab[t] for t in dict.fromkeys(resolved) if t is not None]
        if not cols or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.matrix[:, cols].sum(axis=1)).ravel()


def _common_prefix(a: str, b: str) -> str:
    return os.path.commonprefix([a, b])
