"""The SQLite chunk store's commit: what a chunk keeps when it is written again."""

from __future__ import annotations

import contextlib
from pathlib import Path

from langchain_core.documents import Document

from rag.index import storedb
from rag.index.analysis import ChunkAnalysis
from rag.index.store import ChunkStore


def _row(tokens: list[str], **kw: object) -> storedb.Row:
    doc = Document(
        page_content="제목\n캐시는 데이터를 가까이 둔다.",
        metadata={"chunk_id": "c1", "source": "a.md", "section": "캐시", "title": "제목"},
    )
    return storedb.Row(doc, ChunkAnalysis(tokens, []), **kw)  # type: ignore[arg-type]


def test_a_chunk_written_again_for_new_tokens_keeps_its_vector(tmp_path: Path) -> None:
    path = tmp_path / storedb.STORE_FILE
    vector = storedb.vector_bytes([1.0, 0.0, 0.0])
    with contextlib.closing(storedb.create(path)) as db:
        storedb.write_changes(db, [_row(["캐시"], embedded=True, vector=vector)], [], {}, {})
        storedb.write_changes(db, [_row(["캐시", "데이터"])], ["c1"], {}, {}, {"k": 1})
        assert storedb.pending_ids(db) == [] and storedb.without_local_vector(db) == []
        assert storedb.get_meta(db, "k") == 1
    store = ChunkStore.load(tmp_path)
    assert store is not None
    assert store.bm25_search(["데이터"], 5)[0][0] == "c1"  # the new tokens are searched
    assert store.dense_search([1.0, 0.0, 0.0], 5) == [("c1", 1.0)]
