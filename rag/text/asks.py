"""What a question asks for, by its form: a comparison, a list, code.

Words of the question's frame only (Korean endings and English phrasings), never a topic's:
the same rules hold for any journal.
"""

from __future__ import annotations

import re

from rag.text.kiwi import morphemes

# 다르다 conjugates through 달라/다릅니다/달랐, so "뭐가 달라?" is as much a comparison as "차이점".
_COMPARISON = re.compile(
    r"차이|비교|다른 ?점|다른가|다르|달라|다릅|달랐|공통점|vs\.?|versus|differ|compare|comparison|"
    r"contrast",
    re.IGNORECASE,
)
_LIST = re.compile(r"종류|유형|목록|나열|무엇무엇|어떤 것들|기능들|모두|what are|list|types", re.I)
# The words for code, commands, examples and configuration in Korean and English, or a
# code-like token (a dotted path, a call, a command-line flag). No tool or format names: those
# are one topic's.
_CODE = re.compile(
    r"명령|커맨드|command|예제|예시|example|manifest|매니페스트|코드|code|스크립트|script|"
    r"문법|syntax|설정\s*파일|config|[a-z]+\.[a-z]+\.[a-z]+|\w+\(\)|(?:^|\s)--?[a-z][\w-]+",
    re.IGNORECASE,
)


def asks_comparison(question: str) -> bool:
    """The question compares two things ("A와 B의 차이", "A랑 B는 뭐가 달라?", "A vs B")."""
    return bool(_COMPARISON.search(question))


def asks_list(question: str) -> bool:
    """The question asks for several items ("종류", "what are")."""
    return bool(_LIST.search(question))


def asks_code(question: str) -> bool:
    """The question asks for code, a command, an example or configuration."""
    return bool(_CODE.search(question))


_NOUNS = ("NNG", "NNP", "SL")
_ARTICLE = r"(?:(?:an?|the)\s+)?"
_WORD = r"[\w.+#\-]+"
# The second side runs to the end of the clause: "between A and git rebase?"; the heads are
# then the last word of each side before a preposition ("… WeakMap in JavaScript").
_BETWEEN = re.compile(
    rf"\bbetween\s+{_ARTICLE}({_WORD}(?:\s+{_WORD})*?)\s+and\s+{_ARTICLE}([^?.,;!]+)", re.I
)
_VERSUS = re.compile(rf"({_WORD})\s+(?:vs\.?|versus)\s+({_WORD})", re.I)
_DIFFER_FROM = re.compile(rf"({_WORD})\s+differs?\s+from\s+{_ARTICLE}({_WORD})", re.I)
_PREPOSITION = re.compile(r"\s(?:in|on|at|for|of|with|when|from|to|by|under)\s.*$", re.I)


def _head(side: str) -> str:
    words = _PREPOSITION.sub("", f" {side} ").split()
    return words[-1] if words else ""


def compared_heads(question: str) -> list[str]:
    """The head word of each side of a comparison, lower case: the nouns on either side of
    a joining particle ("프로세스와 스레드의 차이" gives 프로세스, 스레드), the last words of
    "between A and B" and the words around "vs". Empty when the question compares nothing
    or its sides are not that plain (a side that is a long phrase is left alone)."""
    if not asks_comparison(question):
        return []
    heads: list[str] = []
    for pattern in (_BETWEEN, _VERSUS, _DIFFER_FROM):
        for match in pattern.finditer(question):
            heads += [_head(match.group(1)), _head(match.group(2))]
    tagged = morphemes(question)
    for i, (_, tag) in enumerate(tagged):
        if tag != "JC" or i == 0 or i + 1 >= len(tagged):
            continue
        before, after = tagged[i - 1], tagged[i + 1]
        if before[1] in _NOUNS and after[1] in _NOUNS:
            heads += [before[0], after[0]]
    return list(dict.fromkeys(h.lower() for h in heads if h))
