"""Incremental sync of notes and their linked pages into the chunk store (SQLite: chunks,
lexical index) and Chroma (vectors).

Chunk ids are content hashes, so an unchanged chunk costs a set lookup, not an embedding or
a Kiwi pass. The order of writes is in ``sync_index``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document
from tqdm import tqdm

from ingest.collect import Status, build_chunks
from ingest.report import IngestReport
from rag.config import CHUNKING_VERSION, Settings
from rag.index import shared, storedb
from rag.index.analysis import analyse, sentence_units
from rag.index.embeddings import embedding_id, get_embeddings
from rag.index.pagecache import now_iso
from rag.index.store import ChunkStore, seq_numbers
from rag.index.vectors import (
    collection_name,
    open_chroma_client,
    open_vectorstore,
    remove_orphan_segments,
)
from rag.text import add_user_words, term_candidates

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


def _existing(vectorstore: Any, ids: list[str]) -> set[str]:
    """Which of ``ids`` Chroma already holds (a run killed between adding a batch and
    marking it embedded must not embed it again)."""
    found: set[str] = set()
    for i in range(0, len(ids), 1000):
        found.update(vectorstore.get(ids=ids[i : i + 1000], include=[]).get("ids", []))
    return found


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


@dataclass
class _Target:
    """Where this run writes: the committed store itself, or (a rebuild beside a committed
    store) ``store.sqlite.new`` and a new collection, switched in when complete."""

    path: Path
    collection: str
    previous: ChunkStore | None  # what the target already holds (None: it starts empty)
    staged: bool  # True: a rebuild file, renamed over the store when every vector is in
    keep_collections: set[str]


def _built_like(store: ChunkStore | None, embedding: str) -> bool:
    """Made with this embedding model and chunking version: its chunks and vectors hold."""
    return (
        store is not None
        and store.manifest.get("embedding") == embedding
        and store.manifest.get("chunking") == CHUNKING_VERSION
    )


def _target(
    settings: Settings, report: IngestReport, rebuild: bool, committed: ChunkStore | None
) -> _Target:
    """A store built with another embedding model or chunking version is rebuilt, never mixed.

    A rebuild beside a committed store writes a new file and collection: until every chunk
    has its vector and the file is renamed over the store, the old store and its collection
    answer as before, whatever happens to this process. A rebuild killed halfway resumes
    from its file rather than embedding again. The first build writes the store directly, so
    lexical answers come as soon as the chunks are committed, before any vector."""
    index_dir = Path(settings.index_dir)
    if committed and not _built_like(committed, report.embedding):
        rebuild = True
        report.rebuild_reason = (
            f"index was built with {committed.manifest.get('embedding')} / chunking "
            f"{committed.manifest.get('chunking')}; now {report.embedding} / chunking "
            f"{CHUNKING_VERSION}"
        )
    committed_name = collection_name(settings, committed.manifest if committed else None)
    staged_path = index_dir / storedb.REBUILD_FILE
    if not rebuild or committed is None:
        if rebuild:
            report.rebuilt = True
        staged_path.unlink(missing_ok=True)
        if committed is None or rebuild:
            (index_dir / storedb.STORE_FILE).unlink(missing_ok=True)
            # The JSON chunk store of earlier versions: replaced by store.sqlite.
            (index_dir / "chunks.json").unlink(missing_ok=True)
            # The plain name: vectors a lost store left in it are found and not embedded again.
            name = settings.collection
            return _Target(index_dir / storedb.STORE_FILE, name, None, False, {name})
        return _Target(
            index_dir / storedb.STORE_FILE, committed_name, committed, False, {committed_name}
        )
    report.rebuilt = True
    staged = ChunkStore.load_file(staged_path) if staged_path.exists() else None
    if staged is not None and _built_like(staged, report.embedding):
        name = collection_name(settings, staged.manifest)
        return _Target(staged_path, name, staged, True, {committed_name, name})
    staged_path.unlink(missing_ok=True)
    name = f"{settings.collection}-{time.time_ns():x}"
    return _Target(staged_path, name, None, True, {committed_name, name})


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


def _eta(done: int, total: int, started: float) -> str:
    elapsed = time.perf_counter() - started
    if done <= 0 or elapsed <= 0:
        return ""
    left = (total - done) * elapsed / done
    return (
        f", 약 {left / 60:.0f}분 남음 (ETA {left / 60:.0f} min)"
        if left >= 90
        else (f", 약 {left:.0f}초 남음 (ETA {left:.0f} s)")
    )


REUSE_BATCH = 1000  # vectors per Chroma upsert when they are taken over, not embedded


def _reusable_vectors(
    committed: ChunkStore | None, embedding: str
) -> dict[str, tuple[bytes, bytes | None]]:
    """The vectors a rebuild may take over from the store it replaces: same model, and the
    chunk text is the same, so its vector is too (and its sentences', where that store has
    them). A new chunking version usually changes a few chunks; without this, it re-embedded a
    year of notes (an hour at 37k chunks)."""
    if committed is None or committed.path is None:
        return {}
    if committed.manifest.get("embedding") != embedding:
        return {}
    with contextlib.closing(storedb.connect(committed.path, readonly=True)) as db:
        return storedb.vectors_by_text(db)


def _split(flat: list[list[float]], counts: list[int]) -> list[bytes]:
    """Each chunk's run of ``flat`` (its sentences' vectors) as float32 bytes."""
    out, at = [], 0
    for n in counts:
        out.append(np.asarray(flat[at : at + n], dtype=np.float32).tobytes())
        at += n
    return out


def _embed_pending(
    db: Any,
    vectorstore: Any,
    by_id: dict[str, Document],
    batch: int,
    progress: bool,
    say: Progress,
    with_records: bool = False,
    reuse: dict[str, tuple[bytes, bytes | None]] | None = None,
    sentence_min_chars: int = 12,
) -> tuple[int, int]:
    """Embed every committed chunk that has no vector yet, and its sentences
    (``sentence_units``), a batch at a time, marking each batch in the store as it lands.
    ``with_records`` (shared mode): each vector carries its chunk's whole record, so other
    processes can derive their store from the server. ``reuse`` (text -> vector bytes and
    sentence vector bytes): vectors taken over without embedding. Returns (embedded,
    reused)."""
    pending = storedb.pending_ids(db)
    already = _existing(vectorstore, pending)
    if already:
        storedb.mark_embedded(db, sorted(already), storedb.get_meta(db, "embed_progress", {}))
    todo = [cid for cid in pending if cid not in already and cid in by_id]
    reuse = reuse or {}
    # Reused vectors first: they cost a copy, so most of a rebuild is ready at once.
    todo.sort(key=lambda c: by_id[c].page_content not in reuse)
    total, _ = storedb.counts(db)
    base = total - len(todo)
    reused = 0
    embed_started: float | None = None
    bar = tqdm(total=len(todo), desc="embedding", unit="chunk", disable=not progress)
    started = time.perf_counter()
    # Reused vectors go to Chroma in bigger batches: no model runs between them, and each
    # upsert has a fixed cost (37k reused vectors: 162 s in batches of 32).
    n_reuse = sum(1 for c in todo if by_id[c].page_content in reuse)
    starts = [*range(0, n_reuse, REUSE_BATCH), *range(n_reuse, len(todo), batch)]
    embed = vectorstore.embeddings.embed_documents
    for i in starts:
        end = min(i + REUSE_BATCH, n_reuse) if i < n_reuse else i + batch
        part = [by_id[c] for c in todo[i:end]]
        ids = [d.metadata["chunk_id"] for d in part]
        texts = [d.page_content for d in part]
        records = storedb.read_records(db, ids)
        units = [
            sentence_units(d, records[d.metadata["chunk_id"]][0], sentence_min_chars) for d in part
        ]
        sentences: list[bytes | None]
        if i < n_reuse:  # reused texts come first, in batches of their own
            taken = [reuse[t] for t in texts]
            vectors = [np.frombuffer(v, dtype=np.float32).tolist() for v, _ in taken]
            dim = len(vectors[0])
            # A sentence vector is reused where the same sentences were embedded (a store
            # from before sentence vectors has none: those are embedded now).
            sentences = [
                s if s is not None and len(s) == 4 * dim * len(u) else None
                for (_, s), u in zip(taken, units, strict=True)
            ]
            need = [k for k, s in enumerate(sentences) if s is None]
            if need:
                embed_started = embed_started or time.perf_counter()
                flat = embed([x for k in need for x in units[k]])
                for k, blob in zip(need, _split(flat, [len(units[k]) for k in need]), strict=True):
                    sentences[k] = blob
            reused += len(texts)
        else:
            embed_started = embed_started or time.perf_counter()
            # One call for the chunks and their sentences: the model batches them together.
            out = embed(texts + [x for u in units for x in u])
            vectors = out[: len(texts)]
            sentences = list(_split(out[len(texts) :], [len(u) for u in units]))
        metadatas = [d.metadata for d in part]
        if with_records:
            metadatas = [
                shared.record_metadata(d, *records[c], sentences=s)
                for d, c, s in zip(part, ids, sentences, strict=True)
            ]
        # Straight to the collection (what langchain-chroma's add_documents does after
        # embedding), so the same vectors are also kept in the store for exact search.
        vectorstore._collection.upsert(
            ids=ids, embeddings=vectors, metadatas=metadatas, documents=texts
        )
        done = i + len(part)
        storedb.mark_embedded(
            db,
            ids,
            {
                "done": base + done,
                "total": total,
                # The model's rate (for the ETA), not counting vectors that were copied.
                "rate": (done - reused) / max(1e-9, time.perf_counter() - embed_started)
                if embed_started
                else 0.0,
                "at": now_iso(),
            },
            [storedb.vector_bytes(v) for v in vectors],
            sentences,
        )
        bar.update(len(part))
        # The ETA counts what the model embeds; copied vectors took no model time.
        eta = _eta(done - reused, len(todo) - n_reuse, embed_started or started)
        say(
            f"임베딩 {base + done:,}/{total:,} (embedding{eta})",
            0.3 + 0.68 * done / max(1, len(todo)),
        )
    bar.close()
    return len(todo) - reused, reused


def _embed_sentences(
    db: Any, by_id: dict[str, Document], embeddings: Any, batch: int, min_chars: int
) -> int:
    """Sentence vectors for chunks that have their vector without them (see
    ``storedb.without_sentences``); returns how many chunks got them."""
    ids = [c for c in storedb.without_sentences(db) if c in by_id]
    for i in range(0, len(ids), batch):
        part = ids[i : i + batch]
        records = storedb.read_records(db, part)
        units = [sentence_units(by_id[c], records[c][0], min_chars) for c in part]
        flat = embeddings.embed_documents([x for u in units for x in u])
        blobs = _split(flat, [len(u) for u in units])
        storedb.set_sentences(db, dict(zip(part, blobs, strict=True)))
    return len(ids)


def _copy_vectors(db: Any, vectorstore: Any) -> int:
    """Keep a local copy of vectors that are only in Chroma (a store written before copies
    were kept, or pulled from a server): read back, never embedded again."""
    ids = storedb.without_local_vector(db)
    for i in range(0, len(ids), 500):
        got = vectorstore._collection.get(ids=ids[i : i + 500], include=["embeddings"])
        storedb.set_vectors(
            db,
            {
                cid: storedb.vector_bytes(list(vec))
                for cid, vec in zip(got["ids"], got["embeddings"], strict=True)
            },
        )
    return len(ids)


def _commit_batches(docs: list[Document], size: int) -> list[list[Document]]:
    """A first index's chunks in commit batches of whole notes, newest notes first (the
    ones a student asks about first), each batch about ``size`` chunks."""
    by_source: dict[str, list[Document]] = {}
    for doc in docs:
        by_source.setdefault(doc.metadata["source"], []).append(doc)
    order = sorted(
        by_source, key=lambda s: (by_source[s][0].metadata.get("date") or "", s), reverse=True
    )
    batches: list[list[Document]] = [[]]
    for source in order:
        if len(batches[-1]) >= size:
            batches.append([])
        batches[-1].extend(by_source[source])
    return batches


def _partial_manifest(
    manifest: dict[str, Any], waiting: set[str], done: int, total: int, started: float
) -> dict[str, Any]:
    """The manifest of a first index part-way: sources whose chunks are not committed yet are
    absent, so a killed run reads them again, and ``lexical_progress`` tells answers how far
    keyword search reaches."""
    elapsed = max(time.perf_counter() - started, 1e-6)
    return {
        **manifest,
        "sources": {s: r for s, r in manifest["sources"].items() if s not in waiting},
        "lexical_progress": {"done": done, "total": total, "at": now_iso(),
                             "rate": done / elapsed},
    }


def _commit(
    db: Any,
    new_docs: list[Document],
    removed: list[str],
    manifest: dict[str, Any],
    seq: dict[str, int],
    stale: list[str],
    batch_size: int | None,
    report: IngestReport,
    say: Progress,
    started: float,
) -> None:
    """Analyse and commit the new chunks with their lexical rows and the manifest. An
    incremental run (``batch_size`` None) is one transaction. A first index commits in
    batches of whole notes, newest first: keyword search answers from the first batch, and a
    killed run keeps what was committed (the manifest lists only committed notes, so the
    next run reads the rest)."""
    batches = _commit_batches(new_docs, batch_size) if batch_size else [new_docs]
    waiting = {d.metadata["source"] for d in new_docs}
    total = len(waiting)
    report.timings["analyse"] = report.timings["commit"] = 0.0
    for i, part in enumerate(batches):
        last = i == len(batches) - 1
        t0 = time.perf_counter()
        say(f"형태소 분석 {len(part):,}개 (analysing chunks)", 0.15 + 0.15 * i / len(batches))
        rows = [storedb.Row(d, a) for d, a in zip(part, analyse(part), strict=True)]
        t1 = time.perf_counter()
        report.timings["analyse"] += t1 - t0
        waiting -= {d.metadata["source"] for d in part}
        if last:
            part_manifest, part_seq = manifest, seq
        else:
            done = total - len(waiting)
            part_manifest = _partial_manifest(manifest, waiting, done, total, started)
            part_seq = {d.metadata["chunk_id"]: seq[d.metadata["chunk_id"]] for d in part}
        storedb.write_changes(
            db, rows, removed if i == 0 else [], part_manifest, part_seq, {"stale_vectors": stale}
        )
        now = time.perf_counter()
        report.timings["commit"] += now - t1
        if i == 0:
            report.timings["lexical_first"] = now - started
    report.timings["lexical_ready"] = time.perf_counter() - started


def _stamp(status: Status, previous: ChunkStore | None, changed: set[str]) -> None:
    """``indexed_at`` per source: kept for sources that did not change."""
    old_status = previous.manifest.get("sources", {}) if previous else {}
    for src, row in status.items():
        before = old_status.get(src, {}).get("indexed_at")
        row["indexed_at"] = before if before and src not in changed else now_iso()


def sync_index(
    settings: Settings,
    rebuild: bool = False,
    progress: bool = False,
    on_progress: Progress | None = None,
    embed: bool = True,
) -> IngestReport:
    """Bring the index in line with the corpus; returns what changed. ``embed=False`` stops
    after step 1 (keyword search has everything; the next run embeds what is pending).

    Order of writes (each step leaves a usable index if the process dies right after it):
    1. one transaction commits the new and removed chunks, their lexical rows and the
       manifest: lexical search sees the change at once;
    2. vectors of committed chunks are embedded and added to Chroma a batch at a time, each
       batch marked in the store (a killed run resumes and never embeds a chunk twice);
    3. a rebuild's file is renamed over the store; stale vectors are deleted from Chroma.
    """
    started = time.perf_counter()
    report = IngestReport()
    say = on_progress or (lambda _msg, _frac: None)
    index_dir = Path(settings.index_dir)
    with index_lock(index_dir):
        if settings.chroma_url:
            # Start from what the server has published, not from a stale or empty replica.
            shared.pull(settings, have_lock=True)
        say("노트 읽는 중 (reading notes)", 0.02)
        embeddings = get_embeddings(settings.embeddings)
        report.embedding = embedding_id(embeddings)
        committed = ChunkStore.load(index_dir)
        # Unchanged notes keep their chunks unread, unless chunks are to be made anew.
        lender = committed if not rebuild and _built_like(committed, report.embedding) else None
        docs, keep_sources, status = build_chunks(
            settings, report, progress=progress, previous=lender
        )
        target = _target(settings, report, rebuild, committed)
        previous = target.previous
        docs = _keep_unreadable(committed, docs, keep_sources, status)

        # Distinct labels: 37k chunks share a few thousand (0.4 s of a one-line edit before).
        labels = {d.metadata["section"] for d in docs} | {d.metadata["title"] for d in docs}
        user_words = term_candidates(sorted(labels))
        add_user_words(user_words)
        # Unchanged chunks keep their rows only if the dictionary their tokens were made with
        # is the same; a new term changes how every chunk that mentions it splits.
        same_words = previous is not None and previous.manifest.get("user_words") == user_words
        old_ids = set(previous.by_id) if previous else set()
        kept_ids = old_ids if same_words else set()
        wanted = {d.metadata["chunk_id"] for d in docs}
        new_docs = [d for d in docs if d.metadata["chunk_id"] not in kept_ids]
        removed = sorted(old_ids - (wanted & kept_ids))

        changed = {d.metadata["source"] for d in new_docs} | {
            previous.by_id[c].metadata["source"] for c in removed if previous
        }
        _stamp(status, committed, changed)
        manifest = {
            "embedding": report.embedding,
            "chunking": CHUNKING_VERSION,
            "collection": target.collection,
            "indexed_at": now_iso(),
            "user_words": user_words,
            "sources": status,
            "failed_references": report.failed,
            "failed_notes": report.notes_failed,
        }
        client = open_chroma_client(settings)
        _drop_collections(client, settings, keep=target.keep_collections)
        vectorstore = open_vectorstore(settings, embeddings, client, collection=target.collection)
        with contextlib.closing(storedb.create(target.path)) as db:
            # Vectors to delete once this run's are in: recorded in the commit, so a killed
            # run's are deleted by the next.
            stale = sorted(set(storedb.get_meta(db, "stale_vectors", [])) | (set(removed) - wanted))
            first = previous is None and not target.staged
            batch_size = settings.index.first_index_commit_chunks if first else None
            _commit(db, new_docs, removed, manifest, seq_numbers(docs), stale, batch_size,
                    report, say, started)

            t0 = time.perf_counter()
            batch = max(1, settings.index.embed_batch_size)
            by_id = {d.metadata["chunk_id"]: d for d in docs}
            _copy_vectors(db, vectorstore)
            if embed or target.staged:  # a rebuild is only switched in with every vector
                # An automatic rebuild (a new chunking version) takes over unchanged chunks'
                # vectors; one the student asks for (--rebuild) starts from nothing.
                reuse = (
                    _reusable_vectors(committed, report.embedding)
                    if target.staged and not rebuild
                    else {}
                )
                report.added, report.vectors_reused = _embed_pending(
                    db,
                    vectorstore,
                    by_id,
                    batch,
                    progress,
                    say,
                    bool(settings.chroma_url),
                    reuse,
                    settings.index.sentence_vector_min_chars,
                )
                _embed_sentences(
                    db, by_id, embeddings, batch, settings.index.sentence_vector_min_chars
                )
            report.timings["embed"] = time.perf_counter() - t0

            t0 = time.perf_counter()
            batch_due = len(stale) >= settings.index.stale_delete_batch
            if stale and (settings.chroma_url or target.staged or batch_due):
                for i in range(0, len(stale), 1000):
                    vectorstore.delete(ids=stale[i : i + 1000])
                with storedb.transaction(db):
                    storedb.set_meta(db, "stale_vectors", [])
        if target.staged:
            os.replace(target.path, index_dir / storedb.STORE_FILE)
        if settings.chroma_url and (embed or target.staged):
            # Last: readers pull this generation only once every record above is there.
            published = shared.publish(client, settings, manifest, docs)
            store_path = index_dir / storedb.STORE_FILE
            with contextlib.closing(storedb.create(store_path)) as db, storedb.transaction(db):
                storedb.set_meta(db, "manifest", published)
        if target.staged:
            _drop_collections(client, settings, keep={target.collection})
        report.timings["write"] = time.perf_counter() - t0

        report.deleted = len(set(removed) - wanted)
        report.unchanged = len(docs) - len(new_docs)
        report.total = len(docs)
        report.seconds = time.perf_counter() - started
        say("완료 (done)", 1.0)
        return report
