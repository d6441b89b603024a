"""The chunk store's SQLite file (``store.sqlite`` in the index dir): chunk rows, the
manifest, the lexical index (``rag.index.lexical``) and which chunks have their vector yet.

One file, one transaction per commit: an ingest run's changes (rows added and removed, FTS
rows, manifest) become visible together or not at all, and a one-line edit writes a few rows.
Readers open it read-only; ``generation`` grows with every commit that changes chunks, so a
serving process notices a re-index with one cheap query.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from rag.index import lexical
from rag.index.analysis import ChunkAnalysis

STORE_FILE = "store.sqlite"
# A rebuild fills this file, then renames it over STORE_FILE (the atomic switch).
REBUILD_FILE = "store.sqlite.new"
STORE_FORMAT = 2
BUSY_TIMEOUT_MS = 10_000  # a reader waits out a writer's commit instead of failing

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS chunks (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        seq INTEGER NOT NULL,
        date TEXT,
        text TEXT NOT NULL,
        metadata TEXT NOT NULL,
        analysis TEXT NOT NULL,
        embedded INTEGER NOT NULL DEFAULT 0,
        vector BLOB,
        sentences BLOB
    )""",
    "CREATE INDEX IF NOT EXISTS chunks_order ON chunks (source, seq)",
    "CREATE INDEX IF NOT EXISTS chunks_date ON chunks (date)",
    "CREATE INDEX IF NOT EXISTS chunks_pending ON chunks (embedded) WHERE embedded = 0",
)


@dataclass(frozen=True)
class Row:
    """One chunk as stored: its document, analysis, whether Chroma has its vector, a copy of
    that vector (float32 bytes) for exact search in process, and its sentences' vectors
    (``rag.index.analysis.sentence_units``, float32 rows back to back; empty bytes for a chunk
    with none, None where they are not known)."""

    doc: Document
    analysis: ChunkAnalysis
    embedded: bool = False
    vector: bytes | None = None
    sentences: bytes | None = None


def vector_bytes(vector: list[float]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return db


def create(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = connect(path)
    for statement in SCHEMA:
        db.execute(statement)
    lexical.create(db)
    columns = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
    if "vector" not in columns:  # a store written before vectors were kept here
        db.execute("ALTER TABLE chunks ADD COLUMN vector BLOB")
    if "sentences" not in columns:  # ... or before sentence vectors were
        db.execute("ALTER TABLE chunks ADD COLUMN sentences BLOB")
    if get_meta(db, "format") is None:
        set_meta(db, "format", STORE_FORMAT)
        set_meta(db, "generation", 0)
    return db


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def get_meta(db: sqlite3.Connection, key: str, default: Any = None) -> Any:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, ensure_ascii=False)),
    )


def write_changes(
    db: sqlite3.Connection,
    add: list[Row],
    remove: Iterable[str],
    manifest: dict[str, Any],
    seq: dict[str, int],
    meta: dict[str, Any] | None = None,
) -> None:
    """One commit: drop ``remove`` (chunk ids), insert ``add``, renumber ``seq`` (each chunk's
    place in its note), store the manifest and ``meta`` and bump the generation. A chunk
    removed and added again (new tokens, same text) keeps its vector and its mark. A run that
    changes no chunk and nothing in the manifest but its time stamps keeps the generation, so
    serving processes keep the store they loaded (a reload is 1.3 s at 37k chunks)."""
    with transaction(db):
        before = get_meta(db, "manifest", {}) or {}
        gone: dict[str, tuple[int, int, bytes | None, bytes | None]] = {}
        for cid in remove:
            sql = "SELECT rowid, embedded, vector, sentences FROM chunks WHERE id = ?"
            if r := db.execute(sql, (cid,)).fetchone():
                gone[cid] = r
        lexical.delete(db, [r[0] for r in gone.values()])
        db.executemany("DELETE FROM chunks WHERE rowid = ?", ((r[0],) for r in gone.values()))
        for row in add:
            doc_meta = row.doc.metadata
            kept = (0, row.embedded, row.vector, row.sentences)
            _, embedded, vector, sentences = gone.get(doc_meta["chunk_id"], kept)
            cur = db.execute(
                "INSERT INTO chunks (id, source, seq, date, text, metadata, analysis, embedded, "
                "vector, sentences) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc_meta["chunk_id"],
                    doc_meta["source"],
                    seq.get(doc_meta["chunk_id"], 0),
                    doc_meta.get("date") or None,
                    row.doc.page_content,
                    json.dumps(doc_meta, ensure_ascii=False),
                    json.dumps(row.analysis.to_json(), ensure_ascii=False),
                    int(row.embedded or embedded),
                    row.vector or vector,
                    row.sentences if row.sentences is not None else sentences,
                ),
            )
            lexical.add(db, [(int(cur.lastrowid or 0), row.analysis.tokens)])
        changes_before = db.total_changes
        db.executemany(
            "UPDATE chunks SET seq = ? WHERE id = ? AND seq != ?",
            ((n, cid, n) for cid, n in seq.items()),
        )
        renumbered = db.total_changes != changes_before
        set_meta(db, "manifest", manifest)
        for key, value in (meta or {}).items():
            set_meta(db, key, value)
        if gone or add or renumbered or _content(before) != _content(manifest):
            set_meta(db, "generation", int(get_meta(db, "generation", 0)) + 1)


def _content(manifest: dict[str, Any]) -> Any:
    """A manifest without its time stamps ("indexed_at" at the top and per source)."""
    sources = {
        src: {k: v for k, v in row.items() if k != "indexed_at"}
        for src, row in (manifest.get("sources") or {}).items()
    }
    return {**{k: v for k, v in manifest.items() if k != "indexed_at"}, "sources": sources}


def pending_ids(db: sqlite3.Connection) -> list[str]:
    """Chunks committed without their vector yet, in index order."""
    sql = "SELECT id FROM chunks WHERE embedded = 0 ORDER BY source, seq"
    return [r[0] for r in db.execute(sql)]


def mark_embedded(
    db: sqlite3.Connection,
    ids: list[str],
    progress: dict[str, Any],
    vectors: list[bytes | None] | None = None,
    sentences: list[bytes | None] | None = None,
) -> None:
    with transaction(db):
        db.executemany(
            "UPDATE chunks SET embedded = 1, vector = coalesce(?, vector), "
            "sentences = coalesce(?, sentences) WHERE id = ?",
            zip(
                vectors or [None] * len(ids),
                sentences or [None] * len(ids),
                ids,
                strict=True,
            ),
        )
        set_meta(db, "embed_progress", progress)


def without_local_vector(db: sqlite3.Connection) -> list[str]:
    """Chunks Chroma has a vector for that this file has no copy of (a store written
    before copies were kept): fetched from Chroma once, never embedded again."""
    sql = "SELECT id FROM chunks WHERE embedded = 1 AND vector IS NULL"
    return [r[0] for r in db.execute(sql)]


def without_sentences(db: sqlite3.Connection) -> list[str]:
    """Chunks with a vector but no sentence vectors: their vector was found in Chroma (a run
    killed after the upsert, before its mark), or copied from it."""
    sql = "SELECT id FROM chunks WHERE vector IS NOT NULL AND sentences IS NULL"
    return [r[0] for r in db.execute(sql)]


def set_sentences(db: sqlite3.Connection, sentences: dict[str, bytes]) -> None:
    with transaction(db):
        db.executemany(
            "UPDATE chunks SET sentences = ? WHERE id = ?", ((v, k) for k, v in sentences.items())
        )


def set_vectors(db: sqlite3.Connection, vectors: dict[str, bytes]) -> None:
    with transaction(db):
        db.executemany(
            "UPDATE chunks SET vector = ? WHERE id = ?", ((v, k) for k, v in vectors.items())
        )


def _sentences_column(db: sqlite3.Connection) -> str:
    """``sentences``, or NULL in a store written before they were kept: the old store still
    answers (read-only) while its rebuild runs."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
    return "sentences" if "sentences" in columns else "NULL"


def read_vectors(
    db: sqlite3.Connection, rowids: list[int] | None = None
) -> list[tuple[int, bytes]]:
    """(rowid, vector bytes) of chunks with a local vector copy; only ``rowids`` if given."""
    if rowids is None:
        return list(db.execute("SELECT rowid, vector FROM chunks WHERE vector IS NOT NULL"))
    out: list[tuple[int, bytes]] = []
    for i in range(0, len(rowids), 500):
        part = rowids[i : i + 500]
        sql = (
            "SELECT rowid, vector FROM chunks WHERE vector IS NOT NULL AND rowid IN "
            f"({','.join('?' * len(part))})"
        )
        out.extend(db.execute(sql, part))
    return out


def read_sentences(db: sqlite3.Connection, rowids: list[int]) -> list[tuple[int, bytes]]:
    """(rowid, sentence vector bytes) of those chunks that have them; none in a store written
    before they were kept (asked on every question, so the column is not looked up first)."""
    out: list[tuple[int, bytes]] = []
    for i in range(0, len(rowids), 500):
        part = rowids[i : i + 500]
        sql = (
            "SELECT rowid, sentences FROM chunks WHERE sentences IS NOT NULL AND rowid IN "
            f"({','.join('?' * len(part))})"
        )
        try:
            out.extend(db.execute(sql, part))
        except sqlite3.OperationalError as error:
            if "no such column" not in str(error):
                raise
            return []
    return out


def vectors_by_text(db: sqlite3.Connection) -> dict[str, tuple[bytes, bytes | None]]:
    """Each embedded chunk text's vector copy and its sentences' (None if not known): what a
    rebuild with the same model can reuse."""
    sql = f"SELECT text, vector, {_sentences_column(db)} FROM chunks WHERE vector IS NOT NULL"
    return {text: (vector, sentences) for text, vector, sentences in db.execute(sql)}


def pending_count(db: sqlite3.Connection) -> int:
    """Chunks still without a vector (the partial index makes this cheap at any size)."""
    return int(db.execute("SELECT count(*) FROM chunks WHERE embedded = 0").fetchone()[0])


def counts(db: sqlite3.Connection) -> tuple[int, int]:
    """(chunks, chunks still without a vector)."""
    total = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    pending = db.execute("SELECT count(*) FROM chunks WHERE embedded = 0").fetchone()[0]
    return int(total), int(pending)


def read_docs(db: sqlite3.Connection) -> tuple[list[Document], list[int]]:
    """Every chunk's document in index order (note by note, in note order), with its rowid."""
    docs, rowids = [], []
    for rowid, cid, text, meta in db.execute(
        "SELECT rowid, id, text, metadata FROM chunks ORDER BY source, seq"
    ):
        # Rows were validated when written: constructing without pydantic's validation
        # halves a 37k-chunk load (0.67 of 1.3 s).
        docs.append(Document.model_construct(page_content=text, metadata=json.loads(meta), id=cid))
        rowids.append(int(rowid))
    return docs, rowids


def read_analysis(db: sqlite3.Connection, chunk_id: str) -> ChunkAnalysis | None:
    row = db.execute("SELECT analysis FROM chunks WHERE id = ?", (chunk_id,)).fetchone()
    return ChunkAnalysis.from_json(json.loads(row[0])) if row else None


def read_records(db: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[ChunkAnalysis, int]]:
    """Chunk id → (analysis, place in its note), for publishing records to a server."""
    out = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        sql = f"SELECT id, analysis, seq FROM chunks WHERE id IN ({','.join('?' * len(part))})"
        for cid, analysis, seq in db.execute(sql, part):
            out[cid] = (ChunkAnalysis.from_json(json.loads(analysis)), int(seq))
    return out


def version(index_dir: Path) -> tuple[int, int] | None:
    """(file identity, generation) of the committed store, or None without one: changes when
    a run commits chunks or a rebuild replaces the file."""
    path = Path(index_dir) / STORE_FILE
    try:
        inode = os.stat(path).st_ino
        with contextlib.closing(connect(path, readonly=True)) as db:
            return inode, int(get_meta(db, "generation", 0))
    except (OSError, sqlite3.Error):
        return None
