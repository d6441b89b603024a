"""The review schedule (rag/quiz/review.py): FSRS in SQLite, and due items first in the next
quiz."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rag.config import Settings
from rag.index.store import ChunkStore
from rag.quiz import QuizItem, ReviewStore, generate_quiz
from tests.quiz_helpers import one

pytest_plugins = ("tests.quiz_fixtures",)


def test_review_schedule_persists_across_instances(pool: list[QuizItem], tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite3"
    wrong, right = pool[0], pool[1]
    now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    first = ReviewStore(path)
    assert first.record(right, True, now=now) is None  # never wrong: not scheduled
    due_at = first.record(wrong, False, now=now)
    assert due_at is not None and now < due_at < now + timedelta(hours=1)
    assert first.due(now) == []

    second = ReviewStore(path)  # another process, later
    later = now + timedelta(days=1)
    assert [i.id for i in second.due(later)] == [wrong.id]
    assert second.due_items(later)[0] == wrong
    assert second.stats(later) == {"scheduled": 1, "due": 1}
    again = second.record(wrong, True, now=later)  # a right answer on a due item: Good
    assert again is not None and again > later
    assert second.due(later) == []
    relapse = second.record(wrong, False, now=later + timedelta(minutes=1))
    assert relapse is not None and relapse < again  # Again brings it back soon

    ReviewStore(path).reset()
    assert ReviewStore(path).due(later + timedelta(days=365)) == []


def test_due_is_most_overdue_first_and_limited(pool: list[QuizItem], tmp_path: Path) -> None:
    reviews = ReviewStore(tmp_path / "reviews.sqlite3")
    now = datetime(2025, 3, 10, tzinfo=UTC)
    for days, item in zip((1, 3, 2), pool[:3], strict=True):
        reviews.record(item, False, now=now - timedelta(days=days))
    assert [i.id for i in reviews.due(now)] == [pool[1].id, pool[2].id, pool[0].id]
    assert [i.id for i in reviews.due(now, limit=1)] == [pool[1].id]
    # A naive time is taken as UTC, not as local time.
    assert len(reviews.due(now.replace(tzinfo=None))) == 3
    with sqlite3.connect(tmp_path / "reviews.sqlite3") as db:
        assert db.execute("SELECT SUM(lapses) FROM reviews").fetchone()[0] == 3


def test_due_items_come_first_in_the_next_quiz(
    seed_store: ChunkStore, quiz_settings: Settings, pool: list[QuizItem]
) -> None:
    missed = one(pool, answer="인그레스", type="short")
    reviews = ReviewStore(quiz_settings.review_db)
    reviews.record(missed, False, now=datetime.now(UTC) - timedelta(days=2))
    result = generate_quiz(seed_store, quiz_settings, n=4, seed=5)
    assert result.items[0].id == missed.id and result.due == 1
    assert "복습" in result.message
    assert missed.fact_key not in {i.fact_key for i in result.items[1:]}
    off_topic = generate_quiz(seed_store, quiz_settings, topic="하이퍼바이저", n=2, seed=5)
    assert missed.id not in {i.id for i in off_topic.items}
    ignored = generate_quiz(seed_store, quiz_settings, n=4, seed=5, include_due=False)
    assert ignored.due == 0 and missed.id not in {i.id for i in ignored.items}
