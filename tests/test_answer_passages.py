"""rag/answer/passages.py through the Assistant: which text of a section an answer shows."""

from __future__ import annotations

from pathlib import Path

from ingest.chunking import chunk_note
from ingest.notes import parse_note
from rag.assistant import Assistant
from rag.config import Settings
from rag.index.store import ChunkStore
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
