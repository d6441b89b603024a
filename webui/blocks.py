"""The whole UI: header, index banner, the three tabs, and the per-session refresh.

Nothing heavy happens before the server is up: the index, models, examples and topics load
in the background (or, with no index yet, the index is built) and each browser session fills
its views on load and after every re-index.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.config import Settings
from rag.index.store import index_version
from webui.chat import ChatTab, build_chat_tab
from webui.context import AppContext
from webui.library import LibraryTab, build_library_tab
from webui.quiz import QuizTab, build_quiz_tab
from webui.views.library import banner_markdown
from webui.views.quiz import topic_choices

if TYPE_CHECKING:
    from rag.assistant import Assistant

TITLE = "TIL 학습 도우미"
REFRESH_S = 1.0  # how soon a session sees a re-index (banner, examples, topics, rows)
DEFAULT_CONCURRENCY = 2  # two cores: more parallel handlers only slow each other down


class StudyBlocks(gr.Blocks):
    """``gr.Blocks`` that says when ``launch()`` has finished its own start-up checks.

    Background work (the first index build, model warm-up) waits for that: started during
    the launch, it competes for the GIL and the two cores with Gradio's self-check of the new
    server (a HEAD request with a 3 s timeout), which then fails and aborts the launch.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.launching = threading.Event()
        self.launched = threading.Event()

    def launch(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.launching.set()
        block = not kwargs.pop("prevent_thread_lock", False)
        kwargs.setdefault("ssr_mode", False)  # SSR needs a Node server; it only slows the start
        try:
            result = super().launch(*args, prevent_thread_lock=True, **kwargs)
        finally:
            self.launched.set()
        if block:
            self.block_thread()
        return result

    def wait_for_launch(self, grace: float = 1.0, limit: float = 60.0) -> None:
        """Block while a launch is in progress. Callers of ``build_app`` launch right away;
        one that never launches (a benchmark timing warm-up) loses at most ``grace``."""
        if self.launching.wait(grace):
            self.launched.wait(limit)


def build_app(
    settings: Settings, assistant: Assistant | None = None, build_missing: bool = True
) -> StudyBlocks:
    """The UI over one :class:`AppContext`; ``demo.til_context`` is that context (for tests
    and benchmarks). With no index yet and ``build_missing``, the index is built once the
    server is up; otherwise the models warm up then."""
    ctx = AppContext(settings, assistant)
    has_index = index_version(settings) is not None

    with StudyBlocks(title=TITLE, analytics_enabled=False) as demo:
        demo.til_context = ctx  # type: ignore[attr-defined]
        gr.Markdown(
            f"# 📚 {TITLE} · TIL study assistant\n"
            f"답변 방식 (answer mode): **{ctx.mode_label}** · "
            f"노트 폴더: `{settings.corpus_dir}`",
            elem_id="app-header",
        )
        banner = gr.Markdown(banner_markdown(ctx.job.status()), elem_id="index-banner")
        chat = build_chat_tab(ctx)
        quiz = build_quiz_tab(ctx)
        library = build_library_tab(ctx)
        _wire_refresh(demo, ctx, banner, (chat, quiz, library))
        demo.load(lambda: ctx.watcher.running, None, library.watch, api_visibility="private")

    demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY)
    # Background work starts once launch() is done, so the first page is not slowed by it.
    if not has_index and build_missing:
        ctx.warmed.set()
        ctx.job.start("startup", before=demo.wait_for_launch)
    else:
        ctx.warm_async(before=demo.wait_for_launch)
    if settings.watch:
        ctx.watcher.start()
    return demo


def _wire_refresh(
    demo: gr.Blocks,
    ctx: AppContext,
    banner: gr.Markdown,
    tabs: tuple[ChatTab, QuizTab, LibraryTab],
) -> None:
    """Per session, once a second: the banner while an index job runs, and fresh examples,
    topics and library rows after the index changed. Unchanged parts are skipped, so an idle
    page sends almost nothing."""
    chat, quiz, library = tabs
    seen = gr.State({"gen": -1, "banner": None})

    def changed(state: dict, key: str, value: str) -> bool:
        if state.get(key) == value:
            return False
        state[key] = value
        return True

    def refresh(state: dict) -> tuple:
        state = dict(state or {})
        ctx.sync_with_disk()  # a `python -m ingest` run while the app is open shows up too
        text = banner_markdown(ctx.job.status())
        banner_out = gr.update(value=text, visible=bool(text))
        if not changed(state, "banner", text):
            banner_out = gr.skip()
        watch = ctx.watch_text()
        watch_out = watch if changed(state, "watch", watch) else gr.skip()
        if state.get("gen") == ctx.generation:
            skip = gr.skip()
            return state, banner_out, skip, skip, skip, skip, skip, watch_out
        state["gen"] = ctx.generation
        views = ctx.views()
        return (
            state,
            banner_out,
            gr.Dataset(samples=[[q] for q in views.examples]),
            gr.update(choices=views.days),
            gr.update(choices=topic_choices(views.topics)),
            views.summary,
            views.rows,
            watch_out,
        )

    outputs = [
        seen,
        banner,
        chat.examples,
        chat.day,
        quiz.topic,
        library.summary,
        library.table,
        library.watch_status,
    ]
    timer = gr.Timer(REFRESH_S)
    timer.tick(
        refresh,
        seen,
        outputs,
        api_visibility="private",
        show_progress="hidden",
        concurrency_limit=None,
        queue=False,
    )
    demo.load(refresh, seen, outputs, api_visibility="private", show_progress="hidden")
