"""What a day (or a week, a month) of the journal covered: its topic sections in date order,
each with its key sentence and a citation.

"3월 4일에 뭘 배웠지?" asks for the day, not for a passage that matches the words "배웠지":
when a question names dates and nothing else, the answer is a digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_core.documents import Document

from rag.answer.citations import Citation, citation_for
from rag.answer.compose import period_label
from rag.answer.result import Answer
from rag.config import DigestSettings, StructureSettings
from rag.index.store import ChunkStore, body_of
from rag.retrieval import Hit
from rag.structure import is_structural, is_template_section, template_of
from rag.text import DATE_WORDS, breadcrumb, code_lines, key_terms, split_sentences
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
    # The topic's own sub-headings that day, in note order ("정규화": 이상현상, 제 1 정규형…).
    subtopics: list[str] = field(default_factory=list)


def is_digest_question(question: str, span: DateSpan | None) -> bool:
    """A question that names dates and asks for nothing more specific."""
    if span is None:
        return False
    rest = strip_dates(question, span)
    # key_terms already drops English function words.
    return all(t in DIGEST_WORDS or t in DATE_WORDS for t in key_terms(rest))


def _is_table_row(line: str) -> bool:
    return line.startswith("|") and line.endswith("|")


def _prose_lines(body: str) -> list[str]:
    """A body's lines outside code blocks: a fence or a line of code is no key sentence."""
    code = code_lines(body)
    return [line for i, line in enumerate(body.split("\n")) if i not in code]


def _key_sentence(docs: list[Document], limit: int) -> str:
    """The section's first sentence of prose; a section that is only a table shows its
    first data row (a header row alone says nothing)."""
    lines = [ln.lstrip("-*> ").strip() for d in docs for ln in _prose_lines(body_of(d))]
    rows = [ln for ln in lines if _is_table_row(ln) and not set(ln) <= set("|-: ")]
    prose = [ln for ln in lines if not _is_table_row(ln)]
    # A table row reads as its cells: "| 정규화 | 이상 현상 제거 |" -> "정규화 · 이상 현상 제거".
    rows = [" · ".join(c.strip() for c in r.strip("|").split("|") if c.strip()) for r in rows]
    for line in prose or rows[1:2] or rows[:1]:
        if len(line) >= 4:
            sentence = split_sentences(line)[0]
            return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
    return ""


def _key_points(docs: list[Document], limit: int, points: int) -> str:
    """A section that lists what was learned ("- 트라이는 …", "- 힙은 …") as its first
    ``points`` items, a sentence each; otherwise its key sentence. For a day with no topic
    headings: its list is all that says what the day covered."""
    items = [
        ln.lstrip("-*+ ").strip()
        for d in docs
        for ln in _prose_lines(body_of(d))
        if re.match(r"^\s*[-*+]\s+\S", ln) and not _is_table_row(ln.lstrip("-*+ "))
    ]
    if len(items) < 2:
        return _key_sentence(docs, limit)
    said = [_short(split_sentences(item)[0], limit) for item in items[:points]]
    return " · ".join(said) + (" …" if len(items) > points else "")


def _topic_path(section: str, template: frozenset[str]) -> list[str]:
    """A section's headings without the template and documentation furniture: the first is
    the day's topic ("새로 배운 내용 > 정규화 > 이상현상" -> ["정규화", "이상현상"])."""
    if is_template_section(section, template):
        return []
    return [c for c in breadcrumb(section) if not is_structural(c, template)]


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def day_items(
    store: ChunkStore, day: str, tuning: DigestSettings, structure: StructureSettings
) -> tuple[list[DigestItem], list[str]]:
    """The day's topics in note order, each once with its key sentence and the names of its
    sub-headings, and the names of the topics past ``items_per_day``. A topic is a section's
    first heading that is not template: a day that explains one concept in twenty
    sub-sections lists it once, so the day's other topics are not crowded out. A day whose
    notes have no topic headings falls back to its template sections, so the student still
    sees what was written."""
    template = template_of(store, structure)
    topics: dict[str, DigestItem] = {}
    fallback: list[DigestItem] = []
    for (_source, section), docs in store.sections_by_date.get(day, []):
        first = docs[0]
        if first.metadata.get("kind") != "note":
            continue
        path = _topic_path(section, template)
        item = topics.get(path[0]) if path else None
        if item is not None:
            sub = _short(path[1], tuning.subtopic_chars) if len(path) > 1 else ""
            if sub and sub not in item.subtopics:
                item.subtopics.append(sub)
            if not item.sentence and (sentence := _key_sentence(docs, tuning.sentence_chars)):
                item.sentence, item.doc = sentence, first
            continue
        sentence = (
            _key_sentence(docs, tuning.sentence_chars)
            if path
            else _key_points(docs, tuning.sentence_chars, tuning.points_per_section)
        )
        if path:
            subs = [_short(path[1], tuning.subtopic_chars)] if len(path) > 1 else []
            topics[path[0]] = DigestItem(day, path[0], sentence, first, subs)
        elif sentence:
            leaf = section.split(" > ")[-1] if section else first.metadata.get("title", "")
            fallback.append(DigestItem(day, leaf, sentence, first))
    # A topic with no prose (a code block, a bare list of sub-headings) is still a topic.
    items = list(topics.values()) or fallback
    shown = items[: tuning.items_per_day]
    return shown, [_short(i.label, tuning.subtopic_chars) for i in items[len(shown) :]]


def _no_notes(question: str, store: ChunkStore, span: DateSpan) -> Answer:
    """Say plainly that nothing was written then, and offer the nearest days that have notes."""
    when = period_label(span)
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
        items, more = day_items(store, day, tuning, structure)
        if not items:
            continue
        title = items[0].doc.metadata.get("title", "")
        lines = [f"**{day}** · {title}" if title else f"**{day}**"]
        for item in items:
            n = len(citations) + 1
            citations.append(citation_for(item.doc, n, snippet=item.sentence or None))
            subs = item.subtopics[: tuning.subtopics_per_item]
            if len(item.subtopics) > len(subs):
                subs.append("…")
            inside = f" ({' · '.join(subs)})" if subs else ""
            said = f": {item.sentence}" if item.sentence else ""
            lines.append(f"- **{item.label}**{inside}{said} [{n}]")
        if more:
            lines.append(f"- 그 밖의 주제 (more topics): {' · '.join(more)}")
        parts.append("\n".join(lines))
    if not parts:
        return _no_notes(question, store, span)
    # The cited sections, best first in date order, are what a digest "retrieved": the
    # evaluation scores them like any other answer's hits.
    hits = [Hit(store.by_id[c.chunk_id], 1.0, (c.chunk_id,)) for c in citations]
    return Answer(question, "\n\n".join(parts), False, citations, mode="digest", retrieved=hits)
