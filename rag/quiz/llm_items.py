"""Quiz items written by an LLM (``settings.llm``), kept only when grounded.

A structured-output chain writes items from one chunk at a time; :func:`validate_llm_item`
keeps an item only if it is well-formed and its answer (for true/false, its key term) is in
the chunk's text; the rule-based generator fills whatever is missing.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from rag.config import QuizSettings
from rag.index.store import body_of
from rag.quiz.analysis import Corpus
from rag.quiz.items import BLANK, TF_CHOICES, QuizItem, item_citation, item_id
from rag.quiz.pick import pick
from rag.quiz.prose import contains, good_sentence, near_duplicate, sentences
from rag.text import compact, normalize

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.runnables import Runnable


def _llm_schema():
    from pydantic import BaseModel, Field

    class LLMQuizItem(BaseModel):
        type: str = Field(description="mc | short | cloze | tf")
        question: str = Field(description="한국어 문제. cloze는 빈칸을 ____ 로 표시")
        choices: list[str] = Field(
            default_factory=list, description="mc: 보기 4개, tf: ['참', '거짓'], 그 외: []"
        )
        answer: str = Field(description="정답 (mc/tf는 choices 중 하나와 똑같이)")
        explanation: str = Field(default="", description="자료에 근거한 짧은 해설")
        key_term: str = Field(
            default="", description="문항이 묻는 핵심 용어 (자료에 그대로 있는 말)"
        )

    class LLMQuiz(BaseModel):
        items: list[LLMQuizItem] = Field(default_factory=list)

    return LLMQuiz


_LLM_SYSTEM = (
    "당신은 학생의 TIL(Today I Learned) 노트로 복습 퀴즈를 만드는 출제자입니다. "
    "주어진 자료에 명시된 사실만으로 문항을 만드세요. 자료에 없는 내용은 절대 쓰지 마세요."
)
_LLM_HUMAN = (
    '자료 (주제: {topic}):\n"""\n{text}\n"""\n\n'
    "위 자료로 문항 {k}개를 만드세요. 허용 유형: {types}.\n"
    "- mc: 보기 4개, 정답은 보기 중 하나와 글자까지 같게.\n"
    '- tf: choices는 ["참", "거짓"], answer는 둘 중 하나.\n'
    "- cloze: question에 빈칸 ____ 하나, answer는 빈칸에 들어갈 자료 속 단어.\n"
    "- short: 답이 한두 단어인 질문.\n"
    "- key_term: 문항이 묻는 핵심 용어, 자료에 쓰인 그대로.\n"
    "{format_instructions}"
)


def _llm_chain(model: BaseChatModel) -> Runnable:
    """Native structured output when the model has it (tool calling / JSON mode); otherwise
    JSON text parsed by a PydanticOutputParser (small local models, fake models)."""
    from langchain_core.output_parsers import PydanticOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    schema = _llm_schema()
    prompt = ChatPromptTemplate.from_messages([("system", _LLM_SYSTEM), ("human", _LLM_HUMAN)])
    try:
        structured = model.with_structured_output(schema)
    except (NotImplementedError, AttributeError, ValueError):
        parser = PydanticOutputParser(pydantic_object=schema)
        return prompt.partial(format_instructions=parser.get_format_instructions()) | model | parser
    return prompt.partial(format_instructions="") | structured


_BLANK_MARK = re.compile(r"_{2,}|\(\s*\)|\[\s*빈칸\s*\]|○○|□+")


_KIND_ALIASES = {
    "multiple_choice": "mc",
    "multiple-choice": "mc",
    "short_answer": "short",
    "true_false": "tf",
    "truefalse": "tf",
    "ox": "tf",
}
_TF_ANSWERS = {
    **dict.fromkeys(("참", "true", "o", "t", "맞다"), "참"),
    **dict.fromkeys(("거짓", "false", "x", "f", "틀리다"), "거짓"),
}


def validate_llm_item(raw: Any, doc: Document, types: list[str], corpus: Corpus) -> QuizItem | None:
    """Keep an LLM item only if it is well-formed and grounded: the answer (or, for true/false,
    the key term) appears in the source text; MC answers are among distinct choices."""
    data = raw.model_dump() if hasattr(raw, "model_dump") else dict(raw)
    kind = str(data.get("type", "")).strip().lower()
    kind = _KIND_ALIASES.get(kind, kind)
    question = normalize(str(data.get("question", "")))
    answer = normalize(str(data.get("answer", "")))
    if kind not in types or not question or not answer or len(question) > 500:
        return None
    checked = _grounded(
        kind,
        question,
        answer,
        normalize(str(data.get("key_term", ""))),
        [normalize(str(c)) for c in data.get("choices") or [] if str(c).strip()],
        doc,
    )
    if checked is None:
        return None
    question, answer, choices, term = checked
    snippet = next((s for s in sentences(doc) if contains(s, term)), body_of(doc)[:300])
    cid = doc.metadata["chunk_id"]
    return QuizItem(
        item_id("llm", kind, cid, question, answer),
        kind,
        question,
        answer,
        choices=choices,
        accepted=corpus.spellings(answer) if kind not in ("mc", "tf") else [answer],
        explanation=normalize(str(data.get("explanation", ""))) or snippet,
        citation=item_citation(doc, snippet),
        chunk_id=cid,
        topic=doc.metadata.get("section", ""),
        generator="llm",
        term=term,
    )


def _grounded(
    kind: str, question: str, answer: str, key: str, choices: list[str], doc: Document
) -> tuple[str, str, list[str], str] | None:
    """(question, answer, choices, term) after the checks of ``kind``, or ``None``."""
    # The heading breadcrumb counts as source: a note defines "파드" by its heading.
    text = doc.page_content
    if kind == "tf":
        answer = _TF_ANSWERS.get(answer.casefold(), "")
        if not answer or not key or not contains(text, key):
            return None
        return question, answer, list(TF_CHOICES), key
    if not contains(text, answer):
        return None
    term = answer  # as written: an MC answer given by number is grounded as that number
    if kind == "mc":
        if len(choices) == 4 and answer not in choices and answer.isdigit():
            answer = choices[int(answer) - 1] if 1 <= int(answer) <= 4 else answer
        distinct = {compact(c) for c in choices}
        if not 3 <= len(choices) <= 5 or len(distinct) != len(choices) or answer not in choices:
            return None
        if any(near_duplicate(c, answer) for c in choices if c != answer):
            return None
        return question, answer, choices, term
    if kind == "cloze":
        if not _BLANK_MARK.search(question) or contains(_BLANK_MARK.sub("", question), answer):
            return None
        question = _BLANK_MARK.sub(BLANK, question, count=1)
    return question, answer, [], term


def llm_items(
    model: BaseChatModel,
    corpus: Corpus,
    docs: list[Document],
    n: int,
    types: list[str],
    rng: random.Random,
    taken: list[QuizItem],
    tuning: QuizSettings | None = None,
) -> tuple[list[QuizItem], str]:
    """Up to ``n`` validated LLM items from ``docs`` (shuffled), none repeating ``taken``,
    and a note saying how many fell short and why."""
    tuning = tuning or QuizSettings()
    chain = _llm_chain(model)
    prose = [d for d in docs if sum(1 for s in sentences(d) if good_sentence(s)) >= 1]
    rng.shuffle(prose)
    items: list[QuizItem] = []
    calls = failures = dropped = 0
    for doc in prose[: max(tuning.llm_min_chunks, tuning.llm_chunks_per_item * n)]:
        if len(items) >= n:
            break
        calls += 1
        k = min(tuning.llm_items_per_call, n - len(items))
        try:
            out = chain.invoke(
                {
                    "topic": doc.metadata.get("section", ""),
                    "text": body_of(doc),
                    "k": k,
                    "types": ", ".join(types),
                }
            )
        except Exception:  # noqa: BLE001 - any model/parse failure means "unusable output"
            failures += 1
            continue
        raw_items = getattr(out, "items", None)
        if raw_items is None and isinstance(out, dict):
            raw_items = out.get("items", [])
        for raw in raw_items or []:
            item = validate_llm_item(raw, doc, types, corpus)
            if item is None:
                dropped += 1
                continue
            picked = pick([item], 1, rng, [*taken, *items], tuning.note_weight)
            items.extend(picked[:1])
            if len(items) >= n:
                break
    note = ""
    if len(items) < n:
        note = (
            f"LLM 문항 {len(items)}개 (검증 탈락 {dropped}, 실패한 호출 {failures}/{calls}); "
            f"나머지는 규칙 기반으로 채웠습니다. (LLM wrote {len(items)} valid items; "
            f"the rest are rule-based.)"
        )
    return items, note
