"""Shared helpers for the benchmarks in this folder (not a test module).

Benchmarks run as scripts (``python bench/speed.py``); they put the project root on
``sys.path`` themselves, so this module may import ``rag`` and ``ingest`` freely.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.config import PROJECT_ROOT, Settings
from rag.eval.metrics import percentile
from tests.loopback import serve_directory

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
SHARED_DIR = PROJECT_ROOT.parent / "shared"
FIXTURE_SITE = SHARED_DIR / "fixtures" / "web" / "site"
FIXTURE_SOURCES = SHARED_DIR / "fixtures" / "web" / "source"
SEED_NOTE = PROJECT_ROOT / "corpus" / "2025-02-11.md"
GOLD = PROJECT_ROOT / "tests" / "data" / "gold.jsonl"


@contextlib.contextmanager
def fixture_site() -> Iterator[str]:
    """Serve the offline kubernetes.io pages on a free loopback port (the server
    tests/conftest.py uses), yielding ``http://127.0.0.1:PORT/``."""
    if not FIXTURE_SITE.is_dir():
        raise SystemExit(f"fixture site not found: {FIXTURE_SITE}")
    with serve_directory(FIXTURE_SITE) as base:
        yield base


@contextlib.contextmanager
def work_dir(keep: str | None, prefix: str) -> Iterator[Path]:
    """The folder a benchmark works in: ``keep`` (created, left in place), or a temporary
    folder removed afterwards, also when the run fails."""
    if keep:
        root = Path(keep)
        root.mkdir(parents=True, exist_ok=True)
        yield root
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def note_settings(root: Path, site: str | None = None, **overrides: Any) -> Settings:
    """Settings whose corpus, index and cache all live under ``root``; with ``site`` the
    kubernetes.io links are fetched from the fixture server, otherwise nothing is fetched."""
    base = Settings(
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        cache_dir=root / "cache",
        review_db=root / "index" / "reviews.sqlite3",
        offline=site is None,
    )
    if site:
        base = base.with_overrides(
            url_rewrites=(("https://kubernetes.io/", site),),
            allow_private_hosts=True,
            fetch={"timeout": 5.0},
        )
    return base.with_overrides(**overrides)


def copy_seed_note(corpus: Path) -> Path:
    corpus.mkdir(parents=True, exist_ok=True)
    target = corpus / SEED_NOTE.name
    shutil.copy(SEED_NOTE, target)
    return target


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


class RssSampler:
    """Peak resident memory of this process (models and embedded Chroma run in it), sampled
    in a thread: ``ru_maxrss`` would report the peak of the whole run, not of one phase."""

    def __init__(self, interval: float = 0.05) -> None:
        import psutil

        self._proc = psutil.Process(os.getpid())
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak = self._proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.peak = max(self.peak, self._proc.memory_info().rss)


@dataclass
class AskTimes:
    """Warm ask latency of one assistant: ``warm()``, the first question (it still pays for
    lazy caches), then every question timed once."""

    warm_s: float
    first_ms: float
    latencies_ms: list[float] = field(default_factory=list)
    retrieve_ms: list[float] = field(default_factory=list)

    @staticmethod
    def _p(values: list[float], q: float) -> float:
        return round(percentile(values, q) or 0.0, 1)

    @property
    def p50_ms(self) -> float:
        return self._p(self.latencies_ms, 50)

    @property
    def p95_ms(self) -> float:
        return self._p(self.latencies_ms, 95)

    @property
    def retrieve_p50_ms(self) -> float:
        return self._p(self.retrieve_ms, 50)


def time_asks(assistant: Any, questions: list[str], **ask_kwargs: Any) -> AskTimes:
    """Time ``assistant.warm()``, the first question on its own, then every question;
    ``ask_kwargs`` go to ``assistant.ask`` (e.g. ``mode``)."""
    t0 = time.perf_counter()
    assistant.warm()
    warm_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    assistant.ask(questions[0], **ask_kwargs)
    times = AskTimes(warm_s, ms(time.perf_counter() - t0))
    for q in questions:
        t0 = time.perf_counter()
        answer = assistant.ask(q, **ask_kwargs)
        times.latencies_ms.append((time.perf_counter() - t0) * 1000)
        times.retrieve_ms.append(answer.timings_ms.get("retrieve", 0.0))
    return times


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        # Other work on the machine inflates every timing; record it next to the numbers.
        "loadavg_1m": round(load[0], 2),
    }


def write_result(name: str, payload: dict[str, Any], path: Path | None = None) -> Path:
    """``payload`` with the benchmark's name, the time and the machine, as
    ``bench/results/<name>.json`` (or ``path``)."""
    path = Path(path) if path is not None else RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        **payload,
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
