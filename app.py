"""``python app.py``: the study assistant in the browser (Gradio 6).

Three tabs: 질문하기 (chat with cited answers), 퀴즈 (quiz from the notes), 노트 관리 (index
status, re-index, folder watch). This file holds layout and wiring only; behaviour lives in
``rag/ui.py`` and the services it calls, where it is tested directly.

Safe by default: binds 127.0.0.1; any other host (or ``--share``) needs TIL_AUTH_USER and
TIL_AUTH_PASSWORD, or the app refuses to start.
"""

from __future__ import annotations

import os

# Before gradio is imported: it reads this at import time.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

import gradio as gr  # noqa: E402

from rag import ui  # noqa: E402
from rag.config import Settings, load_settings  # noqa: E402
from rag.index.store import CHUNKS_FILE, ChunkStore, IndexMissingError  # noqa: E402

if TYPE_CHECKING:
    from rag.assistant import Assistant
    from rag.review import ReviewStore

log = logging.getLogger("til.app")

# One streamed chat update: chatbot, sources panel, question box, transcript and history.
# Module level: Gradio resolves handler type hints (to find the gr.SelectData parameter)
# with typing.get_type_hints, which cannot see names local to build_app.
ChatUpdate = Iterator[tuple[list, str, str, list, list]]

TITLE = "TIL 학습 도우미"

CARD_CSS = """
.src-cards { display: flex; flex-direction: column; gap: 10px; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 10px 12px; background: var(--background-fill-secondary); }
.src-head { font-weight: 600; line-height: 1.4; }
.src-n { color: var(--color-accent); margin-right: 2px; }
.src-kind { font-size: 0.75em; font-weight: 400; padding: 1px 7px; margin-left: 4px;
  border-radius: 9px; border: 1px solid var(--border-color-primary); white-space: nowrap; }
.src-crumbs { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.src-snippet { white-space: pre-line; font-size: 0.9em; line-height: 1.55; }
.src-snippet mark { background: #fde68a; color: #111; padding: 0 2px; border-radius: 3px; }
.src-link { margin-top: 6px; font-size: 0.85em; word-break: break-all; }
.src-empty { color: var(--body-text-color-subdued); padding: 10px 4px; }
"""

QUIZ_CSS = """
.quiz-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 10px 14px; display: flex; flex-direction: column; gap: 6px; }
.quiz-verdict { font-weight: 700; font-size: 1.1em; }
.quiz-verdict.ok { color: #15803d; }
.quiz-verdict.no { color: #b91c1c; }
.quiz-explain, .quiz-feedback { line-height: 1.5; }
.quiz-source { font-size: 0.85em; color: var(--body-text-color-subdued); word-break: break-all; }
"""


# ============================================================================= blocks


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


# ============================================================================= app context


class AppContext:
    """What every session shares: settings, the assistant, the index job and the watcher."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self._assistant = assistant
        self._assistant_lock = threading.Lock()
        # Bumped after every successful re-index; sessions compare it to refresh their views.
        self.generation = 0
        self.warmed = threading.Event()
        self.job = ui.IndexJob(settings, on_done=self._after_index)
        self.watcher = ui.FolderWatcher(settings.corpus_dir, self._on_notes_changed)
        self._static: set[Path] = set()
        self._views: tuple[int, dict[str, Any]] | None = None
        self._views_lock = threading.Lock()
        self._disk_mtime = self._chunks_mtime()
        self._reviews: ReviewStore | None = None
        self._reviews_lock = threading.Lock()

    @property
    def assistant(self) -> Assistant:
        """Created on first use: its imports (LangChain retrievers) cost half a second that
        the first page should not wait for."""
        with self._assistant_lock:
            if self._assistant is None:
                from rag.assistant import Assistant

                self._assistant = Assistant(self.settings)
            return self._assistant

    def reviews(self) -> ReviewStore:
        """The review schedule, opened once and shared by every session (ReviewStore is
        thread-safe: a connection per call)."""
        with self._reviews_lock:
            if self._reviews is None:
                from rag.review import ReviewStore

                self._reviews = ReviewStore(self.settings.review_db)
            return self._reviews

    @property
    def mode_label(self) -> str:
        from rag.llm import describe_llm  # without loading the assistant (or its models)

        return describe_llm(self.settings)

    def store(self) -> ChunkStore | None:
        try:
            return self.assistant.store
        except IndexMissingError:
            return None

    def _chunks_mtime(self) -> float:
        try:
            return (Path(self.settings.index_dir) / CHUNKS_FILE).stat().st_mtime
        except OSError:
            return 0.0

    def sync_with_disk(self) -> None:
        """Pick up an index written by someone else (``python -m ingest`` while the app runs)."""
        mtime = self._chunks_mtime()
        if mtime and mtime != self._disk_mtime and not self.job.status().running:
            self._disk_mtime = mtime
            self.assistant.reload()
            self.register_notes(self.store())
            self.generation += 1

    def views(self) -> dict[str, Any]:
        """Example questions, quiz topics and library rows of the current index, computed
        once per index generation: topics run Kiwi over every chunk (seconds on a big index),
        and every new browser session asks for them."""
        with self._views_lock:
            gen = self.generation
            if self._views is not None and self._views[0] == gen:
                return self._views[1]
            store = self.store()
            data = {
                "examples": ui.example_questions(store),
                "topics": _list_topics(store),
                "summary": ui.library_summary(store),
                "rows": ui.library_rows(store.manifest if store else None),
            }
            self._views = (gen, data)
            return data

    def warm_async(self, before: Callable[[], object] | None = None) -> None:
        """Load models and indexes in the background so the page opens at once; the first
        question waits for this instead of loading the same model a second time."""

        def run() -> None:
            if before is not None:
                before()
            try:
                self.assistant.warm()
            except IndexMissingError:
                pass
            except Exception:
                log.exception("warm-up failed")
            finally:
                self.warmed.set()
            self.register_notes(self.store())
            self.views()  # ready before the first browser asks for it

        threading.Thread(target=run, name="warm-up", daemon=True).start()

    def register_notes(self, store: ChunkStore | None) -> None:
        """Let source-card links open note files, one file at a time: exposing the whole
        corpus folder would serve whatever else sits in it."""
        if store is None:
            return
        corpus = Path(self.settings.corpus_dir)
        new = []
        for source, row in (store.manifest.get("sources") or {}).items():
            if row.get("kind") != "note":
                continue
            path = (corpus / source).resolve()
            if path not in self._static and path.is_file():
                new.append(path)
                self._static.add(path)
        if new:
            gr.set_static_paths(new)

    def _after_index(self, report: dict[str, Any]) -> None:
        if report.get("rebuilt"):
            # A rebuild drops and recreates the Chroma collection; the old assistant holds a
            # handle to the dropped one, so swap in a fresh assistant (answers in flight keep
            # the old object and finish).
            from rag.assistant import Assistant

            fresh = Assistant(self.settings, thresholds=self.assistant.thresholds)
            with self._assistant_lock:
                self._assistant = fresh
        else:
            self.assistant.reload()
        self._disk_mtime = self._chunks_mtime()
        self.register_notes(self.store())
        self.generation += 1
        try:
            self.assistant.warm()
        except Exception:
            log.exception("warm-up after re-index failed")
        self.warmed.set()
        self.views()

    def _on_notes_changed(self, paths: list[str]) -> None:
        log.info("notes changed: %s", ", ".join(Path(p).name for p in paths))
        self.job.start("watch", queue_if_running=True)


# ============================================================================= build


def build_app(
    settings: Settings, assistant: Assistant | None = None, build_missing: bool = True
) -> gr.Blocks:
    """The whole UI. Nothing heavy happens before the server is up: the index, models,
    examples and topics load in the background (or, with no index yet and ``build_missing``,
    the index is built) and each browser session fills its views on load."""
    ctx = AppContext(settings, assistant)
    has_index = (Path(settings.index_dir) / CHUNKS_FILE).exists()

    with StudyBlocks(title=TITLE, analytics_enabled=False) as demo:
        demo.til_context = ctx  # type: ignore[attr-defined]  # for tests and benchmarks
        seen = gr.State({"gen": -1, "banner": None})
        gr.Markdown(
            f"# 📚 {TITLE} · TIL study assistant\n"
            f"답변 방식 (answer mode): **{ctx.mode_label}** · "
            f"노트 폴더: `{settings.corpus_dir}`",
            elem_id="app-header",
        )
        banner = gr.Markdown(ui.banner_markdown(ctx.job.status()), elem_id="index-banner")

        # ------------------------------------------------------------------ chat
        with gr.Tab("질문하기 (Chat)", id="chat"):
            messages = gr.State([])
            history = gr.State([])
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="대화 (chat)",
                        height=480,
                        buttons=["copy", "copy_all"],
                        feedback_options=None,
                        placeholder="노트에 적은 내용을 물어보세요. 답의 [n]은 오른쪽 출처와 "
                        "연결됩니다.",
                        elem_id="chatbot",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            show_label=False,
                            placeholder="질문을 입력하세요 (예: 파드란 무엇인가요?)",
                            scale=5,
                            max_lines=4,
                            elem_id="question",
                        )
                        ask_btn = gr.Button("질문하기", variant="primary", scale=1, min_width=90)
                    example_ds = gr.Dataset(
                        label="예시 질문 (노트의 제목에서 만든 질문 · 클릭하면 질문합니다)",
                        components=[question],
                        samples=[],
                        samples_per_page=8,
                        elem_id="examples",
                    )
                    clear_btn = gr.Button("대화 지우기 (clear)", size="sm", variant="secondary")
                with gr.Column(scale=2, min_width=300):
                    gr.Markdown("### 출처 (sources)")
                    sources = gr.HTML(
                        ui.source_cards_html([]),
                        css_template=CARD_CSS,
                        js_on_load=None,
                        elem_id="sources",
                    )

        # ------------------------------------------------------------------ quiz
        with gr.Tab("퀴즈 (Quiz)", id="quiz"):
            quiz_state = gr.State(ui.QuizSession())
            with gr.Row(equal_height=True):
                quiz_topic = gr.Dropdown(
                    choices=ui.topic_choices([]),
                    value="",
                    label="주제 (topic): 목록에서 고르거나 직접 입력",
                    # Any text works as a topic (matched against headings and text), and the
                    # list grows after a re-index, so the server must not reject new values.
                    allow_custom_value=True,
                    filterable=True,
                    scale=3,
                    elem_id="quiz-topic",
                )
                quiz_n = gr.Slider(1, 10, value=5, step=1, label="문제 수 (questions)", scale=2)
                quiz_start_btn = gr.Button(
                    "퀴즈 시작 (start)", variant="primary", scale=1, elem_id="quiz-start"
                )
            quiz_status = gr.Markdown(elem_id="quiz-status")
            quiz_question = gr.Markdown(elem_id="quiz-question")
            quiz_choice = gr.Radio(
                choices=[], label="답 고르기", visible=False, elem_id="quiz-choice"
            )
            quiz_text = gr.Textbox(label="답 입력", visible=False, elem_id="quiz-text")
            with gr.Row():
                quiz_submit_btn = gr.Button(
                    "제출 (submit)", variant="primary", interactive=False, elem_id="quiz-submit"
                )
                quiz_next_btn = gr.Button(
                    "다음 문제 (next)", interactive=False, elem_id="quiz-next"
                )
            quiz_feedback = gr.HTML("", css_template=QUIZ_CSS, js_on_load=None, elem_id="quiz-fb")
            quiz_score = gr.Markdown(elem_id="quiz-score")
            with gr.Row():
                csv_btn = gr.Button("CSV로 내보내기", size="sm", interactive=False)
                apkg_btn = gr.Button("Anki(.apkg)로 내보내기", size="sm", interactive=False)
            quiz_file = gr.File(label="내려받기 (download)", visible=False, interactive=False)

        # ------------------------------------------------------------------ library
        with gr.Tab("노트 관리 (Library)", id="library"):
            lib_summary = gr.Markdown("불러오는 중… (loading)", elem_id="lib-summary")
            with gr.Row():
                reindex_btn = gr.Button(
                    "다시 색인 (re-index)",
                    variant="primary",
                    elem_id="reindex",
                    scale=0,
                    min_width=240,
                )
                refresh_btn = gr.Button("새로고침 (refresh)", size="sm", scale=0)
                watch_box = gr.Checkbox(
                    value=ctx.watcher.running,
                    label="폴더 감시 (watch folder): 노트를 저장하면 자동으로 다시 색인",
                    elem_id="watch",
                )
            reindex_md = gr.Markdown(elem_id="reindex-result")
            watch_md = gr.Markdown(_watch_text(ctx), elem_id="watch-status")
            lib_table = gr.Dataframe(
                value=[],
                headers=ui.LIBRARY_HEADERS,
                interactive=False,
                wrap=True,
                max_height=560,
                column_widths=["9%", "18%", "27%", "11%", "7%", "11%", "17%"],
                elem_id="library",
            )

        # ================================================================= wiring: chat
        chat_out = [chatbot, sources, question, messages, history]

        def respond(text: str, msgs: list, hist: list) -> ChatUpdate:
            # The first question waits for the warm-up instead of loading the models twice.
            ctx.warmed.wait(timeout=120)
            for turn in ui.chat_turn(ctx.assistant, text, msgs, hist, settings.corpus_dir, ctx.job):
                yield turn.messages, turn.sources_html, "", turn.messages, turn.history

        def respond_example(sample: list | None, msgs: list, hist: list) -> ChatUpdate:
            yield from respond((sample or [""])[0], msgs, hist)

        def respond_option(msgs: list, hist: list, evt: gr.SelectData) -> ChatUpdate:
            yield from respond(str(evt.value or ""), msgs, hist)

        chat_opts: dict[str, Any] = {"concurrency_limit": 4, "concurrency_id": "chat"}
        gr.on(
            [ask_btn.click, question.submit],
            respond,
            [question, messages, history],
            chat_out,
            api_name="ask",
            **chat_opts,
        )
        example_ds.click(
            respond_example,
            [example_ds, messages, history],
            chat_out,
            api_visibility="private",
            **chat_opts,
        )
        chatbot.option_select(
            respond_option, [messages, history], chat_out, api_visibility="private", **chat_opts
        )

        def clear_chat() -> tuple[list, str, list, list]:
            return [], ui.source_cards_html([]), [], []

        clear_btn.click(
            clear_chat, None, [chatbot, sources, messages, history], api_name="clear_chat"
        )
        chatbot.clear(
            clear_chat, None, [chatbot, sources, messages, history], api_visibility="private"
        )

        # ================================================================= wiring: quiz
        quiz_out = [
            quiz_state,
            quiz_status,
            quiz_question,
            quiz_choice,
            quiz_text,
            quiz_submit_btn,
            quiz_next_btn,
            quiz_feedback,
            quiz_score,
            csv_btn,
            apkg_btn,
        ]

        def render_quiz(session: ui.QuizSession, new_question: bool) -> tuple:
            view = ui.quiz_view(session, settings.corpus_dir)
            if new_question:
                choice = gr.update(
                    choices=view.choices, value=None, visible=view.show_choices, interactive=True
                )
                text = gr.update(value="", visible=view.show_text, interactive=True)
            else:  # keep the student's answer on screen next to the verdict
                choice = gr.update(visible=view.show_choices, interactive=view.can_submit)
                text = gr.update(visible=view.show_text, interactive=view.can_submit)
            return (
                session,
                view.status,
                view.question,
                choice,
                text,
                gr.update(interactive=view.can_submit),
                gr.update(interactive=view.can_next),
                view.feedback,
                view.score,
                gr.update(interactive=view.can_export),
                gr.update(interactive=view.can_export),
            )

        def quiz_start(topic: str | None, n: float) -> tuple:
            store = ctx.store()
            if store is None:
                session = ui.quiz_start(
                    [], topic or "", ui.friendly_error(IndexMissingError(), ctx.job)
                )
                return render_quiz(session, True)
            from rag import quiz

            try:
                result = quiz.generate_quiz(store, settings, topic=topic or "", n=int(n))
            except Exception as exc:
                log.exception("quiz generation failed")
                session = ui.quiz_start([], topic or "", f"⚠️ 퀴즈를 만들지 못했습니다: {exc}")
                return render_quiz(session, True)
            session = ui.quiz_start(result.items, topic or "", result.message or "")
            return render_quiz(session, True)

        def quiz_submit(choice: str | None, text: str | None, session: ui.QuizSession) -> tuple:
            from rag import quiz

            item = session.current
            if item is None or session.phase != "asking":
                gr.Warning("먼저 퀴즈를 시작하세요. (Start a quiz first.)")
                return render_quiz(session, False)
            given = choice if ui.uses_choices(item) else text
            if not (given or "").strip():
                gr.Warning("답을 고르거나 입력하세요. (Give an answer first.)")
                return render_quiz(session, False)
            result = ui.quiz_answer(session, given, quiz.grade)
            try:
                ctx.reviews().record(item, result.correct)
            except Exception:  # a review log hiccup must not cost the student the feedback
                log.exception("could not record the review")
            return render_quiz(session, False)

        def quiz_next(session: ui.QuizSession) -> tuple:
            if session.phase != "graded":
                return render_quiz(session, False)
            return render_quiz(ui.quiz_next(session), True)

        def quiz_export(kind: str, session: ui.QuizSession) -> Any:
            from rag import quiz

            if not session.items:
                raise gr.Error("먼저 퀴즈를 시작하세요. (Start a quiz first.)")
            out = Path(tempfile.mkdtemp(prefix="til-quiz-")) / f"til-quiz.{kind}"
            if kind == "csv":
                quiz.export_csv(session.items, out)
            else:
                quiz.export_apkg(session.items, out)
            return gr.update(value=str(out), visible=True)

        quiz_opts: dict[str, Any] = {"concurrency_limit": 4, "concurrency_id": "quiz"}
        quiz_start_btn.click(
            quiz_start, [quiz_topic, quiz_n], quiz_out, api_name="quiz_start", **quiz_opts
        )
        gr.on(
            [quiz_submit_btn.click, quiz_text.submit],
            quiz_submit,
            [quiz_choice, quiz_text, quiz_state],
            quiz_out,
            api_name="quiz_submit",
            **quiz_opts,
        )
        quiz_next_btn.click(quiz_next, [quiz_state], quiz_out, api_name="quiz_next", **quiz_opts)
        csv_btn.click(
            lambda s: quiz_export("csv", s), [quiz_state], quiz_file, api_name="quiz_export_csv"
        )
        apkg_btn.click(
            lambda s: quiz_export("apkg", s), [quiz_state], quiz_file, api_name="quiz_export_apkg"
        )

        # ================================================================= wiring: library
        def library() -> tuple[str, list[list[Any]], str]:
            ctx.sync_with_disk()
            views = ctx.views()
            return views["summary"], views["rows"], _watch_text(ctx)

        def reindex(progress: gr.Progress = gr.Progress()) -> tuple[str, str, list, str]:  # noqa: B008
            started = ctx.job.start("manual")
            note = "" if started else "이미 색인이 진행 중이라 그 결과를 기다렸습니다.\n\n"
            while True:
                status = ctx.job.status()
                if not status.running:
                    break
                progress(status.fraction, desc=status.message)
                time.sleep(0.25)
            summary, rows, watch_text = library()
            return note + ui.job_markdown(ctx.job.status()), summary, rows, watch_text

        def toggle_watch(enabled: bool) -> str:
            if enabled and not ctx.watcher.start():
                gr.Warning(f"폴더를 감시할 수 없습니다: {settings.corpus_dir}")
            elif not enabled:
                ctx.watcher.stop()
            return _watch_text(ctx)

        reindex_btn.click(
            reindex,
            None,
            [reindex_md, lib_summary, lib_table, watch_md],
            api_name="reindex",
            concurrency_limit=2,
        )
        refresh_btn.click(library, None, [lib_summary, lib_table, watch_md], api_name="library")
        watch_box.input(toggle_watch, watch_box, watch_md, api_name="watch")

        def index_status() -> dict[str, Any]:
            """Index job and watcher state (for scripts and tests)."""
            status = ctx.job.status()
            store = ctx.store()
            return {
                "state": status.state,
                "trigger": status.trigger,
                "message": status.message,
                "fraction": status.fraction,
                "report": status.report,
                "error": status.error,
                "generation": ctx.generation,
                "chunks": len(store.docs) if store else 0,
                "watching": ctx.watcher.running,
                "mode": ctx.mode_label,
            }

        gr.api(index_status, api_name="index_status")

        # ================================================================= refresh
        def refresh(state: dict) -> tuple:
            """Per session, once a second: the banner while an index job runs, and fresh
            examples, topics and library rows after the index changed."""
            state = dict(state or {})
            ctx.sync_with_disk()  # a `python -m ingest` run while the app is open shows up too
            text = ui.banner_markdown(ctx.job.status())
            banner_out = (
                gr.update(value=text, visible=bool(text))
                if text != state.get("banner")
                else gr.skip()
            )
            state["banner"] = text
            if state.get("gen") == ctx.generation:
                skip = gr.skip()
                return state, banner_out, skip, skip, skip, skip, _watch_update(ctx, state)
            state["gen"] = ctx.generation
            views = ctx.views()
            return (
                state,
                banner_out,
                gr.Dataset(samples=[[q] for q in views["examples"]]),
                gr.update(choices=ui.topic_choices(views["topics"])),
                views["summary"],
                views["rows"],
                _watch_update(ctx, state),
            )

        refresh_out = [seen, banner, example_ds, quiz_topic, lib_summary, lib_table, watch_md]
        timer = gr.Timer(1.0)
        timer.tick(
            refresh,
            seen,
            refresh_out,
            api_visibility="private",
            show_progress="hidden",
            concurrency_limit=None,
            queue=False,
        )
        demo.load(refresh, seen, refresh_out, api_visibility="private", show_progress="hidden")
        demo.load(lambda: ctx.watcher.running, None, watch_box, api_visibility="private")

    demo.queue(default_concurrency_limit=2)

    # Background work starts once launch() is done, so the first page is not slowed by it.
    server_up = demo.wait_for_launch

    if not has_index and build_missing:
        ctx.warmed.set()
        ctx.job.start("startup", before=server_up)
    else:
        ctx.warm_async(before=server_up)
    if settings.watch:
        ctx.watcher.start()
    return demo


def _list_topics(store: ChunkStore | None) -> list[str]:
    if store is None:
        return []
    from rag.quiz import list_topics

    try:
        return list(list_topics(store))
    except Exception:
        log.exception("list_topics failed")
        return []


def _watch_text(ctx: AppContext) -> str:
    return ui.watch_markdown(ctx.watcher, ctx.job)


def _watch_update(ctx: AppContext, state: dict) -> Any:
    text = _watch_text(ctx)
    if state.get("watch") == text:
        return gr.skip()
    state["watch"] = text
    return text


# ============================================================================= launch


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    auth = None
    if settings.auth_user and settings.auth_password:
        auth = (settings.auth_user, settings.auth_password)
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": auth,
        "share": bool(settings.share),
        "ssr_mode": False,
        "show_error": False,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.split("\n")[0])
    parser.add_argument("--host", help="bind address (TIL_HOST; default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (TIL_PORT; default 7860)")
    parser.add_argument("--corpus", help="notes folder (TIL_CORPUS_DIR)")
    parser.add_argument("--index", help="index folder (TIL_INDEX_DIR)")
    parser.add_argument(
        "--offline", action="store_true", default=None, help="never fetch pages (TIL_OFFLINE)"
    )
    parser.add_argument(
        "--watch", action="store_true", default=None, help="re-index on save (TIL_WATCH)"
    )
    parser.add_argument(
        "--share", action="store_true", default=None, help="Gradio share link (needs auth)"
    )
    parser.add_argument(
        "--auth-user", help="login name (TIL_AUTH_USER); the password only from TIL_AUTH_PASSWORD"
    )
    return parser.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings(
        host=args.host,
        port=args.port,
        corpus_dir=args.corpus,
        index_dir=args.index,
        offline=args.offline,
        watch=args.watch,
        share=args.share,
        auth_user=args.auth_user,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"오류 (error): {exc}", file=sys.stderr)
        return 2
    problem = ui.bind_error(settings)
    if problem:
        print(f"오류 (error): {problem}", file=sys.stderr)
        return 2
    if not Path(settings.corpus_dir).is_dir():
        print(f"오류 (error): 노트 폴더가 없습니다: {settings.corpus_dir}", file=sys.stderr)
        return 2
    # Our own progress lines at INFO; libraries (httpx logs every request) only when they warn.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("til").setLevel(logging.INFO)
    demo = build_app(settings)
    ctx: AppContext = demo.til_context  # type: ignore[attr-defined]
    url = f"http://{settings.host}:{settings.port}"
    if ctx.job.status().running:
        print(
            f"{TITLE}: 색인이 없어 백그라운드에서 만드는 중입니다. 진행 상황은 {url} 화면 위쪽과 "
            "이 콘솔에 표시됩니다. (Building the index in the background.)",
            flush=True,
        )
    else:
        print(f"{TITLE}: {url} 에서 열립니다. (Open {url})", flush=True)
    demo.launch(**launch_kwargs(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
