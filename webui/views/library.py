"""The library tab's text: one row per source, the index summary, what a re-index changed,
the banner above the tabs, and the folder watcher's state."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from ingest.jobs import FolderWatcher, JobStatus
from rag.index.store import ChunkStore

STATE_LABELS = {
    "indexed": "색인됨 (indexed)",
    "cached": "캐시 사용 (cached)",
    "fetched": "새로 가져옴 (fetched)",
    "failed": "실패 (failed)",
    "stale": "이전 내용 유지 (stale)",
}
LIBRARY_HEADERS = [
    "종류 (kind)",
    "제목 (title)",
    "날짜 (date)",
    "출처 (source)",
    "상태 (status)",
    "청크 (chunks)",
    "마지막 색인 (indexed)",
    "사유 (reason)",
]
# A finished run's outcome stays in the banner this long (the full report stays in the tab).
DONE_BANNER_S = 15
PROBLEM_BANNER_S = 60


def local_time(iso: str | None) -> str:
    """``2025-02-11T03:04:05+00:00`` -> local ``2025-02-11 12:04``; "" when unknown."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(iso)


# =============================================================================== sources


def _row(source: str, row: dict[str, Any]) -> list[Any]:
    kind = row.get("kind", "")
    state = row.get("state", "")
    title = row.get("title") or source
    if kind == "reference" and title == source and row.get("linked_from"):
        # A page that never loaded has no title; the note's link text names it better.
        first = str(row["linked_from"]).split("; ")[0]
        title = first.split(": ", 1)[-1] or source
    # A note without a day is not found by date questions: the student should see which.
    day = row.get("date") or ("없음 (none)" if kind == "note" and state == "indexed" else "")
    return [
        "노트 (note)" if kind == "note" else "참고 자료 (reference)",
        title,
        day,
        source,
        STATE_LABELS.get(state, state),
        int(row.get("chunks", 0) or 0),
        local_time(row.get("indexed_at")),
        row.get("reason") or "",
    ]


def library_rows(manifest: dict[str, Any] | None) -> list[list[Any]]:
    """One row per note and reference: notes first, then pages; failures keep their reason."""
    sources: dict[str, dict[str, Any]] = (manifest or {}).get("sources", {}) or {}
    order = sorted(sources, key=lambda s: (0 if sources[s].get("kind") == "note" else 1, s))
    return [_row(source, sources[source]) for source in order]


def library_summary(store: ChunkStore | None) -> str:
    if store is None:
        return "아직 색인이 없습니다. **다시 색인**을 누르세요. (No index yet.)"
    sources = store.manifest.get("sources", {}) or {}
    notes = sum(1 for r in sources.values() if r.get("kind") == "note")
    refs = [r for r in sources.values() if r.get("kind") == "reference"]
    failed = sum(1 for r in sources.values() if r.get("state") == "failed")
    text = (
        f"노트 **{notes}**개 · 참고 자료 **{len(refs)}**개 · 청크 **{len(store.docs)}**개 · "
        f"마지막 색인 {local_time(store.manifest.get('indexed_at')) or '-'}"
    )
    if failed:
        text += f" · ⚠️ 실패 {failed}개"
    return text


# =============================================================================== index runs


def report_markdown(report: dict[str, Any]) -> str:
    """What a re-index changed, for the student: chunk counts, then every failure."""
    chunks = report.get("chunks", {})
    refs = report.get("references", {})
    lines = [
        f"추가 **{chunks.get('added', 0)}** · 삭제 **{chunks.get('deleted', 0)}** · "
        f"변경 없음 **{chunks.get('unchanged', 0)}** · 전체 **{chunks.get('total', 0)}** 청크 "
        f"({report.get('seconds', 0):.1f}초)",
        f"노트 {report.get('notes', 0)}개 · 참고 자료: 새로 가져옴 {refs.get('fetched', 0)}, "
        f"캐시 {refs.get('cached', 0)}, 실패 {len(refs.get('failed', []))}",
    ]
    if report.get("rebuilt"):
        reason = report.get("rebuild_reason") or ""
        lines.append(f"색인을 새로 만들었습니다 (rebuilt). {reason}".strip())
    for item in refs.get("failed", []):
        lines.append(f"- ⚠️ 링크 실패: {item.get('url', '')} — {item.get('reason', '')}")
    for item in report.get("notes_failed", []):
        lines.append(f"- ⚠️ 노트 실패: {item.get('source', '')} — {item.get('reason', '')}")
    for item in report.get("notes_skipped", []):
        lines.append(
            f"- ⛔ 코퍼스 밖을 가리키는 링크라 건너뜀 (outside the corpus): "
            f"{item.get('source', '')}"
        )
    for item in report.get("date_conflicts", []):
        lines.append(
            f"- 📅 날짜 불일치 (date line differs): {item.get('source', '')} — 본문 "
            f"{item.get('date_line', '')}, 파일 이름의 {item.get('date', '')}을 씁니다"
        )
    undated = report.get("undated", [])
    if undated:
        shown = ", ".join(undated[:5]) + (" …" if len(undated) > 5 else "")
        lines.append(
            f"- 📅 날짜 없는 노트 {len(undated)}개 (no date): {shown} — 날짜 질문과 하루 정리에 "
            "나오지 않습니다. 파일 이름을 YYYY-MM-DD.md로 하거나 '날짜: YYYY-MM-DD' 줄을 넣으세요"
        )
    return "\n\n".join(lines[:2]) + ("\n\n" + "\n".join(lines[2:]) if lines[2:] else "")


def job_markdown(status: JobStatus) -> str:
    """The status line every tab shows while an index is built or after it finished."""
    if status.state == "running":
        pct = int(round(status.fraction * 100))
        what = {"startup": "처음 색인을 만드는 중", "watch": "바뀐 노트를 색인하는 중"}.get(
            status.trigger, "다시 색인하는 중"
        )
        return f"⏳ {what}… **{pct}%** — {status.message}"
    if status.state == "done" and status.report is not None:
        return "✅ 색인 완료 (index updated)\n\n" + report_markdown(status.report)
    if status.state == "busy":
        return f"⚠️ {status.error}"
    if status.state == "failed":
        return f"❌ 색인에 실패했습니다. 이전 색인은 그대로 사용됩니다. ({status.error})"
    return ""


def banner_markdown(status: JobStatus, now: float | None = None) -> str:
    """The line above the tabs: progress while a job runs, then the outcome for a short while
    (the full report stays in the library tab)."""
    now = time.time() if now is None else now
    age = now - status.finished_at if status.finished_at else float("inf")
    if status.state == "running":
        return job_markdown(status)
    if status.state == "done" and status.report is not None and age < DONE_BANNER_S:
        chunks = status.report.get("chunks", {})
        return (
            f"✅ 색인 완료: 추가 {chunks.get('added', 0)} · 삭제 {chunks.get('deleted', 0)} · "
            f"변경 없음 {chunks.get('unchanged', 0)} (자세한 내용은 노트 관리 탭)"
        )
    if status.state in {"busy", "failed"} and age < PROBLEM_BANNER_S:
        return job_markdown(status)
    return ""


def watch_markdown(watcher: FolderWatcher | None, last_run: JobStatus | None = None) -> str:
    """The watcher's state, its last batch of saved notes and ``last_run``, the outcome of
    the last re-index it triggered."""
    if watcher is None or not watcher.running:
        return "폴더 감시 꺼짐 (watch off)"
    text = f"👀 `{watcher.corpus_dir}` 감시 중 — 저장하면 자동으로 다시 색인합니다."
    if watcher.last_changes:
        when = datetime.fromtimestamp(watcher.last_change_at).strftime("%H:%M:%S")
        text += f"\n\n마지막 변경 {when}: " + ", ".join(f"`{n}`" for n in watcher.last_changes[:5])
    if last_run is not None:
        when = datetime.fromtimestamp(last_run.finished_at).strftime("%H:%M:%S")
        if last_run.state == "done" and last_run.report:
            text += f"\n\n마지막 자동 색인 {when}: " + report_markdown(last_run.report)
        else:
            text += f"\n\n마지막 자동 색인 {when}: {last_run.error or last_run.message}"
    return text
