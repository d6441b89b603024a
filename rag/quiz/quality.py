"""Rules a quiz item must pass to be worth a student's time, checked on every generated item.

"The cited chunk contains the answer" holds for almost any item, bad ones included, so it
does not measure quality. These rules do, and each is a classic item-writing flaw:

- ``few_options``: multiple choice with fewer than ``quiz.min_choices`` options (a coin toss);
- ``duplicate_options``: two options that are one thing (equal once spacing or digits are
  ignored, one inside the other, or two spellings of one term: "스레드 풀", "thread pool");
- ``mixed_options``: options of different kinds (a sentence among terms, or one option many
  times longer than another): the odd one out is the answer, or is never it;
- ``answer_in_stem``: the answer is written in the question itself;
- ``stem_clue``: only the answer shares a word with the question (the "clang" clue); in a
  true/false item, the statement repeats a word of the name it is said of ("‘보안과 데이터
  무결성 보장’에 대한 설명이다. — … 무결성을 보장하고"): true statements are written under
  their own heading, false ones lend the sentence to a sibling, so the echo gives it away;
- ``template_option``: an option or the answer is a heading of the journal's template
  ("학습 목표", "오늘의 회고") rather than a concept;
- ``logistics``: the item comes from a template section or its answer is a date or a time
  (when a meeting was, what was due): not something learned;
- ``hard_to_type``: a short-answer or cloze answer longer than ``quiz.max_typed_chars``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rag.config import QuizSettings
from rag.quiz.items import MASK, QuizItem
from rag.quiz.prose import contains
from rag.structure import is_structural, is_template_section, template_key
from rag.text import compact, find_dates, tokenize


class Flaw(StrEnum):
    FEW_OPTIONS = "few_options"
    DUPLICATE_OPTIONS = "duplicate_options"
    MIXED_OPTIONS = "mixed_options"
    ANSWER_IN_STEM = "answer_in_stem"
    STEM_CLUE = "stem_clue"
    TEMPLATE_OPTION = "template_option"
    LOGISTICS = "logistics"
    HARD_TO_TYPE = "hard_to_type"


_SENTENCE_END = re.compile(r"(?:다|요|까)[.!?]?$|[.!?]$")
_CLOCK = re.compile(r"\d{1,2}\s*시(?:\s*\d{1,2}\s*분)?|\b\d{1,2}:\d{2}\b")
# The quoted material of a stem ("다음 설명에 해당하는 용어는?\n“...”"): the instructions
# around it are the generator's own words and shared by every item.
_QUOTED = re.compile(r"“([^”]*)”")


def _stem_material(question: str) -> str:
    quoted = _QUOTED.findall(question)
    return " ".join(quoted) if quoted else question


def _same(a: str, b: str) -> bool:
    """One option twice: equal without spacing, one inside the other, or equal once digits
    are dropped ("목표 1" / "목표 2" name positions, not concepts)."""
    ca, cb = compact(a), compact(b)
    if not (ca and cb):
        return False
    return ca == cb or ca in cb or cb in ca or template_key(a) == template_key(b)


@lru_cache(maxsize=20_000)
def _content_tokens(text: str) -> frozenset[str]:
    # Memoised: the same options and stems recur across a pool's items.
    return frozenset(t for t in tokenize(text.replace(MASK, " ")) if len(t) >= 2)


Spellings = Callable[[str], list[str]]


def _option_flaws(item: QuizItem, tuning: QuizSettings, spellings: Spellings) -> list[Flaw]:
    choices = [c for c in item.choices if c.strip()]
    out: list[Flaw] = []
    if len(choices) < tuning.min_choices:
        out.append(Flaw.FEW_OPTIONS)
    distractors = [c for c in choices if compact(c) != compact(item.answer)]
    names = {c: {c, *spellings(c)} for c in choices}
    names[item.answer] = {*names.get(item.answer, ()), item.answer, *item.accepted}
    pairs = [(a, b) for i, a in enumerate(choices) for b in choices[i + 1 :]]
    if any(_same(x, y) for a, b in pairs for x in names[a] for y in names[b]):
        out.append(Flaw.DUPLICATE_OPTIONS)
    lengths = [len(compact(c)) for c in choices]
    sentences = [bool(_SENTENCE_END.search(c.strip())) for c in choices]
    if (lengths and min(lengths) > 0 and max(lengths) / min(lengths) > tuning.max_option_ratio
            and max(lengths) > tuning.max_typed_chars) or len(set(sentences)) > 1:
        out.append(Flaw.MIXED_OPTIONS)
    stem = _content_tokens(_stem_material(item.question))
    if stem and distractors:
        answer_shared = _content_tokens(item.answer) & stem
        others = set().union(*(_content_tokens(d) for d in distractors)) & stem
        if answer_shared and not others:
            out.append(Flaw.STEM_CLUE)
    return out


def _no_aliases(name: str) -> list[str]:
    return [name]


def flaws(
    item: QuizItem,
    template: frozenset[str],
    tuning: QuizSettings | None = None,
    spellings: Spellings = _no_aliases,
) -> list[Flaw]:
    """Every rule ``item`` breaks (empty: a good item). ``spellings`` gives a term's other
    names (the corpus's term table), so "스레드 풀" and "thread pool" count as one option."""
    tuning = tuning or QuizSettings()
    out: list[Flaw] = []
    if item.type == "mc":
        out.extend(_option_flaws(item, tuning, spellings))
    if item.type in ("mc", "short", "cloze") and contains(
        _stem_material(item.question), item.answer
    ):
        out.append(Flaw.ANSWER_IN_STEM)
    if item.type == "tf" and item.shown:
        said = item.question.replace(item.shown, " ")
        if _content_tokens(item.shown) & _content_tokens(said):
            out.append(Flaw.STEM_CLUE)
    options = item.choices if item.type == "mc" else [item.answer]
    if any(is_structural(o, template) for o in [*options, item.answer] if o.strip()):
        out.append(Flaw.TEMPLATE_OPTION)
    section = str(item.citation.get("section", ""))
    from_note = item.citation.get("kind") == "note"
    if (
        (template and from_note and is_template_section(section, template))
        or (item.type != "tf" and (find_dates(item.answer) or _CLOCK.search(item.answer)))
    ):
        out.append(Flaw.LOGISTICS)
    if item.type in ("short", "cloze") and len(item.answer) > tuning.max_typed_chars:
        out.append(Flaw.HARD_TO_TYPE)
    return list(dict.fromkeys(out))


@dataclass
class QualityReport:
    """Share of items passing every rule, and how often each rule failed."""

    n: int
    passed: int
    by_flaw: dict[str, int]

    @property
    def pass_rate(self) -> float:
        return self.passed / self.n if self.n else 1.0

    def to_dict(self) -> dict[str, object]:
        return {"n": self.n, "passed": self.passed, "pass_rate": round(self.pass_rate, 3),
                "by_flaw": self.by_flaw}


def judge(
    items: Iterable[QuizItem],
    template: frozenset[str],
    tuning: QuizSettings | None = None,
    spellings: Spellings = _no_aliases,
) -> QualityReport:
    counts: Counter[str] = Counter()
    n = passed = 0
    for item in items:
        n += 1
        found = flaws(item, template, tuning, spellings)
        passed += not found
        counts.update(f.value for f in found)
    return QualityReport(n, passed, dict(counts.most_common()))
