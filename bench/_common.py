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
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rag.config import PROJECT_ROOT, Settings

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
SHARED_DIR = PROJECT_ROOT.parent / "shared"
FIXTURE_SITE = SHARED_DIR / "fixtures" / "web" / "site"
FIXTURE_SOURCES = SHARED_DIR / "fixtures" / "web" / "source"
SEED_NOTE = PROJECT_ROOT / "corpus" / "2025-02-11.md"
GOLD = PROJECT_ROOT / "tests" / "data" / "gold.jsonl"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        pass


@contextlib.contextmanager
def fixture_site() -> Iterator[str]:
    """Serve the offline kubernetes.io pages on a free loopback port (as tests/conftest.py
    does), yielding ``http://127.0.0.1:PORT/``."""
    if not FIXTURE_SITE.is_dir():
        raise SystemExit(f"fixture site not found: {FIXTURE_SITE}")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_QuietHandler, directory=str(FIXTURE_SITE))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fixture-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


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
            fetch_timeout=5.0,
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


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        # Other work on the machine inflates every timing; record it next to the numbers.
        "loadavg_1m": round(load[0], 2),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
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
