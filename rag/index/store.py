"""The chunk store: every chunk's text and metadata, the manifest, and the lexical index,
as one object the retriever and the answer step read (persisted by ``rag.index.storedb``).

It is the committed truth of an index: dense hits whose id is not in it are ignored, and a
chunk whose vector is not in Chroma yet is still found lexically.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import logging
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from rag.config import Settings
from rag.index import lexical, storedb
from rag.index.analysis import ChunkAnalysis, analyse
from rag.index.dense import DenseMatrix
from rag.text import breadcrumb, heading_names, tokenize

# Where a Latin term may start inside a word: see ChunkStore.latin_starts.
_LATIN_START = re.compile(r"(?<![a-z0-9])[a-z0-9.\-]")

log = logging.getLogger(__name__)

# Chunks whose sentence vectors a serving process keeps once read: a question reads some 80,
# so this holds dozens of questions' worth (about 28 MB at 3.7 sentences a chunk) and bounds a
# long-running app on a large index.
SENTENCE_CACHE_CHUNKS = 5_000


class IndexMissingError(RuntimeError):
    """No index yet: the message tells the user how to build one."""


def body_of(doc: Document) -> str:
    """Chunk text without its first line, the heading breadcrumb (ingest.chunking writes every
    chunk as ``breadcrumb\nbody``); a hand-made one-line document is all body."""
    return doc.page_content.partition("\n")[2] or doc.page_content


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def join_bodies(docs: list[Document]) -> str:
    """Consecutive chunks' bodies as one text. ingest.chunking repeats a long table's header
    row in every piece; the joined text shows it once."""
    out: list[str] = []
    header: list[str] = []
    for doc in docs:
        lines = body_of(doc).splitlines()
        if len(lines) > 2 and _TABLE_RULE.match(lines[1]):
            if lines[:2] == header and out and out[-1].lstrip().startswith("|"):
                lines = lines[2:]
            else:
                header = lines[:2]
        out.extend(lines)
    return "\n".join(out)


@dataclass
class ChunkStore:
    """All chunks in index order and the manifest of the run that wrote them, with the
    lexical index and each chunk's analysis.

    Loaded from ``store.sqlite`` (``rag.index.storedb``) the documents are read once and the
    rest is asked of the file: BM25 through FTS5, document frequencies through its vocabulary,
    a chunk's sentences when a passage needs them. Made in memory (tests, tools) from
    ``docs`` and ``tokens``, the same indexes are built in an in-memory database on first use.
    """

    docs: list[Document] = field(default_factory=list)
    tokens: list[list[str]] | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    rowids: list[int] | None = None

    # ------------------------------------------------------------------ lookups
    @cached_property
    def by_id(self) -> dict[str, Document]:
        return {d.metadata["chunk_id"]: d for d in self.docs}

    @cached_property
    def position(self) -> dict[str, int]:
        return {d.metadata["chunk_id"]: i for i, d in enumerate(self.docs)}

    @cached_property
    def sections(self) -> dict[tuple[str, str], list[Document]]:
        grouped: dict[tuple[str, str], list[Document]] = defaultdict(list)
        for doc in self.docs:
            grouped[(doc.metadata["source"], doc.metadata["section"])].append(doc)
        for docs in grouped.values():
            docs.sort(key=lambda d: d.metadata.get("position", 0))
        return dict(grouped)

    @cached_property
    def sections_by_heading_name(self) -> dict[str, list[tuple[str, str]]]:
        """Each name a section's own heading goes by (``heading_names``: lower-case, no
        spaces) -> the sections so headed, in index order: a comparison question finds the
        sections that explain each side by name, wherever they rank."""
        named: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for key in self.sections:
            crumbs = breadcrumb(key[1])
            for name in heading_names(crumbs[-1]) if crumbs else ():
                named[name].append(key)
        return dict(named)

    @cached_property
    def sections_by_date(self) -> dict[str, list[tuple[tuple[str, str], list[Document]]]]:
        """Each date's sections (source, heading path) in note order: a day digest and a date
        filter read one day's chunks without walking every chunk of a year."""
        grouped: dict[str, list[tuple[tuple[str, str], list[Document]]]] = defaultdict(list)
        for key, docs in self.sections.items():
            grouped[str(docs[0].metadata.get("date") or "")].append((key, docs))
        return dict(grouped)

    @cached_property
    def note_dates(self) -> frozenset[str]:
        return frozenset(
            d.metadata["date"]
            for d in self.docs
            if d.metadata.get("kind") == "note" and d.metadata.get("date")
        )

    @cached_property
    def newest_date(self) -> date | None:
        """The journal's "today": relative dates in questions count from its newest note."""
        for iso in sorted(self.note_dates, reverse=True):
            with contextlib.suppress(ValueError):
                return date.fromisoformat(iso)
        return None

    @cached_property
    def lower_text(self) -> str:
        """All chunk texts and titles, lower-cased: substring checks for terms that BM25
        tokens miss (compounds, Latin words). Titles count: a note's H1 is metadata."""
        titles = {d.metadata.get("title", "") for d in self.docs}
        return "\n".join([*(d.page_content for d in self.docs), *titles]).lower()

    @cached_property
    def word_text(self) -> str:
        """Each distinct word of ``lower_text`` once, a line each. A term without whitespace
        is in ``lower_text`` (and starts a word there) exactly when it is in here, and this is
        a small fraction of the size: at 37k chunks, scanning the whole text for a question's
        missing terms took 8 of the 10.7 s that 40 questions cost."""
        return "\n".join(sorted(set(self.lower_text.split())))

    @cached_property
    def latin_starts(self) -> list[str]:
        """Sorted tails of the words of ``word_text`` from every point a Latin word may start
        (a Latin character not after a Latin letter or digit): "is a Latin term the start of
        a word" becomes a binary search, where a pattern with a look-behind scanned all of
        ``word_text`` per term (2.6 ms a term on the 77-note journal, most of an English
        question's answer step)."""
        tails = {
            word[m.start() :]
            for word in self.word_text.split("\n")
            for m in _LATIN_START.finditer(word)
        }
        return sorted(tails)

    def has_latin_word_start(self, term: str) -> bool:
        """Some word of the corpus has ``term`` (lower-case Latin) where a word may start."""
        i = bisect.bisect_left(self.latin_starts, term)
        return i < len(self.latin_starts) and self.latin_starts[i].startswith(term)

    @cached_property
    def compact_text(self) -> str:
        """``lower_text`` without spaces and punctuation: a term written with other spacing
        ("제2정규형" for the heading "제 2 정규형") is still found."""
        from rag.text import compact

        return compact(self.lower_text)

    @cached_property
    def analysed(self) -> dict[Any, Any]:
        """Derived per-store values the answer step reuses across questions (the learned
        template, chunk analyses), filled lazily; a re-index loads a new store, so nothing
        here outlives the chunks it describes."""
        return {}

    def section_docs(self, doc: Document) -> list[Document]:
        return self.sections.get((doc.metadata["source"], doc.metadata["section"]), [doc])

    # ------------------------------------------------------------------ the database
    @cached_property
    def _db(self) -> sqlite3.Connection:
        if self.path is not None:
            return storedb.connect(self.path, readonly=True)
        db = sqlite3.connect(":memory:", check_same_thread=False)
        lexical.create(db)
        toks = self.tokens or [tokenize(d.page_content) for d in self.docs]
        lexical.add(db, ((i + 1, t) for i, t in enumerate(toks)))
        return db

    @cached_property
    def _db_lock(self) -> threading.Lock:
        return threading.Lock()

    @cached_property
    def _index_of_rowid(self) -> dict[int, int]:
        rowids = self.rowids or range(1, len(self.docs) + 1)
        return {r: i for i, r in enumerate(rowids)}

    @cached_property
    def _rowid_of_id(self) -> dict[str, int]:
        rowids = self.rowids or range(1, len(self.docs) + 1)
        return {d.metadata["chunk_id"]: r for d, r in zip(self.docs, rowids, strict=True)}

    def _query(self, fn: Any, *args: Any) -> Any:
        with self._db_lock:
            return fn(self._db, *args)

    def _lexical_scores(self, tokens: list[str], dates: frozenset[str]) -> dict[int, float]:
        """All BM25 scores (rowid -> score) of one question's tokens, kept for the question's
        second look-up (the dense candidates' scores)."""
        key = (tuple(tokens), dates)
        cached = self.__dict__.get("_lexical_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        rowids = None
        if dates:
            rowids = [
                self._rowid_of_id[d.metadata["chunk_id"]]
                for day in sorted(dates)
                for _, docs in self.sections_by_date.get(day, [])
                for d in docs
            ]
        found = self._query(lexical.scores, tokens, rowids)
        # One entry, replaced whole: concurrent questions at worst recompute.
        self.__dict__["_lexical_cache"] = (key, found)
        return found

    def bm25_search(
        self, tokens: list[str], limit: int, dates: frozenset[str] = frozenset()
    ) -> list[tuple[str, float]]:
        """Best ``limit`` (chunk id, BM25 score); only chunks of ``dates`` when given,
        filtered before the cut."""
        if not tokens:
            return []
        found = self._lexical_scores(tokens, dates)
        index = self._index_of_rowid
        best = heapq.nlargest(limit, found.items(), key=itemgetter(1))
        return [(self.docs[index[r]].metadata["chunk_id"], s) for r, s in best if r in index]

    def bm25_scores(self, tokens: list[str], ids: list[str]) -> dict[str, float]:
        """BM25 scores of the given chunks (0 for a chunk sharing no token with the query).
        A score does not depend on the date filter (IDF is the whole index's), so the last
        search's scores serve when they cover every chunk asked for."""
        cached = self.__dict__.get("_lexical_cache")
        if cached is not None and cached[0][0] == tuple(tokens):
            dates, found = cached[0][1], cached[1]
            if not dates or all(
                self.by_id[c].metadata.get("date") in dates for c in ids if c in self.by_id
            ):
                return {c: found.get(self._rowid_of_id.get(c, -1), 0.0) for c in ids}
        rowids = [self._rowid_of_id[c] for c in ids if c in self._rowid_of_id]
        hits = dict(self._query(lexical.search, tokens, len(rowids), rowids))
        return {c: hits.get(self._rowid_of_id.get(c, -1), 0.0) for c in ids}

    # ------------------------------------------------------------------ vectors
    def _dense(self) -> DenseMatrix | None:
        """The vector copies as a matrix, topped up as a running ingest embeds more; None
        when some chunk's vector is only in Chroma (then Chroma is asked)."""
        if self.path is None:
            return None
        with self._db_lock:
            state = self.__dict__.get("_dense_state")
            if state is None:
                usable = not storedb.without_local_vector(self._db)
                index = self._index_of_rowid
                rows = [(index[r], b) for r, b in storedb.read_vectors(self._db) if r in index]
                matrix = DenseMatrix.from_rows(len(self.docs), rows) if usable else None
                state = self.__dict__["_dense_state"] = [matrix, storedb.pending_count(self._db)]
            matrix, pending = state
            if matrix is not None and matrix.missing.size and pending:
                now = storedb.pending_count(self._db)
                if now != pending:
                    rowids = self.rowids or []
                    want = [rowids[i] for i in matrix.missing]
                    index = self._index_of_rowid
                    matrix.fill([(index[r], b) for r, b in storedb.read_vectors(self._db, want)])
                    state[1] = now
            return matrix

    @cached_property
    def _date_array(self) -> np.ndarray:
        return np.array([d.metadata.get("date") or "" for d in self.docs], dtype=object)

    def dense_search(
        self, vector: list[float], k: int, dates: frozenset[str] = frozenset()
    ) -> list[tuple[str, float]] | None:
        """Exact nearest chunks (chunk id, cosine), only ``dates``' when given; None when the
        vectors are not all here (ask Chroma)."""
        matrix = self._dense()
        if matrix is None:
            return None
        allowed = np.isin(self._date_array, sorted(dates)) if dates else None
        hits = matrix.search(vector, k, allowed)
        return [(self.docs[i].metadata["chunk_id"], s) for i, s in hits]

    def sentence_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The chunks' sentence vectors (float32 rows back to back) that the store has, read
        once each: a question reads its candidates' (some 80 chunks), not the whole index's."""
        if self.path is None:
            return {}
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_sentence_cache", {})
        if len(cache) > SENTENCE_CACHE_CHUNKS:
            cache.clear()
        want = [c for c in ids if c not in cache and c in self._rowid_of_id]
        if want:
            with self._db_lock:
                rows = storedb.read_sentences(self._db, [self._rowid_of_id[c] for c in want])
            ids_of = {self._rowid_of_id[c]: c for c in want}
            for rowid, blob in rows:
                cache[ids_of[rowid]] = np.frombuffer(blob or b"", dtype=np.float32)
        return {c: cache[c] for c in ids if c in cache}

    def cosines(self, ids: list[str], vector: list[float]) -> dict[str, float] | None:
        matrix = self._dense()
        if matrix is None:
            return None
        index = self.position
        sims = matrix.cosines([index[c] for c in ids if c in index], vector)
        return {self.docs[i].metadata["chunk_id"]: s for i, s in sims.items()}

    @cached_property
    def vocabulary(self) -> DocFreq:
        """Document frequency of each token: how many chunks contain it."""
        return DocFreq(self)

    def analysis(self, doc: Document) -> ChunkAnalysis:
        """The chunk's sentences and tokens as indexing computed them; a chunk made in
        memory is analysed once, here."""
        key = ("analysis", doc.metadata["chunk_id"])
        if key not in self.analysed:
            stored = None
            if self.path is not None:
                stored = self._query(storedb.read_analysis, doc.metadata["chunk_id"])
            self.analysed[key] = stored or analyse([doc])[0]
        return self.analysed[key]

    def dense_progress(self) -> tuple[int, int]:
        """(chunks, chunks still without a vector): retrieval is lexical-only for those."""
        if self.path is None:
            return len(self.docs), 0
        return len(self.docs), self._query(storedb.pending_count)

    def embed_progress(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        return self._query(storedb.get_meta, "embed_progress", {}) or {}

    # ------------------------------------------------------------------ files
    @classmethod
    def load(cls, index_dir: Path) -> ChunkStore | None:
        """The committed store of an index dir, or None before the first ingest."""
        return cls.load_file(Path(index_dir) / storedb.STORE_FILE)

    @classmethod
    def load_file(cls, path: Path) -> ChunkStore | None:
        """The store in ``path``; the same object again while the file's generation is the
        same (a store is immutable), so an ingest run in the app's process and the app share
        one copy instead of parsing 37k chunks twice."""
        if not path.exists():
            return None
        with contextlib.closing(storedb.connect(path, readonly=True)) as db:
            version = (os.stat(path).st_ino, storedb.get_meta(db, "generation", 0))
            cached = _loaded.get(str(path))
            if cached is not None and cached[0] == version:
                return cached[1]
            docs, rowids = storedb.read_docs(db)
            manifest = storedb.get_meta(db, "manifest", {}) or {}
        from rag.text import add_user_words

        # Queries must be tokenised with the dictionary the chunks were tokenised with.
        add_user_words(manifest.get("user_words", []))
        store = cls(docs, None, manifest, path=path, rowids=rowids)
        _loaded[str(path)] = (version, store)
        return store

    def save(self, index_dir: Path) -> None:
        """Write this store as a fresh ``store.sqlite`` (tools and tests; ingest commits
        changes row by row through ``rag.index.storedb``)."""
        index_dir = Path(index_dir)
        tmp = index_dir / storedb.REBUILD_FILE
        tmp.unlink(missing_ok=True)
        analyses = analyse(self.docs)
        if self.tokens is not None:
            analyses = [
                ChunkAnalysis(t, a.sentences) for a, t in zip(analyses, self.tokens, strict=True)
            ]
        with contextlib.closing(storedb.create(tmp)) as db:
            storedb.write_changes(
                db,
                [storedb.Row(d, a, True) for d, a in zip(self.docs, analyses, strict=True)],
                [],
                self.manifest,
                seq_numbers(self.docs),
            )
        os.replace(tmp, index_dir / storedb.STORE_FILE)


# The last store loaded from each file, with the (inode, generation) it was read at.
_loaded: dict[str, tuple[tuple[int, Any], ChunkStore]] = {}


class DocFreq:
    """``token in store.vocabulary`` and ``.get(token, 0)``, answered by the lexical index's
    vocabulary and remembered (the store is immutable)."""

    def __init__(self, store: ChunkStore) -> None:
        self._store = store
        self._seen: dict[str, int] = {}

    def get(self, token: str, default: int = 0) -> int:
        if token not in self._seen:
            self._seen[token] = self._store._query(lexical.doc_freq, token)
        return self._seen[token] or default

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self.get(token) > 0


def seq_numbers(docs: list[Document]) -> dict[str, int]:
    """Each chunk's place among its note's chunks: the store's index order is (source, seq)."""
    count: dict[str, int] = defaultdict(int)
    out = {}
    for doc in docs:
        src = doc.metadata["source"]
        out[doc.metadata["chunk_id"]] = count[src]
        count[src] += 1
    return out


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_last_pull: dict[tuple[str, str], float] = {}
_pull_lock = threading.Lock()


def refresh_from_server(settings: Settings, force: bool = False) -> bool:
    """Shared mode: bring the local replica in line with the server (at most every
    ``shared_poll_seconds`` unless ``force``); True when it changed. Local mode: False."""
    if not settings.chroma_url:
        return False
    from rag.index import shared

    key = (settings.chroma_url, str(settings.index_dir))
    with _pull_lock:
        now = time.monotonic()
        if not force and now - _last_pull.get(key, -1e9) < settings.index.shared_poll_seconds:
            return False
        _last_pull[key] = now
        try:
            return shared.pull(settings)
        except Exception:
            # The server being away must not stop answers from the replica already here.
            log.warning(
                "could not pull the shared index from %s", settings.chroma_url, exc_info=True
            )
            return False


def index_version(settings: Settings) -> object | None:
    """Changes whenever a run commits chunks (None: no index yet); cheap enough to ask before
    every question. In shared mode it first pulls what the server published."""
    refresh_from_server(settings)
    return storedb.version(Path(settings.index_dir))


def load_chunk_store(settings: Settings) -> ChunkStore:
    # Shared mode: the local store is a replica; a process with an empty index dir builds it
    # from the server here.
    local = Path(settings.index_dir) / storedb.STORE_FILE
    refresh_from_server(settings, force=not local.exists())
    store = ChunkStore.load(settings.index_dir)
    if store is None:
        raise IndexMissingError(
            f"아직 색인이 없습니다 (no index in {settings.index_dir}). "
            "먼저 `python -m ingest`를 실행하세요."
        )
    return store
