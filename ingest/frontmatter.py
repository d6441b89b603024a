"""A note's metadata lines: YAML front matter and a property block.

Front matter (Obsidian, Jekyll, Hugo, many exporters): ``---`` on the first line opens it and the
next ``---`` (or ``...``) line closes it; the keys are parsed with PyYAML. A property block
(Notion's export writes "Created: March 5, 2025 9:12 PM" / "Tags: React" under the title):
consecutive "Key: value" lines at the top, one of them a date line.

Both are metadata, not the note's first section (a quiz item on "Tags: React" is logistics):
their lines are blanked, so every later line keeps its number for citations. Broken YAML is
blanked too: a note is never refused for its metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

from ingest.sections import DATE_HEADING, clean_inline
from rag.text.dates import written_day

# Front matter is short; a "---" 60 lines down is a thematic break, not its end.
_MAX_LINES = 60
_CLOSE = re.compile(r"^(?:---|\.\.\.)\s*$")
# The keys journals keep a note's day under (Obsidian/Jekyll "date", Notion "Created",
# Korean templates "날짜", "작성일").
_DATE_KEYS = ("date", "created", "created_at", "createdat", "creation_date", "day",
              "날짜", "작성일", "생성일", "일자")


@dataclass(frozen=True)
class FrontMatter:
    title: str = ""
    date: str = ""  # "YYYY-MM-DD" or ""


def split_front_matter(text: str) -> tuple[FrontMatter, str]:
    """(the front matter's title and date, ``text`` with the front matter's lines blanked)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return FrontMatter(), text
    end = next(
        (i for i in range(1, min(len(lines), _MAX_LINES)) if _CLOSE.match(lines[i])), None
    )
    if end is None:
        return FrontMatter(), text
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError:
        data = None
    body = "\n".join([""] * (end + 1) + lines[end + 1 :])
    if not isinstance(data, dict):
        return FrontMatter(), body
    keys = {str(k).strip().lower(): v for k, v in data.items()}
    title = keys.get("title")
    return FrontMatter(
        title=str(title).strip() if isinstance(title, str | int | float) else "",
        date=next((d for k in _DATE_KEYS if (d := _iso(keys.get(k)))), ""),
    ), body


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        day = written_day(value)
        return day.isoformat() if day else ""
    return ""


# "Created: …", "- **Tags**: React", "작성자: 홍길동": a short key, a colon, a value (a URL's
# "https://" is no key, a heading line no property).
_MARKER = re.compile(r"^\s*(?:[-*+>]\s+)+")
_PROPERTY = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<key>[^\s#:：*>|`][^:：*|`]{0,24}?)(?:\*\*|__)?\s*[:：]"
    r"(?!//)\s*(?P<value>.*)$"
)


def split_property_block(text: str, top_lines: int) -> tuple[str, str]:
    """(the first date line among the note's first ``top_lines`` non-blank lines, cleaned of
    markup and list or quote markers; ``text`` with the run of "Key: value" lines holding it
    blanked). ("", ``text``) when the top has no date line."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()][:top_lines]
    for i in filled:
        date_line = _MARKER.sub("", clean_inline(lines[i]))
        if not DATE_HEADING.match(date_line):
            continue
        if not _PROPERTY.match(lines[i]):
            return date_line, text
        first, last = i, i + 1
        while first > 0 and lines[first - 1].strip() and _PROPERTY.match(lines[first - 1]):
            first -= 1
        while last < len(lines) and lines[last].strip() and _PROPERTY.match(lines[last]):
            last += 1
        return date_line, "\n".join(lines[:first] + [""] * (last - first) + lines[last:])
    return "", text
