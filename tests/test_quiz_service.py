"""QuizService (rag/quiz/service.py) and the session it drives (rag/quiz/session.py), over
the real seed index and a real SQLite review database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from langchain_core.documents import Document

from rag.config import Settings
from rag.index.store import ChunkStore, IndexMissingError
from rag.quiz import QuizItem, QuizService, QuizStateError, ReviewStore, list_topics
from rag.quiz.session import quiz_next, quiz_start
from tests.quiz_helpers import one

pytest_plugins = ("tests.quiz_fixtures",)


@pytest.fixture
def service(quiz_settings: Settings, seed_store: ChunkStore) -> QuizService:
    return QuizService(quiz_settings, lambda: seed_store)


def test_a_quiz_from_start_to_score(service: QuizService, quiz_settings: Settings) -> None:
    session = service.start(n=3, types=["short"], seed=1)
    assert session.phase == "asking" and session.total == 3 and "3문항" in session.message
    first = session.current
    assert first is not None and first.type == "short"

    service.answer(session, "모르겠다")
    assert session.phase == "graded" and not session.results[-1].correct
    assert session.results[-1].expected == first.answer
    assert session.results[-1].feedback.startswith("틀렸습니다.")
    with pytest.raises(QuizStateError):
        service.answer(session, first.answer)  # one answer per question
    assert service.review_stats()["scheduled"] == 1  # the miss is on the schedule

    while session.phase != "done":
        service.next(session)
        if session.current is not None:
            service.answer(session, session.current.answer)
    assert [r.correct for r in session.results] == [False, True, True]
    assert session.correct_count == 2 and session.score == 2.0
    assert session.current is None
    # Right answers to items never missed are not scheduled.
    assert service.review_stats()["scheduled"] == 1
    assert ReviewStore(quiz_settings.review_db).stats()["scheduled"] == 1


def test_a_blank_answer_is_graded_wrong(service: QuizService) -> None:
    session = service.start(n=1, types=["cloze"], seed=4)
    service.answer(session, "   ")
    result = session.results[-1]
    assert not result.correct and result.given == "" and "입력하지 않았습니다" in result.feedback


def test_due_reviews_and_the_review_session(
    service: QuizService, quiz_settings: Settings, pool: list[QuizItem]
) -> None:
    assert service.due() == [] and service.review_session().phase == "idle"
    missed = one(pool, answer="인그레스", type="short")
    ReviewStore(quiz_settings.review_db).record(
        missed, False, now=datetime.now(UTC) - timedelta(days=2)
    )
    assert [i.id for i in service.due()] == [missed.id]
    assert service.review_stats() == {"scheduled": 1, "due": 1}

    batch = service.new_quiz(n=3, seed=2)
    assert batch.items[0].id == missed.id and batch.due == 1 and "복습" in batch.message
    fresh = service.new_quiz(n=3, seed=2, include_due=False)
    assert missed.id not in {i.id for i in fresh.items}

    review = service.review_session()
    assert review.phase == "asking" and [i.id for i in review.items] == [missed.id]
    assert "복습" in review.message
    service.answer(review, "인그레스")
    assert review.results[-1].correct
    assert service.due() == [] and service.review_stats()["due"] == 0


def test_reading_reviews_creates_no_database(service: QuizService, quiz_settings: Settings) -> None:
    service.due()
    service.review_stats()
    service.new_quiz(n=2, seed=0)
    assert not quiz_settings.review_db.exists()
    session = service.start(n=1, types=["short"], seed=0)
    service.answer(session, "틀린 답", record=False)
    assert not quiz_settings.review_db.exists()


def test_without_an_index(quiz_settings: Settings) -> None:
    for store in (lambda: None, _missing):
        service = QuizService(quiz_settings, store)
        assert service.topics() == []
        session = service.start(topic="파드")
        assert session.phase == "idle" and session.current is None and "색인" in session.message
        with pytest.raises(IndexMissingError):
            service.new_quiz()
        assert service.review_stats() == {"scheduled": 0, "due": 0} and service.due() == []


def _missing() -> ChunkStore:
    raise IndexMissingError("아직 색인이 없습니다 (no index).")


def test_follows_the_current_store(seed_store: ChunkStore, quiz_settings: Settings) -> None:
    """After a re-index ``store()`` returns a new store; topics and quizzes follow it."""
    current = {"store": seed_store}
    service = QuizService(quiz_settings, lambda: current["store"])
    assert service.topics() == list_topics(seed_store)
    doc = Document(
        page_content="네트워크 > 서비스 메시\n서비스 메시는 서비스 간 통신을 제어하는 계층이다.",
        metadata={
            "chunk_id": "m1",
            "source": "mesh.md",
            "kind": "note",
            "title": "메모",
            "section": "네트워크 > 서비스 메시",
            "date": "2025-03-01",
            "position": 0,
        },
    )
    current["store"] = ChunkStore([doc], [["서비스"]], {})
    assert service.topics() == ["네트워크", "네트워크 > 서비스 메시"]
    batch = service.new_quiz(n=3, seed=0)
    assert batch.items and {(i.chunk_id, i.term) for i in batch.items} == {("m1", "서비스 메시")}


def test_use_llm_false_forces_rule_based_items(
    seed_store: ChunkStore, quiz_settings: Settings, tmp_path: Path
) -> None:
    broken = quiz_settings.with_overrides(llm=f"llamacpp:{tmp_path / 'missing.gguf'}")
    service = QuizService(broken, lambda: seed_store)
    follows = service.new_quiz(n=2, seed=3)
    assert "LLM을 쓸 수 없어" in follows.message  # None: settings.llm is tried
    rules = service.new_quiz(n=2, seed=3, use_llm=False)
    assert "LLM" not in rules.message
    assert [i.id for i in rules.items] == [i.id for i in follows.items]


def test_a_failing_quiz_becomes_a_message(service: QuizService) -> None:
    with pytest.raises(ValueError, match="unknown quiz type"):
        service.new_quiz(types=["essay"])
    session = service.start(types=["essay"])
    assert session.phase == "idle" and session.message.startswith("⚠️")


def test_export_files(service: QuizService, pool: list[QuizItem], tmp_path: Path) -> None:
    csv_path = service.export_file(pool[:3], "csv")
    apkg_path = service.export_file(pool[:3], "apkg")
    assert csv_path.name == "til-quiz.csv" and csv_path.read_text(encoding="utf-8-sig")
    assert apkg_path.name == "til-quiz.apkg" and apkg_path.stat().st_size > 0
    assert csv_path.parent != apkg_path.parent  # each download in a folder of its own
    assert service.export_csv(pool[:1], tmp_path / "x.csv") == tmp_path / "x.csv"
    assert service.export_apkg(pool[:1], tmp_path / "x.apkg").exists()
    with pytest.raises(ValueError, match="unknown export kind"):
        service.export_file(pool[:1], "pdf")


def test_session_refuses_steps_out_of_order(pool: list[QuizItem]) -> None:
    empty = quiz_start([])
    assert empty.phase == "idle" and empty.message and empty.current is None
    session = quiz_start(pool[:2], topic="파드", message="ok")
    assert session.phase == "asking" and session.topic == "파드" and session.message == "ok"
    with pytest.raises(QuizStateError):
        quiz_next(session)  # answer first
    assert session.index == 0 and session.phase == "asking"
