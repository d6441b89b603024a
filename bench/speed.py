"""Speed: ingest throughput (with the fetch/parse/chunk/embed/tokenize/write split), an
incremental re-index after a one-line edit, warm ask latency over the gold questions, and the
app's cold start. Writes bench/results/speed.json.

    python bench/speed.py                 # everything in a temporary folder
    python bench/speed.py --keep /tmp/sp  # keep the index for other benchmarks
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench._common import (  # noqa: E402
    GOLD,
    copy_seed_note,
    fixture_site,
    note_settings,
    time_asks,
    work_dir,
    write_result,
)
from rag.config import PROJECT_ROOT, Settings  # noqa: E402
from rag.eval.gold import load_gold  # noqa: E402

PHASES = ("fetch", "parse", "chunk", "embed", "tokenize", "write")

# A subprocess, so imports and model loads are really cold. "ui" = build_app returned (the
# page could be served); "warm" = the background warm-up finished (first answer is fast).
COLD_START = """
import json, sys, time
t0 = time.perf_counter()
import app
from rag.config import load_settings
t_import = time.perf_counter()
settings = load_settings(index_dir=sys.argv[1], corpus_dir=sys.argv[2])
demo = app.build_app(settings, build_missing=False)
t_ui = time.perf_counter()
ctx = getattr(demo, "til_context", None)
if ctx is not None:
    ctx.warmed.wait(600)
t_warm = time.perf_counter()
print(json.dumps({"import_s": t_import - t0, "ui_s": t_ui - t0, "warm_s": t_warm - t0}))
"""


def ingest_run(settings: Settings) -> dict[str, Any]:
    from ingest.sync import sync_index

    t0 = time.perf_counter()
    report = sync_index(settings)
    wall = time.perf_counter() - t0
    data = report.to_dict()
    return {
        "seconds": round(wall, 2),
        "chunks": report.total,
        "added": report.added,
        "deleted": report.deleted,
        "unchanged": report.unchanged,
        "chunks_per_s": round(report.total / wall, 2) if wall else None,
        "embed_chunks_per_s": (
            round(report.added / report.timings["embed"], 2)
            if report.timings.get("embed") and report.added
            else None
        ),
        "timings_s": {p: data["timings"].get(p, 0.0) for p in PHASES},
        "references": data["references"],
    }


def edit_one_line(note: Path) -> str:
    """Change one sentence of the note, as a student fixing a typo would."""
    text = note.read_text(encoding="utf-8")
    old = "하드웨어 대신 소프트웨어를 사용하는 가상의 소프트웨어 컴퓨터"
    new = old + " (물리 장비를 흉내 낸다)"
    if old not in text:  # the seed note changed: edit its first non-heading line instead
        lines = text.splitlines()
        i = next(n for n, line in enumerate(lines) if line.strip() and not line.startswith("#"))
        old, new = lines[i], lines[i] + " (수정)"
    note.write_text(text.replace(old, new, 1), encoding="utf-8")
    return new


def ask_latency(settings: Settings, questions: list[str], mode: str = "hybrid") -> dict[str, Any]:
    from rag.assistant import Assistant

    times = time_asks(Assistant(settings), questions, mode=mode)
    return {
        "mode": mode,
        "questions": len(times.latencies_ms),
        "warm_up_s": round(times.warm_s, 2),
        "first_question_ms": times.first_ms,
        "p50_ms": times.p50_ms,
        "p95_ms": times.p95_ms,
        "max_ms": round(max(times.latencies_ms), 1),
        "retrieve_p50_ms": times.retrieve_p50_ms,
    }


def app_cold_start(settings: Settings) -> dict[str, Any] | None:
    app_py = PROJECT_ROOT / "app.py"
    if not app_py.is_file() or "def build_app" not in app_py.read_text(encoding="utf-8"):
        return None  # nothing to measure: the row is skipped
    proc = subprocess.run(
        [sys.executable, "-c", COLD_START, str(settings.index_dir), str(settings.corpus_dir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return {k: round(v, 2) for k, v in data.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    parser.add_argument("--questions", type=int, help="only the first N gold questions")
    parser.add_argument("--no-app", action="store_true", help="skip the app cold start")
    args = parser.parse_args(argv)

    console = Console()
    with work_dir(args.keep, "til-speed-") as root:
        note = copy_seed_note(root / "corpus")
        results: dict[str, Any] = {}
        with fixture_site() as site:
            settings = note_settings(root, site)
            console.print(f"[bold]ingest[/bold] note + linked pages into {settings.index_dir} …")
            results["ingest_full"] = ingest_run(settings)
            console.print("[bold]re-ingest[/bold] unchanged …")
            results["ingest_noop"] = ingest_run(settings)
            edited = edit_one_line(note)
            console.print("[bold]re-ingest[/bold] after a one-line edit …")
            results["ingest_incremental"] = ingest_run(settings) | {"edited_line": edited}

        questions = [g.question for g in load_gold(GOLD)]
        if args.questions:
            questions = questions[: args.questions]
        console.print(f"[bold]ask[/bold] {len(questions)} gold questions (hybrid, warm) …")
        results["ask"] = ask_latency(settings, questions)
        if not args.no_app:
            console.print("[bold]app[/bold] cold start …")
            results["app_cold_start"] = app_cold_start(settings)

    full, inc, noop = results["ingest_full"], results["ingest_incremental"], results["ingest_noop"]
    table = Table(title="speed")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("detail")
    table.add_row(
        "ingest (note + 6 pages)",
        f"{full['seconds']} s",
        f"{full['chunks']} chunks, {full['chunks_per_s']} chunks/s",
    )
    table.add_row("  embed throughput", f"{full['embed_chunks_per_s']} chunks/s", "")
    for phase in PHASES:
        share = full["timings_s"][phase] / full["seconds"] if full["seconds"] else 0
        table.add_row(f"  {phase}", f"{full['timings_s'][phase]:.2f} s", f"{share:.0%}")
    table.add_row(
        "re-index, nothing changed",
        f"{noop['seconds']} s",
        f"+{noop['added']} / -{noop['deleted']}",
    )
    table.add_row(
        "re-index after one-line edit",
        f"{inc['seconds']} s",
        f"+{inc['added']} / -{inc['deleted']} chunks",
    )
    ask = results["ask"]
    table.add_row(
        "ask p50 (warm, hybrid)",
        f"{ask['p50_ms']} ms",
        f"{ask['questions']} questions; retrieve p50 {ask['retrieve_p50_ms']} ms",
    )
    table.add_row("ask p95 (warm, hybrid)", f"{ask['p95_ms']} ms", f"max {ask['max_ms']} ms")
    table.add_row(
        "first question after warm()",
        f"{ask['first_question_ms']} ms",
        f"warm() took {ask['warm_up_s']} s",
    )
    cold = results.get("app_cold_start")
    if cold and "error" not in cold:
        table.add_row(
            "app cold start: UI built", f"{cold['ui_s']} s", f"imports {cold['import_s']} s"
        )
        table.add_row("app cold start: warm", f"{cold['warm_s']} s", "models + index loaded")
    elif cold:
        table.add_row("app cold start", "failed", str(cold["error"]))
    console.print(table)
    path = write_result("speed", results)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
