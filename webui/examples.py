"""Example questions for the chat, made from the notes' own headings.

A note's topical headings ("하이퍼바이저(Hypervisor)") become questions with the particle
that fits ("…란 무엇인가요?"); template headings (회고, 참고 자료, 날짜) never do. One example
compares two defined terms that a note itself compares ("VM에 비해 가볍고").
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rag.config import StructureSettings
from rag.index.store import ChunkStore, body_of
from rag.structure import is_structural, template_of
from rag.text import (
    GENERIC_HEADINGS,
    compact,
    has_batchim,
    parse_label,
    short_name,
    topic_names,
)
from webui.views.links import crumbs

# Template headings that carry a date or a suffix ("참고 자료 및 링크", "날짜: 2025-02-11");
# matched on the compacted label, so spacing and punctuation do not matter.
_GENERIC_PREFIX = re.compile(r"^(날짜|참고|링크|회고|오늘의회고|느낀|스크럼|references?|links?)")
_HANGUL = re.compile(r"[가-힣]")
_COMPARE_CUE = re.compile(r"비해|달리|차이|보다|반면|대신|versus|\bvs\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?다])\s+|\n")
MAX_HEADING_CHARS = 40  # longer "headings" are sentences set in bold, not topic names
# A heading that asks something itself ("…이 무엇인지와 장, 단점", "왜 쓰는데") is a question
# already: "…란 무엇인가요?" after it reads as nonsense.
_ASKS = re.compile(r"무엇|뭘까|뭔가|왜|어떻게|언제|어디|누가|인지(?:와|\b|$)|는지(?:와|\b|$)|할까")
# Emoji and arrows a heading starts with ("📌 ", "결론 ⇒ " keeps its words, loses nothing).
_DECORATION = re.compile(r"^[^\w\[(]+")
# Section numbering the student typed ("1. ", "3-8. ", "2) ", "(1) "): not part of the name.
_NUMBERING = re.compile(r"^\s*(?:\(?\d+(?:[-.]\d+)*[.)]|\(\d+\))\s+")
# A heading that ends in such a noun names an aspect of a topic ("…를 수행하는 방법"): asked
# with 은/는 ("방법은 무엇인가요?"), not defined with 이란 ("방법이란 무엇인가요?").
_ASPECT = re.compile(
    r"(?:방법|이유|원리|과정|순서|특징|장점|단점|장단점|차이|차이점|역할|종류|구조|동작|예시|예제|사례)$"
)


class Topic(NamedTuple):
    source: str
    heading: str
    text: str


def is_topic_heading(label: str, template: frozenset[str] = frozenset()) -> bool:
    """A heading a student would ask about: not the journal's template, not furniture, not a
    question of its own ("requestAnimationFrame?" would make "…?이란 무엇인가요?")."""
    key = compact(label)
    if not key or len(label) > MAX_HEADING_CHARS or key in GENERIC_HEADINGS:
        return False
    if is_structural(label, template) or label.rstrip().endswith("?") or _ASKS.search(label):
        return False
    if _GENERIC_PREFIX.match(key) or key.isdigit():
        return False
    return bool(re.search(r"[가-힣A-Za-z]{2,}", label))


def _last_hangul(text: str) -> str | None:
    found = _HANGUL.findall(short_name(text))
    return found[-1] if found else None


def topic_question(label: str) -> str:
    """A natural question about a heading: ``하이퍼바이저(Hypervisor)란 무엇인가요?``. A topic
    label of an aspect ("JWT · 사용 방법", ``rag.structure.topic_of``) reads "JWT의 사용
    방법…"; a heading that is a question already is asked as written."""
    label = _NUMBERING.sub("", _DECORATION.sub("", label)).strip()
    if label.startswith("[") and label.endswith("]"):
        label = label[1:-1].strip()
    label = label.replace(" · ", "의 ")
    if label.rstrip().endswith(("?", "？")) or _ASKS.search(label):
        return label.rstrip(" ?？") + "?"
    last = _last_hangul(label)
    if last is None or re.search(r"[A-Za-z0-9]$", short_name(label)):
        # Latin at the end ("Tailwind css"): the particle would follow how it is read, so
        # pick a phrasing that needs none.
        return f"{label}에 대해 설명해 주세요."
    if _ASPECT.search(label):
        return f"{label}{'은' if has_batchim(last) else '는'} 무엇인가요?"
    return f"{label}{'이란' if has_batchim(last) else '란'} 무엇인가요?"


def suggested_question(label: str) -> str | None:
    """The question a refusal's nearby topic offers, or None for a heading that names no
    topic (a reading list, a retrospective: "참고 자료 및 링크")."""
    key = compact(label)
    if not key or _GENERIC_PREFIX.match(key) or key in GENERIC_HEADINGS:
        return None
    return topic_question(label)


def comparison_question(a: str, b: str) -> str:
    first, second = short_name(a), short_name(b)
    last = _last_hangul(first)
    particle = "과" if last and has_batchim(last) else "와"
    return f"{first}{particle} {second}의 차이는 무엇인가요?"


def _is_definition(heading: str) -> bool:
    return parse_label(heading).trailing_gloss


# The defaults; the app passes its own settings.
DEFAULT_STRUCTURE = StructureSettings()


def note_topics(store: ChunkStore, structure: StructureSettings = DEFAULT_STRUCTURE) -> list[Topic]:
    """Each topical note section, newest note first; within a note, top-level headings before
    nested ones and definitions ("X(Y)") before the rest, so the first picks are the note's
    main terms."""
    dates: dict[str, str] = {}
    sections: dict[tuple[str, str], dict] = {}
    template = template_of(store, structure)
    for doc in store.docs:
        meta = doc.metadata
        if meta.get("kind") != "note":
            continue
        path = crumbs(meta.get("section", ""))
        if not path or not is_topic_heading(path[-1], template):
            continue
        dates.setdefault(meta["source"], str(meta.get("date") or ""))
        entry = sections.setdefault(
            (meta["source"], path[-1]), {"depth": len(path), "pos": len(sections), "texts": []}
        )
        entry["texts"].append(body_of(doc))
    out: list[Topic] = []
    for source in sorted(dates, key=lambda s: (dates[s], s), reverse=True):
        mine = [(h, e) for (src, h), e in sections.items() if src == source]
        mine.sort(key=lambda he: (he[1]["depth"], not _is_definition(he[0]), he[1]["pos"]))
        out.extend(Topic(source, h, "\n".join(e["texts"])) for h, e in mine)
    return out


def example_questions(
    store: ChunkStore | None,
    limit: int = 6,
    structure: StructureSettings = DEFAULT_STRUCTURE,
) -> list[str]:
    """Clickable example questions from the notes' own headings, spread over the newest notes,
    plus one comparison of two topics that the notes themselves compare."""
    if store is None or limit <= 0:
        return []
    topics = note_topics(store, structure)
    pair = related_pair(topics)
    slots = limit - 1 if pair else limit
    # Round-robin over notes so one long note does not fill every slot.
    queues: dict[str, list[str]] = {}
    for topic in topics:
        queues.setdefault(topic.source, []).append(topic.heading)
    picked: list[str] = []
    while len(picked) < slots and any(queues.values()):
        for queue in queues.values():
            if queue and len(picked) < slots:
                picked.append(queue.pop(0))
    questions = [topic_question(h) for h in picked]
    if pair:
        questions.append(comparison_question(*pair))
    return questions


def related_pair(topics: list[Topic]) -> tuple[str, str] | None:
    """Two definition headings ("X(Y)") where a later section compares itself to an earlier
    one ("VM에 비해 가볍고"); falls back to a plain mention."""
    named = [(t.heading, t.text) for t in topics if _is_definition(t.heading)]
    mention: tuple[str, str] | None = None
    for j, (b, text_b) in enumerate(named):
        sentences = _SENTENCE_END.split(text_b)
        for a, _ in named[:j]:
            if short_name(a) in short_name(b) or short_name(b) in short_name(a):
                continue  # "하이퍼바이저" vs "Type 1 하이퍼바이저": a part, not a rival
            names = topic_names(a)
            hits = [s for s in sentences if any(n in s for n in names)]
            if any(_COMPARE_CUE.search(s) for s in hits):
                return a, b
            if hits and mention is None:
                mention = (a, b)
    return mention
