"""Quiz generation benchmark: how much each rule-based generator finds, how much of it the
mechanical check verifies, and how long a 10-item quiz takes.

    python bench/quiz_bench.py [--index /tmp/quizidx] [--corpus corpus] [--out FILE]

Build the index first (the seed note + its six cached kubernetes.io pages):
    TIL_INDEX_DIR=/tmp/quizidx TIL_CACHE_DIR=/tmp/cache1 TIL_OFFLINE=1 python -m ingest --json

"supported" is the check the tests use: the cited chunk's text (heading breadcrumb included)
contains the answer, or for true/false the term the statement is about. "in body" is
stricter: the answer appears in the chunk's prose, not only in its heading.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import RESULTS_DIR, machine, write_result  # noqa: E402
from rag import quiz  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.index.store import ChunkStore, body_of  # noqa: E402
from rag.quiz import analysis, prose  # noqa: E402
from rag.text import compact  # noqa: E402

# The rule-based generators (an LLM writes items only when one is configured).
GENERATORS = tuple(g for g in quiz.GENERATORS if g != "llm")


def _clear_caches() -> None:
    """Forget every analysis and memoised Kiwi result (Kiwi itself stays loaded)."""
    analysis.clear_cache()
    from rag.quiz import quality

    memoised = (prose.morphs, compact, prose.split_body, prose.good_sentence)
    for fn in (*memoised, quality._content_tokens):
        fn.cache_clear()


def measure_pool(store: ChunkStore, settings) -> tuple[dict, float]:
    _clear_caches()
    started = time.perf_counter()
    items = quiz.candidate_items(store, settings, seed=0)
    seconds = time.perf_counter() - started
    rows: dict[str, dict] = {}
    for gen in GENERATORS:
        mine = [i for i in items if i.generator == gen]
        facts = {i.fact_key for i in mine}
        supported = [i for i in mine if quiz.is_supported(i, store)]
        in_body = [
            i
            for i in mine
            if prose.contains(
                body_of(store.by_id[i.chunk_id]), i.term if i.type == "tf" else i.answer
            )
        ]
        by_kind: dict[str, set] = defaultdict(set)
        for i in mine:
            by_kind[i.citation.get("kind", "?")].add(i.fact_key)
        rows[gen] = {
            "items": len(mine),
            "distinct_facts": len(facts),
            "from_note": len(by_kind.get("note", ())),
            "from_reference": len(by_kind.get("reference", ())),
            "supported": len(supported),
            "supported_share": round(len(supported) / len(mine), 4) if mine else None,
            "in_body_share": round(len(in_body) / len(mine), 4) if mine else None,
            "types": sorted({i.type for i in mine}),
        }
    all_facts = {i.fact_key for i in items}
    rows["all"] = {
        "items": len(items),
        "distinct_facts": len(all_facts),
        "supported": sum(1 for i in items if quiz.is_supported(i, store)),
        "supported_share": round(
            sum(1 for i in items if quiz.is_supported(i, store)) / len(items), 4
        ),
    }
    return rows, seconds


def measure_quality(store: ChunkStore, settings) -> dict:
    """The item-writing rules of rag.quiz.quality over the pool *before* the check removes
    the items that break them: what share the generators get right, and which rules fail."""
    from rag.quiz.analysis import corpus_for
    from rag.quiz.quality import judge
    from rag.structure import template_of

    template = template_of(store, settings.structure)
    spellings = corpus_for(store, settings).spellings
    pool = quiz.candidate_items(store, settings, seed=0, checked=False)
    out = {"all": judge(pool, template, settings.quiz, spellings).to_dict()}
    for gen in GENERATORS:
        mine = [i for i in pool if i.generator == gen]
        out[gen] = judge(mine, template, settings.quiz, spellings).to_dict()
    return out


def journal_store() -> ChunkStore | None:
    """The real journal from ../shared as a chunk store (no vectors: quizzes need none)."""
    from bench._common import SHARED_DIR
    from ingest.chunking import chunk_note
    from ingest.notes import parse_note

    notes = SHARED_DIR / "corpora" / "realtil" / "notes"
    if not notes.is_dir():
        return None
    docs = [d for p in sorted(notes.glob("*.md")) for d in chunk_note(parse_note(p, notes))]
    return ChunkStore(docs, [[] for _ in docs])


def time_quizzes(store: ChunkStore, settings, runs: int) -> dict:
    _clear_caches()
    started = time.perf_counter()
    first = quiz.generate_quiz(store, settings, n=10, seed=0, include_due=False)
    cold = time.perf_counter() - started
    warm = []
    for seed in range(1, runs + 1):
        started = time.perf_counter()
        result = quiz.generate_quiz(store, settings, n=10, seed=seed, include_due=False)
        warm.append(time.perf_counter() - started)
        assert len(result.items) == 10, result.message
    return {
        "cold_in_process_s": round(cold, 3),
        "warm_median_s": round(statistics.median(warm), 3),
        "warm_max_s": round(max(warm), 3),
        "items": len(first.items),
        "generators_in_first_quiz": sorted({i.generator for i in first.items}),
    }


def time_cli(index: Path, corpus: Path) -> float:
    """Wall time of ``python -m rag quiz --n 10 --json`` in a fresh process (imports, Kiwi
    model load and warm-up included): what a command-line user waits."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "TIL_INDEX_DIR": str(index),
            "TIL_CORPUS_DIR": str(corpus),
            "TIL_REVIEW_DB": str(Path(tmp) / "r.sqlite3"),
            "TIL_LLM": "none",
        }
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "rag", "quiz", "--n", "10", "--seed", "0", "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"CLI failed: {proc.stderr[-2000:]}")
    return round(seconds, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("/tmp/quizidx"))
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "quiz.json")
    parser.add_argument("--runs", type=int, default=5, help="warm 10-item quizzes to time")
    args = parser.parse_args()

    store = ChunkStore.load(args.index)
    if store is None:
        raise SystemExit(f"no index at {args.index}; build it first (see the docstring)")
    settings = load_settings(index_dir=args.index, corpus_dir=args.corpus)
    kinds = defaultdict(int)
    for doc in store.docs:
        kinds[doc.metadata.get("kind", "?")] += 1

    from rag.text import get_kiwi, morphemes

    started = time.perf_counter()
    get_kiwi()
    morphemes("쿠버네티스 파드")  # Kiwi's first analysis loads more of its model
    kiwi_s = time.perf_counter() - started

    # Timing first (on a cold analysis cache), then the full pool.
    timing = time_quizzes(store, settings, args.runs)
    pool, pool_s = measure_pool(store, settings)
    cli_s = time_cli(args.index, args.corpus)
    quality = {"index": measure_quality(store, settings)}
    journal = journal_store()
    if journal is not None:
        quality["journal"] = measure_quality(journal, load_settings())

    result = {
        "index": str(args.index),
        "chunks": dict(kinds),
        "generators": pool,
        "quality": quality,
        "timing": {
            **timing,
            "kiwi_load_and_warmup_s": round(kiwi_s, 3),
            "full_pool_s": round(pool_s, 3),
            "cli_fresh_process_s": cli_s,
        },
        "machine": machine(),
    }
    out = write_result("quiz", result, path=args.out)

    print(f"index {args.index}: {dict(kinds)} chunks")
    head = (
        f"{'generator':<11} {'items':>6} {'facts':>6} {'note':>5} {'ref':>5} "
        f"{'supported':>10} {'in body':>8}  types"
    )
    print(head)
    print("-" * len(head))
    for gen in GENERATORS:
        row = pool[gen]
        share = f"{row['supported_share']:.1%}" if row["supported_share"] is not None else "-"
        body = f"{row['in_body_share']:.1%}" if row["in_body_share"] is not None else "-"
        print(
            f"{gen:<11} {row['items']:>6} {row['distinct_facts']:>6} {row['from_note']:>5} "
            f"{row['from_reference']:>5} {share:>10} {body:>8}  {','.join(row['types'])}"
        )
    total = pool["all"]
    print(
        f"{'all':<11} {total['items']:>6} {total['distinct_facts']:>6} {'':>5} {'':>5} "
        f"{total['supported_share']:>10.1%}"
    )
    print("\nitem-writing rules (rag.quiz.quality) over the pool before the check:")
    for name, rows in quality.items():
        for gen, row in rows.items():
            print(
                f"  {name:<8} {gen:<11} {row['n']:>6} items  {row['pass_rate']:.1%} pass  "
                f"{row['by_flaw']}"
            )
    t = result["timing"]
    print(
        f"\n10-item quiz: {t['cold_in_process_s']:.2f} s cold (first in process, analysis "
        f"cache empty), {t['warm_median_s']:.3f} s warm median (max {t['warm_max_s']:.3f})"
    )
    print(
        f"fresh CLI process (`python -m rag quiz --n 10 --json`): {t['cli_fresh_process_s']:.2f} s"
        f"; Kiwi load + warm-up alone {t['kiwi_load_and_warmup_s']:.2f} s"
    )
    print(
        f"full candidate pool over the index (cold caches): {t['full_pool_s']:.2f} s "
        f"(load average {result['machine']['loadavg_1m']} on {result['machine']['cpus']} CPUs)"
    )
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
