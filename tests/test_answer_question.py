"""rag/answer/question.py: empty, huge and control-character questions."""

from __future__ import annotations

import pytest

from rag.answer.question import QuestionError, clean_question
from rag.config import AnswerSettings

MAX_CHARS = AnswerSettings().max_question_chars


@pytest.mark.parametrize("bad", ["", "   \n\t ", "\x00\x01\x02"])
def test_empty_question_rejected(bad: str) -> None:
    with pytest.raises(QuestionError, match="질문을 입력"):
        clean_question(bad, MAX_CHARS)


def test_huge_question_rejected_and_control_characters_removed() -> None:
    with pytest.raises(QuestionError, match="너무 깁니다"):
        clean_question("가" * 20_000, MAX_CHARS)
    assert clean_question("파드\x07란?\u200b", MAX_CHARS) == "파드 란?"
    assert len(clean_question("가" * MAX_CHARS, MAX_CHARS)) == MAX_CHARS
