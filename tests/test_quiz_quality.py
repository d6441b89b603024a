"""rag/quiz/quality.py: each item-writing rule catches the flaw it names, and what the
generator serves passes them all, on the seed note and on a real journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import chunk_note
from ingest.notes import parse_note
from rag.config import Settings
from rag.index.store import ChunkStore
from rag.quiz import QuizItem, candidate_items
from rag.quiz.analysis import corpus_for
from rag.quiz.quality import Flaw, flaws, judge
from rag.structure import template_of

pytest_plugins = ("tests.quiz_fixtures",)

JOURNAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "realtil" / "notes"
TEMPLATE = frozenset({"학습목표", "오늘의회고"})
NOTE = {"kind": "note", "section": "스레드 > 스레드 풀"}


def _mc(question: str, answer: str, choices: list[str], **kw: object) -> QuizItem:
    return QuizItem("x", "mc", question, answer, choices=choices, citation=NOTE, **kw)


GOOD = _mc(
    "다음 설명에 해당하는 용어는?\n“한 번에 하나의 프로세스만 자원을 쓸 수 있는 조건”",
    "상호 배제",
    ["상호 배제", "환형 대기", "비선점", "점유 대기"],
)


@pytest.mark.parametrize(
    ("item", "flaw"),
    [
        (_mc(GOOD.question, "상호 배제", ["상호 배제", "환형 대기"]), Flaw.FEW_OPTIONS),
        (_mc(GOOD.question, "상호 배제", ["상호 배제", "상호배제", "비선점", "점유 대기"]),
         Flaw.DUPLICATE_OPTIONS),
        (_mc(GOOD.question, "상호 배제", ["상호 배제", "목표 1", "목표 2", "비선점"]),
         Flaw.DUPLICATE_OPTIONS),
        (_mc(GOOD.question, "상호 배제", ["상호 배제", "mutual exclusion", "비선점", "점유 대기"],
             accepted=["상호 배제", "mutual exclusion"]), Flaw.DUPLICATE_OPTIONS),
        (_mc(GOOD.question, "상호 배제",
             ["상호 배제", "자원을 쥔 채 다른 자원을 기다린다.", "비선점", "환형 대기"]),
         Flaw.MIXED_OPTIONS),
        (_mc("다음 중 상호 배제 조건을 뜻하는 것은?\n“상호 배제: 한 번에 하나만”", "상호 배제",
             GOOD.choices), Flaw.ANSWER_IN_STEM),
        (_mc("다음 설명에 해당하는 것은?\n“스레드를 미리 만들어 두고 재사용하는 풀”", "스레드 풀",
             ["스레드 풀", "뮤텍스", "세마포어", "모니터"]), Flaw.STEM_CLUE),
        (_mc(GOOD.question, "상호 배제", ["상호 배제", "학습 목표", "비선점", "점유 대기"]),
         Flaw.TEMPLATE_OPTION),
        (QuizItem("x", "tf", "참/거짓: 다음은 ‘데이터 무결성 보장’에 대한 설명이다. — 서명으로 "
                  "토큰의 무결성을 보장한다.", "참", choices=["참", "거짓"], citation=NOTE,
                  shown="데이터 무결성 보장"), Flaw.STEM_CLUE),
        (QuizItem("x", "short", "회의는 언제였나요?\n“스크럼”", "3월 4일 10시",
                  citation=NOTE), Flaw.LOGISTICS),
        (QuizItem("x", "short", "다음을 쓰세요.\n“…”", "회고",
                  citation={"kind": "note", "section": "오늘의 회고"}), Flaw.LOGISTICS),
        (QuizItem("x", "short", "다음 설명에 해당하는 것을 쓰세요.\n“…”",
                  "프로세스 스케줄링과 스레드 스케줄링의 차이", citation=NOTE), Flaw.HARD_TO_TYPE),
    ],
)
def test_each_rule_catches_its_flaw(item: QuizItem, flaw: Flaw) -> None:
    assert flaw in flaws(item, TEMPLATE)


def test_a_good_item_breaks_no_rule() -> None:
    assert flaws(GOOD, TEMPLATE) == []
    # The sentence lent to a sibling shares no word with it: nothing to read off.
    lent = QuizItem("x", "tf", "참/거짓: 다음은 ‘확장성’에 대한 설명이다. — 서명으로 토큰의 "
                    "무결성을 보장한다.", "거짓", choices=["참", "거짓"], citation=NOTE,
                    shown="확장성")
    assert flaws(lent, TEMPLATE) == []


def test_aliases_from_the_term_table_are_one_option() -> None:
    item = _mc(GOOD.question, "상호 배제", ["상호 배제", "스레드 풀", "thread pool", "비선점"])

    def spellings(name: str) -> list[str]:
        return ["스레드 풀", "thread pool"] if name in ("스레드 풀", "thread pool") else [name]

    assert Flaw.DUPLICATE_OPTIONS not in flaws(item, TEMPLATE)
    assert Flaw.DUPLICATE_OPTIONS in flaws(item, TEMPLATE, spellings=spellings)


def test_served_seed_items_pass_every_rule(seed_store: ChunkStore, seed_settings: Settings) -> None:
    template = template_of(seed_store, seed_settings.structure)
    spell = corpus_for(seed_store, seed_settings).spellings
    served = candidate_items(seed_store, seed_settings)
    assert len(served) >= 60
    assert judge(served, template, seed_settings.quiz, spell).pass_rate == 1.0


def test_real_journal_pool_is_mostly_good_and_flawed_items_are_not_served() -> None:
    if not JOURNAL.is_dir():
        pytest.skip(f"journal not found at {JOURNAL}")
    notes = sorted(JOURNAL.glob("2025-0[45]-*.md"))
    docs = [d for p in notes for d in chunk_note(parse_note(p, JOURNAL))]
    store = ChunkStore(docs, [[] for _ in docs])
    settings = Settings()
    template = template_of(store, settings.structure)
    spell = corpus_for(store, settings).spellings
    pool = candidate_items(store, settings, checked=False)
    report = judge(pool, template, settings.quiz, spell)
    # The generators themselves mostly write good items; the check removes the rest.
    assert report.n > 300 and report.pass_rate >= 0.8, report.to_dict()
    served = candidate_items(store, settings)
    assert len(served) == report.passed
    assert judge(served, template, settings.quiz, spell).pass_rate == 1.0
