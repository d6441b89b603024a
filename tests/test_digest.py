"""rag/digest.py through the Assistant, on notes of the real journal (../shared): a question
that names only a day gets that day's topics, cited, in date order."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ingest.chunking import chunk_note
from ingest.notes import parse_note
from rag.assistant import Assistant
from rag.config import Settings
from rag.index.store import ChunkStore
from rag.text import tokenize
from tests.checks import check_citations

JOURNAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "realtil" / "notes"


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """A lexical-only index of three weeks of the journal (the digest needs no vectors)."""
    if not JOURNAL.is_dir():
        pytest.skip(f"journal not found at {JOURNAL}")
    docs = []
    for path in sorted(JOURNAL.glob("2025-0[23]-*.md")):
        docs += chunk_note(parse_note(path, JOURNAL))
    index = tmp_path_factory.mktemp("journal") / "index"
    ChunkStore(docs, [tokenize(d.page_content) for d in docs]).save(index)
    return Assistant(Settings(corpus_dir=JOURNAL, index_dir=index))


@pytest.mark.parametrize(
    "question",
    [
        "3월 4일에 뭘 배웠지?",
        "What did I study on March 4?",
        "2025-03-04 공부 내용",
        # A weekday beside the day is part of the date, never a topic the notes lack.
        "3월 4일 화요일에 정리한 내용 뭐였지?",
        "What did I learn on Tuesday, March 4?",
    ],
)
def test_a_day_question_gets_that_days_topics(journal: Assistant, question: str) -> None:
    answer = journal.ask(question)
    assert answer.mode == "digest" and not answer.refused
    check_citations(answer.answer, answer.citations)
    assert {c.source for c in answer.citations} == {"2025-03-04.md"}
    labels = [c.section.split(" > ")[-1] for c in answer.citations]
    assert "정규화" in labels
    # The template is structure, never a topic of the day.
    assert not any(label in {"새로 배운 내용", "오늘의 회고"} for label in labels)


def test_a_week_is_listed_day_by_day(journal: Assistant) -> None:
    answer = journal.ask("2월 둘째 주에 배운 내용 정리해 줘")
    days = [c.source for c in answer.citations]
    assert days == sorted(days) and len(set(days)) >= 3
    assert all("2025-02-10" <= d[:10] <= "2025-02-16" for d in days)


def test_a_day_without_notes_is_said_plainly(journal: Assistant) -> None:
    answer = journal.ask("5월 1일에 뭘 배웠지?")
    assert answer.refused and "노트가 없습니다" in answer.answer and not answer.citations


def test_a_topic_with_a_date_is_a_question_not_a_digest(journal: Assistant) -> None:
    """A named topic keeps the ordinary answer path (restricted to that day)."""
    from rag.digest import is_digest_question
    from rag.text import find_dates

    question = "3월 4일에 배운 제2정규형이란?"
    assert not is_digest_question(question, find_dates(question))


def test_a_topic_explained_in_many_sections_is_listed_once_with_its_sub_headings(
    journal: Assistant,
) -> None:
    """A day that explains one concept in twenty sub-sections still shows its other topics:
    each topic once, its sub-headings named after it."""
    answer = journal.ask("3월 11일에 뭘 배웠지?")
    assert answer.mode == "digest"
    check_citations(answer.answer, answer.citations)
    topics = [c.section.split(" > ")[0] for c in answer.citations]
    assert len(topics) == len(set(topics)) and "JPA" in topics
    assert "스프링 AOP 주요 개념" in answer.answer and "N+1 문제" in answer.answer


def test_a_digest_sentence_is_prose_never_a_code_fence(journal: Assistant) -> None:
    answer = journal.ask("2월 15일에 뭘 배웠지?")
    assert answer.mode == "digest" and answer.citations
    assert "```" not in answer.answer


def test_a_journal_of_another_layout_is_indexed_by_day(tmp_path: Path) -> None:
    """Front matter, a Notion export (page id in the name, a "Created" property) and a title
    that is the day: each note is found by its day; a note with no day is reported."""
    from ingest.sync import sync_index
    from tests.notes_helpers import offline_settings, write_note

    corpus = tmp_path / "corpus"
    write_note(corpus, "queue.md", "---\ndate: 2025-03-04\n---\n# 큐\n\n## 큐\n선입선출이다.\n")
    write_note(
        corpus,
        "TIL 3월 5일 1a2b3c4d5e6f7890abcdef1234567890.md",
        "# TIL 3월 5일\n\nCreated: March 5, 2025 9:12 PM\n\n## 스택\n스택은 후입선출이다.\n",
    )
    write_note(corpus, "day.md", "# 2025년 3월 6일 (목)\n\n## 해시\n해시는 키로 값을 찾는다.\n")
    write_note(corpus, "misc.md", "# 메모\n\n## 정렬\n정렬은 순서대로 놓는 것이다.\n")
    settings = offline_settings(tmp_path, corpus)
    report = sync_index(settings)
    assert report.undated == ["misc.md"]
    assistant = Assistant(settings)
    for question, source, words in [
        ("3월 5일에 뭘 배웠지?", "TIL 3월 5일 1a2b3c4d5e6f7890abcdef1234567890.md", "후입선출"),
        ("What did I study on March 6?", "day.md", "해시"),
        ("2025-03-04 공부 내용", "queue.md", "선입선출이다"),
    ]:
        answer = assistant.ask(question)
        assert answer.mode == "digest" and not answer.refused, question
        assert [c.source for c in answer.citations] == [source], question
        assert words in answer.answer


def test_a_note_of_several_days_gives_each_section_its_own_day(tmp_path: Path) -> None:
    """A month's journal in one file, a heading per day: each day's digest lists that day's
    sections only, and the day heading is no topic."""
    from ingest.sync import sync_index
    from tests.notes_helpers import offline_settings, write_note

    corpus = tmp_path / "corpus"
    write_note(
        corpus,
        "2025-03.md",
        "# 3월 TIL\n\n## 3월 10일 (월)\n\n### 트라이\n트라이는 문자열을 접두사로 찾는다.\n\n"
        "## 3월 11일 (화)\n\n### 힙\n힙은 최솟값을 먼저 꺼낸다.\n\n### 트라이\n다시 복습했다.\n",
    )
    settings = offline_settings(tmp_path, corpus)
    sync_index(settings)
    assistant = Assistant(settings)
    first = assistant.ask("3월 10일에 뭘 배웠지?")
    assert first.mode == "digest" and "접두사" in first.answer and "최솟값" not in first.answer
    second = assistant.ask("3월 11일에 뭘 배웠어?")
    assert "최솟값" in second.answer and "접두사" not in second.answer
    assert "**3월 11일 (화)**" not in second.answer and "**힙**" in second.answer
    # The same sub-heading on two days is two sections, one per day; the day heading is the
    # chunk's date, not words of its text.
    store = assistant.store
    assert not any("3월 1" in d.page_content for d in store.docs)
    assert {d.metadata["date"] for d in store.docs if "트라이" in d.metadata["section"]} == {
        "2025-03-10",
        "2025-03-11",
    }


def test_a_day_that_lists_what_it_learned_under_its_template_shows_the_list(
    tmp_path: Path,
) -> None:
    """No topic headings: the day's items are under "배운 것", a heading every note has."""
    from tests.notes_helpers import write_note

    corpus = tmp_path / "corpus"
    for day in range(3, 9):
        write_note(
            corpus,
            f"2025-03-{day:02d}.md",
            f"# TIL\n\n## 배운 것\n- 개념{day}는 중요하다.\n- 다른 개념{day}도 배웠다.\n\n"
            f"## 회고\n오늘은 {day}일이다.\n",
        )
    write_note(
        corpus,
        "2025-03-09.md",
        "# TIL\n\n## 배운 것\n- 트라이는 접두사 검색에 쓴다.\n- 힙은 우선순위 큐를 만든다.\n"
        "- 해시는 키로 찾는다.\n- 정렬은 순서를 만든다.\n\n## 회고\n피곤했다.\n",
    )
    docs = []
    for path in sorted(corpus.glob("*.md")):
        docs += chunk_note(parse_note(path, corpus))
    index = tmp_path / "index"
    ChunkStore(docs, [tokenize(d.page_content) for d in docs]).save(index)
    answer = Assistant(Settings(corpus_dir=corpus, index_dir=index)).ask("3월 9일에 뭘 배웠어?")
    assert answer.mode == "digest"
    assert "접두사" in answer.answer and "우선순위 큐" in answer.answer and "키로" in answer.answer
    assert "순서를 만든다" not in answer.answer  # three items, then "…"
    check_citations(answer.answer, answer.citations)


def test_a_day_question_after_a_topic_question_is_still_that_days_digest(
    journal: Assistant,
) -> None:
    """A day question needs nothing of the conversation: it must not borrow the previous
    question's topic (and be refused when the day has none of it)."""
    history = [("정규화란?", journal.ask("정규화란?").answer)]
    for question in ("3월 5일에 뭘 배웠지?", "2025.03.05에 배운 거 정리해 줘"):
        answer = journal.ask(question, history=history)
        assert answer.mode == "digest" and not answer.refused, (question, answer.search_query)
        assert {c.source for c in answer.citations} == {"2025-03-05.md"}
    # "그날" still takes the day of the previous question.
    day = [("3월 5일에 뭘 배웠지?", "…")]
    answer = journal.ask("그날 뭘 배웠어?", history=day)
    assert answer.mode == "digest" and {c.source for c in answer.citations} == {"2025-03-05.md"}


def test_that_day_is_a_date_not_a_topic(journal: Assistant) -> None:
    """"그날 배운 정규화는 뭐야?" asks what 정규화 is, on the previous question's day: the
    day's words select the notes and are not a second topic beside 정규화."""
    answer = journal.ask("그날 배운 정규화는 뭐야?", history=[("3월 4일에 뭘 배웠지?", "…")])
    assert answer.citations and answer.citations[0].section == "정규화"
    assert {c.source for c in answer.citations} == {"2025-03-04.md"}


def test_a_topic_the_day_lacks_points_to_the_days_that_have_it(journal: Assistant) -> None:
    """Refused for the day asked, not for the whole journal: the student hears which days'
    notes do explain it (the scheduler is a 2월 6일 topic, not a 3월 4일 one)."""
    answer = journal.ask("3월 4일에 배운 스케줄러 내용 알려줘")
    assert answer.refused and not answer.citations
    assert answer.answer.startswith("2025-03-04 노트에는 없는 내용입니다")
    assert "다른 날의 노트에 있습니다: 2025-02-06" in answer.answer
    # Nowhere in the journal: no days to point to, and said as before.
    nowhere = journal.ask("3월 4일에 배운 Terraform 모듈 내용 알려줘")
    assert nowhere.refused and "다른 날" not in nowhere.answer
    assert nowhere.answer.startswith("노트에 없는 내용입니다")


def test_a_topic_asked_of_a_period_without_notes_says_where_it_came_from(
    journal: Assistant,
) -> None:
    """No notes in January: the answer comes from every note, and says so first."""
    answer = journal.ask("1월에 배운 정규화 내용 알려줘")
    assert not answer.refused and answer.citations
    assert answer.answer.startswith("(2025-01-01 ~ 2025-01-31에 쓴 노트가 없어")
    assert any(c.source == "2025-03-04.md" for c in answer.citations)


def test_a_refusal_suggests_topics_never_the_template(journal: Assistant) -> None:
    """The nearby topics a refusal offers are the notes' topics: a section headed by the
    journal's template ("새로 배운 내용", "오늘의 회고") is no topic to ask about."""
    from rag.answer.compose import refusal_answer
    from rag.answer.coverage import Coverage, Reason
    from rag.retrieval import Hit
    from rag.structure import is_template_section, template_of

    store = journal.store
    template = template_of(store, journal.settings.structure)
    sections = [s for s in store.sections if s[0] == "2025-02-06.md"]
    hits = [Hit(store.sections[s][0], 1.0, ()) for s in sections]
    coverage = Coverage([], [], [], 0.0, 0.0, Reason.LOW_SIMILARITY)
    tuning = replace(journal.thresholds, suggestion_window=len(hits), suggestions=len(hits))
    answer = refusal_answer("?", hits, coverage, tuning, template)
    assert answer.suggestions and "스케줄러" in answer.suggestions
    assert not {"새로 배운 내용", "오늘의 회고", "참고 자료 및 링크"} & set(answer.suggestions)
    # The note has such sections: the suggestions left them out.
    assert any(is_template_section(section, template) for _, section in sections)
    assert not any(" · " in s and s.startswith("새로 배운 내용") for s in answer.suggestions)
