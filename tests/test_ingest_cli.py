"""``python -m ingest`` as a student runs it: the JSON report, offline re-runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rag.config import Settings

PROJECT_DIR = Path(__file__).resolve().parents[1]


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


def test_busy_index_and_usage_errors_are_json_with_json(tmp_path: Path) -> None:
    import fcntl

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# a\n본문이다.\n", encoding="utf-8")
    index = tmp_path / "index"
    index.mkdir()
    env = {"TIL_CORPUS_DIR": str(corpus), "TIL_INDEX_DIR": str(index), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ingest", *args],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
        )

    with open(index / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another ingest run holds it
        busy = run("--offline", "--json")
    assert busy.returncode == 3
    assert "another ingest is running" in json.loads(busy.stdout)["error"]
    bad = run("--offline", "--json", "--nope")
    assert bad.returncode == 2 and "unrecognized" in json.loads(bad.stdout)["error"]
