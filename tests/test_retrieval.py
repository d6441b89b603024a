"""rag/retrieval.py over real indexes: hybrid ranking by section, fusion keeping a clear
lead, and the date filter."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document

from rag.assistant import Assistant
from rag.config import RetrievalSettings, Settings
from rag.index.store import ChunkStore
from rag.retrieval import (
    Hit,
    HybridRetriever,
    compared_first,
    compared_sections,
    defined_term_sections,
    named_sibling_first,
    specific_first,
)
from rag.text import tokenize
from tests.checks import PARAPHRASES


@pytest.mark.parametrize(("question", "section"), PARAPHRASES)
def test_hybrid_finds_the_right_section(assistant: Assistant, question: str, section: str) -> None:
    ranked = assistant.retriever(mode="hybrid").rank(question)[:3]
    assert any(section in d.metadata["section"] for d in ranked), [
        d.metadata["section"] for d in ranked
    ]


def test_ranking_is_by_section(assistant: Assistant) -> None:
    """Three chunks of one section must not fill the top three: one entry per section, and
    the section's other candidate chunks travel with it to steer the answer passage."""
    ranked = assistant.retriever(mode="hybrid").rank("쿠버네티스가 제공하는 기능들은?")
    keys = [(d.metadata["source"], d.metadata["section"]) for d in ranked]
    assert len(keys) == len(set(keys)) > 5
    store = assistant.store
    for hit in ranked:
        assert hit.section_hits[0] == hit.chunk_id
        assert {store.by_id[h].metadata["section"] for h in hit.section_hits} == {
            hit.metadata["section"]
        }
    assert any(len(h.section_hits) > 1 for h in ranked)


# Details only a reference page has. The note's summary of the same topic sits one or two
# places lower in both lists; rank fusion (RRF) flattened that gap until the note prior won,
# while convex fusion of the scores keeps the clearly better page first.
REFERENCE_DETAILS = [
    ("쿠버네티스를 구글이 오픈소스로 내놓은 해는?", "/concepts/overview/", ""),
    ("쿠버네티스 클러스터에 꼭 있어야 하는 애드온 예시는?", "/overview/components/", "애드온"),
]


@pytest.mark.parametrize(("question", "url_part", "section"), REFERENCE_DETAILS)
def test_reference_detail_outranks_the_note_summary(
    full_settings: Settings, question: str, url_part: str, section: str
) -> None:
    top = Assistant(full_settings).retriever(mode="hybrid").rank(question)[0].metadata
    assert url_part in top["source"] and section in top["section"], (top["source"], top["section"])


def test_date_filter_applies_before_the_bm25_cut() -> None:
    """A busy day must not crowd the asked day out of BM25's top fetch_k."""

    texts = [("2025-03-01", f"파드 {i}번: 파드는 파드를 담는다. 파드 파드.") for i in range(50)]
    texts.append(("2025-03-02", "오늘은 파드 하나를 띄웠다. 노드와 서비스도 봤다."))
    docs = [
        Document(
            page_content=f"노트\n{text}",
            metadata={"chunk_id": f"c{i}", "source": f"{date}.md", "section": str(i), "date": date},
        )
        for i, (date, text) in enumerate(texts)
    ]
    store = ChunkStore(docs, [tokenize(d.page_content) for d in docs])
    tuning = RetrievalSettings(fetch_k=40)
    retriever = HybridRetriever(
        store=store, mode="bm25", tuning=tuning, dates=frozenset({"2025-03-02"})
    )
    assert [h.chunk_id for h in retriever.rank("파드")] == ["c50"]


def _hit(source: str, section: str, score: float) -> Hit:
    doc = Document(page_content=section, metadata={"source": source, "section": section})
    return Hit(doc=doc, score=score, section_hits=())


def test_a_subsection_close_behind_its_parent_goes_first() -> None:
    """A parent's intro names its sub-sections' topics; the sub-section explains them."""
    parent = _hit("a.md", "쿠버네티스", 1.0)
    other = _hit("a.md", "컨테이너", 0.9)
    child = _hit("a.md", "쿠버네티스 > 자동화된 복구", 0.85)
    order = specific_first([parent, other, child], ratio=0.8, window=3)
    assert [h.metadata["section"] for h in order] == [
        "쿠버네티스 > 자동화된 복구",
        "쿠버네티스",
        "컨테이너",
    ]
    # A page's intro ("") is above all of the page.
    intro, detail = _hit("https://x/", "", 1.0), _hit("https://x/", "NodePort", 0.9)
    assert specific_first([intro, detail], 0.8, 3)[0] is detail


@pytest.mark.parametrize(
    "hits",
    [
        # too far behind, past the window, another note, a sibling, a prefix that is no parent
        [_hit("a.md", "쿠버네티스", 1.0), _hit("a.md", "쿠버네티스 > 복구", 0.7)],
        [_hit("a.md", "A", 1.0), _hit("a.md", "B", 0.99), _hit("a.md", "C", 0.98),
         _hit("a.md", "A > D", 0.97)],
        [_hit("a.md", "A", 1.0), _hit("b.md", "A > D", 0.95)],
        [_hit("a.md", "A > B", 1.0), _hit("a.md", "A > C", 0.95)],
        [_hit("a.md", "Type", 1.0), _hit("a.md", "Type 2", 0.95)],
    ],
)
def test_the_top_section_stays_first_otherwise(hits: list[Hit]) -> None:
    assert specific_first(hits, 0.8, 3) == hits


CODE_LEAD_NOTE = """# 2025-05-07

## 영속성 컨텍스트

### 변경 감지
게시글 엔티티를 고치면 트랜잭션이 끝날 때 스냅샷과 비교해서 자동으로 UPDATE 쿼리를 만든다.
게시글을 고칠 때 따로 save를 부를 필요가 없다.

### 쓰기 지연
엔티티를 저장하면 쿼리를 모아 두었다가 커밋할 때 한 번에 보낸다.

## 네트워크

### TCP 연결
TCP는 3-way handshake로 연결을 맺고, 4-way handshake로 연결을 끊는다.

### DNS
도메인 이름을 IP 주소로 바꿔 주는 시스템이다. 브라우저는 먼저 캐시를 확인한다.

## 게시판

### 게시글 modified_at 자동 기록
`@PreUpdate`

```java
@Entity
public class Article {
    private LocalDateTime modified_at;

    @PreUpdate
    public void touch() {
        this.modified_at = LocalDateTime.now();
    }
}
```

- 게시글을 고칠 때마다 불려서 시각을 기록한다.
"""


def test_a_code_section_first_in_both_lists_is_not_pushed_down(tmp_path: Path) -> None:
    """The code penalty is for dumps that share tokens with a question; a section whose
    heading and sentence answer it, first by words and by meaning, stays first."""
    from ingest.sync import sync_index
    from tests.notes_helpers import offline_settings, write_note

    corpus = tmp_path / "corpus"
    write_note(corpus, "2025-05-07.md", CODE_LEAD_NOTE)
    settings = offline_settings(tmp_path, corpus)
    sync_index(settings)
    retriever = Assistant(settings).retriever(mode="hybrid")
    question = "게시글을 고칠 때마다 modified_at을 자동으로 기록하려면 어떤 어노테이션을 붙여?"
    top = retriever.rank(question)[0]
    assert top.metadata["is_code"], "the fixture must hold a mostly-code section"
    assert "modified_at" in top.metadata["section"], top.metadata["section"]


def test_a_definition_question_may_name_the_parent_topic() -> None:
    docs = [
        Document(
            page_content="서비스",
            metadata={"chunk_id": "svc", "section": "쿠버네티스 구성 요소 > 서비스(Service)"},
        ),
        Document(
            page_content="디스커버리",
            metadata={"chunk_id": "disc", "section": "쿠버네티스 > 서비스 디스커버리"},
        ),
    ]
    assert defined_term_sections("쿠버네티스 서비스란?", docs) == {"svc"}
    # Another ask besides the parent topic is not a definition question.
    assert defined_term_sections("쿠버네티스 서비스의 포트 범위는?", docs) == set()
    # An English question names the parent by the Korean words the notes gloss it with.
    def gloss(term: str) -> list[str]:
        return ["쿠버네티스"] if term == "kubernetes" else []

    assert defined_term_sections("What does a Kubernetes Service do?", docs, gloss) == {"svc"}
    assert defined_term_sections("What does a Kubernetes Service do?", docs) == set()


def test_the_sibling_the_question_names_goes_first() -> None:
    parent = "새로 배운 내용 > 추상 클래스와 인터페이스"
    hits = [
        _hit("n.md", f"{parent} > 추상 클래스", 1.0),
        _hit("n.md", parent, 0.9),
        _hit("n.md", "오늘의 회고", 0.88),
        _hit("m.md", "자바 > 인터페이스", 0.86),
        _hit("n.md", f"{parent} > 인터페이스", 0.85),
    ]
    question = "자바 인터페이스 안에 일반 메서드를 구현하려면 어떤 키워드를 붙여?"
    order = [h.metadata["section"] for h in named_sibling_first(question, hits, 5, 0.8)]
    assert order[0] == f"{parent} > 인터페이스" and order[1:] == [
        h.metadata["section"] for h in hits[:4]
    ]
    # Outside the window, behind a clear lead, or when the question names the top section
    # too, nothing moves.
    assert named_sibling_first(question, hits, 4, 0.8) == hits
    assert named_sibling_first(question, hits, 5, 0.9) == hits
    both = "추상 클래스와 인터페이스 중 하나에만 있는 키워드는?"
    assert named_sibling_first(both, hits, 5, 0.8) == hits


def test_a_parent_whose_heading_asks_the_question_stays_first() -> None:
    parent = _hit("n.md", "조건 변수는 왜 뮤텍스와 함께 사용해야 할까?", 1.0)
    child = _hit("n.md", "조건 변수는 왜 뮤텍스와 함께 사용해야 할까? > 에러 발생", 0.9)
    asks_the_heading = "조건 변수를 쓸 때 왜 뮤텍스를 같이 써?"
    assert specific_first([parent, child], 0.8, 3, asks_the_heading)[0] is parent
    # A question about more than the heading names is still answered by the sub-section.
    asks_more = "조건 변수 없이 뮤텍스만 쓰면 어떤 에러가 나?"
    assert specific_first([parent, child], 0.8, 3, asks_more)[0] is child


def _sections_store(sections: list[tuple[str, str, str]]) -> ChunkStore:
    docs = [
        Document(
            page_content=f"{section}\n{text}",
            metadata={"chunk_id": f"c{i}", "source": source, "section": section, "kind": "note"},
        )
        for i, (source, section, text) in enumerate(sections)
    ]
    return ChunkStore(docs)  # tokens are computed on first use


COMPARED_NOTE = [
    ("n.md", "동기화 > 뮤텍스(Mutex)", "락을 가진 스레드만 임계 구역에 들어간다."),
    ("n.md", "동기화 > 세마포어(Semaphore)", "정해진 수의 스레드가 동시에 들어간다."),
    ("n.md", "동기화 > 차이", "뮤텍스는 하나, 세마포어는 여럿을 들여보낸다."),
    ("n.md", "동기화", "임계 구역을 지키는 도구들."),
    ("m.md", "스레드", "뮤텍스와 세마포어는 스레드를 재운다."),
]


@pytest.mark.parametrize(
    "question",
    [
        "뮤텍스랑 세마포어는 뭐가 달라?",
        "세마포어는 뮤텍스와 어떻게 다른가요?",
        "How does a mutex differ from a semaphore?",
        "What is the difference between a Mutex and a Semaphore?",
    ],
)
def test_a_comparison_finds_the_sibling_sections_of_its_two_sides(question: str) -> None:
    pairs = compared_sections(question, _sections_store(COMPARED_NOTE))
    assert [{a[1], b[1]} for _, a, b in pairs] == [
        {"동기화 > 뮤텍스(Mutex)", "동기화 > 세마포어(Semaphore)"}
    ]


@pytest.mark.parametrize(
    "question",
    [
        # Two headings named, but not as the sides compared.
        "세마포어를 쓸 때 뮤텍스 대신 어떻게 다른 결과가 나와?",
        # Not a comparison.
        "뮤텍스와 세마포어를 설명해 줘",
    ],
)
def test_names_that_are_not_compared_make_no_pair(question: str) -> None:
    assert compared_sections(question, _sections_store(COMPARED_NOTE)) == []


def test_the_compared_sections_open_the_answer_unless_the_top_belongs_with_them() -> None:
    store = _sections_store(COMPARED_NOTE)
    pairs = compared_sections("뮤텍스랑 세마포어는 뭐가 달라?", store)
    page = _hit("m.md", "스레드", 1.0)
    mutex = _hit("n.md", "동기화 > 뮤텍스(Mutex)", 0.3)
    sema = _hit("n.md", "동기화 > 세마포어(Semaphore)", 0.2)
    diff = _hit("n.md", "동기화 > 차이", 0.9)
    parent = _hit("n.md", "동기화", 0.9)
    order = compared_first([page, sema, mutex], pairs)
    assert [h.metadata["section"] for h in order] == [
        "동기화 > 세마포어(Semaphore)",
        "동기화 > 뮤텍스(Mutex)",
        "스레드",
    ]
    # One side first: the other side joins it second.
    assert compared_first([mutex, page, sema], pairs) == [mutex, sema, page]
    # The note's own section on the difference, or their parent, stays first.
    assert compared_first([diff, page, mutex, sema], pairs)[0] is diff
    assert compared_first([parent, page, mutex, sema], pairs)[0] is parent


def test_a_comparison_of_two_note_sections_shows_both_over_a_reference_page(
    full_settings: Settings,
) -> None:
    """The reference pages mention both sides on every line; the note explains each side in
    its own section, which neither list ranks in its top 40 (seed dev)."""
    question = "디플로이먼트는 레플리카셋과 뭐가 다르지?"
    top = Assistant(full_settings).retriever(mode="hybrid").rank(question)[:2]
    assert {h.metadata["source"] for h in top} == {"2025-02-11.md"}
    assert {h.metadata["section"].split(" > ")[-1] for h in top} == {
        "디플로이먼트(Deployment)",
        "레플리카셋(ReplicaSet)",
    }


def test_a_word_for_a_bad_side_finds_the_section_headed_with_its_synonym() -> None:
    """"JWT 단점?" asks what a note heads "JWT 취약점 및 해결책"; the section on why JWT is used
    names JWT more often and won without the synonyms."""
    store = _sections_store(
        [
            ("n.md", "JWT > 사용 이유", "JWT는 서버가 상태를 갖지 않게 한다. JWT는 확장이 쉽다."),
            ("n.md", "JWT 취약점 및 해결책", "토큰이 탈취되면 만료 전까지 막을 수 없다."),
        ]
    )

    def top(question: str, aspects: bool) -> str:
        tuning = RetrievalSettings(aspect_synonyms=aspects)
        retriever = HybridRetriever(store=store, mode="bm25", tuning=tuning)
        return retriever.rank(question)[0].metadata["section"]

    # An English question's word for it names the Korean heading too.
    for question in ("JWT 단점?", "What are the drawbacks of JWT?"):
        assert top(question, True) == "JWT 취약점 및 해결책"
        assert top(question, False) == "JWT > 사용 이유"
