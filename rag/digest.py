"""What a day (or a week, a month) of the journal covered: its topic sections in date order,
each with its key sentence and a citation.

"3월 4일에 뭘 배웠지?" asks for the day, not for a passage that matches the words "배웠지":
when a question names dates and nothing else, the answer is a digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.documents import Document

from rag.answer.citations import Citation, citation_for
from rag.answer.result import Answer
from rag.config import DigestSettings, StructureSettings
from rag.index.store import ChunkStore, body_of
from rag.retrieval import Hit
from rag.structure import template_of, topic_of
from rag.text import DATE_WORDS, key_terms, split_sentences
from rag.text.dates import DateSpan, strip_dates

# Words of "what did I learn/study" questions: they ask for the day, they name no topic.
# Source: the question forms of a study journal ("뭘 배웠지", "공부한 내용", "what did I
# study", "topics covered").
DIGEST_WORDS = frozenset(
    """배우 배운 배웠 공부 학습 내용 주제 정리 기록 노트 til 오늘 요약 무엇 뭐 뭘
    learn learned learnt learning study studied studying cover covered topic topics note notes
    summary summarize summarise recap""".split()
)


@dataclass
class DigestItem:
    date: str
    label: str
    sentence: str
    doc: Document


def is_digest_question(question: str, span: DateSpan | None) -> bool:
    """A question that names dates and asks for nothing more specific."""
    if span is None:
        return False
    rest = strip_dates(question, span)
    # key_terms already drops English function words.
    return all(t in DIGEST_WORDS or t in DATE_WORDS for t in key_terms(rest))


def _is_table_row(line: str) -> bool:
    return line.startswith("|") and line.endswith("|")


def _key_sentence(docs: list[Document], limit: int) -> str:
    """The section's first sentence of prose; a section that is only a table shows its
    first data row (a header row alone says nothing)."""
    lines = [ln.lstrip("-*> ").strip() for d in docs for ln in body_of(d).splitlines()]
    rows = [ln for ln in lines if _is_table_row(ln) and not set(ln) <= set("|-: ")]
    prose = [ln for ln in lines if not _is_table_row(ln)]
    # A table row reads as its cells: "| 정규화 | 이상 현상 제거 |" -> "정규화 · 이상 현상 제거".
    rows = [" · ".join(c.strip() for c in r.strip("|").split("|") if c.strip()) for r in rows]
    for line in prose or rows[1:2] or rows[:1]:
        if len(line) >= 4:
            sentence = split_sentences(line)[0]
            return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
    return ""


def day_items(
    store: ChunkStore, day: str, tuning: DigestSettings, structure: StructureSettings
) -> list[DigestItem]:
    """The day's topic sections in note order; a day whose notes have no topic headings
    falls back to its template sections, so the student still sees what was written."""
    template = template_of(store, structure)
    topical: list[DigestItem] = []
    fallback: list[DigestItem] = []
    seen: set[str] = set()
    for (_source, section), docs in store.sections_by_date.get(day, []):
        first = docs[0]
        if first.metadata.get("kind") != "note":
            continue
        label = topic_of(section, template)
        sentence = _key_sentence(docs, tuning.sentence_chars)
        if not sentence:
            continue
        if label and label not in seen:
            seen.add(label)
            topical.append(DigestItem(day, label, sentence, first))
        elif not label:
            leaf = section.split(" > ")[-1] if section else first.metadata.get("title", "")
            fallback.append(DigestItem(day, leaf, sentence, first))
    items = topical or fallback
    return items[: tuning.items_per_day]


def _no_notes(question: str, store: ChunkStore, span: DateSpan) -> Answer:
    """Say plainly that nothing was written then, and offer the nearest days that have notes."""
    when = span.start if span.single_day else f"{span.start} ~ {span.end}"
    before = [d for d in sorted(store.note_dates) if d < span.start][-1:]
    after = [d for d in sorted(store.note_dates) if d > span.end][:1]
    text = f"{when}에 쓴 노트가 없습니다."
    if before or after:
        text += " 가까운 날짜의 노트: " + ", ".join([*before, *after])
    return Answer(question, text, True, [], mode="digest", suggestions=[*before, *after])


def digest_answer(
    question: str,
    store: ChunkStore,
    span: DateSpan,
    days: list[str],
    tuning: DigestSettings,
    structure: StructureSettings,
) -> Answer:
    """The cited digest of ``days`` (dates that have notes), oldest first."""
    parts: list[str] = []
    citations: list[Citation] = []
    for day in sorted(days)[: tuning.max_days]:
        items = day_items(store, day, tuning, structure)
        if not items:
            continue
        title = items[0].doc.metadata.get("title", "")
        lines = [f"**{day}** · {title}" if title else f"**{day}**"]
        for item in items:
            n = len(citations) + 1
            citations.append(citation_for(item.doc, n, snippet=item.sentence))
            lines.append(f"- **{item.label}**: {item.sentence} [{n}]")
        parts.append("\n".join(lines))
    if not parts:
        return _no_notes(question, store, span)
    # The cited sections, best first in date order, are what a digest "retrieved": the
    # evaluation scores them like any other answer's hits.
    hits = [Hit(store.by_id[c.chunk_id], 1.0, (c.chunk_id,)) for c in citations]
    return Answer(question, "\n\n".join(parts), False, citations, mode="digest", retrieved=hits)
