"""The SQLite chunk store's commit: what a chunk keeps when it is written again."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from langchain_core.documents import Document

from rag.index import storedb
from rag.index.analysis import ChunkAnalysis
from rag.index.dense import with_sentences
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


def _vectors(*rows: list[float]) -> bytes:
    return b"".join(storedb.vector_bytes(r) for r in rows)


def _doc(cid: str) -> Document:
    meta = {"chunk_id": cid, "source": f"{cid}.md", "section": cid, "title": cid}
    return Document(page_content=f"{cid}\n본문", metadata=meta)


def test_a_chunk_is_as_similar_as_its_best_sentence_too(tmp_path: Path) -> None:
    """c1's whole vector is farther from the question than c2's, but one of its sentences is
    what the question asks: with sentence vectors mixed in, c1 ranks first; without, c2."""
    path = tmp_path / storedb.STORE_FILE
    rows = [
        storedb.Row(
            _doc("c1"),
            ChunkAnalysis(["a"], []),
            True,
            storedb.vector_bytes([0.8, 0.6, 0.0]),
            _vectors([0.0, 1.0, 0.0], [1.0, 0.0, 0.0]),
        ),
        storedb.Row(
            _doc("c2"), ChunkAnalysis(["b"], []), True, storedb.vector_bytes([0.7, 0.714, 0.0]), b""
        ),
    ]
    with contextlib.closing(storedb.create(path)) as db:
        storedb.write_changes(db, rows, [], {}, {})
        # Written again (new tokens, same text), c1 keeps its sentences' vectors.
        storedb.write_changes(
            db, [storedb.Row(_doc("c1"), ChunkAnalysis(["a", "z"], []))], ["c1"], {}, {}
        )
    store = ChunkStore.load(tmp_path)
    assert store is not None
    question = [0.0, 1.0, 0.0]
    whole = store.dense_search(question, 2)
    assert [c for c, _ in whole] == ["c2", "c1"]
    units = store.sentence_vectors(["c1", "c2"])
    assert units["c1"].size == 6 and units["c2"].size == 0
    mixed = with_sentences(whole, units, question, 0.5)
    assert [c for c, _ in mixed] == ["c1", "c2"]
    assert mixed[0][1] == pytest.approx(0.5 * 0.6 + 0.5 * 1.0)
    assert with_sentences(whole, units, question, 0.0) == whole


def test_a_store_written_before_sentence_vectors_still_answers(tmp_path: Path) -> None:
    """The old store answers (read-only) while its rebuild runs: no sentences column yet."""
    path = tmp_path / storedb.STORE_FILE
    with contextlib.closing(storedb.create(path)) as db:
        storedb.write_changes(
            db,
            [_row(["캐시"], embedded=True, vector=storedb.vector_bytes([1.0, 0.0, 0.0]))],
            [],
            {},
            {},
        )
        db.execute("ALTER TABLE chunks DROP COLUMN sentences")
    store = ChunkStore.load(tmp_path)
    assert store is not None
    assert store.dense_search([1.0, 0.0, 0.0], 5) == [("c1", 1.0)]
    assert store.sentence_vectors(["c1"]) == {}
