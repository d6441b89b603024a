"""rag/answer/passages.py through the Assistant: which text of a section an answer shows."""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document

from ingest.chunking import chunk_note
from ingest.notes import parse_note
from rag.answer.passages import select_passages
from rag.assistant import Assistant
from rag.config import AnswerSettings, Settings
from rag.index.store import ChunkStore
from rag.retrieval import Hit
from rag.text import tokenize
from tests.notes_helpers import write_note


def test_a_code_block_cut_into_pieces_is_shown_through_to_its_explanation(
    tmp_path: Path,
) -> None:
    """A long code block is chunked in pieces; an answer that starts at its first piece goes
    on to the rest of the code and the sentence after it (the line asked about and what
    the code does), not stopping at the passage budget mid-code."""
    setup = "\n".join(f"    registry.addMapping(\"/api/v{i}/**\");" for i in range(12))
    code = (
        "```java\n@Configuration\npublic class GatewayConfig {\n    @Bean\n"
        "    public Registry gatewayRegistry() {\n"
        f"{setup}\n        registry.allowedHosts(\"front.example.com\");\n    }}\n}}\n```"
    )
    intro = "배포한 프론트엔드가 백엔드 API를 부르지 못하는 문제가 있었다. " * 6
    note = (
        f"# 2025-05-02\n\n## 게이트웨이 설정\n{intro}\n\nGatewayConfig 클래스를 만들었다.\n\n"
        f"{code}\n\n이렇게 허용할 호스트를 등록해서 요청이 막히는 문제를 해결했다.\n"
    )
    corpus = tmp_path / "corpus"
    path = write_note(corpus, "2025-05-02.md", note)
    docs = chunk_note(parse_note(path, corpus))
    assert sum("```" in d.page_content for d in docs) >= 2  # the block is in pieces
    index = tmp_path / "index"
    ChunkStore(docs, [tokenize(d.page_content) for d in docs]).save(index)
    answer = Assistant(Settings(corpus_dir=corpus, index_dir=index)).ask(
        "GatewayConfig 클래스 코드는 왜 만들었어?"
    )
    assert not answer.refused
    assert "allowedHosts" in answer.answer
    assert "문제를 해결했다" in answer.answer


def _doc(cid: str, kind: str, source: str, section: str, body: str) -> Document:
    meta = {"chunk_id": cid, "kind": kind, "source": source, "section": section, "position": 0}
    return Document(page_content=f"{section}\n{body}", metadata=meta)


def test_the_students_note_joins_a_reference_page_that_answers_first() -> None:
    page = _doc("p", "page", "https://example.org/os", "프로세스", "실행 중인 프로그램이다.")
    note = _doc("n", "note", "2025-02-11.md", "프로세스", "실행 중인 프로그램. 메모리를 받는다.")
    store = ChunkStore([page, note], [tokenize(d.page_content) for d in (page, note)])
    question = "프로세스는 실행 중인 프로그램이야?"
    tuning = AnswerSettings()

    def sources(note_score: float, first: Document = page) -> list[str]:
        second = note if first is page else page
        hits = [
            Hit(first, score=1.0, section_hits=(first.metadata["chunk_id"],)),
            Hit(second, score=note_score, section_hits=(second.metadata["chunk_id"],)),
        ]
        return [p.hit.metadata["source"] for p in select_passages(question, hits, store, 5, tuning)]

    # Neither adds a question word the other lacks; the note joins the page when close
    # behind it.
    assert sources(0.9) == ["https://example.org/os", "2025-02-11.md"]
    assert sources(0.5) == ["https://example.org/os"]
    # A note answering first does not pull in the page for that reason.
    assert sources(0.9, first=note) == ["2025-02-11.md"]


def test_the_students_note_joins_even_when_two_pages_filled_the_answer() -> None:
    page = _doc("p", "page", "https://example.org/os", "프로세스", "실행 중인 프로그램이다.")
    other = _doc("q", "page", "https://example.org/os", "프로세스 상태", "메모리와 상태를 가진다.")
    note = _doc("n", "note", "2025-02-11.md", "프로세스", "실행 중인 프로그램. 메모리를 받는다.")
    docs = [page, other, note]
    store = ChunkStore(docs, [tokenize(d.page_content) for d in docs])
    hits = [
        Hit(d, score=s, section_hits=(d.metadata["chunk_id"],))
        for d, s in ((page, 1.0), (other, 0.95), (note, 0.9))
    ]
    got = select_passages("프로세스의 메모리는?", hits, store, 5, AnswerSettings())
    assert [p.hit.metadata["chunk_id"] for p in got] == ["p", "q", "n"]
    # Once a note is shown, no other note joins past the limit.
    earlier = _doc("m", "note", "2025-02-10.md", "프로세스 상태", "메모리와 상태를 가진다.")
    store = ChunkStore([*docs, earlier], [tokenize(d.page_content) for d in [*docs, earlier]])
    hits[1] = Hit(earlier, score=0.95, section_hits=("m",))
    got = select_passages("프로세스의 메모리는?", hits, store, 5, AnswerSettings())
    assert [p.hit.metadata["chunk_id"] for p in got] == ["p", "m"]


def test_a_near_tie_joins_as_the_second_passage_though_it_adds_no_word() -> None:
    """Two sections that say the question's words alike and score nearly the same: either may
    be the one that answers, so both are shown; a clear second stays out."""
    note = "2025-02-11.md"
    first = _doc("a", "note", note, "Type 1 하이퍼바이저", "호스트 OS 위에서 동작 안 함.")
    second = _doc("b", "note", note, "Type 2 하이퍼바이저", "호스트 OS 위에서 동작한다.")
    store = ChunkStore([first, second], [tokenize(d.page_content) for d in (first, second)])
    question = "호스트 OS 위에서 동작하는 하이퍼바이저는?"
    tuning = AnswerSettings()

    def shown(second_score: float) -> list[str]:
        hits = [Hit(first, 1.0, ("a",)), Hit(second, second_score, ("b",))]
        passages = select_passages(question, hits, store, 5, tuning)
        return [p.hit.metadata["chunk_id"] for p in passages]

    assert shown(tuning.tie_passage_ratio + 0.01) == ["a", "b"]
    assert shown(tuning.tie_passage_ratio - 0.05) == ["a"]
