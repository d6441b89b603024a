"""webui/context.py: the services every session shares, on a real index; and the launched
app picking up an index that ``python -m ingest`` wrote while it ran."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import LiveApp, client, library_sources, live_app_for, poll

from ingest.sync import sync_index
from rag.config import Settings
from webui.context import AppContext


@pytest.fixture(scope="module")
def live_app(request: pytest.FixtureRequest) -> LiveApp:
    return live_app_for(request)


def test_views_follow_the_index_generation(seed_settings: Settings) -> None:
    ctx = AppContext(seed_settings)
    views = ctx.views()
    assert views.examples and views.topics and "노트 **1**개" in views.summary
    assert [day for _, day in views.days] == ["2025-02-11"]
    assert any(row[2] == "2025-02-11.md" for row in views.rows)
    assert ctx.views() is views  # computed once per generation, not per session
    ctx.generation += 1
    assert ctx.views() is not views and ctx.views() == views  # same index, same content
    status = ctx.index_status()
    assert status["state"] == "idle" and status["chunks"] > 0 and not status["watching"]


def test_no_index_yet_means_empty_views(tmp_path: Path) -> None:
    ctx = AppContext(Settings(corpus_dir=tmp_path, index_dir=tmp_path / "none"))
    assert ctx.store() is None
    views = ctx.views()
    assert views.examples == [] and views.topics == [] and views.rows == []
    assert views.days == []
    assert "아직 색인이 없습니다" in views.summary
    assert ctx.index_status()["chunks"] == 0


def test_an_index_written_by_the_cli_is_picked_up(live_app: LiveApp) -> None:
    c = client(live_app)
    note = Path(live_app.settings.corpus_dir) / "2025-03-02.md"
    generation = live_app.ctx.generation
    try:
        note.write_text(
            "# TIL\n\n## 날짜: 2025-03-02\n\n### 해시 테이블(Hash Table)\n\n"
            "키를 해시 함수로 바꾼 위치에 값을 저장해 평균 O(1)에 찾는 자료 구조이다.\n",
            encoding="utf-8",
        )
        sync_index(live_app.settings)  # what `python -m ingest` does, outside the app's job
        assert poll(lambda: "2025-03-02.md" in library_sources(c), timeout=30)
        assert live_app.ctx.generation > generation
        _, sources, _ = c.predict("해시 테이블(Hash Table)이란 무엇인가요?", api_name="/ask")
        assert "2025-03-02.md" in sources
    finally:
        note.unlink(missing_ok=True)
        sync_index(live_app.settings)
    assert poll(lambda: "2025-03-02.md" not in library_sources(c), timeout=30)


def test_the_date_picker_asks_for_that_days_digest(seed_settings: Settings) -> None:
    from webui.chat import day_question

    ctx = AppContext(seed_settings)
    label, day = ctx.views().days[0]
    assert label.startswith(day)
    answer = ctx.assistant.ask(day_question(day))
    assert answer.mode == "digest" and answer.citations
    assert {c.source for c in answer.citations} == {"2025-02-11.md"}
