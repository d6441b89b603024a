"""``python -m rag quiz`` (rag/quiz/cli.py): JSON, a piped terminal quiz, review recording,
errors; as a real subprocess once, in-process otherwise."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.__main__ import main as rag_main
from rag.config import Settings
from rag.quiz import QuizItem, ReviewStore

PROJECT = Path(__file__).resolve().parents[1]


def _env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "TIL_INDEX_DIR": str(settings.index_dir),
        "TIL_CORPUS_DIR": str(settings.corpus_dir),
        "TIL_REVIEW_DB": str(tmp_path / "cli-reviews.sqlite3"),
        "TIL_LLM": "none",
    }


def _run_cli(
    args: list[str], settings: Settings, tmp_path: Path, stdin: str = ""
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "quiz", *args],
        cwd=PROJECT,
        env={**os.environ, **_env(settings, tmp_path)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    proc.stdin = None  # communicate() must not flush the closed pipe
    return proc


def test_cli_json_and_piped_interactive_quiz(seed_settings: Settings, tmp_path: Path) -> None:
    # Both start at once: each pays Python + Kiwi start-up, and they overlap.
    as_json = _run_cli(
        ["--n", "3", "--seed", "1", "--json", "--export-csv", str(tmp_path / "q.csv")],
        seed_settings,
        tmp_path,
    )
    piped = _run_cli(
        ["--n", "3", "--seed", "1", "--type", "short"],
        seed_settings,
        tmp_path,
        stdin="파드\n모르겠다\n",
    )
    out, err = as_json.communicate(timeout=120)
    assert as_json.returncode == 0, err
    data = json.loads(out)
    assert len(data["items"]) == 3 and "3문항" in data["message"]
    assert all(QuizItem.from_dict(d).citation["location"] for d in data["items"])
    assert data["exported"]["csv"] == str(tmp_path / "q.csv")
    assert (tmp_path / "q.csv").exists()

    out, err = piped.communicate(timeout=120)
    assert piped.returncode == 0, err
    assert "[1/3]" in out and "[2/3]" in out and "입력이 끝나" in out and "점수:" in out
    assert "(전체 3문항)" in out  # two of three answered before the input ran out
    assert "Traceback" not in err
    # The second answer was wrong: it is on the review schedule.
    assert ReviewStore(tmp_path / "cli-reviews.sqlite3").stats()["scheduled"] >= 1


def _in_process(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path, args: list[str], stdin: str
) -> int:
    for key, value in _env(settings, tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return rag_main(["quiz", *args])


def test_no_review_neither_asks_nor_schedules(
    seed_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--n", "2", "--seed", "2", "--type", "short", "--no-review"]
    code = _in_process(monkeypatch, seed_settings, tmp_path, args, "틀린 답\nq\n")
    out = capsys.readouterr().out
    assert code == 0 and "[1/2]" in out and "틀렸습니다." in out
    assert "점수: 0/1 (전체 2문항)" in out  # "q" stops the quiz after one answer
    assert not (tmp_path / "cli-reviews.sqlite3").exists()


def test_errors_exit_2(
    seed_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    empty = seed_settings.with_overrides(index_dir=tmp_path / "no-index")
    assert _in_process(monkeypatch, empty, tmp_path, [], "") == 2
    assert "error:" in capsys.readouterr().err
    # With --json the error is JSON too, on stdout.
    assert _in_process(monkeypatch, empty, tmp_path, ["--json"], "") == 2
    assert "python -m ingest" in json.loads(capsys.readouterr().out)["error"]
    # A topic with nothing in it is no error: an empty quiz and exit code 1.
    code = _in_process(monkeypatch, seed_settings, tmp_path, ["--json", "--topic", "2024-01"], "")
    assert code == 1 and json.loads(capsys.readouterr().out)["items"] == []
