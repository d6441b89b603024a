"""Numbered citations: one numbering, assigned once after de-duplication, used by both the
answer text and the source list (so ``[6]`` never points nowhere)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from langchain_core.documents import Document

from rag.config import AnswerSettings
from rag.index.store import body_of
from rag.text import CODE_FENCE

MARKER = re.compile(r"\[(\d{1,3})\]")


def location_of(citation: Mapping[str, Any]) -> str:
    """Where a student checks a citation (a :class:`Citation` or its dict form, such as a quiz
    item's ``citation``): its ``location`` if it has one, else the URL, else
    ``note.md:12-16``, else the source."""
    if citation.get("location"):
        return str(citation["location"])
    if citation.get("url"):
        return str(citation["url"])
    if citation.get("start_line"):
        source = citation.get("source", "")
        return f"{source}:{citation['start_line']}-{citation.get('end_line', '')}"
    return str(citation.get("source", ""))


@dataclass
class Citation:
    n: int
    source: str
    kind: str
    title: str
    section: str
    url: str  # reference URL, or "" for a note (see ``location``)
    snippet: str
    chunk_id: str = ""
    start_line: int = 0
    end_line: int = 0
    # A note's day (ISO): a journal's notes often share one title ("TIL"), and the day is
    # what tells them apart.
    date: str = ""

    def day_beside(self, label: str) -> str:
        """The note's day to show beside ``label`` (its title), or "" when that says it."""
        return self.date if self.date and self.date not in label else ""

    @property
    def location(self) -> str:
        """Where a student checks it: the URL, or ``note.md:12-16``."""
        return location_of(self.to_dict())

    def to_dict(self) -> dict:
        return asdict(self)


def _without_fences(text: str) -> str:
    """A source card prints its snippet as text: a code fence there is two stray lines of
    backticks, and the limit would cut the block open anyway."""
    return "\n".join(line for line in text.split("\n") if not CODE_FENCE.match(line)).strip()


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a line or word break, marked "…": a card that
    ends mid-word ("- c" for "critical section?") reads as a broken note."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    brk = max(cut.rfind("\n"), cut.rfind(" "))
    # A break in the last fifth keeps most of the text; a long unbroken run is cut as it is.
    if brk >= limit * 4 // 5:
        cut = cut[:brk]
    return cut.rstrip() + "…"


def citation_for(
    doc: Document, n: int, snippet: str | None = None, limit: int = AnswerSettings.snippet_chars
) -> Citation:
    meta = doc.metadata
    body = body_of(doc)
    return Citation(
        n=n,
        source=meta.get("source", ""),
        kind=meta.get("kind", ""),
        title=meta.get("title", ""),
        section=meta.get("section", ""),
        url=meta.get("url", "") if meta.get("kind") == "reference" else "",
        snippet=_clip(_without_fences(snippet if snippet is not None else body), limit),
        chunk_id=meta.get("chunk_id", ""),
        start_line=int(meta.get("start_line", 0) or 0),
        end_line=int(meta.get("end_line", 0) or 0),
        date=str(meta.get("date", "") or "") if meta.get("kind") == "note" else "",
    )


def renumber(answer: str, citations: list[Citation]) -> tuple[str, list[Citation]]:
    """Drop markers that point nowhere, drop sources never cited, and renumber 1..n in order
    of first appearance, so the text and the list always agree."""
    valid = {c.n: c for c in citations}
    order: list[int] = []
    for match in MARKER.finditer(answer):
        n = int(match.group(1))
        if n in valid and n not in order:
            order.append(n)
    mapping = {old: new for new, old in enumerate(order, start=1)}

    def fix(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f"[{mapping[n]}]" if n in mapping else ""

    text = MARKER.sub(fix, answer)
    # A removed marker can leave a double space or a space before punctuation.
    text = re.sub(r"[ \t]+([.,!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    cited = []
    for old in order:
        c = valid[old]
        cited.append(Citation(**{**c.to_dict(), "n": mapping[old]}))
    return text, cited
