"""Follow-up questions without an LLM: "그럼 그건 언제 써?" borrows the previous topic."""

from __future__ import annotations

import re

from rag.answer.coverage import corpus_has
from rag.index.store import ChunkStore
from rag.text import key_terms

_ANAPHORA = re.compile(
    r"^(그럼|그러면|그건|그것|그거|이건|이것|저건|그|그리고|또|그래서)\b|그것|그거|이것|\b(it|that|this|they|them)\b",
    re.IGNORECASE,
)


def contextual_query(
    question: str, history: list[tuple[str, str]], store: ChunkStore, carry_terms: int
) -> str:
    """A follow-up borrows the topic terms of the previous question when it has none of its
    own that the notes know, or refers back with a pronoun."""
    if not history:
        return question
    own = [t for t in key_terms(question) if corpus_has(store, t)]
    if own and not _ANAPHORA.search(question):
        return question
    previous = history[-1][0]
    carry = [t for t in key_terms(previous) if t not in own][:carry_terms]
    return f"{' '.join(carry)} {question}".strip() if carry else question
