"""webui/chat.py: one chat turn streamed from a real assistant, then the chat tab of the
launched app driven with gradio_client (ask, follow up, refuse, clear)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import LiveApp, client, live_app_for

from rag.assistant import Assistant
from rag.config import Settings
from webui.chat import chat_turn
from webui.views.chat import cited_numbers, message_text


@pytest.fixture(scope="module")
def live_app(request: pytest.FixtureRequest) -> LiveApp:
    return live_app_for(request)


def test_a_turn_streams_then_ends_with_cited_sources(seed_settings: Settings) -> None:
    assistant = Assistant(seed_settings)
    question = "파드(Pod)란 무엇인가요?"
    turns = list(chat_turn(assistant, question, [], [], seed_settings.corpus_dir))
    assert len(turns) >= 2
    first, last = turns[0], turns[-1]
    assert first.messages[0] == {"role": "user", "content": question}
    assert 'id="src-' not in first.sources_html  # the cards come with the finished answer
    answer = message_text(last.messages[-1])
    assert "[1]" in answer and "출처 ·" in answer  # the source line under the answer
    assert all(f'id="src-{n}"' in last.sources_html for n in cited_numbers(answer))
    assert last.history == [(question, last.history[0][1])] and "[1]" in last.history[0][1]


def test_an_english_question_marks_the_notes_korean_words_for_it(seed_settings: Settings) -> None:
    # The student asks "pods"; the cards should show where the notes say 파드, the word
    # retrieval searched for it.
    assistant = Assistant(seed_settings)
    *_, last = chat_turn(assistant, "What do pods run?", [], [], seed_settings.corpus_dir)
    assert "<mark>파드</mark>" in last.sources_html


def test_history_keeps_the_last_turns_only(seed_settings: Settings) -> None:
    assistant = Assistant(seed_settings)
    old = [(f"질문 {i}", f"답 {i}") for i in range(5)]
    *_, last = chat_turn(assistant, "도커(Docker)란 무엇인가요?", [], old, max_history=3)
    assert len(last.history) == 3 and last.history[-1][0] == "도커(Docker)란 무엇인가요?"


def test_friendly_errors_never_show_a_traceback(tmp_path: Path) -> None:
    # A chat turn on an index that does not exist: a message, no exception, no history.
    empty = Assistant(Settings(index_dir=tmp_path / "none", corpus_dir=tmp_path))
    turns = list(chat_turn(empty, "파드란?", [], []))
    assert "색인이 없습니다" in message_text(turns[-1].messages[-1])
    assert turns[-1].history == []


def test_chat_answers_with_cited_sources_and_follow_ups(live_app: LiveApp) -> None:
    c = client(live_app)
    chat, sources, box = c.predict("쿠버네티스 레플리카셋은 무엇을 보장하나요?", api_name="/ask")
    answer = message_text(chat[-1])
    assert "[1]" in answer and box == ""
    assert 'id="src-1"' in sources and "<mark>" in sources
    for n in cited_numbers(answer):
        assert f'id="src-{n}"' in sources
    # A follow-up in the same session sees the conversation.
    chat, _, _ = c.predict("그럼 디플로이먼트는?", api_name="/ask")
    assert len(chat) == 4 and "[1]" in message_text(chat[-1])
    # Another session starts empty (per-session state).
    other, _, _ = client(live_app).predict("파드란 무엇인가요?", api_name="/ask")
    assert len(other) == 2
    chat, sources = c.predict(api_name="/clear_chat")
    assert chat == [] and 'id="src-' not in sources


def test_chat_refusal_and_errors_are_friendly(live_app: LiveApp) -> None:
    c = client(live_app)
    chat, sources, _ = c.predict("Terraform으로 AWS VPC를 만드는 방법은?", api_name="/ask")
    last = chat[-1]
    assert "노트에 없는 내용입니다" in message_text(last)
    assert last.get("options"), "suggested topics are clickable options"
    assert 'id="src-' not in sources
    chat, _, _ = c.predict("   ", api_name="/ask")
    assert "질문을 입력해 주세요" in message_text(chat[-1])
    chat, _, _ = c.predict("가" * 1200, api_name="/ask")
    assert "너무 깁니다" in message_text(chat[-1])
    assert "Traceback" not in str(chat)
