"""Shared mode against a real ``chroma run`` server on loopback: processes with empty index
dirs answer exactly as the writer does, and see a re-index within seconds."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.sync import sync_index
from rag.assistant import Assistant
from rag.config import PROJECT_ROOT, Settings
from tests.notes_helpers import offline_settings, sentence_blobs, write_note

SEED_NOTE = PROJECT_ROOT / "corpus" / "2025-02-11.md"
QUESTIONS = (
    "레플리카셋은 무엇을 보장하나?",
    "하이퍼바이저의 두 가지 유형은?",
    "쿠버네티스가 뭐야?",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(tmp_path / "srv"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _answers(settings: Settings) -> list[tuple[str, list[str]]]:
    assistant = Assistant(settings)
    return [(a.answer, [c.location for c in a.citations]) for a in map(assistant.ask, QUESTIONS)]


@pytest.mark.slow
def test_empty_index_dirs_answer_like_the_writer_and_follow_a_reindex(
    tmp_path: Path, chroma_url: str
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_NOTE, corpus / SEED_NOTE.name)
    writer = offline_settings(tmp_path / "writer", corpus, chroma_url=chroma_url)
    report = sync_index(writer)
    assert report.total > 10 and not (writer.index_dir / "chroma").exists()
    expected = _answers(writer)
    assert all(cites for _, cites in expected)

    # Another machine: its own empty index dir, no notes folder at all.
    reader = offline_settings(
        tmp_path / "reader", tmp_path / "no-notes", chroma_url=chroma_url
    )
    assert not reader.index_dir.exists()
    assert _answers(reader) == expected
    # It ranks alike because it has the writer's sentence vectors too (from the records).
    assert sentence_blobs(reader) == sentence_blobs(writer) and any(sentence_blobs(writer).values())

    # A third process, through the CLI, from nothing.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TIL_INDEX_DIR": str(tmp_path / "cli-index"),
        "TIL_CORPUS_DIR": str(tmp_path / "no-notes"),
        "TIL_CHROMA_URL": chroma_url,
        "TIL_OFFLINE": "1",
    }
    out = subprocess.run(
        [sys.executable, "-m", "rag", "ask", QUESTIONS[0], "--json"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    )
    payload = json.loads(out.stdout)
    assert (payload["answer"], [c["location"] for c in payload["citations"]]) == expected[0]

    # The writer re-indexes an edit; a serving reader sees it at its next question.
    from webui.context import AppContext

    ctx = AppContext(reader)
    ctx.assistant.warm()
    write_note(corpus, "2025-03-01.md", "# 새 노트\n\n## 헬름 차트\n헬름 차트는 쿠버네티스 "
               "애플리케이션을 패키지로 묶어 배포하는 형식이다.\n")
    sync_index(writer)
    published = time.monotonic()
    while True:
        ctx.sync_with_disk()
        answer = ctx.assistant.ask("헬름 차트는 무엇인가?")
        if any(c.source == "2025-03-01.md" for c in answer.citations):
            break
        assert time.monotonic() - published < 10, "the reader never saw the re-index"
        time.sleep(0.5)
    assert _answers(reader) == _answers(writer)
