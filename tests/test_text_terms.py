"""rag/text/kiwi.py key_terms: the topical terms a question is judged by (coverage, refusals);
rag/text/asks.py: what a question asks for by its form."""

from __future__ import annotations

import pytest

from rag.text import asks_comparison, key_terms, tokenize, unknown_words


@pytest.mark.parametrize(
    ("question", "term"),
    [
        # Words Kiwi does not know, broken into single syllables and adverbs.
        ("메시지 큐 샤딩은 어떤 키로 나눠?", "샤딩"),
        ("뮤텍스와 세마포어는 뭐가 달라?", "뮤텍스"),
        ("스케줄링에서 우선순위는 어떻게 정해?", "우선순위"),
        ("컨테이너 런타임은 뭐야?", "런타임"),
    ],
)
def test_a_word_kiwi_breaks_apart_is_one_term(question: str, term: str) -> None:
    terms = key_terms(question)
    assert term in terms, terms
    # Its pieces are not terms of their own: a piece ("텍스", "순위") is another word.
    assert not any(t != term and t in term for t in terms), terms


def test_compounds_of_real_nouns_stay_split() -> None:
    assert key_terms("레이스컨디션은 왜 생겨?") == ["레이스", "컨디션"]


def test_latin_words_and_adverbs_alone() -> None:
    assert key_terms("k8s에서 파드를 언제 새로 만들어?") == ["파드", "k8s"]


def test_a_noun_with_a_one_syllable_suffix_is_a_known_word() -> None:
    assert "복제" in key_terms("파드 복제본을 유지해 주는 건?")
    assert unknown_words("파드 복제본을 유지해 주는 건?") == []
    assert unknown_words("메시지 큐 샤딩은 어떤 키로 나눠?") == [("샤딩", ("샤", "딩"))]


@pytest.mark.parametrize(
    "question",
    [
        "레플리카셋이랑 디플로이먼트는 뭐가 달라?",
        "뮤텍스와 세마포어는 어떻게 다릅니까?",
        "TCP와 UDP의 차이점은?",
        "How does a hash map differ from a tree map?",
        "REST vs GraphQL",
    ],
)
def test_a_comparison_is_read_in_any_conjugation(question: str) -> None:
    assert asks_comparison(question)


def test_a_question_that_compares_nothing() -> None:
    assert not asks_comparison("파드는 어떻게 만들어?")
    assert not asks_comparison("What is a pod?")


def test_a_latin_word_at_a_sentence_end_is_the_same_token() -> None:
    """Kiwi leaves the full stop on a sentence's last Latin word ("nodes."): BM25 would never
    match it to the question's "nodes"."""
    tokens = tokenize("A pod runs on nodes.")
    assert "nodes" in tokens and "nodes." not in tokens
    assert tokenize("프레임워크는 React.")[-1] == "react"
    assert "node.js" in tokenize("서버는 node.js로 띄웠다.")
