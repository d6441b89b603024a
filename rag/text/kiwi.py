"""Kiwi (kiwipiepy, bundled model): morphemes, BM25 tokens, key terms, sentences.

Documents and queries must be tokenised by the same function or BM25 scores mean nothing.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.text.normalize import normalize
from rag.text.wordlists import ENGLISH_STOPWORDS, KOREAN_STOPWORDS

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

# Content-bearing Kiwi tags: nouns, numbers, foreign words, hanja, verb/adjective stems, roots.
CONTENT_TAGS = frozenset(
    {"NNG", "NNP", "NNB", "NR", "NP", "SL", "SH", "SN", "XR", "VV", "VA", "MAG", "W_HASHTAG"}
)
# Hangul topic words of a question; Latin words (SL) are taken whole from the text instead.
NOUN_TAGS = frozenset({"NNG", "NNP", "SH", "XR"})
_kiwi_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_kiwi() -> Kiwi:
    """One Kiwi per process (~1 s and ~290 MiB to load)."""
    from kiwipiepy import Kiwi

    return Kiwi()


_user_words: set[str] = set()


def add_user_words(words: list[str]) -> None:
    """Teach Kiwi the corpus's own terms; documents and queries are then split the same way."""
    kiwi = get_kiwi()
    with _kiwi_lock:
        for word in words:
            if word not in _user_words:
                kiwi.add_user_word(word, "NNP", 0.0)
                _user_words.add(word)


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
