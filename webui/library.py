"""The 노트 관리 (Library) tab: what is indexed, re-index on demand, watch the notes folder."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gradio as gr

from webui.context import AppContext
from webui.views.library import LIBRARY_HEADERS, job_markdown

POLL_S = 0.25  # how often a waiting re-index request moves the progress bar
# Two: a second request follows the running job and shows its result instead of queueing.
REINDEX_CONCURRENCY = 2


@dataclass
class LibraryTab:
    summary: gr.Markdown
    reindex: gr.Button
    refresh: gr.Button
    watch: gr.Checkbox
    reindex_result: gr.Markdown
    watch_status: gr.Markdown
    table: gr.Dataframe


def build_library_tab(ctx: AppContext) -> LibraryTab:
    with gr.Tab("노트 관리 (Library)", id="library"):
        summary = gr.Markdown("불러오는 중… (loading)", elem_id="lib-summary")
        with gr.Row():
            reindex = gr.Button(
                "다시 색인 (re-index)",
                variant="primary",
                elem_id="reindex",
                scale=0,
                min_width=240,
            )
            refresh = gr.Button("새로고침 (refresh)", size="sm", scale=0)
            watch = gr.Checkbox(
                value=ctx.watcher.running,
                label="폴더 감시 (watch folder): 노트를 저장하면 자동으로 다시 색인",
                elem_id="watch",
            )
        reindex_result = gr.Markdown(elem_id="reindex-result")
        watch_status = gr.Markdown(ctx.watch_text(), elem_id="watch-status")
        table = gr.Dataframe(
            value=[],
            headers=LIBRARY_HEADERS,
            interactive=False,
            wrap=True,
            max_height=560,
            column_widths=["8%", "17%", "9%", "24%", "10%", "6%", "11%", "15%"],
            elem_id="library",
        )
    tab = LibraryTab(summary, reindex, refresh, watch, reindex_result, watch_status, table)
    _wire(ctx, tab)
    return tab


def _wire(ctx: AppContext, tab: LibraryTab) -> None:
    def library() -> tuple[str, list[list[Any]], str]:
        ctx.sync_with_disk()
        views = ctx.views()
        return views.summary, views.rows, ctx.watch_text()

    def reindex(progress: gr.Progress = gr.Progress()) -> tuple[str, str, list, str]:  # noqa: B008
        started = ctx.job.start("manual")
        note = "" if started else "이미 색인이 진행 중이라 그 결과를 기다렸습니다.\n\n"
        while (status := ctx.job.status()).running:
            progress(status.fraction, desc=status.message)
            time.sleep(POLL_S)
        summary, rows, watch_text = library()
        return note + job_markdown(ctx.job.status()), summary, rows, watch_text

    def toggle_watch(enabled: bool) -> str:
        if enabled and not ctx.watcher.start():
            gr.Warning(f"폴더를 감시할 수 없습니다: {ctx.settings.corpus_dir}")
        elif not enabled:
            ctx.watcher.stop()
        return ctx.watch_text()

    def index_status() -> dict[str, Any]:
        """Index job and watcher state (for scripts and tests)."""
        return ctx.index_status()

    tab.reindex.click(
        reindex,
        None,
        [tab.reindex_result, tab.summary, tab.table, tab.watch_status],
        api_name="reindex",
        concurrency_limit=REINDEX_CONCURRENCY,
    )
    tab.refresh.click(library, None, [tab.summary, tab.table, tab.watch_status], api_name="library")
    tab.watch.input(toggle_watch, tab.watch, tab.watch_status, api_name="watch")
    gr.api(index_status, api_name="index_status")
