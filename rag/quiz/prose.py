"""The quiz's reading of chunk text: sentences worth quoting, names worth asking for, and the
matching rules (compacted containment, near-duplicate spellings) every generator and the
grader share.

Built on :mod:`rag.text` (Kiwi, :func:`~rag.text.parse_label`, :func:`~rag.text.compact`,
the generic-heading list); what is here is specific to making questions.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from langchain_core.documents import Document

from rag.index.store import body_of
from rag.quiz.items import MASK
from rag.text import SEPARATOR, compact, is_generic_heading, morphemes, normalize, parse_label

SEP = SEPARATOR
# Two spellings of one name ("레플리카셋"/"레플리카 셋") at this jamo similarity or above; below
# it, two names (checked by hand on the seed note's sibling headings).
NEAR_DUPLICATE_RATIO = 0.85

# Sections that hold no facts to test: the student's diary parts and link lists.
_SKIP_SECTION = re.compile(
    r"회고|참고\s*자료|링크|스크럼|다음\s*내용|목차|느낀\s*점|^TODO|^References?$", re.IGNORECASE
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
# What follows a term that a sentence is defining: "X는 …다", "X란 …".
SUBJECT_PARTICLE = re.compile(r"^(은|는|이란|란|이라는 것은|의 목적은)\s")
HANGUL = re.compile(r"[가-힣]")
LATIN = re.compile(r"[A-Za-z]")
DIGITS = re.compile(r"\d+")
NOUN_TAGS = {"NNG", "NNP", "SL", "SH"}
_TERM_END_TAGS = {"NNG", "NNP", "NNB", "SL", "SH", "SN", "XR", "XSN", "NR"}
_CALLOUT = re.compile(r"^(참고|경고|주의|노트|팁|Note|Warning|Caution)\s*[:：]\s*", re.IGNORECASE)
# A Korean sentence ends with a Hangul syllable and a full stop ("…한다. 다음…"); splitting
# there (not after "e.g." or "v1.21") matches Kiwi's splitter on this material at a fraction of
# the cost, and the chunker has already put each sentence of a long paragraph on its own line.
_SENTENCE_BREAK = re.compile(r"(?<=[가-힣][.!?])\s+|(?<=[가-힣][.!?][)\"”’])\s+")


@lru_cache(maxsize=50_000)
def morphs(text: str) -> tuple[tuple[str, str], ...]:
    """Kiwi morphemes, memoised: the same sentence is looked at by several generators."""
    return tuple(morphemes(text))


def jamo(text: str) -> str:
    # Decomposed Hangul makes difflib count one wrong vowel as one of three jamo, not as a
    # whole wrong syllable: "디플로이먼드" is close to "디플로이먼트", "파두" is not "파드".
    return unicodedata.normalize("NFD", text)


def hangul_share(text: str) -> float:
    hangul = len(HANGUL.findall(text))
    letters = hangul + len(LATIN.findall(text))
    return hangul / letters if letters else 0.0


def split_label(label: str) -> tuple[str, list[str]]:
    """``"**파드(Pod)**"`` -> ``("파드", ["Pod"])``: :func:`rag.text.parse_label` on a label
    as it appears in markdown (emphasis and code marks around it)."""
    parsed = parse_label(normalize(label).strip("*`_ ").strip())
    return parsed.name.strip(), parsed.aliases


def is_term(name: str) -> bool:
    """A name a quiz can ask for: short, noun-final, not a generic heading or a clause."""
    name = name.strip()
    if not name or len(name) > 30 or is_generic_heading(name):
        return False
    if any(ch in name for ch in '`:?!.,;>="{}[]|#') or len(name.split()) > 5:
        return False
    if name.count("(") != name.count(")"):
        return False
    tags = [t for _, t in morphs(name) if not t.startswith("S") or t in ("SL", "SH", "SN")]
    if not tags or tags[-1] not in _TERM_END_TAGS:
        return False
    return any(t in NOUN_TAGS for t in tags)


def mask(text: str, names: Iterable[str]) -> str:
    """``text`` with every name replaced by ○○, longest first (so "가상 머신" before "머신")."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = re.sub(re.escape(name), MASK, text, flags=re.IGNORECASE)
    return text


def contains(text: str, name: str) -> bool:
    return bool(name) and compact(name) in compact(text)


def near_duplicate(a: str, b: str) -> bool:
    """Two spellings of one thing ("레플리카셋"/"레플리카 셋"), not two things that differ by a
    number ("Type 1"/"Type 2") or by a word ("서비스"/"서비스 리소스")."""
    ca, cb = compact(a), compact(b)
    if ca == cb:
        return True
    if DIGITS.findall(ca) != DIGITS.findall(cb):
        return False
    return difflib.SequenceMatcher(None, jamo(ca), jamo(cb)).ratio() >= NEAR_DUPLICATE_RATIO


def skip(doc: Document) -> bool:
    """A chunk in a diary or link-list section: nothing in it is asked."""
    section = doc.metadata.get("section", "")
    return any(_SKIP_SECTION.search(part.strip()) for part in section.split(SEP) if part)


def lines(doc: Document) -> list[str]:
    return [ln.strip() for ln in body_of(doc).splitlines() if ln.strip()]


def _prose(line: str) -> str:
    """A body line as a sentence: no bullet, no callout label ("참고: …")."""
    return _CALLOUT.sub("", re.sub(r"^[-*+]\s+", "", line)).strip()


def sentences(doc: Document) -> list[str]:
    # Every chunk's first line is its heading breadcrumb (see ingest.chunking); questions
    # must read like prose, so it never appears in them.
    return list(split_body(body_of(doc)))


@lru_cache(maxsize=20_000)
def split_body(body: str) -> tuple[str, ...]:
    out: list[str] = []
    for line in body.splitlines():
        line = _prose(line.strip())
        if line:
            out.extend(p.strip() for p in _SENTENCE_BREAK.split(line) if p.strip())
    return tuple(out)


@lru_cache(maxsize=50_000)
def good_sentence(sentence: str) -> bool:
    """Prose worth quoting: Korean, complete, not code, not a pointer to something else."""
    if not 12 <= len(sentence) <= 220 or sentence.endswith((":", "?", "：")):
        return False
    if hangul_share(sentence) < 0.4 or _META_SENTENCE.search(sentence):
        return False
    # Code, shell lines and file names are not prose ("$ ls -al", "--force", "app.config.js").
    if re.search(r"[{}=<>$|`]|^\s*#|(?:^|\s)--?[a-z][\w-]*|\w\.[a-z]{2,4}\b|\.\w+\.\w", sentence):
        return False
    if sentence.count("(") != sentence.count(")"):
        return False  # a line the page broke mid-parenthesis
    tags = [t for _, t in morphs(sentence) if not t.startswith("S") or t in ("SL", "SN")]
    # Pages wrapped mid-sentence ("…IngressClass에 따라"): a fragment is no fact.
    return bool(tags) and tags[-1] in _SENTENCE_END_TAGS


def noun_final(sentence: str) -> bool:
    tags = [t for _, t in morphs(sentence) if not t.startswith("S")]
    return bool(tags) and tags[-1] in {"NNG", "NNP", "NNB", "XSN"}


def first_sentence(docs: list[Document]) -> str:
    """The first quotable sentence of a section (its first chunk), or ``""``."""
    for doc in docs[:1]:
        for sent in sentences(doc):
            if good_sentence(sent):
                return sent
    return ""
