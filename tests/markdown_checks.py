"""Heading extraction for checks on markdown produced by the page extractor."""

from __future__ import annotations

import re
from collections.abc import Iterator


def _lines_outside_fences(markdown: str) -> Iterator[str]:
    fence: str | None = None
    for line in markdown.splitlines():
        marker = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence:
            if marker and marker.group(1)[0] == fence[0]:
                fence = None
        elif marker:
            fence = marker.group(1)
        else:
            yield line


def source_headings(markdown: str) -> list[tuple[int, str]]:
    """Headings of an upstream Hugo page, as the fixture site renders them."""
    markdown = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)
    out: list[tuple[int, str]] = []
    for line in _lines_outside_fences(markdown):
        m = re.match(r"^(#{1,6})\s+(.*?)\s*(\{#[^}]*\})?\s*$", line)
        if m:
            text = m.group(2).replace('{{% heading "whatsnext" %}}', "다음 내용")
            out.append((len(m.group(1)), text.replace("`", "").strip()))
    return out


def markdown_headings(markdown: str) -> list[tuple[int, str]]:
    """Headings of extracted text, skipping fenced code (``# comment`` there is not a heading)."""
    out: list[tuple[int, str]] = []
    for line in _lines_outside_fences(markdown):
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            out.append((len(m.group(1)), m.group(2).replace("`", "").replace("*", "").strip()))
    return out
