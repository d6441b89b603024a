"""rag/structure.py: the journal's template is learned from headings that recur across notes."""

from __future__ import annotations

from langchain_core.documents import Document

from rag.config import StructureSettings
from rag.structure import is_structural, learn_template, topic_of


def _doc(source: str, section: str) -> Document:
    return Document("x", metadata={"source": source, "section": section, "kind": "note"})


def test_recurring_headings_are_template_and_topics_are_not() -> None:
    docs = []
    topics = "파드 서비스 인그레스 볼륨 노드 클러스터 레플리카셋 디플로이먼트 잡 크론잡".split()
    for day, topic in enumerate(topics):
        src = f"2025-03-{day + 1:02d}.md"
        docs += [_doc(src, "📝 새로 배운 내용"), _doc(src, "오늘의 회고"), _doc(src, topic)]
    # Numbered template headings are one heading ("학습 목표 1", "학습 목표 2", ...).
    docs += [_doc(f"2025-04-{i:02d}.md", f"학습 목표 {i}") for i in range(1, 6)]
    docs.append(_doc("2025-03-01.md", "새로 배운 내용 > HTTP 메서드"))
    docs.append(_doc("https://x", "새로 배운 내용"))  # references don't vote
    template = learn_template(docs, StructureSettings())
    assert template == {"새로배운내용", "오늘의회고", "학습목표"}
    assert is_structural("학습 목표 7", template)
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
    # A template in English, or another Korean one, is furniture too.
    assert all(is_structural(h, template) for h in ("What I learned", "배운 점", "Links"))


def test_in_a_file_of_many_days_the_template_recurs_per_day() -> None:
    """A month in one file: "오늘의 회고" under each day's heading is template, though the
    file is one note; a topic of one day is not, and a day heading is never a topic."""
    docs = []
    topics = "파드 서비스 인그레스 볼륨 노드 클러스터 레플리카셋 디플로이먼트 잡 크론잡".split()
    for day, topic in enumerate(topics, start=1):
        for section in (f"3월 {day}일 (월) > 오늘의 회고", f"3월 {day}일 (월) > {topic}"):
            doc = _doc("2025-03.md", section)
            doc.metadata["date"] = f"2025-03-{day:02d}"
            docs.append(doc)
    template = learn_template(docs, StructureSettings())
    assert "오늘의회고" in template and not template & {"파드", "서비스", "잡"}
    assert topic_of("3월 4일 (화) > 해시", template) == "해시"
    assert is_structural("3월 4일 (화)", template) and is_structural("March 5, 2025", template)
