"""Answer text from passages: extractive (the default) or the refusal. The LLM composer's
prompts and checks are in :mod:`rag.answer.llm`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rag.answer.citations import Citation, citation_for
from rag.answer.coverage import Coverage, Reason
from rag.answer.passages import Passage
from rag.answer.result import Answer
from rag.config import AnswerSettings, RefusalSettings
from rag.text import code_lines, ends_in_fence

if TYPE_CHECKING:
    from rag.retrieval import Hit

REFUSAL_TEXT = "노트에 없는 내용입니다."
# What a refusal adds for the reasons that name terms; {names} is the list.
_NOWHERE = " ('{names}'은(는) 노트와 참고 자료에 나오지 않습니다.)"
_REFUSAL_DETAIL = {
    Reason.NAME_NOT_IN_NOTES: _NOWHERE,
    Reason.TERMS_MISSING: _NOWHERE,
    Reason.NAME_NOT_EXPLAINED: " ('{names}'은(는) 지나가듯 언급될 뿐 설명은 없습니다.)",
}


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


def refusal_answer(
    question: str, ranked: list[Hit], coverage: Coverage, tuning: RefusalSettings
) -> Answer:
    """Say plainly that the notes don't cover it, why when we know, and what is nearby."""
    topics: list[str] = []
    for hit in ranked[: tuning.suggestion_window]:
        label = hit.metadata.get("section") or hit.metadata.get("title", "")
        label = label.split(" > ")[-1] if label else ""
        if label and label not in topics:
            topics.append(label)
    topics = topics[: tuning.suggestions]
    text = REFUSAL_TEXT
    detail = _REFUSAL_DETAIL.get(coverage.reason)
    if detail:
        text += detail.format(names=", ".join(coverage.names))
    if topics:
        text += " 노트에서 다루는 가까운 주제: " + ", ".join(topics)
    return Answer(question, text, True, [], mode="refusal", suggestions=topics, coverage=coverage)


def stream_text(text: str, step: int) -> Iterator[str]:
    for i in range(step, len(text) + step, step):
        yield text[:i]
