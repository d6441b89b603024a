"""The 퀴즈 (Quiz) tab: a quiz from the notes, one question at a time, graded with its source.

Generating, grading, recording reviews and exporting are the quiz service's
(:class:`rag.quiz.service.QuizService`); this module lays out the panel, keeps each browser
tab's :class:`QuizSession` in a ``gr.State`` and turns :func:`quiz_view` into updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from rag.index.store import IndexMissingError
from rag.quiz.session import QuizSession, quiz_start
from webui.context import AppContext
from webui.views.chat import friendly_error
from webui.views.quiz import QUIZ_CSS, quiz_view, topic_choices, uses_choices

QUIZ_CONCURRENCY = 4
MAX_QUESTIONS = 10
DEFAULT_QUESTIONS = 5


@dataclass
class QuizTab:
    state: gr.State
    topic: gr.Dropdown
    n: gr.Slider
    start: gr.Button
    status: gr.Markdown
    question: gr.Markdown
    choice: gr.Radio
    text: gr.Textbox
    submit: gr.Button
    next: gr.Button
    feedback: gr.HTML
    score: gr.Markdown
    csv: gr.Button
    apkg: gr.Button
    file: gr.File

    @property
    def outputs(self) -> list[Any]:
        """What every quiz step updates, in the order :func:`render` returns it."""
        return [
            self.state,
            self.status,
            self.question,
            self.choice,
            self.text,
            self.submit,
            self.next,
            self.feedback,
            self.score,
            self.csv,
            self.apkg,
        ]


def render(session: QuizSession, new_question: bool, corpus_dir: Path | None = None) -> tuple:
    """The quiz panel for ``session``. A new question clears the answer widgets; after grading
    they keep the student's answer on screen next to the verdict."""
    view = quiz_view(session, corpus_dir)
    if new_question:
        choice = gr.update(
            choices=view.choices, value=None, visible=view.show_choices, interactive=True
        )
        text = gr.update(value="", visible=view.show_text, interactive=True)
    else:
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


# =============================================================================== layout


def build_quiz_tab(ctx: AppContext) -> QuizTab:
    with gr.Tab("퀴즈 (Quiz)", id="quiz"):
        state = gr.State(QuizSession())
        with gr.Row(equal_height=True):
            topic = gr.Dropdown(
                choices=topic_choices([]),
                value="",
                label="주제 (topic): 목록에서 고르거나 직접 입력",
                # Any text works as a topic (matched against headings and text), and the
                # list grows after a re-index, so the server must not reject new values.
                allow_custom_value=True,
                filterable=True,
                scale=3,
                elem_id="quiz-topic",
            )
            n = gr.Slider(
                1,
                MAX_QUESTIONS,
                value=DEFAULT_QUESTIONS,
                step=1,
                label="문제 수 (questions)",
                scale=2,
            )
            start = gr.Button("퀴즈 시작 (start)", variant="primary", scale=1, elem_id="quiz-start")
        status = gr.Markdown(elem_id="quiz-status")
        question = gr.Markdown(elem_id="quiz-question")
        choice = gr.Radio(choices=[], label="답 고르기", visible=False, elem_id="quiz-choice")
        text = gr.Textbox(label="답 입력", visible=False, elem_id="quiz-text")
        with gr.Row():
            submit = gr.Button(
                "제출 (submit)", variant="primary", interactive=False, elem_id="quiz-submit"
            )
            next_ = gr.Button("다음 문제 (next)", interactive=False, elem_id="quiz-next")
        feedback = gr.HTML("", css_template=QUIZ_CSS, js_on_load=None, elem_id="quiz-fb")
        score = gr.Markdown(elem_id="quiz-score")
        with gr.Row():
            csv = gr.Button("CSV로 내보내기", size="sm", interactive=False)
            apkg = gr.Button("Anki(.apkg)로 내보내기", size="sm", interactive=False)
        file = gr.File(label="내려받기 (download)", visible=False, interactive=False)
    tab = QuizTab(
        state,
        topic,
        n,
        start,
        status,
        question,
        choice,
        text,
        submit,
        next_,
        feedback,
        score,
        csv,
        apkg,
        file,
    )
    _wire(ctx, tab)
    return tab


# =============================================================================== wiring


def _wire(ctx: AppContext, tab: QuizTab) -> None:
    corpus = ctx.settings.corpus_dir
    opts: dict[str, Any] = {"concurrency_limit": QUIZ_CONCURRENCY, "concurrency_id": "quiz"}

    def start(topic: str | None, n: float) -> tuple:
        ctx.sync_with_disk()
        if ctx.store() is None:  # the chat's message: it says when the first build is running
            message = friendly_error(IndexMissingError(), ctx.job.status())
            return render(quiz_start([], topic or "", message), True, corpus)
        return render(ctx.quiz.start(topic or "", int(n)), True, corpus)

    def submit(choice: str | None, text: str | None, session: QuizSession) -> tuple:
        item = session.current
        if item is None or session.phase != "asking":
            gr.Warning("먼저 퀴즈를 시작하세요. (Start a quiz first.)")
            return render(session, False, corpus)
        given = choice if uses_choices(item) else text
        if not (given or "").strip():
            gr.Warning("답을 고르거나 입력하세요. (Give an answer first.)")
            return render(session, False, corpus)
        ctx.quiz.answer(session, given or "")
        return render(session, False, corpus)

    def next_question(session: QuizSession) -> tuple:
        if session.phase != "graded":
            return render(session, False, corpus)
        return render(ctx.quiz.next(session), True, corpus)

    def export(kind: str, session: QuizSession) -> Any:
        if not session.items:
            raise gr.Error("먼저 퀴즈를 시작하세요. (Start a quiz first.)")
        return gr.update(value=str(ctx.quiz.export_file(session.items, kind)), visible=True)

    def export_csv(session: QuizSession) -> Any:
        return export("csv", session)

    def export_apkg(session: QuizSession) -> Any:
        return export("apkg", session)

    tab.start.click(start, [tab.topic, tab.n], tab.outputs, api_name="quiz_start", **opts)
    gr.on(
        [tab.submit.click, tab.text.submit],
        submit,
        [tab.choice, tab.text, tab.state],
        tab.outputs,
        api_name="quiz_submit",
        **opts,
    )
    tab.next.click(next_question, [tab.state], tab.outputs, api_name="quiz_next", **opts)
    tab.csv.click(export_csv, [tab.state], tab.file, api_name="quiz_export_csv")
    tab.apkg.click(export_apkg, [tab.state], tab.file, api_name="quiz_export_apkg")
