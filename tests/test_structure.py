"""rag/structure.py: the journal's template is learned from headings that recur across notes."""

from __future__ import annotations

from langchain_core.documents import Document

from rag.config import StructureSettings
from rag.structure import is_structural, learn_template, topic_of


def _doc(source: str, section: str) -> Document:
    return Document("x", metadata={"source": source, "section": section, "kind": "note"})


def test_recurring_headings_are_template_and_topics_are_not() -> None:
    docs = []
    for day in range(10):
        src = f"2025-03-{day + 1:02d}.md"
        docs += [_doc(src, "📝 새로 배운 내용"), _doc(src, "오늘의 회고"), _doc(src, f"주제 {day}")]
    docs.append(_doc("2025-03-01.md", "새로 배운 내용 > HTTP 메서드"))
    docs.append(_doc("https://x", "새로 배운 내용"))  # references don't vote
    template = learn_template(docs, StructureSettings())
    assert template == {"새로배운내용", "오늘의회고"}
    assert topic_of("새로 배운 내용 > HTTP 메서드", template) == "HTTP 메서드"
    assert topic_of("📝 새로 배운 내용", template) == ""
    assert topic_of("도커 > 오늘의 회고", template) == ""
    assert topic_of("도커 > 장점", template) == "도커 · 장점"
    assert is_structural("2025-03-04", template)


def test_a_small_corpus_learns_nothing_but_generic_headings_still_count() -> None:
    docs = [_doc("a.md", "오늘의 회고"), _doc("b.md", "오늘의 회고"), _doc("a.md", "파드")]
    template = learn_template(docs, StructureSettings())
    assert template == frozenset()
    assert is_structural("참고 자료", template) and not is_structural("파드", template)
