"""The corpus's own bilingual glossary, so an English question finds Korean notes.

Korean technical notes gloss their terms: "조건 변수(Condition Variable)", "가시성(Visibility)",
"Reconciliation(재조정)". Those pairs are learned from the corpus itself (no dictionary ships
offline, and e5-small's word-level cross-lingual neighbours are noise: "thread" lands on
"실행", "상황"). An English question that uses a glossed term then also searches with the
Korean words the student wrote, which BM25 can match; the notes' own English tokens still
count as before.

Only pairs whose Korean side is nouns (Kiwi) are kept: "WAS에 요청을 하는 역할(Reverse Proxy)"
glosses the whole clause, not the noun before the parenthesis.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import snowballstemmer

from rag.config import GlossarySettings
from rag.index.store import ChunkStore
from rag.text import is_english, morphemes, normalize, tokenize
from rag.text.loanwords import LatinIndex, LoanwordIndex, index_latin_words, index_loanwords
from rag.text.wordlists import ENGLISH_STOPWORDS

# The first item of a parenthesis; what follows it (")" or ", more") is checked by _is_list.
_PAREN = re.compile(r"\(\s*([^()\n]{1,60}?)\s*([,)])([^()\n]{0,60})")
_HANGUL_TAIL = re.compile(r"([가-힣]+(?: [가-힣]+){0,3})\s?$")
# Not the tail of an identifier: "BANDWIDTH_POSTPAID_BY_HOUR (대역폭 별)" glosses no "hour".
_LATIN_TAIL = re.compile(
    r"(?<![A-Za-z0-9_.+#\-])([A-Za-z][A-Za-z0-9.+#\-]*(?: [A-Za-z][A-Za-z0-9.+#\-]*){0,3})\s?$"
)
_HANGUL_ALL = re.compile(r"[가-힣]+(?: [가-힣]+){0,3}")
_LATIN_ALL = re.compile(r"[A-Za-z][A-Za-z0-9.+#\-]*(?: [A-Za-z][A-Za-z0-9.+#\-]*){0,3}")
_NOUNS = frozenset({"NNG", "NNP", "XR", "SH", "NNB", "SN", "XSN"})


@dataclass(frozen=True)
class Glossary:
    """English phrase (lower-case words) -> the Korean BM25 tokens the notes gloss it with;
    an English word no gloss covers may still be spelled in Hangul in the notes
    (``loanwords``: "pods" -> 파드)."""

    korean_of: dict[tuple[str, ...], tuple[str, ...]]
    loanwords: LoanwordIndex | None = None
    # A short form the notes give beside a glossed term ("쿠버네티스(Kubernetes, k8s)": "k8s")
    # -> that term's Korean words.
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    loanwords_per_word: int = 2
    latin: LatinIndex | None = None  # the notes' Latin words by sound, for Korean questions

    def expand(self, question: str, max_tokens: int) -> list[str]:
        """Korean tokens for the glossed English phrases ``question`` contains, longest
        phrases first (a phrase's own words are not looked up again), and for its other
        words their Hangul spellings in the notes, in question order."""
        raw = _ENGLISH_WORD.findall(question)
        words = _stems(raw)
        out: list[str] = []
        i = 0
        while i < len(words) and len(out) < max_tokens:
            for n in range(min(4, len(words) - i), 0, -1):
                phrase = tuple(words[i : i + n])
                if phrase in self.korean_of:
                    out.extend(t for t in self.korean_of[phrase] if t not in out)
                    break
            else:
                n = 1
            if n == 1:
                # A glossed word may be spelt in Hangul elsewhere too: "요소(Component)" in one
                # note, "컴포넌트" in the next.
                out.extend(t for t in self._spelt(raw[i]) if t not in out)
            i += n
        return out[:max_tokens]

    def in_korean(self, question: str) -> str:
        """``question`` with each English word the notes gloss or spell in Hangul written so
        ("between a process and a thread" -> "between a 프로세스 and a 스레드")."""

        def korean(match: re.Match[str]) -> str:
            word = match.group(0)
            glossed = self.korean_of.get(tuple(_stems([word])))
            if glossed:
                return " ".join(glossed)
            spelt = self._spelt(word)
            return spelt[0] if spelt else word

        return _ENGLISH_WORD.sub(korean, question)

    def latin_spellings(self, tokens: list[str], max_tokens: int) -> list[str]:
        """The notes' Latin spellings of a Korean question's Hangul words they never write
        in Hangul: "레디스" when the notes say "Redis"."""
        if self.latin is None:
            return []
        out: list[str] = []
        for token in tokens:
            if _HANGUL_WORD.fullmatch(token) and not self.latin.doc_freq(token):
                out.extend(self.latin.latin_of(token, self.loanwords_per_word))
        return list(dict.fromkeys(out))[:max_tokens]

    def searched_with(self, question: str, tokens: list[str], max_tokens: int) -> list[str]:
        """The words a question is also searched with: an English one's Korean glosses and
        Hangul spellings, a Korean one's Latin spellings (``tokens`` are its BM25 tokens)."""
        if is_english(question):
            return self.expand(question, max_tokens)
        return self.latin_spellings(tokens, max_tokens)

    def other_spellings(self, term: str) -> list[str]:
        """How the notes write ``term`` in the other script: "Terraform" as "테라폼", "레디스"
        as "redis" (lower case)."""
        if _HANGUL_WORD.fullmatch(term) and self.latin is not None:
            return self.latin.latin_of(term, self.loanwords_per_word)
        alias = list(self.aliases.get(term.lower(), ()))
        if re.fullmatch(r"[A-Za-z]+", term) and self.loanwords is not None:
            return alias + self.loanwords.korean_of(term, self.loanwords_per_word)
        return alias

    def _spelt(self, word: str) -> list[str]:
        if self.loanwords is None or not _is_content_word(word):
            return []
        return self.loanwords.korean_of(word, self.loanwords_per_word)


_HANGUL_WORD = re.compile(r"[가-힣]{2,}")
_ALIAS = re.compile(r"[A-Za-z][A-Za-z0-9]{1,9}")
_ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.+#\-]*")


def _is_content_word(word: str) -> bool:
    return len(word) >= 3 and word.lower() not in ENGLISH_STOPWORDS


def _korean_nouns(words: str, keep: int) -> tuple[str, ...] | None:
    """The last ``keep`` Hangul words of ``words`` as BM25 tokens, if they are all nouns."""
    tail = " ".join(words.split()[-keep:])
    tagged = morphemes(tail)
    if not tagged or any(tag not in _NOUNS for _, tag in tagged):
        return None
    tokens = tuple(dict.fromkeys(tokenize(tail)))
    return tokens or None


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    return snowballstemmer.stemmer("english")


def _stems(words: list[str]) -> list[str]:
    """Snowball stems, so "visible" in a question finds the notes' "(Visibility)"."""
    return [_stem(w.lower()) for w in words]


# Stemming in pure Python cost 2.4 ms of every English question; a question's words recur.
@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def _english_key(phrase: str) -> tuple[str, ...] | None:
    words = phrase.split()
    if all(w.lower() in ENGLISH_STOPWORDS for w in words) or all(len(w) < 3 for w in words):
        return None
    return tuple(_stems(words))


def _is_list(first: str, closer: str, rest: str) -> bool:
    """Whether a parenthesis lists examples rather than glossing the word before it.

    "리소스(HTML, CSS, JS)", "데이터베이스(MySQL, SQL Server)", "참조 변수(String, int[] 등)"
    name instances: their first item is no translation of the noun before them. A second item
    that is a shorter form of the first starting with its letter is an alias, not a list:
    "쿠버네티스(Kubernetes, k8s)", "조건 변수(Condition Variable, CV)".
    """
    return closer != ")" and _alias(first, rest) is None


def _alias(first: str, rest: str) -> str | None:
    """The second item of a parenthesis (``rest``: what follows its first comma) when it is a
    shorter form of the first starting with its letter ("Kubernetes, k8s"), else None."""
    items = rest.split(",")
    second = items[0].strip()
    if len(items) == 1 and second and len(second) < len(first):
        return second if second[0].lower() == first[0].lower() else None
    return None


def learn_glossary(texts: list[str], tuning: GlossarySettings) -> Glossary:
    """Every "한국어(English)" and "English(한국어)" pair in ``texts``; an English phrase glossed
    several ways keeps the most frequent Korean tokens first."""
    pairs: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    aliases: dict[str, tuple[str, ...]] = {}
    for text in texts:
        text = normalize(text)
        for paren in _PAREN.finditer(text):
            inside = paren.group(1)
            if _is_list(inside, paren.group(2), paren.group(3)):
                continue
            # 60 characters before the parenthesis hold the glossed words; a regex anchored
            # there stays linear on long lines.
            before = text[max(0, paren.start() - 60) : paren.start()]
            if _LATIN_ALL.fullmatch(inside) and (ko := _HANGUL_TAIL.search(before)):
                # "조건 변수(Condition Variable)": as many Korean words as English ones, at
                # most ("그리고 네트워크 분할 허용 오차(Partition Tolerance)" glosses two).
                key = _english_key(inside)
                korean = ko.group(1)
                keep = min(len(korean.split()), len(key or ()))
                tokens = _korean_nouns(korean, keep) if key else None
            elif _HANGUL_ALL.fullmatch(inside) and (en := _LATIN_TAIL.search(before)):
                # "Dirty Checking(변경 감지)"
                key = _english_key(en.group(1))
                tokens = _korean_nouns(inside, len(inside.split())) if key else None
            else:
                continue
            if key and tokens:
                pairs[(key, tokens)] += 1
                short = _alias(inside, paren.group(3)) if paren.group(2) == "," else None
                if short and _LATIN_ALL.fullmatch(inside) and _ALIAS.fullmatch(short):
                    aliases.setdefault(short.lower(), tokens)
    by_phrase: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for (key, tokens), _count in pairs.most_common():
        merged = by_phrase[key]
        if len(merged) >= tuning.max_tokens_per_term:
            continue
        merged.extend(t for t in tokens if t not in merged and t not in key)
    return Glossary(
        {k: tuple(v[: tuning.max_tokens_per_term]) for k, v in by_phrase.items() if v},
        aliases=aliases,
    )


def glossary_of(store: ChunkStore, tuning: GlossarySettings) -> Glossary:
    """The store's glossary, learned once per loaded store (from the notes' chunk texts)."""
    key = ("glossary", tuning)
    if key not in store.analysed:
        texts = [d.page_content for d in store.docs if "(" in d.page_content]
        glossary = learn_glossary(texts, tuning)
        if tuning.loanwords:
            words = store.word_text.split("\n")
            df, least = store.vocabulary.get, tuning.loanword_min_consonants
            glossary = replace(
                glossary,
                loanwords=index_loanwords(words, df, least),
                latin=index_latin_words(words, df, least),
                loanwords_per_word=tuning.loanwords_per_word,
            )
        store.analysed[key] = glossary
    return store.analysed[key]
