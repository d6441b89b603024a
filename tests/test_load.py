"""The short version of ``bench/load.py`` (the benchmark runs 20 users for 60 s): simulated
users ask through the running app while the notes are re-indexed; no error, none mixed up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def test_users_asking_through_a_reindex_get_their_own_answers(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, "bench/load.py", "--users", "3", "--seconds", "8", "--reindexes", "1",
         "--out", str(out)],
        cwd=PROJECT_DIR,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    assert proc.returncode == 0, (result["error_samples"], proc.stderr[-2000:])
    assert result["errors"] == 0 and result["reindexes"] == 1
    assert result["answers"] >= 3 and result["p95_ms"] is not None
