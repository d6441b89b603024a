"""Quizzes that teach: items generated from the notes (and their references), graded
tolerantly, and the missed ones scheduled for review.

Generation without an LLM (the default) reads the *structure* of the material, because a
TIL note is mostly a glossary in disguise:

- **definition**: a heading or list-item label that names a term (``하이퍼바이저(Hypervisor)``,
  ``파드(Pod)``, ``노드(Node): …``, ``etcd — …``) whose text starts with a definition; asked as
  multiple choice (distractors: sibling terms first), short answer, or true/false (the false
  statement is the definition with its term swapped for a sibling);
- **cloze**: a key sentence with one key term blanked (known terms first, else a rare Kiwi
  noun; never a stopword);
- **contrast**: sibling sections that share a word (``Type 1 하이퍼바이저`` / ``Type 2 …``):
  "which one runs directly on hardware?", with both definitions in the explanation.

With ``settings.llm`` set, a structured-output chain writes items from a chunk instead; every
item is validated against its source text and the rule-based generator fills any gap.

Public API (the Gradio app, the CLI and the benchmark use it): :func:`generate_quiz`,
:func:`grade`, :class:`ReviewStore`, :func:`export_apkg`, :func:`export_csv`,
:func:`list_topics`, :func:`is_supported`, :func:`candidate_items`.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import math
import random
import re
import sys
import threading
import unicodedata
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from rag.answer.citations import citation_for, location_of
from rag.config import Settings
from rag.index.store import ChunkStore, body_of
from rag.quiz_export import export_apkg, export_csv
from rag.review import ReviewStore
from rag.text import ENGLISH_STOPWORDS, KOREAN_STOPWORDS, morphemes, normalize

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.runnables import Runnable

__all__ = [
    "Grade",
    "QuizItem",
    "QuizResult",
    "ReviewStore",
    "TYPES",
    "candidate_items",
    "export_apkg",
    "export_csv",
    "generate_quiz",
    "grade",
    "is_supported",
    "list_topics",
    "select_chunks",
]

TYPES = ("mc", "short", "cloze", "tf")
GENERATORS = ("definition", "cloze", "contrast", "truefalse", "llm")
TF_CHOICES = ["참", "거짓"]
BLANK = "____"
MASK = "○○"
SEP = " > "
# Jamo-level similarity at which a typo is forgiven; 0.8 lets one wrong vowel or consonant
# through in a 3+ syllable term, while two-syllable terms (파드/파이) stay strict.
TYPO_RATIO = 0.8
MIN_TYPO_CHARS = 3

# Sections that hold no facts to test: the student's diary parts and link lists.
_SKIP_SECTION = re.compile(
    r"회고|참고\s*자료|링크|스크럼|다음\s*내용|목차|느낀\s*점|^TODO|^References?$", re.IGNORECASE
)
# Headings that organise a page but name no concept; never a term, never a distractor.
_GENERIC_HEADINGS = frozenset(
    """예시 예제 용어 동기 단점 장점 대안 구성 개요 참고 경고 주의 노트 소개 요약 정리
    배경 목적 설명 유스케이스 전제 조건""".split()
) | {
    "전제 조건들",
    "다음 내용",
    "개념 정리",
    "API 오브젝트",
    "사용 방법",
    "문제 해결",
    "오늘의 회고",
}
# Nouns too vague to be worth a blank, on top of the retrieval stopwords.
_CLOZE_STOP = frozenset(
    """사용 경우 다음 이상 이하 하나 자체 기본 일반 가능 필요 방법 방식 부분 정도 상태
    위 아래 때문 모든 각 여러 다른 해당 이후 이전 현재 전체 대부분 예 예시 기능 정보
    내용 결과 시간 목록 이름 값 문서 페이지 가이드 사항 수준 단계 역할 과정 작업 구현
    구성 설정 관리 요청 처리 동작 정의""".split()
)
# Sentences that point elsewhere ("다음과 같다", "아래 예시") or at page furniture.
_META_SENTENCE = re.compile(
    r"다음(과|을|의|은|에| 중| 순서| 명령| 예| 단계| 표| 그림| 항목| 필드| 설정| 방법| 내용)|"
    r"^(위|아래)|(위|아래)(의|에서|와 같이|처럼) ?(예|설명|명령|내용|그림|표)|"
    r"이 페이지|이 가이드|이 문서|예제 파일|출력은|이미지 출처|자세한 내용|참고한다|참조한다|"
    r"참고하라|살펴보자|살펴본다|https?://|\bv\d+\.\d+|\[(stable|beta|alpha)\]"
)
# A sentence must end like one: a final ending (…다), or a noun phrase (the notes' style).
_SENTENCE_END_TAGS = {"EF", "NNG", "NNP", "NNB", "XSN", "ETN", "SL", "SN", "NR"}
_WEAK_START = re.compile(
    r"^(이|그|이러한|이렇게|그러나|하지만|또한|따라서|그러면|이는|즉|예를 들어)\s"
)
_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[A-Za-z]")
_PAREN = re.compile(r"^(?P<head>[^()]*?)\s*\((?P<inner>[^()]*)\)\s*(?P<tail>[^()]*)$")
_TITLE_SUFFIX = re.compile(r"\s*(이란|란)\s*(무엇인가요|무엇인가|뭘까|\?)?\s*\??$")
_INLINE_DEF = (
    re.compile(r"^(?:[-*+]\s+)?(?P<label>[^:：—–]{1,40}?)\s*[:：]\s+(?P<desc>\S.{7,})$"),
    re.compile(r"^(?:[-*+]\s+)?(?P<label>[^:：—–]{1,40}?)\s+[—–]\s+(?P<desc>\S.{7,})$"),
)
_SUBJECT_PARTICLE = re.compile(r"^(은|는|이란|란|이라는 것은|의 목적은)\s")
_BOLD = re.compile(r"\*\*(?P<a>[^*\n]{1,40})\*\*|__(?P<b>[^_\n]{1,40})__")
_DIGITS = re.compile(r"\d+")
_NOUN_TAGS = {"NNG", "NNP", "SL", "SH"}
_TERM_END_TAGS = {"NNG", "NNP", "NNB", "SL", "SH", "SN", "XR", "XSN", "NR"}
_DATE_RANGE = re.compile(
    r"^(?:date:\s*)?(\d{4}-\d{2}(?:-\d{2})?)\s*(?:\.\.|~|,|/|to|–|—)\s*(\d{4}-\d{2}(?:-\d{2})?)$"
)
_ONE_DATE = re.compile(r"^(?:date:\s*)?(\d{4}-\d{2}(?:-\d{2})?)$")


# --------------------------------------------------------------------------- data types


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
        return (self.chunk_id, _compact(self.term or self.answer))


@dataclass
class QuizResult:
    items: list[QuizItem]
    message: str = ""
    due: int = 0  # how many of ``items`` came from the review schedule

    def to_dict(self) -> dict[str, Any]:
        return {"items": [i.to_dict() for i in self.items], "message": self.message}


@dataclass
class Grade:
    correct: bool
    score: float
    feedback: str
    expected: str


# ------------------------------------------------------------------------ text helpers


@lru_cache(maxsize=50_000)
def _morphs(text: str) -> tuple[tuple[str, str], ...]:
    """Kiwi morphemes, memoised: the same sentence is looked at by several generators."""
    return tuple(morphemes(text))


@lru_cache(maxsize=50_000)
def _compact(text: str) -> str:
    """Case, width, spacing and punctuation folded away: ``"Type 1 하이퍼바이저"`` ->
    ``"type1하이퍼바이저"``."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _jamo(text: str) -> str:
    # Decomposed Hangul makes difflib count one wrong vowel as one of three jamo, not as a
    # whole wrong syllable: "디플로이먼드" is close to "디플로이먼트", "파두" is not "파드".
    return unicodedata.normalize("NFD", text)


def _hangul_share(text: str) -> float:
    hangul = len(_HANGUL.findall(text))
    letters = hangul + len(_LATIN.findall(text))
    return hangul / letters if letters else 0.0


def _has_batchim(word: str) -> bool:
    word = word.rstrip(" )]'\"’”")
    if not word:
        return False
    last = word[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    if last.isdigit():
        return last in "013678"  # 영 일 삼 육 칠 팔
    # English words read in Korean: only a final l/m/n (or -ng) leaves a consonant.
    return last.lower() in "lmn"


def josa(word: str, pair: str) -> str:
    """``josa("파드", "은/는")`` -> ``"파드는"``: the particle that fits the last syllable."""
    with_batchim, without = pair.split("/")
    if with_batchim == "으로" and word and "가" <= word[-1] <= "힣":
        # 으로 after any batchim except ㄹ.
        jong = (ord(word[-1]) - 0xAC00) % 28
        return word + ("로" if jong in (0, 8) else "으로")
    return word + (with_batchim if _has_batchim(word) else without)


def split_label(label: str) -> tuple[str, list[str]]:
    """``"파드(Pod)"`` -> ``("파드", ["Pod"])``; ``"쿠버네티스(Kubernetes, k8s)"`` -> two
    aliases; a Korean parenthesis (``디플로이먼트(권장)``) is a remark, not an alias."""
    label = normalize(label).strip("*`_ ").strip()
    match = _PAREN.match(label)
    if not match:
        return label, []
    head, inner, tail = (match.group(g).strip() for g in ("head", "inner", "tail"))
    name = " ".join(x for x in (head, tail) if x)
    aliases: list[str] = []
    if _LATIN.search(inner) and not _HANGUL.search(inner):
        for part in re.split(r"\s*[,/]\s*|\s+or\s+", inner):
            if part.strip():
                aliases.append(" ".join(x for x in (part.strip(), tail) if x))
    # A Korean parenthesis is a remark ("디플로이먼트(권장)", "kube-proxy (선택 사항)").
    return (name or inner).strip(), aliases


def _is_term(name: str) -> bool:
    """A name a quiz can ask for: short, noun-final, not a generic heading or a clause."""
    name = name.strip()
    if not name or len(name) > 30 or name in _GENERIC_HEADINGS:
        return False
    if any(ch in name for ch in '`:?!.,;>="{}[]|#') or len(name.split()) > 5:
        return False
    if name.count("(") != name.count(")"):
        return False
    if _compact(name) in {_compact(w) for w in _GENERIC_HEADINGS}:
        return False
    tags = [t for _, t in _morphs(name) if not t.startswith("S") or t in ("SL", "SH", "SN")]
    if not tags or tags[-1] not in _TERM_END_TAGS:
        return False
    return any(t in _NOUN_TAGS for t in tags)


def _mask(text: str, names: Iterable[str]) -> str:
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = re.sub(re.escape(name), MASK, text, flags=re.IGNORECASE)
    return text


def _contains(text: str, name: str) -> bool:
    return bool(name) and _compact(name) in _compact(text)


def _near_duplicate(a: str, b: str) -> bool:
    """Two spellings of one thing ("레플리카셋"/"레플리카 셋"), not two things that differ by a
    number ("Type 1"/"Type 2") or by a word ("서비스"/"서비스 리소스")."""
    ca, cb = _compact(a), _compact(b)
    if ca == cb:
        return True
    if _DIGITS.findall(ca) != _DIGITS.findall(cb):
        return False
    return difflib.SequenceMatcher(None, _jamo(ca), _jamo(cb)).ratio() >= 0.85


def _lines(doc: Document) -> list[str]:
    return [ln.strip() for ln in body_of(doc).splitlines() if ln.strip()]


_CALLOUT = re.compile(r"^(참고|경고|주의|노트|팁|Note|Warning|Caution)\s*[:：]\s*", re.IGNORECASE)


def _prose(line: str) -> str:
    """A body line as a sentence: no bullet, no callout label ("참고: …")."""
    return _CALLOUT.sub("", re.sub(r"^[-*+]\s+", "", line)).strip()


def _sentences(doc: Document) -> list[str]:
    # Every chunk's first line is its heading breadcrumb (see ingest.chunking); questions
    # must read like prose, so it never appears in them.
    return list(_split_body(body_of(doc)))


# A Korean sentence ends with a Hangul syllable and a full stop ("…한다. 다음…"); splitting
# there (not after "e.g." or "v1.21") matches Kiwi's splitter on this material at a fraction of
# the cost, and the chunker has already put each sentence of a long paragraph on its own line.
_SENTENCE_BREAK = re.compile(r"(?<=[가-힣][.!?])\s+|(?<=[가-힣][.!?][)\"”’])\s+")


@lru_cache(maxsize=20_000)
def _split_body(body: str) -> tuple[str, ...]:
    out: list[str] = []
    for line in body.splitlines():
        line = _prose(line.strip())
        if line:
            out.extend(p.strip() for p in _SENTENCE_BREAK.split(line) if p.strip())
    return tuple(out)


@lru_cache(maxsize=50_000)
def _good_sentence(sentence: str) -> bool:
    """Prose worth quoting: Korean, complete, not code, not a pointer to something else."""
    if not 12 <= len(sentence) <= 220 or sentence.endswith((":", "?", "：")):
        return False
    if _hangul_share(sentence) < 0.4 or _META_SENTENCE.search(sentence):
        return False
    if re.search(r"[{}=<>$|`]|^\s*#|kubectl|\.yaml|\.\w+\.\w", sentence):
        return False
    if sentence.count("(") != sentence.count(")"):
        return False  # a line the page broke mid-parenthesis
    tags = [t for _, t in _morphs(sentence) if not t.startswith("S") or t in ("SL", "SN")]
    # Pages wrapped mid-sentence ("…IngressClass에 따라"): a fragment is no fact.
    return bool(tags) and tags[-1] in _SENTENCE_END_TAGS


def _noun_final(sentence: str) -> bool:
    tags = [t for _, t in _morphs(sentence) if not t.startswith("S")]
    return bool(tags) and tags[-1] in {"NNG", "NNP", "NNB", "XSN"}


# ------------------------------------------------------------------- corpus analysis


@dataclass
class _Term:
    name: str
    aliases: tuple[str, ...]
    label: str
    source: str
    kind: str  # note | reference
    section: str  # where the term is defined
    group: str  # sibling key: terms with the same group are siblings
    origin: str  # heading | label | bold | title
    doc: Document | None = None
    definition: str = ""  # the source sentence, unmasked
    form: str = ""  # noun (a noun-phrase definition) | subject ("X는 …다") | explain
    docs: list[Document] = field(default_factory=list)  # the whole section, for contrasts

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


@dataclass
class _Fact:
    generator: str  # definition | cloze | contrast
    term: _Term | None
    answer: str
    accepted: list[str]
    doc: Document
    sentence: str  # unmasked source sentence (the citation snippet)
    prompt: str  # masked description, or the sentence with its blank
    topic: str
    explanation: str
    distractors: list[str] = field(default_factory=list)  # ordered: siblings first
    n_siblings: int = 0  # how many of ``distractors`` are siblings
    confusables: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)  # contrast: the names compared


def _skip(doc: Document) -> bool:
    section = doc.metadata.get("section", "")
    return any(_SKIP_SECTION.search(part.strip()) for part in section.split(SEP) if part)


class _Corpus:
    """Terms, aliases and per-chunk facts of one :class:`ChunkStore`, computed once."""

    def __init__(self, store: ChunkStore, settings: Settings | None) -> None:
        self.store = store
        self.settings = settings
        self.lock = threading.RLock()
        self.terms: list[_Term] = []
        self._facts: dict[str, list[_Fact]] = {}
        self._df: dict[str, int] = {}
        self._lower = [d.page_content.casefold() for d in store.docs]
        self._build_terms()

    # -- terms -------------------------------------------------------------------------

    def _add(self, term: _Term) -> None:
        key = (term.source, _compact(term.name))
        if not _compact(term.name):
            return
        for known in self._by_key.get(key, []):
            if not known.definition and term.definition:
                # A later, better place for the same term (heading vs. its own page title).
                known.doc, known.definition, known.form = term.doc, term.definition, term.form
                known.section = term.section
            known.aliases = tuple(dict.fromkeys([*known.aliases, *term.aliases]))
            return
        self._by_key[key].append(term)
        self.terms.append(term)

    def _build_terms(self) -> None:
        self._by_key: dict[tuple[str, str], list[_Term]] = defaultdict(list)
        is_term_cache: dict[str, bool] = {}

        def term_like(name: str) -> bool:
            if name not in is_term_cache:
                is_term_cache[name] = _is_term(name)
            return is_term_cache[name]

        for (source, section), docs in self.store.sections.items():
            if not docs or _skip(docs[0]):
                continue
            meta = docs[0].metadata
            kind = meta.get("kind", "note")
            path = [p for p in section.split(SEP) if p] if section else []
            if path:
                label, origin, group = path[-1], "heading", SEP.join(path[:-1])
            elif kind == "reference" and meta.get("title"):
                label, origin, group = _TITLE_SUFFIX.sub("", meta["title"]), "title", "\x00"
            else:
                label = ""
            name, aliases = split_label(_TITLE_SUFFIX.sub("", label)) if label else ("", [])
            if name and term_like(name):
                term = _Term(
                    name,
                    tuple(aliases),
                    label,
                    source,
                    kind,
                    section,
                    f"{source}\x1f{group}",
                    origin,
                    docs=docs,
                )
                self._define(term, docs, child=len(path) > 1)
                self._add(term)
            for doc in docs:
                self._inline_terms(doc, term_like)
        self._bold_terms(term_like)
        self._alias_groups()
        self._defined: dict[str, list[_Term]] = defaultdict(list)
        self._first_chunk: dict[str, list[_Term]] = defaultdict(list)
        for term in self.terms:
            if term.doc is not None and term.definition:
                self._defined[term.doc.metadata["chunk_id"]].append(term)
            if term.origin == "heading" and term.docs:
                self._first_chunk[term.docs[0].metadata["chunk_id"]].append(term)

    def _define(self, term: _Term, docs: list[Document], child: bool) -> None:
        """The section's definition: its first line if that is a noun phrase, else the first
        early "X는 …다." sentence about the term; in a note, a label's first sentence."""
        sentences = [s for s in _sentences(docs[0])][:4]
        if not sentences:
            return
        first = sentences[0]
        if _good_sentence(first) and _noun_final(first) and not first.endswith("."):
            term.doc, term.definition, term.form = docs[0], first, "noun"
            return
        for sent in sentences:
            if not _good_sentence(sent):
                continue
            for name in term.names:
                if sent.startswith(name) and _SUBJECT_PARTICLE.match(sent[len(name) :]):
                    term.doc, term.definition, term.form = docs[0], sent, "subject"
                    return
        # A note's list-item label is followed by the student's own explanation of it.
        if child and term.kind == "note" and _good_sentence(first):
            term.doc, term.definition, term.form = docs[0], first, "explain"

    def _inline_terms(self, doc: Document, term_like) -> None:
        """``노드(Node): 클러스터의 일부…`` and ``etcd — 키-값 저장소…`` lines."""
        for line in _lines(doc):
            for pattern in _INLINE_DEF:
                match = pattern.match(line)
                if not match:
                    continue
                label, desc = match.group("label").strip(), match.group("desc").strip()
                name, aliases = split_label(label)
                if _hangul_share(desc) < 0.3 or not term_like(name):
                    break
                first = _split_body(desc)[0]
                if not _good_sentence(first) or _compact(name) in _compact(first):
                    break
                term = _Term(
                    name,
                    tuple(aliases),
                    label,
                    doc.metadata["source"],
                    doc.metadata.get("kind", "note"),
                    doc.metadata["section"],
                    f"{doc.metadata['source']}\x1f{doc.metadata['section']}\x1finline",
                    "label",
                    doc,
                    first,
                    "noun" if _noun_final(first) else "explain",
                    docs=[doc],
                )
                self._add(term)
                break

    def _bold_terms(self, term_like) -> None:
        """Bold words in a note's source lines: the chunker drops the markup, so read it from
        the note file itself (notes only; pages are already plain text)."""
        corpus_dir = self.settings.corpus_dir if self.settings else None
        if corpus_dir is None:
            return
        files: dict[str, list[str]] = {}
        for doc in self.store.docs:
            meta = doc.metadata
            if meta.get("kind") != "note" or not meta.get("start_line") or _skip(doc):
                continue
            source = meta["source"]
            if source not in files:
                path = corpus_dir / source
                try:
                    files[source] = path.read_text(encoding="utf-8").splitlines()
                except OSError:
                    files[source] = []
            lines = files[source][int(meta["start_line"]) - 1 : int(meta["end_line"])]
            for line in lines:
                for match in _BOLD.finditer(line):
                    name, aliases = split_label(match.group("a") or match.group("b"))
                    if not term_like(name) or not _contains(doc.page_content, name):
                        continue
                    term = _Term(
                        name,
                        tuple(aliases),
                        name,
                        source,
                        "note",
                        meta["section"],
                        f"{source}\x1f{meta['section']}\x1fbold",
                        "bold",
                        docs=[doc],
                    )
                    # "**서비스 메시**는 …이다." is the student marking a definition.
                    for sent in _sentences(doc):
                        rest = sent[len(name) :] if sent.startswith(name) else ""
                        if rest and _SUBJECT_PARTICLE.match(rest) and _good_sentence(sent):
                            term.doc, term.definition, term.form = doc, sent, "subject"
                            break
                    self._add(term)

    def _alias_groups(self) -> None:
        """``파드`` <-> ``Pod``: every spelling of a term, from all its headings and labels."""
        groups: dict[str, set[str]] = defaultdict(set)
        for term in self.terms:
            names = set(term.names)
            merged = set(names)
            for n in names:
                merged |= groups.get(_compact(n), set())
            for n in merged:
                groups[_compact(n)] = merged
        self.aliases = groups
        # Longest first, so "가상 머신" wins over "머신" when both are known terms.
        known: dict[str, str] = {}
        for term in self.terms:
            for n in term.names:
                if len(_compact(n)) >= 2:
                    known.setdefault(n, term.name)
        self.known = sorted(known.items(), key=lambda kv: len(kv[0]), reverse=True)
        self.bold = {_compact(t.name) for t in self.terms if t.origin == "bold"}

    def siblings_of_name(self, name: str) -> list[str]:
        """Names sharing a sibling group with any term called ``name`` (for grading)."""
        if not hasattr(self, "_groups_of"):
            # Groups in first-seen order (a dict, not a set): the same corpus must give the same
            # items in every process, whatever the string hash seed.
            groups: dict[str, dict[str, None]] = defaultdict(dict)
            members: dict[str, list[str]] = defaultdict(list)
            for t in self.terms:
                groups[_compact(t.name)][t.group] = None
                members[t.group].append(t.name)
            self._groups_of, self._members = groups, members
        key = _compact(name)
        out = [m for g in self._groups_of.get(key, ()) for m in self._members[g]]
        return [m for m in dict.fromkeys(out) if _compact(m) != key]

    def spellings(self, name: str) -> list[str]:
        group = self.aliases.get(_compact(name), {name})
        return [name, *sorted(g for g in group if _compact(g) != _compact(name))]

    def df(self, surface: str) -> int:
        key = surface.casefold()
        if key not in self._df:
            self._df[key] = sum(1 for text in self._lower if key in text)
        return self._df[key]

    # -- facts ---------------------------------------------------------------------------

    def facts(
        self, doc: Document, kinds: Sequence[str] = ("definition", "contrast", "cloze")
    ) -> list[_Fact]:
        """Facts of one chunk, computed once per kind (cloze costs a Kiwi pass per sentence;
        definitions and contrasts come from the term table built up front)."""
        cid = doc.metadata["chunk_id"]
        out: list[_Fact] = []
        with self.lock:
            for kind in kinds:
                key = f"{cid}\x1f{kind}"
                if key not in self._facts:
                    self._facts[key] = [] if _skip(doc) else self._facts_of(doc, kind)
                out.extend(self._facts[key])
        return out

    def _facts_of(self, doc: Document, kind: str) -> list[_Fact]:
        if kind == "contrast":
            return self._contrast_facts(doc)
        if kind == "cloze":
            return self._cloze_facts(doc)
        out: list[_Fact] = []
        for term in self._defined.get(doc.metadata["chunk_id"], []):
            fact = self._definition_fact(term)
            if fact:
                out.append(fact)
        return out

    def _siblings(self, term: _Term) -> list[_Term]:
        return [t for t in self.terms if t.group == term.group and t is not term]

    def _distractors(self, term: _Term, limit: int = 8) -> list[str]:
        """Siblings first (same section/topic), then the rest of the note/page, then the
        corpus; defined terms before undefined ones in each tier. Distinct, never the answer
        or a spelling of it."""
        same_source = [t for t in self.terms if t.source == term.source and t is not term]
        same_kind = [t for t in self.terms if t.kind == term.kind and t.source != term.source]
        tiers = [self._siblings(term), same_source, same_kind]
        ordered: list[str] = []
        taken = [*term.names]
        spellings = {_compact(x) for x in self.spellings(term.name)}
        for tier in tiers:
            for want_defined in (True, False):
                for t in tier:
                    if len(ordered) >= limit:
                        return ordered
                    if bool(t.definition) != want_defined:
                        continue
                    if any(_compact(a) in spellings for a in t.names):
                        continue
                    if any(_near_duplicate(t.name, x) for x in taken):
                        continue
                    ordered.append(t.name)
                    taken.append(t.name)
        return ordered

    def _definition_fact(self, term: _Term) -> _Fact | None:
        assert term.doc is not None
        prompt = _mask(term.definition, self.spellings(term.name) + list(term.aliases))
        if any(_contains(prompt, n) for n in term.names) or len(_compact(prompt)) < 8:
            return None
        if prompt.count(MASK) > 1:
            return None  # "○○는 ○○에서 설명된…": the sentence defines the term by itself
        siblings = [t.name for t in self._siblings(term)]
        explanation = f"{term.label}: {term.definition}"
        if term.origin != "label":
            # The section goes on after its definition; one more sentence teaches more.
            sents = _sentences(term.doc)
            at = sents.index(term.definition) if term.definition in sents else -1
            rest = [s for s in sents[at + 1 :] if _good_sentence(s)]
            if rest:
                explanation += (
                    "" if explanation.endswith((".", "!", "?")) else "."
                ) + f" {rest[0]}"
        distractors = self._distractors(term)
        sibling_names = {_compact(x) for x in siblings}
        n_sib = sum(1 for d in distractors if _compact(d) in sibling_names)
        return _Fact(
            "definition",
            term,
            term.name,
            self.spellings(term.name),
            term.doc,
            term.definition,
            prompt,
            term.section,
            explanation,
            distractors=distractors,
            confusables=siblings,
            n_siblings=n_sib,
        )

    def _contrast_facts(self, doc: Document) -> list[_Fact]:
        """Sibling sections sharing a word ("Type 1 하이퍼바이저" / "Type 2 하이퍼바이저"):
        ask which one a distinguishing sentence describes."""
        out: list[_Fact] = []
        for term in self._first_chunk.get(doc.metadata["chunk_id"], []):
            group = self._contrast_group(term)
            if len(group) < 2:
                continue
            others = [t for t in group if t is not term]
            other_text = " ".join(body_of(d) for t in others for d in t.docs[:2])
            other_tokens = set(_content_tokens(other_text))
            names = [n for t in group for n in t.names]
            best: tuple[int, str] | None = None
            for sent in _sentences(doc):
                if not _good_sentence(sent):
                    continue
                masked = _mask(sent, names)
                if any(_contains(masked, n) for n in names):
                    continue
                distinct = len(set(_content_tokens(sent)) - other_tokens)
                if distinct >= 3:
                    best = (distinct, sent)
                    break  # the earliest clearly distinctive sentence: usually the definition
                if distinct >= 2 and (best is None or distinct > best[0]):
                    best = (distinct, sent)
            if best is None:
                continue
            sent = best[1]
            lines = [f"• {t.label}: {t.definition or _first_sentence(t.docs)}" for t in group]
            out.append(
                _Fact(
                    "contrast",
                    term,
                    term.name,
                    self.spellings(term.name),
                    doc,
                    sent,
                    _mask(sent, names),
                    term.section,
                    "\n".join(lines),
                    distractors=[t.name for t in others],
                    confusables=[t.name for t in others],
                    group=[t.name for t in group],
                )
            )
        return out

    def _contrast_group(self, term: _Term) -> list[_Term]:
        siblings = [t for t in self.terms if t.group == term.group and t.origin == "heading"]
        words = {w for w in _compact_words(term.name) if w not in _GENERIC_WORDS}
        if not term.section.count(SEP) and term.docs:
            # Top-level sections of a page all share its subject ("인그레스 리소스",
            # "인그레스 클래스", …); that word makes them a table of contents, not a contrast.
            words -= _compact_words(term.docs[0].metadata.get("title", ""))
        best: list[_Term] = []
        for word in sorted(words):
            members = [t for t in siblings if word in _compact_words(t.name)]
            members = [t for t in members if _first_sentence(t.docs)]
            if 2 <= len(members) <= 4 and len(members) > len(best):
                best = members
        return best

    def _cloze_facts(self, doc: Document, per_chunk: int = 2) -> list[_Fact]:
        scored: list[tuple[float, int, _Fact]] = []
        sentences = _sentences(doc)
        section = doc.metadata.get("section", "")
        context = section.split(SEP)[-1] if section else doc.metadata.get("title", "")
        for i, sent in enumerate(sentences):
            if not _good_sentence(sent) or not _content_tokens(sent):
                continue
            blank = self._blank(sent, context)
            if blank is None:
                continue
            surface, canonical, score = blank
            prompt = re.sub(re.escape(surface), BLANK, sent, flags=re.IGNORECASE)
            if _contains(prompt, surface):
                continue
            s_score = score + (1.0 if i == 0 else 0.0) - (1.5 if _WEAK_START.match(sent) else 0.0)
            accepted = list(dict.fromkeys([surface, *self.spellings(canonical)]))
            scored.append(
                (
                    s_score,
                    -i,
                    _Fact(
                        "cloze",
                        None,
                        surface,
                        accepted,
                        doc,
                        sent,
                        prompt,
                        section,
                        sent,
                        confusables=self.siblings_of_name(canonical),
                    ),
                )
            )
        scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
        return [f for _, _, f in scored[:per_chunk]]

    def _blank(self, sentence: str, context: str) -> tuple[str, str, float] | None:
        """The key term to blank: a known term (heading/label/bold) or a rare noun.
        Returns (surface in the sentence, canonical answer, score)."""
        n_docs = max(1, len(self.store.docs))
        low = sentence.casefold()
        best: tuple[float, str, str] | None = None
        known_spans: list[tuple[int, int]] = []
        for surface, canonical in self.known:
            pos = low.find(surface.casefold())
            if pos < 0 or not _word_at(low, pos, len(surface)):
                continue
            if any(a <= pos < b for a, b in known_spans):
                continue  # part of a longer known term already found
            known_spans.append((pos, pos + len(surface)))
            if _contains(context, surface) or _compact(surface) in _CLOZE_STOP:
                continue
            # Headings and labels are what the student chose to learn: they beat rare nouns.
            score = 10.0 + math.log((n_docs + 1) / (self.df(surface) + 1))
            if _compact(surface) in self.bold:
                score += 2.0
            if best is None or score > best[0]:
                best = (score, sentence[pos : pos + len(surface)], canonical)
        for surface in _noun_runs(sentence):
            pos = low.find(surface.casefold())
            if any(a <= pos < b for a, b in known_spans) or _in_identifier(sentence, surface):
                continue
            key = _compact(surface)
            # Two-syllable nouns are as often "나중"/"순서" as "격리"; only known terms or
            # longer nouns are worth a blank.
            if (
                len(key) < 3
                or key in _CLOZE_STOP
                or key in KOREAN_STOPWORDS
                or key in ENGLISH_STOPWORDS
                or key.isdigit()
                or _contains(context, surface)
            ):
                continue
            idf = math.log((n_docs + 1) / (self.df(surface) + 1))
            if idf < 1.0:
                continue  # too common to be the point of the sentence
            score = idf + 0.05 * len(key)
            if best is None or score > best[0]:
                best = (score, surface, surface)
        if best is None:
            return None
        return best[1], best[2], best[0]


_GENERIC_WORDS = frozenset({"의", "및", "와", "과", "the", "a", "of"})


def _in_identifier(sentence: str, surface: str) -> bool:
    """``connection`` inside ``aws-load-balancer-connection-draining``, ``x`` in ``.spec.x``."""
    pos = sentence.find(surface)
    if pos < 0:
        return False
    before = sentence[pos - 1] if pos > 0 else " "
    end = pos + len(surface)
    after = sentence[end] if end < len(sentence) else " "
    return (
        before in "-._/"
        or after in "-_/"
        or (after == "." and end + 1 < len(sentence) and sentence[end + 1].isalnum())
    )


def _word_at(text: str, pos: int, length: int) -> bool:
    """A whole word starts at ``pos``: "Pod" in "Pod를" yes, in "PodTemplateSpec" no.
    Korean particles may follow a Hangul word; a Latin word must end at a non-letter."""
    if pos > 0 and text[pos - 1].isalnum():
        return False
    end = pos + length
    if end >= len(text) or not _LATIN.match(text[end - 1]):
        return True
    return not (text[end].isascii() and text[end].isalnum())


def _compact_words(name: str) -> set[str]:
    return {_compact(w) for w in re.split(r"[\s()]+", name) if len(_compact(w)) >= 2}


def _first_sentence(docs: Sequence[Document]) -> str:
    for doc in docs[:1]:
        for sent in _sentences(doc):
            if _good_sentence(sent):
                return sent
    return ""


def _content_tokens(text: str) -> list[str]:
    return [
        f.lower()
        for f, t in _morphs(text)
        if t in {"NNG", "NNP", "SL", "VV", "VA", "XR"}
        and len(f) > 1
        and f.lower() not in ENGLISH_STOPWORDS
        and f not in KOREAN_STOPWORDS
    ]


def _noun_runs(sentence: str) -> list[str]:
    """Contiguous noun morphemes as they are written: Kiwi splits unknown loanwords
    ("파드" -> 파 + 드, "레플리카" -> 레플리 + 카), so adjacent noun pieces are rejoined. A run
    glued to a derivational suffix ("안정" + 적, "컨테이너" + 화) is no standalone noun."""
    runs: list[str] = []
    cursor = 0
    start = end = -1
    for form, tag in _morphs(sentence):
        pos = sentence.find(form, cursor)
        if pos < 0:
            continue  # a contracted ending; it never belongs to a noun
        cursor = pos + len(form)
        if tag in _NOUN_TAGS:
            if start >= 0 and pos == end:
                end = cursor
            else:
                if start >= 0:
                    runs.append(sentence[start:end])
                start, end = pos, cursor
            continue
        if start >= 0:
            if not (pos == end and tag in {"XSN", "XSV", "XSA"}):
                runs.append(sentence[start:end])
            start = end = -1
    if start >= 0:
        runs.append(sentence[start:end])
    return runs


_CACHE: dict[int, tuple[weakref.ref, str, _Corpus]] = {}
_CACHE_LOCK = threading.Lock()


def _corpus(store: ChunkStore, settings: Settings | None) -> _Corpus:
    """One analysis per store object (the app keeps its store; a re-index makes a new one)."""
    key = id(store)
    tag = str(settings.corpus_dir) if settings else ""
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit and hit[0]() is store and hit[1] == tag:
            return hit[2]
        for k in [k for k, v in _CACHE.items() if v[0]() is None]:
            del _CACHE[k]
        corpus = _Corpus(store, settings)
        _CACHE[key] = (weakref.ref(store), tag, corpus)
        return corpus


# ------------------------------------------------------------------------ item making


def _item_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _citation(doc: Document, snippet: str) -> dict[str, Any]:
    cit = citation_for(doc, 1, snippet)
    return {**cit.to_dict(), "location": cit.location}


def _context(fact: _Fact) -> str:
    """``[쿠버네티스 구성 요소]``: where the fact lives, unless that gives the answer away."""
    parts = [p for p in fact.topic.split(SEP) if p]
    if fact.term is not None and parts and any(_contains(parts[-1], n) for n in fact.accepted):
        parts = parts[:-1]
    parts = [p for p in parts if split_label(p)[0] not in _GENERIC_HEADINGS]
    # A page title says where a reference fact comes from; a note's title is often a
    # template name ("TIL Template") and says nothing.
    fallback = (
        fact.doc.metadata.get("title", "") if fact.doc.metadata.get("kind") == "reference" else ""
    )
    ctx = parts[-1] if parts else fallback
    if not ctx or any(_contains(ctx, n) for n in fact.accepted):
        return ""
    return f"[{ctx}] "


def _items_for(fact: _Fact, types: Sequence[str], seed: str) -> list[QuizItem]:
    rng = random.Random(f"{seed}\x1f{fact.doc.metadata['chunk_id']}\x1f{fact.answer}")
    cid = fact.doc.metadata["chunk_id"]
    cit = _citation(fact.doc, fact.sentence)
    base = dict(
        explanation=fact.explanation,
        citation=cit,
        chunk_id=cid,
        topic=fact.topic,
        generator=fact.generator,
        term=fact.answer,
        confusables=[c for c in fact.confusables if not _near_duplicate(c, fact.answer)],
    )
    ctx = _context(fact)
    out: list[QuizItem] = []

    def make(tag: str, kind: str, question: str, **fields: Any) -> QuizItem:
        """An item asking for ``fact.answer``; ``fields`` add to or override ``base``."""
        return QuizItem(
            _item_id(tag, cid, fact.prompt, fact.answer),
            kind,
            question,
            fact.answer,
            accepted=fact.accepted,
            **{**base, **fields},
        )

    if fact.generator == "cloze":
        if "cloze" in types:
            q = f"빈칸에 들어갈 말은? {ctx}".rstrip() + f"\n{fact.prompt}"
            out.append(make("cloze", "cloze", q))
        return out
    if fact.generator == "contrast":
        if "mc" in types:
            group = (
                fact.group
                if len(fact.group) <= 4
                else [fact.answer, *rng.sample([g for g in fact.group if g != fact.answer], 3)]
            )
            choices = list(group)
            rng.shuffle(choices)
            names = group if len(group) > 2 else [josa(group[0], "과/와"), group[1]]
            q = (
                f"{' '.join(names) if len(group) == 2 else ', '.join(names)} 중 다음 설명에 "
                f"해당하는 것은?\n“{fact.prompt}”"
            )
            out.append(make("contrast", "mc", q, choices=choices))
        return out
    # definition
    noun = "용어" if fact.term and fact.term.form != "explain" else "것"
    if "mc" in types and len(fact.distractors) >= 3:
        # Siblings are the instructive distractors ("which of these parts is it?"): use only
        # them when there are enough, else all of them plus the nearest of the next tier.
        sib, rest = fact.distractors[: fact.n_siblings], fact.distractors[fact.n_siblings :]
        picks = (
            rng.sample(sib, 3)
            if len(sib) >= 3
            else sib + rng.sample(rest[: max(3, 3 - len(sib) + 2)], 3 - len(sib))
        )
        choices = [fact.answer, *picks]
        rng.shuffle(choices)
        q = f"{ctx}다음 설명에 해당하는 {josa(noun, '은/는')}?\n“{fact.prompt}”"
        confusables = list(dict.fromkeys([*base["confusables"], *picks]))
        out.append(make("definition-mc", "mc", q, choices=choices, confusables=confusables))
    if "short" in types:
        q = f"{ctx}다음 설명에 해당하는 {josa(noun, '을/를')} 쓰세요.\n“{fact.prompt}”"
        out.append(make("definition-short", "short", q))
    if "tf" in types:
        out.append(_true_false(fact, rng, base))
    return out


def _true_false(fact: _Fact, rng: random.Random, base: dict[str, Any]) -> QuizItem:
    """True: the definition as written. False: the same definition given to a sibling term
    (so the student must know which concept it belongs to, not just that it sounds right)."""
    assert fact.term is not None
    term = fact.term
    # Only a sibling makes an instructive false statement (two parts of one topic); a term
    # without siblings is asked as a true statement.
    siblings = [d for d in fact.distractors[: fact.n_siblings] if d not in term.names]
    truth = not siblings or rng.random() < 0.5
    shown = fact.answer if truth else rng.choice(siblings[:3])
    sentence = fact.sentence
    statement = ""
    if term.form == "subject":
        for name in term.names:
            if sentence.startswith(name):
                rest = sentence[len(name) :]
                particle = _SUBJECT_PARTICLE.match(rest)
                if particle:
                    tail = rest[particle.end(1) :]
                    pair = {"은": "은/는", "는": "은/는", "이란": "이란/란", "란": "이란/란"}.get(
                        particle.group(1)
                    )
                    statement = (josa(shown, pair) if pair else shown + particle.group(1)) + tail
                break
    if not statement and term.form == "noun":
        statement = f"{josa(shown, '은/는')} ‘{_mask(sentence, term.names)}’이다."
    if not statement:
        statement = f"다음은 ‘{shown}’에 대한 설명이다. — {_mask(sentence, term.names)}"
    q = f"참/거짓: {statement}"
    answer = "참" if truth else "거짓"
    if truth:
        why = f"참입니다. {term.label}: {sentence}"
    else:
        why = (
            f"거짓입니다. 이 설명은 {josa(shown, '이/가')} 아니라 {term.name}에 대한 것입니다. "
            f"{term.label}: {sentence}"
        )
    cid = fact.doc.metadata["chunk_id"]
    return QuizItem(
        _item_id("tf", cid, statement, answer),
        "tf",
        q,
        answer,
        choices=list(TF_CHOICES),
        accepted=[answer],
        **{**base, "generator": "truefalse", "explanation": why, "confusables": []},
    )


# ------------------------------------------------------------------ topic selection


def select_chunks(store: ChunkStore, topic: str = "") -> tuple[list[Document], str]:
    """Chunks a topic names, and how it matched (``all``, ``date``, ``section``, ``source``,
    ``keyword``, ``none``).

    ``topic`` may be a date or a range (``2025-02-01..2025-02-28``, ``2025-02``), a section
    (substring of the heading breadcrumb), a note or page (source path / URL / title), or a
    keyword found in the text; ``section:``, ``source:``, ``date:``, ``keyword:`` prefixes force
    one reading.
    """
    docs = [d for d in store.docs if not _skip(d)]
    topic = normalize(topic or "").strip()
    if not topic:
        return docs, "all"
    kind, _, rest = topic.partition(":")
    forced = (
        kind.strip().lower()
        if rest and kind.strip().lower() in {"section", "source", "note", "date", "keyword", "kw"}
        else ""
    )
    text = rest.strip() if forced else topic
    if forced in ("", "date"):
        rng = _DATE_RANGE.match(text)
        one = _ONE_DATE.match(text)
        if rng or one:
            lo, hi = (rng.group(1), rng.group(2)) if rng else (one.group(1), one.group(1))
            hi = hi + "\uffff"  # a month "2025-02" includes every day in it
            return [d for d in docs if lo <= (d.metadata.get("date") or "") <= hi], "date"
    needle = text.casefold()
    if forced in ("", "section"):
        found = [d for d in docs if needle in d.metadata.get("section", "").casefold()]
        if not forced:
            # A page title picked from list_topics() ("서비스") means that page too, not only
            # the sections whose heading happens to contain the word.
            titled = [d for d in docs if d.metadata.get("title", "").casefold() == needle]
            if titled:
                ids = {d.metadata["chunk_id"] for d in titled}
                found = [d for d in docs if d.metadata["chunk_id"] in ids or d in found]
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
    compact = _compact(text)
    found = [
        d
        for d in docs
        if needle in d.page_content.casefold() or (compact and compact in _compact(d.page_content))
    ]
    return found, "keyword" if found else "none"


def list_topics(store: ChunkStore) -> list[str]:
    """Choices for a topic dropdown: the notes' headings and sub-headings that hold facts to
    test (in note order), then each reference page's title. Every entry works as ``topic``."""
    seen: dict[str, None] = {}
    pages: dict[str, None] = {}
    for doc in store.docs:
        if _skip(doc) or not any(_good_sentence(s) for s in _sentences(doc)):
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


# ---------------------------------------------------------------------- generation


def _check_types(types: Sequence[str] | str | None) -> list[str]:
    if not types:
        return list(TYPES)
    if isinstance(types, str):
        types = types.split(",")
    clean = [t.strip().lower() for t in types if t and t.strip()]
    bad = [t for t in clean if t not in TYPES]
    if bad:
        raise ValueError(f"unknown quiz type(s) {bad}; use {', '.join(TYPES)}")
    return list(dict.fromkeys(clean)) or list(TYPES)


def candidate_items(
    store: ChunkStore,
    settings: Settings | None = None,
    topic: str = "",
    types: Sequence[str] | None = None,
    seed: int | str | None = 0,
) -> list[QuizItem]:
    """Every rule-based item the material supports (all types, all generators), in corpus
    order; the pool :func:`generate_quiz` samples from. Deterministic for a given seed."""
    docs, _ = select_chunks(store, topic)
    return _candidates(_corpus(store, settings), docs, _check_types(types), str(seed))


def _candidates(
    corpus: _Corpus, docs: list[Document], types: list[str], seed: str, enough: int | None = None
) -> list[QuizItem]:
    """Items from ``docs`` in order; with ``enough``, stop once that many distinct facts are
    found (a 10-item quiz over 500 chunks need not analyse all of them: Kiwi is the cost)."""
    items: list[QuizItem] = []
    for doc in docs:
        for fact in corpus.facts(doc, ("definition", "contrast")):
            items.extend(_items_for(fact, types, seed))
    if "cloze" not in types:
        return items
    found = 0
    for doc in docs:
        for fact in corpus.facts(doc, ("cloze",)):
            items.extend(_items_for(fact, types, seed))
            found += 1
        if enough is not None and found >= enough:
            break
    return items


NOTE_WEIGHT = 3.0


def _is_note(item: QuizItem) -> bool:
    return (item.citation or {}).get("kind") == "note"


def _pick(
    items: list[QuizItem], n: int, rng: random.Random, taken: Iterable[QuizItem] = ()
) -> list[QuizItem]:
    """Up to ``n`` items, one per fact, spread over generators, chunks and terms."""
    seen_facts = {i.fact_key for i in taken}
    seen_q = {_compact(i.question) for i in taken}
    by_fact: dict[tuple[str, str], list[QuizItem]] = {}
    for item in items:
        if item.fact_key in seen_facts or _compact(item.question) in seen_q:
            continue
        by_fact.setdefault(item.fact_key, []).append(item)
    pool = [rng.choice(group) for group in by_fact.values()]
    buckets: dict[str, list[QuizItem]] = defaultdict(list)
    for item in pool:
        buckets[item.generator].append(item)
    for gen, bucket in buckets.items():
        # Weighted shuffle (key u^(1/w)): the student's own notes come up three times as often
        # as the (much longer) reference pages they link to.
        keys = {id(i): rng.random() ** (1 / (NOTE_WEIGHT if _is_note(i) else 1.0)) for i in bucket}
        buckets[gen] = sorted(bucket, key=lambda i: keys[id(i)], reverse=True)
    order = sorted(buckets)
    rng.shuffle(order)
    chosen: list[QuizItem] = []
    used_chunks = {i.chunk_id for i in taken}
    used_terms = {_compact(i.term) for i in taken}
    # First pass: a new chunk and a new concept every time; then relax to one item per fact.
    for strict in (True, False):
        progress = True
        while len(chosen) < n and progress:
            progress = False
            for gen in order:
                bucket = buckets[gen]
                for idx, item in enumerate(bucket):
                    if strict and (
                        item.chunk_id in used_chunks or _compact(item.term) in used_terms
                    ):
                        continue
                    chosen.append(bucket.pop(idx))
                    used_chunks.add(item.chunk_id)
                    used_terms.add(_compact(item.term))
                    progress = True
                    break
                if len(chosen) >= n:
                    break
    return chosen


def generate_quiz(
    store: ChunkStore,
    settings: Settings,
    topic: str = "",
    n: int = 5,
    types: list[str] | None = None,
    seed: int | None = None,
    *,
    llm: BaseChatModel | None = None,
    review: ReviewStore | None = None,
    include_due: bool = True,
    now: datetime | None = None,
) -> QuizResult:
    """A quiz of up to ``n`` items on ``topic`` (see :func:`select_chunks`): items due for
    review first, then new ones. ``llm`` (or ``settings.llm``) switches to LLM-written items;
    ``seed`` makes the quiz reproducible."""
    types = _check_types(types)
    n = max(1, int(n))
    rng = random.Random(seed)
    seed_tag = str(seed if seed is not None else rng.random())
    docs, how = select_chunks(store, topic)
    if not docs:
        what = (
            f"주제 ‘{topic}’에 해당하는 노트를 찾지 못했습니다"
            if topic
            else "색인에 노트가 없습니다"
        )
        eng = f"nothing in the notes matches topic '{topic}'" if topic else "the index is empty"
        return QuizResult([], f"{what}. ({eng})")
    ids = {d.metadata["chunk_id"] for d in docs}
    corpus = _corpus(store, settings)

    due: list[QuizItem] = []
    if include_due:
        reviews = review
        if reviews is None and settings.review_db and settings.review_db.exists():
            reviews = ReviewStore(settings.review_db)
        if reviews is not None:
            due = [i for i in reviews.due(now) if i.chunk_id in ids and i.type in types][:n]

    notes: list[str] = []
    fresh: list[QuizItem] = []
    model = llm
    if model is None and settings.llm and settings.llm != "none":
        from rag.llm import get_chat_model

        try:
            model = get_chat_model(settings)
        except Exception as exc:  # noqa: BLE001 - a broken LLM setting must not block quizzes
            notes.append(
                f"LLM을 쓸 수 없어 규칙 기반으로 만들었습니다 (LLM unavailable, rule-based: {exc})."
            )
            model = None
    if model is not None and len(due) < n:
        fresh, llm_note = _llm_items(model, corpus, docs, n - len(due), types, rng, due)
        if llm_note:
            notes.append(llm_note)
    if len(due) + len(fresh) < n:
        # Chunks in a seeded random order, analysed until there is a comfortable choice.
        order = list(docs)
        rng.shuffle(order)
        want = n - len(due) - len(fresh)
        pool = _candidates(corpus, order, types, seed_tag, enough=max(3 * want, 15))
        fresh += _pick(pool, want, rng, taken=[*due, *fresh])
    items = [*due, *fresh]

    scope = {"all": "전체 노트", "none": topic}.get(how, f"‘{topic}’")
    eng_scope = {"all": "all notes"}.get(how, f"'{topic}'")
    if not items:
        msg = (
            f"{scope}에서 문항으로 만들 만한 사실을 찾지 못했습니다 "
            f"(no quiz-worthy facts found in {eng_scope})."
        )
    elif len(items) < n:
        msg = (
            f"요청한 {n}문항 중 {len(items)}문항만 만들었습니다: {scope}의 자료에 서로 다른 "
            f"사실이 그만큼뿐입니다. (Only {len(items)} of {n} items: the material in "
            f"{eng_scope} has fewer distinct facts.)"
        )
    else:
        msg = f"{scope}에서 {len(items)}문항을 만들었습니다. ({len(items)} items from {eng_scope}.)"
    if due:
        msg += f" 복습할 문항 {len(due)}개를 먼저 넣었습니다. ({len(due)} due for review first.)"
    if notes:
        msg += " " + " ".join(notes)
    return QuizResult(items, msg, due=len(due))


def is_supported(item: QuizItem, store: ChunkStore) -> bool:
    """The mechanical check: the cited chunk exists and its text contains the answer (for a
    true/false item, the term the statement is really about)."""
    doc = store.by_id.get(item.chunk_id)
    if doc is None:
        return False
    needle = item.term if item.type == "tf" else item.answer
    if not needle:
        return False
    text = doc.page_content
    # "유저 스페이스(User space) 프록시 모드" names "유저 스페이스 프록시 모드".
    return _contains(text, needle) or _contains(re.sub(r"\([^()]*\)", "", text), needle)


# --------------------------------------------------------------------------- grading


def _strip_particles(text: str) -> str:
    """``파드는`` -> ``파드``, ``Pod입니다`` -> ``pod``: drop trailing particles, copula and
    endings (Kiwi J*/E*/VCP tags), keeping the written form of what remains."""
    if not text:
        return text
    tokens = list(_morphs(text))
    while tokens and (tokens[-1][1].startswith(("J", "E")) or tokens[-1][1] in {"VCP", "SF"}):
        tokens.pop()
    kept = "".join(f for f, _ in tokens).casefold()
    return kept if kept and text.startswith(kept) else text


def _forms(text: str) -> set[str]:
    compact = _compact(text)
    return {f for f in (compact, _strip_particles(compact)) if f}


def _choice_index(item: QuizItem, given: str) -> int | None:
    raw = normalize(given).strip().strip(".)]").strip().casefold()
    if item.type == "tf":
        yes = {"참", "o", "true", "t", "yes", "y", "맞다", "맞음", "맞아", "그렇다", "1", "ㅇ"}
        no = {"거짓", "x", "false", "f", "no", "n", "틀리다", "틀림", "아니다", "아님", "2"}
        if raw in yes or _compact(raw) in yes:
            return 0
        if raw in no or _compact(raw) in no:
            return 1
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= len(item.choices):
        return int(raw) - 1
    marks = "①②③④⑤"
    if len(raw) == 1 and raw in marks[: len(item.choices)]:
        return marks.index(raw)
    if len(raw) == 1 and "a" <= raw <= "z" and ord(raw) - ord("a") < len(item.choices):
        return ord(raw) - ord("a")
    given_forms = _forms(given)
    for idx, choice in enumerate(item.choices):
        spellings = [choice, *(item.accepted if choice == item.answer else [])]
        if any(given_forms & _forms(s) for s in spellings):
            return idx
    return None


def _source_line(item: QuizItem) -> str:
    cit = item.citation or {}
    where = location_of(cit)
    section = cit.get("section") or item.topic
    snippet = (cit.get("snippet") or "").strip()
    if len(snippet) > 160:
        snippet = snippet[:157] + "…"
    place = " · ".join(x for x in (where, section) if x)
    return f"근거: “{snippet}” — {place}" if snippet else f"근거: {place}"


def grade(item: QuizItem, answer: str) -> Grade:
    """Grade one answer. Multiple choice and true/false: the choice's number, letter or text.
    Short answer and cloze: spacing, case, particles (조사), Hangul/English spellings
    (``파드``/``Pod``) and small typos are forgiven; a sibling term is always wrong."""
    given = normalize(answer or "")
    expected = item.answer
    shown = expected
    alts = [a for a in item.accepted if _compact(a) != _compact(expected)]
    if alts:
        shown = f"{expected} ({', '.join(alts)})"
    correct, score, note = False, 0.0, ""
    if not given.strip():
        note = "답을 입력하지 않았습니다."
    elif item.type in ("mc", "tf") and item.choices:
        idx = _choice_index(item, given)
        correct = idx is not None and item.choices[idx] == expected
        score = 1.0 if correct else 0.0
        if idx is not None and not correct:
            note = f"고른 답: {item.choices[idx]}."
        elif idx is None:
            note = (
                "참/거짓(또는 O/X, 1/2)으로 답하세요."
                if item.type == "tf"
                else f"보기 번호(1–{len(item.choices)})나 보기의 말로 답하세요."
            )
    else:
        correct, score, note = _grade_text(item, given)
    if correct:
        head = "정답입니다!" if score >= 1.0 else f"정답으로 인정합니다 (정확한 표기: {expected})."
    else:
        head = f"틀렸습니다. 정답: {shown}."
    parts = [head]
    if note:
        parts.append(note)
    if item.explanation:
        parts.append(f"설명: {item.explanation}")
    parts.append(_source_line(item))
    return Grade(correct, score, "\n".join(parts), expected)


def _grade_text(item: QuizItem, given: str) -> tuple[bool, float, str]:
    given_forms = _forms(given)
    accepted = list(dict.fromkeys([item.answer, *item.accepted]))
    for spelling in accepted:
        if given_forms & _forms(spelling):
            return True, 1.0, ""
    confusables = [
        c for c in item.confusables if not any(_compact(c) == _compact(a) for a in accepted)
    ]
    for other in confusables:
        if given_forms & _forms(other):
            return (
                False,
                0.0,
                f"‘{given.strip()}’{'은' if _has_batchim(given.strip()) else '는'} "
                f"이 설명과 다른 개념입니다.",
            )

    def best(names: list[str]) -> float:
        return max(
            (
                difflib.SequenceMatcher(None, _jamo(g), _jamo(f)).ratio()
                for g in given_forms
                for n in names
                for f in _forms(n)
            ),
            default=0.0,
        )

    target = max(len(_compact(a)) for a in accepted)
    if target >= MIN_TYPO_CHARS:
        near = best(accepted)
        digits_ok = any(
            _DIGITS.findall(_compact(given)) == _DIGITS.findall(_compact(a)) for a in accepted
        )
        if near >= TYPO_RATIO and digits_ok and near > best(confusables):
            return True, 0.9, f"철자가 조금 다릅니다 (입력: {given.strip()})."
    return False, 0.0, ""


# ----------------------------------------------------------------------------- LLM


def _llm_schema():
    from pydantic import BaseModel, Field

    class LLMQuizItem(BaseModel):
        type: str = Field(description="mc | short | cloze | tf")
        question: str = Field(description="한국어 문제. cloze는 빈칸을 ____ 로 표시")
        choices: list[str] = Field(
            default_factory=list, description="mc: 보기 4개, tf: ['참', '거짓'], 그 외: []"
        )
        answer: str = Field(description="정답 (mc/tf는 choices 중 하나와 똑같이)")
        explanation: str = Field(default="", description="자료에 근거한 짧은 해설")
        key_term: str = Field(
            default="", description="문항이 묻는 핵심 용어 (자료에 그대로 있는 말)"
        )

    class LLMQuiz(BaseModel):
        items: list[LLMQuizItem] = Field(default_factory=list)

    return LLMQuiz


_LLM_SYSTEM = (
    "당신은 학생의 TIL(Today I Learned) 노트로 복습 퀴즈를 만드는 출제자입니다. "
    "주어진 자료에 명시된 사실만으로 문항을 만드세요. 자료에 없는 내용은 절대 쓰지 마세요."
)
_LLM_HUMAN = (
    '자료 (주제: {topic}):\n"""\n{text}\n"""\n\n'
    "위 자료로 문항 {k}개를 만드세요. 허용 유형: {types}.\n"
    "- mc: 보기 4개, 정답은 보기 중 하나와 글자까지 같게.\n"
    '- tf: choices는 ["참", "거짓"], answer는 둘 중 하나.\n'
    "- cloze: question에 빈칸 ____ 하나, answer는 빈칸에 들어갈 자료 속 단어.\n"
    "- short: 답이 한두 단어인 질문.\n"
    "- key_term: 문항이 묻는 핵심 용어, 자료에 쓰인 그대로.\n"
    "{format_instructions}"
)


def _llm_chain(model: BaseChatModel) -> Runnable:
    """Native structured output when the model has it (tool calling / JSON mode); otherwise
    JSON text parsed by a PydanticOutputParser (small local models, fake models)."""
    from langchain_core.output_parsers import PydanticOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    schema = _llm_schema()
    prompt = ChatPromptTemplate.from_messages([("system", _LLM_SYSTEM), ("human", _LLM_HUMAN)])
    try:
        structured = model.with_structured_output(schema)
    except (NotImplementedError, AttributeError, ValueError):
        parser = PydanticOutputParser(pydantic_object=schema)
        return prompt.partial(format_instructions=parser.get_format_instructions()) | model | parser
    return prompt.partial(format_instructions="") | structured


_BLANK_MARK = re.compile(r"_{2,}|\(\s*\)|\[\s*빈칸\s*\]|○○|□+")


def _validate_llm_item(
    raw: Any, doc: Document, types: list[str], corpus: _Corpus
) -> QuizItem | None:
    """Keep an LLM item only if it is well-formed and grounded: the answer (or, for true/false,
    the key term) appears in the source text; MC answers are among distinct choices."""
    data = raw.model_dump() if hasattr(raw, "model_dump") else dict(raw)
    kind = str(data.get("type", "")).strip().lower()
    kind = {
        "multiple_choice": "mc",
        "multiple-choice": "mc",
        "short_answer": "short",
        "true_false": "tf",
        "truefalse": "tf",
        "ox": "tf",
    }.get(kind, kind)
    question = normalize(str(data.get("question", "")))
    answer = normalize(str(data.get("answer", "")))
    key = normalize(str(data.get("key_term", "")))
    choices = [normalize(str(c)) for c in data.get("choices") or [] if str(c).strip()]
    # The heading breadcrumb counts as source: a note defines "파드" by its heading.
    text = doc.page_content
    body = body_of(doc)
    if kind not in types or not question or not answer or len(question) > 500:
        return None
    if kind == "tf":
        yes = {"참", "true", "o", "t", "맞다"}
        no = {"거짓", "false", "x", "f", "틀리다"}
        low = answer.casefold()
        answer = "참" if low in yes else "거짓" if low in no else ""
        if not answer or not key or not _contains(text, key):
            return None
        choices = list(TF_CHOICES)
        term = key
    else:
        if not _contains(text, answer):
            return None
        term = answer
    if kind == "mc":
        if len(choices) == 4 and answer not in choices and answer.isdigit():
            answer = choices[int(answer) - 1] if 1 <= int(answer) <= 4 else answer
        distinct = {_compact(c) for c in choices}
        if not 3 <= len(choices) <= 5 or len(distinct) != len(choices) or answer not in choices:
            return None
        if any(_near_duplicate(c, answer) for c in choices if c != answer):
            return None
    if kind == "cloze":
        if not _BLANK_MARK.search(question) or _contains(_BLANK_MARK.sub("", question), answer):
            return None
        question = _BLANK_MARK.sub(BLANK, question, count=1)
    if kind in ("short", "cloze"):
        choices = []
    snippet = next((s for s in _sentences(doc) if _contains(s, term)), body[:300])
    cid = doc.metadata["chunk_id"]
    return QuizItem(
        _item_id("llm", kind, cid, question, answer),
        kind,
        question,
        answer,
        choices=choices,
        accepted=corpus.spellings(answer) if kind not in ("mc", "tf") else [answer],
        explanation=normalize(str(data.get("explanation", ""))) or snippet,
        citation=_citation(doc, snippet),
        chunk_id=cid,
        topic=doc.metadata.get("section", ""),
        generator="llm",
        term=term,
    )


def _llm_items(
    model: BaseChatModel,
    corpus: _Corpus,
    docs: list[Document],
    n: int,
    types: list[str],
    rng: random.Random,
    taken: list[QuizItem],
) -> tuple[list[QuizItem], str]:
    chain = _llm_chain(model)
    prose = [d for d in docs if sum(1 for s in _sentences(d) if _good_sentence(s)) >= 1]
    rng.shuffle(prose)
    items: list[QuizItem] = []
    calls = failures = dropped = 0
    for doc in prose[: max(3, 2 * n)]:
        if len(items) >= n:
            break
        calls += 1
        k = min(3, n - len(items))
        try:
            out = chain.invoke(
                {
                    "topic": doc.metadata.get("section", ""),
                    "text": body_of(doc),
                    "k": k,
                    "types": ", ".join(types),
                }
            )
        except Exception:  # noqa: BLE001 - any model/parse failure means "unusable output"
            failures += 1
            continue
        raw_items = getattr(out, "items", None)
        if raw_items is None and isinstance(out, dict):
            raw_items = out.get("items", [])
        for raw in raw_items or []:
            item = _validate_llm_item(raw, doc, types, corpus)
            if item is None:
                dropped += 1
                continue
            picked = _pick([item], 1, rng, taken=[*taken, *items])
            items.extend(picked[:1])
            if len(items) >= n:
                break
    note = ""
    if len(items) < n:
        note = (
            f"LLM 문항 {len(items)}개 (검증 탈락 {dropped}, 실패한 호출 {failures}/{calls}); "
            f"나머지는 규칙 기반으로 채웠습니다. (LLM wrote {len(items)} valid items; "
            f"the rest are rule-based.)"
        )
    return items, note


# ------------------------------------------------------------------------------ CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topic", default="", help="section, note, date range or keyword")
    parser.add_argument("--n", type=int, default=5, help="number of items (default 5)")
    parser.add_argument(
        "--type",
        action="append",
        dest="types",
        choices=list(TYPES),
        help="item type; repeat for several (default: all)",
    )
    parser.add_argument("--seed", type=int, help="same seed, same quiz")
    parser.add_argument("--json", action="store_true", help='print {"items": [...], "message"}')
    parser.add_argument("--export-apkg", metavar="PATH", help="also write an Anki deck")
    parser.add_argument("--export-csv", metavar="PATH", help="also write a CSV sheet")
    parser.add_argument("--index", help="index folder (TIL_INDEX_DIR)")
    parser.add_argument(
        "--no-review",
        action="store_true",
        help="neither ask due review items nor schedule missed ones",
    )


def main(args: argparse.Namespace) -> int:
    """``python -m rag quiz``: print JSON, or run the quiz in the terminal (stdin may be a pipe;
    end of input ends the quiz and still prints the score)."""
    from rag.config import load_settings
    from rag.index.store import IndexMissingError, load_chunk_store

    try:
        settings = load_settings(index_dir=getattr(args, "index", None))
        store = load_chunk_store(settings)
    except (IndexMissingError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = generate_quiz(
            store,
            settings,
            topic=args.topic or "",
            n=args.n,
            types=args.types,
            seed=args.seed,
            include_due=not args.no_review,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    exported: dict[str, str] = {}
    if args.export_apkg:
        exported["apkg"] = str(export_apkg(result.items, args.export_apkg))
    if args.export_csv:
        exported["csv"] = str(export_csv(result.items, args.export_csv))
    if args.json:
        payload = result.to_dict()
        if exported:
            payload["exported"] = exported
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0 if result.items else 1
    return _interactive(result, settings, record=not args.no_review, exported=exported)


def _interactive(
    result: QuizResult, settings: Settings, record: bool, exported: dict[str, str]
) -> int:
    out = sys.stdout
    print(result.message, file=out)
    for kind, path in exported.items():
        print(f"내보냄 ({kind}): {path}", file=out)
    if not result.items:
        return 1
    reviews = ReviewStore(settings.review_db) if record else None
    right = asked = 0
    for number, item in enumerate(result.items, start=1):
        print(f"\n[{number}/{len(result.items)}] {item.question}", file=out)
        for idx, choice in enumerate(item.choices, start=1):
            print(f"  {idx}) {choice}", file=out)
        print("답 > ", end="", file=out, flush=True)
        line = sys.stdin.readline()
        if not line:  # EOF: a pipe ran out or the user pressed Ctrl-D
            print("\n(입력이 끝나 퀴즈를 마칩니다.)", file=out)
            break
        if not sys.stdin.isatty():
            print(line.rstrip("\n"), file=out)  # a piped answer is not echoed by a terminal
        if line.strip().lower() in {"q", "quit", "exit", "그만"}:
            break
        asked += 1
        result_grade = grade(item, line.strip())
        right += result_grade.correct
        print(result_grade.feedback, file=out)
        if reviews is not None:
            reviews.record(item, result_grade.correct)
    print(
        f"\n점수: {right}/{asked}"
        + (f" (전체 {len(result.items)}문항)" if asked < len(result.items) else ""),
        file=out,
    )
    return 0
