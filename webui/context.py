"""What every browser session shares: settings and the services behind the tabs.

One :class:`AppContext` per app holds the :class:`~rag.assistant.Assistant` (chat), the
:class:`~rag.quiz.service.QuizService` (quiz, reviews, export), the :class:`IndexJob` (re-index)
and the :class:`FolderWatcher`. After a re-index, by the app or by ``python -m ingest``, it
reloads the assistant and bumps :attr:`AppContext.generation`, which sessions compare to
refresh their views.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ingest.jobs import FolderWatcher, IndexJob
from ingest.notes import is_note_name
from rag.config import Settings
from rag.index.store import ChunkStore, IndexMissingError, index_version
from rag.quiz.service import QuizService
from webui.examples import example_questions
from webui.views.library import library_rows, library_summary, watch_markdown

if TYPE_CHECKING:
    from rag.assistant import Assistant

log = logging.getLogger("til.app")


@dataclass(frozen=True)
class IndexViews:
    """What the tabs show about the current index, computed once per index generation."""

    examples: list[str] = field(default_factory=list)
    # (label, date) of every day that has a note, newest first, for the date picker.
    days: list[tuple[str, str]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    summary: str = ""
    rows: list[list[Any]] = field(default_factory=list)


def note_days(store: ChunkStore | None) -> list[tuple[str, str]]:
    """Each day with a note, newest first, labelled with its date and note title(s)."""
    if store is None:
        return []
    titles: dict[str, list[str]] = {}
    for doc in store.docs:
        meta = doc.metadata
        if meta.get("kind") == "note" and meta.get("date"):
            names = titles.setdefault(meta["date"], [])
            if meta.get("title") and meta["title"] not in names:
                names.append(meta["title"])
    return [
        (f"{d} · {', '.join(titles[d])}" if titles[d] else d, d)
        for d in sorted(titles, reverse=True)
    ]


class AppContext:
    """Settings, the assistant, the quiz service, the index job and the folder watcher."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self._assistant = assistant
        self._assistant_lock = threading.Lock()
        # Bumped after every successful re-index; sessions compare it to refresh their views.
        self.generation = 0
        self.warmed = threading.Event()
        self.job = IndexJob(settings, on_done=self._after_index)
        self.watcher = FolderWatcher(settings.corpus_dir, self._on_notes_changed)
        self.quiz = QuizService(settings, self.store)
        self._static: set[Path] = set()
        self._views: tuple[int, IndexViews] | None = None
        self._views_lock = threading.Lock()
        self._disk_version = self._index_version()
        self._disk_lock = threading.Lock()

    # ------------------------------------------------------------------ services
    @property
    def assistant(self) -> Assistant:
        """Created on first use: its imports (LangChain retrievers) cost half a second that
        the first page should not wait for."""
        with self._assistant_lock:
            if self._assistant is None:
                from rag.assistant import Assistant

                self._assistant = Assistant(self.settings)
            return self._assistant

    @property
    def mode_label(self) -> str:
        from rag.llm import describe_llm  # without loading the assistant (or its models)

        return describe_llm(self.settings)

    def store(self) -> ChunkStore | None:
        """The current chunk store, or None before the first index exists."""
        try:
            return self.assistant.store
        except IndexMissingError:
            return None

    # ------------------------------------------------------------------ views
    def views(self) -> IndexViews:
        """Example questions, quiz topics and library rows of the current index, computed
        once per index generation: topics run Kiwi over every chunk (seconds on a big index),
        and every new browser session asks for them."""
        with self._views_lock:
            gen = self.generation
            if self._views is not None and self._views[0] == gen:
                return self._views[1]
            store = self.store()
            data = IndexViews(
                examples=example_questions(store, structure=self.settings.structure),
                days=note_days(store),
                topics=self._topics(store),
                summary=library_summary(store),
                rows=library_rows(store.manifest if store else None),
            )
            self._views = (gen, data)
            return data

    def _topics(self, store: ChunkStore | None) -> list[str]:
        if store is None:
            return []
        try:
            return list(self.quiz.topics())
        except Exception:  # the dropdown can stay empty; free text still works as a topic
            log.exception("listing quiz topics failed")
            return []

    def watch_text(self) -> str:
        return watch_markdown(self.watcher, self.job.last("watch"))

    def index_status(self) -> dict[str, Any]:
        """Index job and watcher state (for scripts and tests)."""
        status = self.job.status()
        store = self.store()
        return {
            "state": status.state,
            "trigger": status.trigger,
            "message": status.message,
            "fraction": status.fraction,
            "report": status.report,
            "error": status.error,
            "generation": self.generation,
            "chunks": len(store.docs) if store else 0,
            "watching": self.watcher.running,
            "mode": self.mode_label,
        }

    # ------------------------------------------------------------------ index changes
    def _index_version(self) -> object:
        return index_version(self.settings)

    def sync_with_disk(self) -> None:
        """Pick up an index written by someone else (``python -m ingest`` while the app runs).
        One cheap read of the store's generation, so every question and quiz may call it
        first."""
        version = self._index_version()
        if not version or version == self._disk_version or self.job.status().running:
            return
        with self._disk_lock:  # two questions at once reload once
            if version == self._disk_version:
                return
            self._disk_version = version
            self.assistant.reload()
            self.register_notes(self.store())
            self.generation += 1

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
        corpus = Path(self.settings.corpus_dir).resolve()
        new = []
        for source, row in (store.manifest.get("sources") or {}).items():
            if row.get("kind") != "note":
                continue
            path = (corpus / source).resolve()
            # An index written before symlinks were refused, or by hand, may name a file that
            # resolves outside the corpus: never serve it.
            if not path.is_relative_to(corpus) or not is_note_name(path):
                continue
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
        self._disk_version = self._index_version()
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
