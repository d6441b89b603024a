"""What indexing computes once per chunk so that no question re-analyses a passage: its BM25
tokens and its body's sentences with their tokens (the answer step picks sentences by them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from langchain_core.documents import Document

from rag.text import analyse_lines, breadcrumb, tokenize


@dataclass(frozen=True)
class ChunkAnalysis:
    """``tokens``: the whole chunk's BM25 tokens (breadcrumb and body, with repeats, since
    term frequency counts). ``sentences``: the body's sentences, list bullets dropped, each
    with its token set."""

    tokens: list[str]
    sentences: list[tuple[str, frozenset[str]]]

    @cached_property
    def body_tokens(self) -> frozenset[str]:
        return frozenset().union(*(toks for _, toks in self.sentences))

    def to_json(self) -> list:
        return [self.tokens, [[s, sorted(t)] for s, t in self.sentences]]

    @classmethod
    def from_json(cls, data: list) -> ChunkAnalysis:
        tokens, sentences = data
        return cls(tokens, [(s, frozenset(t)) for s, t in sentences])


def sentence_units(doc: Document, analysis: ChunkAnalysis, min_chars: int) -> list[str]:
    """The texts a chunk's sentences are embedded as: each sentence of at least ``min_chars``
    characters after its section's heading ("레플리카셋(ReplicaSet): 지정된 수의 파드 레플리카가
    항상 실행되도록 보장한다."), since a sentence alone often does not name its subject."""
    crumbs = breadcrumb(doc.metadata.get("section", ""))
    heading = crumbs[-1].strip() if crumbs else ""
    return [
        f"{heading}: {sentence}" if heading else sentence
        for sentence, _ in analysis.sentences
        if len(sentence) >= min_chars
    ]


def body_lines(doc: Document) -> list[str]:
    """The body's lines as the answer step reads them: list bullets dropped."""
    body = doc.page_content.partition("\n")[2] or doc.page_content
    return [line.lstrip("- ") for line in body.splitlines()]


def analyse(docs: list[Document]) -> list[ChunkAnalysis]:
    """One batched Kiwi pass over every body line of ``docs`` (see ``analyse_lines``)."""
    lines: list[str] = []
    spans: list[tuple[int, int]] = []
    for doc in docs:
        own = body_lines(doc)
        spans.append((len(lines), len(lines) + len(own)))
        lines.extend(own)
    analysed = analyse_lines(lines)
    crumbs: dict[str, list[str]] = {}
    out = []
    for doc, (start, end) in zip(docs, spans, strict=True):
        sentences = [(s, toks) for line in analysed[start:end] for s, toks in line]
        crumb = doc.page_content.partition("\n")[0] if "\n" in doc.page_content else ""
        if crumb not in crumbs:
            crumbs[crumb] = tokenize(crumb) if crumb else []
        tokens = crumbs[crumb] + [t for _, toks in sentences for t in toks]
        out.append(ChunkAnalysis(tokens, [(s, frozenset(t)) for s, t in sentences]))
    return out
