"""The answer every front end receives, and its ``ask --json`` form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rag.answer.citations import Citation

if TYPE_CHECKING:
    from rag.answer.coverage import Coverage
    from rag.retrieval import Hit

_CITATION_KEYS = ("n", "source", "kind", "title", "section", "url", "snippet")


def citation_json(citation: Citation) -> dict[str, Any]:
    """The ``ask --json`` contract's citation fields, plus where to open it."""
    data = citation.to_dict()
    return {k: data[k] for k in _CITATION_KEYS} | {"location": citation.location}


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: str = "extractive"
    suggestions: list[str] = field(default_factory=list)
    retrieved: list[Hit] = field(default_factory=list)
    coverage: Coverage | None = None
    search_query: str = ""
    # The notes' words for the question's in the other script ("프로세스" for "process"),
    # which retrieval searched too: a source card marks them as it marks the question's.
    also_searched: list[str] = field(default_factory=list)
    # Said with the answer while the index is incomplete (a first index still embedding).
    notice: str = ""

    def to_dict(self, debug: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [citation_json(c) for c in self.citations],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "mode": self.mode,
            "suggestions": self.suggestions,
            "notice": self.notice,
        }
        if debug:
            data["coverage"] = self.coverage.to_dict() if self.coverage else {}
            data["also_searched"] = self.also_searched
            data["retrieved"] = [
                {"source": h.metadata["source"], "section": h.metadata["section"], "score": h.score}
                for h in self.retrieved
            ]
        return data
