"""Spaced review of quiz items the student got wrong (FSRS), kept in SQLite.

One row per quiz item: the item itself (so a due item can be asked again even after the quiz
that produced it is gone) and its FSRS card. Only a wrong answer puts an item on the schedule;
after that every answer to it is a review: right -> ``Rating.Good``, wrong -> ``Rating.Again``.
A connection per call keeps the store safe to share between the CLI, the Gradio app's worker
threads and separate processes (SQLite does the locking).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.quiz.items import QuizItem

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    item_id TEXT PRIMARY KEY,
    item    TEXT NOT NULL,
    card    TEXT NOT NULL,
    due     REAL NOT NULL,
    reps    INTEGER NOT NULL DEFAULT 0,
    lapses  INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_due ON reviews (due);
"""


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    # FSRS compares aware datetimes; a naive one from a caller is taken to be UTC.
    return now if now.tzinfo else now.replace(tzinfo=UTC)


class ReviewStore:
    """Review schedule at ``path`` (``settings.review_db``); survives restarts."""

    def __init__(self, path: str | Path) -> None:
        from fsrs import Scheduler

        self.path = Path(path).expanduser()
        # No fuzzing: the same answers give the same schedule, which tests and students can
        # reason about; fuzzing only matters for spreading thousands of cards.
        self.scheduler = Scheduler(enable_fuzzing=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    def record(self, item: QuizItem, correct: bool, now: datetime | None = None) -> datetime | None:
        """Log one answer; returns the item's next due time, or ``None`` if it is not scheduled
        (a right answer to an item that was never wrong)."""
        from fsrs import Card, Rating

        now = _utc(now)
        with self._db() as db:
            row = db.execute(
                "SELECT card, reps, lapses FROM reviews WHERE item_id = ?", (item.id,)
            ).fetchone()
            if row is None and correct:
                return None
            card = Card.from_json(row[0]) if row else Card()
            reps, lapses = (row[1], row[2]) if row else (0, 0)
            rating = Rating.Good if correct else Rating.Again
            card, _log = self.scheduler.review_card(card, rating, review_datetime=now)
            db.execute(
                "INSERT OR REPLACE INTO reviews (item_id, item, card, due, reps, lapses, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    item.id,
                    json.dumps(item.to_dict(), ensure_ascii=False),
                    card.to_json(),
                    card.due.timestamp(),
                    reps + 1,
                    lapses + (0 if correct else 1),
                    now.timestamp(),
                ),
            )
            return card.due

    def due(self, now: datetime | None = None, limit: int | None = None) -> list[QuizItem]:
        """Items whose review is due at ``now`` (default: now), most overdue first."""
        sql = "SELECT item FROM reviews WHERE due <= ? ORDER BY due, item_id"
        params: tuple[Any, ...] = (_utc(now).timestamp(),)
        if limit is not None:
            sql += " LIMIT ?"
            params += (int(limit),)
        with self._db() as db:
            rows = db.execute(sql, params).fetchall()
        return [QuizItem.from_dict(json.loads(r[0])) for r in rows]

    # The name the design notes use; the Gradio app may call either.
    due_items = due

    def stats(self, now: datetime | None = None) -> dict[str, int]:
        """``{"scheduled": all items on the schedule, "due": due now}`` for the UI."""
        with self._db() as db:
            total = db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
            due = db.execute(
                "SELECT COUNT(*) FROM reviews WHERE due <= ?", (_utc(now).timestamp(),)
            ).fetchone()[0]
        return {"scheduled": int(total), "due": int(due)}

    def reset(self) -> None:
        """Forget every scheduled review."""
        with self._db() as db:
            db.execute("DELETE FROM reviews")
