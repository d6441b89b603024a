"""Chroma, the dense half of the index: embedded ``PersistentClient`` by default, or
``HttpClient`` to a ``chroma run`` server when ``TIL_CHROMA_URL`` is set (several users, one
index)."""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from rag.config import Settings

if TYPE_CHECKING:
    import chromadb
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings


def open_chroma_client(settings: Settings) -> chromadb.ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    path = Path(settings.index_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def remove_orphan_segments(settings: Settings) -> int:
    """Delete the HNSW folders of collections Chroma has already deleted; returns how many.

    Chroma 1.x removes a deleted collection from its database but leaves its vector folder on
    disk for a garbage collector the embedded client does not run (chroma-core/chroma#5259),
    so each rebuild grew the index by a full copy. A folder is removed only when it is named
    like a segment id, holds HNSW files, and no segment in Chroma's database has that id."""
    if settings.chroma_url:
        return 0  # a server manages its own files
    root = Path(settings.index_dir) / "chroma"
    database = root / "chroma.sqlite3"
    if not database.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        live = {str(row[0]) for row in db.execute("SELECT id FROM segments")}
    removed = 0
    for folder in root.iterdir():
        if (
            folder.is_dir()
            and _UUID.match(folder.name)
            and folder.name not in live
            and (folder / "header.bin").exists()
        ):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def collection_name(settings: Settings, manifest: dict | None) -> str:
    """The Chroma collection an index's chunk store was committed with. A rebuild writes a
    new collection beside the old one and the chunk store names it (the atomic switch);
    stores written before that name none and use ``settings.collection``."""
    return str((manifest or {}).get("collection") or settings.collection)


def open_vectorstore(
    settings: Settings,
    embeddings: Embeddings,
    client: chromadb.ClientAPI | None = None,
    collection: str | None = None,
) -> Chroma:
    from langchain_chroma import Chroma

    tuning = settings.index
    store = Chroma(
        collection_name=collection or settings.collection,
        embedding_function=embeddings,
        client=client or open_chroma_client(settings),
        # Vectors are L2-normalised; cosine distance makes scores comparable across backends.
        collection_configuration={
            "hnsw": {
                "space": "cosine",
                "ef_construction": tuning.hnsw_ef_construction,
                "ef_search": tuning.hnsw_ef_search,
            }
        },
    )
    # A narrow ef_search made answers change from run to run (see IndexSettings); collections
    # made before get the wider search too.
    collection = store._collection
    if collection.configuration.get("hnsw", {}).get("ef_search", 0) < tuning.hnsw_ef_search:
        collection.modify(configuration={"hnsw": {"ef_search": tuning.hnsw_ef_search}})
    return store
