"""What every number of the evaluation means, computed from per-question rows.

Metrics (DESIGN.md): hit@1/3/5, MRR, keyword recall, citation accuracy, refusal precision and
recall, false-refusal rate, latency p50/p95; overall and per gold ``kind``. Retrieval, keyword
and citation metrics are computed over the non-refusal items only; refusal metrics over all.

Definitions that DESIGN.md leaves open (kept here so every number has one meaning):

- A question *hits* at k when one of its first k retrieved chunks has the gold ``source`` and,
  when the gold ``section`` is non-empty, a ``section`` that contains it (case- and
  whitespace-insensitive). ``hit_rank`` is the 1-based rank of the first such chunk among the
  chunks the configuration returned (``--k`` of them), so MRR is MRR@k and hit@5 with
  ``--k 3`` is hit@3.
- ``keyword_recall``: share of non-refusal questions whose answer contains *every* keyword item
  (an item matches when any of its ``|`` alternatives occurs; case-, whitespace- and
  markdown-insensitive). ``keyword_item_recall`` is the softer mean share of items found. A
  refused answer finds no keywords: the refusal text lists nearby topics, which must not
  count as answering.
- ``citation_accuracy``: of the non-refusal questions the configuration answered (did not
  refuse) with at least one citation, the share where a citation matches the gold source
  (and section), by the same rule as a hit.
- ``refusal_precision`` = refused gold-refusals / all refusals (``null`` when nothing was
  refused); ``refusal_recall`` = refused gold-refusals / gold-refusals;
  ``false_refusal_rate`` = refused non-refusal items / non-refusal items.
- Latency is wall time of one question end to end (retrieval + answer), warm (models are
  loaded before the clock starts).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rag.eval.gold import REFUSAL, GoldItem
from rag.text import match_form

METRIC_KEYS = (
    "n",
    "hit@1",
    "hit@3",
    "hit@5",
    "mrr",
    "keyword_recall",
    "keyword_item_recall",
    "citation_accuracy",
    "refusal_precision",
    "refusal_recall",
    "false_refusal_rate",
    "latency_ms_p50",
    "latency_ms_p95",
    "faithfulness",
)


# --------------------------------------------------------------------------- matching


def keyword_item_found(answer_norm: str, item: str) -> bool:
    return any((alt := match_form(a)) and alt in answer_norm for a in item.split("|"))


def keywords_found(answer: str, keywords: Sequence[str]) -> list[bool]:
    norm = match_form(answer)
    return [keyword_item_found(norm, item) for item in keywords]


def section_matches(gold_section: str, section: str) -> bool:
    """Empty gold section matches anything; otherwise a containment test."""
    if not gold_section:
        return True
    return match_form(gold_section) in match_form(section)


@dataclass
class Retrieved:
    """A ranked chunk as the metrics see it. ``match_text`` is extra text the gold section may
    occur in (baseline chunks: their text and the headings in force where they start)."""

    source: str
    section: str
    kind: str = ""
    match_text: str = ""

    def matches(self, item: GoldItem) -> bool:
        if self.source != item.source:
            return False
        if section_matches(item.section, self.section):
            return True
        return bool(self.match_text) and section_matches(item.section, self.match_text)


def hit_rank(item: GoldItem, retrieved: Sequence[Retrieved]) -> int | None:
    """1-based rank of the first chunk from the gold source/section, or ``None``."""
    for rank, chunk in enumerate(retrieved, start=1):
        if chunk.matches(item):
            return rank
    return None


# --------------------------------------------------------------------------- rows


@dataclass
class Row:
    id: str
    retriever: str
    kind: str
    question: str
    gold_source: str
    gold_section: str
    hit_rank: int | None
    answer: str
    refused: bool
    keywords_found: list[str]
    keywords_missing: list[str]
    citation_correct: bool | None
    latency_ms: float
    citations: list[dict[str, str]] = field(default_factory=list)
    retrieved: list[dict[str, str]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    faithful: bool | None = None
    error: str = ""

    @property
    def keyword_fraction(self) -> float:
        total = len(self.keywords_found) + len(self.keywords_missing)
        return len(self.keywords_found) / total if total else 1.0

    @property
    def keywords_all(self) -> bool:
        return not self.keywords_missing

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keyword_fraction"] = round(self.keyword_fraction, 4)
        data["latency_ms"] = round(self.latency_ms, 1)
        data["timings_ms"] = {k: round(v, 1) for k, v in self.timings_ms.items()}
        return data


def make_row(
    item: GoldItem,
    retriever: str,
    answer: str,
    refused: bool,
    retrieved: Sequence[Retrieved],
    citations: Sequence[Retrieved],
    latency_ms: float,
    timings_ms: dict[str, float] | None = None,
    error: str = "",
) -> Row:
    """Score one answer against its gold item."""
    found_flags = (
        keywords_found(answer, item.keywords) if not refused else [False] * len(item.keywords)
    )
    citation_correct: bool | None = None
    if not item.is_refusal and not refused and citations:
        citation_correct = any(c.matches(item) for c in citations)
    return Row(
        id=item.id,
        retriever=retriever,
        kind=item.kind,
        question=item.question,
        gold_source=item.source,
        gold_section=item.section,
        hit_rank=None if item.is_refusal else hit_rank(item, retrieved),
        answer=answer,
        refused=refused,
        keywords_found=[k for k, ok in zip(item.keywords, found_flags, strict=True) if ok],
        keywords_missing=[k for k, ok in zip(item.keywords, found_flags, strict=True) if not ok],
        citation_correct=citation_correct,
        latency_ms=latency_ms,
        citations=[{"source": c.source, "section": c.section} for c in citations],
        retrieved=[{"source": r.source, "section": r.section} for r in retrieved],
        timings_ms=dict(timings_ms or {}),
        error=error,
    )


def error_row(item: GoldItem, retriever: str, latency_ms: float, exc: Exception) -> Row:
    """The row of a question whose run raised: scored as an empty answer, error kept."""
    error = f"{type(exc).__name__}: {exc}"
    return make_row(item, retriever, "", False, [], [], latency_ms, error=error)


# --------------------------------------------------------------------------- metrics


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _share(flags: Iterable[bool]) -> float | None:
    flags = list(flags)
    return sum(flags) / len(flags) if flags else None


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def compute_metrics(rows: Sequence[Row]) -> dict[str, Any]:
    """The DESIGN.md metric set over ``rows`` (one configuration)."""
    answerable = [r for r in rows if r.kind != REFUSAL]
    gold_refusals = [r for r in rows if r.kind == REFUSAL]
    refused = [r for r in rows if r.refused]
    cited = [r.citation_correct for r in answerable if r.citation_correct is not None]
    judged = [r.faithful for r in rows if r.faithful is not None]
    latencies = [r.latency_ms for r in rows if not r.error]

    def hit_at(k: int) -> float | None:
        return _share(r.hit_rank is not None and r.hit_rank <= k for r in answerable)

    mrr = (
        statistics.fmean(1.0 / r.hit_rank if r.hit_rank else 0.0 for r in answerable)
        if answerable
        else None
    )
    refused_right = sum(1 for r in gold_refusals if r.refused)
    metrics: dict[str, Any] = {
        "n": len(rows),
        "hit@1": hit_at(1),
        "hit@3": hit_at(3),
        "hit@5": hit_at(5),
        "mrr": mrr,
        "keyword_recall": _share(r.keywords_all for r in answerable),
        "keyword_item_recall": (
            statistics.fmean(r.keyword_fraction for r in answerable) if answerable else None
        ),
        "citation_accuracy": _share(cited),
        "refusal_precision": refused_right / len(refused) if refused else None,
        "refusal_recall": refused_right / len(gold_refusals) if gold_refusals else None,
        "false_refusal_rate": _share(r.refused for r in answerable),
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
        "faithfulness": _share(judged),
    }
    metrics["errors"] = sum(1 for r in rows if r.error)
    return {
        k: (_round(v, 1) if k.startswith("latency") else _round(v)) if isinstance(v, float) else v
        for k, v in metrics.items()
    }


def metrics_by_kind(rows: Sequence[Row]) -> dict[str, dict[str, Any]]:
    """One metric set per gold kind that occurs, in order of first appearance (gold order)."""
    kinds = dict.fromkeys(r.kind for r in rows)
    return {kind: compute_metrics([r for r in rows if r.kind == kind]) for kind in kinds}
