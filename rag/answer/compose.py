"""Answer text from passages: extractive (the default) or the refusal. The LLM composer's
prompts and checks are in :mod:`rag.answer.llm`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from rag.answer.citations import Citation, citation_for
from rag.answer.coverage import Coverage, Reason
from rag.answer.passages import Passage
from rag.answer.result import Answer
from rag.config import AnswerSettings, RefusalSettings
from rag.structure import topic_of
from rag.text import DateSpan, code_lines, ends_in_fence

if TYPE_CHECKING:
    from rag.retrieval import Hit

REFUSAL_TEXT = "노트에 없는 내용입니다."
# A refusal for the period a question names, when other days' notes have it; {days} lists them.
_ELSEWHERE = "노트에는 없는 내용입니다. 다른 날의 노트에 있습니다: {days}."
# What a refusal adds for the reasons that name terms; {names} is the list.
_NOWHERE = " ('{names}'은(는) 노트와 참고 자료에 나오지 않습니다.)"
_REFUSAL_DETAIL = {
    Reason.NAME_NOT_IN_NOTES: _NOWHERE,
    Reason.TERMS_MISSING: _NOWHERE,
    Reason.NAME_NOT_EXPLAINED: " ('{names}'은(는) 지나가듯 언급될 뿐 설명은 없습니다.)",
}


def as_written(term: str, question: str) -> str:
    """``term`` (lower-cased for matching) as the question wrote it: "HSTS", not "hsts"."""
    match = re.search(re.escape(term), question, re.IGNORECASE)
    return match.group(0) if match else term


def _bold(text: str, sentences: list[str]) -> str:
    code = code_lines(text)
    lines = text.split("\n")
    for sentence in sentences:
        if sentence.lstrip().startswith("|"):
            continue  # a table row: bold markers would take it out of its table
        if len(sentence) < 8 or f"**{sentence}**" in text:
            continue
        # In code, "**" would be shown as written, not as emphasis.
        for i, line in enumerate(lines):
            if i not in code and sentence in line:
                lines[i] = line.replace(sentence, f"**{sentence}**", 1)
                break
    return "\n".join(lines)


def _ends_in_block(text: str) -> bool:
    """The text ends with a table row or a closing fence: ``[n]`` needs a line of its own
    (in a row it would be another cell; after a fence the fence would not close)."""
    last = text.rstrip().split("\n")[-1].lstrip()
    return last.startswith("|") or ends_in_fence(last)


def _table_breaks(text: str) -> str:
    """A blank line before and after each markdown table, or the chat shows its rows as
    plain lines of pipes."""
    out: list[str] = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        is_row = line.lstrip().startswith("|")
        prev_row = i > 0 and lines[i - 1].lstrip().startswith("|")
        if is_row != prev_row and i > 0 and out and out[-1].strip():
            out.append("")
        out.append(line)
    return "\n".join(out)


def extractive_answer(
    passages: list[Passage], tuning: AnswerSettings
) -> tuple[str, list[Citation]]:
    """Each passage under its section label, key sentence in bold, ending with its ``[n]``."""
    parts, citations = [], []
    for n, passage in enumerate(passages, start=1):
        text = _table_breaks(_bold(passage.text, passage.key))
        citations.append(
            citation_for(passage.hit, n, snippet=passage.text, limit=tuning.snippet_chars)
        )
        label = passage.hit.metadata.get("section") or passage.hit.metadata.get("title", "")
        gap = "\n\n" if _ends_in_block(text) else " "
        parts.append(f"**{label}**\n{text}{gap}[{n}]")
    return "\n\n".join(parts), citations


def topic_label(hit: Hit, template: frozenset[str]) -> str:
    """What a refusal or a pointer calls a hit: its topic (``rag.structure.topic_of``), never
    the journal's template ("새로 배운 내용" is no topic to suggest); a page's intro goes by
    the page's title."""
    section = hit.metadata.get("section", "")
    if not section and hit.metadata.get("kind") != "note":
        return str(hit.metadata.get("title", ""))
    return topic_of(section, template)


def period_label(span: DateSpan) -> str:
    """A question's period as the answers name it: "2025-03-04", "2025-06-01 ~ 2025-06-30"."""
    return span.start if span.single_day else f"{span.start} ~ {span.end}"


def refusal_answer(
    question: str,
    ranked: list[Hit],
    coverage: Coverage,
    tuning: RefusalSettings,
    template: frozenset[str] = frozenset(),
    period: DateSpan | None = None,
    elsewhere: Sequence[tuple[str, str]] = (),
) -> Answer:
    """Say plainly that the notes don't cover it, why when we know, and what is nearby.

    A question about a period (``period``: "6월에 … 배웠어?") is refused for that period, and
    its nearby topics are that period's; when other days' notes cover it, ``elsewhere`` names
    those days with their topics, so the student learns when they did study it instead of
    hearing that the notes lack it.
    """
    topics: list[str] = []
    for hit in ranked[: tuning.suggestion_window]:
        label = topic_label(hit, template)
        if label and label not in topics:
            topics.append(label)
    topics = topics[: tuning.suggestions]
    detail = _REFUSAL_DETAIL.get(coverage.reason)
    if elsewhere and period is not None:
        days = ", ".join(f"{day} ({label})" if label else day for day, label in elsewhere)
        text = f"{period_label(period)} {_ELSEWHERE.format(days=days)}"
    else:
        # Nowhere else either: not in the notes at all, which says more than "not that day".
        names = ", ".join(as_written(name, question) for name in coverage.names)
        text = REFUSAL_TEXT + (detail.format(names=names) if detail else "")
    if topics:
        if period is None:
            near = "노트에서 다루는"
        elif elsewhere:  # the period is named already
            near = "그날 노트의" if period.single_day else "그 기간 노트의"
        else:
            near = f"{period_label(period)} 노트의"
        text += f" {near} 가까운 주제: " + ", ".join(topics)
    return Answer(question, text, True, [], mode="refusal", suggestions=topics, coverage=coverage)


def stream_text(text: str, step: int) -> Iterator[str]:
    for i in range(step, len(text) + step, step):
        yield text[:i]
