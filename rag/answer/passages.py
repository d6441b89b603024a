"""Which text of the ranked sections the answer shows.

Answer from the focused passage of the best section, not from single sentences (a field and
its default sit in neighbouring sentences; lists get cut) and not from whole long sections
(too long to study from). A second section joins for comparisons, or when it covers question
terms the first lacks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from rag.config import AnswerSettings
from rag.index.store import ChunkStore, body_of, join_bodies
from rag.text import asks_comparison, asks_list, ends_in_fence, tokenize

if TYPE_CHECKING:
    from rag.retrieval import Hit


@dataclass
class Passage:
    docs: list[Document]  # consecutive chunks of one section
    hit: Document
    text: str
    key: list[str]  # key sentences to mark bold

    @property
    def shown(self) -> str:
        """What the student sees of a passage: its breadcrumb line, then the text."""
        return self.hit.page_content.split("\n", 1)[0] + "\n" + self.text


def _idf(store: ChunkStore, token: str) -> float:
    n = max(1, len(store.docs))
    df = store.vocabulary.get(token, 0)
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _score(tokens: frozenset[str], q_tokens: set[str], store: ChunkStore) -> float:
    return sum(_idf(store, t) for t in tokens & q_tokens)


def _body_tokens(store: ChunkStore, doc: Document) -> frozenset[str]:
    return store.analysis(doc).body_tokens


def _shown_tokens(store: ChunkStore, passage: Passage) -> frozenset[str]:
    """Tokens of what the student sees (breadcrumb and text), from the stored analyses."""
    crumb = passage.hit.page_content.split("\n", 1)[0]
    key = ("crumb", crumb)
    if key not in store.analysed:
        store.analysed[key] = frozenset(tokenize(crumb))
    return store.analysed[key].union(*(_body_tokens(store, d) for d in passage.docs))


def _sentences(store: ChunkStore, doc: Document) -> list[tuple[str, frozenset[str]]]:
    """The chunk body's sentences (list bullets dropped) with their tokens, as indexing
    analysed them: no Kiwi call per question."""
    return store.analysis(doc).sentences


def _window(
    section: list[Document],
    best: str,
    hit_ids: set[str],
    store: ChunkStore,
    q_tokens: set[str],
    budget: int,
) -> list[Document]:
    """Consecutive chunks around the best hit: grow towards the section's other hits first,
    then to the neighbour that shares more with the question, while within budget. Starting
    at the section's first chunk instead cut long sections before the fact (journal dev)."""
    ids = [d.metadata["chunk_id"] for d in section]
    lo = hi = ids.index(best) if best in ids else 0
    size = len(body_of(section[lo]))
    while True:
        options = []
        if lo > 0:
            options.append(lo - 1)
        if hi < len(section) - 1:
            options.append(hi + 1)
        options = [o for o in options if size + len(body_of(section[o])) <= budget]
        if not options:
            break
        best = max(
            options,
            key=lambda o: (
                ids[o] in hit_ids,
                _score(_body_tokens(store, section[o]), q_tokens, store),
                -o,
            ),
        )
        size += len(body_of(section[best]))
        lo, hi = min(lo, best), max(hi, best)
    return section[lo : hi + 1]


def _through_code(section: list[Document], chosen: list[Document], limit: int) -> list[Document]:
    """A window that stops at the end of a code piece goes on, within ``limit``, to the rest
    of the code and the chunk after it: a long code block is cut into pieces, and what it
    does (or the line the question is about) is often in the next piece or the sentence after
    the code (journal dev: a config class cut after its imports)."""
    ids = [d.metadata["chunk_id"] for d in section]
    hi = ids.index(chosen[-1].metadata["chunk_id"])
    size = sum(len(body_of(d)) for d in chosen)
    out = list(chosen)
    while ends_in_fence(body_of(out[-1])) and hi + 1 < len(section):
        nxt = section[hi + 1]
        if size + len(body_of(nxt)) > limit:
            break
        out.append(nxt)
        size += len(body_of(nxt))
        hi += 1
    return out


def build_passage(
    hit: Document,
    hits_in_section: list[Document],
    store: ChunkStore,
    q_tokens: set[str],
    tuning: AnswerSettings,
    list_question: bool = False,
) -> Passage:
    section = store.section_docs(hit)
    total = sum(len(body_of(d)) for d in section)
    budget = tuning.passage_budget
    if total <= budget or (list_question and total <= tuning.list_budget_factor * budget):
        chosen = section
    else:
        hit_ids = {d.metadata["chunk_id"] for d in hits_in_section}
        best = hit.metadata["chunk_id"]
        chosen = _window(section, best, hit_ids, store, q_tokens, budget)
        chosen = _through_code(section, chosen, tuning.list_budget_factor * budget)
    text = join_bodies(chosen)
    scored = sorted(
        ((s, _score(toks, q_tokens, store)) for d in chosen for s, toks in _sentences(store, d)),
        key=lambda x: x[1],
        reverse=True,
    )
    key = [s for s, score in scored[: tuning.key_sentences] if score > 0]
    return Passage(chosen, hit, text, key)


def select_passages(
    question: str, ranked: list[Hit], store: ChunkStore, k: int, tuning: AnswerSettings
) -> list[Passage]:
    """The best section's focused passage, plus a second section for comparisons or when the
    runner-up section answers parts of the question the first does not."""
    q_tokens = set(tokenize(question))
    top = ranked[:k]
    if not top:
        return []
    comparison = asks_comparison(question)
    list_question = asks_list(question)

    def passage(hit: Hit) -> Passage:
        # A section's other candidate chunks steer which part of it the passage shows.
        others = [c for c in hit.section_hits if c != hit.chunk_id]
        docs = [hit.doc, *(store.by_id[c] for c in others if c in store.by_id)]
        return build_passage(hit.doc, docs, store, q_tokens, tuning, list_question)

    passages = [passage(top[0])]
    # The breadcrumb is shown with the passage, so its terms count as answered too.
    covered = set(_shown_tokens(store, passages[0])) & q_tokens
    best_score = top[0].score
    limit = tuning.max_passages_comparison if comparison else tuning.max_passages
    for hit in top[1:]:
        close = hit.score >= tuning.second_passage_ratio * best_score
        # A reference page answers first; the student's own note on it, close behind, joins
        # even when it adds no new question word, and even past the limit when other pages
        # filled it: the notes are what they study from (seed dev: right source cited 0.861
        # -> 0.873, keyword recall unchanged, +14 characters; past the limit 0.886 -> 0.899,
        # +2 characters; journal dev unchanged).
        own_note = (
            top[0].metadata.get("kind") != "note"
            and hit.metadata.get("kind") == "note"
            and close
            and not any(p.hit.metadata.get("kind") == "note" for p in passages)
        )
        if len(passages) >= limit + (1 if own_note else 0):
            break
        candidate = passage(hit)
        adds = (_shown_tokens(store, candidate) & q_tokens) - covered
        if candidate.text.strip() == passages[0].text.strip():
            continue
        # A near tie joins as the second passage whatever words it adds.
        tie = len(passages) < 2 and hit.score >= tuning.tie_passage_ratio * best_score
        if (
            (comparison and adds)
            or (close and adds)
            or (comparison and len(passages) < 2 and close)
            or own_note
            or tie
        ):
            passages.append(candidate)
            covered |= adds
    return passages
