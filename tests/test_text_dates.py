"""rag/text/dates.py: the ways a question names a day, a span, a week or a month."""

from __future__ import annotations

from datetime import date

import pytest

from rag.text.dates import DATE_WORDS, find_dates, strip_dates, week_of_month

ANCHOR = date(2025, 8, 25)  # the newest note of a journal


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("3월 4일에 뭘 배웠지?", "2025-03-04", "2025-03-04"),
        ("What did I study on Feb 22?", "2025-02-22", "2025-02-22"),
        ("April 4, 2025에 공부한 것", "2025-04-04", "2025-04-04"),
        ("the 4th of April", "2025-04-04", "2025-04-04"),
        ("2025-06-12 내용 정리해 줘", "2025-06-12", "2025-06-12"),
        ("2025년 2월 11일에 배운 것", "2025-02-11", "2025-02-11"),
        ("6/17에 배운 거", "2025-06-17", "2025-06-17"),
        ("3.4에 뭐 배웠어?", "2025-03-04", "2025-03-04"),
        ("3. 4. 공부한 것", "2025-03-04", "2025-03-04"),
        ("3월 4일부터 3월 10일까지 배운 것", "2025-03-04", "2025-03-10"),
        ("3월 4일부터 10일까지 배운 것", "2025-03-04", "2025-03-10"),
        ("3월 4일~10일에 공부한 거", "2025-03-04", "2025-03-10"),
        ("What did I learn between March 4 and March 10?", "2025-03-04", "2025-03-10"),
        ("What did I study March 4-10?", "2025-03-04", "2025-03-10"),
        ("3월 4일-5번 문제", "2025-03-04", "2025-03-04"),  # a problem number, not a day
        ("2월 둘째 주에 배운 내용", "2025-02-10", "2025-02-16"),
        ("What did I learn in the second week of February?", "2025-02-10", "2025-02-16"),
        ("이번 주에 공부한 것", "2025-08-25", "2025-08-31"),
        ("지난주에 뭐 했지", "2025-08-18", "2025-08-24"),
        ("3월에 배운 것들", "2025-03-01", "2025-03-31"),
        ("What did I learn in March?", "2025-03-01", "2025-03-31"),
        # Counted back from the newest note, as "this week" is
        ("오늘 배운 거 정리해줘", "2025-08-25", "2025-08-25"),
        ("어제 뭘 배웠지?", "2025-08-24", "2025-08-24"),
        ("그저께 공부한 내용", "2025-08-23", "2025-08-23"),
        ("3일 전에 배운 것", "2025-08-22", "2025-08-22"),
        ("What did I learn yesterday?", "2025-08-24", "2025-08-24"),
        ("What did I study today?", "2025-08-25", "2025-08-25"),
        ("2 days ago", "2025-08-23", "2025-08-23"),
        ("2주 전에 뭐 했지?", "2025-08-11", "2025-08-17"),
        ("이번 달에 배운 것", "2025-08-01", "2025-08-31"),
        ("지난달에 뭘 배웠어?", "2025-07-01", "2025-07-31"),
        ("지난 주말에 뭐 공부했지?", "2025-08-23", "2025-08-24"),  # not "지난 주"
        ("주말에 공부한 내용", "2025-08-23", "2025-08-24"),  # the latest weekend begun
        ("이번 주말", "2025-08-30", "2025-08-31"),
        ("What did I study last weekend?", "2025-08-23", "2025-08-24"),
        ("What did I study last month?", "2025-07-01", "2025-07-31"),
    ],
)
def test_date_forms(question: str, start: str, end: str) -> None:
    span = find_dates(question, ANCHOR)
    assert span is not None and (span.start, span.end) == (start, end)


def test_a_day_without_year_is_the_latest_one_not_after_the_anchor() -> None:
    assert find_dates("12월 24일", ANCHOR).start == "2024-12-24"  # type: ignore[union-attr]
    assert find_dates("8월 1일", ANCHOR).start == "2025-08-01"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "question",
    [
        "TCP 3-way handshake란?",
        "제2정규형이란?",
        "HTTP/1.1과 HTTP/2 차이",
        "이번에 배운 락",
        "TLS 1.3에서 바뀐 점",
        "쿠버네티스 1.30에서 추가된 기능",
        "쿠버네티스 1.30 버전의 기능",
        "v1.2 릴리스",
        "1.5배 빨라지는 이유",
        "오늘날 웹 표준은?",
        "What is used today for caching?",
        "파일 전부를 묶는 기술",
    ],
)
def test_no_date_in_ordinary_questions(question: str) -> None:
    assert find_dates(question, ANCHOR) is None


def test_weeks_of_a_month_hold_its_first_thursday() -> None:
    # 1 Feb 2025 is a Saturday: week 1 starts on Monday 3 Feb.
    assert week_of_month(2025, 2, 1) == (date(2025, 2, 3), date(2025, 2, 9))
    # 1 May 2025 is a Thursday: week 1 starts on Monday 28 April.
    assert week_of_month(2025, 5, 1) == (date(2025, 4, 28), date(2025, 5, 4))


def test_strip_dates_leaves_the_topic_and_month_names_are_date_words() -> None:
    span = find_dates("Feb 22에 배운 리플로우", ANCHOR)
    assert strip_dates("Feb 22에 배운 리플로우", span).strip().endswith("리플로우")
    assert {"feb", "february", "march", "주"} <= DATE_WORDS


@pytest.mark.parametrize(
    ("question", "day", "said"),
    [
        # Beside a day, a weekday is part of the date, not a topic the notes lack.
        ("2월 23일 일요일에 정리한 내용 뭐였지?", "2025-02-23", "2월 23일 일요일"),
        ("3월 5일 (수) 배운 것", "2025-03-05", "3월 5일 (수)"),
        ("What did I learn on Feb 23 (Sun)?", "2025-02-23", "Feb 23 (Sun)"),
        ("What did I study on Sunday, Feb 23?", "2025-02-23", "Sunday, Feb 23"),
        # Alone it names the latest such day (ANCHOR is a Monday).
        ("금요일에 뭐 배웠어?", "2025-08-22", "금요일"),
        ("월요일에 배운 것", "2025-08-25", "월요일"),
        ("지난 월요일에 배운 것", "2025-08-18", "지난 월요일"),
        ("지난주 수요일에 공부한 내용", "2025-08-20", "지난주 수요일"),
        ("이번 주 월요일 TIL", "2025-08-25", "이번 주 월요일"),
        ("What did I learn last Friday?", "2025-08-22", "last Friday"),
        ("What did I study on Friday?", "2025-08-22", "on Friday"),
    ],
)
def test_weekdays(question: str, day: str, said: str) -> None:
    span = find_dates(question, ANCHOR)
    assert span is not None and (span.start, span.end, span.text) == (day, day, said)
    assert not set(strip_dates(question, span).lower().split()) & {"일요일", "sunday", "(sun)?"}


@pytest.mark.parametrize(
    "question", ["cron에서 일요일은 0이야 7이야?", "Sunday school이 뭐야?", "요일별 스케줄링이란?"]
)
def test_a_weekday_not_said_as_a_time_names_no_day(question: str) -> None:
    assert find_dates(question, ANCHOR) is None
