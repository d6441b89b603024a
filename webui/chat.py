"""The 질문하기 (Chat) tab: ask the notes, read the cited answer beside its sources.

:func:`chat_turn` is the behaviour (stream one answer from the assistant into the transcript);
:func:`build_chat_tab` lays out the tab and wires its events to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from ingest.jobs import JobStatus
from rag.answer import Answer, QuestionError
from rag.index.store import IndexMissingError
from webui.context import AppContext
from webui.examples import suggested_question
from webui.views.chat import (
    CARD_CSS,
    NO_SOURCES_HTML,
    NOT_IN_NOTES_HTML,
    friendly_error,
    source_cards_html,
    sources_footer,
)

log = logging.getLogger("til.app")

History = list[tuple[str, str]]
Messages = list[dict[str, Any]]
# One streamed chat update: chatbot, sources panel, question box, transcript and history.
# Module level: Gradio resolves handler type hints (to find the gr.SelectData parameter)
# with typing.get_type_hints, which cannot see names local to a function.
ChatUpdate = Iterator[tuple[list, str, str, list, list]]
CHAT_CONCURRENCY = 4
WARM_WAIT_S = 120


class Streams(Protocol):
    def stream(self, question: str, history: History | None = None) -> Iterator[Answer]: ...


# =============================================================================== behaviour


@dataclass
class ChatTurn:
    """One update of the chat: the transcript, the sources panel, the history for follow-ups."""

    messages: Messages
    sources_html: str
    history: History


def _refusal_message(answer: Answer) -> dict[str, Any]:
    """The refusal with the nearby topics as clickable options (``chatbot.option_select``)."""
    suggestions = [q for s in answer.suggestions if (q := suggested_question(s))]
    reply: dict[str, Any] = {"role": "assistant", "content": "🙅 " + answer.answer}
    if suggestions:
        reply["content"] += "\n\n아래 주제를 눌러 질문해 보세요."
        reply["options"] = [{"value": q, "label": q} for q in suggestions]
    return reply


def chat_turn(
    assistant: Streams,
    question: str,
    messages: Messages | None,
    history: History | None,
    corpus_dir: Path | None = None,
    job_status: JobStatus | None = None,
    max_history: int = 6,
) -> Iterator[ChatTurn]:
    """Stream one answer into the transcript; the last update carries the citations.

    Errors become a friendly assistant message and leave ``history`` unchanged, so a failed
    turn never pollutes the follow-up context. Only the last ``max_history`` turns are kept:
    a long chat must not grow every request.
    """
    messages = list(messages or [])
    history = list(history or [])
    question = (question or "").strip()
    messages.append({"role": "user", "content": question or "…"})
    messages.append({"role": "assistant", "content": "…"})
    yield ChatTurn(messages, NO_SOURCES_HTML, history)
    final: Answer | None = None
    try:
        for final in assistant.stream(question, history[-max_history:]):
            if not final.citations and not final.refused:
                messages[-1] = {"role": "assistant", "content": final.answer}
                yield ChatTurn(messages, NO_SOURCES_HTML, history)
    except Exception as exc:
        if not isinstance(exc, QuestionError | IndexMissingError):
            log.exception("answer failed")
        messages[-1] = {"role": "assistant", "content": friendly_error(exc, job_status)}
        yield ChatTurn(messages, NO_SOURCES_HTML, history)
        return
    if final is None:  # pragma: no cover - stream always yields at least once
        return
    if final.refused:
        messages[-1] = _refusal_message(final)
        sources = NOT_IN_NOTES_HTML
    else:
        content = final.answer + sources_footer(final.citations)
        messages[-1] = {"role": "assistant", "content": content}
        sources = source_cards_html(final.citations, question, corpus_dir, final.also_searched)
    if final.notice:
        messages[-1]["content"] += f"\n\n> ⏳ {final.notice}"
    history.append((question, final.answer))
    yield ChatTurn(messages, sources, history[-max_history:])


# =============================================================================== layout


@dataclass
class ChatTab:
    chatbot: gr.Chatbot
    question: gr.Textbox
    ask: gr.Button
    examples: gr.Dataset
    day: gr.Dropdown
    clear: gr.Button
    sources: gr.HTML
    messages: gr.State
    history: gr.State


def build_chat_tab(ctx: AppContext) -> ChatTab:
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
                    ask = gr.Button("질문하기", variant="primary", scale=1, min_width=90)
                examples = gr.Dataset(
                    label="예시 질문 (노트의 제목에서 만든 질문 · 클릭하면 질문합니다)",
                    components=[question],
                    samples=[],
                    samples_per_page=8,
                    elem_id="examples",
                )
                day = gr.Dropdown(
                    label="날짜로 보기 (what did I learn on…) · 고르면 그날 배운 내용을 정리합니다",
                    choices=[],
                    value=None,
                    elem_id="day",
                )
                clear = gr.Button("대화 지우기 (clear)", size="sm", variant="secondary")
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### 출처 (sources)")
                sources = gr.HTML(
                    NO_SOURCES_HTML, css_template=CARD_CSS, js_on_load=None, elem_id="sources"
                )
    tab = ChatTab(chatbot, question, ask, examples, day, clear, sources, messages, history)
    _wire(ctx, tab)
    return tab


def day_question(day: str) -> str:
    """The question the date picker asks: the same words a student would type."""
    return f"{day}에 뭘 배웠지?"


# =============================================================================== wiring


def _wire(ctx: AppContext, tab: ChatTab) -> None:
    out = [tab.chatbot, tab.sources, tab.question, tab.messages, tab.history]
    state = [tab.messages, tab.history]
    opts: dict[str, Any] = {"concurrency_limit": CHAT_CONCURRENCY, "concurrency_id": "chat"}

    def respond(text: str, msgs: list, hist: list) -> ChatUpdate:
        # The first question waits for the warm-up instead of loading the models twice.
        ctx.warmed.wait(timeout=WARM_WAIT_S)
        ctx.sync_with_disk()  # answer from an index another process just wrote
        turns = chat_turn(
            ctx.assistant,
            text,
            msgs,
            hist,
            corpus_dir=ctx.settings.corpus_dir,
            job_status=ctx.job.status(),
            max_history=ctx.settings.max_history_turns,
        )
        for turn in turns:
            yield turn.messages, turn.sources_html, "", turn.messages, turn.history

    def respond_example(sample: list | None, msgs: list, hist: list) -> ChatUpdate:
        yield from respond((sample or [""])[0], msgs, hist)

    def respond_option(msgs: list, hist: list, evt: gr.SelectData) -> ChatUpdate:
        yield from respond(str(evt.value or ""), msgs, hist)

    def respond_day(day: str | None, msgs: list, hist: list) -> ChatUpdate:
        if day:
            yield from respond(day_question(day), msgs, hist)

    def clear_chat() -> tuple[list, str, list, list]:
        return [], NO_SOURCES_HTML, [], []

    gr.on(
        [tab.ask.click, tab.question.submit],
        respond,
        [tab.question, *state],
        out,
        api_name="ask",
        **opts,
    )
    tab.examples.click(
        respond_example, [tab.examples, *state], out, api_visibility="private", **opts
    )
    tab.chatbot.option_select(respond_option, state, out, api_visibility="private", **opts)
    tab.day.input(respond_day, [tab.day, *state], out, api_visibility="private", **opts)
    cleared = [tab.chatbot, tab.sources, *state]
    tab.clear.click(clear_chat, None, cleared, api_name="clear_chat")
    tab.chatbot.clear(clear_chat, None, cleared, api_visibility="private")
