"""Kiwi (kiwipiepy, bundled model): morphemes, BM25 tokens, key terms, sentences.

Documents and queries must be tokenised by the same function or BM25 scores mean nothing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
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
        added = False
        for word in words:
            if word not in _user_words:
                kiwi.add_user_word(word, "NNP", 0.0)
                _user_words.add(word)
                added = True
    if added:
        _analysed.cache_clear()


def morphemes(text: str) -> list[tuple[str, str]]:
    return [(form, tag) for form, tag, _, _ in _analysed(text)]


@lru_cache(maxsize=1024)
def _analysed(text: str) -> tuple[tuple[str, str, int, int], ...]:
    # A question is analysed by retrieval, the answer step and the refusal check; the cache
    # makes that one Kiwi call (add_user_words clears it: new words split text differently).
    with _kiwi_lock:
        tokens = get_kiwi().tokenize(text)
    return tuple((t.form, t.tag, t.start, t.len) for t in tokens)


def content_forms(tagged: Iterable[tuple[str, str]]) -> list[str]:
    """BM25 tokens of Kiwi's (form, tag) pairs: content morphemes, lower-cased, stopwords
    dropped. One rule for queries and documents, whichever Kiwi call produced the pairs.

    A Latin word loses the full stop Kiwi leaves on a sentence's last word ("nodes.",
    "React."); inner dots stay ("node.js")."""
    out: list[str] = []
    for form, tag in tagged:
        if tag not in CONTENT_TAGS:
            continue
        form = form.lower()
        if tag == "SL":
            form = form.rstrip(".")
            if not form or form in ENGLISH_STOPWORDS:
                continue
        elif form in ENGLISH_STOPWORDS or form in KOREAN_STOPWORDS:
            continue
        out.append(form)
    return out


def tokenize(text: str) -> list[str]:
    """BM25 tokens of a text: content morphemes, lower-cased, stopwords dropped."""
    return content_forms(morphemes(normalize(text)))


def analyse_lines(lines: list[str]) -> list[list[tuple[str, list[str]]]]:
    """Each line's sentences with their BM25 tokens, from one batched Kiwi pass.

    Indexing used to run Kiwi twice per chunk (tokens for BM25, then sentences at question
    time); one ``split_into_sents(..., return_tokens=True)`` over all lines gives both, and
    Kiwi spreads a batch over its worker threads: 0.81 s for the real journal's 1,046 chunks,
    against 1.9 s for ``tokenize`` alone and 3.2 s for tokens plus sentences one by one."""
    texts = [normalize(line).strip() for line in lines]
    todo = [t for t in texts if t]
    with _kiwi_lock:
        results = iter(list(get_kiwi().split_into_sents(todo, return_tokens=True)) if todo else [])
    out: list[list[tuple[str, list[str]]]] = []
    for text in texts:
        if not text:
            out.append([])
            continue
        sents = next(results)
        parts = [
            (s.text.strip(), content_forms((t.form, t.tag) for t in s.tokens or []))
            for s in sents
            if s.text.strip()
        ]
        out.append(parts or [(text, tokenize(text))])
    return out


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.+][A-Za-z0-9]+)*")


def key_terms(text: str) -> list[str]:
    """Distinct topical terms of a question: Hangul nouns and roots from Kiwi, and Latin
    words taken whole from the text (Kiwi splits "k8s" into "k", "8", "s")."""
    text = normalize(text)
    seen: dict[str, None] = {}
    for form, _ in _hangul_terms(text):
        if form not in KOREAN_STOPWORDS and len(form) >= 2:
            seen.setdefault(form.lower(), None)
    for word in _LATIN_WORD.findall(text):
        word = word.lower()
        if len(word) >= 2 and word not in ENGLISH_STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def unknown_words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The question's words Kiwi's dictionary does not know (it broke them apart, see
    :func:`_hangul_terms`), each with the pieces Kiwi made of it: new technical terms, most
    often transliterations ("샤딩": 샤, 딩), or a prefix on a known noun ("실서비스")."""
    return [(form, pieces) for form, pieces in _hangul_terms(normalize(text)) if pieces]


def _hangul_terms(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Kiwi's nouns, except where it broke one word it does not know into syllables and
    adverbs ("샤딩" as 샤/NNG 딩/MAG, "뮤텍스" as 뮤 + 텍스, "런타임" as 런 + 타임): such a run
    inside one word is that word, taken whole from the text, with its pieces (a known word
    has none). A run of real nouns stays as Kiwi split it ("레이스컨디션": 레이스 + 컨디션;
    "복제본": 복제 + 본, a noun and a one-syllable suffix noun, keeps 복제)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    run: list[tuple[str, str, int, int]] = []

    def close() -> None:
        # A noun piece among them: adverbs run together ("더더욱") are not a noun.
        broken = (
            len(run) > 1
            and any(tag in ("NNG", "NNP") for _, tag, _, _ in run)
            and (any(tag == "MAG" for _, tag, _, _ in run) or len(run[0][0]) == 1)
        )
        if broken:
            start, end = run[0][2], run[-1][2] + run[-1][3]
            out.append((text[start:end], tuple(form for form, _, _, _ in run)))
        else:
            out.extend((form, ()) for form, tag, _, _ in run if tag in NOUN_TAGS)
        run.clear()

    for token in _analysed(text):
        form, tag, start, _ = token
        piece = tag in _RUN_TAGS and re.fullmatch(r"[가-힣]+", form) is not None
        if not (piece and run and run[-1][2] + run[-1][3] == start):
            close()  # not joined to the run: it ends here
        if piece:
            run.append(token)
        elif tag in NOUN_TAGS:
            out.append((form, ()))
    close()
    return out


# Pieces of one Hangul word as Kiwi splits a word it does not know.
_RUN_TAGS = frozenset({"NNG", "NNP", "MAG", "XR"})


def split_sentences(text: str) -> list[str]:
    """Korean-aware sentence split (Kiwi); falls back to the whole text when Kiwi finds none."""
    text = text.strip()
    if not text:
        return []
    with _kiwi_lock:
        sents = get_kiwi().split_into_sents(text)
    parts = [s.text.strip() for s in sents if s.text.strip()]
    return parts or [text]
