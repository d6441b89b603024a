"""Dates written in questions: the journal's index."""

from __future__ import annotations

import re

_DATE = re.compile(r"(20\d{2})[-./년\s]+(\d{1,2})[-./월\s]+(\d{1,2})")


def date_in(text: str) -> str:
    """``2025-02-11`` / ``2025.2.11`` / ``2025년 2월 11일`` -> ``2025-02-11`` (or "")."""
    match = _DATE.search(text)
    if not match:
        return ""
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"
