"""webui/library.py: the library tab of the launched app, driven with gradio_client:
re-index (also while another run holds the lock, and while others chat) and folder watch."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from test_app import LiveApp, client, library_sources, live_app_for, poll

from ingest.sync import index_lock
from webui.views.chat import message_text


@pytest.fixture(scope="module")
def live_app(request: pytest.FixtureRequest) -> LiveApp:
    return live_app_for(request)


def test_reindex_reports_changes_and_chat_keeps_working(live_app: LiveApp) -> None:
    c = client(live_app)
    results: dict[str, Any] = {}

    def run_reindex() -> None:
        results["reindex"] = c.predict(api_name="/reindex")

    worker = threading.Thread(target=run_reindex)
    worker.start()
    other = client(live_app)
    answers = [other.predict("도커(Docker)란 무엇인가요?", api_name="/ask") for _ in range(3)]
    worker.join(120)
    assert not worker.is_alive()
    for chat, sources, _ in answers:
        assert "[1]" in message_text(chat[-1]) and 'id="src-1"' in sources
    report, summary, rows, _ = results["reindex"]
    assert "변경 없음" in report and "추가 **0**" in report
    assert "노트 **1**개" in summary
    data = rows["data"] if isinstance(rows, dict) else rows
    assert any(r[3] == "2025-02-11.md" for r in data)


def test_reindex_while_another_holds_the_lock(live_app: LiveApp) -> None:
    with index_lock(Path(live_app.settings.index_dir)):
        report, *_ = client(live_app).predict(api_name="/reindex")
    assert "다른 색인 작업이 진행 중입니다" in report


def test_watch_folder_reindexes_a_new_note(live_app: LiveApp) -> None:
    c = client(live_app)
    corpus = Path(live_app.settings.corpus_dir)
    note = corpus / "2025-03-01.md"
    try:
        assert "감시 중" in c.predict(True, api_name="/watch")
        note.write_text(
            "# TIL\n\n## 날짜: 2025-03-01\n\n### 이진 탐색(Binary Search)\n\n"
            "정렬된 배열에서 가운데 값과 비교해 탐색 범위를 절반씩 줄여 가며 값을 찾는 "
            "알고리즘이다. 시간 복잡도는 O(log n)이다.\n",
            encoding="utf-8",
        )
        assert poll(lambda: "2025-03-01.md" in library_sources(c)), "new note never indexed"
        chat, sources, _ = c.predict("이진 탐색(Binary Search)이란 무엇인가요?", api_name="/ask")
        assert "2025-03-01.md" in sources and "[1]" in message_text(chat[-1])
        _, _, watch_text = c.predict(api_name="/library")
        assert "마지막 자동 색인" in watch_text
        note.unlink()
        assert poll(lambda: "2025-03-01.md" not in library_sources(c)), "deletion not seen"
    finally:
        note.unlink(missing_ok=True)
        assert "꺼짐" in c.predict(False, api_name="/watch")
    assert not live_app.ctx.watcher.running
    assert live_app.ctx.job.wait(60)
