"""Hybrid retriever: BM25 over Kiwi morphemes and dense similarity, fused by a convex
combination of normalised scores (or by reciprocal rank, for comparison).

A LangChain ``BaseRetriever``, so it drops into any chain (``invoke`` returns the best chunk
of each section as stored). :meth:`HybridRetriever.rank` returns typed :class:`Hit` objects,
best first, one per section, with their scores as fields; the answer step uses them to decide
whether the notes cover the question at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import combinations
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.config import RetrievalSettings
from rag.glossary import Glossary
from rag.index.dense import with_sentences
from rag.index.store import ChunkStore
from rag.structure import is_template_section
from rag.text import (
    asks_code,
    asks_comparison,
    breadcrumb,
    heading_names,
    is_english,
    key_terms,
    tokenize,
)
from rag.text.loanwords import noun_tokens
from rag.text.wordlists import aspect_synonyms

log = logging.getLogger(__name__)

# One worker: a question's BM25 beside its embedding (questions in parallel take turns).
_LEXICAL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bm25")


@dataclass(frozen=True)
class Hit:
    """One ranked section: its best chunk (as stored) and how it scored.

    ``bm25_*``/``dense_*`` are ``None`` when that list did not return the chunk (a chunk only
    BM25 found still gets its exact cosine in ``dense_score`` under convex fusion).
    ``section_hits`` are the section's candidate chunk ids, best first (this chunk first).
    """

    doc: Document
    score: float
    section_hits: tuple[str, ...]
    bm25_rank: int | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None

    @property
    def metadata(self) -> dict[str, Any]:
        return self.doc.metadata

    @property
    def page_content(self) -> str:
        return self.doc.page_content

    @property
    def chunk_id(self) -> str:
        return self.doc.metadata["chunk_id"]


Reranker = Callable[[str, list[Hit]], list[Hit]]


def _is_below(section: str, parent: str) -> bool:
    """``section`` is a sub-section of ``parent`` ("" is a page's intro, above all of it)."""
    crumbs, above = breadcrumb(section), breadcrumb(parent)
    return len(crumbs) > len(above) and crumbs[: len(above)] == above


def _unspaced(text: str) -> str:
    """Lower-cased without whitespace, as :func:`heading_names` writes a heading's names."""
    return re.sub(r"\s+", "", text).lower()


def _heading_covers(query: str, hit: Hit) -> bool:
    """Every topical term of ``query`` is in the hit's own heading."""
    crumbs = breadcrumb(hit.metadata.get("section", ""))
    if not crumbs:
        return False
    heading = _unspaced(crumbs[-1])
    terms = key_terms(query)
    return bool(terms) and all(t in heading for t in terms)


def _promote_close(
    hits: list[Hit], window: int, ratio: float, fits: Callable[[Hit], bool]
) -> list[Hit]:
    """The first hit within ``window`` that ``fits`` and scores at ``ratio`` of the top's or
    more goes first; the others keep their order."""
    for j, hit in enumerate(hits[1:window], start=1):
        if hit.score >= ratio * hits[0].score and fits(hit):
            return [hit, *hits[:j], *hits[j + 1 :]]
    return hits


def specific_first(hits: list[Hit], ratio: float, window: int, query: str = "") -> list[Hit]:
    """A parent section's intro names what its sub-sections explain, so it matches their
    questions too; when one of its sub-sections ranks within ``window`` at ``ratio`` of its
    score, that sub-section is the specific answer and goes first. Not when the parent's own
    heading asks the question (every term of ``query`` is in it: a journal heading "조건
    변수는 왜 뮤텍스와 함께 사용해야 할까?" is answered by the whole section, not one part)."""
    if not hits or ratio <= 0 or (query and _heading_covers(query, hits[0])):
        return hits
    top = hits[0].metadata

    def below_top(hit: Hit) -> bool:
        meta = hit.metadata
        return meta["source"] == top["source"] and _is_below(
            meta.get("section", ""), top.get("section", "")
        )

    return _promote_close(hits, window, ratio, below_top)


def named_sibling_first(query: str, hits: list[Hit], window: int, ratio: float) -> list[Hit]:
    """Sibling sections of one note share their parent's words, so the question's own words
    decide between them: a sibling within ``window``, at ``ratio`` of the top's score or more,
    whose heading the question names goes before a top section whose heading it does not
    name ("인터페이스 ... 키워드" opens ``… > 인터페이스``, not ``… > 추상 클래스``). A close
    call only: a clear lead ("프론트 컨트롤러" asks for the DispatcherServlet section, not the
    sibling headed 컨트롤러) stays."""
    if len(hits) < 2:
        return hits
    asked = _unspaced(query)

    def named(hit: Hit) -> bool:
        crumbs = breadcrumb(hit.metadata.get("section", ""))
        return bool(crumbs) and any(n in asked for n in heading_names(crumbs[-1]))

    top = hits[0].metadata
    parent = breadcrumb(top.get("section", ""))[:-1]
    if not parent or named(hits[0]):
        return hits

    def named_sibling(hit: Hit) -> bool:
        crumbs = breadcrumb(hit.metadata.get("section", ""))
        return hit.metadata["source"] == top["source"] and crumbs[:-1] == parent and named(hit)

    return _promote_close(hits, window, ratio, named_sibling)


SectionKey = tuple[str, str]  # (source, section)

# What joins the two sides of a comparison in a question written without spaces: "A와 B",
# "A랑 B", "A vs B", "A and B", "A, B", "A differ from B", "A compared to B" ...
_JOINS = re.compile(
    r"(?:와|과|이랑|랑|하고|및|이나|나|vs\.?|versus|and|or|,|/|&|"
    r"(?:does|do)?differs?from|(?:is|are)?comparedto|comparedwith|with|to|from)(?:an?|the)?"
)
# ... or the first side is the topic and the second is compared with it: "A는 B와 뭐가 달라?"
_TOPIC = re.compile(r"(?:은|는|이|가|도)")
_COMPARED_WITH = re.compile(r"(?:와|과|이랑|랑|하고|보다|에비해|와는|과는)")


def _joined(between: str, after: str) -> bool:
    """Two names in a question are the sides of its comparison, not words that happen to
    head sections ("디플로이먼트 전략에서 … 파드를 교체하는" names two headings and
    compares neither): only a joining word or particle stands between them."""
    if _JOINS.fullmatch(between):
        return True
    return bool(_TOPIC.fullmatch(between)) and bool(_COMPARED_WITH.match(after))


def compared_sections(query: str, store: ChunkStore) -> list[tuple[int, SectionKey, SectionKey]]:
    """Pairs of sibling sections (one note or page, one parent) whose own headings name two
    different sides of a comparison question, each with how many characters of the question
    its two names cover.

    "A랑 B는 뭐가 달라?" is answered by the note's sections on A and on B even when neither
    ranks: each says little of the other side, and a page that mentions both sides on every
    line outranks them in both lists. Sides are found by heading name, not by parsing the
    question, so "서비스와 인그레스", "Recreate vs RollingUpdate" and "Type 1과 Type 2
    하이퍼바이저" read alike; the two names may not overlap in the question.
    """
    if not asks_comparison(query):
        return []
    asked = _unspaced(query)
    spans: dict[SectionKey, tuple[int, int]] = {}
    for name, keys in store.sections_by_heading_name.items():
        at = asked.find(name)
        if at < 0:
            continue
        for key in keys:
            old = spans.get(key)
            if old is None or len(name) > old[1] - old[0]:
                spans[key] = (at, at + len(name))
    families: dict[tuple[str, tuple[str, ...]], list[SectionKey]] = {}
    for key in spans:
        families.setdefault((key[0], tuple(breadcrumb(key[1])[:-1])), []).append(key)
    pairs = []
    for members in families.values():
        for a, b in combinations(members, 2):
            (a0, a1), (b0, b1) = sorted((spans[a], spans[b]))
            if a1 <= b0 and _joined(asked[a1:b0], asked[b1:]):
                pairs.append((a1 - a0 + b1 - b0, a, b))
    pairs.sort(key=lambda p: -p[0])
    return pairs


def compared_first(hits: list[Hit], pairs: list[tuple[int, SectionKey, SectionKey]]) -> list[Hit]:
    """Of the pairs whose names cover the most of the question, the best-scoring opens the
    answer, both sides together; unless the top section already belongs with them: one of
    the pair (its other side comes second), their parent (a section on the comparison
    itself) or a sibling (the note's own "차이" section beside the two)."""
    where = {(h.metadata["source"], h.metadata["section"]): i for i, h in enumerate(hits)}
    present = [p for p in pairs if p[1] in where and p[2] in where]
    if not present:
        return hits
    longest = max(p[0] for p in present)
    _, a, b = max(
        (p for p in present if p[0] == longest),
        key=lambda p: hits[where[p[1]]].score + hits[where[p[2]]].score,
    )
    a, b = sorted((a, b), key=where.__getitem__)
    top = hits[0].metadata
    crumbs, family = breadcrumb(top["section"]), breadcrumb(a[1])[:-1]
    if top["source"] == a[0] and family in (crumbs, crumbs[:-1]):
        if where[a] != 0:
            return hits
        first = [hits[0], hits[where[b]]]
    else:
        first = [hits[where[a]], hits[where[b]]]
    moved = {id(h) for h in first}
    return [*first, *(h for h in hits if id(h) not in moved)]


def defined_term_sections(
    query: str, docs: list[Document], gloss: Callable[[str], list[str]] | None = None
) -> set[str]:
    """Chunk ids whose section is *about* what a definition question names.

    "하이퍼바이저란?" / "What is a hypervisor?" should open the section headed
    ``하이퍼바이저(Hypervisor)``, not its sub-section ``Type 2 하이퍼바이저``. Only when the
    question names the heading and asks nothing else (no other topical term remains), so
    "쿠버네티스에서 가장 작은 배포 단위는?" is not pulled to the ``쿠버네티스`` section.
    A term that names the section's parent topic is context, not another ask ("쿠버네티스
    서비스란?" under ``쿠버네티스 구성 요소 > 서비스(Service)``); ``gloss`` gives an English
    term's Korean words, so "What does a Kubernetes Service do?" is the same question.
    """
    compact = _unspaced(query)
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
        above = _unspaced(" ".join(breadcrumb(section)[:-1]))
        if any(not _names_part_of(term, above, gloss) for term in key_terms(rest)):
            continue
        length = max(len(n) for n in matched)
        if length > best:
            best, chosen = length, {doc.metadata["chunk_id"]}
        elif length == best:
            chosen.add(doc.metadata["chunk_id"])
    return chosen


def _names_part_of(term: str, above: str, gloss: Callable[[str], list[str]] | None) -> bool:
    if not above:
        return False
    if term in above:
        return True
    korean = gloss(term) if gloss is not None else []
    return bool(korean) and all(k in above for k in korean)


@dataclass
class _Scores:
    """Per-candidate ranks and scores from each list, filled while fusing."""

    bm25_rank: int | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None


def _leads_both(scores: _Scores | None) -> bool:
    return scores is not None and scores.bm25_rank == 1 and scores.dense_rank == 1


class HybridRetriever(BaseRetriever):
    """Ranks sections of a :class:`ChunkStore` by BM25, dense similarity, or both."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: ChunkStore
    vectorstore: Any = None  # langchain_chroma.Chroma; None is fine for mode="bm25"
    embeddings: Embeddings | None = None
    tuning: RetrievalSettings = RetrievalSettings()
    mode: str = "hybrid"
    k: int = 5
    # The journal's template headings (rag.structure): a note section under template headings
    # only (a retrospective, a to-do list) is the diary, not an explanation.
    template: frozenset[str] = frozenset()
    # Only chunks of notes (and their references) of these dates; empty means all.
    dates: frozenset[str] = frozenset()
    # The corpus's own glossary (rag.glossary): an English question also searches with the
    # Korean words the notes gloss its terms with. Called only for an English question, so a
    # store reloaded after a re-index learns it when one is asked, not on every first question.
    glossary: Callable[[], Glossary] | None = None
    glossary_tokens: int = 12
    reranker: Reranker | None = None

    # ----------------------------------------------------------------- the two lists
    def _bm25(self, tokens: list[str]) -> list[tuple[str, float]]:
        """Top ``fetch_k`` (chunk id, score) from the store's lexical index; with a date filter
        only those days' chunks compete (before the cut, as Chroma does for the dense list:
        otherwise other days could fill every place and leave the asked day with none)."""
        if not tokens or not self.store.docs:
            return []
        return self.store.bm25_search(tokens, self.tuning.fetch_k, self.dates)

    def _dense(self, vector: list[float]) -> list[tuple[str, float]]:
        where: dict[str, Any] | None = None
        if len(self.dates) == 1:
            where = {"date": next(iter(self.dates))}
        elif self.dates:
            where = {"date": {"$in": sorted(self.dates)}}
        local = self.store.dense_search(vector, self.tuning.fetch_k, self.dates)
        if local is not None:
            return self._with_sentences(local, vector)
        hits = self.vectorstore.similarity_search_by_vector_with_relevance_scores(
            vector, k=min(self.tuning.fetch_k, len(self.store.docs)), filter=where
        )
        out = []
        for doc, distance in hits:
            cid = doc.metadata.get("chunk_id") or doc.id
            # Vectors Chroma still holds for a half-finished ingest are ignored: the chunk
            # store is the committed truth.
            if cid in self.store.by_id:
                out.append((cid, 1.0 - float(distance)))
        return self._with_sentences(out, vector)

    def _with_sentences(
        self, hits: list[tuple[str, float]], vector: list[float]
    ) -> list[tuple[str, float]]:
        """Candidates re-scored with their best sentence's similarity (rag.index.dense)."""
        weight = self.tuning.sentence_weight
        if weight <= 0 or not hits:
            return hits
        units = self.store.sentence_vectors([cid for cid, _ in hits])
        return with_sentences(hits, units, vector, weight)

    def _cosines(self, ids: list[str], vector: list[float]) -> dict[str, float]:
        """Exact similarity of chunks the dense search did not return (BM25-only candidates)."""
        if not ids:
            return {}
        local = self.store.cosines(ids, vector)
        if local is not None:
            return dict(self._with_sentences(list(local.items()), vector))
        try:
            got = self.vectorstore.get(ids=ids, include=["embeddings"])
        except Exception:
            # A chunk committed while another process was still adding its vector can be in
            # Chroma's records but not in the HNSW segment this process loaded ("Error
            # finding id"); it ranks by its BM25 score alone, as a chunk without a vector does.
            log.warning("exact cosines unavailable for %d chunks", len(ids), exc_info=True)
            return {}
        if not got["ids"]:
            return {}
        sims = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vector, np.float32)
        found = [(cid, float(sim)) for cid, sim in zip(got["ids"], sims, strict=True)]
        return dict(self._with_sentences(found, vector))

    # ----------------------------------------------------------------- fusion
    def _rrf(
        self, bm25: list[tuple[str, float]], dense: list[tuple[str, float]]
    ) -> dict[str, float]:
        t = self.tuning
        fused: dict[str, float] = {}
        for weight, hits in ((t.bm25_weight, bm25), (t.dense_weight, dense)):
            for rank, (cid, _) in enumerate(hits, start=1):
                fused[cid] = fused.get(cid, 0.0) + weight / (t.rrf_k + rank)
        return fused

    def _convex(
        self, bm25_scores: dict[str, float], dense_scores: dict[str, float], candidates: list[str]
    ) -> dict[str, float]:
        """``alpha * bm25/max + (1 - alpha) * (cos - floor)/(max - floor)`` per candidate.

        Unlike RRF it keeps *how much* better the best chunk is, so a prior (the note boost)
        settles close calls instead of overturning a clear lead in both lists.
        The dense floor is the lowest similarity among the candidates, so the scale adapts
        to the embedding model (e5 cosines sit in 0.7-0.95, MiniLM's much lower).
        """
        alpha = self.tuning.bm25_alpha
        bm25_max = max((bm25_scores.get(c, 0.0) for c in candidates), default=0)
        top = max(dense_scores.values(), default=0.0)
        floor = min(dense_scores.values(), default=0.0)
        fused = {}
        for cid in candidates:
            lexical = bm25_scores.get(cid, 0.0) / bm25_max if bm25_max > 0 else 0
            if cid not in dense_scores:
                # No vector yet (a first index still embedding): ranked by its words alone,
                # as if its similarity matched them, not as the least similar chunk.
                fused[cid] = lexical
                continue
            cos = dense_scores[cid]
            semantic = (cos - floor) / (top - floor) if top > floor else 0.0
            fused[cid] = alpha * lexical + (1 - alpha) * semantic
        return fused

    def _apply_priors(
        self,
        query: str,
        fused: dict[str, float],
        info: dict[str, _Scores],
        glossary: Glossary | None,
        asked: str,
    ) -> None:
        """The priors on ``fused``; ``asked`` is the question as headings are matched against
        it (an English one in the notes' spelling of its terms, :meth:`rank`)."""
        t = self.tuning
        code_question = asks_code(query)
        for cid in fused:
            meta = self.store.by_id[cid].metadata
            # The penalty is for code that shares tokens with a question but explains nothing;
            # a chunk that is first in both lists (its heading and sentence say what the
            # question asks, beside the code) is the answer, not such a dump.
            if meta.get("is_code") and not code_question and not _leads_both(info.get(cid)):
                fused[cid] *= t.code_penalty
            if meta.get("is_links"):
                fused[cid] *= t.links_penalty
            if meta.get("kind") == "note":
                fused[cid] *= 1.0 + t.note_boost
                if is_template_section(meta.get("section", ""), self.template):
                    fused[cid] *= t.template_penalty
        if asks_comparison(query):
            # A comparison names each side's heading, and one side may sit under a parent
            # named by the other ("A의 대안 > B"): that section is one side, not a definition
            # of what is asked.
            return
        candidates = [self.store.by_id[c] for c in fused]
        gloss = None
        if glossary is not None:
            gloss = partial(glossary.expand, max_tokens=self.glossary_tokens)
        for cid in defined_term_sections(asked, candidates, gloss):
            fused[cid] *= 1.0 + t.definition_boost

    def _fuse(
        self, query: str, extra: Sequence[str] = (), asked: str | None = None
    ) -> tuple[dict[str, float], dict[str, _Scores]]:
        use_bm25 = self.mode in ("hybrid", "bm25")
        use_dense = (
            self.mode in ("hybrid", "dense")
            and self.vectorstore is not None
            and self.embeddings is not None
            and bool(self.store.docs)
        )
        tokens = tokenize(query) if use_bm25 else []
        if self.tuning.aspect_synonyms:
            tokens += [w for t in list(tokens) for w in aspect_synonyms(t) if w not in tokens]
        # An English question also searches with the Korean words the notes gloss its terms
        # with, or spell them with; the definition prior reads the same glossary. A Korean
        # question's word the notes only write in Latin letters is searched in those.
        english = is_english(query)
        glossary = self.glossary() if self.glossary is not None else None
        glossed: list[str] = []
        if glossary is not None:
            glossed = glossary.searched_with(query, tokens or tokenize(query), self.glossary_tokens)
        if not english:
            glossary = None
        if tokens:
            # A spelling Kiwi breaks apart is searched by its pieces too: Kiwi reads "클로저"
            # as 클로 + 저 alone and "클로저란", "클로저 예시" as 클로저, so notes hold both.
            for word in glossed:
                tokens.append(word)
                tokens += [t for t in noun_tokens(word) if t != word and t not in tokens]
        # BM25 runs while the model embeds the question (both leave the GIL: SQLite and the
        # model's C library), so a question costs about the larger of the two, not the sum.
        lexical = _LEXICAL.submit(self._bm25, tokens) if use_dense and tokens else None
        # The glossed Korean words ride along in the embedded query too, as a gloss in
        # parentheses: e5-small matches "파이버" in a Korean note better than "Fiber" (dev).
        embedded = f"{query} ({' '.join(glossed)})" if glossed else query
        vector = self.embeddings.embed_query(embedded) if use_dense else []
        bm25 = lexical.result() if lexical is not None else self._bm25(tokens)
        dense = self._dense(vector) if use_dense else []
        info: dict[str, _Scores] = {}
        for rank, (cid, score) in enumerate(bm25, start=1):
            row = info.setdefault(cid, _Scores())
            row.bm25_rank, row.bm25_score = rank, round(score, 4)
        for rank, (cid, score) in enumerate(dense, start=1):
            row = info.setdefault(cid, _Scores())
            row.dense_rank, row.dense_score = rank, round(score, 4)
        if self.mode == "hybrid" and self.tuning.fusion == "convex" and dense and tokens:
            # Sections found by name (the sides of a comparison) are scored as candidates too.
            for cid in extra:
                info.setdefault(cid, _Scores())
            candidates = list(info)
            dense_scores = dict(dense)
            bm25_scores = dict(bm25)
            lexical_missing = [c for c in candidates if c not in bm25_scores]
            bm25_scores.update(self.store.bm25_scores(tokens, lexical_missing))
            missing = [c for c in candidates if c not in dense_scores]
            for cid, cos in self._cosines(missing, vector).items():
                dense_scores[cid] = cos
                info[cid].dense_score = round(cos, 4)
            fused = self._convex(bm25_scores, dense_scores, candidates)
        else:
            fused = self._rrf(bm25, dense)
        self._apply_priors(query, fused, info, glossary, asked or query)
        return fused, info

    def _pair_chunks(self, pairs: list[tuple[int, SectionKey, SectionKey]]) -> list[str]:
        """Chunk ids of the compared sections' (of the asked dates only, if any), so they are
        scored against the whole question wherever the two lists ranked them."""
        out: list[str] = []
        for _, *keys in pairs[: self.tuning.compared_pairs]:
            for key in keys:
                for doc in self.store.sections[key]:
                    if not self.dates or doc.metadata.get("date") in self.dates:
                        out.append(doc.metadata["chunk_id"])
        return list(dict.fromkeys(out))

    # ----------------------------------------------------------------- ranking
    def rank(self, query: str) -> list[Hit]:
        """Sections best first, one hit each (``k`` is applied by the caller).

        Ranking sections rather than chunks keeps three near-identical chunks of one section
        from filling the top three; a section's other candidates steer the answer passage.
        """
        # Headings are matched against an English question as the notes spell its terms:
        # "What is a closure?" names the heading 클로저, "between a process and a thread"
        # pairs the sections headed 프로세스 and 스레드.
        english = is_english(query)
        asked = self.glossary().in_korean(query) if english and self.glossary else query
        pairs = compared_sections(query, self.store)
        if not pairs and asked != query:
            pairs = compared_sections(asked, self.store)
        fused, info = self._fuse(query, self._pair_chunks(pairs), asked)
        order = sorted(fused, key=lambda c: fused[c], reverse=True)
        sections: dict[tuple[str, str], list[str]] = {}
        for cid in order:
            meta = self.store.by_id[cid].metadata
            sections.setdefault((meta["source"], meta["section"]), []).append(cid)
        hits = []
        for ids in sections.values():
            cid = ids[0]
            scores = info[cid]
            hits.append(
                Hit(
                    doc=self.store.by_id[cid],
                    score=round(fused[cid], 6),
                    section_hits=tuple(ids),
                    bm25_rank=scores.bm25_rank,
                    bm25_score=scores.bm25_score,
                    dense_rank=scores.dense_rank,
                    dense_score=scores.dense_score,
                )
            )
        t = self.tuning
        if not english:
            # Not for English questions: their scores are flat (few BM25 tokens, cross-lingual
            # similarity), so a sub-section is "close behind" its parent by chance (journal dev:
            # one English question gained its parent's answer, no other dev answer changed).
            hits = specific_first(hits, t.subsection_ratio, t.subsection_window, asked)
        hits = named_sibling_first(asked, hits, t.sibling_window, t.sibling_ratio)
        hits = compared_first(hits, pairs)
        if self.reranker is not None:
            hits = self.reranker(query, hits)
        return hits

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [hit.doc for hit in self.rank(query)[: self.k]]
