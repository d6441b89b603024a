"""The quiz service: what the Quiz tab and ``python -m rag quiz`` both call.

Front ends hold a :class:`QuizService` and a :class:`~rag.quiz.session.QuizSession` per
student, and never call the generator, the grader, the review store or the exporters
themselves::

    class QuizService:
        def __init__(self, settings: Settings,
                     store: Callable[[], ChunkStore | None]) -> None
        def topics(self) -> list[str]                      # the topic dropdown
        def new_quiz(self, topic: str = "", n: int = 5, types: Sequence[str] | None = None,
                     use_llm: bool | None = None, *, seed: int | None = None,
                     include_due: bool = True) -> QuizBatch
        def start(self, topic: str = "", n: int = 5, types: Sequence[str] | None = None,
                  use_llm: bool | None = None, *, seed: int | None = None) -> QuizSession
        def current_store(self) -> ChunkStore              # raises IndexMissingError
        def grade(self, item: QuizItem, given: str) -> Grade
        def answer(self, session: QuizSession, given: str | None, *,
                   record: bool = True) -> QuizSession
        def next(self, session: QuizSession) -> QuizSession
        def record(self, item: QuizItem, correct: bool) -> None   # what answer() logs
        def due(self, limit: int | None = None) -> list[QuizItem]
        def review_session(self, limit: int | None = None) -> QuizSession
        def review_stats(self) -> dict[str, int]        # {"scheduled", "due"}
        def export_apkg(self, items, path) -> Path
        def export_csv(self, items, path) -> Path
        def export_file(self, items, kind: str) -> Path    # "csv" | "apkg", in a new temp dir

- ``store()`` is called on every request: after a re-index it returns the new store, which
  gets an analysis of its own. ``None`` or :class:`IndexMissingError` means no index yet.
- ``use_llm``: ``None`` (or ``True``) follows ``settings.llm``, as the tab and the CLI
  always have; ``False`` forces rule-based items.
- :meth:`new_quiz` raises (``ValueError`` for an unknown type, :class:`IndexMissingError`);
  :meth:`start` never does: a failure becomes an idle session whose ``message`` says why,
  which is what a tab shows.
- :meth:`answer` raises :class:`~rag.quiz.session.QuizStateError` when no question is waiting;
  a blank answer is graded (wrong, "답을 입력하지 않았습니다"). ``record`` logs the answer to
  the FSRS schedule at ``settings.review_db``; a failing log is logged, never raised, because
  it must not cost the student the feedback.

One :class:`ReviewStore` per service, opened on first need; the database file is not
created until an answer is recorded.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.index.store import ChunkStore, IndexMissingError
from rag.quiz.export import export_apkg, export_csv
from rag.quiz.generate import generate_quiz
from rag.quiz.grade import grade
from rag.quiz.items import Grade, QuizBatch, QuizItem
from rag.quiz.review import ReviewStore
from rag.quiz.session import QuizSession, quiz_answer, quiz_next, quiz_start
from rag.quiz.topics import list_topics

log = logging.getLogger("til.quiz")

EXPORT_KINDS = ("csv", "apkg")
NO_INDEX_MESSAGE = "아직 색인이 없습니다. 먼저 노트를 색인하세요. (No index yet.)"


class QuizService:
    """Quizzes, grading, the review schedule and export over the current chunk store."""

    def __init__(self, settings: Settings, store: Callable[[], ChunkStore | None]) -> None:
        self.settings = settings
        self._store = store
        self._reviews: ReviewStore | None = None
        self._reviews_lock = threading.Lock()

    # ------------------------------------------------------------------ quizzes
    def current_store(self) -> ChunkStore:
        """The chunk store now; raises :class:`IndexMissingError` when there is none."""
        store = self._store()
        if store is None:
            raise IndexMissingError(NO_INDEX_MESSAGE)
        return store

    def topics(self) -> list[str]:
        try:
            store = self.current_store()
        except IndexMissingError:
            return []
        return list(list_topics(store))

    def new_quiz(
        self,
        topic: str = "",
        n: int = 5,
        types: Sequence[str] | None = None,
        use_llm: bool | None = None,
        *,
        seed: int | None = None,
        include_due: bool = True,
    ) -> QuizBatch:
        """Up to ``n`` items on ``topic``, due reviews first (unless ``include_due`` is off)."""
        store = self.current_store()
        settings = (
            self.settings if use_llm is not False else self.settings.with_overrides(llm="none")
        )
        return generate_quiz(
            store,
            settings,
            topic=topic or "",
            n=n,
            types=list(types) if types else None,
            seed=seed,
            review=self._open_reviews(create=False) if include_due else None,
            include_due=include_due,
        )

    def start(
        self,
        topic: str = "",
        n: int = 5,
        types: Sequence[str] | None = None,
        use_llm: bool | None = None,
        *,
        seed: int | None = None,
    ) -> QuizSession:
        """A new session on a fresh quiz; on failure an idle session saying why."""
        topic = topic or ""
        try:
            batch = self.new_quiz(topic, int(n), types, use_llm, seed=seed)
        except IndexMissingError as exc:
            return quiz_start([], topic, str(exc))
        except Exception as exc:  # noqa: BLE001 - the tab shows the reason instead of crashing
            log.exception("quiz generation failed")
            return quiz_start([], topic, f"⚠️ 퀴즈를 만들지 못했습니다: {exc}")
        return quiz_start(batch.items, topic, batch.message or "")

    def grade(self, item: QuizItem, given: str) -> Grade:
        return grade(item, given, self.settings.quiz)

    def answer(
        self, session: QuizSession, given: str | None, *, record: bool = True
    ) -> QuizSession:
        """Grade the waiting question (asking -> graded) and log it for review."""
        item = session.current
        result = quiz_answer(session, given, self.grade)
        if record and item is not None:
            self.record(item, result.correct)
        return session

    def next(self, session: QuizSession) -> QuizSession:
        return quiz_next(session)

    # ------------------------------------------------------------------ reviews
    def record(self, item: QuizItem, correct: bool) -> None:
        try:
            reviews = self._open_reviews(create=True)
            if reviews is not None:
                reviews.record(item, correct)
        except Exception:  # noqa: BLE001 - see the module docstring
            log.exception("could not record the review")

    def due(self, limit: int | None = None) -> list[QuizItem]:
        reviews = self._open_reviews(create=False)
        return reviews.due(limit=limit) if reviews is not None else []

    def review_session(self, limit: int | None = None) -> QuizSession:
        """A session over the items due for review now, most overdue first."""
        items = self.due(limit)
        if not items:
            return quiz_start([], "", "지금 복습할 문항이 없습니다. (Nothing is due for review.)")
        message = f"복습할 문항 {len(items)}개입니다. ({len(items)} due for review.)"
        return quiz_start(items, "", message)

    def review_stats(self) -> dict[str, int]:
        reviews = self._open_reviews(create=False)
        return reviews.stats() if reviews is not None else {"scheduled": 0, "due": 0}

    def _open_reviews(self, create: bool) -> ReviewStore | None:
        """The service's one review store; ``None`` while its file does not exist and
        ``create`` is off (asking what is due must not create a database)."""
        with self._reviews_lock:
            if self._reviews is None:
                path = self.settings.review_db
                if not path or (not create and not Path(path).exists()):
                    return None
                self._reviews = ReviewStore(path)
            return self._reviews

    # ------------------------------------------------------------------ export
    def export_apkg(self, items: Iterable[QuizItem | dict[str, Any]], path: str | Path) -> Path:
        return export_apkg(items, path)

    def export_csv(self, items: Iterable[QuizItem | dict[str, Any]], path: str | Path) -> Path:
        return export_csv(items, path)

    def export_file(self, items: Iterable[QuizItem | dict[str, Any]], kind: str) -> Path:
        """``til-quiz.csv`` or ``til-quiz.apkg`` in a new temporary folder (a download)."""
        if kind not in EXPORT_KINDS:
            raise ValueError(f"unknown export kind {kind!r}; use {', '.join(EXPORT_KINDS)}")
        out = Path(tempfile.mkdtemp(prefix="til-quiz-")) / f"til-quiz.{kind}"
        return self.export_csv(items, out) if kind == "csv" else self.export_apkg(items, out)
