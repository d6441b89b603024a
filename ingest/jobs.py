"""Re-indexing while the app serves: one background index job, and a folder watcher.

:class:`IndexJob` runs ``sync_index`` in a thread, one run at a time for the whole app, and
every browser session reads its :class:`JobStatus`. :class:`FolderWatcher` calls back with
the notes saved in the corpus, so the app can queue a run. Neither knows about the UI.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ingest.notes import is_note_name
from rag.config import Settings

log = logging.getLogger("til.app")


# =============================================================================== index job


@dataclass(frozen=True)
class JobStatus:
    state: str = "idle"  # idle | running | done | failed | busy
    trigger: str = ""  # startup | manual | watch
    message: str = ""
    fraction: float = 0.0
    report: dict[str, Any] | None = None
    error: str = ""
    finished_at: float = 0.0
    version: int = 0

    @property
    def running(self) -> bool:
        return self.state == "running"


class IndexJob:
    """One background ``sync_index`` at a time for the whole app, observable by every session.

    Sessions poll :meth:`status` (cheap, lock-protected copy). A request that arrives while a
    run is in progress is remembered and run once afterwards, so a note saved mid-run is not
    missed. ``on_done(report)`` runs in the worker thread after a successful run (the app
    reloads the assistant there).
    """

    def __init__(
        self, settings: Settings, on_done: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        self.settings = settings
        self.on_done = on_done
        self._lock = threading.Lock()
        self._status = JobStatus()
        self._last: dict[str, JobStatus] = {}
        self._pending: str | None = None
        self._logged_decile = -1
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def status(self) -> JobStatus:
        with self._lock:
            return self._status

    def last(self, trigger: str) -> JobStatus | None:
        """The last finished run started by ``trigger`` (e.g. the watcher's)."""
        with self._lock:
            return self._last.get(trigger)

    def start(
        self,
        trigger: str = "manual",
        queue_if_running: bool = False,
        before: Callable[[], object] | None = None,
    ) -> bool:
        """Start a run; False if one is already running (queued for later if asked).

        ``before`` runs first in the worker thread and may block: the app uses it to hold the
        heavy work until the web server has started (see ``webui.blocks.StudyBlocks``).
        """
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                if queue_if_running:
                    self._pending = trigger
                return False
            self._idle.clear()
            self._status = replace(
                self._status,
                state="running",
                trigger=trigger,
                message="색인 준비 중 (starting)",
                fraction=0.0,
                error="",
                version=self._status.version + 1,
            )
            self._thread = threading.Thread(
                target=self._run,
                args=(trigger, before),
                name=f"index-{trigger}",
                daemon=True,
            )
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no run is in progress (including a queued follow-up run)."""
        return self._idle.wait(timeout)

    def _progress(self, message: str, fraction: float) -> None:
        fraction = max(0.0, min(1.0, float(fraction)))
        with self._lock:
            self._status = replace(
                self._status,
                message=message,
                fraction=fraction,
                version=self._status.version + 1,
            )
        # The console gets a line per 10 %: enough to see a first build move, not a flood.
        decile = int(fraction * 10)
        if decile > self._logged_decile:
            self._logged_decile = decile
            log.info("index %d%%: %s", int(fraction * 100), message)

    def _run(self, trigger: str, before: Callable[[], object] | None = None) -> None:
        self._logged_decile = -1
        if before is not None:
            before()
        final = self._sync(trigger)
        with self._lock:
            self._status = replace(
                self._status,
                finished_at=time.time(),
                version=self._status.version + 1,
                **final,
            )
            self._last[trigger] = self._status
            pending, self._pending = self._pending, None
            self._thread = None
        if pending is not None and self.start(pending):
            return
        self._idle.set()

    def _sync(self, trigger: str) -> dict[str, Any]:
        """One ``sync_index`` run, as the fields of the final status."""
        # Imported here: the indexer pulls in Chroma and the embedding stack, which the app's
        # first page should not wait for.
        from ingest.sync import IndexBusyError, sync_index

        try:
            report = sync_index(self.settings, on_progress=self._progress).to_dict()
            if self.on_done is not None:
                self.on_done(report)
        except IndexBusyError as exc:
            return {"state": "busy", "error": str(exc), "message": str(exc)}
        except Exception as exc:  # shown in the UI; the previous index stays usable
            log.exception("re-index failed")
            return {
                "state": "failed",
                "error": f"{type(exc).__name__}: {exc}",
                "message": "색인 실패 (index failed)",
            }
        chunks = report.get("chunks", {})
        log.info(
            "index updated (%s): %s added, %s deleted, %s unchanged, %s total, %.1f s",
            trigger,
            chunks.get("added"),
            chunks.get("deleted"),
            chunks.get("unchanged"),
            chunks.get("total"),
            report.get("seconds", 0.0),
        )
        return {"state": "done", "report": report, "message": "색인 완료 (done)", "fraction": 1.0}


# =============================================================================== folder watcher


def is_note_path(path: str | Path, corpus_dir: Path) -> bool:
    """The same rule as ``ingest.notes.discover_notes``: a markdown file, no hidden folder."""
    path = Path(path)
    if not is_note_name(path):
        return False
    try:
        rel = path.resolve().relative_to(Path(corpus_dir).resolve())
    except ValueError:
        return False
    return not any(part.startswith(".") for part in rel.parts)


class FolderWatcher:
    """Watches the corpus with watchfiles (inotify) and calls ``on_change`` with the changed
    note paths after a quiet period. Off by default; ``start``/``stop`` are idempotent."""

    def __init__(
        self,
        corpus_dir: Path,
        on_change: Callable[[list[str]], None],
        debounce_ms: int = 800,
    ) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.on_change = on_change
        self.debounce_ms = debounce_ms
        self.last_changes: list[str] = []
        self.last_change_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 5.0) -> bool:
        """Start watching; returns once the watcher is set up (so a save right after is seen)."""
        with self._lock:
            if self.running:
                return True
            if not self.corpus_dir.is_dir():
                return False
            self._stop = threading.Event()
            self._ready = threading.Event()
            self._thread = threading.Thread(target=self._loop, name="corpus-watch", daemon=True)
            self._thread.start()
        return self._ready.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        from watchfiles import watch

        corpus = self.corpus_dir

        def note_filter(_change: Any, path: str) -> bool:
            return is_note_path(path, corpus)

        try:
            # yield_on_timeout lets us signal readiness once the Rust watcher is running.
            for changes in watch(
                corpus,
                watch_filter=note_filter,
                debounce=self.debounce_ms,
                stop_event=self._stop,
                yield_on_timeout=True,
                rust_timeout=200,
                raise_interrupt=False,
            ):
                self._ready.set()
                if changes:
                    self._report(sorted({p for _, p in changes}))
        except Exception:
            log.exception("folder watcher stopped")
        finally:
            self._ready.set()

    def _report(self, paths: list[str]) -> None:
        self.last_changes = [Path(p).name for p in paths]
        self.last_change_at = time.time()
        try:
            self.on_change(paths)
        except Exception:  # the watcher must outlive one bad callback
            log.exception("watch callback failed")
