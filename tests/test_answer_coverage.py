"""rag/answer/coverage.py: when the notes do not cover a question, and why (a typed reason)."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from rag.answer.citations import MARKER
from rag.answer.coverage import Reason, assess, corpus_has, other_numbered, other_versions
from rag.assistant import Assistant
from rag.config import GlossarySettings, RefusalSettings
from rag.glossary import learn_glossary
from rag.index.store import ChunkStore
from rag.retrieval import Hit
from rag.text import tokenize

OUT_OF_SCOPE = [
    "파이썬의 GIL은 무엇인가?",
    "쿠버네티스 NetworkPolicy로 파드 간 트래픽을 막는 방법은?",
    "How do I configure Terraform remote state?",
    "React의 useEffect 훅은 언제 실행되나?",
    "오늘 점심 메뉴 추천해줘",
]


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_is_refused_with_suggestions(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.refused, answer.coverage
    assert answer.answer.startswith("노트에 없는 내용입니다")
    assert answer.citations == [] and not MARKER.search(answer.answer)
    assert answer.suggestions


def test_english_stopwords_do_not_cause_refusal(assistant: Assistant) -> None:
    answer = assistant.ask("What is the difference between a VM and a container?")
    assert not answer.refused, answer.coverage


@pytest.mark.parametrize(
    "question",
    [
        "이 TIL 쓴 날 무슨 특강이 있었어?",  # "TIL" is only in the note's title
        "How many ReplicaSets keep the pods running?",  # passages spell it 레플리카셋
        "호스티드 하이퍼바이저는 무엇을 거쳐 VM을 관리해?",  # a transliteration, not a new name
        "쿠버네티스(Kubernetes, k8s)란 무엇인가요?",  # Kiwi splits k8s into one-letter pieces
        "Why do VM-based deployments cost more?",  # a hyphenated compound, not a new name
    ],
)
def test_names_the_notes_know_are_not_refused(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert not answer.refused, answer.coverage


def test_name_only_mentioned_in_passing_is_refused() -> None:
    about_doc = Document(
        page_content="권한\n쿠버네티스 사용자 권한 설정 개요",
        metadata={"chunk_id": "a", "source": "n.md", "section": "권한"},
    )
    passing_doc = Document(
        page_content="기타\n예: RBAC 같은 기능도 있다",
        metadata={"chunk_id": "b", "source": "n.md", "section": "기타"},
    )
    about = Hit(about_doc, score=1.0, section_hits=("a",), dense_score=0.9)
    passing = Hit(passing_doc, score=0.5, section_hits=("b",))
    store = ChunkStore([about_doc, passing_doc], [["쿠버네티스", "권한"], ["rbac", "기능"]])
    question = "RBAC로 쿠버네티스 사용자 권한을 어떻게 설정해?"
    # The retrieved passage is about permissions but never names RBAC: refuse.
    verdict = assess(question, [about], store, RefusalSettings())
    assert not verdict.covered
    assert verdict.reason is Reason.NAME_NOT_EXPLAINED and verdict.names == ["rbac"]
    # Once a retrieved passage names it, the same question is answered.
    assert assess(question, [passing, about], store, RefusalSettings()).covered


def test_a_short_form_the_notes_give_is_mentioned_where_its_term_is() -> None:
    """"쿠버네티스(Kubernetes, k8s)" makes k8s another name of 쿠버네티스: a passage about
    쿠버네티스 that never writes "k8s" still answers a question that does."""
    gloss_doc = Document(
        page_content="개요\n쿠버네티스(Kubernetes, k8s)는 컨테이너를 관리한다. 예: k8s/app.yaml",
        metadata={"chunk_id": "a", "source": "n.md", "section": "개요"},
    )
    about_doc = Document(
        page_content="배포 전략\n쿠버네티스의 Recreate 전략은 파드를 먼저 모두 종료한다.",
        metadata={"chunk_id": "b", "source": "m.md", "section": "배포 전략"},
    )
    store = ChunkStore([gloss_doc, about_doc])
    glossary = learn_glossary([gloss_doc.page_content, about_doc.page_content], GlossarySettings())
    assert glossary.other_spellings("k8s") == ["쿠버네티스"]
    about = Hit(about_doc, score=1.0, section_hits=("b",), dense_score=0.9)
    question = "k8s에서 Recreate 전략은 뭐가 위험해?"
    verdict = assess(question, [about], store, RefusalSettings())
    assert verdict.reason is Reason.NAME_NOT_EXPLAINED and verdict.names == ["k8s"]
    assert assess(question, [about], store, RefusalSettings(), glossary.other_spellings).covered


def test_one_missing_term_among_known_ones_needs_a_close_passage() -> None:
    """A near miss names one new term (in neither the notes nor Kiwi's dictionary) among
    words they do use; it is refused unless a passage is as close as answerable questions
    come."""
    doc = Document(
        page_content="메시지 큐\n메시지 큐는 메시지를 나누어 쌓는 기준 키를 정한다.",
        metadata={"chunk_id": "a", "source": "n.md", "section": "메시지 큐"},
    )
    store = ChunkStore([doc], [["메시지", "기준", "키"]])
    question = "메시지 큐 샤딩은 어떤 기준으로 나눠?"
    t = RefusalSettings()
    far = Hit(doc, score=1.0, section_hits=("a",), dense_score=t.dense_some_missing - 0.01)
    verdict = assess(question, [far], store, t)
    assert verdict.reason is Reason.TERMS_MISSING and verdict.names == ["샤딩"]
    close = Hit(doc, score=1.0, section_hits=("a",), dense_score=t.dense_some_missing + 0.01)
    assert assess(question, [close], store, t).covered
    # A common word the notes lack is a paraphrase, not a new topic, and so is a compound
    # of a prefix and a noun the notes use.
    paraphrase = "메시지 큐의 기준 개수는 어떻게 정해?"
    assert assess(paraphrase, [far], store, t).covered
    assert assess("실메시지는 어떤 기준으로 나눠?", [far], store, t).covered
    # Ranked by words alone (no vectors yet), there is no similarity to ask for.
    lexical = Hit(doc, score=1.0, section_hits=("a",), bm25_score=3.0)
    assert assess(question, [lexical], store, t).covered


def _options_under(options_source: str) -> tuple[ChunkStore, Hit]:
    """A note whose section "동적 경로" names buildPaths, and an options section (a bold label
    under "동적 경로") in ``options_source``; the hit is the options section."""
    frame = Document(
        page_content="동적 경로\nbuildPaths 함수로 빌드할 경로를 정한다.",
        metadata={"chunk_id": "p", "source": "n.md", "section": "동적 경로"},
    )
    options = Document(
        page_content="동적 경로 > 대기 옵션\n- wait : 요청이 오면 즉시 생성한다",
        metadata={"chunk_id": "o", "source": options_source, "section": "동적 경로 > 대기 옵션"},
    )
    other = Document(
        page_content="기타\n다른 노트의 내용이다",
        metadata={"chunk_id": "x", "source": "m.md", "section": "동적 경로"},
    )
    store = ChunkStore(
        [frame, options, other],
        [["buildpaths", "함수", "경로"], ["대기", "옵션", "wait"], ["노트"]],
    )
    return store, Hit(options, score=1.0, section_hits=("o",), dense_score=0.9)


def test_a_name_in_the_section_above_the_passage_is_explained_there() -> None:
    """A list of options under a bold label is its own section; the function it configures
    is named in the section above. The name frames the passage: not a passing mention."""
    question = "buildPaths에서 대기 옵션을 wait로 주면 어떻게 동작해?"
    store, hit = _options_under("n.md")
    verdict = assess(question, [hit], store, RefusalSettings())
    assert verdict.covered, verdict
    # The same passage in a note whose section above does not name it: still refused.
    store, hit = _options_under("m.md")
    verdict = assess(question, [hit], store, RefusalSettings())
    assert verdict.reason is Reason.NAME_NOT_EXPLAINED and verdict.names == ["buildpaths"]


def test_latin_terms_match_whole_words_and_plurals() -> None:
    doc = Document(
        page_content="웹\nhtml 문서와 Pod 하나, kube-proxy는 노드마다. 설정은.env에",
        metadata={"chunk_id": "a"},
    )
    store = ChunkStore([doc], [["html", "문서"]])
    assert not corpus_has(store, "ml")  # not a word of its own here
    assert corpus_has(store, "pods") and corpus_has(store, "pod")
    # A word may start after a hyphen, a dot or Hangul, not after a Latin letter or digit.
    assert corpus_has(store, "proxy") and corpus_has(store, "kube-proxy")
    assert corpus_has(store, "env") and corpus_has(store, ".env")
    assert not corpus_has(store, "roxy") and not corpus_has(store, "proxies")
    assert corpus_has(store, "문서") and not corpus_has(store, "테라폼")


def test_a_number_the_notes_never_give_the_term_is_a_near_miss() -> None:
    doc = Document(
        page_content="JPA\n1차 캐시에 엔티티를 저장한다. 제 1 정규형과 제 2 정규형. 3가지 방법.",
        metadata={"chunk_id": "a", "source": "n.md", "section": "JPA"},
    )
    store = ChunkStore([doc], [tokenize(doc.page_content)])
    assert other_numbered("JPA 2차 캐시는 언제 켜?", store) == ["2차 캐시"]
    assert other_numbered("제4정규형은 뭐야?", store) == ["4정규형"]
    assert other_numbered("JPA 1차 캐시는 뭐야?", store) == []
    assert other_numbered("제2정규형은 뭐야?", store) == []  # other spacing, same term
    assert other_numbered("2가지 방법은?", store) == ["2가지 방법"]
    assert other_numbered("5단계 절차는?", store) == []  # never numbered in the notes
    hit = Hit(doc, score=1.0, section_hits=("a",), dense_score=0.9)
    verdict = assess("JPA 2차 캐시는 언제 켜?", [hit], store, RefusalSettings())
    assert verdict.reason is Reason.NAME_NOT_IN_NOTES and verdict.names == ["2차 캐시"]
    assert assess("JPA 1차 캐시는 언제 써?", [hit], store, RefusalSettings()).covered


def test_a_version_the_notes_never_write_is_a_near_miss() -> None:
    doc = Document(
        page_content="HTTP\nHTTP 1.1은 연결을 재사용하고, HTTP 2.0은 멀티플렉싱을 한다. "
        "버전 11.1에서 TLSv1.2를 쓴다.",
        metadata={"chunk_id": "a", "source": "n.md", "section": "HTTP"},
    )
    store = ChunkStore([doc], [["http"]])
    # Written as the notes write it, or in another spelling of the same version.
    assert other_versions("HTTP/1.1과 HTTP/2는 뭐가 달라?", store) == []
    assert other_versions("TLS 1.2 핸드셰이크는?", store) == []
    # Versions the notes never give ("1.1" is not found inside "11.1").
    assert other_versions("HTTP/3은 뭐가 달라?", store) == ["http/3"]
    assert other_versions("TLS 1.3 핸드셰이크는?", store) == ["1.3"]
    eleven = Document(page_content="버전\n버전 11.1을 쓴다.", metadata={"chunk_id": "b"})
    assert other_versions("버전 1.1은?", ChunkStore([eleven], [["버전"]])) == ["1.1"]
    hit = Hit(doc, score=1.0, section_hits=("a",), dense_score=0.9)
    verdict = assess("HTTP/3은 HTTP 2.0과 뭐가 달라?", [hit], store, RefusalSettings())
    assert verdict.reason is Reason.NAME_NOT_IN_NOTES and verdict.names == ["http/3"]


@pytest.mark.parametrize(
    "question",
    [
        "컨테이너와 유니커널의 차이가 뭐야?",  # the seed note knows containers, not unikernels
        "What is the difference between a container and a unikernel?",
    ],
)
def test_a_comparison_with_a_side_the_notes_never_mention_is_refused(
    assistant: Assistant, question: str
) -> None:
    answer = assistant.ask(question)
    assert answer.refused, answer.coverage
    assert answer.coverage.reason is Reason.NAME_NOT_IN_NOTES
    assert answer.coverage.names[-1] in ("유니커널", "unikernel")


@pytest.mark.parametrize(
    ("question", "heads"),
    [
        ("프로세스와 스레드의 차이가 뭐야?", ["프로세스", "스레드"]),
        ("What's the difference between git merge and git rebase?", ["merge", "rebase"]),
        ("What is the difference between Map and WeakMap in JS?", ["map", "weakmap"]),
        ("How does a ReplicaSet differ from a Deployment?", ["replicaset", "deployment"]),
        ("Recreate vs RollingUpdate", ["recreate", "rollingupdate"]),
        ("VM이란?", []),  # no comparison
    ],
)
def test_the_sides_of_a_comparison_are_read_off_its_form(question: str, heads: list[str]) -> None:
    from rag.text import compared_heads

    assert compared_heads(question) == heads


def test_an_acronym_the_notes_lack_is_refused_as_the_question_wrote_it(
    assistant: Assistant,
) -> None:
    """"HSTS" is no 호스트 (an acronym is said letter by letter), and the refusal names it as
    the student wrote it."""
    answer = assistant.ask("What does the HSTS header do?")
    assert answer.refused and answer.coverage.reason is Reason.NAME_NOT_IN_NOTES
    assert "'HSTS'은(는) 노트와 참고 자료에 나오지 않습니다" in answer.answer
