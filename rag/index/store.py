"""The chunk store (``chunks.json`` in the index dir): every chunk's text, metadata and Kiwi
tokens, plus the manifest.

It is the commit point of an ingest run: written atomically after new vectors are in Chroma
(``rag.index.vectors``) and before stale ones are deleted, so a crash at any moment leaves a
consistent index (dense hits whose id is not in the chunk store are ignored). BM25 is built
from the stored tokens once per load, never per query.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from rag.config import Settings

if TYPE_CHECKING:
    from rank_bm25 import BM25Okapi

CHUNKS_FILE = "chunks.json"
STORE_FORMAT = 1


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
    """All chunks in index order, their BM25 tokens, and the manifest of the run that wrote them."""

    docs: list[Document] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

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
    def bm25(self) -> BM25Okapi | None:
        from rank_bm25 import BM25Okapi

        if not self.docs:
            return None
        # An empty token list would divide by zero inside rank_bm25's IDF; a sentinel avoids it.
        return BM25Okapi([t or ["\x00"] for t in self.tokens])

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        """Document frequency of each token: how many chunks contain it."""
        df: dict[str, int] = defaultdict(int)
        for toks in self.tokens:
            for tok in set(toks):
                df[tok] += 1
        return dict(df)

    @cached_property
    def lower_text(self) -> str:
        """All chunk texts and titles, lower-cased: substring checks for terms that BM25
        tokens miss (compounds, Latin words). Titles count: a note's H1 is metadata."""
        titles = {d.metadata.get("title", "") for d in self.docs}
        return "\n".join([*(d.page_content for d in self.docs), *titles]).lower()

    @cached_property
    def compact_text(self) -> str:
        """``lower_text`` without spaces and punctuation: a term written with other spacing
        ("제2정규형" for the heading "제 2 정규형") is still found."""
        from rag.text import compact

        return compact(self.lower_text)

    @cached_property
    def analysed(self) -> dict[tuple[str, str], Any]:
        """Per-chunk Kiwi analysis the answer step reuses across questions, filled lazily; a
        re-index loads a new store, so it never outlives the chunks it describes."""
        return {}

    def section_docs(self, doc: Document) -> list[Document]:
        return self.sections.get((doc.metadata["source"], doc.metadata["section"]), [doc])

    @classmethod
    def load(cls, index_dir: Path) -> ChunkStore | None:
        path = Path(index_dir) / CHUNKS_FILE
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        docs = [
            Document(page_content=row["text"], metadata=row["metadata"], id=row["id"])
            for row in data["chunks"]
        ]
        from rag.text import add_user_words

        # Queries must be tokenised with the dictionary the chunks were tokenised with.
        add_user_words(data.get("manifest", {}).get("user_words", []))
        return cls(docs, [row["tokens"] for row in data["chunks"]], data.get("manifest", {}))

    def save(self, index_dir: Path) -> None:
        index_dir = Path(index_dir)
        index_dir.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": STORE_FORMAT,
            "manifest": self.manifest,
            "chunks": [
                {
                    "id": d.metadata["chunk_id"],
                    "text": d.page_content,
                    "metadata": d.metadata,
                    "tokens": toks,
                }
                for d, toks in zip(self.docs, self.tokens, strict=True)
            ],
        }
        atomic_write_text(index_dir / CHUNKS_FILE, json.dumps(payload, ensure_ascii=False))


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


def load_chunk_store(settings: Settings) -> ChunkStore:
    store = ChunkStore.load(settings.index_dir)
    if store is None:
        raise IndexMissingError(
            f"아직 색인이 없습니다 (no index in {settings.index_dir}). "
            "먼저 `python -m ingest`를 실행하세요."
        )
    return store
