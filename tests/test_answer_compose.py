"""rag/answer/compose.py: the extractive answer as the chat renders it."""

from __future__ import annotations

from langchain_core.documents import Document

from rag.answer.compose import extractive_answer
from rag.answer.passages import Passage
from rag.config import AnswerSettings


def test_a_table_in_a_passage_stays_a_markdown_table() -> None:
    body = (
        "스핀락과 뮤텍스\n| | 스핀락 | 뮤텍스 |\n| --- | --- | --- |\n| 대기 | 반복 확인 | 중지 |"
    )
    doc = Document(
        f"스핀락과 뮤텍스\n{body}",
        metadata={"chunk_id": "c", "source": "n.md", "section": "스핀락과 뮤텍스", "kind": "note"},
    )
    text, citations = extractive_answer([Passage([doc], doc, body, [])], AnswerSettings())
    lines = text.split("\n")
    first_row = next(i for i, line in enumerate(lines) if line.startswith("|"))
    assert lines[first_row - 1] == ""  # markdown needs a blank line before a table
    assert lines[-1] == "[1]" and [c.n for c in citations] == [1]  # not a cell of the last row


def test_a_key_row_is_not_bolded_out_of_its_table() -> None:
    """Seen on the real journal: the header row was the key "sentence", its ** markers made it
    a paragraph line, and the table under a list rendered as lines of pipes."""
    body = "- 하나의 코드베이스에서 관리\n| 장점 | 단점 |\n| --- | --- |\n| 일관성 | 어려움 |"
    doc = Document(
        f"모놀리식\n{body}",
        metadata={"chunk_id": "c", "source": "n.md", "section": "모놀리식", "kind": "note"},
    )
    passage = Passage([doc], doc, body, ["| 장점 | 단점 |", "하나의 코드베이스에서 관리"])
    text, _ = extractive_answer([passage], AnswerSettings())
    lines = text.split("\n")
    header = lines.index("| 장점 | 단점 |")
    assert lines[header - 1] == "" and lines[header + 1] == "| --- | --- |"
    assert "**하나의 코드베이스에서 관리**" in text  # prose keys are still marked


def test_code_in_a_passage_is_never_bolded_and_its_fence_closes() -> None:
    body = "파이버 객체의 연결이다.\n```js\nthis.alternate = null; // 현재와 작업 중인 트리\n```"
    doc = Document(
        f"파이버\n{body}",
        metadata={"chunk_id": "c", "source": "n.md", "section": "파이버", "kind": "note"},
    )
    key = ["this.alternate = null; // 현재와 작업 중인 트리", "파이버 객체의 연결이다."]
    text, _ = extractive_answer([Passage([doc], doc, body, key)], AnswerSettings())
    assert "**this.alternate" not in text  # "**" in code is shown as written
    assert "**파이버 객체의 연결이다.**" in text
    lines = text.split("\n")
    assert lines[-1] == "[1]" and lines[-3] == "```"  # "``` [1]" would not close the fence


def test_a_source_card_snippet_has_no_stray_fences() -> None:
    body = "설명이다.\n```java\nclass Flag {}\n```"
    doc = Document(
        f"Volatile\n{body}",
        metadata={"chunk_id": "c", "source": "n.md", "section": "Volatile", "kind": "note"},
    )
    _, citations = extractive_answer([Passage([doc], doc, body, [])], AnswerSettings())
    assert citations[0].snippet == "설명이다.\nclass Flag {}"
