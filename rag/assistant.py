"""The service every front end calls (CLI, Gradio app, evaluation): load once, answer many.

Holds the embeddings, the Chroma handle and the chunk store; :meth:`Assistant.reload` swaps in
a freshly written chunk store after a re-index without disturbing answers in flight (each call
reads one consistent snapshot).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from rag.answer.compose import (
    extractive_answer,
    period_label,
    refusal_answer,
    stream_text,
    topic_label,
)
from rag.answer.coverage import assess
from rag.answer.followup import contextual_query
from rag.answer.llm import condense_prompt, finalize_llm_answer, llm_messages
from rag.answer.passages import select_passages
from rag.answer.question import clean_question
from rag.answer.result import Answer
from rag.config import RefusalSettings, Settings, load_settings
from rag.digest import digest_answer, is_digest_question
from rag.glossary import glossary_of
from rag.index.store import ChunkStore, load_chunk_store
from rag.retrieval import Hit, HybridRetriever
from rag.structure import template_of
from rag.text import DateSpan, find_dates, key_terms, strip_dates, tokenize

History = list[tuple[str, str]]


# No embedding batch for this long means no ingest is running (a batch takes seconds).
STALLED_AFTER_S = 300


def _seconds_since(iso: object) -> float:
    try:
        then = datetime.fromisoformat(str(iso))
    except ValueError:
        return 0.0
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return (datetime.now(UTC) - then).total_seconds()


def _eta(remaining: int, progress: dict[str, object]) -> str:
    """", 약 N분 남음" from a recorded rate, or how to resume when nothing is running."""
    rate = float(progress.get("rate") or 0)  # type: ignore[arg-type]
    if not progress or _seconds_since(progress.get("at")) > STALLED_AFTER_S:
        # Nothing running: an `--lexical-only` index, or a run that was stopped.
        return ", 멈춤: `python -m ingest`로 이어서 색인하세요 (stalled: run ingest to resume)"
    if rate <= 0:
        return ""
    minutes = remaining / rate / 60
    return f", 약 {minutes:.0f}분 남음" if minutes >= 1 else ", 1분 안에 끝남"


def lexical_notice(store: ChunkStore) -> str:
    """While a first index is still committing notes (newest first): how many are searchable."""
    progress = store.manifest.get("lexical_progress") or {}
    if not progress:
        return ""
    done, total = int(progress.get("done", 0)), int(progress.get("total", 0))
    return (
        f"노트 색인 중 ({done:,}/{total:,}개 노트{_eta(total - done, progress)}): 최근 노트부터 "
        "검색됩니다. (Indexing notes, newest first: older notes are not searchable yet.)"
    )


def dense_notice(store: ChunkStore) -> str:
    """What the student is told while chunks still wait for their vectors: how far the
    semantic index is, when it should be done, and that keyword search carries the answer."""
    total, pending = store.dense_progress()
    if not pending:
        return ""
    eta = _eta(pending, store.embed_progress())
    return (
        f"의미 검색 색인 중 ({total - pending:,}/{total:,}{eta}): 아직 벡터가 없는 노트는 "
        "단어 검색으로만 찾습니다. (Semantic index incomplete: some notes are found by "
        "keyword search only.)"
    )


def index_notice(store: ChunkStore) -> str:
    """Every answer's ``notice``: how far the index is (notes committed, vectors embedded)."""
    return " ".join(n for n in (lexical_notice(store), dense_notice(store)) if n)


# "그날"/"that day": the previous question's day (see Assistant._dates).
_THAT_DAY = re.compile(r"그\s?날|that day", re.I)


def _ranking_query(query: str, span: DateSpan | None) -> str:
    """What ranking reads of a question that names a day: the rest of it. The day selects
    notes by date; as words it is noise, and "그날" counted as a topic the question asks
    besides "정규화" (so "그날 배운 정규화는 뭐야?" lost the section headed 정규화)."""
    if span is None:
        return query
    rest = _THAT_DAY.sub(" ", strip_dates(query, span))
    return rest if key_terms(rest) else query


class Assistant:
    def __init__(
        self, settings: Settings | None = None, thresholds: RefusalSettings | None = None
    ) -> None:
        self.settings = settings or load_settings()
        self.thresholds = thresholds or self.settings.refusal
        self._lock = threading.Lock()
        self._store: ChunkStore | None = None
        self._embeddings: Any = None
        self._vectorstore: Any = None
        self._llm: Any = None
        self._llm_loaded = False

    # ---------------------------------------------------------------- resources
    @property
    def store(self) -> ChunkStore:
        with self._lock:
            if self._store is None:
                self._store = load_chunk_store(self.settings)
            return self._store

    @property
    def embeddings(self) -> Any:
        if self._embeddings is None:
            from rag.index.embeddings import get_embeddings

            self._embeddings = get_embeddings(self.settings.embeddings)
        return self._embeddings

    @property
    def vectorstore(self) -> Any:
        if self._vectorstore is None:
            from rag.index.vectors import collection_name, open_vectorstore

            name = collection_name(self.settings, self.store.manifest)
            self._vectorstore = open_vectorstore(self.settings, self.embeddings, collection=name)
        return self._vectorstore

    @property
    def llm(self) -> Any:
        if not self._llm_loaded:
            from rag.llm import get_chat_model

            self._llm = get_chat_model(self.settings)
            self._llm_loaded = True
        return self._llm

    def reload(self) -> None:
        """Pick up a re-index: the next question reads the new chunk store."""
        fresh = load_chunk_store(self.settings)
        with self._lock:
            self._store = fresh
            # A rebuild commits a new Chroma collection (and drops the old one): a handle to
            # the old one would keep answering from nothing.
            self._vectorstore = None

    def warm(self) -> None:
        """Load models and indexes now rather than on the first question."""
        store = self.store
        # The lookups every question uses, built once here rather than on the first question.
        _ = store.by_id, store.sections, store.compact_text, store.latin_starts, store.note_dates
        _ = store.sections_by_heading_name
        glossary_of(store, self.settings.glossary)
        store.bm25_search(["warm"], 1)
        self.embeddings.embed_query("warm up")
        # Loading the store taught Kiwi the corpus's terms; its first analysis afterwards takes
        # ~1.3 s, which would otherwise land on the student's first question.
        tokenize("warm up")
        _ = self.vectorstore

    # ---------------------------------------------------------------- retrieval
    def retriever(
        self,
        mode: str | None = None,
        k: int | None = None,
        dates: frozenset[str] = frozenset(),
        store: ChunkStore | None = None,
        fusion: str | None = None,
    ) -> HybridRetriever:
        tuning = self.settings.retrieval
        if fusion:
            tuning = replace(tuning, fusion=fusion)
        mode = mode or tuning.mode
        return HybridRetriever(
            store=store or self.store,
            vectorstore=self.vectorstore if mode != "bm25" else None,
            embeddings=self.embeddings if mode != "bm25" else None,
            tuning=tuning,
            mode=mode,
            k=k or tuning.k,
            dates=dates,
            template=template_of(store or self.store, self.settings.structure),
            glossary=(
                partial(glossary_of, store or self.store, self.settings.glossary)
                if self.settings.glossary.enabled
                else None
            ),
            glossary_tokens=self.settings.glossary.max_tokens,
        )

    def _condense(self, question: str, history: History, store: ChunkStore) -> str:
        """The follow-up as a standalone question: rewritten by the LLM, or with the previous
        question's terms borrowed."""
        carry = self.settings.answer.followup_carry_terms
        if self.llm is not None:
            try:
                prompt = condense_prompt(question, history, self.settings.answer)
                return str(self.llm.invoke(prompt).content).strip() or question
            except Exception:  # a flaky model must not cost the student the answer
                pass
        return contextual_query(question, history, store, carry)

    def _dates(
        self, question: str, history: History, store: ChunkStore
    ) -> tuple[DateSpan | None, frozenset[str]]:
        """The span a question names (or, for "그날"/"that day", the previous question named)
        and the note dates inside it. Years and "this week" count from the newest note."""
        anchor = store.newest_date
        span = find_dates(question, anchor)
        if span is None and _THAT_DAY.search(question):
            for user, _ in reversed(history):
                span = find_dates(user, anchor)
                if span:
                    break
        if span is None:
            return None, frozenset()
        return span, frozenset(d for d in store.note_dates if span.contains(d))

    # ---------------------------------------------------------------- answers
    def ask(
        self,
        question: str,
        history: History | None = None,
        k: int | None = None,
        mode: str | None = None,
        fusion: str | None = None,
    ) -> Answer:
        *_, final = self.stream(question, history, k=k, mode=mode, fusion=fusion)
        return final

    def stream(
        self,
        question: str,
        history: History | None = None,
        k: int | None = None,
        mode: str | None = None,
        fusion: str | None = None,
    ) -> Iterator[Answer]:
        """Yields partial answers (``answer`` grows) and last the complete one."""
        history = list(history or [])
        t_start = time.perf_counter()
        question = clean_question(question, self.settings.answer.max_question_chars)
        store = self.store
        timings: dict[str, float] = {}

        search_query = question
        t0 = time.perf_counter()
        span, dates = self._dates(question, history, store)
        # A question that names a day and nothing more ("3월 4일에 뭘 배웠지?", "그날은?") is
        # whole by itself: borrowing the previous question's topic would turn the day's
        # digest into a search for that topic on that day, and refuse when the day lacks it.
        if history and not is_digest_question(question, span):
            search_query = self._condense(question, history, store)
            timings["condense"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            span, dates = self._dates(search_query, history, store)
        if is_digest_question(search_query, span):
            settings = self.settings
            final = digest_answer(
                question, store, span, sorted(dates), settings.digest, settings.structure
            )
            timings["digest"] = timings["total"] = (time.perf_counter() - t_start) * 1000
            final.timings_ms = timings
            final.search_query = search_query
            yield final
            return
        retriever = self.retriever(mode=mode, k=k, dates=dates, store=store, fusion=fusion)
        ranked = retriever.rank(_ranking_query(search_query, span))
        timings["retrieve"] = (time.perf_counter() - t0) * 1000

        t0 = time.perf_counter()
        spellings = None
        also_searched: list[str] = []
        if self.settings.glossary.enabled:
            glossary = glossary_of(store, self.settings.glossary)
            spellings = glossary.other_spellings
            also_searched = glossary.searched_with(
                search_query, tokenize(search_query), self.settings.glossary.max_tokens
            )
        coverage = assess(search_query, ranked, store, self.thresholds, spellings)
        k_eff = k or self.settings.retrieval.k
        template = template_of(store, self.settings.structure)
        if coverage.covered:
            final = yield from self._compose(question, search_query, ranked, store, k_eff, history)
            final.coverage = coverage
            if span is not None and not dates:
                # The period has no notes, so nothing was filtered: say so, or the answer
                # reads as if it came from that period.
                final.answer = (
                    f"({period_label(span)}에 쓴 노트가 없어 모든 노트에서 찾았습니다.)\n\n"
                    + final.answer
                )
        elif dates:
            elsewhere = self._elsewhere(
                search_query, span, dates, store, template, spellings, mode, fusion
            )
            final = refusal_answer(
                question, ranked, coverage, self.thresholds, template, span, elsewhere
            )
        else:
            final = refusal_answer(question, ranked, coverage, self.thresholds, template)
        timings["answer"] = (time.perf_counter() - t0) * 1000
        timings["total"] = (time.perf_counter() - t_start) * 1000
        final.timings_ms = timings
        final.retrieved = ranked[:k_eff]
        final.search_query = search_query
        final.also_searched = also_searched
        final.notice = index_notice(store)
        yield final

    def _elsewhere(
        self,
        query: str,
        span: DateSpan | None,
        dates: frozenset[str],
        store: ChunkStore,
        template: frozenset[str],
        spellings: Callable[[str], list[str]] | None,
        mode: str | None,
        fusion: str | None,
    ) -> list[tuple[str, str]]:
        """Other days whose notes cover a question refused for its period: (day, topic), best
        first. Searched as the same question without the period; nothing if that is refused
        too (then the notes cover it nowhere)."""
        retriever = self.retriever(mode=mode, store=store, fusion=fusion)
        ranked = retriever.rank(_ranking_query(query, span))
        if not assess(query, ranked, store, self.thresholds, spellings).covered:
            return []
        tuning = self.settings.answer
        out: dict[str, str] = {}
        for hit in ranked[: tuning.elsewhere_window]:
            day = str(hit.metadata.get("date") or "")
            if day and day not in dates and day not in out:
                out[day] = topic_label(hit, template)
            if len(out) >= tuning.elsewhere_days:
                break
        return list(out.items())

    def _compose(
        self,
        question: str,
        search_query: str,
        ranked: list[Hit],
        store: ChunkStore,
        k: int,
        history: History,
    ) -> Generator[Answer, None, Answer]:
        """Yields the answer as it grows; returns the complete one (extractive or LLM)."""
        tuning = self.settings.answer
        passages = select_passages(search_query, ranked, store, k, tuning)
        text, citations = extractive_answer(passages, tuning)
        llm = self.llm
        if llm is None:
            for partial_text in stream_text(text, tuning.stream_step_chars):
                yield Answer(question, partial_text, False, [], mode="extractive")
            return Answer(question, text, False, citations, mode="extractive")
        partial = ""
        try:
            for chunk in llm.stream(llm_messages(question, passages, history, tuning)):
                partial += str(chunk.content)
                yield Answer(question, partial, False, [], mode="llm")
            checked = finalize_llm_answer(partial, passages, tuning)
        except Exception as exc:
            checked = None
            text = f"(LLM 오류로 추출형 답변을 보여줍니다: {exc})\n\n{text}"
        if checked is None:
            return Answer(question, text, False, citations, mode="extractive-fallback")
        text, citations = checked
        return Answer(question, text, False, citations, mode="llm")
