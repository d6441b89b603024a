"""LLM-as-judge faithfulness: is every statement of an answer supported by what it cites?

Only runs when an LLM is configured (``TIL_LLM``); the metric is ``null`` otherwise. A reply
that is neither yes nor no leaves the row unjudged rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rag.eval.metrics import Row

JUDGE_PROMPT = """You check answers of a study assistant. Reply with one word: YES if every
statement in the ANSWER is supported by the SOURCES, NO otherwise.

SOURCES:
{sources}

ANSWER:
{answer}

Supported (YES/NO)?"""

# Prompt caps, set when the judge was written and never tuned: they bound the prompt however
# much an answer cites, so a small local model's context is not overrun.
JUDGE_SOURCES_CHARS = 6000
JUDGE_ANSWER_CHARS = 3000
JUDGE_SECTION_CHARS = 2000  # per cited section, so one long page cannot crowd out the rest

_YES = re.compile(r"^\W*(yes|예|네)\b")
_NO = re.compile(r"^\W*(no|아니)")


def judge_faithfulness(llm: Any, answer: str, sources: Sequence[str]) -> bool | None:
    """LLM-as-judge; ``None`` when the judge's reply is neither yes nor no."""
    prompt = JUDGE_PROMPT.format(
        sources="\n---\n".join(sources)[:JUDGE_SOURCES_CHARS],
        answer=answer[:JUDGE_ANSWER_CHARS],
    )
    reply = str(getattr(llm.invoke(prompt), "content", "")).strip().lower()
    if _YES.match(reply):
        return True
    if _NO.match(reply):
        return False
    return None


def cited_section_texts(row: Row, store: Any) -> list[str]:
    """The whole sections the answer cites (the answer may quote any chunk of them)."""
    out = []
    for cite in row.citations:
        docs = store.sections.get((cite["source"], cite["section"]), [])
        out.append("\n".join(d.page_content for d in docs)[:JUDGE_SECTION_CHARS])
    return out


def judge_row(llm: Any, row: Row, store: Any) -> bool | None:
    """The row's faithfulness; a judge failure leaves it unjudged, never fails the run."""
    try:
        return judge_faithfulness(llm, row.answer, cited_section_texts(row, store))
    except Exception:
        return None
