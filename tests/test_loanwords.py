"""rag/text/loanwords.py: an English question's words find the notes' Hangul spellings of
them ("pods" -> 파드) by sound, and native Korean words of a similar sound stay out."""

from __future__ import annotations

import pytest

from rag.config import GlossarySettings
from rag.glossary import glossary_of
from rag.retrieval import HybridRetriever
from rag.text import tokenize
from rag.text.loanwords import index_loanwords
from tests.checks import stdout_per_hash_seed
from tests.notes_helpers import section_store

# Hangul words a note might hold (with particles, as notes write them) and how often.
NOTE_WORDS = {
    "컨트롤": 3, "플레인": 2, "컴포넌트는": 2, "파드": 9, "노드에": 5, "스케줄러가": 2,
    "히스토리": 1, "페이지": 4, "파일을": 6, "쿠버네티스": 8, "인그레스": 2, "하이퍼바이저": 2,
    "스레드": 3, "서버": 4, "캐시": 2, "메서드": 2, "메소드": 1, "포트": 3, "블록": 2, "데이터": 4,
    "시크릿": 2, "바닐라": 1, "바이너리": 1, "하드웨어": 2, "세마포어를": 1, "미러가": 3,
    "리니어": 1,
    # Native and Sino-Korean words whose consonants sound like an English word's.
    "보다": 7, "기대": 3, "기타": 4, "놓이다": 2, "비율": 2, "장애": 2, "도구": 5,
    "포워드": 1,
    # What acronyms' consonants would match as words ("hsts" 호스트, "css" 캐시).
    "호스트": 2, "슬로우": 1,
}  # fmt: skip


@pytest.fixture(scope="module")
def loanwords():
    tokens = {t for w in NOTE_WORDS for t in tokenize(w)}
    return index_loanwords(list(NOTE_WORDS), lambda w: 5 if w in tokens else 0, 2)


def _lexical(store, glossary: GlossarySettings | None = None) -> HybridRetriever:
    """BM25 ranking with the store's glossary (its sound matches included by default)."""
    tuning = glossary or GlossarySettings()
    return HybridRetriever(store=store, mode="bm25", glossary=lambda: glossary_of(store, tuning))


@pytest.mark.parametrize(
    ("english", "hangul"),
    [
        ("control", "컨트롤"),
        ("plane", "플레인"),  # the ㅡ a cluster adds is no vowel of the word
        ("component", "컴포넌트"),  # the particle is cut off
        ("pods", "파드"),  # a plural is its singular in Korean
        ("nodes", "노드"),
        ("scheduler", "스케줄러"),
        ("history", "히스토리"),  # the r of an unstressed "er" starts a syllable
        ("page", "페이지"),  # 지 after the j sound adds no vowel
        ("files", "파일"),  # 이 ends the diphthong of "file"
        ("kubernetes", "쿠버네티스"),  # not in the dictionary: read off the spelling
        ("ingress", "인그레스"),
        ("hypervisor", "하이퍼바이저"),  # an "s" between vowels may be voiced (ㅈ)
        ("thread", "스레드"),
        ("server", "서버"),  # an r before a consonant is not written
        ("cache", "캐시"),
        ("port", "포트"),
        ("block", "블록"),  # a 받침 keeps no voicing: ㄱ is the k of "block"
        ("data", "데이터"),  # d is ㄷ, t is ㅌ
        ("secret", "시크릿"),  # 시's ㅣ is the word's here, added in 캐시
        ("vanilla", "바닐라"),
        ("hardware", "하드웨어"),  # 어 may be the r that ends a syllable ("ware")
        ("semaphore", "세마포어"),  # ... also after a silent final e in a spelled word
        ("mirror", "미러"),  # an r before an unstressed "er" starts a syllable
        ("linear", "리니어"),  # or 어 is a vowel of the word
    ],
)
def test_an_english_word_finds_its_hangul_spelling(loanwords, english: str, hangul: str) -> None:
    assert hangul in loanwords.korean_of(english, 2)


def test_a_compound_the_dictionary_lacks_ends_as_its_last_word_sounds() -> None:
    # "rebase" is "re" + "base" (베이스): 리베이스, not 리버스 ("reverse"), though both have
    # its consonants and its first vowel.
    # (Read from the Latin side: no Kiwi noun check, whose user words other tests change.)
    from rag.text.loanwords import index_latin_words

    index = index_latin_words(["rebase", "dockerfile", "servlet"], lambda w: 1, 2)
    assert index.latin_of("리베이스", 2) == ["rebase"] and index.latin_of("리버스", 2) == []
    assert index.latin_of("도커파일", 2) == ["dockerfile"]  # "file": 파일
    assert index.latin_of("서블릿", 2) == ["servlet"]  # "let" reduced: 릿


_TIED_SPELLINGS = """
from rag.text.loanwords import index_loanwords
print(index_loanwords(["루트", "라우트"], lambda w: 1, 2).korean_of("route", 1))
"""


def test_equally_common_spellings_come_in_the_same_order_in_every_process() -> None:
    # "route" sounds two ways (루트, 라우트): the order of its sounds, a set, changes with
    # the per-process hash seed, and a question's search must not.
    outputs = set(stdout_per_hash_seed(_TIED_SPELLINGS, seeds=6, timeout=120))
    assert len(outputs) == 1 and "'" in outputs.pop()


def test_both_spellings_of_one_word_are_kept(loanwords) -> None:
    assert set(loanwords.korean_of("method", 2)) == {"메서드", "메소드"}


def test_a_spelling_with_a_particle_kiwi_reads_as_one_noun_is_the_spelling() -> None:
    index = index_loanwords(["레플리카의", "레플리카"], lambda w: 3, 2)
    assert index.korean_of("replicas", 2) == ["레플리카"]


def test_a_spelling_kiwi_breaks_into_nouns_is_found_where_written_whole() -> None:
    """Kiwi does not know "클로저" and reads it as 클로 + 저; it is still the notes' spelling
    of "closure" (and its BM25 token is 클로). The front of a longer word is not: "웹서" of
    "웹서버" is 웹 + 서 to Kiwi too, and sounds like "apis"."""
    words = ["클로저란", "클로저를", "웹서버의", "웹서버"]
    tokens = {t for w in words for t in tokenize(w)}
    assert "클로저" not in tokens and "클로" in tokens
    index = index_loanwords(words, lambda w: 4 if w in tokens else 0, 2)
    assert index.korean_of("closure", 2) == ["클로저"]
    assert index.korean_of("apis", 2) == []


def test_an_english_question_finds_a_term_kiwi_breaks_apart() -> None:
    texts = [
        ("클로저", "클로저란 함수가 선언될 때의 환경을 기억하는 함수다. 클로저는 상태를 숨긴다."),
        ("Scope", "A scope in this example decides where a function sees a variable."),
    ]
    store = section_store(texts)
    question = "What does a closure remember about the function?"
    spelt = _lexical(store)
    assert spelt.rank(question)[0].doc.metadata["section"] == "클로저"


@pytest.mark.parametrize(
    ("english", "native"),
    [
        ("pods", "보다"),  # an adverb, not a noun
        ("keep", "기대"),  # one vowel against two
        ("git", "기타"),
        ("nodes", "놓이"),  # a verb
        ("every", "비율"),  # "every" starts with a vowel, 비율 with a consonant
        ("changes", "장애"),  # "change"'s first vowel is 에, not 아 (and no "chang")
        ("pods", "포트"),  # Korean keeps d (ㄷ) and t (ㅌ) apart
        ("port", "파드"),
        ("docker", "도구"),  # and k (ㅋ) and g (ㄱ)
        ("vanilla", "바이너리"),  # the stressed i of "vanilla" is no 어
        ("pods", "포워드"),  # 워 is a w, not an r's 어
    ],
)
def test_native_words_of_a_similar_sound_are_no_spelling(loanwords, english, native) -> None:
    assert native not in loanwords.korean_of(english, 5)


@pytest.mark.parametrize(
    ("acronym", "word"), [("hsts", "호스트"), ("css", "캐시"), ("ssl", "슬로우")]
)
def test_an_acronym_is_said_letter_by_letter_never_as_a_word(loanwords, acronym, word) -> None:
    # No vowel letter and not in the dictionary: HSTS is 에이치에스티에스, not 호스트.
    assert word not in loanwords.korean_of(acronym, 5)


def test_words_of_one_consonant_or_unknown_to_the_notes_find_nothing(loanwords) -> None:
    assert loanwords.korean_of("key", 5) == []  # ㅋ alone would match half the notes
    assert loanwords.korean_of("Terraform", 5) == []


def test_an_english_question_finds_a_note_that_spells_its_terms_in_hangul() -> None:
    texts = [
        ("스케줄러", "컨트롤 플레인 컴포넌트인 스케줄러는 새로 생성된 파드를 노드에 할당한다."),
        ("로깅", "로그는 표준 출력으로 남긴다. 로그 수집기는 따로 둔다."),
        ("Scheduling", "Pods are scheduled by priority in this example."),
    ]
    store = section_store(texts)
    question = "Which control plane component assigns new pods to nodes?"
    without = GlossarySettings(loanwords=False)
    plain = _lexical(store, without)
    assert plain.rank(question)[0].doc.metadata["section"] == "Scheduling"
    spelt = _lexical(store)
    assert spelt.rank(question)[0].doc.metadata["section"] == "스케줄러"


REDIS_NOTE = """# 2025-05-02 TIL

## Redis
- Redis는 인메모리 키-값 저장소라서 디스크 기반 DB보다 훨씬 빠르다.
- 데이터를 메모리에 두고, 스냅샷(RDB)이나 AOF 로그로 디스크에 영속화한다.

## 오늘의 회고
- 캐시 전략을 더 공부해야겠다.
"""

TERRAFORM_NOTE = """# 2025-05-03 TIL

## 테라폼
- 테라폼은 인프라를 코드로 관리하는 도구다.
- 상태 파일에 실제 인프라의 현재 모습을 기록해 두고, 계획 단계에서 코드와 비교한다.
"""

OTHER_NOTE = """# 2025-05-04 TIL

## 정규화
- 제1정규형은 모든 속성 값이 원자값이어야 한다는 규칙이다.
- 제2정규형은 부분 함수 종속을 없앤다.
"""


@pytest.fixture(scope="module")
def spelt_corpus(tmp_path_factory: pytest.TempPathFactory):
    from ingest.sync import sync_index
    from tests.notes_helpers import offline_settings, write_note

    root = tmp_path_factory.mktemp("spelt")
    corpus = root / "corpus"
    write_note(corpus, "2025-05-02.md", REDIS_NOTE)
    write_note(corpus, "2025-05-03.md", TERRAFORM_NOTE)
    write_note(corpus, "2025-05-04.md", OTHER_NOTE)
    settings = offline_settings(root, corpus)
    sync_index(settings)
    return settings


@pytest.mark.parametrize(
    ("question", "source"),
    [
        # The notes write "Redis" only; the student asks in Hangul.
        ("레디스가 뭐야?", "2025-05-02.md"),
        # The notes write "테라폼" only; the student asks in English.
        ("How does Terraform keep track of the infrastructure?", "2025-05-03.md"),
    ],
)
def test_a_term_the_notes_write_in_the_other_script_is_answered_not_refused(
    spelt_corpus, question: str, source: str
) -> None:
    from dataclasses import replace

    from rag.assistant import Assistant

    answer = Assistant(spelt_corpus).ask(question)
    assert not answer.refused, answer.answer
    assert answer.citations[0].source == source
    # Without the spellings the same question is refused: the term is "not in the notes".
    off = replace(spelt_corpus, glossary=GlossarySettings(loanwords=False))
    assert Assistant(off).ask(question).refused


def test_a_hangul_word_finds_the_notes_latin_spelling_of_it() -> None:
    from rag.text.loanwords import index_latin_words

    index = index_latin_words(["servlet을", "redis는", "react"], lambda w: 2, 2)
    assert index.latin_of("레디스", 2) == ["redis"]  # not in the dictionary: spelled
    assert index.latin_of("서블릿", 2) == ["servlet"]
    assert index.latin_of("리액트", 2) == ["react"]
    # "ser" is r-coloured (서), so "스벨트" (Svelte) is no spelling of "servlet".
    assert index.latin_of("스벨트", 2) == []


def test_an_english_comparison_opens_with_the_two_korean_sibling_sections() -> None:
    texts = [
        ("프로세스와 스레드 > 프로세스", "프로세스는 자원을 할당받는 작업의 단위다."),
        ("프로세스와 스레드 > 스레드", "스레드는 프로세스 안에서 실행되는 흐름의 단위다."),
        ("컨텍스트 스위칭", "CPU가 process와 thread를 바꿀 때 process 상태를 저장한다."),
    ]
    store = section_store(texts)
    glossary = glossary_of(store, GlossarySettings())
    question = "What is the difference between a process and a thread?"
    assert glossary.in_korean(question) == (
        "What is the difference between a 프로세스 and a 스레드?"
    )
    retriever = HybridRetriever(store=store, mode="bm25", glossary=lambda: glossary)
    top = [h.doc.metadata["section"] for h in retriever.rank(question)[:2]]
    assert set(top) == {"프로세스와 스레드 > 프로세스", "프로세스와 스레드 > 스레드"}


# Other topics, so that a word of a few sections is rare enough to score.
FILLER = [
    ("스코프", "스코프는 변수에 접근할 수 있는 범위다."),
    ("호이스팅", "호이스팅은 선언을 끌어올리는 동작이다."),
    ("정규화", "정규화는 테이블을 나눠 이상 현상을 없앤다."),
    ("인덱스", "인덱스는 조회를 빠르게 하는 자료 구조다."),
    ("트랜잭션", "트랜잭션은 작업의 원자성을 보장한다."),
    ("캐시", "캐시는 자주 쓰는 데이터를 가까이 둔다."),
]


def test_an_english_definition_question_opens_the_section_its_hangul_spelling_heads() -> None:
    """"What is a closure?" is "클로저란?": the definition prior reads the question with the
    notes' spelling of its term, so the section headed 클로저 goes before its example."""
    store = section_store(
        [
            ("클로저", "클로저란 함수가 선언될 때의 환경을 기억하는 기능이다."),
            ("클로저 > 클로저 예시", "클로저 예시: 클로저를 반환하는 함수, 클로저 카운터, 클로저."),
            *FILLER,
        ]
    )
    retriever = _lexical(store)
    assert retriever.rank("What is a closure?")[0].doc.metadata["section"] == "클로저"


def test_an_english_question_keeps_the_parent_a_sub_section_is_close_behind() -> None:
    """A Korean question's sub-section close behind its parent goes first (the specific
    answer); an English question's scores are too flat for "close" to mean that."""
    store = section_store(
        [
            ("스레드 풀(Thread Pool)", "스레드 풀은 스레드를 미리 만들어 두고 재활용한다."),
            (
                "스레드 풀(Thread Pool) > 멀티스레드",
                "스레드 풀에서 스레드를 할당 받아 멀티스레드 환경에서 여러 작업을 동시에 처리하는 "
                "것처럼 보이지만 실제로는 번갈아 처리한다.",
            ),
            *FILLER,
        ]
    )
    retriever = _lexical(store)
    korean = [h.metadata["section"] for h in retriever.rank("서버에서 스레드 풀을 쓰는 이유는?")]
    english = [h.metadata["section"] for h in retriever.rank("Why use a thread pool on a server?")]
    parent, child = "스레드 풀(Thread Pool)", "스레드 풀(Thread Pool) > 멀티스레드"
    assert korean[:2] == [child, parent], korean
    assert english[:2] == [parent, child], english
