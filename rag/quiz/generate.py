"""Quiz generation: facts (:mod:`rag.quiz.facts`) made into items, and :func:`generate_quiz`,
which puts due reviews first and fills the rest with new items.

Without an LLM (the default) the items come from the structure of the material:

- **definition** facts are asked as multiple choice (distractors: sibling terms first), short
  answer, or true/false (the false statement is the definition given to a sibling term);
- **cloze** facts as a sentence with its key term blanked;
- **contrast** facts as "which of these sibling sections does this sentence describe?".

With ``settings.llm`` set, :mod:`rag.quiz.llm_items` writes items instead and the rules fill
any gap. :data:`ITEM_MAKERS` is the table of rule-based generators.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from rag.config import QuizSettings, Settings
from rag.index.store import ChunkStore
from rag.quiz.analysis import Corpus, corpus_for
from rag.quiz.facts import Fact
from rag.quiz.items import TF_CHOICES, QuizBatch, QuizItem, check_types, item_citation, item_id
from rag.quiz.llm_items import llm_items
from rag.quiz.pick import pick
from rag.quiz.prose import SEP, SUBJECT_PARTICLE, contains, mask, near_duplicate, split_label
from rag.quiz.quality import flaws
from rag.quiz.review import ReviewStore
from rag.quiz.topics import select_chunks
from rag.structure import is_structural
from rag.text import josa

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

_SUBJECT_PAIRS = {"은": "은/는", "는": "은/는", "이란": "이란/란", "란": "이란/란"}


# ------------------------------------------------------------------------ item making


class _Maker:
    """What every item of one fact shares: its id parts, citation, context and seeded rng."""

    def __init__(self, fact: Fact, seed: str, template: frozenset[str] = frozenset()) -> None:
        self.fact = fact
        self.rng = random.Random(f"{seed}\x1f{fact.doc.metadata['chunk_id']}\x1f{fact.answer}")
        self.cid = fact.doc.metadata["chunk_id"]
        self.base: dict[str, Any] = dict(
            explanation=fact.explanation,
            citation=item_citation(fact.doc, fact.sentence),
            chunk_id=self.cid,
            topic=fact.topic,
            generator=fact.generator,
            term=fact.answer,
            confusables=[c for c in fact.confusables if not near_duplicate(c, fact.answer)],
        )
        self.ctx = _context(fact, template)

    def make(self, tag: str, kind: str, question: str, **fields: Any) -> QuizItem:
        """An item asking for ``fact.answer``; ``fields`` add to or override ``base``."""
        fact = self.fact
        return QuizItem(
            item_id(tag, self.cid, fact.prompt, fact.answer),
            kind,
            question,
            fact.answer,
            accepted=fact.accepted,
            **{**self.base, **fields},
        )


def _context(fact: Fact, template: frozenset[str] = frozenset()) -> str:
    """``[쿠버네티스 구성 요소]``: where the fact lives, unless that gives the answer away."""
    parts = [p for p in fact.topic.split(SEP) if p]
    if fact.term is not None and parts and any(contains(parts[-1], n) for n in fact.accepted):
        parts = parts[:-1]
    # The journal's template ("새로 배운 내용") and furniture headings say nothing about where.
    parts = [p for p in parts if not is_structural(split_label(p)[0], template)]
    # A page title says where a reference fact comes from; a note's title is often a
    # template name ("TIL Template") and says nothing.
    meta = fact.doc.metadata
    fallback = meta.get("title", "") if meta.get("kind") == "reference" else ""
    ctx = parts[-1] if parts else fallback
    if not ctx or any(contains(ctx, n) for n in fact.accepted):
        return ""
    return f"[{ctx}] "


def _cloze_items(m: _Maker, types: Sequence[str]) -> list[QuizItem]:
    if "cloze" not in types:
        return []
    q = f"빈칸에 들어갈 말은? {m.ctx}".rstrip() + f"\n{m.fact.prompt}"
    return [m.make("cloze", "cloze", q)]


def _contrast_items(m: _Maker, types: Sequence[str]) -> list[QuizItem]:
    if "mc" not in types:
        return []
    fact = m.fact
    group = (
        fact.group
        if len(fact.group) <= 4
        else [fact.answer, *m.rng.sample([g for g in fact.group if g != fact.answer], 3)]
    )
    choices = list(group)
    m.rng.shuffle(choices)
    names = group if len(group) > 2 else [josa(group[0], "과/와"), group[1]]
    q = (
        f"{' '.join(names) if len(group) == 2 else ', '.join(names)} 중 다음 설명에 "
        f"해당하는 것은?\n“{fact.prompt}”"
    )
    return [m.make("contrast", "mc", q, choices=choices)]


def _definition_items(m: _Maker, types: Sequence[str]) -> list[QuizItem]:
    fact = m.fact
    out: list[QuizItem] = []
    noun = "용어" if fact.term and fact.term.form != "explain" else "것"
    if "mc" in types and len(fact.distractors) >= 3:
        # Siblings are the instructive distractors ("which of these parts is it?"): use only
        # them when there are enough, else all of them plus the nearest of the next tier.
        sib, rest = fact.distractors[: fact.n_siblings], fact.distractors[fact.n_siblings :]
        picks = (
            m.rng.sample(sib, 3)
            if len(sib) >= 3
            else sib + m.rng.sample(rest[: max(3, 3 - len(sib) + 2)], 3 - len(sib))
        )
        choices = [fact.answer, *picks]
        m.rng.shuffle(choices)
        q = f"{m.ctx}다음 설명에 해당하는 {josa(noun, '은/는')}?\n“{fact.prompt}”"
        confusables = list(dict.fromkeys([*m.base["confusables"], *picks]))
        out.append(m.make("definition-mc", "mc", q, choices=choices, confusables=confusables))
    if "short" in types:
        q = f"{m.ctx}다음 설명에 해당하는 {josa(noun, '을/를')} 쓰세요.\n“{fact.prompt}”"
        out.append(m.make("definition-short", "short", q))
    if "tf" in types:
        out.append(_true_false(m))
    return out


def _true_false(m: _Maker) -> QuizItem:
    """True: the definition as written. False: the same definition given to a sibling term
    (so the student must know which concept it belongs to, not just that it sounds right)."""
    fact = m.fact
    assert fact.term is not None
    term = fact.term
    # Only a sibling makes an instructive false statement (two parts of one topic); a term
    # without siblings is asked as a true statement.
    siblings = [d for d in fact.distractors[: fact.n_siblings] if d not in term.names]
    truth = not siblings or m.rng.random() < 0.5
    shown = fact.answer if truth else m.rng.choice(siblings[:3])
    statement = _statement(fact, shown)
    answer = "참" if truth else "거짓"
    if truth:
        why = f"참입니다. {term.label}: {fact.sentence}"
    else:
        why = (
            f"거짓입니다. 이 설명은 {josa(shown, '이/가')} 아니라 {term.name}에 대한 것입니다. "
            f"{term.label}: {fact.sentence}"
        )
    return QuizItem(
        item_id("tf", m.cid, statement, answer),
        "tf",
        f"참/거짓: {statement}",
        answer,
        choices=list(TF_CHOICES),
        accepted=[answer],
        shown=shown,
        **{**m.base, "generator": "truefalse", "explanation": why, "confusables": []},
    )


_LEADING_SEPARATOR = re.compile(r"^[\s:：\-–—→=]+")


def _statement(fact: Fact, shown: str) -> str:
    """The definition sentence said of ``shown``, in the form the source sentence has."""
    assert fact.term is not None
    term, sentence = fact.term, fact.sentence
    if term.form == "subject":
        for name in term.names:
            if sentence.startswith(name):
                rest = sentence[len(name) :]
                particle = SUBJECT_PARTICLE.match(rest)
                if particle:
                    tail = rest[particle.end(1) :]
                    pair = _SUBJECT_PAIRS.get(particle.group(1))
                    return (josa(shown, pair) if pair else shown + particle.group(1)) + tail
                break
    # A definition written "페르소나 : 서비스를 …" keeps the separator in front of its text.
    said = _LEADING_SEPARATOR.sub("", mask(sentence, term.names))
    if term.form == "noun":
        return f"{josa(shown, '은/는')} ‘{said}’이다."
    return f"다음은 ‘{shown}’에 대한 설명이다. — {said}"


# Rule-based generators: a fact's kind -> the items made from it.
ITEM_MAKERS: dict[str, Callable[[_Maker, Sequence[str]], list[QuizItem]]] = {
    "cloze": _cloze_items,
    "contrast": _contrast_items,
    "definition": _definition_items,
}


def items_for(
    fact: Fact,
    types: Sequence[str],
    seed: str,
    template: frozenset[str] = frozenset(),
    min_choices: int = QuizSettings.min_choices,
) -> list[QuizItem]:
    """Every item of the requested ``types`` that ``fact`` supports, reproducible by seed.
    A multiple-choice item with fewer than ``min_choices`` options is no real choice."""
    items = ITEM_MAKERS[fact.generator](_Maker(fact, seed, template), types)
    out = []
    for item in items:
        if item.type == "mc" and len(item.choices or []) < min_choices:
            if item.generator != "contrast" or "short" not in types:
                continue
            # "A와 B 중 …?" names its options in the stem: asked as a short answer, it is a
            # real question instead of a coin toss.
            item = replace(item, type="short", choices=[], id=f"{item.id}-short")
        out.append(item)
    return out


# ---------------------------------------------------------------------- generation


def candidate_items(
    store: ChunkStore,
    settings: Settings | None = None,
    topic: str = "",
    types: Sequence[str] | None = None,
    seed: int | str | None = 0,
    checked: bool = True,
) -> list[QuizItem]:
    """Every rule-based item the material supports (all types, all generators), in corpus
    order; the pool :func:`generate_quiz` samples from. Deterministic for a given seed.
    ``checked=False`` keeps the items :mod:`rag.quiz.quality` rejects (the quiz bench
    reports how many there are)."""
    docs, _ = select_chunks(store, topic)
    corpus = corpus_for(store, settings)
    return _candidates(corpus, docs, check_types(types), str(seed), checked=checked)


def _candidates(
    corpus: Corpus,
    docs: list[Document],
    types: list[str],
    seed: str,
    enough: int | None = None,
    checked: bool = True,
) -> list[QuizItem]:
    """Items from ``docs`` in order, without the ones that break a quality rule; with
    ``enough``, stop once that many distinct facts are found (a 10-item quiz over 500 chunks
    need not analyse all of them: Kiwi is the cost)."""
    items: list[QuizItem] = []
    template, tuning = corpus.table.template, corpus.table.tuning

    def good(fact: Fact) -> list[QuizItem]:
        made = items_for(fact, types, seed, template, tuning.min_choices)
        return [i for i in made if not checked or not flaws(i, template, tuning, corpus.spellings)]

    for doc in docs:
        for fact in corpus.facts(doc, ("definition", "contrast")):
            items.extend(good(fact))
    if "cloze" not in types:
        return items
    found = 0
    for doc in docs:
        for fact in corpus.facts(doc, ("cloze",)):
            items.extend(good(fact))
            found += 1
        if enough is not None and found >= enough:
            break
    return items


def generate_quiz(
    store: ChunkStore,
    settings: Settings,
    topic: str = "",
    n: int = 5,
    types: list[str] | None = None,
    seed: int | None = None,
    *,
    llm: BaseChatModel | None = None,
    review: ReviewStore | None = None,
    include_due: bool = True,
    now: datetime | None = None,
) -> QuizBatch:
    """A quiz of up to ``n`` items on ``topic`` (see :func:`select_chunks`): items due for
    review first, then new ones. ``llm`` (or ``settings.llm``) switches to LLM-written items;
    ``seed`` makes the quiz reproducible."""
    types = check_types(types)
    n = max(1, int(n))
    rng = random.Random(seed)
    seed_tag = str(seed if seed is not None else rng.random())
    docs, how = select_chunks(store, topic)
    if not docs:
        what = (
            f"주제 ‘{topic}’에 해당하는 노트를 찾지 못했습니다"
            if topic
            else "색인에 노트가 없습니다"
        )
        eng = f"nothing in the notes matches topic '{topic}'" if topic else "the index is empty"
        return QuizBatch([], f"{what}. ({eng})", topic=topic)
    corpus = corpus_for(store, settings)
    due = _due_items(settings, docs, types, n, review, now) if include_due else []
    notes: list[str] = []
    fresh: list[QuizItem] = []
    model = llm if llm is not None else _settings_model(settings, notes)
    if model is not None and len(due) < n:
        fresh, llm_note = llm_items(
            model, corpus, docs, n - len(due), types, rng, due, settings.quiz
        )
        if llm_note:
            notes.append(llm_note)
    if len(due) + len(fresh) < n:
        # Chunks in a seeded random order, analysed until there is a comfortable choice.
        order = list(docs)
        rng.shuffle(order)
        want = n - len(due) - len(fresh)
        enough = max(settings.quiz.pool_factor * want, settings.quiz.pool_min)
        pool = _candidates(corpus, order, types, seed_tag, enough=enough)
        fresh += pick(pool, want, rng, [*due, *fresh], settings.quiz.note_weight)
    items = [*due, *fresh]
    message = " ".join([_summary(items, n, topic, how, len(due)), *notes])
    return QuizBatch(items, message, due=len(due), topic=topic)


def _due_items(
    settings: Settings,
    docs: list[Document],
    types: list[str],
    n: int,
    review: ReviewStore | None,
    now: datetime | None,
) -> list[QuizItem]:
    """Up to ``n`` scheduled items from these chunks and of these types, most overdue first."""
    reviews = review
    if reviews is None and settings.review_db and settings.review_db.exists():
        reviews = ReviewStore(settings.review_db)
    if reviews is None:
        return []
    ids = {d.metadata["chunk_id"] for d in docs}
    return [i for i in reviews.due(now) if i.chunk_id in ids and i.type in types][:n]


def _settings_model(settings: Settings, notes: list[str]) -> BaseChatModel | None:
    """The chat model ``settings.llm`` names, or ``None`` (with a note when it fails)."""
    if not settings.llm or settings.llm == "none":
        return None
    from rag.llm import get_chat_model

    try:
        return get_chat_model(settings)
    except Exception as exc:  # noqa: BLE001 - a broken LLM setting must not block quizzes
        notes.append(
            f"LLM을 쓸 수 없어 규칙 기반으로 만들었습니다 (LLM unavailable, rule-based: {exc})."
        )
        return None


def _summary(items: list[QuizItem], n: int, topic: str, how: str, due: int) -> str:
    scope = {"all": "전체 노트", "none": topic}.get(how, f"‘{topic}’")
    eng_scope = {"all": "all notes"}.get(how, f"'{topic}'")
    if not items:
        msg = (
            f"{scope}에서 문항으로 만들 만한 사실을 찾지 못했습니다 "
            f"(no quiz-worthy facts found in {eng_scope})."
        )
    elif len(items) < n:
        msg = (
            f"요청한 {n}문항 중 {len(items)}문항만 만들었습니다: {scope}의 자료에 서로 다른 "
            f"사실이 그만큼뿐입니다. (Only {len(items)} of {n} items: the material in "
            f"{eng_scope} has fewer distinct facts.)"
        )
    else:
        msg = f"{scope}에서 {len(items)}문항을 만들었습니다. ({len(items)} items from {eng_scope}.)"
    if due:
        msg += f" 복습할 문항 {due}개를 먼저 넣었습니다. ({due} due for review first.)"
    return msg


def is_supported(item: QuizItem, store: ChunkStore) -> bool:
    """The mechanical check: the cited chunk exists and its text contains the answer (for a
    true/false item, the term the statement is really about)."""
    doc = store.by_id.get(item.chunk_id)
    if doc is None:
        return False
    needle = item.term if item.type == "tf" else item.answer
    if not needle:
        return False
    text = doc.page_content
    # "유저 스페이스(User space) 프록시 모드" names "유저 스페이스 프록시 모드".
    return contains(text, needle) or contains(re.sub(r"\([^()]*\)", "", text), needle)
