"""Facts worth a question, found in one chunk with the help of the :class:`TermTable`:

- **definition**: a term's definition with the term masked (its distractors: siblings first);
- **contrast**: sibling sections that share a word (``Type 1 하이퍼바이저`` / ``Type 2 …``), and
  the earliest sentence of one that the others do not share;
- **cloze**: a key sentence and the one key term to blank (a known term first, else a rare
  Kiwi noun; never a stopword).

A :class:`Fact` is what the item makers in :mod:`rag.quiz.generate` turn into questions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from langchain_core.documents import Document

from rag.index.store import body_of
from rag.quiz.items import BLANK, MASK
from rag.quiz.prose import (
    LATIN,
    NOUN_TAGS,
    SEP,
    contains,
    first_sentence,
    good_sentence,
    mask,
    morphs,
    sentences,
)
from rag.quiz.terms import Term, TermTable
from rag.text import ENGLISH_STOPWORDS, KOREAN_STOPWORDS, compact

# Nouns too vague to be worth a blank, on top of the retrieval stopwords.
_CLOZE_STOP = frozenset(
    """사용 경우 다음 이상 이하 하나 자체 기본 일반 가능 필요 방법 방식 부분 정도 상태
    위 아래 때문 모든 각 여러 다른 해당 이후 이전 현재 전체 대부분 예 예시 기능 정보
    내용 결과 시간 목록 이름 값 문서 페이지 가이드 사항 수준 단계 역할 과정 작업 구현
    구성 설정 관리 요청 처리 동작 정의""".split()
)
_WEAK_START = re.compile(
    r"^(이|그|이러한|이렇게|그러나|하지만|또한|따라서|그러면|이는|즉|예를 들어)\s"
)
_GENERIC_WORDS = frozenset({"의", "및", "와", "과", "the", "a", "of"})
_CONTENT_TAGS = {"NNG", "NNP", "SL", "VV", "VA", "XR"}


@dataclass
class Fact:
    generator: str  # definition | cloze | contrast
    term: Term | None
    answer: str
    accepted: list[str]
    doc: Document
    sentence: str  # unmasked source sentence (the citation snippet)
    prompt: str  # masked description, or the sentence with its blank
    topic: str
    explanation: str
    distractors: list[str] = field(default_factory=list)  # ordered: siblings first
    n_siblings: int = 0  # how many of ``distractors`` are siblings
    confusables: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)  # contrast: the names compared


# ---------------------------------------------------------------------------- definition


def definition_facts(table: TermTable, doc: Document) -> list[Fact]:
    out = [definition_fact(table, t) for t in table.defined_in(doc.metadata["chunk_id"])]
    return [f for f in out if f is not None]


def definition_fact(table: TermTable, term: Term) -> Fact | None:
    assert term.doc is not None
    prompt = mask(term.definition, table.spellings(term.name) + list(term.aliases))
    if any(contains(prompt, n) for n in term.names) or len(compact(prompt)) < 8:
        return None
    if prompt.count(MASK) > 1:
        return None  # "○○는 ○○에서 설명된…": the sentence defines the term by itself
    siblings = [t.name for t in table.siblings(term)]
    explanation = f"{term.label}: {term.definition}"
    if term.origin != "label":
        # The section goes on after its definition; one more sentence teaches more.
        sents = sentences(term.doc)
        at = sents.index(term.definition) if term.definition in sents else -1
        rest = [s for s in sents[at + 1 :] if good_sentence(s)]
        if rest:
            explanation += ("" if explanation.endswith((".", "!", "?")) else ".") + f" {rest[0]}"
    distractors = table.distractors(term)
    sibling_names = {compact(x) for x in siblings}
    return Fact(
        "definition",
        term,
        term.name,
        table.spellings(term.name),
        term.doc,
        term.definition,
        prompt,
        term.section,
        explanation,
        distractors=distractors,
        confusables=siblings,
        n_siblings=sum(1 for d in distractors if compact(d) in sibling_names),
    )


# ------------------------------------------------------------------------------ contrast


def contrast_facts(table: TermTable, doc: Document) -> list[Fact]:
    """Sibling sections sharing a word ("Type 1 하이퍼바이저" / "Type 2 하이퍼바이저"):
    ask which one a distinguishing sentence describes."""
    out: list[Fact] = []
    for term in table.headed_by(doc.metadata["chunk_id"]):
        group = _contrast_group(table, term)
        if len(group) < 2:
            continue
        others = [t for t in group if t is not term]
        names = [n for t in group for n in t.names]
        sent = _distinctive_sentence(doc, others, names)
        if sent is None:
            continue
        lines = [f"• {t.label}: {t.definition or first_sentence(t.docs)}" for t in group]
        out.append(
            Fact(
                "contrast",
                term,
                term.name,
                table.spellings(term.name),
                doc,
                sent,
                mask(sent, names),
                term.section,
                "\n".join(lines),
                distractors=[t.name for t in others],
                confusables=[t.name for t in others],
                group=[t.name for t in group],
            )
        )
    return out


def _distinctive_sentence(doc: Document, others: list[Term], names: list[str]) -> str | None:
    """The earliest sentence with 3+ content words the other sections lack, else the one
    with the most (at least 2)."""
    other_text = " ".join(body_of(d) for t in others for d in t.docs[:2])
    other_tokens = set(content_tokens(other_text))
    best: tuple[int, str] | None = None
    for sent in sentences(doc):
        if not good_sentence(sent):
            continue
        masked = mask(sent, names)
        if any(contains(masked, n) for n in names):
            continue
        distinct = len(set(content_tokens(sent)) - other_tokens)
        if distinct >= 3:
            return sent  # the earliest clearly distinctive sentence: usually the definition
        if distinct >= 2 and (best is None or distinct > best[0]):
            best = (distinct, sent)
    return best[1] if best else None


def _contrast_group(table: TermTable, term: Term) -> list[Term]:
    siblings = [t for t in table.terms if t.group == term.group and t.origin == "heading"]
    words = {w for w in _compact_words(term.name) if w not in _GENERIC_WORDS}
    if not term.section.count(SEP) and term.docs:
        # Top-level sections of a page all share its subject ("인그레스 리소스",
        # "인그레스 클래스", …); that word makes them a table of contents, not a contrast.
        words -= _compact_words(term.docs[0].metadata.get("title", ""))
    best: list[Term] = []
    for word in sorted(words):
        members = [t for t in siblings if word in _compact_words(t.name)]
        members = [t for t in members if first_sentence(t.docs)]
        if 2 <= len(members) <= 4 and len(members) > len(best):
            best = members
    return best


def _compact_words(name: str) -> set[str]:
    return {compact(w) for w in re.split(r"[\s()]+", name) if len(compact(w)) >= 2}


def content_tokens(text: str) -> list[str]:
    return [
        f.lower()
        for f, t in morphs(text)
        if t in _CONTENT_TAGS
        and len(f) > 1
        and f.lower() not in ENGLISH_STOPWORDS
        and f not in KOREAN_STOPWORDS
    ]


# --------------------------------------------------------------------------------- cloze


def cloze_facts(table: TermTable, doc: Document) -> list[Fact]:
    """The chunk's best sentences to blank: a strong key term, the opening sentence, no
    sentence that leans on the one before ("이는 …")."""
    scored: list[tuple[float, int, Fact]] = []
    section = doc.metadata.get("section", "")
    context = section.split(SEP)[-1] if section else doc.metadata.get("title", "")
    for i, sent in enumerate(sentences(doc)):
        if not good_sentence(sent) or not content_tokens(sent):
            continue
        blank = _blank(table, sent, context)
        if blank is None:
            continue
        surface, canonical, score = blank
        prompt = re.sub(re.escape(surface), BLANK, sent, flags=re.IGNORECASE)
        if contains(prompt, surface):
            continue
        s_score = score + (1.0 if i == 0 else 0.0) - (1.5 if _WEAK_START.match(sent) else 0.0)
        accepted = list(dict.fromkeys([surface, *table.spellings(canonical)]))
        fact = Fact(
            "cloze",
            None,
            surface,
            accepted,
            doc,
            sent,
            prompt,
            section,
            sent,
            confusables=table.siblings_of_name(canonical),
        )
        scored.append((s_score, -i, fact))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    return [f for _, _, f in scored[: table.tuning.cloze_per_chunk]]


def _blank(table: TermTable, sentence: str, context: str) -> tuple[str, str, float] | None:
    """The key term to blank: a known term (heading/label/bold) or a rare noun.
    Returns (surface in the sentence, canonical answer, score)."""
    n_docs = max(1, len(table.store.docs))
    low = sentence.casefold()
    best: tuple[float, str, str] | None = None
    known_spans: list[tuple[int, int]] = []
    for surface, canonical in table.known:
        pos = low.find(surface.casefold())
        if pos < 0 or not _word_at(low, pos, len(surface)):
            continue
        if any(a <= pos < b for a, b in known_spans):
            continue  # part of a longer known term already found
        known_spans.append((pos, pos + len(surface)))
        if contains(context, surface) or compact(surface) in _CLOZE_STOP:
            continue
        # Headings and labels are what the student chose to learn: they beat rare nouns.
        score = 10.0 + math.log((n_docs + 1) / (table.df(surface) + 1))
        if compact(surface) in table.bold:
            score += 2.0
        if best is None or score > best[0]:
            best = (score, sentence[pos : pos + len(surface)], canonical)
    for surface in _noun_runs(sentence):
        pos = low.find(surface.casefold())
        if any(a <= pos < b for a, b in known_spans) or _in_identifier(sentence, surface):
            continue
        key = compact(surface)
        # Two-syllable nouns are as often "나중"/"순서" as "격리"; only known terms or
        # longer nouns are worth a blank.
        if (
            len(key) < 3
            or key in _CLOZE_STOP
            or key in KOREAN_STOPWORDS
            or key in ENGLISH_STOPWORDS
            or key.isdigit()
            or contains(context, surface)
        ):
            continue
        idf = math.log((n_docs + 1) / (table.df(surface) + 1))
        if idf < 1.0:
            continue  # too common to be the point of the sentence
        score = idf + 0.05 * len(key)
        if best is None or score > best[0]:
            best = (score, surface, surface)
    if best is None:
        return None
    return best[1], best[2], best[0]


def _in_identifier(sentence: str, surface: str) -> bool:
    """``connection`` inside ``aws-load-balancer-connection-draining``, ``x`` in ``.spec.x``."""
    pos = sentence.find(surface)
    if pos < 0:
        return False
    before = sentence[pos - 1] if pos > 0 else " "
    end = pos + len(surface)
    after = sentence[end] if end < len(sentence) else " "
    return (
        before in "-._/"
        or after in "-_/"
        or (after == "." and end + 1 < len(sentence) and sentence[end + 1].isalnum())
    )


def _word_at(text: str, pos: int, length: int) -> bool:
    """A whole word starts at ``pos``: "Pod" in "Pod를" yes, in "PodTemplateSpec" no.
    Korean particles may follow a Hangul word; a Latin word must end at a non-letter."""
    if pos > 0 and text[pos - 1].isalnum():
        return False
    end = pos + length
    if end >= len(text) or not LATIN.match(text[end - 1]):
        return True
    return not (text[end].isascii() and text[end].isalnum())


def _noun_runs(sentence: str) -> list[str]:
    """Contiguous noun morphemes as they are written: Kiwi splits unknown loanwords
    ("파드" -> 파 + 드, "레플리카" -> 레플리 + 카), so adjacent noun pieces are rejoined. A run
    glued to a derivational suffix ("안정" + 적, "컨테이너" + 화) is no standalone noun."""
    runs: list[str] = []
    cursor = 0
    start = end = -1
    for form, tag in morphs(sentence):
        pos = sentence.find(form, cursor)
        if pos < 0:
            continue  # a contracted ending; it never belongs to a noun
        cursor = pos + len(form)
        if tag in NOUN_TAGS:
            if start >= 0 and pos == end:
                end = cursor
            else:
                if start >= 0:
                    runs.append(sentence[start:end])
                start, end = pos, cursor
            continue
        if start >= 0:
            if not (pos == end and tag in {"XSN", "XSV", "XSA"}):
                runs.append(sentence[start:end])
            start = end = -1
    if start >= 0:
        runs.append(sentence[start:end])
    return runs
