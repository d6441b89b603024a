"""webui/context.py: the services every session shares, on a real index; and the launched
app picking up an index that ``python -m ingest`` wrote while it ran."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import LiveApp, client, library_sources, live_app_for, poll

from ingest.sync import sync_index
from rag.config import Settings
from webui.context import AppContext
from webui.views.library import LIBRARY_HEADERS


@pytest.fixture(scope="module")
def live_app(request: pytest.FixtureRequest) -> LiveApp:
    return live_app_for(request)


def test_views_follow_the_index_generation(seed_settings: Settings) -> None:
    ctx = AppContext(seed_settings)
    views = ctx.views()
    assert views.examples and views.topics and "노트 **1**개" in views.summary
    assert [day for _, day in views.days] == ["2025-02-11"]
    assert any(row[LIBRARY_HEADERS.index("출처 (source)")] == "2025-02-11.md" for row in views.rows)
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


def test_the_next_question_answers_from_an_index_written_by_the_cli(live_app: LiveApp) -> None:
    """No tab is opened and nothing is polled: the question itself notices the new index."""
    c = client(live_app)
    note = Path(live_app.settings.corpus_dir) / "2025-03-03.md"
    try:
        note.write_text(
            "# TIL\n\n## 날짜: 2025-03-03\n\n### 블룸 필터(Bloom Filter)\n\n"
            "여러 해시 함수로 비트 배열에 표시해 집합에 없음을 확실히 알려 주는 자료 구조이다.\n",
            encoding="utf-8",
        )
        sync_index(live_app.settings)
        _, sources, _ = c.predict("블룸 필터(Bloom Filter)란 무엇인가요?", api_name="/ask")
        assert "2025-03-03.md" in sources
    finally:
        note.unlink(missing_ok=True)
        sync_index(live_app.settings)


def test_a_symlink_out_of_the_corpus_is_never_indexed_or_served(
    live_app: LiveApp, tmp_path: Path
) -> None:
    import httpx

    from rag.index.store import ChunkStore

    secret = tmp_path / "secret.md"
    secret.write_text("# 비밀\n\n금고 비밀번호는 zebra-4471 이다.\n", encoding="utf-8")
    link = Path(live_app.settings.corpus_dir) / "leak.md"
    c = client(live_app)
    try:
        link.symlink_to(secret)
        report = sync_index(live_app.settings)
        assert [row["source"] for row in report.notes_skipped] == ["leak.md"]
        store = ChunkStore.load(live_app.settings.index_dir)
        assert store is not None
        assert not any("zebra" in d.page_content for d in store.docs)
        assert "leak.md" not in (store.manifest.get("sources") or {})
        answer, sources, _ = c.predict("금고 비밀번호 zebra-4471", api_name="/ask")
        # The refusal may echo the question; the note's sentence must appear nowhere.
        assert "비밀번호는" not in f"{answer} {sources}" and "leak.md" not in sources
        for path in (secret, link):
            for form in (str(path), str(path).replace("/", "%2f")):
                got = httpx.get(f"{live_app.url}gradio_api/file={form}", timeout=10)
                assert got.status_code != 200 or "비밀번호는" not in got.text
    finally:
        link.unlink(missing_ok=True)
        sync_index(live_app.settings)
