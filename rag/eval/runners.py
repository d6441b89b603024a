"""Configurations side by side: each runs every gold question and is scored the same way.

A configuration is a retrieval mode of the project's own pipeline (``hybrid``, ``dense``,
``bm25``; ``hybrid-rrf`` is hybrid fused by reciprocal rank instead of the default convex
fusion) or the LangChain tutorial ``baseline``. Every runner is ``runner(item) -> Row``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rag.config import RETRIEVERS as SYSTEM_RETRIEVERS
from rag.eval.baseline import NAME as BASELINE
from rag.eval.baseline import BaselineRunner
from rag.eval.faithfulness import judge_row
from rag.eval.gold import GoldItem
from rag.eval.metrics import Retrieved, Row, compute_metrics, error_row, make_row, metrics_by_kind

if TYPE_CHECKING:
    from rag.retrieval import Hit

RETRIEVERS = (*SYSTEM_RETRIEVERS, "hybrid-rrf", BASELINE)

Runner = Callable[[GoldItem], Row]
ProgressCallback = Callable[[str, int, int], None]


def _to_retrieved(hit: Hit) -> Retrieved:
    meta = hit.metadata
    return Retrieved(
        str(meta.get("source", "")), str(meta.get("section", "")), str(meta.get("kind", ""))
    )


class SystemRunner:
    """The project's own pipeline (``Assistant.ask``) with one retrieval configuration."""

    def __init__(self, assistant: Any, name: str, k: int) -> None:
        self.assistant = assistant
        self.mode, _, fusion = name.partition("-")
        self.fusion = fusion or None
        self.k = k
        self.name = name

    def __call__(self, item: GoldItem) -> Row:
        t0 = time.perf_counter()
        try:
            answer = self.assistant.ask(item.question, k=self.k, mode=self.mode, fusion=self.fusion)
        except Exception as exc:  # one broken question must not sink the whole run
            return error_row(item, self.name, (time.perf_counter() - t0) * 1000, exc)
        latency = (time.perf_counter() - t0) * 1000
        retrieved = [_to_retrieved(hit) for hit in answer.retrieved[: self.k]]
        citations = [Retrieved(c.source, c.section, c.kind) for c in answer.citations]
        return make_row(
            item,
            self.name,
            answer.answer,
            bool(answer.refused),
            retrieved,
            citations,
            latency,
            answer.timings_ms,
        )


def parse_retrievers(values: Sequence[str] | None) -> list[str]:
    """``["hybrid,dense", "bm25"]`` -> ``["hybrid", "dense", "bm25"]`` (order kept, no dups)."""
    out: list[str] = []
    for value in values or ["hybrid"]:
        for name in value.split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name not in RETRIEVERS:
                raise ValueError(f"unknown retriever '{name}': use {', '.join(RETRIEVERS)}")
            if name not in out:
                out.append(name)
    return out or ["hybrid"]


@dataclass
class EvalResult:
    configs: dict[str, dict[str, Any]]
    rows: list[Row]
    meta: dict[str, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalResult:
        """Back from ``--json`` output, to re-render a report without re-running."""
        names = {f.name for f in fields(Row)}
        rows = [Row(**{k: v for k, v in q.items() if k in names}) for q in data["questions"]]
        return cls(data["configs"], rows, data.get("meta", {}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "configs": self.configs,
            "questions": [r.to_dict() for r in self.rows],
            "meta": self.meta,
        }


# --------------------------------------------------------------------------- run


def _judge(assistant: Any, settings: Any, judge: bool) -> tuple[Any, str]:
    """The judging LLM (or ``None``) and the note the run's meta records about it."""
    if not judge or settings.llm == "none":
        return None, "skipped (no LLM configured)"
    try:
        return assistant.llm, "llm-judge"
    except Exception as exc:  # a broken LLM setting costs the judge, not the evaluation
        return None, f"skipped (LLM failed to load: {exc})"


def _run_meta(gold: Sequence[GoldItem], settings: Any, store: Any, k: int) -> dict[str, Any]:
    return {
        "gold_items": len(gold),
        "gold_by_kind": dict(Counter(g.kind for g in gold)),
        "index_dir": str(settings.index_dir),
        "index_chunks": len(store.docs),
        "index_sources": len({d.metadata["source"] for d in store.docs}),
        "embeddings": settings.embeddings,
        "llm": settings.llm,
        "k": k,
    }


def _run_config(
    name: str,
    runner: Runner,
    gold: Sequence[GoldItem],
    llm: Any,
    store: Any,
    progress: ProgressCallback | None,
) -> list[Row]:
    rows: list[Row] = []
    for i, item in enumerate(gold, start=1):
        row = runner(item)
        # The baseline cites its own chunks, not index sections: there is nothing to look up.
        if llm is not None and name != BASELINE and not row.refused and row.answer:
            row.faithful = judge_row(llm, row, store)
        rows.append(row)
        if progress:
            progress(name, i, len(gold))
    return rows


def evaluate(
    gold: Sequence[GoldItem],
    settings: Any,
    retrievers: Sequence[str] = ("hybrid",),
    k: int = 5,
    judge: bool = True,
    progress: ProgressCallback | None = None,
) -> EvalResult:
    """Run every configuration over the gold items; returns metrics and per-question rows."""
    from rag.assistant import Assistant

    started = datetime.now(UTC).isoformat(timespec="seconds")
    assistant = Assistant(settings)
    store = assistant.store  # raises IndexMissingError with a how-to message
    assistant.warm()
    llm, judge_note = _judge(assistant, settings, judge)
    meta = _run_meta(gold, settings, store, k) | {"faithfulness": judge_note, "started_at": started}
    configs: dict[str, dict[str, Any]] = {}
    all_rows: list[Row] = []
    for name in retrievers:
        runner: Runner
        if name == BASELINE:
            baseline = BaselineRunner(settings, store, assistant.embeddings)
            meta["baseline"] = baseline.describe()
            runner = baseline
        else:
            runner = SystemRunner(assistant, name, k)
        rows = _run_config(name, runner, gold, llm, store, progress)
        configs[name] = compute_metrics(rows) | {"by_kind": metrics_by_kind(rows)}
        all_rows.extend(rows)
    meta["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return EvalResult(configs, all_rows, meta)
