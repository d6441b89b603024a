"""Exact dense search in process over the store's copies of the chunk vectors.

Chroma stays the vector index of record (persisted, shared through ``chroma run``); for
ranking, a journal's few thousand to few tens of thousands of vectors fit in one float32
matrix (40k x 384 = 61 MB) whose product with the question vector is exact and costs less
than a Chroma query: 8 ms per query through Chroma's HNSW against well under 1 ms here on
the real journal's 1,046 chunks (bench/scale.py measures both ends). Exact search also ends
the HNSW misses that made ``hnsw_ef_search`` necessary.

A chunk is also as similar as its best sentence (``rag.index.analysis.sentence_units``): a
question usually asks what one sentence says, and a chunk's one vector averages that sentence
with the rest of its section. :func:`with_sentences` mixes the two for the candidates only
(the dense list and the BM25 candidates, read from the store as needed): on dev, re-scoring
the top 40 gave the same rankings as scoring every chunk's sentences, without holding every
sentence vector in memory (3.7 per chunk: some 210 MB more at 37k chunks).
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


def with_sentences(
    hits: Sequence[tuple[str, float]],
    sentences: dict[str, np.ndarray],
    query: Sequence[float],
    weight: float,
) -> list[tuple[str, float]]:
    """``hits`` (chunk id, cosine of its vector) re-scored as ``(1 - w) * whole + w * max(whole,
    best sentence)``, best first; ``sentences``: each chunk's sentence vectors, float32 rows
    back to back (a chunk without any keeps its cosine)."""
    if weight <= 0:
        return list(hits)
    q = np.asarray(query, dtype=np.float32)
    q = q / (float(np.linalg.norm(q)) or 1.0)
    out = []
    for cid, whole in hits:
        flat = sentences.get(cid)
        score = whole
        if flat is not None and flat.size and flat.size % q.size == 0:
            units = flat.reshape(-1, q.size)
            sims = (units @ q) / np.maximum(np.linalg.norm(units, axis=1), 1e-12)
            best = max(whole, float(sims.max()))
            score = (1 - weight) * whole + weight * best
        out.append((cid, score))
    return sorted(out, key=lambda hit: hit[1], reverse=True)
