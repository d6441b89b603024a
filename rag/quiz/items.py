"""What a quiz is made of: :class:`QuizItem` (one question), :class:`Grade` (one verdict) and
:class:`QuizBatch` (the items one request produced, with the message to show).

The bottom of the package: everything else in ``rag.quiz`` imports from here, this imports
nothing from ``rag.quiz``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.documents import Document

from rag.answer.citations import citation_for
from rag.text import compact

TYPES = ("mc", "short", "cloze", "tf")
GENERATORS = ("definition", "cloze", "contrast", "truefalse", "llm")
TF_CHOICES = ["참", "거짓"]
BLANK = "____"  # the gap in a cloze question
MASK = "○○"  # the term hidden in a definition or a true/false statement


@dataclass
class QuizItem:
    """One question. ``to_dict`` / ``from_dict`` round-trip through JSON (review store, UI)."""

    id: str
    type: str  # mc | short | cloze | tf
    question: str
    answer: str
    choices: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # other spellings: ["파드", "Pod"]
    explanation: str = ""
    citation: dict[str, Any] = field(default_factory=dict)
    chunk_id: str = ""
    topic: str = ""
    generator: str = ""  # definition | cloze | contrast | truefalse | llm
    term: str = ""  # the concept tested; for a false TF statement, the real term
    confusables: list[str] = field(default_factory=list)  # sibling terms grading must reject
    shown: str = ""  # a true/false statement's subject: the term, or the sibling it is lent to

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuizItem:
        known = {f for f in cls.__dataclass_fields__}
        clean = {k: v for k, v in data.items() if k in known}
        for key in ("choices", "accepted", "confusables"):
            clean[key] = list(clean.get(key) or [])
        clean["citation"] = dict(clean.get("citation") or {})
        return cls(**clean)

    @property
    def fact_key(self) -> tuple[str, str]:
        """Two items with the same key test the same fact (same chunk, same answer)."""
        return (self.chunk_id, compact(self.term or self.answer))


@dataclass
class QuizBatch:
    """The items one quiz request produced, and what to tell the student about them."""

    items: list[QuizItem]
    message: str = ""
    due: int = 0  # how many of ``items`` came from the review schedule (they come first)
    topic: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"items": [i.to_dict() for i in self.items], "message": self.message}


@dataclass
class Grade:
    """The verdict on one answer; ``score`` is 0.9 for a forgiven typo."""

    correct: bool
    score: float
    feedback: str
    expected: str


def item_id(*parts: str) -> str:
    """A stable id from what defines an item: the same fact asked the same way keeps its id
    across runs, so the review schedule and Anki cards follow it."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def item_citation(doc: Document, snippet: str) -> dict[str, Any]:
    cit = citation_for(doc, 1, snippet)
    return {**cit.to_dict(), "location": cit.location}


def check_types(types: Sequence[str] | str | None) -> list[str]:
    """The item types asked for (a list or ``"mc,tf"``), validated; none means all."""
    if not types:
        return list(TYPES)
    if isinstance(types, str):
        types = types.split(",")
    clean = [t.strip().lower() for t in types if t and t.strip()]
    bad = [t for t in clean if t not in TYPES]
    if bad:
        raise ValueError(f"unknown quiz type(s) {bad}; use {', '.join(TYPES)}")
    return list(dict.fromkeys(clean)) or list(TYPES)
