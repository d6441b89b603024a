"""ingest/jobs.py: the app's background index job and the folder watcher, on a real index."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from ingest.jobs import FolderWatcher, IndexJob, is_note_path
from ingest.sync import index_lock
from rag.config import Settings


def test_index_job_runs_once_and_reports(seed_settings: Settings) -> None:
    done: list[dict[str, Any]] = []
    job = IndexJob(seed_settings, on_done=done.append)
    assert job.start("manual")
    assert job.wait(120)
    status = job.status()
    assert status.state == "done" and status.fraction == 1.0 and status.finished_at
    assert status.report is not None and status.report["chunks"]["added"] == 0  # nothing new
    assert done == [status.report]
    assert job.last("manual") == status and job.last("watch") is None


def test_index_job_queues_a_request_made_while_running(seed_settings: Settings) -> None:
    release = threading.Event()
    job = IndexJob(seed_settings)
    assert job.start("manual", before=release.wait)
    assert job.status().running
    assert not job.start("watch")  # refused, not queued
    assert not job.start("watch", queue_if_running=True)
    release.set()
    assert job.wait(240)
    # The queued run happened after the first: a note saved mid-run is not missed.
    assert job.last("manual") is not None and job.last("watch") is not None
    assert job.last("watch").finished_at >= job.last("manual").finished_at


def test_index_job_reports_a_busy_index(seed_settings: Settings) -> None:
    job = IndexJob(seed_settings)
    with index_lock(Path(seed_settings.index_dir)):
        assert job.start("manual")
        assert job.wait(60)
    status = job.status()
    assert status.state == "busy" and "다른 색인 작업이 진행 중입니다" in status.error


def test_note_paths_follow_the_ingest_rule(tmp_path: Path) -> None:
    assert is_note_path(tmp_path / "a.md", tmp_path)
    assert is_note_path(tmp_path / "sub" / "b.md", tmp_path)
    assert not is_note_path(tmp_path / ".git" / "c.md", tmp_path)
    assert not is_note_path(tmp_path / "a.md.swp", tmp_path)
    assert not is_note_path(tmp_path / "notes.txt", tmp_path)
    assert not is_note_path(tmp_path.parent / "elsewhere.md", tmp_path)


def test_folder_watcher_reports_saved_notes_only(tmp_path: Path) -> None:
    seen: list[list[str]] = []
    got = threading.Event()

    def on_change(paths: list[str]) -> None:
        seen.append(paths)
        got.set()

    watcher = FolderWatcher(tmp_path, on_change, debounce_ms=200)
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
    assert not FolderWatcher(tmp_path / "missing", on_change).start()


def test_folder_watcher_outlives_a_failing_callback(tmp_path: Path) -> None:
    calls: list[int] = []
    second = threading.Event()

    def on_change(paths: list[str]) -> None:
        calls.append(len(paths))
        if len(calls) > 1:
            second.set()
        raise RuntimeError("callback bug")

    watcher = FolderWatcher(tmp_path, on_change, debounce_ms=200)
    try:
        assert watcher.start()
        (tmp_path / "a.md").write_text("# a", encoding="utf-8")
        time.sleep(1.5)  # a quiet period, so the second save is a second batch
        (tmp_path / "b.md").write_text("# b", encoding="utf-8")
        assert second.wait(20) and watcher.running
    finally:
        watcher.stop()
