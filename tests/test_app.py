"""The Gradio app: rag/ui.py behaviour tested directly, then the real app launched in-process
(free port, real index built at start-up from a tmp copy of the seed note) and driven with
gradio_client like a user would: ask, quiz, re-index, watch folder.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.documents import Document

import app
from rag import ui
from rag.answer import QuestionError
from rag.answer.citations import Citation
from rag.assistant import Assistant
from rag.config import Settings
from rag.index.store import ChunkStore, IndexMissingError

ROOT = Path(__file__).resolve().parents[1]
SEED_NOTE = ROOT / "corpus" / "2025-02-11.md"
BUILD_TIMEOUT = 240.0  # generous for a loaded 2-core CI box; a normal build takes ~10-20 s


# ============================================================================ live app fixture


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tmp_settings(base: Path) -> Settings:
    """Everything under ``base``; offline, so the linked pages fail fast as 'not cached'."""
    corpus = base / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED_NOTE, corpus / SEED_NOTE.name)
    return Settings(
        corpus_dir=corpus,
        index_dir=base / "index",
        cache_dir=base / "cache",
        review_db=base / "index" / "reviews.sqlite3",
        offline=True,
    )


@dataclass
class LiveApp:
    url: str
    demo: Any
    ctx: app.AppContext
    settings: Settings
    first_page_s: float  # build_app + launch + first HTTP 200, with no index yet
    state_at_first_page: str  # the index job's state when the page first answered


_LIVE: dict[str, LiveApp] = {}
_LIVE_LOCK = threading.Lock()


def shared_live_app(make_dir: Callable[[], Path]) -> LiveApp:
    """One app per test session, shared with tests/test_browser.py (building the index is the
    slow part). It starts with no index, like a first run, so start-up building is exercised."""
    with _LIVE_LOCK:
        if "app" in _LIVE:
            return _LIVE["app"]
        settings = tmp_settings(make_dir())
        t0 = time.perf_counter()
        demo = app.build_app(settings)
        port = free_port()
        demo.launch(
            prevent_thread_lock=True,
            server_name="127.0.0.1",
            server_port=port,
            ssr_mode=False,
            quiet=True,
        )
        url = f"http://127.0.0.1:{port}/"
        response = httpx.get(url, timeout=30)
        first_page = time.perf_counter() - t0
        ctx: app.AppContext = demo.til_context
        state = ctx.job.status().state
        assert response.status_code == 200
        assert ctx.job.wait(BUILD_TIMEOUT), "the start-up index build did not finish"
        assert ctx.job.status().state == "done", ctx.job.status()
        _LIVE["app"] = LiveApp(url, demo, ctx, settings, first_page, state)
        return _LIVE["app"]


def close_live_app() -> None:
    with _LIVE_LOCK:
        live = _LIVE.pop("app", None)
    if live is not None:
        live.ctx.watcher.stop()
        live.demo.close()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    live = shared_live_app(lambda: tmp_path_factory.mktemp("app"))
    yield live
    close_live_app()


@pytest.fixture(scope="session")
def store(live_app: LiveApp) -> ChunkStore:
    loaded = ChunkStore.load(live_app.settings.index_dir)
    assert loaded is not None
    return loaded


@pytest.fixture(scope="session")
def assistant(live_app: LiveApp) -> Assistant:
    return live_app.ctx.assistant


def client(live_app: LiveApp) -> Any:
    from gradio_client import Client

    return Client(live_app.url, verbose=False, download_files=str(live_app.settings.index_dir))


def text_of(message: dict[str, Any]) -> str:
    return ui.message_text(message)


# ============================================================================ highlighting


def test_highlight_escapes_html_and_marks_terms() -> None:
    text = '<script>alert("x")</script> 파드는 Pod & <b>가장 작은</b> 단위'
    out = ui.highlight(text, ["파드", "pod", "단위"])
    assert "<script>" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out and "&amp;" in out and "&quot;" in out
    assert "<mark>파드</mark>는" in out
    assert "<mark>Pod</mark>" in out  # case-insensitive, original case kept
    assert out.count("<mark>") == 3


def test_highlight_never_marks_inside_an_entity() -> None:
    # "lt" and "amp" must not match the escaped forms of "<" and "&".
    out = ui.highlight("a < b & c", ["lt", "amp"])
    assert out == "a &lt; b &amp; c"


def test_highlight_prefers_the_longer_term() -> None:
    out = ui.highlight("쿠버네티스 클러스터", ["쿠버", "쿠버네티스"])
    assert out == "<mark>쿠버네티스</mark> 클러스터"


def test_match_terms_uses_the_question_morphemes() -> None:
    terms = ui.match_terms("하이퍼바이저(Hypervisor)란 무엇인가요?")
    assert "하이퍼바이저" in terms and "hypervisor" in terms
    assert "무엇" not in terms and all(len(t) >= 2 for t in terms)


# ============================================================================ source cards


def _citation(n: int, **kw: Any) -> Citation:
    base: dict[str, Any] = {
        "n": n,
        "source": "2025-02-11.md",
        "kind": "note",
        "title": "TIL",
        "section": "쿠버네티스 구성 요소 > 파드(Pod)",
        "url": "",
        "snippet": "파드는 가장 작은 컴퓨팅 단위",
        "start_line": 80,
        "end_line": 82,
    }
    return Citation(**(base | kw))


def test_source_cards_show_number_breadcrumb_snippet_and_location() -> None:
    html = ui.source_cards_html([_citation(2), _citation(1)], "파드란?")
    assert html.index('id="src-1"') < html.index('id="src-2"')
    assert "[1]" in html and "[2]" in html
    assert "쿠버네티스 구성 요소 › <mark>파드</mark>(Pod)" in html
    assert "<mark>파드</mark>" in html
    assert "2025-02-11.md:80-82" in html


def test_source_cards_escape_titles_and_drop_unsafe_links() -> None:
    evil = _citation(
        1,
        kind="reference",
        title="<img src=x onerror=alert(1)>",
        url="javascript:alert(1)",
        source="javascript:alert(1)",
        snippet="<script>x</script>",
    )
    html = ui.source_cards_html([evil], "x")
    assert "<img" not in html and "<script>" not in html
    assert 'href="javascript' not in html
    good = _citation(1, kind="reference", url="https://kubernetes.io/ko/docs/?a=1&b=2")
    html = ui.source_cards_html([good], "x")
    assert 'href="https://kubernetes.io/ko/docs/?a=1&amp;b=2"' in html
    assert 'rel="noopener noreferrer"' in html


def test_note_links_stay_inside_the_corpus(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# a", encoding="utf-8")
    assert ui.note_href("a.md", tmp_path).startswith("gradio_api/file=")
    assert ui.note_href("../etc/passwd", tmp_path) == ""
    assert ui.note_href("missing.md", tmp_path) == ""


def test_cards_number_like_the_answer_markers(assistant: Assistant, live_app: LiveApp) -> None:
    question = "파드(Pod)란 무엇인가요?"
    answer = assistant.ask(question)
    assert not answer.refused and answer.citations
    markers = ui.cited_numbers(answer.answer)
    assert markers == [c.n for c in answer.citations] == list(range(1, len(markers) + 1))
    html = ui.source_cards_html(answer.citations, question, live_app.settings.corpus_dir)
    positions = [html.index(f'id="src-{n}"') for n in markers]
    assert positions == sorted(positions)
    assert "<mark>" in html
    assert "gradio_api/file=" in html  # the note opens through the app's file route
    footer = ui.sources_footer(answer.citations)
    assert all(f"[{n}]" in footer for n in markers)


# ============================================================================ example questions


def test_topic_questions_use_the_right_particle() -> None:
    assert ui.topic_question("하이퍼바이저(Hypervisor)") == "하이퍼바이저(Hypervisor)란 무엇인가요?"
    assert ui.topic_question("가상 머신(Virtual Machine)") == (
        "가상 머신(Virtual Machine)이란 무엇인가요?"
    )
    assert ui.topic_question("Docker") == "Docker에 대해 설명해 주세요."
    assert ui.comparison_question("가상 머신(VM)", "컨테이너(Container)") == (
        "가상 머신과 컨테이너의 차이는 무엇인가요?"
    )
    assert (
        ui.comparison_question("도커(Docker)", "컨테이너") == "도커와 컨테이너의 차이는 무엇인가요?"
    )


def test_examples_come_from_the_notes_not_a_fixed_list(store: ChunkStore) -> None:
    examples = ui.example_questions(store)
    assert "하이퍼바이저(Hypervisor)란 무엇인가요?" in examples
    assert not any(word in q for q in examples for word in ("스크럼", "회고", "참고 자료"))
    # Another note, other headings: other examples.
    doc = Document(
        page_content="이진 탐색(Binary Search)\n정렬된 배열을 절반씩 나누어 찾는다.",
        metadata={
            "kind": "note",
            "source": "2025-03-01.md",
            "section": "알고리즘 > 이진 탐색(Binary Search)",
            "date": "2025-03-01",
            "chunk_id": "x1",
        },
    )
    other = ChunkStore([doc], [["이진", "탐색"]], {})
    assert ui.example_questions(other) == ["이진 탐색(Binary Search)이란 무엇인가요?"]
    assert ui.example_questions(None) == []


def test_example_questions_are_answered_from_the_notes(
    store: ChunkStore, assistant: Assistant
) -> None:
    for question in ui.example_questions(store):
        answer = assistant.ask(question)
        assert not answer.refused, (question, answer.answer)
        assert answer.citations


# ============================================================================ library


def test_library_rows_cover_every_source_with_status(store: ChunkStore) -> None:
    rows = ui.library_rows(store.manifest)
    assert len(rows) == len(store.manifest["sources"])
    note = rows[0]
    assert note[0].startswith("노트") and note[2] == "2025-02-11.md"
    assert note[3].startswith("색인됨") and note[4] > 0 and note[5]
    failed = [r for r in rows if r[3].startswith("실패")]
    assert failed, "offline: the linked pages are not cached and must show as failed"
    assert all(r[6] for r in failed)  # every failure says why
    # A page that never loaded is named by the note's link text, not by its URL again.
    assert any(r[1] != r[2] for r in failed)
    assert ui.library_rows(None) == []


def test_library_rows_order_and_labels() -> None:
    manifest = {
        "sources": {
            "https://b.example/": {
                "kind": "reference",
                "title": "B",
                "state": "cached",
                "chunks": 3,
                "indexed_at": "2025-02-11T03:04:05+00:00",
            },
            "z.md": {"kind": "note", "title": "Z", "state": "indexed", "chunks": 2},
            "a.md": {"kind": "note", "title": "A", "state": "failed", "reason": "bad utf-8"},
        }
    }
    rows = ui.library_rows(manifest)
    assert [r[2] for r in rows] == ["a.md", "z.md", "https://b.example/"]
    assert rows[0][3] == "실패 (failed)" and rows[0][6] == "bad utf-8"
    assert rows[2][3] == "캐시 사용 (cached)" and rows[2][5].startswith("2025-02-11")


def test_report_markdown_lists_changes_and_failures() -> None:
    report = {
        "notes": 2,
        "notes_failed": [{"source": "bad.md", "reason": "not UTF-8"}],
        "references": {
            "fetched": 1,
            "cached": 2,
            "failed": [{"url": "https://x/", "reason": "404"}],
        },
        "chunks": {"added": 3, "deleted": 1, "unchanged": 40, "total": 42},
        "seconds": 1.25,
    }
    text = ui.report_markdown(report)
    for piece in ("추가 **3**", "삭제 **1**", "변경 없음 **40**", "https://x/", "404", "bad.md"):
        assert piece in text


# ============================================================================ safety


def test_bind_error_requires_auth_off_loopback() -> None:
    assert ui.bind_error(Settings()) == ""
    assert ui.bind_error(Settings(host="localhost")) == ""
    assert "TIL_AUTH_PASSWORD" in ui.bind_error(Settings(host="0.0.0.0"))
    assert ui.bind_error(Settings(host="0.0.0.0", auth_user="me")) != ""
    assert ui.bind_error(Settings(host="0.0.0.0", auth_user="me", auth_password="pw")) == ""
    assert ui.bind_error(Settings(share=True)) != ""


def test_main_refuses_a_public_host_without_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("TIL_AUTH_USER", "TIL_AUTH_PASSWORD", "TIL_HOST", "TIL_SHARE"):
        monkeypatch.delenv(var, raising=False)
    started = time.perf_counter()
    code = app.main(["--host", "0.0.0.0", "--index", str(tmp_path / "idx"), "--port", "1"])
    assert code == 2
    assert time.perf_counter() - started < 5  # refused before building or launching anything
    err = capsys.readouterr().err
    assert "TIL_AUTH_USER" in err and "0.0.0.0" in err
    assert not (tmp_path / "idx").exists()


def test_launch_kwargs_pass_auth_and_share() -> None:
    kw = app.launch_kwargs(Settings(host="0.0.0.0", port=9999, auth_user="u", auth_password="p"))
    assert kw["auth"] == ("u", "p") and kw["server_name"] == "0.0.0.0" and kw["share"] is False
    assert app.launch_kwargs(Settings())["auth"] is None


def test_flags_map_to_settings(tmp_path: Path) -> None:
    args = app.parse_args(
        ["--host", "127.0.0.1", "--port", "7999", "--corpus", str(tmp_path), "--index", "ix"]
    )
    settings = app.settings_from_args(args)
    assert settings.port == 7999 and settings.corpus_dir == tmp_path
    assert settings.index_dir == Path("ix") and settings.review_db == Path("ix/reviews.sqlite3")


# ============================================================================ errors


def test_friendly_errors_never_show_a_traceback(tmp_path: Path) -> None:
    assert ui.friendly_error(QuestionError("질문을 입력해 주세요.")).startswith("⚠️ 질문을")
    assert "노트 관리" in ui.friendly_error(IndexMissingError("x"))
    assert "Traceback" not in ui.friendly_error(RuntimeError("boom"))
    # A chat turn on an index that does not exist: a message, no exception, no history.
    empty = Assistant(Settings(index_dir=tmp_path / "none", corpus_dir=tmp_path))
    turns = list(ui.chat_turn(empty, "파드란?", [], []))
    assert "색인이 없습니다" in text_of(turns[-1].messages[-1])
    assert turns[-1].history == []


# ============================================================================ quiz state machine


def test_quiz_session_answer_grade_next_final_score(store: ChunkStore, live_app: LiveApp) -> None:
    from rag import quiz

    result = quiz.generate_quiz(store, live_app.settings, n=3, seed=7)
    assert result.items
    session = ui.quiz_start(result.items)
    assert session.phase == "asking" and session.current is result.items[0]
    with pytest.raises(ui.QuizStateError):
        ui.quiz_next(session)  # cannot skip without answering
    first = ui.quiz_answer(session, str(result.items[0].answer), quiz.grade)
    assert first.correct and session.phase == "graded"
    view = ui.quiz_view(session)
    assert view.can_next and not view.can_submit and "✅" in view.feedback
    with pytest.raises(ui.QuizStateError):
        ui.quiz_answer(session, "again", quiz.grade)  # no double submit
    for _ in range(1, len(result.items)):
        ui.quiz_next(session)
        assert session.phase == "asking"
        ui.quiz_answer(session, "전혀 관계없는 오답", quiz.grade)
    ui.quiz_next(session)
    assert session.phase == "done" and session.current is None
    assert session.correct_count == 1
    score = ui.score_markdown(session)
    assert f"1 / {len(result.items)}" in score
    assert ui.quiz_view(session).can_export


def test_quiz_start_without_items_stays_idle() -> None:
    session = ui.quiz_start([], "없는 주제", "")
    assert session.phase == "idle" and session.message
    assert not ui.quiz_view(session).can_submit


# ============================================================================ index job


def test_index_job_reports_a_busy_index(live_app: LiveApp) -> None:
    from ingest.index import index_lock

    job = ui.IndexJob(live_app.settings)
    with index_lock(Path(live_app.settings.index_dir)):
        assert job.start("manual")
        assert job.wait(60)
    status = job.status()
    assert status.state == "busy" and "다른 색인 작업이 진행 중입니다" in status.error
    assert "다른 색인 작업이 진행 중입니다" in ui.job_markdown(status)


# ============================================================================ watcher, banner


def test_note_paths_follow_the_ingest_rule(tmp_path: Path) -> None:
    assert ui.is_note_path(tmp_path / "a.md", tmp_path)
    assert ui.is_note_path(tmp_path / "sub" / "b.md", tmp_path)
    assert not ui.is_note_path(tmp_path / ".git" / "c.md", tmp_path)
    assert not ui.is_note_path(tmp_path / "a.md.swp", tmp_path)
    assert not ui.is_note_path(tmp_path / "notes.txt", tmp_path)
    assert not ui.is_note_path(tmp_path.parent / "elsewhere.md", tmp_path)


def test_folder_watcher_reports_saved_notes_only(tmp_path: Path) -> None:
    seen: list[list[str]] = []
    got = threading.Event()

    def on_change(paths: list[str]) -> None:
        seen.append(paths)
        got.set()

    watcher = ui.FolderWatcher(tmp_path, on_change, debounce_ms=200)
    try:
        assert watcher.start()
        (tmp_path / "scratch.txt").write_text("not a note", encoding="utf-8")
        (tmp_path / "new.md").write_text("# 새 노트", encoding="utf-8")
        assert got.wait(20), "the watcher never reported the new note"
        flat = [Path(p).name for batch in seen for p in batch]
        assert "new.md" in flat and "scratch.txt" not in flat
        assert watcher.last_changes == ["new.md"]
    finally:
        watcher.stop()
    assert not watcher.running
    assert not ui.FolderWatcher(tmp_path / "missing", on_change).start()


def test_banner_shows_progress_then_fades() -> None:
    running = ui.JobStatus(state="running", trigger="startup", message="임베딩", fraction=0.42)
    assert "42%" in ui.banner_markdown(running) and "처음 색인" in ui.banner_markdown(running)
    report = {"chunks": {"added": 2, "deleted": 1, "unchanged": 5, "total": 7}}
    done = ui.JobStatus(state="done", report=report, finished_at=100.0)
    assert "추가 2" in ui.banner_markdown(done, now=105.0)
    assert ui.banner_markdown(done, now=200.0) == ""
    assert ui.banner_markdown(ui.JobStatus()) == ""


# ============================================================================ the app, for real


def test_page_opened_while_the_index_was_built(live_app: LiveApp) -> None:
    # The first run had no index: the page answered before the build finished.
    assert live_app.state_at_first_page == "running"
    assert live_app.ctx.job.last("startup") is not None
    response = httpx.get(live_app.url + "config", timeout=30)
    assert response.status_code == 200 and response.json()["components"]


def test_api_names_are_stable(live_app: LiveApp) -> None:
    api = client(live_app).view_api(return_format="dict", print_info=False)
    names = set(api["named_endpoints"])
    assert {
        "/ask",
        "/clear_chat",
        "/quiz_start",
        "/quiz_submit",
        "/quiz_next",
        "/quiz_export_csv",
        "/quiz_export_apkg",
        "/reindex",
        "/library",
        "/watch",
        "/index_status",
    } <= names
    status = client(live_app).predict(api_name="/index_status")
    assert status["state"] == "done" and status["chunks"] > 0 and status["mode"]


def test_only_registered_note_files_are_served(live_app: LiveApp) -> None:
    note = Path(live_app.settings.corpus_dir, "2025-02-11.md").resolve()
    ok = httpx.get(live_app.url + ui.note_href("2025-02-11.md", note.parent), timeout=30)
    assert ok.status_code == 200 and "## 날짜" in ok.text
    for path in ("/etc/passwd", str(Path(live_app.settings.index_dir, "chunks.json").resolve())):
        denied = httpx.get(live_app.url + "gradio_api/file=" + path, timeout=30)
        assert denied.status_code in {403, 404}, path


def test_auth_is_enforced_when_configured(live_app: LiveApp) -> None:
    from gradio_client import Client

    settings = Settings(
        corpus_dir=live_app.settings.corpus_dir,
        index_dir=live_app.settings.index_dir,
        review_db=live_app.settings.review_db,
        offline=True,
        auth_user="student",
        auth_password="s3cret",
        port=free_port(),
    )
    demo = app.build_app(settings, build_missing=False)
    demo.launch(prevent_thread_lock=True, quiet=True, **app.launch_kwargs(settings))
    url = f"http://127.0.0.1:{settings.port}/"
    try:
        assert httpx.get(url + "config", timeout=30).status_code in {401, 403}
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a bare ValueError
            Client(url, verbose=False, auth=("student", "wrong"))
        authed = Client(url, verbose=False, auth=("student", "s3cret"))
        chat, sources, _ = authed.predict("파드란 무엇인가요?", api_name="/ask")
        assert 'id="src-1"' in sources
    finally:
        demo.til_context.watcher.stop()
        demo.close()


def test_chat_answers_with_cited_sources_and_follow_ups(live_app: LiveApp) -> None:
    c = client(live_app)
    chat, sources, box = c.predict("쿠버네티스 레플리카셋은 무엇을 보장하나요?", api_name="/ask")
    answer = text_of(chat[-1])
    assert "[1]" in answer and box == ""
    assert 'id="src-1"' in sources and "<mark>" in sources
    for n in ui.cited_numbers(answer):
        assert f'id="src-{n}"' in sources
    # A follow-up in the same session sees the conversation.
    chat, _, _ = c.predict("그럼 디플로이먼트는?", api_name="/ask")
    assert len(chat) == 4 and "[1]" in text_of(chat[-1])
    # Another session starts empty (per-session state).
    other, _, _ = client(live_app).predict("파드란 무엇인가요?", api_name="/ask")
    assert len(other) == 2
    chat, sources = c.predict(api_name="/clear_chat")
    assert chat == [] and 'id="src-' not in sources


def test_chat_refusal_and_errors_are_friendly(live_app: LiveApp) -> None:
    c = client(live_app)
    chat, sources, _ = c.predict("Terraform으로 AWS VPC를 만드는 방법은?", api_name="/ask")
    last = chat[-1]
    assert "노트에 없는 내용입니다" in text_of(last)
    assert last.get("options"), "suggested topics are clickable options"
    assert 'id="src-' not in sources
    chat, _, _ = c.predict("   ", api_name="/ask")
    assert "질문을 입력해 주세요" in text_of(chat[-1])
    chat, _, _ = c.predict("가" * 1200, api_name="/ask")
    assert "너무 깁니다" in text_of(chat[-1])
    assert "Traceback" not in str(chat)


def _answer_current(c: Any, choice: dict[str, Any], text: dict[str, Any]) -> tuple:
    """Answer like a student: the first option of a radio question, or a typed answer."""
    if choice.get("visible"):
        return c.predict(choice["choices"][0][0], None, api_name="/quiz_submit")
    assert text.get("visible")
    return c.predict(None, "모르겠어요", api_name="/quiz_submit")


def test_quiz_round_trip(live_app: LiveApp) -> None:
    c = client(live_app)
    status, question, choice, text, feedback, score = c.predict("", 2, api_name="/quiz_start")
    assert "문제 1 / 2" in question and feedback == ""
    _, _, _, _, feedback, _ = _answer_current(c, choice, text)
    assert ("✅" in feedback or "❌" in feedback) and "quiz-source" in feedback
    _, question, choice, text, feedback, _ = c.predict(api_name="/quiz_next")
    assert "문제 2 / 2" in question and feedback == ""
    _answer_current(c, choice, text)
    status, question, _, _, _, score = c.predict(api_name="/quiz_next")
    assert "최종 점수" in score and "마쳤습니다" in status and question == ""
    for endpoint, suffix in (("/quiz_export_csv", ".csv"), ("/quiz_export_apkg", ".apkg")):
        out = c.predict(api_name=endpoint)
        # The handler shows the (initially hidden) File component: an update with the value.
        value = out.get("value", out) if isinstance(out, dict) else out
        path = Path(value["path"] if isinstance(value, dict) else value)
        assert path.suffix == suffix and path.stat().st_size > 0
    assert Path(live_app.settings.review_db).exists()
    # A topic from the dropdown's own list works as a quiz topic.
    from rag import quiz

    topic = quiz.list_topics(ChunkStore.load(live_app.settings.index_dir))[0]
    _, question, *_ = c.predict(topic, 1, api_name="/quiz_start")
    assert "문제 1 / 1" in question


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
        assert "[1]" in text_of(chat[-1]) and 'id="src-1"' in sources
    report, summary, rows, _ = results["reindex"]
    assert "변경 없음" in report and "추가 **0**" in report
    assert "노트 **1**개" in summary
    data = rows["data"] if isinstance(rows, dict) else rows
    assert any(r[2] == "2025-02-11.md" for r in data)


def test_reindex_while_another_holds_the_lock(live_app: LiveApp) -> None:
    from ingest.index import index_lock

    with index_lock(Path(live_app.settings.index_dir)):
        report, *_ = client(live_app).predict(api_name="/reindex")
    assert "다른 색인 작업이 진행 중입니다" in report


def _library_sources(c: Any) -> set[str]:
    _, rows, _ = c.predict(api_name="/library")
    data = rows["data"] if isinstance(rows, dict) else rows
    return {r[2] for r in data}


def _poll(check: Callable[[], bool], timeout: float = 90.0, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


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
        assert _poll(lambda: "2025-03-01.md" in _library_sources(c)), "new note never indexed"
        chat, sources, _ = c.predict("이진 탐색(Binary Search)이란 무엇인가요?", api_name="/ask")
        assert "2025-03-01.md" in sources and "[1]" in text_of(chat[-1])
        _, _, watch_text = c.predict(api_name="/library")
        assert "마지막 자동 색인" in watch_text
        note.unlink()
        assert _poll(lambda: "2025-03-01.md" not in _library_sources(c)), "deletion not seen"
    finally:
        note.unlink(missing_ok=True)
        assert "꺼짐" in c.predict(False, api_name="/watch")
    assert not live_app.ctx.watcher.running
    assert live_app.ctx.job.wait(60)


def test_an_index_written_by_the_cli_is_picked_up(live_app: LiveApp) -> None:
    from ingest.index import sync_index

    c = client(live_app)
    note = Path(live_app.settings.corpus_dir) / "2025-03-02.md"
    try:
        note.write_text(
            "# TIL\n\n## 날짜: 2025-03-02\n\n### 해시 테이블(Hash Table)\n\n"
            "키를 해시 함수로 바꾼 위치에 값을 저장해 평균 O(1)에 찾는 자료 구조이다.\n",
            encoding="utf-8",
        )
        sync_index(live_app.settings)  # what `python -m ingest` does, outside the app's job
        assert _poll(lambda: "2025-03-02.md" in _library_sources(c), timeout=30)
        _, sources, _ = c.predict("해시 테이블(Hash Table)이란 무엇인가요?", api_name="/ask")
        assert "2025-03-02.md" in sources
    finally:
        note.unlink(missing_ok=True)
        sync_index(live_app.settings)
    assert _poll(lambda: "2025-03-02.md" not in _library_sources(c), timeout=30)
