"""Do the notes cover the question? Signals, then a decision with a typed reason.

Dense similarity alone cannot separate in-scope from near-miss questions (their ranges
overlap), so the strongest signal is lexical: a *named* thing in the question (a Latin or
proper-noun term: "NetworkPolicy", "Terraform", "GIL") that appears nowhere in the notes or
references. Korean general nouns missing from the corpus are weaker evidence (paraphrases
use them), so they count only as a share and together with modest similarity.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from rag.config import RefusalSettings
from rag.index.store import ChunkStore, body_of
from rag.text import (
    DATE_WORDS,
    ENGLISH_STOPWORDS,
    breadcrumb,
    compact,
    compared_heads,
    find_dates,
    is_english,
    key_terms,
    morphemes,
    strip_dates,
    unknown_words,
)

if TYPE_CHECKING:
    from rag.retrieval import Hit


class Reason(Enum):
    """Why a question was answered or refused; ``Coverage.names`` holds the terms involved."""

    COVERED = "covered"
    NOTHING_RETRIEVED = "nothing retrieved"
    NO_TOPICAL_TERMS = "no topical terms"
    NAME_NOT_IN_NOTES = "not in notes"  # a named thing the corpus never mentions
    NAME_NOT_EXPLAINED = "not explained in notes"  # mentioned, but not where we'd answer from
    LOW_SIMILARITY = "low similarity"
    MANY_TERMS_MISSING = "many terms not in notes"
    TERMS_MISSING = "terms not in notes, nothing close"
    NO_SHARED_TERM = "top passages share no term with the question"


@dataclass
class Coverage:
    terms: list[str]
    missing: list[str]  # distinctive question terms found nowhere in the corpus
    in_top: list[str]  # terms found in the top passages
    dense_top: float
    bm25_top: float
    reason: Reason
    names: list[str] = field(default_factory=list)  # the terms the reason is about

    @property
    def covered(self) -> bool:
        return self.reason is Reason.COVERED

    def describe(self) -> str:
        """The reason in words, for logs and ``--debug``."""
        if self.reason is Reason.LOW_SIMILARITY:
            return f"{self.reason.value} {self.dense_top:.3f}"
        if self.names:
            return f"{self.reason.value}: {', '.join(self.names)}"
        return self.reason.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "terms": self.terms,
            "missing": self.missing,
            "in_top": self.in_top,
            "dense_top": self.dense_top,
            "bm25_top": self.bm25_top,
            "covered": self.covered,
            "reason": self.describe(),
        }


def text_has(text: str, term: str) -> bool:
    """``term`` in lower-cased ``text``: a Latin word must start a word ("ml" is not in
    "html") and a plural finds its singular; Hangul terms may sit inside compounds
    ("레플리카" in "레플리카셋")."""
    if _LATIN_TERM.fullmatch(term):
        return re.search(rf"(?<![a-z0-9]){re.escape(_singular(term))}", text) is not None
    return term in text


_LATIN_TERM = re.compile(r"[a-z0-9.\-]+")


def _singular(term: str) -> str:
    return term[:-1] if len(term) > 3 and term.endswith("s") else term


def corpus_has(store: ChunkStore, term: str) -> bool:
    """In the notes or pages, also written with other spacing ("제2정규형" is "제 2 정규형")."""
    if term in store.vocabulary:
        return True
    if _LATIN_TERM.fullmatch(term):
        if store.has_latin_word_start(_singular(term)):
            return True
    elif term in (store.lower_text if re.search(r"\s", term) else store.word_text):
        return True
    key = compact(term)
    return len(key) >= 3 and bool(re.search(r"[가-힣]", key)) and key in store.compact_text


def _is_distinctive(term: str) -> bool:
    """Names and technical words (Latin script, digits, proper nouns) carry the topic; a Korean
    general noun alone ("장점", "방법") does not decide coverage."""
    return bool(re.search(r"[A-Za-z0-9]", term)) and term not in ENGLISH_STOPWORDS


def _looks_like_name(term: str, question: str) -> bool:
    """In an English question, a capitalised (not sentence-initial) or camel-case word, an
    acronym or a word with digits names a thing; lower-case words are just the language."""
    for match in re.finditer(r"[A-Za-z][A-Za-z0-9.\-]*", question):
        word = match.group(0)
        if word.lower() != term:
            continue
        before = question[: match.start()].rstrip()
        sentence_start = not before or before[-1] in ".?!"
        return bool(re.search(r"[A-Z].*[A-Z]|\d", word)) or (
            word[0].isupper() and not sentence_start
        )
    return bool(re.search(r"\d", term))


def other_numbered(question: str, store: ChunkStore) -> list[str]:
    """Numbered terms ("2차 캐시", "제3정규형", "3세대 방화벽") the notes have only with other
    numbers ("1차 캐시"): a near miss, the sibling of what the notes explain, not it. Any
    number is fine where the notes never number the term ("3가지 방법")."""
    tagged = morphemes(question)
    out = []
    for i, (num, tag) in enumerate(tagged):
        if tag != "SN" or not num.isdigit():
            continue
        # The numbered thing: up to two noun pieces right after the number ("차"+"캐시",
        # "정규"+"형", "세대"+"방화벽").
        pieces = []
        for form, piece_tag in tagged[i + 1 : i + 3]:
            if piece_tag not in _PIECE_TAGS or not re.fullmatch(r"[가-힣]+", form):
                break
            pieces.append(form)
        name = "".join(pieces)
        if len(name) < 2 or max(len(p) for p in pieces) < 2 and len(pieces) < 2:
            continue
        text = store.compact_text
        if f"{num}{name}" in text:
            continue
        # The name's occurrences, each with the number before it: a literal search, which
        # is fast where a pattern starting with digits tried every position (36 ms at 37k).
        numbers = (
            _NUMBER_BEFORE.search(text, max(0, m.start() - 12), m.start())
            for m in re.finditer(re.escape(name), text)
        )
        if any(n is not None and n.group(1) != num for n in numbers):
            # As the question wrote it ("2차 캐시"), for the refusal's wording.
            written = re.search(r"\s*".join(map(re.escape, num + name)), question)
            out.append(written.group(0) if written else f"{num}{name}")
    return out


_NUMBER_BEFORE = re.compile(r"(?<![\d.])(\d+)$")
_PIECE_TAGS = frozenset({"NNB", "NNG", "NNP", "XSN"})

# A dotted release ("1.30", "TLS 1.3") or a protocol's version ("HTTP/3").
_VERSION = re.compile(r"(?<![\d.])\d+(?:\.\d+)+(?![\d.])|(?<![a-z])[a-z]+/\d+(?:\.\d+)*(?![\d.])")


def other_versions(question: str, store: ChunkStore) -> list[str]:
    """Version numbers the notes never write ("1.30", "HTTP/3" where the notes have HTTP/2):
    a release or protocol version the notes do not cover is a near miss, however well they
    explain the product."""
    text = store.word_text
    out = []
    for version in _VERSION.findall(question.lower()):
        if "/" in version:
            # "HTTP/2" is also written "HTTP 2.0" or "http2".
            name, number = version.split("/")
            # No look-behind: a pattern starting with a literal is searched for fast.
            spelled = rf"{re.escape(name)}[\s/]?v?{re.escape(number)}(?:\.0)*(?![\d.])"
            lower = store.lower_text
            starts = (m.start() for m in re.finditer(spelled, lower))
            if not any(not lower[at - 1 : at].isalpha() for at in starts):
                out.append(version)
            continue
        at = text.find(version)
        while at >= 0:
            before = text[at - 1] if at else " "
            after = text[at + len(version) : at + len(version) + 2]
            if not (before.isdigit() or before == ".") and not re.match(r"\d|\.\d", after):
                break
            at = text.find(version, at + 1)
        if at < 0:
            out.append(version)
    return out


def _framing(hits: list[Hit], store: ChunkStore) -> list[str]:
    """The text of the sections above each hit in its note: what frames a passage ("함수로
    경로를 설정한다" above its "fallback 옵션" list) names what the passage is about."""
    out: list[str] = []
    seen: set[tuple[str, str]] = set()
    for hit in hits:
        source, crumbs = hit.metadata["source"], breadcrumb(hit.metadata.get("section", ""))
        for depth in range(1, len(crumbs)):
            key = (source, " > ".join(crumbs[:depth]))
            if key not in seen:
                seen.add(key)
                out.extend(body_of(d) for d in store.sections.get(key, []))
    return out


def _is_new_word(store: ChunkStore, pieces: tuple[str, ...]) -> bool:
    """No word the notes use among the pieces Kiwi made of it: "실서비스" is 실 and the notes'
    "서비스", a compound of known words, where "샤딩" (샤, 딩) or "뮤텍스" is new."""
    return not any(len(piece) >= 2 and corpus_has(store, piece) for piece in pieces)


@dataclass
class _Signals:
    terms: list[str]
    english: bool
    missing: list[str]
    unknown: list[str]
    in_top: list[str]
    named: list[str]
    unanswered: list[str]
    dense_top: float
    bm25_top: float
    has_dense: bool


def _signals(
    question: str,
    ranked: list[Hit],
    store: ChunkStore,
    t: RefusalSettings,
    other_spellings: Callable[[str], list[str]] | None,
) -> _Signals:
    # A date names when, not what: an English month is never a term the notes lack.
    undated = strip_dates(question, find_dates(question))
    terms = [x for x in key_terms(undated) if x not in DATE_WORDS]
    english = is_english(question)
    # A term the notes write in the other script ("Terraform" as 테라폼) is no missing term.
    spelt = {x: other_spellings(x) if other_spellings else [] for x in terms}
    missing = [x for x in terms if not corpus_has(store, x) and not spelt[x]]
    # Missing words Kiwi's dictionary lacks too: a new term, where a missing common word
    # ("개수" in a paraphrase) is just another way to say what the notes say.
    unknown = [
        word
        for word, pieces in unknown_words(undated)
        if word.lower() in missing and _is_new_word(store, pieces)
    ]
    top_text = " ".join(h.page_content.lower() for h in ranked[: t.term_window])
    in_top = [x for x in terms if x in top_text or any(w in top_text for w in spelt[x])]
    window = ranked[: t.similarity_window]
    dense_top = max((h.dense_score or 0.0 for h in window), default=0.0)
    bm25_top = max((h.bm25_score or 0.0 for h in window), default=0.0)
    if english:
        named = [x for x in missing if _looks_like_name(x, question)]
    else:
        # Only Latin-script/digit terms count as names in a Korean question: Kiwi tags every
        # unknown Hangul word NNP, and a transliteration ("호스티드" for "Hosted") is a
        # paraphrase, not a new topic. Such words still count towards the missing share.
        named = [x for x in missing if _is_distinctive(x)]
    named += other_numbered(undated, store) + other_versions(undated, store)
    # A comparison with a side the notes never mention cannot be answered from them, however
    # much they say of the other side ("프로세스와 스레드의 차이" over notes without 스레드).
    named += [h for h in compared_heads(undated) if h in missing and h not in named]
    # A name the corpus has, but none of the passages we would answer from mention: the
    # notes touch it somewhere in passing, and the answer would be about something else.
    shown = " ".join(
        [f"{h.metadata.get('title', '')} {h.page_content}" for h in ranked[: t.name_window]]
        + _framing(ranked[: t.name_window], store)
    ).lower()
    shown_compact = compact(shown)
    # Not for English questions: their passages name the thing in Korean ("ReplicaSet" is
    # "레플리카셋" in the notes), so a missing Latin spelling says nothing there.
    unanswered = [
        x
        for x in terms
        if not english
        and x not in missing
        and _is_distinctive(x)
        and not (text_has(shown, x) or compact(x) in shown_compact)
        # ... nor as the notes gloss or spell it: "k8s" where they write 쿠버네티스.
        and not any(w.lower() in shown for w in spelt[x])
    ]
    # While chunks still wait for their vectors (a first index embedding), a top hit with no
    # similarity is one of them: judge the question lexically, as BM25-only mode does.
    has_dense = any(h.dense_score is not None for h in ranked) and (
        ranked[0].dense_score is not None or store.dense_progress()[1] == 0
    )
    return _Signals(
        terms, english, missing, unknown, in_top, named, unanswered, dense_top, bm25_top, has_dense
    )


def _decide(s: _Signals, t: RefusalSettings, nothing: bool) -> tuple[Reason, list[str]]:
    if not s.has_dense:
        # BM25-only ranking has no similarity: decide on the lexical signals alone.
        t = replace(t, dense_min=0.0, dense_min_en=0.0, dense_confident=0.0, dense_some_missing=0.0)
        override = 2.0
    else:
        override = t.dense_override
    if nothing:
        return Reason.NOTHING_RETRIEVED, []
    if not s.terms and s.dense_top < override:
        return Reason.NO_TOPICAL_TERMS, []
    if s.named and s.dense_top < override:
        return Reason.NAME_NOT_IN_NOTES, s.named
    if s.unanswered and s.dense_top < override:
        return Reason.NAME_NOT_EXPLAINED, s.unanswered
    if s.english:
        # No missing-share rule: an English question about Korean notes is expected to use
        # words the notes don't contain.
        if s.dense_top < t.dense_min_en:
            return Reason.LOW_SIMILARITY, []
        return Reason.COVERED, []
    if s.dense_top < t.dense_min:
        return Reason.LOW_SIMILARITY, []
    share = len(s.missing) / max(1, len(s.terms))
    if share > t.missing_share and s.dense_top < t.dense_confident:
        return Reason.MANY_TERMS_MISSING, s.missing
    if s.unknown and s.dense_top < t.dense_some_missing:
        return Reason.TERMS_MISSING, s.unknown
    if s.terms and not s.in_top and s.dense_top < t.dense_confident:
        return Reason.NO_SHARED_TERM, []
    return Reason.COVERED, []


def assess(
    question: str,
    ranked: list[Hit],
    store: ChunkStore,
    thresholds: RefusalSettings,
    other_spellings: Callable[[str], list[str]] | None = None,
) -> Coverage:
    """Decide whether the corpus covers the question (see the module docstring);
    ``other_spellings`` gives the notes' spellings of a term in the other script."""
    s = _signals(question, ranked, store, thresholds, other_spellings)
    reason, names = _decide(s, thresholds, nothing=not ranked)
    return Coverage(
        s.terms,
        s.missing,
        s.in_top,
        round(s.dense_top, 4),
        round(s.bm25_top, 3),
        reason,
        names,
    )
