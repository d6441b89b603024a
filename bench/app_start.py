"""Cold start of ``python app.py``: time to the first usable page, with an index and without.

Each run starts a fresh ``python app.py`` process (cold imports, cold models) on a free
loopback port and measures from process start:

- ``page_s``: first HTTP 200 on ``/``;
- ``config_s``: ``/config`` answers with the app's components (the page can render);
- ``answer_s``: the first question answered with a citation (``/ask``); without an index
  this includes building it in the background (offline: the note only).

Two scenarios: ``existing`` (an index built beforehand, not timed) and ``none`` (an empty
index folder each run). Writes bench/results/app_start.json.

    python bench/app_start.py              # 3 runs of each scenario
    python bench/app_start.py --runs 1
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench._common import copy_seed_note, note_settings, write_result  # noqa: E402
from rag.config import PROJECT_ROOT  # noqa: E402

QUESTION = "파드(Pod)란 무엇인가요?"
TIMEOUT_S = 600.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Any, deadline: float, every: float = 0.05) -> bool:
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except (httpx.HTTPError, OSError, ValueError):
            pass
        time.sleep(every)
    return False


def first_answer(url: str, deadline: float) -> bool:
    """Ask until an answer with a citation comes back (while the index is still being built
    the app answers with a progress message instead)."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    while time.monotonic() < deadline:
        chat, sources, _ = client.predict(QUESTION, api_name="/ask")
        if 'id="src-1"' in sources:
            return True
        client.predict(api_name="/clear_chat")
        time.sleep(0.5)
    return False


def measure(proc: subprocess.Popen[bytes], url: str, t0: float) -> dict[str, Any]:
    deadline = t0 + TIMEOUT_S
    result: dict[str, Any] = {}
    if not wait_until(lambda: httpx.get(url, timeout=2).status_code == 200, deadline):
        raise RuntimeError("no HTTP 200 on /")
    result["page_s"] = time.monotonic() - t0

    def config_loaded() -> bool:
        response = httpx.get(url + "config", timeout=2)
        return response.status_code == 200 and bool(response.json().get("components"))

    if not wait_until(config_loaded, deadline):
        raise RuntimeError("/config never loaded")
    result["config_s"] = time.monotonic() - t0
    if not first_answer(url, deadline):
        raise RuntimeError("no cited answer")
    result["answer_s"] = time.monotonic() - t0
    try:
        import psutil

        result["rss_mb"] = round(psutil.Process(proc.pid).memory_info().rss / 2**20)
    except Exception:  # psutil is a bench extra; the timings matter more
        pass
    return result


def one_run(corpus: Path, index: Path, cache: Path) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TIL_OFFLINE": "1",
        "TIL_CACHE_DIR": str(cache),
        "TIL_HOST": "127.0.0.1",
    }
    for var in ("TIL_AUTH_USER", "TIL_AUTH_PASSWORD", "TIL_SHARE", "TIL_WATCH"):
        env.pop(var, None)
    cmd = [
        sys.executable,
        str(PROJECT_ROOT / "app.py"),
        "--port",
        str(port),
        "--corpus",
        str(corpus),
        "--index",
        str(index),
    ]
    with tempfile.TemporaryFile() as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            result = measure(proc, url, t0)
        except Exception as exc:
            log.seek(0)
            tail = log.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            result = {"error": f"{exc}: {' | '.join(tail)}"}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if "error" not in r]
    out: dict[str, Any] = {"runs": runs, "ok": len(ok)}
    for key in ("page_s", "config_s", "answer_s", "rss_mb"):
        values = [r[key] for r in ok if key in r]
        if values:
            out[f"median_{key}"] = round(statistics.median(values), 2)
            out[f"min_{key}"] = round(min(values), 2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    args = parser.parse_args(argv)
    console = Console()
    scenarios: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="til-app-start-") as tmp:
        root = Path(tmp)
        settings = note_settings(root)
        copy_seed_note(settings.corpus_dir)
        console.print("building the index for the 'existing' scenario (not timed) …")
        from ingest.sync import sync_index

        sync_index(settings)
        existing = [
            one_run(settings.corpus_dir, settings.index_dir, settings.cache_dir)
            for _ in range(args.runs)
        ]
        scenarios["existing"] = summarize(existing)
        none = []
        for i in range(args.runs):
            fresh = root / f"fresh-{i}"
            none.append(one_run(settings.corpus_dir, fresh / "index", fresh / "cache"))
        scenarios["none"] = summarize(none)

    table = Table(title=f"python app.py cold start (median of {args.runs}; seconds from exec)")
    table.add_column("index")
    table.add_column("HTTP 200 /", justify="right")
    table.add_column("config loaded", justify="right")
    table.add_column("first cited answer", justify="right")
    table.add_column("RSS MB", justify="right")
    table.add_column("ok", justify="right")
    for name, data in scenarios.items():
        table.add_row(
            name,
            str(data.get("median_page_s", "-")),
            str(data.get("median_config_s", "-")),
            str(data.get("median_answer_s", "-")),
            str(data.get("median_rss_mb", "-")),
            f"{data['ok']}/{args.runs}",
        )
    console.print(table)
    for name, data in scenarios.items():
        for run in data["runs"]:
            if "error" in run:
                console.print(f"[red]{name}: {run['error']}[/red]")
    path = write_result(
        "app_start",
        {
            "question": QUESTION,
            "corpus": "corpus/2025-02-11.md (offline: linked pages not fetched)",
            "scenarios": scenarios,
        },
    )
    console.print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 0 if all(d["ok"] == args.runs for d in scenarios.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
