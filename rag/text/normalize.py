"""The string normalisations, each for one purpose (and only here).

- :func:`normalize`: how notes, pages and questions are stored and shown (NFC, no control
  characters, single spaces per line).
- :func:`compact`: an identity key for names ("Type 1 하이퍼바이저" == "type1하이퍼바이저"):
  width, case, spacing and punctuation folded away.
- :func:`match_form`: what the evaluation compares keywords in (markup and citation markers
  dropped, then compacted spacing and case).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Control and zero-width characters, dropped from notes, fetched pages and questions alike.
# Not the zero-width (non-)joiners U+200C/U+200D: they hold emoji sequences (👩‍💻) and some
# scripts' words together. Lone surrogates are what a terminal passes for bytes that are not
# UTF-8 (``printf '\xff'``); they cannot even be printed, so they go too.
CONTROL_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\u2028\u2029\ufeff\ud800-\udfff]"
)
# A fenced code block's opening or closing line: ``` or ~~~ (3 or more), then the info
# string ("jsx"). One pattern for chunking (ingest) and for answers and source cards.
CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([^`\s]*)")


def code_lines(text: str) -> set[int]:
    """Indexes of the lines of ``text`` inside fenced code blocks, fences included."""
    inside, lines = False, set()
    for i, line in enumerate(text.split("\n")):
        fence = bool(CODE_FENCE.match(line))
        if inside or fence:
            lines.add(i)
        if fence:
            inside = not inside
    return lines


def ends_in_fence(text: str) -> bool:
    """The text's last line closes (or opens) a fenced code block."""
    return bool(CODE_FENCE.match(text.rstrip().split("\n")[-1]))

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_MARKUP = re.compile(r"\*\*|__|`|\[\d{1,3}\]")
_WS = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC (macOS writes decomposed Hangul), no control characters, single spaces per line."""
    text = unicodedata.normalize("NFC", text)
    text = CONTROL_CHARS.sub(" ", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()


@lru_cache(maxsize=50_000)
def compact(text: str) -> str:
    """Case, width, spacing and punctuation folded away: ``"Type 1 하이퍼바이저"`` ->
    ``"type1하이퍼바이저"``."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def match_form(text: str) -> str:
    """Case-, whitespace- and markdown-insensitive form: "**Type 1** [2]" -> "type1"."""
    text = unicodedata.normalize("NFKC", text or "")
    return _WS.sub("", _MARKUP.sub("", text)).casefold()
