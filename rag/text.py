"""Korean text utilities shared by ingestion, retrieval, answers and quizzes.

Kiwi (kiwipiepy, bundled model) does morphological analysis; documents and queries must be
tokenised by the same function or BM25 scores mean nothing.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

# Content-bearing Kiwi tags: nouns, numbers, foreign words, hanja, verb/adjective stems, roots.
CONTENT_TAGS = frozenset(
    {"NNG", "NNP", "NNB", "NR", "NP", "SL", "SH", "SN", "XR", "VV", "VA", "MAG", "W_HASHTAG"}
)
# Hangul topic words of a question; Latin words (SL) are taken whole from the text instead.
NOUN_TAGS = frozenset({"NNG", "NNP", "SH", "XR"})
# Kiwi tags English function words as SL (content); without this list English questions look
# like they are full of terms the notes never use.
ENGLISH_STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing for from had has have
    how i if in into is it its me my of on or our should so than that the their them then there
    these they this those to was we were what when where which who whom why will with would you
    your about between difference differ different explain tell describe mean means meaning
    vs versus please show give define definition compare comparison work works use used using
    one ones also more most other some such only own same very just there's what's it's""".split()
)
# Korean function-like nouns and question words that say nothing about the topic.
KOREAN_STOPWORDS = frozenset(
    (
        "것 수 등 때 중 및 무엇 뭐 뭔가 어떤 어떻 어느 왜 어디 누구 언제 얼마 몇 개 가지 관련 "
        "대해 대한 경우 차이 차이점 설명 의미 말 이 그 저 하 되 있 없 알 주 같 다르 보 정의 "
        "역할 방법 뜻 특징 무슨 어떻게 해주 알려주 좀 정리 내용 개념 점 이유"
    ).split()
)
# Control and zero-width characters, dropped from notes, fetched pages and questions alike.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")

_kiwi_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_kiwi() -> Kiwi:
    """One Kiwi per process (~1 s and ~290 MiB to load)."""
    from kiwipiepy import Kiwi

    return Kiwi()


_TERM_WITH_GLOSS = re.compile(r"^([가-힣]{2,20})\s*\(([^)]{2,60})\)$")
_user_words: set[str] = set()


def term_candidates(labels: list[str]) -> list[str]:
    """Korean terms the notes define with a gloss ("레플리카셋(ReplicaSet)" -> "레플리카셋").

    Kiwi does not know most loanword terms and glues them to the particle that follows
    ("하이퍼바이저란" as one token), which hides them from BM25 and the coverage check.
    """
    found: dict[str, None] = {}
    for label in labels:
        for part in label.split(" > "):
            match = _TERM_WITH_GLOSS.match(part.strip())
            if match:
                found.setdefault(match.group(1), None)
    return sorted(found)


def add_user_words(words: list[str]) -> None:
    """Teach Kiwi the corpus's own terms; documents and queries are then split the same way."""
    kiwi = get_kiwi()
    with _kiwi_lock:
        for word in words:
            if word not in _user_words:
                kiwi.add_user_word(word, "NNP", 0.0)
                _user_words.add(word)


def normalize(text: str) -> str:
    """NFC (macOS writes decomposed Hangul), no control characters, single spaces per line."""
    text = unicodedata.normalize("NFC", text)
    text = CONTROL_CHARS.sub(" ", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()


def morphemes(text: str) -> list[tuple[str, str]]:
    with _kiwi_lock:
        tokens = get_kiwi().tokenize(text)
    return [(t.form, t.tag) for t in tokens]


def tokenize(text: str) -> list[str]:
    """BM25 tokens: content morphemes, lower-cased, stopwords dropped."""
    out: list[str] = []
    for form, tag in morphemes(normalize(text)):
        if tag not in CONTENT_TAGS:
            continue
        form = form.lower()
        if form in ENGLISH_STOPWORDS or (tag != "SL" and form in KOREAN_STOPWORDS):
            continue
        out.append(form)
    return out


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.+][A-Za-z0-9]+)*")


def key_terms(text: str) -> list[str]:
    """Distinct topical terms of a question: Hangul nouns and roots from Kiwi, and Latin
    words taken whole from the text (Kiwi splits "k8s" into "k", "8", "s")."""
    text = normalize(text)
    seen: dict[str, None] = {}
    for form, tag in morphemes(text):
        if tag not in NOUN_TAGS:
            continue
        if form not in KOREAN_STOPWORDS and len(form) >= 2:
            seen.setdefault(form.lower(), None)
    for word in _LATIN_WORD.findall(text):
        word = word.lower()
        if len(word) >= 2 and word not in ENGLISH_STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def split_sentences(text: str) -> list[str]:
    """Korean-aware sentence split (Kiwi); falls back to the whole text when Kiwi finds none."""
    text = text.strip()
    if not text:
        return []
    with _kiwi_lock:
        sents = get_kiwi().split_into_sents(text)
    parts = [s.text.strip() for s in sents if s.text.strip()]
    return parts or [text]
