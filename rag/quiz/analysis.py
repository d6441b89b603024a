"""The corpus analysis a quiz draws on: one :class:`Corpus` per chunk store, holding its
:class:`~rag.quiz.terms.TermTable` (built up front) and the facts of each chunk (found on
first use, because cloze facts cost a Kiwi pass per sentence and a 10-item quiz over a large
index needs only a few chunks).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence

from langchain_core.documents import Document

from rag.config import Settings
from rag.index.store import ChunkStore
from rag.quiz.facts import Fact, cloze_facts, contrast_facts, definition_facts
from rag.quiz.prose import skip
from rag.quiz.terms import TermTable

# Fact kinds and their finders; a new rule-based generator registers here.
FACT_FINDERS: dict[str, Callable[[TermTable, Document], list[Fact]]] = {
    "definition": definition_facts,
    "contrast": contrast_facts,
    "cloze": cloze_facts,
}


class Corpus:
    """Terms of one :class:`ChunkStore` and the facts of its chunks, each computed once."""

    def __init__(self, store: ChunkStore, settings: Settings | None) -> None:
        self.store = store
        self.settings = settings
        self.table = TermTable(store, settings)
        self.lock = threading.RLock()
        self._facts: dict[str, list[Fact]] = {}

    def facts(
        self, doc: Document, kinds: Sequence[str] = ("definition", "contrast", "cloze")
    ) -> list[Fact]:
        """Facts of one chunk, computed once per kind."""
        cid = doc.metadata["chunk_id"]
        out: list[Fact] = []
        with self.lock:
            for kind in kinds:
                key = f"{cid}\x1f{kind}"
                if key not in self._facts:
                    self._facts[key] = [] if skip(doc) else FACT_FINDERS[kind](self.table, doc)
                out.extend(self._facts[key])
        return out

    def spellings(self, name: str) -> list[str]:
        return self.table.spellings(name)


_CACHE: dict[int, tuple[weakref.ref, str, Corpus]] = {}
_CACHE_LOCK = threading.Lock()


def corpus_for(store: ChunkStore, settings: Settings | None) -> Corpus:
    """One analysis per store object (the app keeps its store; a re-index makes a new one)."""
    key = id(store)
    # Bold terms are read from the corpus folder, and the tuning shapes the facts.
    tag = f"{settings.corpus_dir}\x1f{settings.quiz}" if settings else ""
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit and hit[0]() is store and hit[1] == tag:
            return hit[2]
        for k in [k for k, v in _CACHE.items() if v[0]() is None]:
            del _CACHE[k]
        corpus = Corpus(store, settings)
        _CACHE[key] = (weakref.ref(store), tag, corpus)
        return corpus


def clear_cache() -> None:
    """Forget every analysis (benchmarks time a cold start)."""
    with _CACHE_LOCK:
        _CACHE.clear()
