"""rag/glossary.py: the corpus's own "한국어(English)" pairs let English questions reach
Korean notes."""

from __future__ import annotations

from rag.config import GlossarySettings
from rag.glossary import learn_glossary
from rag.retrieval import HybridRetriever
from rag.text import tokenize
from tests.notes_helpers import section_store

GLOSSED = [
    "Synchronized는 원자성과 가시성(Visibility)을 보장한다.",
    "조건 변수 (Condition Variable)는 스레드를 재운다.",
    "JPA의 Dirty Checking(변경 감지)은 스냅샷과 비교한다.",
    # The parenthesis glosses a clause, not a noun: no pair.
    "웹 서버는 WAS에 요청을 하는 역할(Reverse Proxy)을 한다.",
]


def test_pairs_are_learned_in_both_directions_and_only_for_nouns() -> None:
    glossary = learn_glossary(GLOSSED, GlossarySettings())
    assert glossary.expand("What does visibility mean?", 12) == tokenize("가시성")
    assert glossary.expand("Why use a condition variable?", 12) == tokenize("조건 변수")
    assert glossary.expand("What is dirty checking?", 12) == tokenize("변경 감지")
    assert glossary.expand("What does a reverse proxy do?", 12) == []


def test_a_parenthesis_of_examples_or_an_identifiers_tail_is_no_gloss() -> None:
    glossary = learn_glossary(
        [
            "웹 서버는 정적 리소스(HTML, CSS, JS)를 돌려준다.",
            "대부분의 데이터베이스(MySQL, PostgreSQL)에서 기본키가 인덱스다.",
            "# 유효 값: TRAFFIC_POSTPAID_BY_HOUR (트래픽 별)",
            # An alias after the comma is still a gloss.
            "조건 변수(Condition Variable, CV)는 스레드를 재운다.",
        ],
        GlossarySettings(),
    )
    assert glossary.expand("How is HTML served?", 12) == []
    assert glossary.expand("Does MySQL index the primary key?", 12) == []
    assert glossary.expand("What is billed by the hour?", 12) == []
    assert glossary.expand("Why use a condition variable?", 12) == tokenize("조건 변수")


def test_question_words_match_by_stem_and_the_longest_phrase_wins() -> None:
    glossary = learn_glossary(
        [*GLOSSED, "변수 환경(Variable Environment)과 렉시컬 환경(Lexical Environment)"],
        GlossarySettings(),
    )
    # "visible" and "Visibility" share a stem; the two-word phrase is looked up as one.
    assert glossary.expand("Is the change visible?", 12) == tokenize("가시성")
    assert glossary.expand("What is in the variable environment?", 12) == tokenize("변수 환경")
    assert len(glossary.expand("visibility condition variable dirty checking", 3)) == 3


def test_an_english_question_finds_the_korean_section_through_the_gloss() -> None:
    texts = [
        ("동기화", "Synchronized는 원자성과 가시성(Visibility)을 보장한다."),
        ("Volatile", "가시성만 보장하고 메인 메모리에서 직접 읽는다. 가시성이 핵심이다."),
        ("기타", "visibility 라는 말은 UI 에서도 쓴다."),
    ]
    store = section_store(texts)
    question = "How is visibility guaranteed?"
    plain = HybridRetriever(store=store, mode="bm25")
    assert "Volatile" not in [h.doc.metadata["section"] for h in plain.rank(question)]
    glossary = learn_glossary([d.page_content for d in store.docs], GlossarySettings())
    glossed = HybridRetriever(store=store, mode="bm25", glossary=lambda: glossary)
    assert "Volatile" in [h.doc.metadata["section"] for h in glossed.rank(question)[:2]]
    # Korean questions are left as they are.
    assert glossed.rank("가시성은?")[0].doc.metadata["section"] == "Volatile"
