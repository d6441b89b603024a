"""Tolerant grading of one answer.

Multiple choice and true/false take the choice's number, letter, mark or text. Short answer
and cloze forgive spacing, case, particles (조사), Hangul/English spellings (``파드``/``Pod``)
and small typos (jamo similarity, :attr:`QuizSettings.typo_ratio`), but a sibling term (one of
``item.confusables``) is always wrong, however close its spelling.
"""

from __future__ import annotations

import difflib

from rag.answer.citations import location_of
from rag.config import QuizSettings
from rag.quiz.items import Grade, QuizItem
from rag.quiz.prose import DIGITS, jamo, morphs
from rag.text import compact, has_batchim, normalize


def _strip_particles(text: str) -> str:
    """``파드는`` -> ``파드``, ``Pod입니다`` -> ``pod``: drop trailing particles, copula and
    endings (Kiwi J*/E*/VCP tags), keeping the written form of what remains."""
    if not text:
        return text
    tokens = list(morphs(text))
    while tokens and (tokens[-1][1].startswith(("J", "E")) or tokens[-1][1] in {"VCP", "SF"}):
        tokens.pop()
    kept = "".join(f for f, _ in tokens).casefold()
    return kept if kept and text.startswith(kept) else text


def _forms(text: str) -> set[str]:
    key = compact(text)
    return {f for f in (key, _strip_particles(key)) if f}


def _choice_index(item: QuizItem, given: str) -> int | None:
    raw = normalize(given).strip().strip(".)]").strip().casefold()
    if item.type == "tf":
        yes = {"참", "o", "true", "t", "yes", "y", "맞다", "맞음", "맞아", "그렇다", "1", "ㅇ"}
        no = {"거짓", "x", "false", "f", "no", "n", "틀리다", "틀림", "아니다", "아님", "2"}
        if raw in yes or compact(raw) in yes:
            return 0
        if raw in no or compact(raw) in no:
            return 1
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= len(item.choices):
        return int(raw) - 1
    marks = "①②③④⑤"
    if len(raw) == 1 and raw in marks[: len(item.choices)]:
        return marks.index(raw)
    if len(raw) == 1 and "a" <= raw <= "z" and ord(raw) - ord("a") < len(item.choices):
        return ord(raw) - ord("a")
    given_forms = _forms(given)
    for idx, choice in enumerate(item.choices):
        spellings = [choice, *(item.accepted if choice == item.answer else [])]
        if any(given_forms & _forms(s) for s in spellings):
            return idx
    return None


def _source_line(item: QuizItem) -> str:
    cit = item.citation or {}
    where = location_of(cit)
    section = cit.get("section") or item.topic
    snippet = (cit.get("snippet") or "").strip()
    if len(snippet) > 160:
        snippet = snippet[:157] + "…"
    place = " · ".join(x for x in (where, section) if x)
    return f"근거: “{snippet}” — {place}" if snippet else f"근거: {place}"


def grade(item: QuizItem, answer: str, tuning: QuizSettings | None = None) -> Grade:
    """Grade one answer. Multiple choice and true/false: the choice's number, letter or text.
    Short answer and cloze: spacing, case, particles (조사), Hangul/English spellings
    (``파드``/``Pod``) and small typos are forgiven; a sibling term is always wrong."""
    given = normalize(answer or "")
    expected = item.answer
    shown = expected
    alts = [a for a in item.accepted if compact(a) != compact(expected)]
    if alts:
        shown = f"{expected} ({', '.join(alts)})"
    correct, score, note = False, 0.0, ""
    if not given.strip():
        note = "답을 입력하지 않았습니다."
    elif item.type in ("mc", "tf") and item.choices:
        idx = _choice_index(item, given)
        correct = idx is not None and item.choices[idx] == expected
        score = 1.0 if correct else 0.0
        if idx is not None and not correct:
            note = f"고른 답: {item.choices[idx]}."
        elif idx is None:
            note = (
                "참/거짓(또는 O/X, 1/2)으로 답하세요."
                if item.type == "tf"
                else f"보기 번호(1–{len(item.choices)})나 보기의 말로 답하세요."
            )
    else:
        correct, score, note = _grade_text(item, given, tuning or QuizSettings())
    if correct:
        head = "정답입니다!" if score >= 1.0 else f"정답으로 인정합니다 (정확한 표기: {expected})."
    else:
        head = f"틀렸습니다. 정답: {shown}."
    parts = [head]
    if note:
        parts.append(note)
    if item.explanation:
        parts.append(f"설명: {item.explanation}")
    parts.append(_source_line(item))
    return Grade(correct, score, "\n".join(parts), expected)


def _grade_text(item: QuizItem, given: str, tuning: QuizSettings) -> tuple[bool, float, str]:
    given_forms = _forms(given)
    accepted = list(dict.fromkeys([item.answer, *item.accepted]))
    for spelling in accepted:
        if given_forms & _forms(spelling):
            return True, 1.0, ""
    confusables = [
        c for c in item.confusables if not any(compact(c) == compact(a) for a in accepted)
    ]
    for other in confusables:
        if given_forms & _forms(other):
            return (
                False,
                0.0,
                f"‘{given.strip()}’{'은' if has_batchim(given.strip()) else '는'} "
                f"이 설명과 다른 개념입니다.",
            )

    def best(names: list[str]) -> float:
        return max(
            (
                difflib.SequenceMatcher(None, jamo(g), jamo(f)).ratio()
                for g in given_forms
                for n in names
                for f in _forms(n)
            ),
            default=0.0,
        )

    target = max(len(compact(a)) for a in accepted)
    if target >= tuning.min_typo_chars:
        near = best(accepted)
        digits_ok = any(
            DIGITS.findall(compact(given)) == DIGITS.findall(compact(a)) for a in accepted
        )
        if near >= tuning.typo_ratio and digits_ok and near > best(confusables):
            return True, 0.9, f"철자가 조금 다릅니다 (입력: {given.strip()})."
    return False, 0.0, ""
