"""Tests of rag.eval.baseline: heading breadcrumbs, the tutorial split, the source texts it
reads (note files, web cache, chunk-store fallback), and its independence from ``ingest``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Settings
from rag.eval.baseline import (
    BASELINE_CHUNK_SIZE,
    baseline_source_texts,
    breadcrumb_at,
    heading_spans,
    split_sources,
)
from rag.index.pagecache import WebCache
from rag.index.store import ChunkStore, body_of

NOTE_SOURCE = "2025-02-11.md"


def test_heading_spans_follow_levels_and_skip_code() -> None:
    text = "# T\n\n## A {#a}\nx\n```\n# not a heading\n```\n### B\ny\n## C\nz\n"
    spans = heading_spans(text)
    assert [crumb for _, crumb in spans] == [(), ("T",), ("T", "A"), ("T", "A", "B"), ("T", "C")]
    assert breadcrumb_at(spans, text.index("y")) == ("T", "A", "B")
    assert breadcrumb_at(spans, text.index("z")) == ("T", "C")
    assert breadcrumb_at(spans, 0) == ("T",)


def test_split_sources_cuts_tutorial_chunks_with_the_heading_in_force() -> None:
    long_section = "레플리카셋은 파드 개수를 유지한다. " * 60
    text = f"# 쿠버네티스\n\n## 레플리카셋\n\n{long_section}\n\n## 디플로이먼트\n\n롤링 업데이트.\n"
    docs = split_sources({"k8s.md": (text, "file"), "https://x.test/p": ("본문", "web-cache")})
    note = [d for d in docs if d.metadata["source"] == "k8s.md"]
    assert len(note) >= 3 and all(len(d.page_content) <= BASELINE_CHUNK_SIZE for d in note)
    # A chunk from the middle of the long section still knows which section it is in.
    assert note[1].metadata["section"] == "쿠버네티스 > 레플리카셋"
    assert note[1].metadata["crumb"] == "쿠버네티스\n레플리카셋"
    assert note[-1].metadata["section"] == "쿠버네티스 > 디플로이먼트"
    assert {d.metadata["kind"] for d in note} == {"note"}
    page = [d for d in docs if d.metadata["source"] == "https://x.test/p"]
    assert [d.metadata["kind"] for d in page] == ["reference"]


def test_baseline_imports_nothing_from_ingest() -> None:
    code = (
        "import rag.eval.baseline, sys; "
        "bad = [m for m in sys.modules if m == 'ingest' or m.startswith('ingest.')]; "
        "assert not bad, bad"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_source_texts_fall_back_to_the_chunk_store(seed_settings: Settings, tmp_path: Path) -> None:
    store = ChunkStore.load(seed_settings.index_dir)
    assert store is not None
    on_disk = baseline_source_texts(seed_settings, store)
    note_file = (seed_settings.corpus_dir / NOTE_SOURCE).read_text(encoding="utf-8")
    assert on_disk == {NOTE_SOURCE: (note_file, "file")}
    # Without the note file the text is rebuilt from the chunks, headings included, so the
    # baseline can still tell which section a chunk is in.
    rebuilt = baseline_source_texts(seed_settings.with_overrides(corpus_dir=tmp_path), store)
    text, origin = rebuilt[NOTE_SOURCE]
    assert origin == "chunk-store"
    deepest = max(store.docs, key=lambda d: d.metadata["section"].count(" > "))
    path = tuple(deepest.metadata["section"].split(" > "))
    assert len(path) >= 2
    offset = text.index(body_of(deepest).strip())
    assert breadcrumb_at(heading_spans(text), offset) == path


@pytest.mark.slow
def test_source_texts_read_pages_from_the_web_cache(full_settings: Settings) -> None:
    store = ChunkStore.load(full_settings.index_dir)
    assert store is not None
    texts = baseline_source_texts(full_settings, store)
    cache = WebCache(full_settings.cache_dir / "web")
    pages = {s: t for s, t in texts.items() if s.startswith("http")}
    assert len(pages) >= 6
    for url, (text, origin) in pages.items():
        cached = cache.load(url)
        assert cached is not None, url
        assert (text, origin) == (cached["text"], "web-cache"), url
    assert texts[NOTE_SOURCE][1] == "file"
