"""What counts as a question, and the error a student sees when it does not."""

from __future__ import annotations

from rag.text import normalize


class QuestionError(ValueError):
    """A question we cannot use; the message is for the student (Korean)."""


def clean_question(question: str | None, max_chars: int) -> str:
    text = normalize(question or "")
    text = " ".join(text.split())
    if not text:
        raise QuestionError("질문을 입력해 주세요. (The question is empty.)")
    if len(text) > max_chars:
        raise QuestionError(
            f"질문이 너무 깁니다: {len(text):,}자. {max_chars:,}자 이내로 줄여 주세요. "
            f"(The question is too long; keep it under {max_chars} characters.)"
        )
    return text
