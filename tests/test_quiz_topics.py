"""rag/quiz/topics.py: a quiz over a day, a week or a span of the real journal (../shared)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ingest.chunking import chunk_note
from ingest.notes import parse_note
from rag.index.store import ChunkStore
from rag.quiz.cli import topic_from_args
from rag.quiz.topics import select_chunks

JOURNAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "realtil" / "notes"


@pytest.fixture(scope="module")
def store() -> ChunkStore:
    if not JOURNAL.is_dir():
        pytest.skip(f"journal not found at {JOURNAL}")
    docs = [
        d
        for p in sorted(JOURNAL.glob("2025-0[23]-*.md"))
        for d in chunk_note(parse_note(p, JOURNAL))
    ]
    return ChunkStore(docs, [[] for _ in docs])


@pytest.mark.parametrize(
    ("topic", "first", "last"),
    [
        ("3월 4일", "2025-03-04", "2025-03-04"),
        ("date:2025-03-04", "2025-03-04", "2025-03-04"),
        ("2월 둘째 주", "2025-02-10", "2025-02-16"),
        ("date:2025-03-20..9999-12-31", "2025-03-20", "2025-03-31"),
    ],
)
def test_date_topics(store: ChunkStore, topic: str, first: str, last: str) -> None:
    docs, how = select_chunks(store, topic)
    dates = sorted({d.metadata["date"] for d in docs})
    assert how == "date" and docs
    assert first <= dates[0] and dates[-1] <= last


def test_cli_date_and_since_become_date_topics() -> None:
    args = argparse.Namespace(topic="", date="3월 4일", since=None)
    assert topic_from_args(args) == "date:3월 4일"
    args = argparse.Namespace(topic="x", date=None, since="2025-03-01")
    assert topic_from_args(args) == "date:2025-03-01..9999-12-31"
