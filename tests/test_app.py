"""``python app.py``, the launcher: flags to settings, the bind/auth check, and the launched
app itself (free port, real index built at start-up from a tmp copy of the seed note) as a
browser or gradio_client sees it.

The live app is shared by every UI test module (tests/test_webui_*.py, tests/test_browser.py)
through :func:`live_app_for`: building its index is the slow part, so one session builds it
once and closes it at the end.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import app
from rag.config import Settings
from webui.context import AppContext
from webui.views.links import note_href

ROOT = Path(__file__).resolve().parents[1]
SEED_NOTE = ROOT / "corpus" / "2025-02-11.md"
BUILD_TIMEOUT = 240.0  # generous for a loaded 2-core CI box; a normal build takes ~10-20 s


# ============================================================================ live app


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
    ctx: AppContext
    settings: Settings
    first_page_s: float  # build_app + launch + first HTTP 200, with no index yet
    state_at_first_page: str  # the index job's state when the page first answered


_LIVE: dict[str, LiveApp] = {}
_LIVE_LOCK = threading.Lock()


def _start(base: Path) -> LiveApp:
    """Start like a first run, with no index, so start-up building is exercised."""
    settings = tmp_settings(base)
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
    ctx: AppContext = demo.til_context
    state = ctx.job.status().state
    assert response.status_code == 200
    assert ctx.job.wait(BUILD_TIMEOUT), "the start-up index build did not finish"
    assert ctx.job.status().state == "done", ctx.job.status()
    return LiveApp(url, demo, ctx, settings, first_page, state)


def close_live_app() -> None:
    with _LIVE_LOCK:
        live = _LIVE.pop("app", None)
    if live is not None:
        live.ctx.watcher.stop()
        live.demo.close()


def live_app_for(request: pytest.FixtureRequest) -> LiveApp:
    """The session's one live app, started on first use and closed when the session ends."""
    with _LIVE_LOCK:
        if "app" not in _LIVE:
            factory = request.getfixturevalue("tmp_path_factory")
            _LIVE["app"] = _start(factory.mktemp("app"))
            request.config.add_cleanup(close_live_app)
        return _LIVE["app"]


@pytest.fixture(scope="module")
def live_app(request: pytest.FixtureRequest) -> LiveApp:
    return live_app_for(request)


def client(live: LiveApp) -> Any:
    from gradio_client import Client

    return Client(live.url, verbose=False, download_files=str(live.settings.index_dir))


def library_sources(c: Any) -> set[str]:
    """The sources the library tab lists, as a student refreshing it sees them."""
    _, rows, _ = c.predict(api_name="/library")
    data = rows["data"] if isinstance(rows, dict) else rows
    from webui.views.library import LIBRARY_HEADERS

    column = LIBRARY_HEADERS.index("출처 (source)")
    return {r[column] for r in data}


def poll(check: Callable[[], bool], timeout: float = 90.0, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


# ============================================================================ launcher


def test_bind_error_requires_auth_off_loopback() -> None:
    assert app.bind_error(Settings()) == ""
    assert app.bind_error(Settings(host="localhost")) == ""
    assert "TIL_AUTH_PASSWORD" in app.bind_error(Settings(host="0.0.0.0"))
    assert app.bind_error(Settings(host="0.0.0.0", auth_user="me")) != ""
    assert app.bind_error(Settings(host="0.0.0.0", auth_user="me", auth_password="pw")) == ""
    assert app.bind_error(Settings(share=True)) != ""


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


def test_main_refuses_a_missing_notes_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TIL_HOST", raising=False)
    code = app.main(["--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "idx")])
    assert code == 2 and "노트 폴더가 없습니다" in capsys.readouterr().err


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
    ok = httpx.get(live_app.url + note_href("2025-02-11.md", note.parent), timeout=30)
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
