"""Which headings are the journal's structure rather than its topics.

A student's template ("새로 배운 내용", "오늘의 회고", "학습 목표", "참고 자료 및 링크") recurs
across notes, while a topic heading belongs to a day or two. So the template is learned from
the corpus itself: a heading label that appears in many different notes is structure. A small
corpus cannot show that, so the general list of template and documentation-furniture words
(``rag.text.GENERIC_HEADINGS``) counts too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from langchain_core.documents import Document

from rag.config import StructureSettings
from rag.index.store import ChunkStore
from rag.text import breadcrumb, compact, is_generic_heading
from rag.text.dates import day_heading

_DATE_LIKE = re.compile(r"^[\d\s./\-년월일:~]+$")
# Any leap year: a heading's day is checked for being only a date, not placed in a year.
_ANY_YEAR = 2024


def _is_date(label: str) -> bool:
    """A heading that is only a date ("2025-03-04", "3월 4일 (화)"): the journal's index, not a
    topic."""
    return bool(_DATE_LIKE.match(label)) or day_heading(label, _ANY_YEAR) is not None


def template_key(label: str) -> str:
    """A heading's identity across notes: compacted, digits dropped ("학습 목표 1" and
    "학습 목표 2" are one template heading)."""
    return re.sub(r"\d+", "", compact(label))


def learn_template(docs: Iterable[Document], tuning: StructureSettings) -> frozenset[str]:
    """Compacted heading labels that recur in at least ``share`` of the journal's entries (and
    in at least ``min_notes`` of them): the journal's template. An entry is one day of one note:
    a note per day, or each day of a file that holds a month (the template recurs per day)."""
    notes_with: dict[str, set[tuple[str, str]]] = defaultdict(set)
    notes: set[tuple[str, str]] = set()
    for doc in docs:
        meta = doc.metadata
        if meta.get("kind") != "note":
            continue
        entry = (meta["source"], str(meta.get("date") or ""))
        notes.add(entry)
        for label in breadcrumb(meta.get("section", "")):
            notes_with[template_key(label)].add(entry)
    needed = max(tuning.template_min_notes, tuning.template_share * len(notes))
    return frozenset(label for label, found in notes_with.items() if len(found) >= needed)


def template_of(store: ChunkStore, tuning: StructureSettings) -> frozenset[str]:
    """The store's learned template, computed once per loaded store."""
    key = ("template", tuning)
    if key not in store.analysed:
        store.analysed[key] = learn_template(store.docs, tuning)
    return store.analysed[key]


def is_structural(label: str, template: frozenset[str]) -> bool:
    key = template_key(label)
    return not key or key in template or is_generic_heading(label) or _is_date(label)


@lru_cache(maxsize=1 << 16)  # asked of every candidate of every question
def is_template_section(section: str, template: frozenset[str]) -> bool:
    """A section headed by the template itself ("오늘의 회고", even under a topic heading), or
    no heading at all: the diary and the scaffolding, not an explanation."""
    crumbs = breadcrumb(section)
    if not crumbs:
        # Text before any heading is scaffolding in a templated journal; in a corpus without
        # a template (a single note, plain notes) it is the content.
        return bool(template)
    leaf = crumbs[-1]
    return template_key(leaf) in template or _is_date(leaf)


def topic_of(section: str, template: frozenset[str]) -> str:
    """What a section is about, as a label: its own heading, with the parent's when the
    heading is documentation furniture ("장점" under "도커" -> "도커 · 장점"); "" for a
    template section."""
    if is_template_section(section, template):
        return ""
    crumbs = breadcrumb(section)
    leaf = crumbs[-1]
    if not is_structural(leaf, template):
        return leaf
    parents = [c for c in crumbs[:-1] if not is_structural(c, template)]
    return f"{parents[-1]} · {leaf}" if parents else ""
