"""Small corpus builders shared by the tests: notes on disk, and stores made in memory."""

from __future__ import annotations

import contextlib
from pathlib import Path

from langchain_core.documents import Document

from rag.config import Settings
from rag.index import storedb
from rag.index.store import ChunkStore
from rag.text import tokenize


def write_note(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def offline_settings(tmp_path: Path, corpus: Path, **kw: object) -> Settings:
    return Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        cache_dir=tmp_path / "cache",
        offline=True,
        **kw,
    )  # type: ignore[arg-type]


def section_store(sections: list[tuple[str, str]], source: str = "n.md") -> ChunkStore:
    """An in-memory store of one note: a chunk per (section, text), its tokens computed."""
    docs = [
        Document(
            page_content=f"{section}\n{text}",
            metadata={"chunk_id": f"c{i}", "source": source, "section": section},
        )
        for i, (section, text) in enumerate(sections)
    ]
    return ChunkStore(docs, [tokenize(d.page_content) for d in docs])


def sentence_blobs(settings: Settings) -> dict[str, bytes | None]:
    """Each chunk's sentence vectors as its committed store holds them."""
    path = settings.index_dir / storedb.STORE_FILE
    with contextlib.closing(storedb.connect(path, readonly=True)) as db:
        return dict(db.execute("SELECT id, sentences FROM chunks"))
