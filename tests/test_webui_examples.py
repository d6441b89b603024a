"""webui/examples.py: example questions come from the notes' own headings and are answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document

from rag.assistant import Assistant
from rag.config import Settings
from rag.index.store import ChunkStore
from webui.examples import (
    comparison_question,
    example_questions,
    is_topic_heading,
    suggested_question,
    topic_question,
)


@pytest.fixture(scope="module")
def store(seed_settings: Settings) -> ChunkStore:
    loaded = ChunkStore.load(seed_settings.index_dir)
    assert loaded is not None
    return loaded


def _note_chunk(source: str, section: str, text: str, date: str = "2025-03-01") -> Document:
    return Document(
        page_content=text,
        metadata={
            "kind": "note",
            "source": source,
            "section": section,
            "date": date,
            "chunk_id": f"{source}:{section}",
        },
    )


def test_topic_questions_use_the_right_particle() -> None:
    assert topic_question("하이퍼바이저(Hypervisor)") == "하이퍼바이저(Hypervisor)란 무엇인가요?"
    assert topic_question("가상 머신(Virtual Machine)") == (
        "가상 머신(Virtual Machine)이란 무엇인가요?"
    )
    assert topic_question("Docker") == "Docker에 대해 설명해 주세요."
    # Seen on the real journal: numbering, aspects of a topic, headings that ask themselves.
    assert topic_question("1. 가상 DOM의 탄생 배경") == "가상 DOM의 탄생 배경이란 무엇인가요?"
    assert topic_question("3-8. CPU 스케줄링") == "CPU 스케줄링이란 무엇인가요?"
    assert topic_question("여러 작업을 수행하는 방법") == "여러 작업을 수행하는 방법은 무엇인가요?"
    assert topic_question("웹 서버의 역할") == "웹 서버의 역할은 무엇인가요?"
    assert topic_question("📌 재귀 문제") == "재귀 문제란 무엇인가요?"
    assert topic_question("[격리 수준의 문제들]") == "격리 수준의 문제들이란 무엇인가요?"
    assert topic_question("결론 ⇒ Tailwind css") == "결론 ⇒ Tailwind css에 대해 설명해 주세요."
    # A refusal's nearby topics: an aspect of a topic, a heading that asks, the template.
    assert topic_question("JWT · 사용 방법") == "JWT의 사용 방법은 무엇인가요?"
    assert topic_question("인그레스 리소스 · 예제") == "인그레스 리소스의 예제는 무엇인가요?"
    assert topic_question("HTTP의 가장 큰 특징은 무엇인지?") == "HTTP의 가장 큰 특징은 무엇인지?"
    assert suggested_question("참고 자료 및 링크") is None
    assert suggested_question("오늘의 회고") is None
    assert suggested_question("3-6. 가상메모리") == "가상메모리란 무엇인가요?"
    assert not is_topic_heading("제로 런타임 CSS란이 무엇인지와 장, 단점")
    assert not is_topic_heading("그래서 타입스크립트 왜 쓰는데")
    assert is_topic_heading("조건 변수(Condition Variable)")
    assert comparison_question("가상 머신(VM)", "컨테이너(Container)") == (
        "가상 머신과 컨테이너의 차이는 무엇인가요?"
    )
    assert comparison_question("도커(Docker)", "컨테이너") == "도커와 컨테이너의 차이는 무엇인가요?"


def test_examples_come_from_the_notes_not_a_fixed_list(store: ChunkStore) -> None:
    examples = example_questions(store)
    assert "하이퍼바이저(Hypervisor)란 무엇인가요?" in examples
    assert not any(word in q for q in examples for word in ("스크럼", "회고", "참고 자료"))
    # Another note, other headings: other examples.
    doc = _note_chunk(
        "2025-03-01.md",
        "알고리즘 > 이진 탐색(Binary Search)",
        "이진 탐색(Binary Search)\n정렬된 배열을 절반씩 나누어 찾는다.",
        "2025-03-01",
    )
    other = ChunkStore([doc], [["이진", "탐색"]], {})
    assert example_questions(other) == ["이진 탐색(Binary Search)이란 무엇인가요?"]
    assert example_questions(None) == []


def test_template_headings_never_become_examples() -> None:
    docs = [
        _note_chunk("a.md", "TIL > 날짜: 2025-03-01", "2025-03-01"),
        _note_chunk("a.md", "TIL > 장점", "빠르다."),
        _note_chunk("a.md", "TIL > 오늘의 회고", "좋았다."),
        _note_chunk("a.md", "TIL > 해시 테이블(Hash Table)", "키로 값을 찾는다."),
    ]
    store = ChunkStore(docs, [[] for _ in docs], {})
    assert example_questions(store) == ["해시 테이블(Hash Table)이란 무엇인가요?"]


def test_a_comparison_the_note_makes_becomes_an_example() -> None:
    docs = [
        _note_chunk("a.md", "TIL > 가상 머신(Virtual Machine)", "하드웨어를 가상화한다."),
        _note_chunk("a.md", "TIL > 컨테이너(Container)", "VM에 비해 가볍다."),
    ]
    store = ChunkStore(docs, [[] for _ in docs], {})
    assert example_questions(store)[-1] == "가상 머신과 컨테이너의 차이는 무엇인가요?"


def test_example_questions_are_answered_from_the_notes(
    store: ChunkStore, seed_settings: Settings
) -> None:
    assistant = Assistant(seed_settings)
    for question in example_questions(store):
        answer = assistant.ask(question)
        assert not answer.refused, (question, answer.answer)
        assert answer.citations


def test_examples_from_a_real_journal_skip_its_template() -> None:
    """On the real journal (../shared), "새로 배운 내용" recurs in most notes: structure, never
    an example question; nor is a heading that is a question of its own."""
    from ingest.chunking import chunk_note
    from ingest.notes import parse_note

    journal = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "realtil" / "notes"
    if not journal.is_dir():
        pytest.skip(f"journal not found at {journal}")
    docs = [d for p in sorted(journal.glob("*.md")) for d in chunk_note(parse_note(p, journal))]
    questions = example_questions(ChunkStore(docs, [[] for _ in docs]))
    assert len(questions) >= 4
    assert not any("새로 배운 내용" in q or "회고" in q or "?이란" in q for q in questions)
