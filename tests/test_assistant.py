"""rag/assistant.py end to end on a real index: extractive answers with checkable citations,
comparisons, lists, follow-ups, dates, and Chroma server mode."""

from __future__ import annotations

import pytest

from rag.assistant import Assistant
from tests.checks import PARAPHRASES, check_citations


@pytest.mark.parametrize(("question", "section"), PARAPHRASES[:5])
def test_extractive_answer_is_cited_and_grounded(
    assistant: Assistant, question: str, section: str
) -> None:
    answer = assistant.ask(question)
    assert not answer.refused
    check_citations(answer.answer, answer.citations)
    assert len(answer.answer) <= 900
    for c in answer.citations:
        assert c.source == "2025-02-11.md" and c.kind == "note"
        assert c.location.startswith("2025-02-11.md:") and c.snippet
        # Every sentence of the answer body comes from the cited chunks (extractive).
        assert c.snippet.replace("**", "")[:20] in answer.answer.replace("**", "")


def test_comparison_draws_on_both_sides(assistant: Assistant) -> None:
    answer = assistant.ask("Type 1 하이퍼바이저와 Type 2 하이퍼바이저의 차이는?")
    sections = " ".join(c.section for c in answer.citations)
    assert "Type 1" in sections and "Type 2" in sections


def test_list_question_keeps_the_whole_list(assistant: Assistant) -> None:
    answer = assistant.ask("하이퍼바이저의 유형에는 어떤 것들이 있나?")
    assert "두 가지 유형" in answer.answer


def test_follow_up_uses_the_conversation(assistant: Assistant) -> None:
    first = assistant.ask("레플리카셋이란?")
    follow = assistant.ask(
        "그건 몇 개의 파드를 유지해?", history=[("레플리카셋이란?", first.answer)]
    )
    assert not follow.refused
    assert "레플리카셋" in follow.search_query
    assert any("레플리카셋" in c.section for c in follow.citations)


def test_date_filter_from_question(assistant: Assistant) -> None:
    answer = assistant.ask("2025-02-11에 배운 컨테이너 내용은?")
    assert all(c.source == "2025-02-11.md" for c in answer.citations)
