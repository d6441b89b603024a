"""webui/quiz.py and webui/views/quiz.py: a quiz session rendered step by step on a real
index, then the quiz tab of the launched app driven with gradio_client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from test_app import LiveApp, client, free_port, live_app_for

import app
from rag.config import Settings
from webui.context import AppContext
from webui.views.quiz import item_choices, quiz_view, score_markdown, topic_choices


@pytest.fixture(scope="module")
def live_app(request: pytest.FixtureRequest) -> LiveApp:
    return live_app_for(request)


@pytest.fixture(scope="module")
def ctx(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AppContext:
    # Reviews go to a tmp database: the seed index is shared with other test modules.
    reviews = tmp_path_factory.mktemp("reviews") / "reviews.sqlite3"
    return AppContext(seed_settings.with_overrides(review_db=reviews))


def test_quiz_session_answer_grade_next_final_score(ctx: AppContext) -> None:
    session = ctx.quiz.start("", 3)
    items = session.items
    assert items and session.phase == "asking" and session.current is items[0]
    view = quiz_view(session)
    assert view.can_submit and not view.can_next and "문제 1 / " in view.question
    ctx.quiz.answer(session, str(items[0].answer))
    assert session.results[-1].correct and session.phase == "graded"
    view = quiz_view(session)
    assert view.can_next and not view.can_submit and "✅" in view.feedback
    assert "quiz-source" in view.feedback and "출처" in view.feedback
    for _ in range(1, len(items)):
        ctx.quiz.next(session)
        assert session.phase == "asking"
        ctx.quiz.answer(session, "전혀 관계없는 오답")
        assert "❌" in quiz_view(session).feedback
    ctx.quiz.next(session)
    assert session.phase == "done" and session.current is None
    assert session.correct_count == 1
    score = score_markdown(session)
    assert f"1 / {len(items)}" in score and "다시 볼 문제" in score
    view = quiz_view(session)
    assert view.can_export and "마쳤습니다" in view.status and view.question == ""


def test_quiz_start_without_items_stays_idle(tmp_path: Path) -> None:
    no_index = AppContext(Settings(corpus_dir=tmp_path, index_dir=tmp_path / "none"))
    session = no_index.quiz.start("없는 주제", 3)
    assert session.phase == "idle" and session.message and session.topic == "없는 주제"
    view = quiz_view(session)
    assert not view.can_submit and not view.can_export and view.status == session.message


def test_choice_questions_show_their_choices(ctx: AppContext) -> None:
    assert item_choices({"type": "tf", "choices": []}) == ["참", "거짓"]
    session = ctx.quiz.start("", 5)
    for item in session.items:
        choosing = item.type in {"mc", "tf"}
        view = quiz_view(session)
        assert view.show_choices is choosing and view.show_text is not choosing
        assert bool(view.choices) is choosing
        ctx.quiz.answer(session, "모르겠어요")
        ctx.quiz.next(session)


def test_topic_choices_start_with_all_topics() -> None:
    assert topic_choices(["파드(Pod)", ""]) == [
        ("전체 (all topics)", ""),
        ("파드(Pod)", "파드(Pod)"),
    ]


def _answer_current(c: Any, choice: dict[str, Any], text: dict[str, Any]) -> tuple:
    """Answer like a student: the first option of a radio question, or a typed answer."""
    if choice.get("visible"):
        return c.predict(choice["choices"][0][0], None, api_name="/quiz_submit")
    assert text.get("visible")
    return c.predict(None, "모르겠어요", api_name="/quiz_submit")


def test_quiz_round_trip(live_app: LiveApp) -> None:
    c = client(live_app)
    status, question, choice, text, feedback, score = c.predict("", 2, api_name="/quiz_start")
    assert "문제 1 / 2" in question and feedback == ""
    _, _, _, _, feedback, _ = _answer_current(c, choice, text)
    assert ("✅" in feedback or "❌" in feedback) and "quiz-source" in feedback
    _, question, choice, text, feedback, _ = c.predict(api_name="/quiz_next")
    assert "문제 2 / 2" in question and feedback == ""
    _answer_current(c, choice, text)
    status, question, _, _, _, score = c.predict(api_name="/quiz_next")
    assert "최종 점수" in score and "마쳤습니다" in status and question == ""
    for endpoint, suffix in (("/quiz_export_csv", ".csv"), ("/quiz_export_apkg", ".apkg")):
        out = c.predict(api_name=endpoint)
        # The handler shows the (initially hidden) File component: an update with the value.
        value = out.get("value", out) if isinstance(out, dict) else out
        path = Path(value["path"] if isinstance(value, dict) else value)
        assert path.suffix == suffix and path.stat().st_size > 0
    assert Path(live_app.settings.review_db).exists()
    # A topic from the dropdown's own list works as a quiz topic.
    topic = live_app.ctx.quiz.topics()[0]
    assert topic in [value for _, value in topic_choices(live_app.ctx.views().topics)]
    _, question, *_ = c.predict(topic, 1, api_name="/quiz_start")
    assert "문제 1 / 1" in question


def test_submitting_before_starting_changes_nothing(live_app: LiveApp) -> None:
    c = client(live_app)
    status, question, _, _, feedback, score = c.predict(None, "파드", api_name="/quiz_submit")
    assert question == "" and feedback == "" and score == ""


def test_a_quiz_before_the_first_index_says_where_to_build_it(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=tmp_path, index_dir=tmp_path / "none", port=free_port())
    demo = app.build_app(settings, build_missing=False)
    demo.launch(prevent_thread_lock=True, quiet=True, **app.launch_kwargs(settings))
    try:
        c = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)
        status, question, *_ = c.predict("", 3, api_name="/quiz_start")
        assert "노트 관리" in status and question == ""
    finally:
        demo.close()
