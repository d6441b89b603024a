"""The LangChain RAG tutorial pipeline, built in memory at the start of a run, for comparison.

``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` over the full texts the
index was built from (the note files; the page texts in the web cache), the same embedding
model, an ephemeral Chroma collection, similarity top-4; its answer is the four chunks
concatenated, it never refuses, and it cites the four chunks.

A baseline chunk matches a gold section when the heading text occurs in the chunk, or is a
heading in force where the chunk starts: without the second rule a chunk in the middle of a
long section could never match, which would make the baseline look worse than it is.

The page texts are read through :class:`rag.index.pagecache.WebCache`, never through
``ingest``: ``rag`` does not depend on the ingestion package (DESIGN.md).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.eval.gold import GoldItem
from rag.eval.metrics import Retrieved, Row, error_row, make_row
from rag.index.pagecache import WebCache
from rag.text import SEPARATOR

NAME = "baseline"
# The LangChain RAG tutorial's splitter settings (python.langchain.com/docs/tutorials/rag).
BASELINE_CHUNK_SIZE = 1000
BASELINE_CHUNK_OVERLAP = 200
# The tutorial's retriever is similarity_search with LangChain's default k=4.
BASELINE_TOP_K = 4

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ANCHOR = re.compile(r"\s*\{#[^}]*\}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")

Span = tuple[int, tuple[str, ...]]


# --------------------------------------------------------------------------- headings


def heading_spans(text: str) -> list[Span]:
    """``(offset, breadcrumb)`` at every markdown heading, ignoring ``#`` inside code fences."""
    spans: list[Span] = [(0, ())]
    stack: list[tuple[int, str]] = []
    in_code = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_code = not in_code
        elif not in_code and (m := _HEADING.match(line)):
            level = len(m.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, _ANCHOR.sub("", m.group(2)).strip()))
            spans.append((offset, tuple(h for _, h in stack)))
        offset += len(line)
    return spans


def breadcrumb_at(spans: Sequence[Span], offset: int) -> tuple[str, ...]:
    current: tuple[str, ...] = ()
    for start, crumb in spans:
        if start > offset:
            break
        current = crumb
    return current


# --------------------------------------------------------------------------- source texts


def _heading_lines(path: list[str], previous: list[str]) -> list[str]:
    """The headings to write when the section changes from ``previous`` to ``path``."""
    common = 0
    while common < min(len(path), len(previous)) and path[common] == previous[common]:
        common += 1
    return [f"{'#' * min(depth + 2, 6)} {path[depth]}" for depth in range(common, len(path))]


def reconstruct_source_texts(store: Any) -> dict[str, str]:
    """Each source's text rebuilt from its chunks in index order, a heading line wherever the
    section changes (the fallback when the raw file or cached page is not at hand)."""
    from rag.index.store import body_of

    by_source: dict[str, list[Any]] = {}
    for doc in store.docs:
        by_source.setdefault(doc.metadata["source"], []).append(doc)
    texts: dict[str, str] = {}
    for source, docs in by_source.items():
        docs.sort(key=lambda d: d.metadata.get("position", 0))
        parts: list[str] = []
        previous: list[str] = []
        for doc in docs:
            path = [p for p in str(doc.metadata.get("section", "")).split(SEPARATOR) if p]
            if path != previous:
                parts += _heading_lines(path, previous)
                previous = path
            parts.append(body_of(doc).strip())
        texts[source] = "\n\n".join(p for p in parts if p)
    return texts


def baseline_source_texts(settings: Any, store: Any) -> dict[str, tuple[str, str]]:
    """``source -> (text, origin)``: the note file as on disk and the page text from the web
    cache (what ingestion chunked), else the text rebuilt from the chunk store."""
    rebuilt = reconstruct_source_texts(store)
    kinds = {d.metadata["source"]: d.metadata.get("kind", "") for d in store.docs}
    cache = WebCache(Path(settings.cache_dir) / "web")
    out: dict[str, tuple[str, str]] = {}
    for source, fallback in rebuilt.items():
        text, origin = "", ""
        if kinds[source] == "note":
            path = Path(settings.corpus_dir) / source
            if path.is_file():
                text, origin = path.read_text(encoding="utf-8", errors="replace"), "file"
        elif cached := cache.load(source):
            text, origin = cached["text"], "web-cache"
        if not text.strip():
            text, origin = fallback, "chunk-store"
        out[source] = (text, origin)
    return out


# --------------------------------------------------------------------------- runner


def split_sources(texts: dict[str, tuple[str, str]]) -> list[Any]:
    """The tutorial's chunks, each with the heading breadcrumb in force where it starts."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=BASELINE_CHUNK_SIZE,
        chunk_overlap=BASELINE_CHUNK_OVERLAP,
        add_start_index=True,
    )
    docs: list[Any] = []
    for source, (text, origin) in texts.items():
        spans = heading_spans(text)
        kind = "note" if origin == "file" or not source.startswith("http") else "reference"
        for doc in splitter.create_documents([text], metadatas=[{"source": source}]):
            crumb = breadcrumb_at(spans, int(doc.metadata.get("start_index", 0)))
            doc.metadata.update(
                {"kind": kind, "section": SEPARATOR.join(crumb), "crumb": "\n".join(crumb)}
            )
            docs.append(doc)
    return docs


class BaselineRunner:
    """The tutorial pipeline as a runner: ``runner(item) -> Row`` (see the module docstring)."""

    name = NAME

    def __init__(self, settings: Any, store: Any, embeddings: Any) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        t0 = time.perf_counter()
        texts = baseline_source_texts(settings, store)
        self.origins: dict[str, str] = {source: origin for source, (_, origin) in texts.items()}
        docs = split_sources(texts)
        self.chunks = len(docs)
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.vectorstore = Chroma(
            collection_name=f"baseline-{uuid.uuid4().hex[:12]}",
            embedding_function=embeddings,
            client=client,
        )
        if docs:
            self.vectorstore.add_documents(docs)
            # The first query pays for HNSW loading; keep it out of the latency numbers.
            self.vectorstore.similarity_search("warm up", k=1)
        self.build_seconds = time.perf_counter() - t0

    def describe(self) -> dict[str, Any]:
        """What the run's ``meta["baseline"]`` records about the built pipeline."""
        return {
            "chunks": self.chunks,
            "build_seconds": round(self.build_seconds, 2),
            "text_origin": self.origins,
            "top_k": BASELINE_TOP_K,
        }

    def __call__(self, item: GoldItem) -> Row:
        t0 = time.perf_counter()
        try:
            hits = self.vectorstore.similarity_search(item.question, k=BASELINE_TOP_K)
        except Exception as exc:  # one broken question must not sink the whole run
            return error_row(item, self.name, (time.perf_counter() - t0) * 1000, exc)
        answer = "\n\n".join(d.page_content for d in hits)
        latency = (time.perf_counter() - t0) * 1000
        chunks = [
            Retrieved(
                d.metadata["source"],
                d.metadata.get("section", ""),
                d.metadata.get("kind", ""),
                match_text=f"{d.metadata.get('crumb', '')}\n{d.page_content}",
            )
            for d in hits
        ]
        return make_row(item, self.name, answer, False, chunks, chunks, latency, {"total": latency})
