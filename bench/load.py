"""Load: simulated students asking through the running app (real Gradio server on loopback,
real HTTP clients) while the notes are edited and re-indexed. Bounded: it stops by itself.

    python bench/load.py                        # 20 users for 60 s, two re-indexes
    python bench/load.py --users 4 --seconds 8  # the short version the test suite runs

Every answer is checked: no error, the chat shows the question that was asked (answers are
not mixed up between users), and an answer cites or plainly refuses. Prints a table and writes
bench/results/load.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import SEED_NOTE, work_dir, write_result  # noqa: E402
from rag.config import PROJECT_ROOT, Settings  # noqa: E402

QUESTIONS = PROJECT_ROOT / "tests" / "data" / "dev.jsonl"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def fail(self, why: str) -> None:
        with self.lock:
            self.errors.append(why)


def _settings(root: Path) -> Settings:
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED_NOTE, corpus / SEED_NOTE.name)
    return Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        cache_dir=root / "cache",
        review_db=root / "index" / "reviews.sqlite3",
        offline=True,
    )


def _questions() -> list[str]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    return [r["question"] for r in rows if r.get("question")]


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
            return str(content)
    return ""


def _user(url: str, questions: list[str], offset: int, until: float, tally: Tally) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    i = offset
    while time.monotonic() < until:
        question = questions[i % len(questions)]
        i += 1
        started = time.perf_counter()
        try:
            messages, _sources, _ = client.predict(question, api_name="/ask")
        except Exception as exc:  # a failed request is the measurement, not a crash
            tally.fail(f"{type(exc).__name__}: {exc}"[:200])
            continue
        seconds = time.perf_counter() - started
        asked = _last_user_text(messages)
        answer = str(messages[-1].get("content", "")) if messages else ""
        if " ".join(asked.split()) != " ".join(question.split()):
            tally.fail(f"mixed up: asked {question!r}, the chat shows {asked!r}")
        elif not answer:
            tally.fail(f"empty answer to {question!r}")
        elif "오류" in answer or "Traceback" in answer:
            tally.fail(f"error answer to {question!r}: {answer[:120]}")
        else:
            tally.ok(seconds)


def _editor(settings: Settings, times: int, until: float, tally: Tally) -> int:
    """Edit a note and re-index ``times`` times, spread over the run, as another process's
    ``python -m ingest`` would (the app must notice and keep answering)."""
    from ingest.sync import sync_index

    done = 0
    note = Path(settings.corpus_dir) / "load-edit.md"
    gap = max(1.0, (until - time.monotonic()) / (times + 1))
    for n in range(times):
        time.sleep(gap)
        if time.monotonic() >= until:
            break
        note.write_text(f"# 편집 {n}\n\n## 부하 시험 {n}\n\n편집 {n}번째 내용이다.\n", "utf-8")
        try:
            sync_index(settings)
            done += 1
        except Exception as exc:
            tally.fail(f"re-index: {type(exc).__name__}: {exc}"[:200])
    return done


def run(users: int, seconds: float, reindexes: int, keep: str | None = None) -> dict[str, Any]:
    import app
    from ingest.sync import sync_index

    with work_dir(keep, "til-load-") as root:
        settings = _settings(root)
        sync_index(settings)
        demo = app.build_app(settings)
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        demo.launch(
            prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
            ssr_mode=False,
        )
        try:
            demo.til_context.warmed.wait(timeout=120)
            url = f"http://127.0.0.1:{port}/"
            questions = _questions()
            tally = Tally()
            until = time.monotonic() + seconds
            threads = [
                threading.Thread(target=_user, args=(url, questions, 7 * u, until, tally))
                for u in range(users)
            ]
            started = time.perf_counter()
            for t in threads:
                t.start()
            done = _editor(settings, reindexes, until, tally)
            for t in threads:
                t.join(timeout=seconds + 120)
            wall = time.perf_counter() - started
        finally:
            demo.close()
    lat = sorted(tally.latencies)

    def pct(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else None

    return {
        "users": users,
        "seconds": seconds,
        "reindexes": done,
        "answers": len(lat),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:5],
        "answers_per_s": round(len(lat) / wall, 2) if wall else None,
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "max_ms": round(lat[-1] * 1000, 1) if lat else None,
        "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--reindexes", type=int, default=2)
    parser.add_argument("--work", help="keep the index in this folder")
    parser.add_argument("--out", help="result file (default bench/results/load.json)")
    args = parser.parse_args(argv)
    result = run(args.users, args.seconds, args.reindexes, args.work)
    print(
        f"{result['users']} users, {result['seconds']:g} s, {result['reindexes']} re-indexes: "
        f"{result['answers']} answers ({result['answers_per_s']}/s), {result['errors']} errors; "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms"
    )
    for sample in result["error_samples"]:
        print(f"  error: {sample}")
    path = write_result("load", result, path=Path(args.out) if args.out else None)
    print(f"wrote {path}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
