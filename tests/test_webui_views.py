"""webui/views: the chat's source cards and highlighting, the library's rows, reports and
banners, tested on their output (quiz views are in tests/test_webui_quiz.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.jobs import FolderWatcher, JobStatus
from rag.answer import QuestionError
from rag.answer.citations import Citation
from rag.assistant import Assistant
from rag.config import Settings
from rag.index.store import ChunkStore, IndexMissingError
from webui.views.chat import (
    cited_numbers,
    friendly_error,
    highlight,
    match_terms,
    message_text,
    source_cards_html,
    sources_footer,
)
from webui.views.library import (
    banner_markdown,
    job_markdown,
    library_rows,
    library_summary,
    report_markdown,
    watch_markdown,
)
from webui.views.links import note_href, safe_url


@pytest.fixture(scope="module")
def store(seed_settings: Settings) -> ChunkStore:
    loaded = ChunkStore.load(seed_settings.index_dir)
    assert loaded is not None
    return loaded


# ============================================================================ highlighting


def test_highlight_escapes_html_and_marks_terms() -> None:
    text = '<script>alert("x")</script> 파드는 Pod & <b>가장 작은</b> 단위'
    out = highlight(text, ["파드", "pod", "단위"])
    assert "<script>" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out and "&amp;" in out and "&quot;" in out
    assert "<mark>파드</mark>는" in out
    assert "<mark>Pod</mark>" in out  # case-insensitive, original case kept
    assert out.count("<mark>") == 3


def test_a_latin_term_marks_words_that_start_with_it() -> None:
    out = highlight("Type 2 (Hosted Hypervisor): 호스트 OS 위, os와 pods", ["os", "pod"])
    assert "H<mark>os</mark>ted" not in out
    assert "<mark>OS</mark> 위" in out and "<mark>os</mark>와" in out
    assert "<mark>pod</mark>s" in out  # a plural starts with its singular


def test_highlight_never_marks_inside_an_entity() -> None:
    # "lt" and "amp" must not match the escaped forms of "<" and "&".
    out = highlight("a < b & c", ["lt", "amp"])
    assert out == "a &lt; b &amp; c"


def test_highlight_prefers_the_longer_term() -> None:
    out = highlight("쿠버네티스 클러스터", ["쿠버", "쿠버네티스"])
    assert out == "<mark>쿠버네티스</mark> 클러스터"


def test_match_terms_uses_the_question_morphemes() -> None:
    terms = match_terms("하이퍼바이저(Hypervisor)란 무엇인가요?")
    assert "하이퍼바이저" in terms and "hypervisor" in terms
    assert "무엇" not in terms and all(len(t) >= 2 for t in terms)


# ============================================================================ source cards


def _citation(n: int, **kw: Any) -> Citation:
    base: dict[str, Any] = {
        "n": n,
        "source": "2025-02-11.md",
        "kind": "note",
        "title": "TIL",
        "section": "쿠버네티스 구성 요소 > 파드(Pod)",
        "url": "",
        "snippet": "파드는 가장 작은 컴퓨팅 단위",
        "start_line": 80,
        "end_line": 82,
    }
    return Citation(**(base | kw))


def test_source_cards_show_number_breadcrumb_snippet_and_location() -> None:
    html = source_cards_html([_citation(2), _citation(1)], "파드란?")
    assert html.index('id="src-1"') < html.index('id="src-2"')
    assert "[1]" in html and "[2]" in html
    assert "쿠버네티스 구성 요소 › <mark>파드</mark>(Pod)" in html
    assert "<mark>파드</mark>" in html
    assert "2025-02-11.md:80-82" in html


def test_a_notes_card_says_its_day_beside_a_title_many_notes_share() -> None:
    html = source_cards_html([_citation(1, date="2025-03-04", source="til-1.md")], "x")
    assert '<span class="src-title">TIL</span> <span class="src-date">2025-03-04</span>' in html
    dated_title = _citation(1, date="2025-03-04", title="2025-03-04 TIL")
    assert 'class="src-date"' not in source_cards_html([dated_title], "x")
    assert 'class="src-date"' not in source_cards_html([_citation(1, kind="reference")], "x")


def test_source_cards_escape_titles_and_drop_unsafe_links() -> None:
    evil = _citation(
        1,
        kind="reference",
        title="<img src=x onerror=alert(1)>",
        url="javascript:alert(1)",
        source="javascript:alert(1)",
        snippet="<script>x</script>",
    )
    html = source_cards_html([evil], "x")
    assert "<img" not in html and "<script>" not in html
    assert 'href="javascript' not in html
    good = _citation(1, kind="reference", url="https://kubernetes.io/ko/docs/?a=1&b=2")
    html = source_cards_html([good], "x")
    assert 'href="https://kubernetes.io/ko/docs/?a=1&amp;b=2"' in html
    assert 'rel="noopener noreferrer"' in html
    assert safe_url("javascript:alert(1)") == "" and safe_url("http://x/") == "http://x/"


def test_no_citations_show_a_placeholder_not_cards() -> None:
    html = source_cards_html([])
    assert 'id="src-' not in html and "출처" in html
    assert sources_footer([]) == ""


def test_note_links_stay_inside_the_corpus(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# a", encoding="utf-8")
    assert note_href("a.md", tmp_path).startswith("gradio_api/file=")
    assert note_href("../etc/passwd", tmp_path) == ""
    assert note_href("missing.md", tmp_path) == ""


def test_cards_number_like_the_answer_markers(seed_settings: Settings) -> None:
    question = "파드(Pod)란 무엇인가요?"
    answer = Assistant(seed_settings).ask(question)
    assert not answer.refused and answer.citations
    markers = cited_numbers(answer.answer)
    assert markers == [c.n for c in answer.citations] == list(range(1, len(markers) + 1))
    html = source_cards_html(answer.citations, question, seed_settings.corpus_dir)
    positions = [html.index(f'id="src-{n}"') for n in markers]
    assert positions == sorted(positions)
    assert "<mark>" in html
    assert "gradio_api/file=" in html  # the note opens through the app's file route
    assert '<span class="src-date">2025-02-11</span>' in html  # the seed note's day
    footer = sources_footer(answer.citations)
    assert all(f"[{n}]" in footer for n in markers)


# ============================================================================ messages


def test_friendly_errors_never_show_a_traceback() -> None:
    assert friendly_error(QuestionError("질문을 입력해 주세요.")).startswith("⚠️ 질문을")
    assert "노트 관리" in friendly_error(IndexMissingError("x"))
    building = JobStatus(state="running", trigger="startup", fraction=0.3)
    assert "30%" in friendly_error(IndexMissingError("x"), building)
    assert "Traceback" not in friendly_error(RuntimeError("boom"))


def test_message_text_reads_strings_and_parts() -> None:
    assert message_text({"content": "답"}) == "답"
    assert message_text({"content": [{"text": "가"}, "나"]}) == "가나"


# ============================================================================ library


def test_library_rows_cover_every_source_with_status(store: ChunkStore) -> None:
    rows = library_rows(store.manifest)
    assert len(rows) == len(store.manifest["sources"])
    note = rows[0]
    assert note[0].startswith("노트") and note[3] == "2025-02-11.md" and note[2] == "2025-02-11"
    assert note[4].startswith("색인됨") and note[5] > 0 and note[6]
    failed = [r for r in rows if r[4].startswith("실패")]
    assert failed, "offline: the linked pages are not cached and must show as failed"
    assert all(r[7] for r in failed)  # every failure says why
    # A page that never loaded is named by the note's link text, not by its URL again.
    assert any(r[1] != r[3] for r in failed)
    assert library_rows(None) == []


def test_library_rows_order_and_labels() -> None:
    manifest = {
        "sources": {
            "https://b.example/": {
                "kind": "reference",
                "title": "B",
                "state": "cached",
                "chunks": 3,
                "indexed_at": "2025-02-11T03:04:05+00:00",
            },
            "z.md": {"kind": "note", "title": "Z", "state": "indexed", "chunks": 2},
            "a.md": {"kind": "note", "title": "A", "state": "failed", "reason": "bad utf-8"},
        }
    }
    rows = library_rows(manifest)
    assert [r[3] for r in rows] == ["a.md", "z.md", "https://b.example/"]
    assert rows[0][4] == "실패 (failed)" and rows[0][7] == "bad utf-8"
    assert rows[1][2] == "없음 (none)"  # indexed, but no day: date questions skip it
    assert rows[2][4] == "캐시 사용 (cached)" and rows[2][6].startswith("2025-02-11")


def test_library_summary_counts_notes_pages_and_failures(store: ChunkStore) -> None:
    text = library_summary(store)
    assert "노트 **1**개" in text and f"청크 **{len(store.docs)}**개" in text and "실패" in text
    assert "다시 색인" in library_summary(None)


def test_report_markdown_lists_changes_and_failures() -> None:
    report = {
        "notes": 2,
        "notes_failed": [{"source": "bad.md", "reason": "not UTF-8"}],
        "references": {
            "fetched": 1,
            "cached": 2,
            "failed": [{"url": "https://x/", "reason": "404"}],
        },
        "chunks": {"added": 3, "deleted": 1, "unchanged": 40, "total": 42},
        "seconds": 1.25,
        "date_conflicts": [{"source": "2025-03-04.md", "date": "2025-03-04",
                            "date_line": "2025-03-03"}],
        "undated": ["메모.md"],
    }
    text = report_markdown(report)
    for piece in ("추가 **3**", "삭제 **1**", "변경 없음 **40**", "https://x/", "404", "bad.md",
                  "2025-03-03", "날짜 없는 노트 1개", "메모.md"):
        assert piece in text


def test_banner_shows_progress_then_fades() -> None:
    running = JobStatus(state="running", trigger="startup", message="임베딩", fraction=0.42)
    assert "42%" in banner_markdown(running) and "처음 색인" in banner_markdown(running)
    report = {"chunks": {"added": 2, "deleted": 1, "unchanged": 5, "total": 7}}
    done = JobStatus(state="done", report=report, finished_at=100.0)
    assert "추가 2" in banner_markdown(done, now=105.0)
    assert banner_markdown(done, now=200.0) == ""
    assert banner_markdown(JobStatus()) == ""


def test_job_markdown_says_what_went_wrong() -> None:
    busy = JobStatus(state="busy", error="다른 색인 작업이 진행 중입니다")
    assert "다른 색인 작업이 진행 중입니다" in job_markdown(busy)
    failed = JobStatus(state="failed", error="OSError: disk full")
    assert "이전 색인은 그대로" in job_markdown(failed) and "disk full" in job_markdown(failed)
    assert job_markdown(JobStatus()) == ""


def test_watch_markdown_off_and_on(tmp_path: Path) -> None:
    assert "꺼짐" in watch_markdown(None)
    watcher = FolderWatcher(tmp_path, lambda paths: None)
    assert "꺼짐" in watch_markdown(watcher)
    try:
        assert watcher.start()
        report = {"chunks": {"added": 1, "deleted": 0, "unchanged": 3, "total": 4}}
        last = JobStatus(state="done", report=report, finished_at=100.0)
        text = watch_markdown(watcher, last)
        assert "감시 중" in text and "마지막 자동 색인" in text and "추가 **1**" in text
    finally:
        watcher.stop()
