"""Grading (rag/quiz/grade.py): tolerant of spelling, strict about concepts, over items
generated from a real index of the seed note."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from rag.config import QuizSettings
from rag.quiz import QuizItem, grade
from rag.text import compact
from tests.quiz_helpers import jamo_ratio, one

# The shared quiz fixtures (seed_store, pool, quiz_settings).
pytest_plugins = ("tests.quiz_fixtures",)


@pytest.mark.parametrize("answer", ["파드", "Pod", "pod", "파드는", "파 드", "Pod입니다", "파드를"])
def test_short_answer_accepts_variants(pool: list[QuizItem], answer: str) -> None:
    item = one(pool, answer="파드", type="short")
    assert item.accepted[:2] == ["파드", "Pod"]
    result = grade(item, answer)
    assert result.correct and result.score == 1.0, (answer, result.feedback)


@pytest.mark.parametrize("answer", ["레플리카셋", "서비스", "파", "", "컨테이너"])
def test_short_answer_rejects_wrong_and_sibling_terms(pool: list[QuizItem], answer: str) -> None:
    result = grade(one(pool, answer="파드", type="short"), answer)
    assert not result.correct and result.score == 0.0 and result.expected == "파드"


def test_small_typos_pass_but_never_a_sibling(pool: list[QuizItem]) -> None:
    deploy = one(pool, answer="디플로이먼트", type="short")
    typo = grade(deploy, "디플로이먼드")
    assert typo.correct and 0 < typo.score < 1 and "철자" in typo.feedback
    assert grade(deploy, "deploymnet").correct
    type1 = one(pool, answer="Type 1 하이퍼바이저", type="short")
    assert grade(type1, "type1 하이퍼바이저").correct
    assert grade(type1, "bare-metal hypervisor").correct
    assert not grade(type1, "Type 2 하이퍼바이저").correct  # ratio 0.95, still a sibling
    assert not grade(type1, "Type 3 하이퍼바이저").correct  # a different number is no typo
    sibling = grade(one(pool, answer="파드", type="short"), "레플리카셋")
    assert "다른 개념" in sibling.feedback


def test_typo_tolerance_comes_from_settings(pool: list[QuizItem]) -> None:
    deploy = one(pool, answer="디플로이먼트", type="short")
    assert grade(deploy, "디플로이먼드", QuizSettings()).correct
    assert not grade(deploy, "디플로이먼드", QuizSettings(typo_ratio=0.99)).correct
    # Below min_typo_chars only exact spellings count: the typo is no longer forgiven.
    assert not grade(deploy, "디플로이먼드", QuizSettings(min_typo_chars=20)).correct
    assert grade(deploy, "디플로이먼트", QuizSettings(typo_ratio=0.99)).correct


def test_aliases_come_from_heading_patterns(pool: list[QuizItem]) -> None:
    k8s = next(i for i in pool if i.answer == "쿠버네티스" and i.type in ("short", "cloze"))
    assert {"Kubernetes", "k8s"} <= set(k8s.accepted)
    assert grade(k8s, "K8s").correct and grade(k8s, "kubernetes는").correct


def test_multiple_choice_and_true_false_grading(pool: list[QuizItem]) -> None:
    mc = one(pool, answer="파드", type="mc", generator="definition")
    at = mc.choices.index("파드")
    for reply in (str(at + 1), "abcd"[at], "ABCD"[at], "①②③④"[at], "파드", "Pod", " 파드 "):
        assert grade(mc, reply).correct, reply
    wrong = (at + 1) % 4
    result = grade(mc, str(wrong + 1))
    assert not result.correct and mc.choices[wrong] in result.feedback
    tf = next(i for i in pool if i.type == "tf")
    right, other = ("참", "거짓") if tf.answer == "참" else ("거짓", "참")
    assert grade(tf, right).correct and not grade(tf, other).correct
    assert grade(tf, "O" if right == "참" else "X").correct
    assert grade(tf, "1" if right == "참" else "2").correct


def test_feedback_quotes_the_source_and_where_it_is(pool: list[QuizItem]) -> None:
    item = one(pool, answer="파드", type="short")
    feedback = grade(item, "모르겠어요").feedback
    assert feedback.startswith("틀렸습니다. 정답: 파드 (Pod).")
    assert (
        "근거: “쿠버네티스에서 생성하고 관리할 수 있는 배포 가능한 가장 작은 컴퓨팅 단위”"
        in feedback
    )
    assert "2025-02-11.md:75-77" in feedback and "쿠버네티스 구성 요소 > 파드(Pod)" in feedback
    assert grade(item, "파드").feedback.startswith("정답입니다!")


@hyp_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=30))
def test_grading_never_crashes_and_never_accepts_nonsense(pool: list[QuizItem], text: str) -> None:
    item = one(pool, answer="레플리카셋", type="short")
    result = grade(item, text)
    assert isinstance(result.feedback, str) and 0.0 <= result.score <= 1.0
    if result.correct:  # only a spelling of the answer (particles may follow), or a near one
        given = compact(text)
        best = max(
            jamo_ratio(given[:end], spelling)
            for end in range(1, len(given) + 1)
            for spelling in item.accepted
        )
        assert best >= QuizSettings().typo_ratio
