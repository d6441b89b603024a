"""Exact dense search in process over the store's copies of the chunk vectors.

Chroma stays the vector index of record (persisted, shared through ``chroma run``); for
ranking, a journal's few thousand to few tens of thousands of vectors fit in one float32
matrix (40k x 384 = 61 MB) whose product with the question vector is exact and costs less
than a Chroma query: 8 ms per query through Chroma's HNSW against well under 1 ms here on
the real journal's 1,046 chunks (bench/scale.py measures both ends). Exact search also ends
the HNSW misses that made ``hnsw_ef_search`` necessary.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class DenseMatrix:
    """Row i is document i's L2-normalised vector; rows of chunks without one are zero and
    never returned."""

    def __init__(self, n_docs: int, dim: int) -> None:
        self.vectors = np.zeros((n_docs, dim), dtype=np.float32)
        self.present = np.zeros(n_docs, dtype=bool)

    @classmethod
    def from_rows(cls, n_docs: int, rows: Sequence[tuple[int, bytes]]) -> DenseMatrix | None:
        if not rows:
            return None
        dim = len(rows[0][1]) // 4
        matrix = cls(n_docs, dim)
        matrix.fill(rows)
        return matrix

    def fill(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """``(document index, float32 bytes)`` pairs."""
        for index, blob in rows:
            vec = np.frombuffer(blob, dtype=np.float32)
            if vec.shape[0] != self.vectors.shape[1]:
                continue  # another model's vector: the store is being rebuilt
            norm = float(np.linalg.norm(vec))
            if norm > 0:
                self.vectors[index] = vec / norm
                self.present[index] = True

    @property
    def missing(self) -> np.ndarray:
        return np.flatnonzero(~self.present)

    def search(
        self, query: Sequence[float], k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Best ``k`` (document index, cosine), among ``allowed`` (a boolean mask) if given."""
        q = np.asarray(query, dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        scores = self.vectors @ q
        ok = self.present if allowed is None else (self.present & allowed)
        scores = np.where(ok, scores, -np.inf)
        n = int(ok.sum())
        if n == 0 or k <= 0:
            return []
        k = min(k, n)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]

    def cosines(self, indexes: Sequence[int], query: Sequence[float]) -> dict[int, float]:
        q = np.asarray(query, dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        rows = [i for i in indexes if self.present[i]]
        if not rows:
            return {}
        sims = self.vectors[rows] @ q
        return {i: float(s) for i, s in zip(rows, sims, strict=True)}
