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
