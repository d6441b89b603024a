"""Shared mode (``TIL_CHROMA_URL``): the ``chroma run`` server holds everything an app
process needs, so processes on other machines, with empty index dirs, answer the same.

The server has, besides the vectors, each chunk's record in its vector's metadata (text is
the document; ``til_record`` holds the chunk's metadata and its Kiwi analysis) and, in a small
``<collection>.manifest`` collection, the published manifest: the generation, the vector
collection's name, and a fingerprint of each note's chunk ids. A process's local
``store.sqlite`` is then a replica derived from the server: ``pull`` compares fingerprints and
fetches only the notes that changed, so a re-index published by one process is in the others
at their next question (``sync_with_disk`` pulls at most every ``shared_poll_seconds``).

The writer (``python -m ingest`` on any machine) publishes after its local commit and after
every vector is on the server; Chroma has no transactions, so readers ignore records of a
generation until its manifest is written last.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from rag.config import Settings
from rag.index import storedb
from rag.index.analysis import ChunkAnalysis

RECORD_KEY = "til_record"
MANIFEST_ID = "manifest"
PAGE = 500  # records per request when pulling: bounded memory and request size


def manifest_collection(settings: Settings) -> str:
    return f"{settings.collection}.manifest"


def record_metadata(
    doc: Document, analysis: ChunkAnalysis, seq: int, sentences: bytes | None = None
) -> dict[str, Any]:
    """The metadata a vector is stored with on the server: the chunk's own (Chroma filters on
    it, e.g. ``date``) plus its whole record as JSON (``seq``: its place in its note;
    ``sentences``: its sentences' vectors, base64 float32, so every process ranks alike)."""
    record: dict[str, Any] = {"metadata": doc.metadata, "analysis": analysis.to_json(), "seq": seq}
    if sentences is not None:
        record["sentences"] = base64.b64encode(sentences).decode("ascii")
    return {**doc.metadata, RECORD_KEY: json.dumps(record, ensure_ascii=False)}


def fingerprints(docs: list[Document]) -> dict[str, str]:
    """Per note (source), a hash of its chunk ids: chunk ids are content hashes, so equal
    fingerprints mean equal chunks."""
    ids: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        ids[doc.metadata["source"]].append(doc.metadata["chunk_id"])
    return {
        src: hashlib.sha256("\n".join(sorted(cids)).encode()).hexdigest()[:24]
        for src, cids in ids.items()
    }


def _manifest_store(client: Any, settings: Settings) -> Any:
    # A collection needs vectors; the manifest's is a constant one-dimensional one.
    return client.get_or_create_collection(manifest_collection(settings))


def publish(
    client: Any, settings: Settings, manifest: dict[str, Any], docs: list[Document]
) -> dict[str, Any]:
    """Write the manifest last: from now on readers pull this generation. Returns it (the
    writer's own replica records it, so it does not pull its own run back)."""
    published = {
        **manifest,
        # Unique per publication; readers only compare it for equality.
        "generation": time.time_ns(),
        "fingerprints": fingerprints(docs),
    }
    _manifest_store(client, settings).upsert(
        ids=[MANIFEST_ID],
        embeddings=[[1.0]],
        documents=[json.dumps(published, ensure_ascii=False)],
    )
    return published


def remote_manifest(client: Any, settings: Settings) -> dict[str, Any] | None:
    try:
        got = _manifest_store(client, settings).get(ids=[MANIFEST_ID], include=["documents"])
    except Exception:  # the server is down or has nothing yet: keep answering from the replica
        return None
    docs = got.get("documents") or []
    return json.loads(docs[0]) if docs else None


def _fetch(collection: Any, sources: list[str]) -> tuple[list[storedb.Row], dict[str, int]]:
    rows, seq = [], {}
    for i in range(0, len(sources), 50):
        part = sources[i : i + 50]
        where = {"source": part[0]} if len(part) == 1 else {"source": {"$in": part}}
        offset = 0
        while True:
            got = collection.get(
                where=where,
                include=["documents", "metadatas", "embeddings"],
                limit=PAGE,
                offset=offset,
            )
            for cid, text, meta, vec in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            ):
                record = json.loads(meta[RECORD_KEY])
                doc = Document(page_content=text, metadata=record["metadata"], id=cid)
                analysis = ChunkAnalysis.from_json(record["analysis"])
                units = record.get("sentences")
                rows.append(
                    storedb.Row(
                        doc,
                        analysis,
                        True,
                        storedb.vector_bytes(list(vec)),
                        base64.b64decode(units) if units is not None else None,
                    )
                )
                seq[cid] = int(record.get("seq", 0))
            if len(got["ids"]) < PAGE:
                break
            offset += PAGE
    return rows, seq


@contextlib.contextmanager
def _writer_lock(index_dir: Path) -> Iterator[bool]:
    """The index dir's writer lock (the one ``ingest`` takes), without waiting: False when an
    ingest run is writing here; that run pulls itself."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def pull(settings: Settings, have_lock: bool = False) -> bool:
    """Bring the local replica in line with the server's published manifest; True when
    something changed. Fetches only notes whose fingerprint differs."""
    if not have_lock:
        with _writer_lock(Path(settings.index_dir)) as ok:
            return _pull(settings) if ok else False
    return _pull(settings)


def _pull(settings: Settings) -> bool:
    from rag.index.vectors import open_chroma_client

    client = open_chroma_client(settings)
    remote = remote_manifest(client, settings)
    if remote is None:
        return False
    path = Path(settings.index_dir) / storedb.STORE_FILE
    with contextlib.closing(storedb.create(path)) as db:
        local = storedb.get_meta(db, "manifest", {}) or {}
        if local.get("generation") == remote["generation"] and local.get(
            "collection"
        ) == remote.get("collection"):
            return False
        mine = local.get("fingerprints", {})
        theirs = remote.get("fingerprints", {})
        changed = sorted(s for s, f in theirs.items() if mine.get(s) != f)
        dropped = {s for s in mine if s not in theirs} | set(changed)
        collection = client.get_collection(remote["collection"])
        rows, seq = _fetch(collection, changed)
        remove = [
            cid
            for src in sorted(dropped)
            for (cid,) in db.execute("SELECT id FROM chunks WHERE source = ?", (src,))
        ]
        storedb.write_changes(db, rows, remove, remote, seq)
    return True
