"""The one parser of ``용어(Term)`` labels, and the Korean particle rules that go with names.

Notes define terms as headings or list labels with a gloss: ``레플리카셋(ReplicaSet)``,
``쿠버네티스(Kubernetes, k8s)``, ``디플로이먼트(권장)`` (a remark, not an alias),
``Type 1 하이퍼바이저(Bare-metal) 방식`` (a tail after the gloss). Everything that needs a
label's names (Kiwi user words, retrieval's definition boost, quiz terms, example questions)
derives them from :func:`parse_label`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_LABEL = re.compile(r"^(?P<head>[^()]*?)\s*\((?P<inner>[^()]*)\)\s*(?P<tail>[^()]*)$")
_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[A-Za-z]")
_KOREAN_TERM = re.compile(r"[가-힣]{2,20}")
SEPARATOR = " > "  # between the headings of a breadcrumb


@dataclass(frozen=True)
class Label:
    """A parsed label: ``head (gloss) tail``. Without a parenthesis, ``head`` is the label."""

    head: str
    gloss: str = ""
    tail: str = ""
    has_gloss: bool = False

    @property
    def name(self) -> str:
        """What the thing is called in the note's language: head and tail, gloss dropped."""
        return " ".join(x for x in (self.head, self.tail) if x) or self.gloss

    @property
    def trailing_gloss(self) -> bool:
        """``X(Y)`` with nothing after the parenthesis: the form of a definition heading."""
        return self.has_gloss and not self.tail

    @property
    def aliases(self) -> list[str]:
        """Other names from a Latin-only gloss (``Kubernetes, k8s``), each with the tail; a
        Korean parenthesis is a remark (``권장``, ``선택 사항``), not a name."""
        if not self.has_gloss or not _LATIN.search(self.gloss) or _HANGUL.search(self.gloss):
            return []
        parts = re.split(r"\s*[,/]\s*|\s+or\s+", self.gloss)
        return [" ".join(x for x in (p.strip(), self.tail) if x) for p in parts if p.strip()]


def is_english(text: str) -> bool:
    """No Hangul at all: an English question about (mostly Korean) notes."""
    return not _HANGUL.search(text)


def parse_label(label: str) -> Label:
    label = label.strip()
    match = _LABEL.match(label)
    if not match:
        return Label(label)
    head, inner, tail = (match.group(g).strip() for g in ("head", "inner", "tail"))
    return Label(head, inner, tail, True)


def breadcrumb(section: str) -> list[str]:
    return [p for p in section.split(SEPARATOR) if p.strip()]


def short_name(label: str) -> str:
    """``가상 머신(Virtual Machine)`` -> ``가상 머신``; other labels unchanged."""
    parsed = parse_label(label)
    return (parsed.head if parsed.trailing_gloss else "") or label


def heading_names(heading: str) -> list[str]:
    """``하이퍼바이저(Hypervisor)`` -> ["하이퍼바이저", "hypervisor"] (lower-case, no spaces)."""
    return list(_heading_names(heading))


# Every question asks this of each of its ~70 candidates' headings: parse each heading once.
@lru_cache(maxsize=1 << 16)
def _heading_names(heading: str) -> tuple[str, ...]:
    parsed = parse_label(heading)
    parts = [parsed.head, *parsed.gloss.split(",")] if parsed.trailing_gloss else [heading]
    return tuple(n for n in (re.sub(r"\s+", "", p).lower() for p in parts) if len(n) >= 2)


def topic_names(heading: str) -> list[str]:
    """Names a section goes by: ``가상 머신(Virtual Machine)`` -> 가상 머신, Virtual Machine, VM."""
    names = [short_name(heading)]
    parsed = parse_label(heading)
    if parsed.trailing_gloss:
        for alt in parsed.gloss.split(","):
            alt = alt.strip()
            if alt:
                names.append(alt)
                words = re.findall(r"[A-Za-z]+", alt)
                if len(words) >= 2:
                    names.append("".join(w[0].upper() for w in words))
    return [n for n in names if len(n) >= 2]


def term_candidates(labels: list[str]) -> list[str]:
    """Korean terms the notes define with a gloss ("레플리카셋(ReplicaSet)" -> "레플리카셋").

    Kiwi does not know most loanword terms and glues them to the particle that follows
    ("하이퍼바이저란" as one token), which hides them from BM25 and the coverage check.
    """
    found: dict[str, None] = {}
    for label in labels:
        for part in label.split(SEPARATOR):
            parsed = parse_label(part)
            if (
                parsed.trailing_gloss
                and _KOREAN_TERM.fullmatch(parsed.head)
                and 2 <= len(parsed.gloss) <= 60
            ):
                found.setdefault(parsed.head, None)
    return sorted(found)


# --------------------------------------------------------------------------- particles


def has_batchim(word: str) -> bool:
    """Does the word, read aloud, end in a consonant (받침)? Decides 이란/란, 과/와, 은/는."""
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
    return word + (with_batchim if has_batchim(word) else without)
