"""Behaviour behind the Gradio app; ``app.py`` only lays out components and wires events.

Everything here is a plain function or a small class that tests call directly:
source cards with highlighted snippets, example questions built from the notes, library
table rows, the background index job and folder watcher, the chat turn, and the quiz
session state machine. Nothing here imports gradio, so it stays cheap to import and test.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from rag.answer import Answer, QuestionError
from rag.answer.citations import MARKER, Citation, location_of
from rag.config import Settings
from rag.index.store import ChunkStore, IndexMissingError, body_of
from rag.quiz import TF_CHOICES
from rag.text import key_terms, tokenize

log = logging.getLogger("til.app")

History = list[tuple[str, str]]
Messages = list[dict[str, Any]]

_PARTICLE = re.compile(r"(?<=[가-힣]{2})(이란|란|은|는|이|가|을|를|의|에서|에|와|과|도|으로|로)$")

# Follow-ups only need the last few turns; a long chat must not grow every request.
MAX_HISTORY_TURNS = 6


# =============================================================================== highlighting


def match_terms(question: str) -> list[str]:
    """Words of the question worth marking in a snippet (Kiwi content morphemes and key terms,
    the same analysis retrieval used), longest first so a long term wins over its prefix."""
    try:
        terms = set(key_terms(question)) | set(tokenize(question))
    except Exception:  # a tokenizer hiccup must not cost the student the sources panel
        log.exception("tokenize failed for highlighting")
        terms = set(question.split())
    # Kiwi sometimes keeps a particle on a short question's noun ("파드란?" -> 파드란).
    terms |= {_PARTICLE.sub("", t) for t in terms}
    # One-character Korean morphemes ("수", "것") would mark half the snippet.
    keep = {t.strip() for t in terms if len(t.strip()) >= 2}
    return sorted(keep, key=lambda t: (-len(t), t))


def highlight(text: str, terms: Iterable[str]) -> str:
    """``text`` as safe HTML with every occurrence of ``terms`` (case-insensitive) in <mark>.

    Matching runs on the raw text and each piece is escaped on its own, so a term can never
    match inside an entity like ``&lt;`` and markup in a note can never reach the page.
    """
    ordered = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not ordered:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in ordered), re.IGNORECASE)
    out: list[str] = []
    pos = 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[pos : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


# =============================================================================== source cards


def safe_url(url: str) -> str:
    """The URL if it is http(s), else "" (a ``javascript:`` link in a note must not go live)."""
    try:
        scheme = urlparse(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in {"http", "https"} else ""


def note_href(source: str, corpus_dir: Path | None) -> str:
    """A link that opens the note file through Gradio's file route (registered by the app)."""
    if corpus_dir is None or not source:
        return ""
    path = (Path(corpus_dir) / source).resolve()
    # The source comes from our own index, but never link outside the corpus.
    if not path.is_relative_to(Path(corpus_dir).resolve()) or not path.is_file():
        return ""
    return "gradio_api/file=" + quote(str(path))


def citation_href(citation: Citation, corpus_dir: Path | None = None) -> str:
    if citation.url:
        return safe_url(citation.url)
    return note_href(citation.source, corpus_dir)


def breadcrumb(section: str) -> list[str]:
    return [part.strip() for part in (section or "").split(" > ") if part.strip()]


def source_cards_html(
    citations: list[Citation], question: str = "", corpus_dir: Path | None = None
) -> str:
    """One card per citation, numbered exactly as the answer's ``[n]`` markers."""
    if not citations:
        return (
            '<div class="src-empty">답변의 출처가 여기에 표시됩니다. '
            "(Sources of the answer appear here.)</div>"
        )
    terms = match_terms(question) if question else []
    cards = []
    for c in sorted(citations, key=lambda c: c.n):
        crumbs = " › ".join(highlight(p, terms) for p in breadcrumb(c.section))
        kind = "노트" if c.kind == "note" else "참고 자료"
        href = citation_href(c, corpus_dir)
        where = html.escape(c.location)
        link = (
            f'<a href="{html.escape(href, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{where}</a>'
            if href
            else f"<code>{where}</code>"
        )
        cards.append(
            f'<div class="src-card" id="src-{c.n}" data-n="{c.n}">'
            f'<div class="src-head"><span class="src-n">[{c.n}]</span> '
            f'<span class="src-title">{html.escape(c.title or c.source)}</span> '
            f'<span class="src-kind src-kind-{html.escape(c.kind)}">{kind}</span></div>'
            f'<div class="src-crumbs">{crumbs}</div>'
            f'<div class="src-snippet">{highlight(c.snippet, terms)}</div>'
            f'<div class="src-link">{link}</div></div>'
        )
    return f'<div class="src-cards">{"".join(cards)}</div>'


def sources_footer(citations: list[Citation]) -> str:
    """A compact source list under each answer in the chat, so older answers' ``[n]`` stay
    readable after the cards panel has moved on to a newer answer."""
    if not citations:
        return ""
    parts = []
    for c in sorted(citations, key=lambda c: c.n):
        crumbs = breadcrumb(c.section)
        label = crumbs[-1] if crumbs else c.title
        parts.append(f"[{c.n}] {label} (`{c.location}`)")
    return "\n\n<small>출처 · " + " · ".join(parts) + "</small>"


def cited_numbers(text: str) -> list[int]:
    """The distinct ``[n]`` markers of an answer, in order of first appearance."""
    seen: list[int] = []
    for match in MARKER.finditer(text):
        n = int(match.group(1))
        if n not in seen:
            seen.append(n)
    return seen


# =============================================================================== examples

# Template and diary headings that do not name a topic a student would ask about.
GENERIC_HEADINGS = frozenset(
    [
        "스크럼",
        "개념정리",
        "개념",
        "회고",
        "느낀점",
        "til",
        "tiltemplate",
        "template",
        "날짜",
        "참고",
        "참고자료",
        "참고링크",
        "오늘배운것",
        "학습목표",
        "todo",
        "할일",
        "내일할일",
        "정리",
        "요약",
        "메모",
        "질문",
        "오늘의회고",
        "keep",
        "problem",
        "try",
        "references",
        "reference",
        "summary",
        "notes",
    ]
)
# "참고 자료 및 링크", "오늘의 회고", "날짜: 2025-02-11" and the like.
_GENERIC_PREFIX = re.compile(r"^(날짜|참고|링크|회고|오늘의회고|느낀|스크럼|references?|links?)")
_PARENS = re.compile(r"\s*\(([^()]*)\)\s*$")
_HANGUL = re.compile(r"[가-힣]")


def _heading_key(label: str) -> str:
    return re.sub(r"[\s:：_\-]+", "", label).lower()


def is_topic_heading(label: str) -> bool:
    key = _heading_key(label)
    if not key or len(label) > 40 or key in GENERIC_HEADINGS:
        return False
    if _GENERIC_PREFIX.match(key) or re.fullmatch(r"[\d.\-/]+", key):
        return False
    return bool(re.search(r"[가-힣A-Za-z]{2,}", label))


def has_batchim(syllable: str) -> bool:
    """Does a Hangul syllable end in a consonant (받침)? Decides 이란/란, 과/와."""
    code = ord(syllable) - 0xAC00
    return 0 <= code <= 11171 and code % 28 != 0


def short_name(label: str) -> str:
    """``가상 머신(Virtual Machine)`` -> ``가상 머신``."""
    return _PARENS.sub("", label).strip() or label


def _last_hangul(text: str) -> str | None:
    found = _HANGUL.findall(short_name(text))
    return found[-1] if found else None


def topic_question(label: str) -> str:
    """A natural question about a heading: ``하이퍼바이저(Hypervisor)란 무엇인가요?``."""
    last = _last_hangul(label)
    if last is None:  # a Latin-only heading: pick a phrasing that needs no particle
        return f"{label}에 대해 설명해 주세요."
    return f"{label}{'이란' if has_batchim(last) else '란'} 무엇인가요?"


def comparison_question(a: str, b: str) -> str:
    first, second = short_name(a), short_name(b)
    last = _last_hangul(first)
    particle = "과" if last and has_batchim(last) else "와"
    return f"{first}{particle} {second}의 차이는 무엇인가요?"


def note_topics(store: ChunkStore) -> list[tuple[str, str, str]]:
    """(source, heading, section text) of each topical note section, newest note first; within
    a note, top-level headings before nested ones and definitions ("X(Y)") before the rest,
    so the first picks are the note's main terms."""
    dates: dict[str, str] = {}
    sections: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in store.docs:
        meta = doc.metadata
        if meta.get("kind") != "note":
            continue
        crumbs = breadcrumb(meta.get("section", ""))
        if not crumbs or not is_topic_heading(crumbs[-1]):
            continue
        dates.setdefault(meta["source"], str(meta.get("date") or ""))
        entry = sections.setdefault(
            (meta["source"], crumbs[-1]),
            {"depth": len(crumbs), "pos": len(sections), "texts": []},
        )
        entry["texts"].append(body_of(doc))
    newest = sorted(dates, key=lambda s: (dates[s], s), reverse=True)
    out = []
    for source in newest:
        mine = [(h, e) for (src, h), e in sections.items() if src == source]
        mine.sort(key=lambda he: (he[1]["depth"], 0 if _PARENS.search(he[0]) else 1, he[1]["pos"]))
        out.extend((source, h, "\n".join(e["texts"])) for h, e in mine)
    return out


def example_questions(store: ChunkStore | None, limit: int = 6) -> list[str]:
    """Clickable example questions from the notes' own headings, spread over the newest notes,
    plus one comparison of two topics that the notes themselves compare."""
    if store is None or limit <= 0:
        return []
    topics = note_topics(store)
    pair = _related_pair(topics)
    slots = limit - 1 if pair else limit
    # Round-robin over notes so one long note does not fill every slot.
    queues: dict[str, list[str]] = {}
    for source, heading, _ in topics:
        queues.setdefault(source, []).append(heading)
    picked: list[str] = []
    while len(picked) < slots and any(queues.values()):
        for queue in queues.values():
            if queue and len(picked) < slots:
                picked.append(queue.pop(0))
    questions = [topic_question(h) for h in picked]
    if pair:
        questions.append(comparison_question(*pair))
    return questions


_COMPARE_CUE = re.compile(r"비해|달리|차이|보다|반면|대신|versus|\bvs\b", re.IGNORECASE)


def topic_names(heading: str) -> list[str]:
    """Names a section goes by: ``가상 머신(Virtual Machine)`` -> 가상 머신, Virtual Machine, VM."""
    names = [short_name(heading)]
    match = _PARENS.search(heading)
    if match:
        for alt in match.group(1).split(","):
            alt = alt.strip()
            if alt:
                names.append(alt)
                words = re.findall(r"[A-Za-z]+", alt)
                if len(words) >= 2:
                    names.append("".join(w[0].upper() for w in words))
    return [n for n in names if len(n) >= 2]


def _related_pair(topics: list[tuple[str, str, str]]) -> tuple[str, str] | None:
    """Two definition headings ("X(Y)") where a later section compares itself to an earlier
    one ("VM에 비해 가볍고"); falls back to a plain mention."""
    named = [(h, t) for _, h, t in topics if _PARENS.search(h)]
    mention: tuple[str, str] | None = None
    for j, (b, text_b) in enumerate(named):
        sentences = re.split(r"(?<=[.!?다])\s+|\n", text_b)
        for a, _ in named[:j]:
            if short_name(a) in short_name(b) or short_name(b) in short_name(a):
                continue  # "하이퍼바이저" vs "Type 1 하이퍼바이저": a part, not a rival
            names = topic_names(a)
            hits = [s for s in sentences if any(n in s for n in names)]
            if any(_COMPARE_CUE.search(s) for s in hits):
                return a, b
            if hits and mention is None:
                mention = (a, b)
    return mention


# =============================================================================== library

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
    "출처 (source)",
    "상태 (status)",
    "청크 (chunks)",
    "마지막 색인 (indexed)",
    "사유 (reason)",
]


def local_time(iso: str | None) -> str:
    """``2025-02-11T03:04:05+00:00`` -> local ``2025-02-11 12:04``; "" when unknown."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(iso)


def library_rows(manifest: dict[str, Any] | None) -> list[list[Any]]:
    """One row per note and reference: notes first, then pages; failures keep their reason."""
    sources: dict[str, dict[str, Any]] = (manifest or {}).get("sources", {}) or {}
    rows = []
    for source, row in sources.items():
        kind = row.get("kind", "")
        state = row.get("state", "")
        title = row.get("title") or source
        if kind == "reference" and title == source and row.get("linked_from"):
            # A page that never loaded has no title; the note's link text names it better.
            first = str(row["linked_from"]).split("; ")[0]
            title = first.split(": ", 1)[-1] or source
        rows.append(
            (
                0 if kind == "note" else 1,
                source,
                [
                    "노트 (note)" if kind == "note" else "참고 자료 (reference)",
                    title,
                    source,
                    STATE_LABELS.get(state, state),
                    int(row.get("chunks", 0) or 0),
                    local_time(row.get("indexed_at")),
                    row.get("reason") or "",
                ],
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]


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
    return "\n\n".join(lines[:2]) + ("\n\n" + "\n".join(lines[2:]) if lines[2:] else "")


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

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._status = replace(self._status, version=self._status.version + 1, **changes)

    def start(
        self,
        trigger: str = "manual",
        queue_if_running: bool = False,
        before: Callable[[], object] | None = None,
    ) -> bool:
        """Start a run; False if one is already running (queued for later if asked).

        ``before`` runs first in the worker thread and may block: the app uses it to hold the
        heavy work until the web server has started (see ``app.StudyBlocks``).
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
        self._set(message=message, fraction=fraction)
        # The console gets a line per 10 %: enough to see a first build move, not a flood.
        decile = int(fraction * 10)
        if decile > self._logged_decile:
            self._logged_decile = decile
            log.info("index %d%%: %s", int(fraction * 100), message)

    def _run(self, trigger: str, before: Callable[[], object] | None = None) -> None:
        self._logged_decile = -1
        if before is not None:
            before()
        from ingest.index import IndexBusyError, sync_index

        try:
            report = sync_index(self.settings, on_progress=self._progress).to_dict()
            if self.on_done is not None:
                self.on_done(report)
            final = {"state": "done", "report": report, "message": "색인 완료 (done)"}
            final["fraction"] = 1.0
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
        except IndexBusyError as exc:
            final = {"state": "busy", "error": str(exc), "message": str(exc)}
        except Exception as exc:  # shown in the UI; the previous index stays usable
            log.exception("re-index failed")
            final = {
                "state": "failed",
                "error": f"{type(exc).__name__}: {exc}",
                "message": "색인 실패 (index failed)",
            }
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
    if status.state == "done" and status.report is not None and age < 15:
        chunks = status.report.get("chunks", {})
        return (
            f"✅ 색인 완료: 추가 {chunks.get('added', 0)} · 삭제 {chunks.get('deleted', 0)} · "
            f"변경 없음 {chunks.get('unchanged', 0)} (자세한 내용은 노트 관리 탭)"
        )
    if status.state in {"busy", "failed"} and age < 60:
        return job_markdown(status)
    return ""


# =============================================================================== safety


def bind_error(settings: Settings) -> str:
    """Why the app must not start with these settings, or "" when it may.

    Anything reachable from another machine (a non-loopback host or a share link) exposes
    the student's notes, so it needs a login.
    """
    exposed = settings.is_public_bind or settings.share
    if not exposed or (settings.auth_user and settings.auth_password):
        return ""
    where = f"--host {settings.host}" if settings.is_public_bind else "--share"
    return (
        f"{where}로 열면 다른 컴퓨터에서도 노트를 볼 수 있으므로 로그인이 필요합니다. "
        "TIL_AUTH_USER와 TIL_AUTH_PASSWORD를 설정하거나 --host 127.0.0.1로 실행하세요. "
        f"(Refusing to serve on {settings.host}{' with a share link' if settings.share else ''} "
        "without auth: set TIL_AUTH_USER and TIL_AUTH_PASSWORD, or bind 127.0.0.1.)"
    )


# =============================================================================== folder watcher


def is_note_path(path: str | Path, corpus_dir: Path) -> bool:
    """The same rule as ``ingest.notes.discover_notes``: ``*.md``, no hidden folder."""
    path = Path(path)
    if path.suffix != ".md":
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
                if not changes:
                    continue
                paths = sorted({p for _, p in changes})
                self.last_changes = [Path(p).name for p in paths]
                self.last_change_at = time.time()
                try:
                    self.on_change(paths)
                except Exception:  # the watcher must outlive one bad callback
                    log.exception("watch callback failed")
        except Exception:
            log.exception("folder watcher stopped")
        finally:
            self._ready.set()


def watch_markdown(watcher: FolderWatcher | None, job: IndexJob) -> str:
    if watcher is None or not watcher.running:
        return "폴더 감시 꺼짐 (watch off)"
    text = f"👀 `{watcher.corpus_dir}` 감시 중 — 저장하면 자동으로 다시 색인합니다."
    if watcher.last_changes:
        when = datetime.fromtimestamp(watcher.last_change_at).strftime("%H:%M:%S")
        text += f"\n\n마지막 변경 {when}: " + ", ".join(f"`{n}`" for n in watcher.last_changes[:5])
    last = job.last("watch")
    if last is not None:
        when = datetime.fromtimestamp(last.finished_at).strftime("%H:%M:%S")
        if last.state == "done" and last.report:
            text += f"\n\n마지막 자동 색인 {when}: " + report_markdown(last.report)
        else:
            text += f"\n\n마지막 자동 색인 {when}: {last.error or last.message}"
    return text


# =============================================================================== chat


def friendly_error(exc: BaseException, job: IndexJob | None = None) -> str:
    """A message for the student, never a traceback (that goes to the server log)."""
    if isinstance(exc, QuestionError):
        return f"⚠️ {exc}"
    if isinstance(exc, IndexMissingError):
        status = job.status() if job is not None else None
        if status is not None and status.running:
            pct = int(round(status.fraction * 100))
            return (
                f"⏳ 노트 색인을 만드는 중입니다 ({pct}%). 끝나면 다시 질문해 주세요. "
                "(The index is being built; ask again in a moment.)"
            )
        return (
            "⚠️ 아직 노트 색인이 없습니다. **노트 관리** 탭에서 **다시 색인**을 눌러 주세요. "
            "(No index yet: open the Library tab and press re-index.)"
        )
    return (
        "⚠️ 답변을 만드는 중 오류가 났습니다. 잠시 후 다시 시도해 주세요. "
        f"(Something went wrong: {type(exc).__name__})"
    )


def message_text(message: dict[str, Any]) -> str:
    """Text of a Chatbot message, whether its content is a string or a list of parts."""
    content = message.get("content", "")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
        )
    return str(content)


def suggestion_questions(answer: Answer) -> list[str]:
    return [topic_question(s) for s in answer.suggestions if s]


@dataclass
class ChatTurn:
    """One update of the chat: the transcript, the sources panel, the history for follow-ups."""

    messages: Messages
    sources_html: str
    history: History


def chat_turn(
    assistant: Any,
    question: str,
    messages: Messages | None,
    history: History | None,
    corpus_dir: Path | None = None,
    job: IndexJob | None = None,
) -> Iterator[ChatTurn]:
    """Stream one answer into the transcript; the last update carries the citations.

    Errors become a friendly assistant message and leave ``history`` unchanged, so a failed
    turn never pollutes the follow-up context.
    """
    messages = list(messages or [])
    history = list(history or [])
    question = (question or "").strip()
    messages.append({"role": "user", "content": question or "…"})
    messages.append({"role": "assistant", "content": "…"})
    empty_sources = source_cards_html([])
    yield ChatTurn(messages, empty_sources, history)
    final: Answer | None = None
    try:
        for final in assistant.stream(question, history[-MAX_HISTORY_TURNS:]):
            if not final.citations and not final.refused:
                messages[-1] = {"role": "assistant", "content": final.answer}
                yield ChatTurn(messages, empty_sources, history)
    except Exception as exc:
        if not isinstance(exc, QuestionError | IndexMissingError):
            log.exception("answer failed")
        messages[-1] = {"role": "assistant", "content": friendly_error(exc, job)}
        yield ChatTurn(messages, empty_sources, history)
        return
    if final is None:  # pragma: no cover - stream always yields at least once
        return
    if final.refused:
        suggestions = suggestion_questions(final)
        reply: dict[str, Any] = {"role": "assistant", "content": "🙅 " + final.answer}
        if suggestions:
            reply["content"] += "\n\n아래 주제를 눌러 질문해 보세요."
            reply["options"] = [{"value": q, "label": q} for q in suggestions]
        messages[-1] = reply
        sources = (
            '<div class="src-empty">노트에서 근거를 찾지 못했습니다. '
            "(No supporting source in the notes.)</div>"
        )
    else:
        messages[-1] = {
            "role": "assistant",
            "content": final.answer + sources_footer(final.citations),
        }
        sources = source_cards_html(final.citations, question, corpus_dir)
    history.append((question, final.answer))
    yield ChatTurn(messages, sources, history[-MAX_HISTORY_TURNS:])


# =============================================================================== quiz

QUIZ_TYPE_LABELS = {"mc": "객관식", "tf": "O/X", "short": "단답형", "cloze": "빈칸 채우기"}


def item_field(item: Any, name: str, default: Any = None) -> Any:
    """Read a QuizItem field whether it is the dataclass or its ``to_dict()`` form."""
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def item_choices(item: Any) -> list[str]:
    choices = [str(c) for c in (item_field(item, "choices") or [])]
    if not choices and item_field(item, "type") == "tf":
        return list(TF_CHOICES)
    return choices


def uses_choices(item: Any) -> bool:
    return item_field(item, "type") in {"mc", "tf"}


def citation_line(citation: dict[str, Any] | None, corpus_dir: Path | None = None) -> str:
    """HTML for a quiz item's source: title › section and a link (URL or note:lines)."""
    if not citation:
        return ""
    crumbs = " › ".join(breadcrumb(str(citation.get("section", ""))))
    title = str(citation.get("title") or citation.get("source") or "")
    url = safe_url(str(citation.get("url") or ""))
    source = str(citation.get("source") or "")
    href = url or note_href(source, corpus_dir)
    label = html.escape(location_of(citation))
    link = (
        f'<a href="{html.escape(href, quote=True)}" target="_blank" '
        f'rel="noopener noreferrer">{label}</a>'
        if href
        else f"<code>{label}</code>"
    )
    head = html.escape(title) + (f" › {html.escape(crumbs)}" if crumbs else "")
    return f'<div class="quiz-source">출처: {head} · {link}</div>'


@dataclass
class QuizResult:
    """One answered question."""

    given: str
    correct: bool
    score: float
    feedback: str
    expected: str


@dataclass
class QuizSession:
    """Per-session quiz state: idle -> asking -> graded -> asking ... -> done.

    Kept in a ``gr.State`` (one per browser tab), so two students never share a quiz.
    """

    items: list[Any] = field(default_factory=list)
    index: int = 0
    results: list[QuizResult] = field(default_factory=list)
    phase: str = "idle"
    topic: str = ""
    message: str = ""

    @property
    def current(self) -> Any | None:
        if self.phase in {"asking", "graded"} and 0 <= self.index < len(self.items):
            return self.items[self.index]
        return None

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def correct_count(self) -> int:
        return sum(1 for r in self.results if r.correct)

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)


class QuizStateError(RuntimeError):
    """An action that the current phase does not allow (e.g. submitting twice)."""


def quiz_start(items: list[Any], topic: str = "", message: str = "") -> QuizSession:
    if not items:
        message = message or "문제를 만들지 못했습니다. (No questions could be made.)"
        return QuizSession(phase="idle", topic=topic, message=message)
    return QuizSession(items=list(items), phase="asking", topic=topic, message=message)


def quiz_answer(
    session: QuizSession, given: str | None, grade_fn: Callable[[Any, str], Any]
) -> QuizResult:
    """Grade the current question; moves asking -> graded."""
    if session.phase != "asking" or session.current is None:
        raise QuizStateError("지금은 답을 제출할 수 없습니다. (No question is waiting.)")
    given = (given or "").strip()
    grade = grade_fn(session.current, given)
    result = QuizResult(
        given=given,
        correct=bool(getattr(grade, "correct", False)),
        score=float(getattr(grade, "score", 1.0 if getattr(grade, "correct", False) else 0.0)),
        feedback=str(getattr(grade, "feedback", "") or ""),
        expected=str(getattr(grade, "expected", "") or item_field(session.current, "answer", "")),
    )
    session.results.append(result)
    session.phase = "graded"
    return result


def quiz_next(session: QuizSession) -> QuizSession:
    """graded -> asking (next question) or done (after the last)."""
    if session.phase != "graded":
        raise QuizStateError("먼저 답을 제출하세요. (Answer the question first.)")
    session.index += 1
    session.phase = "asking" if session.index < len(session.items) else "done"
    return session


def question_markdown(session: QuizSession) -> str:
    item = session.current
    if item is None:
        return ""
    kind = QUIZ_TYPE_LABELS.get(item_field(item, "type"), item_field(item, "type") or "")
    head = f"**문제 {session.index + 1} / {session.total}** · {kind}"
    if session.topic:
        head += f" · 주제: {session.topic}"
    return f"{head}\n\n{item_field(item, 'question', '')}"


def feedback_html(session: QuizSession, corpus_dir: Path | None = None) -> str:
    """Verdict, the grader's feedback (expected answer, explanation, evidence) and a link to
    the source of the question just graded."""
    if session.phase != "graded" or not session.results:
        return ""
    item = session.items[session.index]
    result = session.results[-1]
    lines = [line for line in result.feedback.splitlines() if line.strip()]
    head = lines[0] if lines else ("정답입니다!" if result.correct else "틀렸습니다.")
    rest = lines[1:]
    if not result.correct and result.expected and result.expected not in head:
        head += f" 정답: {result.expected}"
    explanation = str(item_field(item, "explanation") or "")
    if explanation and explanation not in result.feedback:
        rest.append(f"설명: {explanation}")
    badge = "ok" if result.correct else "no"
    parts = [
        f'<div class="quiz-verdict {badge}">{"✅" if result.correct else "❌"} '
        f"{html.escape(head)}</div>"
    ]
    if result.given and not uses_choices(item):  # a choice is echoed by the grader itself
        parts.append(f'<div class="quiz-given">내 답: {html.escape(result.given)}</div>')
    if rest:
        body = "<br>".join(html.escape(line) for line in rest)
        parts.append(f'<div class="quiz-explain">{body}</div>')
    parts.append(citation_line(item_field(item, "citation"), corpus_dir))
    return f'<div class="quiz-card">{"".join(parts)}</div>'


def score_markdown(session: QuizSession) -> str:
    if session.phase != "done":
        if session.results:
            return f"지금까지 {session.correct_count} / {len(session.results)} 정답"
        return ""
    total = max(1, session.total)
    pct = round(100 * session.score / total)
    lines = [f"### 최종 점수: {session.correct_count} / {session.total} 정답 ({pct}점)"]
    wrong = [
        (i, r) for i, r in enumerate(session.results) if not r.correct and i < len(session.items)
    ]
    if wrong:
        lines.append("다시 볼 문제:")
        for i, r in wrong:
            question = str(item_field(session.items[i], "question", "")).replace("\n", " ")
            lines.append(f"- {question[:80]} → **{r.expected}**")
    return "\n".join(lines)


@dataclass
class QuizView:
    """What the quiz panel shows for a session; app.py turns it into component updates."""

    question: str
    choices: list[str]
    show_choices: bool
    show_text: bool
    can_submit: bool
    can_next: bool
    feedback: str
    score: str
    status: str
    can_export: bool


def quiz_view(session: QuizSession, corpus_dir: Path | None = None) -> QuizView:
    item = session.current
    asking = session.phase == "asking" and item is not None
    graded = session.phase == "graded"
    status = session.message
    if session.phase == "done":
        status = "퀴즈를 마쳤습니다. 아래에서 내보내거나 새 퀴즈를 시작하세요."
    return QuizView(
        question=question_markdown(session),
        choices=item_choices(item) if item is not None and uses_choices(item) else [],
        show_choices=item is not None and uses_choices(item),
        show_text=item is not None and not uses_choices(item),
        can_submit=asking,
        can_next=graded,
        feedback=feedback_html(session, corpus_dir),
        score=score_markdown(session),
        status=status,
        can_export=bool(session.items),
    )


def topic_choices(topics: list[str]) -> list[tuple[str, str]]:
    """Dropdown choices: "all topics" first, then the notes' topics."""
    return [("전체 (all topics)", "")] + [(t, t) for t in topics if t]
