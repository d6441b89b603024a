"""Gold-set evaluation: retrieval and answer metrics, several retriever configurations side by side.

``python -m rag eval --gold tests/data/gold.jsonl --retriever hybrid,hybrid-rrf,dense,bm25``

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

``baseline`` is the LangChain tutorial pipeline, built in memory at the start of the run:
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` over the full texts the
index was built from (the note files; the cached page texts), the same embedding model, an
ephemeral Chroma collection, similarity top-4; its answer is the four chunks concatenated, it
never refuses, and it cites the four chunks. A baseline chunk matches a gold section when the
heading text occurs in the chunk, or is a heading in force where the chunk starts (without the
second rule a chunk in the middle of a long section could never match, which would make the
baseline look worse than it is).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shlex
import statistics
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.config import RETRIEVERS as SYSTEM_RETRIEVERS

KINDS = ("factual", "comparison", "crosslingual", "reference", "refusal")
# hybrid-rrf: hybrid retrieval fused by reciprocal rank instead of the default convex fusion.
RETRIEVERS = (*SYSTEM_RETRIEVERS, "hybrid-rrf", "baseline")
BASELINE_CHUNK_SIZE = 1000
BASELINE_CHUNK_OVERLAP = 200
BASELINE_TOP_K = 4
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


class GoldFormatError(ValueError):
    """A gold file line that does not follow DESIGN.md's format."""


# --------------------------------------------------------------------------- gold items


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    keywords: tuple[str, ...]
    source: str
    section: str
    kind: str

    @property
    def is_refusal(self) -> bool:
        return self.kind == "refusal"


def parse_gold_line(line: str, where: str = "") -> GoldItem:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldFormatError(f"{where}: not JSON ({exc})") from exc
    if not isinstance(row, dict):
        raise GoldFormatError(f"{where}: expected an object")
    missing = [k for k in ("id", "question", "kind") if not row.get(k)]
    if missing:
        raise GoldFormatError(f"{where}: missing {', '.join(missing)}")
    kind = str(row["kind"])
    if kind not in KINDS:
        raise GoldFormatError(f"{where}: kind '{kind}' is not one of {', '.join(KINDS)}")
    keywords = row.get("keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise GoldFormatError(f"{where}: keywords must be a list of non-empty strings")
    if kind == "refusal" and keywords:
        raise GoldFormatError(f"{where}: a refusal item has no keywords")
    if kind != "refusal" and not row.get("source"):
        raise GoldFormatError(f"{where}: a non-refusal item needs a source")
    return GoldItem(
        id=str(row["id"]),
        question=str(row["question"]),
        keywords=tuple(keywords),
        source=str(row.get("source") or ""),
        section=str(row.get("section") or ""),
        kind=kind,
    )


def load_gold(path: Path | str) -> list[GoldItem]:
    items: list[GoldItem] = []
    seen: set[str] = set()
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        item = parse_gold_line(line, f"{path}:{n}")
        if item.id in seen:
            raise GoldFormatError(f"{path}:{n}: duplicate id '{item.id}'")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise GoldFormatError(f"{path}: no questions")
    return items


# --------------------------------------------------------------------------- matching

_MARKUP = re.compile(r"\*\*|__|`|\[\d{1,3}\]")
_WS = re.compile(r"\s+")


def normalize_for_match(text: str) -> str:
    """Case-, whitespace- and markdown-insensitive form: "**Type 1** [2]" -> "type1"."""
    text = unicodedata.normalize("NFKC", text or "")
    return _WS.sub("", _MARKUP.sub("", text)).casefold()


def keyword_item_found(answer_norm: str, item: str) -> bool:
    return any((alt := normalize_for_match(a)) and alt in answer_norm for a in item.split("|"))


def keywords_found(answer: str, keywords: Sequence[str]) -> list[bool]:
    norm = normalize_for_match(answer)
    return [keyword_item_found(norm, item) for item in keywords]


def section_matches(gold_section: str, section: str) -> bool:
    """Empty gold section matches anything; otherwise a containment test."""
    if not gold_section:
        return True
    return normalize_for_match(gold_section) in normalize_for_match(section)


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


# --------------------------------------------------------------------------- rows + metrics


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
    answerable = [r for r in rows if r.kind != "refusal"]
    gold_refusals = [r for r in rows if r.kind == "refusal"]
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
    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        part = [r for r in rows if r.kind == kind]
        if part:
            out[kind] = compute_metrics(part)
    return out


# --------------------------------------------------------------------------- runners

Runner = Callable[[GoldItem], Row]


def _to_retrieved(doc: Any) -> Retrieved:
    meta = doc.metadata
    return Retrieved(
        str(meta.get("source", "")), str(meta.get("section", "")), str(meta.get("kind", ""))
    )


class SystemRunner:
    """The project's own pipeline (``Assistant.ask``) with one retrieval configuration."""

    def __init__(self, assistant: Any, name: str, k: int) -> None:
        self.assistant = assistant
        # "hybrid-rrf" is hybrid retrieval with reciprocal-rank fusion.
        self.mode, _, fusion = name.partition("-")
        self.fusion = fusion or None
        self.k = k
        self.name = name

    def __call__(self, item: GoldItem) -> Row:
        t0 = time.perf_counter()
        try:
            answer = self.assistant.ask(item.question, k=self.k, mode=self.mode, fusion=self.fusion)
        except Exception as exc:  # one broken question must not sink the whole run
            latency = (time.perf_counter() - t0) * 1000
            return make_row(
                item, self.name, "", False, [], [], latency, error=f"{type(exc).__name__}: {exc}"
            )
        latency = (time.perf_counter() - t0) * 1000
        retrieved = [_to_retrieved(d) for d in answer.retrieved[: self.k]]
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


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ANCHOR = re.compile(r"\s*\{#[^}]*\}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def heading_spans(text: str) -> list[tuple[int, tuple[str, ...]]]:
    """``(offset, breadcrumb)`` at every markdown heading, ignoring ``#`` inside code fences."""
    spans: list[tuple[int, tuple[str, ...]]] = [(0, ())]
    stack: list[tuple[int, str]] = []
    in_code = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_code = not in_code
        elif not in_code and (m := _HEADING.match(line)):
            level = len(m.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, _ANCHOR.sub("", m.group(2)).strip()))
            spans.append((offset, tuple(h for _, h in stack)))
        offset += len(line)
    return spans


def breadcrumb_at(spans: Sequence[tuple[int, tuple[str, ...]]], offset: int) -> tuple[str, ...]:
    current: tuple[str, ...] = ()
    for start, crumb in spans:
        if start > offset:
            break
        current = crumb
    return current


def reconstruct_source_texts(store: Any) -> dict[str, str]:
    """Each source's text rebuilt from its chunks in index order, a heading line wherever the
    section changes (the fallback when the raw file or cached page is not at hand)."""
    from rag.index.store import body_of

    by_source: dict[str, list[Any]] = {}
    for doc in store.docs:
        by_source.setdefault(doc.metadata["source"], []).append(doc)
    texts: dict[str, str] = {}
    for source, docs in by_source.items():
        docs.sort(key=lambda d: d.metadata.get("position", 0))
        parts: list[str] = []
        previous: list[str] = []
        for doc in docs:
            path = [p for p in str(doc.metadata.get("section", "")).split(" > ") if p]
            if path != previous:
                common = 0
                while common < min(len(path), len(previous)) and path[common] == previous[common]:
                    common += 1
                for depth in range(common, len(path)):
                    parts.append(f"{'#' * min(depth + 2, 6)} {path[depth]}")
                previous = path
            parts.append(body_of(doc).strip())
        texts[source] = "\n\n".join(p for p in parts if p)
    return texts


def baseline_source_texts(settings: Any, store: Any) -> dict[str, tuple[str, str]]:
    """``source -> (text, origin)``: the note file as on disk and the page text from the web
    cache (what ingestion chunked), else the text rebuilt from the chunk store."""
    from ingest.web import WebCache

    rebuilt = reconstruct_source_texts(store)
    kinds = {d.metadata["source"]: d.metadata.get("kind", "") for d in store.docs}
    cache = WebCache(Path(settings.cache_dir) / "web")
    out: dict[str, tuple[str, str]] = {}
    for source, fallback in rebuilt.items():
        text, origin = "", ""
        if kinds[source] == "note":
            path = Path(settings.corpus_dir) / source
            if path.is_file():
                text, origin = path.read_text(encoding="utf-8", errors="replace"), "file"
        elif cached := cache.load(source):
            text, origin = cached["text"], "web-cache"
        if not text.strip():
            text, origin = fallback, "chunk-store"
        out[source] = (text, origin)
    return out


class BaselineRunner:
    """The LangChain tutorial RAG pipeline, for comparison (see the module docstring)."""

    name = "baseline"

    def __init__(self, settings: Any, store: Any, embeddings: Any) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        t0 = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=BASELINE_CHUNK_SIZE,
            chunk_overlap=BASELINE_CHUNK_OVERLAP,
            add_start_index=True,
        )
        self.origins: dict[str, str] = {}
        docs: list[Document] = []
        for source, (text, origin) in baseline_source_texts(settings, store).items():
            self.origins[source] = origin
            spans = heading_spans(text)
            kind = "note" if origin == "file" or not source.startswith("http") else "reference"
            for doc in splitter.create_documents([text], metadatas=[{"source": source}]):
                crumb = breadcrumb_at(spans, int(doc.metadata.get("start_index", 0)))
                doc.metadata.update(
                    {"kind": kind, "section": " > ".join(crumb), "crumb": "\n".join(crumb)}
                )
                docs.append(doc)
        self.chunks = len(docs)
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.vectorstore = Chroma(
            collection_name=f"baseline-{uuid.uuid4().hex[:12]}",
            embedding_function=embeddings,
            client=client,
        )
        if docs:
            self.vectorstore.add_documents(docs)
            # The first query pays for HNSW loading; keep it out of the latency numbers.
            self.vectorstore.similarity_search("warm up", k=1)
        self.build_seconds = time.perf_counter() - t0

    def __call__(self, item: GoldItem) -> Row:
        t0 = time.perf_counter()
        try:
            hits = self.vectorstore.similarity_search(item.question, k=BASELINE_TOP_K)
        except Exception as exc:  # same rule as the system runner
            latency = (time.perf_counter() - t0) * 1000
            return make_row(
                item, self.name, "", False, [], [], latency, error=f"{type(exc).__name__}: {exc}"
            )
        answer = "\n\n".join(d.page_content for d in hits)
        latency = (time.perf_counter() - t0) * 1000
        chunks = [
            Retrieved(
                d.metadata["source"],
                d.metadata.get("section", ""),
                d.metadata.get("kind", ""),
                match_text=f"{d.metadata.get('crumb', '')}\n{d.page_content}",
            )
            for d in hits
        ]
        return make_row(item, self.name, answer, False, chunks, chunks, latency, {"total": latency})


# --------------------------------------------------------------------------- faithfulness

JUDGE_PROMPT = """You check answers of a study assistant. Reply with one word: YES if every
statement in the ANSWER is supported by the SOURCES, NO otherwise.

SOURCES:
{sources}

ANSWER:
{answer}

Supported (YES/NO)?"""


def judge_faithfulness(llm: Any, answer: str, sources: Sequence[str]) -> bool | None:
    """LLM-as-judge; ``None`` when the judge's reply is neither yes nor no."""
    prompt = JUDGE_PROMPT.format(sources="\n---\n".join(sources)[:6000], answer=answer[:3000])
    reply = str(getattr(llm.invoke(prompt), "content", "")).strip().lower()
    if re.match(r"^\W*(yes|예|네)\b", reply):
        return True
    if re.match(r"^\W*(no|아니)", reply):
        return False
    return None


# --------------------------------------------------------------------------- run


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


def evaluate(
    gold: Sequence[GoldItem],
    settings: Any,
    retrievers: Sequence[str] = ("hybrid",),
    k: int = 5,
    judge: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> EvalResult:
    """Run every configuration over the gold items; returns metrics and per-question rows."""
    from rag.assistant import Assistant

    started = datetime.now(UTC).isoformat(timespec="seconds")
    assistant = Assistant(settings)
    store = assistant.store  # raises IndexMissingError with a how-to message
    assistant.warm()
    llm, judge_note = None, "skipped (no LLM configured)"
    if judge and settings.llm != "none":
        try:
            llm = assistant.llm
            judge_note = "llm-judge"
        except Exception as exc:  # a broken LLM setting costs the judge, not the evaluation
            judge_note = f"skipped (LLM failed to load: {exc})"
    meta: dict[str, Any] = {
        "gold_items": len(gold),
        "gold_by_kind": {kd: sum(1 for g in gold if g.kind == kd) for kd in KINDS},
        "index_dir": str(settings.index_dir),
        "index_chunks": len(store.docs),
        "index_sources": len({d.metadata["source"] for d in store.docs}),
        "embeddings": settings.embeddings,
        "llm": settings.llm,
        "k": k,
        "faithfulness": judge_note,
        "started_at": started,
    }
    configs: dict[str, dict[str, Any]] = {}
    all_rows: list[Row] = []
    for name in retrievers:
        runner: Runner
        if name == "baseline":
            baseline = BaselineRunner(settings, store, assistant.embeddings)
            meta["baseline"] = {
                "chunks": baseline.chunks,
                "build_seconds": round(baseline.build_seconds, 2),
                "text_origin": baseline.origins,
                "top_k": BASELINE_TOP_K,
            }
            runner = baseline
        else:
            runner = SystemRunner(assistant, name, k)
        rows: list[Row] = []
        for i, item in enumerate(gold, start=1):
            row = runner(item)
            if llm is not None and name != "baseline" and not row.refused and row.answer:
                try:
                    snippets = [c.get("snippet", "") for c in _citation_snippets(row, store)]
                    row.faithful = judge_faithfulness(llm, row.answer, snippets)
                except Exception:  # a judge failure leaves the row unjudged, never fails the run
                    row.faithful = None
            rows.append(row)
            if progress:
                progress(name, i, len(gold))
        metrics = compute_metrics(rows)
        metrics["by_kind"] = metrics_by_kind(rows)
        configs[name] = metrics
        all_rows.extend(rows)
    meta["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return EvalResult(configs, all_rows, meta)


def _citation_snippets(row: Row, store: Any) -> list[dict[str, str]]:
    """Section texts the answer cites, for the judge (the answer may quote any of them)."""
    out = []
    for cite in row.citations:
        docs = store.sections.get((cite["source"], cite["section"]), [])
        out.append({"snippet": "\n".join(d.page_content for d in docs)[:2000]})
    return out


# --------------------------------------------------------------------------- presentation

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


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if value > 1.0 else f"{value:.3f}"
    return str(value)


def render_tables(result: EvalResult, console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    # Piped output would default to 80 columns and squash the per-kind tables.
    console = console or Console(width=None if sys.stdout.isatty() else 140)
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
    n_answerable = result.meta["gold_items"] - result.meta["gold_by_kind"].get("refusal", 0)
    ax.set_title(f"Retrieval hit@k on {n_answerable} answerable gold questions")
    ax.legend(loc="upper center", fontsize=8, ncol=len(keys), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def failures(rows: Sequence[Row], k: int) -> list[Row]:
    """Rows where the configuration did something wrong (for the report's miss list)."""
    bad = []
    for r in rows:
        if r.kind == "refusal":
            wrong = not r.refused
        else:
            wrong = r.refused or r.hit_rank is None or r.hit_rank > k or not r.keywords_all
        if wrong or r.error:
            bad.append(r)
    return bad


_NOTES_BLOCK = re.compile(r"<!-- notes -->.*?<!-- /notes -->", re.S)


def write_report(
    result: EvalResult,
    path: Path | str,
    plot_path: Path | str | None,
    gold_path: str = "",
    command: str = "",
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = result.meta
    # Hand-written findings between the markers survive a re-run; everything else is regenerated.
    kept = ""
    if path.is_file():
        match = _NOTES_BLOCK.search(path.read_text(encoding="utf-8"))
        kept = match.group(0) if match else ""
    out: list[str] = ["# Evaluation report", ""]
    out.append(
        f"Gold set `{gold_path}`: {meta['gold_items']} questions "
        + "("
        + ", ".join(f"{v} {k}" for k, v in meta["gold_by_kind"].items() if v)
        + "). "
        f"Index `{meta['index_dir']}`: {meta['index_chunks']} chunks from "
        f"{meta['index_sources']} sources; embeddings `{meta['embeddings']}`, LLM "
        f"`{meta['llm']}`, k={meta['k']}. Run {meta['started_at']}."
    )
    if command:
        out += ["", f"Reproduce: `{command}`"]
    if kept:
        out += ["", kept]
    out += ["", "## Side by side", ""]
    names = list(result.configs)
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
    out += ["", "## By kind", ""]
    for name in names:
        out += [f"### {name}", ""]
        out.append(
            _md_table(
                ["kind", *[label for _, label in KIND_COLUMNS]],
                [
                    [kind, *[fmt(m.get(key)) for key, _ in KIND_COLUMNS]]
                    for kind, m in result.configs[name].get("by_kind", {}).items()
                ],
            )
        )
        out.append("")
    if "baseline" in meta:
        b = meta["baseline"]
        origins = sorted(set(b["text_origin"].values()))
        out += [
            "## Baseline",
            "",
            f"LangChain tutorial pipeline: RecursiveCharacterTextSplitter(1000, 200) → "
            f"{b['chunks']} chunks, same embeddings, ephemeral Chroma, top-{b['top_k']}, "
            f"answer = the chunks concatenated, never refuses (built in {b['build_seconds']} s; "
            f"texts from: {', '.join(origins)}). Its hit@5 is hit@{b['top_k']}, and its keyword "
            "recall reads ~4,000 characters per answer, so keyword recall favours it.",
            "",
        ]
    out += [
        "## Definitions",
        "",
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
        "",
    ]
    first = names[0] if names else ""
    if first:
        k = int(meta["k"])
        bad = failures([r for r in result.rows if r.retriever == first], k)
        out += [
            f"## Misses ({first})",
            "",
            f"{len(bad)} questions with a wrong refusal decision, no hit@{k}, or a missing "
            "keyword.",
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
    path.write_text("\n".join(out), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gold", required=True, help="gold questions (JSONL, DESIGN.md format)")
    parser.add_argument("--index", help="index folder (TIL_INDEX_DIR)")
    parser.add_argument("--corpus", help="notes folder (TIL_CORPUS_DIR), for the baseline")
    parser.add_argument(
        "--retriever",
        action="append",
        help="hybrid|hybrid-rrf|dense|bm25|baseline; repeat or comma-separate (default hybrid)",
    )
    parser.add_argument("--k", type=int, default=5, help="chunks retrieved per question")
    parser.add_argument("--json", dest="json_out", metavar="OUT", help="write results as JSON")
    parser.add_argument("--report", help="write a markdown report (e.g. docs/eval-report.md)")
    parser.add_argument("--plot", help="hit@k plot (PNG); default next to --report")
    parser.add_argument("--limit", type=int, help="only the first N gold questions (debugging)")
    parser.add_argument("--no-judge", action="store_true", help="skip LLM-judged faithfulness")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or tables")


def main(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from rag.config import load_settings
    from rag.index.store import IndexMissingError

    err = Console(stderr=True)
    try:
        retrievers = parse_retrievers(args.retriever)
        gold = load_gold(args.gold)
        settings = load_settings(index_dir=args.index, corpus_dir=args.corpus)
    except (ValueError, OSError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    if args.limit:
        gold = gold[: args.limit]

    progress_cb = None
    bar = None
    if not args.quiet:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
        )
        tasks: dict[str, Any] = {}

        def progress_cb(name: str, i: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(f"eval {name}", total=total)
            bar.update(tasks[name], completed=i)

        bar.start()
    try:
        result = evaluate(
            gold, settings, retrievers, k=args.k, judge=not args.no_judge, progress=progress_cb
        )
    except IndexMissingError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 3
    finally:
        if bar is not None:
            bar.stop()

    if not args.quiet:
        to_stderr = args.json_out == "-"
        tty = sys.stderr.isatty() if to_stderr else sys.stdout.isatty()
        render_tables(result, Console(stderr=to_stderr, width=None if tty else 140))
    command = "python -m rag " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["eval"] else ""
    if args.json_out:
        payload = json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
        if args.json_out == "-":
            print(payload)
        else:
            out = Path(args.json_out)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(payload, encoding="utf-8")
    plot_path = args.plot
    if args.report and not plot_path:
        plot_path = str(Path(args.report).with_name("eval-hitk.png"))
    if plot_path:
        plot_hitk(result, plot_path)
    if args.report:
        write_report(result, args.report, plot_path, gold_path=args.gold, command=command)
    return 0
