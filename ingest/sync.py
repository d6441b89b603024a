"""Incremental sync of notes and their linked pages into Chroma + the chunk store (BM25).

Chunk ids are content hashes, so an unchanged chunk costs a set lookup, not an embedding.
Order of writes (each step leaves a usable index if the process dies right after it):
1. embed and add new chunks to Chroma, one batch at a time;
2. write the chunk store + manifest atomically (the commit point: retrieval trusts it);
3. delete stale vectors from Chroma.
A re-run after a crash finds the added vectors already there and finishes the job.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from tqdm import tqdm

from ingest.collect import Status, build_chunks
from ingest.report import IngestReport
from rag.config import CHUNKING_VERSION, Settings
from rag.index.embeddings import embedding_id, get_embeddings
from rag.index.pagecache import now_iso
from rag.index.store import ChunkStore
from rag.index.vectors import (
    collection_name,
    open_chroma_client,
    open_vectorstore,
    remove_orphan_segments,
)
from rag.text import add_user_words, term_candidates, tokenize

Progress = Callable[[str, float], None]  # (message, fraction 0..1), for the app's progress bar


class IndexBusyError(RuntimeError):
    """Another ingest run holds the index lock."""


@contextlib.contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time (the app's re-index button and the CLI may race)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusyError(
                "다른 색인 작업이 진행 중입니다 (another ingest is running); "
                "잠시 후 다시 시도하세요."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _existing_ids(vectorstore: Any) -> set[str]:
    ids: set[str] = set()
    offset, page = 0, 5000
    while True:
        got = vectorstore.get(include=[], limit=page, offset=offset)
        batch = got.get("ids", [])
        ids.update(batch)
        if len(batch) < page:
            return ids
        offset += page


def _open_index(
    settings: Settings, report: IngestReport, rebuild: bool, embeddings: Any
) -> tuple[ChunkStore | None, Any, str]:
    """The committed chunk store (``None`` when rebuilding), the vector store to write and
    its collection's name.

    A store built with another embedding model or chunking version is rebuilt, never mixed.
    A rebuild writes a new collection beside the committed one: until the new chunk store is
    saved (the commit point), the old store and its collection answer as before, whatever
    happens to this process.
    """
    previous = ChunkStore.load(Path(settings.index_dir))
    manifest = previous.manifest if previous else {}
    wanted = {"embedding": report.embedding, "chunking": CHUNKING_VERSION}
    if previous and any(manifest.get(k) != v for k, v in wanted.items()):
        rebuild = True
        report.rebuild_reason = (
            f"index was built with {manifest.get('embedding')} / chunking "
            f"{manifest.get('chunking')}; now {report.embedding} / chunking {CHUNKING_VERSION}"
        )
    client = open_chroma_client(settings)
    committed = collection_name(settings, manifest)
    # Kept even without a committed store: a first build that was killed resumes into it.
    _drop_collections(client, settings, keep={committed})
    name = committed
    if rebuild:
        report.rebuilt = True
        name = f"{settings.collection}-{time.time_ns():x}"
        previous = None
    return previous, open_vectorstore(settings, embeddings, client, collection=name), name


def _drop_collections(client: Any, settings: Settings, keep: set[str]) -> None:
    """Delete this index's collections other than ``keep``: the one a finished rebuild
    replaced, or a half-built one a killed rebuild left (it would only grow the store)."""
    prefix = settings.collection
    dropped = False
    for name in [getattr(c, "name", c) for c in client.list_collections()]:
        if (name == prefix or name.startswith(prefix + "-")) and name not in keep:
            with contextlib.suppress(Exception):
                client.delete_collection(name)
                dropped = True
    if dropped:
        remove_orphan_segments(settings)


def _keep_unreadable(
    previous: ChunkStore | None, docs: list[Document], keep: set[str], status: Status
) -> list[Document]:
    """Keep what we could not re-read this time: a note with a bad byte or an unreachable
    page must not wipe what the student already had indexed. Returns the de-duplicated docs."""
    if previous:
        present = {d.metadata["source"] for d in docs}
        for old in previous.docs:
            src = old.metadata["source"]
            if src in keep and src not in present:
                docs.append(old)
                if src in status:
                    status[src]["chunks"] = status[src].get("chunks", 0) + 1
                    status[src]["state"] = "stale"
    return list({d.metadata["chunk_id"]: d for d in docs}.values())


def _embed(
    vectorstore: Any, new_docs: list[Document], batch: int, progress: bool, say: Progress
) -> None:
    bar = tqdm(total=len(new_docs), desc="embedding", unit="chunk", disable=not progress)
    for i in range(0, len(new_docs), batch):
        part = new_docs[i : i + batch]
        vectorstore.add_documents(part, ids=[d.metadata["chunk_id"] for d in part])
        bar.update(len(part))
        say(
            f"임베딩 {i + len(part)}/{len(new_docs)} (embedding)",
            0.1 + 0.8 * (i + len(part)) / max(1, len(new_docs)),
        )
    bar.close()


def _tokens(docs: list[Document], previous: ChunkStore | None) -> tuple[list[str], list[list[str]]]:
    """Kiwi user words from the corpus's glossed terms, and every chunk's BM25 tokens."""
    labels = [d.metadata["section"] for d in docs] + [d.metadata["title"] for d in docs]
    user_words = term_candidates(labels)
    add_user_words(user_words)
    # Tokens of unchanged chunks are reused only if the dictionary they were made with is the
    # same; a new term changes how every chunk that mentions it splits.
    same_words = previous is not None and previous.manifest.get("user_words") == user_words
    old_tokens = (
        {d.metadata["chunk_id"]: t for d, t in zip(previous.docs, previous.tokens, strict=True)}
        if previous and same_words
        else {}
    )
    tokens = [old_tokens.get(d.metadata["chunk_id"]) or tokenize(d.page_content) for d in docs]
    return user_words, tokens


def _stamp(status: Status, previous: ChunkStore | None, new_docs: list[Document]) -> None:
    """``indexed_at`` per source: kept for sources that did not change."""
    changed = {d.metadata["source"] for d in new_docs}
    old_status = previous.manifest.get("sources", {}) if previous else {}
    for src, row in status.items():
        before = old_status.get(src, {}).get("indexed_at")
        row["indexed_at"] = before if before and src not in changed else now_iso()


def sync_index(
    settings: Settings,
    rebuild: bool = False,
    progress: bool = False,
    on_progress: Progress | None = None,
) -> IngestReport:
    """Bring the index in line with the corpus; returns what changed."""
    started = time.perf_counter()
    report = IngestReport()
    say = on_progress or (lambda _msg, _frac: None)
    index_dir = Path(settings.index_dir)
    with index_lock(index_dir):
        say("노트 읽는 중 (reading notes)", 0.02)
        docs, keep_sources, status = build_chunks(settings, report, progress=progress)
        embeddings = get_embeddings(settings.embeddings)
        report.embedding = embedding_id(embeddings)
        previous, vectorstore, collection = _open_index(settings, report, rebuild, embeddings)
        docs = _keep_unreadable(previous, docs, keep_sources, status)
        existing = _existing_ids(vectorstore)
        new_docs = [d for d in docs if d.metadata["chunk_id"] not in existing]
        stale = sorted(existing - {d.metadata["chunk_id"] for d in docs})

        t0 = time.perf_counter()
        batch = max(1, settings.index.embed_batch_size)
        _embed(vectorstore, new_docs, batch, progress, say)
        report.timings["embed"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        user_words, tokens = _tokens(docs, previous)
        report.timings["tokenize"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        _stamp(status, previous, new_docs)
        manifest = {
            "embedding": report.embedding,
            "chunking": CHUNKING_VERSION,
            "collection": collection,
            "indexed_at": now_iso(),
            "user_words": user_words,
            "sources": status,
            "failed_references": report.failed,
            "failed_notes": report.notes_failed,
        }
        ChunkStore(docs, tokens, manifest).save(index_dir)
        if report.rebuilt:
            _drop_collections(open_chroma_client(settings), settings, keep={collection})
        for i in range(0, len(stale), 1000):
            vectorstore.delete(ids=stale[i : i + 1000])
        report.timings["write"] = time.perf_counter() - t0

        report.added = len(new_docs)
        report.deleted = len(stale)
        report.unchanged = len(docs) - len(new_docs)
        report.total = len(docs)
        report.seconds = time.perf_counter() - started
        say("완료 (done)", 1.0)
        return report
