"""What a question asks for, by its form: a comparison, a list, code.

Words of the question's frame only (Korean endings and English phrasings), never a topic's:
the same rules hold for any journal.
"""

from __future__ import annotations

import re

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
