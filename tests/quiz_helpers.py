"""Checks shared by the quiz tests (tests/test_quiz_*.py); the fixtures are in
``tests/quiz_fixtures.py``."""

from __future__ import annotations

import difflib
import unicodedata
from typing import Any

from rag.quiz import QuizItem
from rag.text import compact


def one(pool: list[QuizItem], **want: Any) -> QuizItem:
    for item in pool:
        if all(getattr(item, k) == v for k, v in want.items()):
            return item
    raise AssertionError(f"no item with {want}")


def has(text: str, name: str) -> bool:
    """``name`` appears in ``text`` ignoring case, spacing and punctuation."""
    return bool(name) and compact(name) in compact(text)


def jamo_ratio(a: str, b: str) -> float:
    """Similarity of two spellings letter by letter (Hangul split into jamo)."""
    return difflib.SequenceMatcher(
        None, unicodedata.normalize("NFD", compact(a)), unicodedata.normalize("NFD", compact(b))
    ).ratio()
