"""One student's pass through a quiz: idle -> asking -> graded -> asking ... -> done.

The state is a plain dataclass so a front end can keep one per user (a ``gr.State`` per
browser tab: two students never share a quiz); the transitions are functions that refuse a
step the phase does not allow (:class:`QuizStateError`), so a double-clicked "submit" cannot
grade one question twice. Grading is passed in (``grade_fn``): the session knows the order of
questions, not how answers are judged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.quiz.items import Grade, QuizItem

NO_ITEMS_MESSAGE = "문제를 만들지 못했습니다. (No questions could be made.)"


@dataclass
class AnsweredQuestion:
    """The student's answer to one question and how it was graded."""

    given: str
    correct: bool
    score: float
    feedback: str
    expected: str


@dataclass
class QuizSession:
    """Per-student quiz state; ``results[i]`` answers ``items[i]``."""

    items: list[QuizItem] = field(default_factory=list)
    index: int = 0
    results: list[AnsweredQuestion] = field(default_factory=list)
    phase: str = "idle"  # idle | asking | graded | done
    topic: str = ""
    message: str = ""

    @property
    def current(self) -> QuizItem | None:
        if self.phase in {"asking", "graded"} and 0 <= self.index < len(self.items):
            return self.items[self.index]
        return None

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def correct_count(self) -> int:
        return sum(1 for r in self.results if r.correct)

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)


class QuizStateError(RuntimeError):
    """An action that the current phase does not allow (e.g. submitting twice)."""


def quiz_start(items: list[QuizItem], topic: str = "", message: str = "") -> QuizSession:
    if not items:
        return QuizSession(phase="idle", topic=topic, message=message or NO_ITEMS_MESSAGE)
    return QuizSession(items=list(items), phase="asking", topic=topic, message=message)


def _field(item: Any, name: str) -> Any:
    # Items restored from a browser state may be the to_dict() form of a QuizItem.
    return item.get(name, "") if isinstance(item, dict) else getattr(item, name, "")


def quiz_answer(
    session: QuizSession, given: str | None, grade_fn: Callable[[QuizItem, str], Grade]
) -> AnsweredQuestion:
    """Grade the current question; moves asking -> graded."""
    if session.phase != "asking" or session.current is None:
        raise QuizStateError("지금은 답을 제출할 수 없습니다. (No question is waiting.)")
    given = (given or "").strip()
    verdict = grade_fn(session.current, given)
    correct = bool(getattr(verdict, "correct", False))
    result = AnsweredQuestion(
        given=given,
        correct=correct,
        score=float(getattr(verdict, "score", 1.0 if correct else 0.0)),
        feedback=str(getattr(verdict, "feedback", "") or ""),
        expected=str(getattr(verdict, "expected", "") or _field(session.current, "answer")),
    )
    session.results.append(result)
    session.phase = "graded"
    return result


def quiz_next(session: QuizSession) -> QuizSession:
    """graded -> asking (next question) or done (after the last)."""
    if session.phase != "graded":
        raise QuizStateError("먼저 답을 제출하세요. (Answer the question first.)")
    session.index += 1
    session.phase = "asking" if session.index < len(session.items) else "done"
    return session
