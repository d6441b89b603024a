"""Scale: how indexing and querying cost grow with the number of notes.

Generates N dated TIL notes (deterministic: same N and seed, same bytes) from sentences of the
six reference pages and the seed note, indexes them together with the seed note, and compares
index time, index size on disk, peak RSS and query latency against an index of the seed note
alone. Writes bench/results/scale-<N>.json.

    python bench/scale.py --notes 200        # minutes
    python bench/scale.py                    # 2000 notes (~40k chunks): long, see --estimate
    python bench/scale.py --notes 2000 --estimate   # generate + count chunks, no embedding
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench._common import (  # noqa: E402
    FIXTURE_SOURCES,
    GOLD,
    SEED_NOTE,
    RssSampler,
    copy_seed_note,
    dir_size,
    note_settings,
    time_asks,
    work_dir,
    write_result,
)
from rag.config import Settings  # noqa: E402
from rag.eval.gold import load_gold  # noqa: E402

START = date(2020, 1, 1)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_ANCHOR = re.compile(r"\s*\{#[^}]*\}")
_SENTENCE_END = re.compile(r"(?<=[다요함음됨]\.)\s+|(?<=[.!?])\s+(?=[가-힣A-Z])")


def _clean(text: str) -> str:
    text = _FRONT_MATTER.sub("", text)
    for pattern in (_FENCE, _COMMENT, _SHORTCODE, _IMAGE):
        text = pattern.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    # Generated notes must not link anywhere: a link would make ingestion fetch it.
    return _URL.sub("", text).replace("**", "").replace("`", "").replace("_", " ")


def harvest(sources: list[Path]) -> tuple[list[str], list[str]]:
    """Sentences and headings of the given markdown files, cleaned, deduplicated, in order."""
    sentences: list[str] = []
    headings: list[str] = []
    for path in sources:
        text = _clean(path.read_text(encoding="utf-8"))
        paragraph: list[str] = []
        for raw in text.splitlines() + [""]:
            line = raw.strip()
            if line.startswith("#"):
                head = _ANCHOR.sub("", line.lstrip("#").strip())
                if 2 <= len(head) <= 40 and re.search(r"[가-힣]", head) and "날짜" not in head:
                    headings.append(head)
                line = ""
            if line.startswith("|") or line.startswith(":"):
                line = line.lstrip(":").strip() if line.startswith(":") else ""
            if line:
                paragraph.append(line.lstrip("-*0123456789. ").strip())
                continue
            for sentence in _SENTENCE_END.split(" ".join(paragraph)):
                sentence = re.sub(r"\s+", " ", sentence).strip()
                if 25 <= len(sentence) <= 220 and len(re.findall(r"[가-힣]", sentence)) >= 10:
                    sentences.append(sentence)
            paragraph = []
    return list(dict.fromkeys(sentences)), list(dict.fromkeys(headings))


def generate_notes(n: int, out_dir: Path, seed: int = 7) -> list[Path]:
    """Write ``n`` notes ``YYYY/YYYY-MM-DD.md`` dated from 2020-01-01, one a day."""
    sources = sorted(FIXTURE_SOURCES.glob("*.md")) + [SEED_NOTE]
    sentences, headings = harvest(sources)
    if len(sentences) < 50 or len(headings) < 10:
        raise SystemExit(f"too little text to generate from ({len(sentences)} sentences)")
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        day = START + timedelta(days=i)
        topics = rng.sample(headings, 5)
        lines = [
            "# TIL",
            "",
            f"## 날짜: {day.isoformat()}",
            "",
            "### 스크럼",
            f"- 학습 목표 : {topics[0]} 정리하기",
            "",
        ]
        for topic in topics[1:]:
            lines += [f"### {topic}", ""]
            lines += [" ".join(rng.sample(sentences, rng.randint(2, 3))), ""]
            label = rng.choice(headings)
            lines += [f"- {label}"]
            lines += [f"    - {s}" for s in rng.sample(sentences, rng.randint(2, 4))]
            lines += [f"- {rng.choice(headings)}", f"    - {rng.choice(sentences)}", ""]
            lines += [" ".join(rng.sample(sentences, rng.randint(1, 3))), ""]
        lines += ["### 오늘의 회고", rng.choice(sentences), ""]
        path = out_dir / str(day.year) / f"{day.isoformat()}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def count_chunks(settings: Settings) -> int:
    """Chunks the corpus would produce, without embedding anything (for estimates)."""
    from ingest.chunking import chunk_note
    from ingest.notes import discover_notes, parse_note

    total = 0
    for path in discover_notes(settings.corpus_dir):
        note = parse_note(path, settings.corpus_dir)
        index = settings.index
        total += len(chunk_note(note, index.chunk_target_chars, index.chunk_max_chars))
    return total


def measure(settings: Settings, queries: list[str], label: str, console: Console) -> dict:
    """Index the corpus from scratch, then time hybrid answers over ``queries``."""
    from ingest.sync import sync_index
    from rag.assistant import Assistant

    console.print(f"[bold]{label}[/bold]: indexing {settings.corpus_dir} …")
    with RssSampler() as rss_index:
        t0 = time.perf_counter()
        report = sync_index(settings, progress=True)
        index_s = time.perf_counter() - t0
    assistant = Assistant(settings)
    with RssSampler() as rss_query:
        times = time_asks(assistant, queries)
    size = dir_size(settings.index_dir)
    return {
        "notes": report.notes,
        "chunks": report.total,
        "index_seconds": round(index_s, 2),
        "chunks_per_s": round(report.total / index_s, 2) if index_s else None,
        "timings_s": {k: round(v, 2) for k, v in report.timings.items()},
        "index_bytes": size,
        "index_mb": round(size / 2**20, 2),
        "chunks_json_mb": round(
            (Path(settings.index_dir) / "chunks.json").stat().st_size / 2**20, 2
        ),
        "peak_rss_index_mb": round(rss_index.peak / 2**20, 1),
        "peak_rss_query_mb": round(rss_query.peak / 2**20, 1),
        "load_seconds": round(times.warm_s, 2),
        "queries": len(times.latencies_ms),
        "query_p50_ms": times.p50_ms,
        "query_p95_ms": times.p95_ms,
        "retrieve_p50_ms": times.retrieve_p50_ms,
    }


def _ratio(big: float | None, small: float | None) -> str:
    if not big or not small:
        return "–"
    return f"×{big / small:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=2000, help="generated notes (default 2000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=30, help="gold questions to time")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="only generate and count chunks; estimate index time",
    )
    parser.add_argument(
        "--chunks-per-s",
        type=float,
        default=None,
        help="throughput for --estimate (default: measured on the seed note)",
    )
    args = parser.parse_args(argv)

    console = Console()
    queries = [g.question for g in load_gold(GOLD) if g.kind != "refusal"][: args.queries]
    with work_dir(args.keep, "til-scale-") as root:
        seed_root, big_root = root / "seed", root / f"notes-{args.notes}"
        copy_seed_note(seed_root / "corpus")
        copy_seed_note(big_root / "corpus")
        t0 = time.perf_counter()
        generate_notes(args.notes, big_root / "corpus" / "generated", args.seed)
        gen_s = time.perf_counter() - t0
        seed_settings = note_settings(seed_root)  # offline: the seed note's links are not fetched
        big_settings = note_settings(big_root)
        expected = count_chunks(big_settings)
        console.print(f"generated {args.notes} notes in {gen_s:.1f} s → {expected} chunks expected")

        results: dict[str, Any] = {
            "notes": args.notes,
            "seed": args.seed,
            "generate_seconds": round(gen_s, 2),
            "expected_chunks": expected,
        }
        seed = measure(seed_settings, queries, "seed note only", console)
        results["seed_only"] = seed
        if args.estimate:
            rate = args.chunks_per_s or seed["chunks_per_s"]
            results["estimate"] = {"chunks_per_s": rate, "index_seconds": round(expected / rate, 1)}
            console.print(
                f"estimate: {expected} chunks at {rate} chunks/s ≈ "
                f"{expected / rate / 60:.1f} min to index"
            )
            write_result(f"scale-{args.notes}-estimate", results)
            return 0
        big = measure(big_settings, queries, f"{args.notes} notes", console)
        results["scaled"] = big

    table = Table(title=f"scale: seed note vs seed + {args.notes} generated notes")
    table.add_column("measure")
    table.add_column("seed only", justify="right")
    table.add_column(f"+{args.notes} notes", justify="right")
    table.add_column("growth", justify="right")
    rows = [
        ("notes", "notes", ""),
        ("chunks", "chunks", ""),
        ("index time (s)", "index_seconds", ""),
        ("chunks/s", "chunks_per_s", ""),
        ("index on disk (MB)", "index_mb", ""),
        ("  chunks.json (MB)", "chunks_json_mb", ""),
        ("peak RSS indexing (MB)", "peak_rss_index_mb", ""),
        ("peak RSS querying (MB)", "peak_rss_query_mb", ""),
        ("load/warm (s)", "load_seconds", ""),
        ("query p50 (ms)", "query_p50_ms", ""),
        ("query p95 (ms)", "query_p95_ms", ""),
        ("retrieve p50 (ms)", "retrieve_p50_ms", ""),
    ]
    for label, key, _ in rows:
        table.add_row(label, str(seed[key]), str(big[key]), _ratio(big[key], seed[key]))
    console.print(table)
    chunk_growth = big["chunks"] / max(1, seed["chunks"])
    extra_chunks = max(1, big["chunks"] - seed["chunks"])
    # Marginal costs (big minus seed-only): the seed run also pays one-off model loading.
    growth = {
        "chunk_growth": round(chunk_growth, 1),
        "marginal_index_s_per_1k_chunks": round(
            1000 * (big["index_seconds"] - seed["index_seconds"]) / extra_chunks, 1
        ),
        "embed_share_of_index_time": round(
            big["timings_s"].get("embed", 0.0) / max(0.01, big["index_seconds"]), 3
        ),
        "marginal_disk_kb_per_chunk": round(
            (big["index_bytes"] - seed["index_bytes"]) / extra_chunks / 1024, 2
        ),
        "query_p50_growth": round(big["query_p50_ms"] / max(0.1, seed["query_p50_ms"]), 2),
        "retrieve_p50_growth": round(big["retrieve_p50_ms"] / max(0.1, seed["retrieve_p50_ms"]), 2),
        "rss_query_growth_mb": round(big["peak_rss_query_mb"] - seed["peak_rss_query_mb"], 1),
    }
    results["growth"] = growth
    console.print(
        f"{chunk_growth:.0f}× the chunks: indexing costs "
        f"{growth['marginal_index_s_per_1k_chunks']} s per extra 1k chunks "
        f"({growth['embed_share_of_index_time']:.0%} of it embedding), "
        f"{growth['marginal_disk_kb_per_chunk']} KB on disk per extra chunk; "
        f"query p50 ×{growth['query_p50_growth']} (retrieval ×{growth['retrieve_p50_growth']}), "
        f"+{growth['rss_query_growth_mb']} MB resident while querying."
    )
    path = write_result(f"scale-{args.notes}", results)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
