"""A note's YAML front matter (Obsidian, Jekyll, Hugo, many Notion exporters).

``---`` on the first line opens it and the next ``---`` (or ``...``) line closes it. Its lines
are metadata, not the note's first section: they are blanked (so every later line keeps its
number for citations) and the keys parsed with PyYAML. Broken YAML is kept as blank lines too:
a note is never refused for its metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

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
