"""``python -m rag ask`` as a student runs it: the JSON contract and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.answer.citations import Citation
from rag.config import Settings
from tests.checks import check_citations

PROJECT_DIR = Path(__file__).resolve().parents[1]


def test_no_index_gives_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, "TIL_INDEX_DIR": str(tmp_path / "none")}
    out = subprocess.run(
        [sys.executable, "-m", "rag", "ask", "파드란?", "--json"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 3
    assert "python -m ingest" in json.loads(out.stdout)["error"]
    assert "Traceback" not in out.stderr


def _ask_cli(
    settings: Settings, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m rag ask ARGS`` against the index of ``settings``, as a student runs it."""
    return subprocess.run(
        [sys.executable, "-m", "rag", "ask", *args],
        cwd=PROJECT_DIR,
        env={**os.environ, "TIL_INDEX_DIR": str(settings.index_dir), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ask_cli_json_contract(seed_settings: Settings) -> None:
    out = _ask_cli(seed_settings, "파드란 무엇인가?", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"question", "answer", "refused", "citations", "timings_ms"} <= data.keys()
    assert data["refused"] is False
    for c in data["citations"]:
        assert {"n", "source", "kind", "title", "section", "url", "snippet"} <= c.keys()
    check_citations(
        data["answer"],
        [
            Citation(
                **{k: c[k] for k in ("n", "source", "kind", "title", "section", "url", "snippet")}
            )
            for c in data["citations"]
        ],
    )


def test_ask_cli_text_lists_each_source_with_its_day(seed_settings: Settings) -> None:
    out = _ask_cli(seed_settings, "파드란 무엇인가?")
    assert out.returncode == 0, out.stderr
    sources = out.stdout.split("출처 (sources):", 1)[1]
    assert "[1] TIL Template · 2025-02-11 — " in sources


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("TIL_FUSION", "rfr", "TIL_FUSION='rfr': use convex or rrf"),
        ("TIL_RETRIEVER", "vector", "TIL_RETRIEVER='vector': use hybrid, dense or bm25"),
        ("TIL_BM25_ALPHA", "3", "TIL_BM25_ALPHA=3.0: must be between 0 and 1"),
    ],
)
def test_misspelt_retrieval_setting_is_a_clear_error(
    seed_settings: Settings, var: str, value: str, message: str
) -> None:
    out = _ask_cli(seed_settings, "파드란?", env={var: value})
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: {message}"


def test_bytes_a_terminal_can_pass_are_a_question_not_a_traceback(
    seed_settings: Settings,
) -> None:
    # printf '\xff\xfe REST': not UTF-8, so Python hands the program lone surrogates.
    out = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"rag", b"ask", b"\xff\xfe REST", b"--json"],
        cwd=PROJECT_DIR,
        env={**os.environ, "TIL_INDEX_DIR": str(seed_settings.index_dir)},
        capture_output=True,
        timeout=120,
    )
    assert b"Traceback" not in out.stderr
    data = json.loads(out.stdout.decode("utf-8"))
    assert out.returncode == 0 and data["question"] == "REST"


@pytest.mark.parametrize(
    ("args", "code", "check"),
    [
        (("-파드", "--json"), 0, lambda d: "answer" in d and d["question"] == "-파드"),
        (("파드란?", "--bogus", "--json"), 2, lambda d: "unrecognized" in d["error"]),
        (("--json",), 2, lambda d: "question is missing" in d["error"]),
        (("   ", "--json"), 2, lambda d: "질문을 입력해 주세요" in d["error"]),
    ],
)
def test_every_json_path_prints_json(
    seed_settings: Settings, args: tuple[str, ...], code: int, check
) -> None:
    out = _ask_cli(seed_settings, *args)
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr and "usage:" not in out.stderr
    assert check(json.loads(out.stdout))
