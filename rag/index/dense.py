"""Exact dense search in process over the store's copies of the chunk vectors.

Chroma stays the vector index of record (persisted, shared through ``chroma run``); for
ranking, a journal's few thousand to few tens of thousands of vectors fit in one float32
matrix (40k x 384 = 61 MB) whose product with the question vector is exact and costs less
than a Chroma query: 8 ms per query through Chroma's HNSW against well under 1 ms here on
the real journal's 1,046 chunks (bench/scale.py measures both ends). Exact search also ends
the HNSW misses that made ``hnsw_ef_search`` necessary.

A chunk is also as similar as its best sentence (``rag.index.analysis.sentence_units``): a
question usually asks what one sentence says, and a chunk's one vector averages that sentence
with the rest of its section. Scores mix the two (``sentence_weight``, RetrievalSettings).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class DenseMatrix:
    """Row i is document i's L2-normalised vector; rows of chunks without one are zero and
    never returned. Document i's sentence vectors, if it has any, are rows of ``sentences``
    owned by i (kept in document order, so each document's are one run)."""

    def __init__(self, n_docs: int, dim: int) -> None:
        self.vectors = np.zeros((n_docs, dim), dtype=np.float32)
        self.present = np.zeros(n_docs, dtype=bool)
        self._units: dict[int, np.ndarray] = {}
        self._stacked: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_rows(
        cls, n_docs: int, rows: Sequence[tuple[int, bytes, bytes | None]]
    ) -> DenseMatrix | None:
        if not rows:
            return None
        dim = len(rows[0][1]) // 4
        matrix = cls(n_docs, dim)
        matrix.fill(rows)
        return matrix

    def fill(self, rows: Sequence[tuple[int, bytes, bytes | None]]) -> None:
        """``(document index, float32 bytes, its sentences' float32 bytes or None)``."""
        dim = self.vectors.shape[1]
        for index, blob, units in rows:
            vec = np.frombuffer(blob, dtype=np.float32)
            if vec.shape[0] != dim:
                continue  # another model's vector: the store is being rebuilt
            norm = float(np.linalg.norm(vec))
            if norm > 0:
                self.vectors[index] = vec / norm
                self.present[index] = True
            if units and len(units) % (4 * dim) == 0:
                rows_of = np.frombuffer(units, dtype=np.float32).reshape(-1, dim)
                norms = np.linalg.norm(rows_of, axis=1, keepdims=True)
                self._units[index] = rows_of / np.where(norms > 0, norms, 1.0)
                self._stacked = None

    @property
    def missing(self) -> np.ndarray:
        return np.flatnonzero(~self.present)

    def _sentence_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sentence matrix, each run's document, each run's first row)."""
        if self._stacked is None:
            owners = sorted(self._units)
            dim = self.vectors.shape[1]
            matrix = (
                np.concatenate([self._units[i] for i in owners])
                if owners
                else np.zeros((0, dim), dtype=np.float32)
            )
            sizes = np.array([len(self._units[i]) for i in owners], dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
            self._stacked = (matrix, np.array(owners, dtype=np.int64), starts)
        return self._stacked

    def scores(self, query: Sequence[float], sentence_weight: float = 0.0) -> np.ndarray:
        """Every document's similarity: its vector's cosine, mixed with its best sentence's
        (never below the whole's) as ``(1 - w) * whole + w * max(whole, best sentence)``."""
        q = np.asarray(query, dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        whole = self.vectors @ q
        if sentence_weight <= 0 or not self._units:
            return whole
        matrix, owners, starts = self._sentence_rows()
        best = np.maximum.reduceat(matrix @ q, starts)
        mixed = whole.copy()
        mixed[owners] = (1 - sentence_weight) * whole[owners] + sentence_weight * np.maximum(
            best, whole[owners]
        )
        return mixed

    def search(
        self,
        query: Sequence[float],
        k: int,
        allowed: np.ndarray | None = None,
        sentence_weight: float = 0.0,
    ) -> list[tuple[int, float]]:
        """Best ``k`` (document index, similarity), among ``allowed`` (a boolean mask) if
        given."""
        scores = self.scores(query, sentence_weight)
        ok = self.present if allowed is None else (self.present & allowed)
        scores = np.where(ok, scores, -np.inf)
        n = int(ok.sum())
        if n == 0 or k <= 0:
            return []
        k = min(k, n)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]

    def cosines(
        self, indexes: Sequence[int], query: Sequence[float], sentence_weight: float = 0.0
    ) -> dict[int, float]:
        """The similarity of a few documents, as :meth:`scores` gives it."""
        q = np.asarray(query, dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        rows = [i for i in indexes if self.present[i]]
        if not rows:
            return {}
        out = {}
        for i, whole in zip(rows, self.vectors[rows] @ q, strict=True):
            score = float(whole)
            units = self._units.get(i) if sentence_weight > 0 else None
            if units is not None and len(units):
                best = max(score, float((units @ q).max()))
                score = (1 - sentence_weight) * score + sentence_weight * best
            out[i] = score
        return out
