"""Dates written in questions: the journal's index.

A question may name a day in many ways (``2025-03-04``, ``2025년 3월 4일``, ``3월 4일``,
``3/4``, ``Mar 4``, ``April 4, 2025``), a week (``이번 주``, ``지난주``, ``2월 둘째 주``,
``this week``), a month (``3월에``, ``in March``) or a span (``3월 4일부터 3월 10일까지``).
:func:`find_dates` turns it into a :class:`DateSpan` of ISO dates. A date without a year takes
the year of the journal's newest note on or before it (``anchor``), relative expressions count
from the anchor too: a journal's "this week" is the week its newest note was written in.

Weeks of a month follow the Korean convention (KS X ISO 8601): week 1 is the Monday-to-Sunday
week that holds the month's first Thursday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS_EN = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# Words of date expressions: never topics of a question (an English month is not a "term the
# notes lack"). Used by the coverage check and the digest intent.
DATE_WORDS = frozenset(
    {
        *MONTHS_EN,
        "week",
        "weeks",
        "weekend",
        "month",
        "day",
        "days",
        "today",
        "yesterday",
        "last",
        "this",
        "next",
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "st",
        "nd",
        "rd",
        "th",
        "on",
        "in",
        "during",
        "주",
        "주차",
        "이번",
        "지난",
        "지난주",
        "이번주",
        "저번",
        "저번주",
        "첫째",
        "둘째",
        "셋째",
        "넷째",
        "다섯째",
        "날",
        "그날",
        "오늘",
        "어제",
        "달",
        "월",
        "일",
        "년",
        "부터",
        "까지",
        "초",
        "말",
        "중순",
        "그저께",
        "그제",
        "주말",
        "이달",
        "전",
        "ago",
        *(f"{d}요일" for d in "월화수목금토일"),
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    }
)
_ORDINAL_KO = {"첫째": 1, "첫": 1, "둘째": 2, "셋째": 3, "넷째": 4, "다섯째": 5}
_ORDINAL_EN = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
}
_EN_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ymd", re.compile(r"(20\d{2})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*일?")),
    ("md_ko", re.compile(r"(?<!\d)(\d{1,2})\s*월\s*(\d{1,2})\s*일")),
    (
        "en_md",
        re.compile(_EN_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(20\d{2}))?(?!\d)", re.I),
    ),
    (
        "en_dm",
        re.compile(
            r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _EN_MONTH + r"(?:,?\s*(20\d{2}))?(?!\d)",
            re.I,
        ),
    ),
    ("md_slash", re.compile(r"(?<![\d/.])(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9])(?![\d/])")),
    # "3.4에", "3.4일", "3. 4." (Korean writes a day so). Not a version: never after a Latin
    # word ("TLS 1.3") or inside a word ("v1.2"), and without the closing dot only right
    # before 일/에/의/날 or the end, so "1.30에서 추가된", "1.30 버전", "1.5배" stay numbers.
    (
        "md_dot",
        re.compile(
            r"(?<![\w.])(?<![A-Za-z] )(1[0-2]|0?[1-9])\.\s?(3[01]|[12]\d|0?[1-9])"
            r"(?:\.(?!\d)|(?![\d.])(?=\s*(?:일|에(?!서)|엔|의|날|$|[?!,])))"
        ),
    ),
]
_WEEK_OF_MONTH_KO = re.compile(
    r"(?:(20\d{2})\s*년\s*)?(\d{1,2})\s*월\s*(첫째|첫|둘째|셋째|넷째|다섯째)\s*주"
)
_WEEK_OF_MONTH_EN = re.compile(
    r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th)\s+week\s+of\s+" + _EN_MONTH, re.I
)
_MONTH_KO = re.compile(r"(?:(20\d{2})\s*년\s*)?(?<!\d)(\d{1,2})\s*월(?!\s*\d)")
_MONTH_EN = re.compile(r"\b(?:in|during)\s+" + _EN_MONTH + r"(?:\s+(20\d{2}))?\b", re.I)
_THIS_WEEK = re.compile(r"이번\s*주|금주|this\s+week", re.I)
_LAST_WEEK = re.compile(r"지난\s*주|저번\s*주|last\s+week", re.I)
_WEEKEND = re.compile(r"(?:(지난|저번|last)\s*|(이번|this)\s*)?(?:주말|weekend)", re.I)
_THIS_MONTH = re.compile(r"이번\s*달|이달|this\s+month", re.I)
_LAST_MONTH = re.compile(r"지난\s*달|저번\s*달|last\s+month", re.I)
# Days counted back from the journal's newest note. "오늘날" (nowadays) is no day, nor an
# English "today" outside "what did I learn today" ("What is used today for …?").
_RELATIVE_DAYS: list[tuple[re.Pattern[str], int]] = [
    (re.compile(r"그저께|그제|the\s+day\s+before\s+yesterday", re.I), 2),
    (re.compile(r"어제|yesterday", re.I), 1),
    (
        re.compile(
            r"오늘(?!날)|\b(?:learn|learned|learnt|study|studied|write|wrote|cover|covered)\s+"
            r"(today)\b|\b(today)\b(?=\s*\?*$)",
            re.I,
        ),
        0,
    ),
]
# A weekday beside a day ("2월 23일 일요일", "3월 5일 (수)", "Sunday, Feb 23") is part of the
# date; alone ("월요일에", "지난 금요일", "last Friday") it names the latest such day.
_WEEKDAY_KO = "월화수목금토일"
_WEEKDAY_EN = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_EN_NAME = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_WEEKDAY_NEAR = (
    r"(?:\(\s*(?:[월화수목금토일](?:요일)?|" + _WEEKDAY_EN_NAME + r")\s*\)"
    r"|[월화수목금토일]요일|\b" + _WEEKDAY_EN_NAME + r"\b\.?)"
)
_WEEKDAY_AFTER = re.compile(r"\s*,?\s*" + _WEEKDAY_NEAR, re.I)
_WEEKDAY_BEFORE = re.compile(_WEEKDAY_NEAR + r"\s*,?\s*$", re.I)
# Without 지난/이번/last/this, only a weekday said as a time counts ("월요일에", "월요일날",
# "on Monday", or the question's end): "cron에서 일요일은 0이야?" names no day of the journal.
_WEEKDAY_ALONE = re.compile(
    r"(?:(?:(?P<last_week>지난\s*주|저번\s*주|last\s+week(?:'s)?)\s*"
    r"|(?P<this_week>이번\s*주|this\s+week(?:'s)?|this)\s*"
    r"|(?P<last>지난|저번|last)\s*)"
    r"(?:(?P<ko>[월화수목금토일])요일"
    r"|\b(?P<en>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b)"
    r"|(?P<ko_at>[월화수목금토일])요일(?=\s*(?:에|날|엔|의|$|[?!.,]))"
    r"|\bon\s+(?P<en_at>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b(?P<en_end>monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?=\s*[?!.]*$))",
    re.I,
)
_DAYS_AGO = re.compile(r"(?<!\d)(\d{1,2})\s*일\s*전|\b(\d{1,2})\s+days?\s+ago\b", re.I)
_WEEKS_AGO = re.compile(r"(?<!\d)(\d{1,2})\s*주\s*전|\b(\d{1,2})\s+weeks?\s+ago\b", re.I)
_SAME_MONTH_END = re.compile(
    r"\s*(?:~|–|—|-|부터|to|through|until)\s*(\d{1,2})(?:\s*일|(?:st|nd|rd|th)?\b)(?!\s*[월/.\d])",
    re.I,
)
_RANGE_SEP = re.compile(r"\s*(?:~|–|—|부터|에서|to|through|until|-)\s*")


@dataclass(frozen=True)
class DateSpan:
    start: str  # ISO date, inclusive
    end: str  # ISO date, inclusive
    text: str  # the words of the question that named it

    @property
    def single_day(self) -> bool:
        return self.start == self.end

    def contains(self, iso: str) -> bool:
        return bool(iso) and self.start <= iso <= self.end


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year_for(month: int, day: int, anchor: date) -> int:
    """The most recent year in which month/day is on or before the anchor."""
    year = anchor.year
    candidate = _safe(year, month, day)
    return year - 1 if candidate and candidate > anchor else year


def _days(text: str, anchor: date) -> list[tuple[int, int, date]]:
    """(start, end, day) for every day expression in ``text``."""
    found: list[tuple[int, int, date]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            g = m.groups()
            if kind == "ymd":
                y, mo, d = int(g[0]), int(g[1]), int(g[2])
            elif kind in ("md_ko", "md_slash", "md_dot"):
                mo, d = int(g[0]), int(g[1])
                y = _year_for(mo, d, anchor)
            elif kind == "en_md":
                mo, d = MONTHS_EN[g[0].lower().rstrip(".")], int(g[1])
                y = int(g[2]) if g[2] else _year_for(mo, d, anchor)
            else:  # en_dm
                d, mo = int(g[0]), MONTHS_EN[g[1].lower().rstrip(".")]
                y = int(g[2]) if g[2] else _year_for(mo, d, anchor)
            day = _safe(y, mo, d)
            if day:
                found.append((m.start(), m.end(), day))
                taken.append((m.start(), m.end()))
    return sorted(found)


def week_of_month(year: int, month: int, n: int) -> tuple[date, date] | None:
    """Monday..Sunday of the n-th week of a month (week 1 holds the first Thursday)."""
    first = date(year, month, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    monday = thursday - timedelta(days=3) + timedelta(weeks=n - 1)
    if monday.month != month and (monday + timedelta(days=3)).month != month:
        return None
    return monday, monday + timedelta(days=6)


def _week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _month(year: int, month: int) -> tuple[date, date]:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, 1), nxt - timedelta(days=1)


def _span(a: date, b: date, text: str) -> DateSpan:
    a, b = min(a, b), max(a, b)
    return DateSpan(a.isoformat(), b.isoformat(), text)


def _weeks_and_months(text: str, anchor: date) -> DateSpan | None:
    m = _WEEK_OF_MONTH_KO.search(text)
    if m:
        month = int(m.group(2))
        year = int(m.group(1)) if m.group(1) else _year_for(month, 1, anchor)
        week = week_of_month(year, month, _ORDINAL_KO[m.group(3)])
        return _span(*week, m.group(0)) if week else None
    m = _WEEK_OF_MONTH_EN.search(text)
    if m:
        month = MONTHS_EN[m.group(2).lower().rstrip(".")]
        year = _year_for(month, 1, anchor)
        week = week_of_month(year, month, _ORDINAL_EN[m.group(1).lower()])
        return _span(*week, m.group(0)) if week else None
    if m := _WEEKEND.search(text):
        # "이번 주말": this week's Saturday and Sunday; "지난 주말": the week before's; a bare
        # "주말": the latest weekend that has begun by the anchor.
        sunday = _week_of(anchor)[1]
        if m.group(1) or (not m.group(2) and anchor.weekday() < 5):
            sunday -= timedelta(days=7)
        return _span(sunday - timedelta(days=1), sunday, m.group(0))
    if m := _THIS_WEEK.search(text):
        return _span(*_week_of(anchor), m.group(0))
    if m := _LAST_WEEK.search(text):
        return _span(*_week_of(anchor - timedelta(days=7)), m.group(0))
    if m := _WEEKS_AGO.search(text):
        weeks = int(m.group(1) or m.group(2))
        return _span(*_week_of(anchor - timedelta(days=7 * weeks)), m.group(0))
    if m := _THIS_MONTH.search(text):
        return _span(*_month(anchor.year, anchor.month), m.group(0))
    if m := _LAST_MONTH.search(text):
        last = anchor.replace(day=1) - timedelta(days=1)
        return _span(*_month(last.year, last.month), m.group(0))
    m = _MONTH_KO.search(text)
    if m and 1 <= int(m.group(2)) <= 12:
        month = int(m.group(2))
        year = int(m.group(1)) if m.group(1) else _year_for(month, 1, anchor)
        return _span(*_month(year, month), m.group(0))
    m = _MONTH_EN.search(text)
    if m:
        month = MONTHS_EN[m.group(1).lower().rstrip(".")]
        year = int(m.group(2)) if m.group(2) else _year_for(month, 1, anchor)
        return _span(*_month(year, month), m.group(0))
    return None


def find_dates(text: str, anchor: date | None = None) -> DateSpan | None:
    """The day, span, week or month a question names, or ``None``."""
    anchor = anchor or date.today()
    days = _days(text, anchor)
    if len(days) >= 2:
        (s1, e1, d1), (s2, e2, d2) = days[0], days[1]
        between = re.search(r"\bbetween\s*$", text[:s1], re.I) and re.fullmatch(
            r"\s*and\s*", text[e1:s2], re.I
        )
        if (
            _RANGE_SEP.fullmatch(text[e1:s2])
            or re.search(r"부터|~|to|through", text[e1:s2])
            or between
        ):
            return _span(d1, d2, text[s1:e2])
    if days:
        start, end, day = days[0]
        # "3월 3일~7일", "3월 3일부터 7일까지", "March 3-7": the end day in the same month.
        if m := _SAME_MONTH_END.match(text, end):
            last = _safe(day.year, day.month, int(m.group(1)))
            if last and last > day:
                return _span(day, last, text[start : m.end()])
        if m := _WEEKDAY_AFTER.match(text, end):
            end = m.end()
        if m := _WEEKDAY_BEFORE.search(text[:start]):
            start = m.start()
        return DateSpan(day.isoformat(), day.isoformat(), text[start:end])
    return _weekday(text, anchor) or _relative_day(text, anchor) or _weeks_and_months(text, anchor)


def _weekday(text: str, anchor: date) -> DateSpan | None:
    """"월요일에", "지난 금요일", "이번 주 화요일", "last Friday": the latest such day on or
    before the anchor (before it, after 지난/last; in the week before, after 지난주)."""
    m = _WEEKDAY_ALONE.search(text)
    if m is None:
        return None
    ko = m["ko"] or m["ko_at"]
    en = m["en"] or m["en_at"] or m["en_end"]
    wanted = _WEEKDAY_KO.index(ko) if ko else _WEEKDAY_EN.index(en[:3].lower())
    if m["this_week"] or m["last_week"]:
        monday = _week_of(anchor)[0] - timedelta(weeks=1 if m["last_week"] else 0)
        day = monday + timedelta(days=wanted)
    else:
        day = anchor - timedelta(days=(anchor.weekday() - wanted) % 7)
        if m["last"] and day == anchor:
            day -= timedelta(weeks=1)
    return DateSpan(day.isoformat(), day.isoformat(), m.group(0))


def _relative_day(text: str, anchor: date) -> DateSpan | None:
    """"어제", "오늘", "3일 전", "yesterday", "2 days ago": days back from the anchor."""
    if m := _DAYS_AGO.search(text):
        day = anchor - timedelta(days=int(m.group(1) or m.group(2)))
        return DateSpan(day.isoformat(), day.isoformat(), m.group(0))
    for pattern, back in _RELATIVE_DAYS:
        if m := pattern.search(text):
            day = anchor - timedelta(days=back)
            # Only the day's own words: "learned" in "what I learned today" is the question's.
            said = next((g for g in m.groups() if g), m.group(0))
            return DateSpan(day.isoformat(), day.isoformat(), said)
    return None


def strip_dates(text: str, span: DateSpan | None) -> str:
    """The question without its date expression (what is left is its topic, if any)."""
    return text.replace(span.text, " ") if span else text


# A day written with its year, as a note's file name, front matter or date line has it:
# "2025-03-04", "2025_03_04", "2025.3.4", "2025년 3월 4일", "20250304", "March 4, 2025",
# "4 March 2025". Only a real calendar day counts ("1234-56-78" in a Notion page id does not).
_WRITTEN_DAY: list[tuple[str, re.Pattern[str]]] = [
    (
        "ymd",
        re.compile(r"(?<!\d)(20\d{2})\s*[-./_년]\s*(\d{1,2})\s*[-./_월]\s*(\d{1,2})(?!\d)"),
    ),
    ("ymd", re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")),
    ("en_md", re.compile(_EN_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s*(20\d{2})(?!\d)", re.I)),
    (
        "en_dm",
        re.compile(
            r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _EN_MONTH + r",?\s*(20\d{2})(?!\d)", re.I
        ),
    ),
]


def _written(text: str) -> tuple[int, int, date] | None:
    """(start, end, day) of the earliest day in ``text`` written with its year."""
    found: list[tuple[int, int, date]] = []
    for kind, pattern in _WRITTEN_DAY:
        for m in pattern.finditer(text):
            g = m.groups()
            if kind == "ymd":
                y, mo, d = int(g[0]), int(g[1]), int(g[2])
            elif kind == "en_md":
                mo, d, y = MONTHS_EN[g[0].lower().rstrip(".")], int(g[1]), int(g[2])
            else:
                d, mo, y = int(g[0]), MONTHS_EN[g[1].lower().rstrip(".")], int(g[2])
            day = _safe(y, mo, d)
            if day:
                found.append((m.start(), m.end(), day))
                break
    return min(found) if found else None


def written_day(text: str) -> date | None:
    """The earliest day in ``text`` that is written with its year, or None."""
    found = _written(text)
    return found[2] if found else None


# What may sit beside the date in a heading that is only a day: a weekday, "TIL", punctuation.
# A calendar or pin emoji ("## 📅 2025-03-04", Notion templates) is decoration too.
_DAY_HEADING_REST = re.compile(
    r"^(?:[\s()\[\],.:~\-|/*_>#]|til|일지|[월화수목금토일](?:요일)?"
    r"|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|[\u2600-\u27bf\U0001f300-\U0001faff\ufe0f])*$",
    re.I,
)


def day_heading(label: str, year: int | None) -> date | None:
    """The day a heading that is only a date names ("2025-03-04", "3월 5일 (수)", "TIL March
    6"), a day without a year taken in ``year`` (none, when it is None); None for a heading
    that says more ("3월 5일 회고", "HTTP 1.1") or a number that may be a section's ("1.2")."""
    found = _written(label)
    if found is None:
        if year is None:
            return None
        days = _days(label, date(year, 12, 31))
        if not days:
            return None
        found = days[0]
        # "1.2" or "3/4" alone is as often a numbered heading as a day: only "3월 5일" or
        # "March 5" names a day without its year.
        if not re.search(r"월|[A-Za-z]", label[found[0] : found[1]]):
            return None
    start, end, day = found
    return day if _DAY_HEADING_REST.match(label[:start] + label[end:]) else None
