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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from tqdm import tqdm

from ingest.chunking import chunk_note, chunk_reference
from ingest.notes import Note, NoteError, discover_notes, parse_note, source_of
from ingest.web import PageFetcher
from rag.config import CHUNKING_VERSION, Settings
from rag.index.embeddings import embedding_id, get_embeddings
from rag.index.pagecache import now_iso
from rag.index.store import ChunkStore
from rag.index.vectors import open_chroma_client, open_vectorstore
from rag.text import add_user_words, term_candidates, tokenize

Progress = Callable[[str, float], None]  # (message, fraction 0..1), for the app's progress bar


@dataclass
class IngestReport:
    notes: int = 0
    notes_failed: list[dict[str, str]] = field(default_factory=list)
    fetched: int = 0
    cached: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    added: int = 0
    deleted: int = 0
    unchanged: int = 0
    total: int = 0
    rebuilt: bool = False
    rebuild_reason: str = ""
    embedding: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notes": self.notes,
            "notes_failed": self.notes_failed,
            "references": {"fetched": self.fetched, "cached": self.cached, "failed": self.failed},
            "chunks": {
                "added": self.added,
                "deleted": self.deleted,
                "unchanged": self.unchanged,
                "total": self.total,
            },
            "rebuilt": self.rebuilt,
            "rebuild_reason": self.rebuild_reason,
            "embedding": self.embedding,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


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


def _collect_links(notes: list[Note]) -> dict[str, list[tuple[str, str]]]:
    """URL -> [(note source, anchor text), ...] in first-seen order, without repeats."""
    links: dict[str, list[tuple[str, str]]] = {}
    for note in notes:
        for link in note.links:
            entry = (note.source, link.text)
            entries = links.setdefault(link.url, [])
            if entry not in entries:
                entries.append(entry)
    return links


def _linked_from(entries: list[tuple[str, str]]) -> str:
    """``"a.md: anchor; b.md"``: where a page is linked from, as shown to users and stored."""
    return "; ".join(f"{source}: {text}" if text else source for source, text in entries)


def _read_notes(settings: Settings, report: IngestReport) -> tuple[list[Note], set[str]]:
    notes: list[Note] = []
    failed_sources: set[str] = set()
    for path in discover_notes(settings.corpus_dir):
        try:
            notes.append(parse_note(path, settings.corpus_dir))
        except NoteError as exc:
            report.notes_failed.append({"source": exc.source, "reason": exc.reason})
            failed_sources.add(exc.source)
        except Exception as exc:  # a parser bug must not cost the student the other notes
            source = source_of(path, settings.corpus_dir)
            report.notes_failed.append({"source": source, "reason": f"parse error: {exc}"})
            failed_sources.add(source)
    report.notes = len(notes)
    return notes, failed_sources


def build_chunks(
    settings: Settings, report: IngestReport, progress: bool = False
) -> tuple[list[Document], set[str], dict[str, dict[str, Any]]]:
    """Read notes, fetch references, chunk everything.

    Returns the chunks, the sources whose previous chunks must be kept (a note that failed
    to read, a page that failed to fetch), and a status row per source for the library view.
    """
    t0 = time.perf_counter()
    notes, keep_sources = _read_notes(settings, report)
    report.timings["parse"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    docs: list[Document] = []
    status: dict[str, dict[str, Any]] = {}
    for note in notes:
        note_docs = chunk_note(
            note, settings.index.chunk_target_chars, settings.index.chunk_max_chars
        )
        docs.extend(note_docs)
        status[note.source] = {
            "kind": "note",
            "title": note.title,
            "date": note.date,
            "state": "indexed",
            "chunks": len(note_docs),
            "reason": "",
        }
    for row in report.notes_failed:
        status[row["source"]] = {
            "kind": "note",
            "title": row["source"],
            "date": "",
            "state": "failed",
            "chunks": 0,
            "reason": row["reason"],
        }
    # Recorded after "fetch" together with the reference pages, so the key order stays.
    note_chunk_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    links = _collect_links(notes)
    dates = {n.source: n.date for n in notes}
    with PageFetcher(settings) as fetcher:
        results = fetcher.fetch_many(list(links), progress=progress)
    report.timings["fetch"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for result in results:
        first_note, first_anchor = links[result.url][0]
        linked_from = _linked_from(links[result.url])
        if result.status == "failed" or not result.text.strip():
            reason = result.reason or "no text could be extracted"
            report.failed.append({"url": result.url, "reason": reason})
            keep_sources.add(result.url)
            status[result.url] = {
                "kind": "reference",
                # The note's anchor text names a dead link better than its URL does.
                "title": result.title or first_anchor or first_note,
                "state": "failed",
                "chunks": 0,
                "reason": reason,
                "linked_from": linked_from,
            }
            continue
        if result.status == "cached":
            report.cached += 1
        else:
            report.fetched += 1
        ref_docs = chunk_reference(
            result.url,
            result.title,
            result.text,
            linked_from,
            dates.get(first_note, ""),
            settings.index.chunk_target_chars,
            settings.index.chunk_max_chars,
        )
        docs.extend(ref_docs)
        status[result.url] = {
            "kind": "reference",
            "title": result.title,
            "state": result.status,
            "chunks": len(ref_docs),
            "reason": result.reason,
            "linked_from": linked_from,
            "fetched_at": result.fetched_at,
        }
    report.timings["chunk"] = note_chunk_seconds + time.perf_counter() - t0
    return docs, keep_sources, status


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
        previous = ChunkStore.load(index_dir)
        manifest = previous.manifest if previous else {}
        wanted = {"embedding": report.embedding, "chunking": CHUNKING_VERSION}
        if previous and any(manifest.get(k) != v for k, v in wanted.items()):
            rebuild = True
            report.rebuild_reason = (
                f"index was built with {manifest.get('embedding')} / chunking "
                f"{manifest.get('chunking')}; now {report.embedding} / chunking {CHUNKING_VERSION}"
            )
        client = open_chroma_client(settings)
        if rebuild:
            report.rebuilt = True
            with contextlib.suppress(Exception):
                client.delete_collection(settings.collection)
            previous = None
        vectorstore = open_vectorstore(settings, embeddings, client)

        # Keep what we could not re-read this time: a note with a bad byte or an unreachable
        # page must not wipe what the student already had indexed.
        if previous:
            present = {d.metadata["source"] for d in docs}
            for old in previous.docs:
                src = old.metadata["source"]
                if src in keep_sources and src not in present:
                    docs.append(old)
                    if src in status:
                        status[src]["chunks"] = status[src].get("chunks", 0) + 1
                        status[src]["state"] = "stale"

        docs = list({d.metadata["chunk_id"]: d for d in docs}.values())
        existing = _existing_ids(vectorstore)
        wanted_ids = {d.metadata["chunk_id"] for d in docs}
        new_docs = [d for d in docs if d.metadata["chunk_id"] not in existing]
        stale = sorted(existing - wanted_ids)

        t0 = time.perf_counter()
        batch = max(1, settings.index.embed_batch_size)
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
        report.timings["embed"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        labels = [d.metadata["section"] for d in docs] + [d.metadata["title"] for d in docs]
        user_words = term_candidates(labels)
        add_user_words(user_words)
        # Tokens of unchanged chunks are reused only if the dictionary they were made with
        # is the same; a new term changes how every chunk that mentions it splits.
        same_words = previous is not None and manifest.get("user_words") == user_words
        old_tokens = (
            {d.metadata["chunk_id"]: t for d, t in zip(previous.docs, previous.tokens, strict=True)}
            if previous and same_words
            else {}
        )
        tokens = [old_tokens.get(d.metadata["chunk_id"]) or tokenize(d.page_content) for d in docs]
        report.timings["tokenize"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        changed_sources = {d.metadata["source"] for d in new_docs}
        old_status = manifest.get("sources", {}) if previous else {}
        for src, row in status.items():
            before = old_status.get(src, {}).get("indexed_at")
            row["indexed_at"] = before if before and src not in changed_sources else now_iso()
        store = ChunkStore(
            docs,
            tokens,
            {
                **wanted,
                "indexed_at": now_iso(),
                "user_words": user_words,
                "sources": status,
                "failed_references": report.failed,
                "failed_notes": report.notes_failed,
            },
        )
        store.save(index_dir)
        if stale:
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
