"""What a quiz is about: the chunks a topic names (:func:`select_chunks`) and the topics a
dropdown offers (:func:`list_topics`; every entry works as a topic)."""

from __future__ import annotations

import re

from langchain_core.documents import Document

from rag.index.store import ChunkStore
from rag.quiz.prose import SEP, good_sentence, sentences, skip
from rag.text import compact, find_dates, normalize, strip_dates

_DATE_RANGE = re.compile(
    r"^(?:date:\s*)?(\d{4}-\d{2}(?:-\d{2})?)\s*(?:\.\.|~|,|/|to|–|—)\s*(\d{4}-\d{2}(?:-\d{2})?)$"
)
_ONE_DATE = re.compile(r"^(?:date:\s*)?(\d{4}-\d{2}(?:-\d{2})?)$")
_PREFIXES = {"section", "source", "note", "date", "keyword", "kw"}


def select_chunks(store: ChunkStore, topic: str = "") -> tuple[list[Document], str]:
    """Chunks a topic names, and how it matched (``all``, ``date``, ``section``, ``source``,
    ``keyword``, ``none``).

    ``topic`` may be a date or a range (``2025-02-01..2025-02-28``, ``2025-02``), a section
    (substring of the heading breadcrumb), a note or page (source path / URL / title), or a
    keyword found in the text; ``section:``, ``source:``, ``date:``, ``keyword:`` prefixes force
    one reading.
    """
    docs = [d for d in store.docs if not skip(d)]
    topic = normalize(topic or "").strip()
    if not topic:
        return docs, "all"
    kind, _, rest = topic.partition(":")
    forced = kind.strip().lower() if rest and kind.strip().lower() in _PREFIXES else ""
    text = rest.strip() if forced else topic
    if forced in ("", "date"):
        dated = _by_date(docs, text, store)
        if dated is not None:
            return dated, "date"
    needle = text.casefold()
    if forced in ("", "section"):
        found = _by_section(docs, needle, titles=not forced)
        if found or forced:
            return found, "section"
    if forced in ("", "source", "note"):
        found = [
            d
            for d in docs
            if needle == d.metadata.get("source", "").casefold()
            or needle in d.metadata.get("source", "").casefold()
            or needle in d.metadata.get("title", "").casefold()
        ]
        if found or forced:
            return found, "source"
    key = compact(text)
    found = [
        d
        for d in docs
        if needle in d.page_content.casefold() or (key and key in compact(d.page_content))
    ]
    return found, "keyword" if found else "none"


def _by_date(docs: list[Document], text: str, store: ChunkStore) -> list[Document] | None:
    """Chunks dated in the range ``text`` names, or ``None`` if it names no date. Besides ISO
    dates and ranges, anything a question may say ("3월 4일", "이번 주", "2월 둘째 주")."""
    span = _DATE_RANGE.match(text)
    one = _ONE_DATE.match(text)
    if not (span or one):
        spoken = find_dates(text, store.newest_date)
        if spoken is None or strip_dates(text, spoken).strip(" 에의부터까지~-"):
            return None
        return [d for d in docs if spoken.contains(d.metadata.get("date") or "")]
    lo, hi = (span.group(1), span.group(2)) if span else (one.group(1), one.group(1))
    hi = hi + "\uffff"  # a month "2025-02" includes every day in it
    return [d for d in docs if lo <= (d.metadata.get("date") or "") <= hi]


def _by_section(docs: list[Document], needle: str, titles: bool) -> list[Document]:
    found = [d for d in docs if needle in d.metadata.get("section", "").casefold()]
    if titles:
        # A page title picked from list_topics() ("서비스") means that page too, not only
        # the sections whose heading happens to contain the word.
        titled = [d for d in docs if d.metadata.get("title", "").casefold() == needle]
        if titled:
            ids = {d.metadata["chunk_id"] for d in titled}
            found = [d for d in docs if d.metadata["chunk_id"] in ids or d in found]
    return found


def list_topics(store: ChunkStore) -> list[str]:
    """Choices for a topic dropdown: the notes' headings and sub-headings that hold facts to
    test (in note order), then each reference page's title. Every entry works as ``topic``."""
    seen: dict[str, None] = {}
    pages: dict[str, None] = {}
    for doc in store.docs:
        if skip(doc) or not any(good_sentence(s) for s in sentences(doc)):
            continue
        meta = doc.metadata
        if meta.get("kind") == "reference":
            if meta.get("title"):
                pages.setdefault(meta["title"], None)
            continue
        parts = [p for p in meta.get("section", "").split(SEP) if p]
        for i in range(1, len(parts) + 1):
            seen.setdefault(SEP.join(parts[:i]), None)
    return [*seen, *(p for p in pages if p not in seen)]
