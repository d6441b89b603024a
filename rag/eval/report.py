"""Presenting a run: rich tables for the terminal, a hit@k plot, the markdown report."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rag.eval.baseline import BASELINE_CHUNK_OVERLAP, BASELINE_CHUNK_SIZE
from rag.eval.gold import REFUSAL
from rag.eval.metrics import Row
from rag.eval.runners import EvalResult

TABLE_ROWS = (
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("hit@5", "hit@5"),
    ("mrr", "MRR"),
    ("keyword_recall", "keyword recall (all)"),
    ("keyword_item_recall", "keyword recall (items)"),
    ("citation_accuracy", "citation accuracy"),
    ("refusal_precision", "refusal precision"),
    ("refusal_recall", "refusal recall"),
    ("false_refusal_rate", "false refusal rate"),
    ("latency_ms_p50", "latency p50 (ms)"),
    ("latency_ms_p95", "latency p95 (ms)"),
    ("faithfulness", "faithfulness (LLM judge)"),
)
KIND_COLUMNS = (
    ("n", "n"),
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("hit@5", "hit@5"),
    ("mrr", "MRR"),
    ("keyword_recall", "kw all"),
    ("keyword_item_recall", "kw items"),
    ("citation_accuracy", "cite"),
    ("refusal_recall", "refusal rec."),
    ("false_refusal_rate", "false ref."),
    ("latency_ms_p50", "p50 ms"),
)
# Piped output would default to 80 columns and squash the per-kind tables.
PIPED_WIDTH = 140

DEFINITIONS = (
    "- **hit@k**: one of the first k retrieved chunks has the gold source and (if given) a "
    "section containing the gold section; over non-refusal items. MRR is over the k "
    "returned chunks.",
    "- **keyword recall (all)**: share of non-refusal questions whose answer contains every "
    "keyword item (any `|` alternative; case/whitespace/markdown-insensitive); a refused "
    "answer counts as finding none. **(items)**: mean share of items found.",
    "- **citation accuracy**: of answered non-refusal questions with citations, share "
    "citing the gold source/section.",
    "- **refusal precision / recall**: over refused answers / over gold refusal items; "
    "**false refusal rate**: refused non-refusal items / non-refusal items.",
    "- **latency**: wall time per question, warm; p50/p95 over all questions.",
    "- **faithfulness**: LLM-judged share of answers supported by their cited sections; "
    "`–` when no LLM is configured.",
)


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if value > 1.0 else f"{value:.3f}"
    return str(value)


def render_tables(result: EvalResult, console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    table = Table(title=f"gold eval: {result.meta['gold_items']} questions, k={result.meta['k']}")
    table.add_column("metric")
    for name in result.configs:
        table.add_column(name, justify="right")
    table.add_row("n", *[fmt(m["n"]) for m in result.configs.values()])
    for key, label in TABLE_ROWS:
        table.add_row(label, *[fmt(m.get(key)) for m in result.configs.values()])
    console.print(table)
    for name, metrics in result.configs.items():
        kinds = Table(title=f"{name}: by kind")
        kinds.add_column("kind")
        for _, label in KIND_COLUMNS:
            kinds.add_column(label, justify="right")
        for kind, m in metrics.get("by_kind", {}).items():
            kinds.add_row(kind, *[fmt(m.get(key)) for key, _ in KIND_COLUMNS])
        console.print(kinds)


def plot_hitk(result: EvalResult, path: Path | str) -> Path:
    """Grouped bars: hit@1/3/5 and MRR per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(result.configs)
    keys = ("hit@1", "hit@3", "hit@5", "mrr")
    width = 0.8 / len(keys)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(names) + 2), 3.6), dpi=110)
    for i, key in enumerate(keys):
        values = [result.configs[n].get(key) or 0.0 for n in names]
        xs = [j + (i - (len(keys) - 1) / 2) * width for j in range(len(names))]
        bars = ax.bar(xs, values, width, label=key)
        for bar, value in zip(bars, values, strict=True):
            ax.annotate(
                f"{value:.2f}",
                (bar.get_x() + bar.get_width() / 2, value),
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 1.18)  # headroom for the legend above the bars
    ax.set_ylabel("share of answerable questions")
    n_answerable = result.meta["gold_items"] - result.meta["gold_by_kind"].get(REFUSAL, 0)
    ax.set_title(f"Retrieval hit@k on {n_answerable} answerable gold questions")
    ax.legend(loc="upper center", fontsize=8, ncol=len(keys), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def failures(rows: Sequence[Row], k: int) -> list[Row]:
    """Rows where the configuration did something wrong (for the report's miss list)."""
    bad = []
    for r in rows:
        if r.kind == REFUSAL:
            wrong = not r.refused
        else:
            wrong = r.refused or r.hit_rank is None or r.hit_rank > k or not r.keywords_all
        if wrong or r.error:
            bad.append(r)
    return bad


# --------------------------------------------------------------------------- markdown report

_NOTES_BLOCK = re.compile(r"<!-- notes -->.*?<!-- /notes -->", re.S)


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _kept_notes(path: Path) -> str:
    """Hand-written findings between the markers survive a re-run; the rest is regenerated."""
    if not path.is_file():
        return ""
    match = _NOTES_BLOCK.search(path.read_text(encoding="utf-8"))
    return match.group(0) if match else ""


def _header(result: EvalResult, gold_path: str) -> str:
    meta = result.meta
    return (
        f"Gold set `{gold_path}`: {meta['gold_items']} questions "
        + "("
        + ", ".join(f"{v} {k}" for k, v in meta["gold_by_kind"].items() if v)
        + "). "
        f"Index `{meta['index_dir']}`: {meta['index_chunks']} chunks from "
        f"{meta['index_sources']} sources; embeddings `{meta['embeddings']}`, LLM "
        f"`{meta['llm']}`, k={meta['k']}. Run {meta['started_at']}."
    )


def _side_by_side(result: EvalResult, path: Path, plot_path: Path | str | None) -> list[str]:
    names = list(result.configs)
    out = ["## Side by side", ""]
    out.append(
        _md_table(
            ["metric", *names],
            [["n", *[fmt(result.configs[n]["n"]) for n in names]]]
            + [
                [label, *[fmt(result.configs[n].get(key)) for n in names]]
                for key, label in TABLE_ROWS
            ],
        )
    )
    if plot_path:
        rel = Path(plot_path)
        with contextlib.suppress(ValueError):  # outside the report's folder: keep it as given
            rel = rel.resolve().relative_to(path.parent.resolve())
        out += ["", f"![hit@k]({rel.as_posix()})"]
    return out


def _by_kind(result: EvalResult) -> list[str]:
    out = ["## By kind", ""]
    for name, metrics in result.configs.items():
        out += [f"### {name}", ""]
        out.append(
            _md_table(
                ["kind", *[label for _, label in KIND_COLUMNS]],
                [
                    [kind, *[fmt(m.get(key)) for key, _ in KIND_COLUMNS]]
                    for kind, m in metrics.get("by_kind", {}).items()
                ],
            )
        )
        out.append("")
    return out


def _baseline(b: dict[str, Any]) -> list[str]:
    origins = sorted(set(b["text_origin"].values()))
    answer_chars = b["top_k"] * BASELINE_CHUNK_SIZE
    return [
        "## Baseline",
        "",
        f"LangChain tutorial pipeline: RecursiveCharacterTextSplitter({BASELINE_CHUNK_SIZE}, "
        f"{BASELINE_CHUNK_OVERLAP}) → {b['chunks']} chunks, same embeddings, ephemeral Chroma, "
        f"top-{b['top_k']}, answer = the chunks concatenated, never refuses (built in "
        f"{b['build_seconds']} s; texts from: {', '.join(origins)}). Its hit@5 is "
        f"hit@{b['top_k']}, and its keyword recall reads ~{answer_chars:,} characters per "
        "answer, so keyword recall favours it.",
        "",
    ]


def _misses(result: EvalResult, name: str) -> list[str]:
    k = int(result.meta["k"])
    bad = failures([r for r in result.rows if r.retriever == name], k)
    out = [
        f"## Misses ({name})",
        "",
        f"{len(bad)} questions with a wrong refusal decision, no hit@{k}, or a missing keyword.",
        "",
    ]
    out.append(
        _md_table(
            ["id", "kind", "question", "hit", "refused", "missing keywords"],
            [
                [
                    r.id,
                    r.kind,
                    r.question.replace("|", "/"),
                    fmt(r.hit_rank),
                    "yes" if r.refused else "no",
                    ", ".join(r.keywords_missing).replace("|", "/"),
                ]
                for r in bad
            ],
        )
    )
    out.append("")
    return out


def write_report(
    result: EvalResult,
    path: Path | str,
    plot_path: Path | str | None,
    gold_path: str = "",
    command: str = "",
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = _kept_notes(path)
    out: list[str] = ["# Evaluation report", "", _header(result, gold_path)]
    if command:
        out += ["", f"Reproduce: `{command}`"]
    if kept:
        out += ["", kept]
    out += ["", *_side_by_side(result, path, plot_path), "", *_by_kind(result)]
    if "baseline" in result.meta:
        out += _baseline(result.meta["baseline"])
    out += ["## Definitions", "", *DEFINITIONS, ""]
    if result.configs:
        out += _misses(result, next(iter(result.configs)))
    path.write_text("\n".join(out), encoding="utf-8")
    return path
