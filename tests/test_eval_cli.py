"""Tests of rag.eval.cli: ``python -m rag eval`` end to end on the seed-note index, and its
exit codes for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Settings
from rag.eval.metrics import METRIC_KEYS

NOTE_SOURCE = "2025-02-11.md"

SMALL_GOLD = [
    {
        "id": "s1",
        "question": "하이퍼바이저의 두 가지 유형은?",
        "keywords": ["Type 1", "Type 2"],
        "source": NOTE_SOURCE,
        "section": "하이퍼바이저",
        "kind": "factual",
    },
    {
        "id": "s2",
        "question": "What must be built before running a container?",
        "keywords": ["이미지|image"],
        "source": NOTE_SOURCE,
        "section": "컨테이너",
        "kind": "crosslingual",
    },
    {
        "id": "s3",
        "question": "Helm 차트의 values.yaml은 어떻게 작성해?",
        "keywords": [],
        "source": "",
        "section": "",
        "kind": "refusal",
    },
]


@pytest.fixture(scope="module")
def seed_index(seed_settings: Settings) -> dict[str, str]:
    """Environment for the CLI over conftest's index of the seed note (offline)."""
    root = seed_settings.index_dir.parent
    return {
        "TIL_CORPUS_DIR": str(seed_settings.corpus_dir),
        "TIL_INDEX_DIR": str(seed_settings.index_dir),
        "TIL_CACHE_DIR": str(seed_settings.cache_dir),
        "TIL_OFFLINE": "1",
        "root": str(root),
    }


@pytest.mark.slow
def test_eval_cli_end_to_end(seed_index: dict[str, str]) -> None:
    root = Path(seed_index["root"])
    gold = root / "small.jsonl"
    gold.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in SMALL_GOLD), encoding="utf-8"
    )
    out, report, plot = root / "out.json", root / "docs" / "report.md", root / "docs" / "p.png"
    env = {**os.environ, **{k: v for k, v in seed_index.items() if k.startswith("TIL_")}}
    env["TIL_LLM"] = "none"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag",
            "eval",
            "--gold",
            str(gold),
            "--retriever",
            "hybrid",
            "--retriever",
            "bm25,baseline",
            "--k",
            "5",
            "--json",
            str(out),
            "--report",
            str(report),
            "--plot",
            str(plot),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "hit@1" in proc.stdout and "baseline" in proc.stdout  # the rich table

    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data["configs"]) == ["hybrid", "bm25", "baseline"]
    for name, m in data["configs"].items():
        assert set(METRIC_KEYS) <= set(m), name
        assert m["n"] == 3
        for key in (
            "hit@1",
            "hit@3",
            "hit@5",
            "mrr",
            "keyword_recall",
            "refusal_recall",
            "false_refusal_rate",
        ):
            assert m[key] is not None and 0.0 <= m[key] <= 1.0, (name, key)
        assert m["latency_ms_p50"] > 0
        assert m["faithfulness"] is None  # no LLM configured
        assert set(m["by_kind"]) == {"factual", "crosslingual", "refusal"}
    assert data["meta"]["gold_by_kind"] == {"factual": 1, "crosslingual": 1, "refusal": 1}
    assert len(data["questions"]) == 9
    for q in data["questions"]:
        assert {"id", "retriever", "hit_rank", "answer", "refused", "keywords_found"} <= set(q)
    # The baseline never refuses, so it cannot get the out-of-scope question right.
    assert data["configs"]["baseline"]["refusal_recall"] == 0.0
    assert data["meta"]["baseline"]["text_origin"] == {NOTE_SOURCE: "file"}
    # With one note indexed, every retrieved chunk comes from it.
    assert all(r["source"] == NOTE_SOURCE for q in data["questions"] for r in q["retrieved"])
    s1 = next(q for q in data["questions"] if q["id"] == "s1" and q["retriever"] == "bm25")
    assert s1["hit_rank"] is not None  # "하이퍼바이저" is in exactly one section's words

    assert plot.read_bytes()[:4] == b"\x89PNG"
    text = report.read_text(encoding="utf-8")
    assert "| metric | hybrid | bm25 | baseline |" in text and "### baseline" in text


def test_eval_cli_rejects_bad_input(tmp_path: Path) -> None:
    gold = tmp_path / "g.jsonl"
    # Any kind but "refusal" is an answerable question, and this one names no source.
    gold.write_text('{"id": "a", "question": "q", "kind": "nope"}\n', encoding="utf-8")
    run = [
        sys.executable,
        "-m",
        "rag",
        "eval",
        "--gold",
        str(gold),
        "--index",
        str(tmp_path / "none"),
    ]
    proc = subprocess.run(run, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "kind" in proc.stderr
    gold.write_text('{"id": "a", "question": "q", "kind": "refusal"}\n', encoding="utf-8")
    proc = subprocess.run(run, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3 and "ingest" in proc.stderr
    proc = subprocess.run(
        [*run, "--retriever", "hybrid,tfidf"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "unknown retriever" in proc.stderr
