"""Sections -> LangChain ``Document`` chunks with the metadata schema of DESIGN.md.

Rules, each measured in a prototype on the seed note:
- split by heading, and a list item with nested children becomes its own sub-section
  (``쿠버네티스 구성 요소 > 레플리카셋(ReplicaSet)``) so its sentences keep their subject;
- pack Korean sentences (Kiwi) to ~250 characters: small chunks rank best at hit@1, and the
  answer widens to the whole section afterwards;
- every chunk's text starts with its heading breadcrumb on the first line (+11 points hit@1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from langchain_core.documents import Document

from ingest.notes import Note, breadcrumb
from ingest.sections import ORDINAL, Block, Section, is_label, parse_markdown
from rag.config import IndexSettings
from rag.text import CODE_FENCE, split_sentences

SEPARATOR = " > "


@dataclass
class _Unit:
    text: str
    start_line: int
    end_line: int
    code: bool = False
    links: bool = False


@dataclass
class _Group:
    path: tuple[str, ...]
    units: list[_Unit]
    date: str = ""  # the section's own day, in a note of several days


def chunk_id(source: str, section: str, text: str) -> str:
    digest = hashlib.sha256(f"{source}\x1f{section}\x1f{text}".encode()).hexdigest()
    return digest[:24]


SENTENCE_SPLIT_MAX_CHARS = IndexSettings.sentence_split_max_chars


def _sentences(text: str, start: int, end: int, max_chars: int) -> list[_Unit]:
    units = []
    for line in text.splitlines():
        short = len(line) <= max_chars // 2
        # A pasted log or minified blob on one line: cut by characters (no text is lost).
        huge = len(line) > SENTENCE_SPLIT_MAX_CHARS
        for sentence in [line] if short or huge else split_sentences(line):
            units.extend(_Unit(piece, start, end) for piece in _hard_split(sentence, max_chars))
    return units


def _hard_split(text: str, max_chars: int) -> list[str]:
    """Split an over-long sentence (or code line run) at spaces so no chunk passes the cap."""
    if len(text) <= max_chars:
        return [text]
    pieces, current = [], ""
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > max_chars:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return [p[i : i + max_chars] for p in pieces for i in range(0, len(p), max_chars)]


def _code_units(lines: list[str], lang: str, start: int, end: int, max_chars: int) -> list[_Unit]:
    """A code block in pieces of about ``max_chars``, each fenced on its own (```lang ...
    ```): a piece shown or retrieved alone still renders as code, and the prose after it
    is not swallowed by an unclosed fence."""
    opening, closing = f"```{lang}", "```"
    frame = len(opening) + len(closing) + 2
    units: list[_Unit] = []
    current: list[str] = []
    for line in lines:
        if current and frame + sum(len(x) + 1 for x in current) + len(line) > max_chars:
            units.append(_Unit("\n".join([opening, *current, closing]), start, end, code=True))
            current = []
        current.append(line)
    if current or not units:
        units.append(_Unit("\n".join([opening, *current, closing]), start, end, code=True))
    return units


def _line_units(
    lines: list[str], start: int, end: int, max_chars: int, bullet: bool
) -> list[_Unit]:
    """Lines of text as sentence units (each a "- " list item when ``bullet``), with any
    fenced code block among them (code nested in a list item) as code units."""
    units: list[_Unit] = []
    prose: list[str] = []

    def flush() -> None:
        for u in _sentences("\n".join(prose), start, end, max_chars):
            text = f"- {u.text}" if bullet and not ORDINAL.match(u.text) else u.text
            units.append(_Unit(text, u.start_line, u.end_line))
        prose.clear()

    i = 0
    while i < len(lines):
        opening = CODE_FENCE.match(lines[i])
        if not opening:
            prose.append(lines[i])
            i += 1
            continue
        flush()
        fence = opening.group(1)[0] * 3
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        units.extend(_code_units(lines[i + 1 : j], opening.group(2), start, end, max_chars))
        i = j + 1
    flush()
    return units


def _block_units(block: Block, max_chars: int) -> list[_Unit]:
    if block.kind == "code":
        lines = block.text.splitlines()
        return _code_units(lines, block.info, block.start_line, block.end_line, max_chars)
    if block.kind == "table":
        lines = block.text.splitlines()
        # A table row means nothing without its header: every piece of a long table repeats
        # the header row (and its |---| line), so a row retrieved alone still reads as a row.
        header = lines[:2] if len(lines) > 2 else []
        rows = lines[len(header) :]
        units, current = [], list(header)
        for line in rows:
            size = sum(len(x) + 1 for x in current) + len(line)
            if len(current) > len(header) and size > max_chars:
                units.append(_Unit("\n".join(current), block.start_line, block.end_line))
                current = list(header)
            current.append(line)
        if len(current) > len(header) or not units:
            units.append(_Unit("\n".join(current), block.start_line, block.end_line))
        return units
    if block.kind == "links":
        return [
            _Unit(f"- {line}", block.start_line, block.end_line, links=True)
            for line in block.text.splitlines()
        ]
    if block.kind == "item":
        lines = block.text.splitlines()
        return _line_units(lines, block.start_line, block.end_line, max_chars, bullet=True)
    return _sentences(block.text, block.start_line, block.end_line, max_chars)


def _groups(
    sections: Iterable[Section], path_of, max_chars: int, dates: list[str] | None = None
) -> list[_Group]:
    groups: list[_Group] = []
    for i, section in enumerate(sections):
        path = path_of(section)
        day = dates[i] if dates else ""
        plain: _Group | None = None
        for block in section.blocks:
            if block.kind == "item" and is_label(block.label):
                plain = None
                units = _line_units(
                    block.children, block.start_line, block.end_line, max_chars, bullet=False
                )
                groups.append(_Group((*path, block.label), units, day))
                continue
            if plain is None:
                plain = _Group(path, [], day)
                groups.append(plain)
            plain.units.extend(_block_units(block, max_chars))
    return [g for g in groups if g.units]


def _pack(units: list[_Unit], target: int, max_chars: int) -> list[list[_Unit]]:
    chunks: list[list[_Unit]] = []
    current: list[_Unit] = []
    size = 0
    for unit in units:
        if current and size + len(unit.text) > target:
            chunks.append(current)
            current, size = [], 0
        current.append(unit)
        size += len(unit.text) + 1
    if current:
        # A short tail reads better joined to its predecessor than as a fragment of its own.
        tail = sum(len(u.text) + 1 for u in current)
        if (
            chunks
            and tail < target // 3
            and sum(len(u.text) + 1 for u in chunks[-1]) + tail <= max_chars
        ):
            chunks[-1].extend(current)
        else:
            chunks.append(current)
    return chunks


def _documents(
    groups: list[_Group],
    base: dict,
    title_prefix: tuple[str, ...],
    target: int,
    max_chars: int,
    with_lines: bool,
    hidden: frozenset[str] = frozenset(),
) -> list[Document]:
    docs: list[Document] = []
    seen: set[str] = set()
    for group in groups:
        section = SEPARATOR.join(group.path)
        # A day heading keeps two days' same-named sections apart in ``section``; in the text
        # it is metadata (the chunk's date), as a one-day note's date heading is.
        shown = [p for p in group.path if p not in hidden]
        crumbs = list(title_prefix) + [p for p in shown if p not in title_prefix]
        header = SEPARATOR.join(crumbs) or base.get("title", "")
        for units in _pack(group.units, target, max_chars):
            body = "\n".join(u.text for u in units)
            text = f"{header}\n{body}"
            cid = chunk_id(base["source"], section, text)
            n = 2
            while cid in seen:  # the same sentence twice in one section is still two chunks
                cid = chunk_id(base["source"], section, f"{text}\x1f{n}")
                n += 1
            seen.add(cid)
            code_chars = sum(len(u.text) for u in units if u.code)
            meta = {
                **base,
                **({"date": group.date} if group.date else {}),
                "chunk_id": cid,
                "section": section,
                "position": len(docs),
                # Mostly code/YAML: searchable, but a poor passage to answer from.
                "is_code": code_chars > 0.5 * len(body),
                "is_links": all(u.links for u in units),
            }
            if with_lines:
                meta["start_line"] = min(u.start_line for u in units)
                meta["end_line"] = max(u.end_line for u in units)
            docs.append(Document(page_content=text, metadata=meta, id=cid))
    return docs


def chunk_note(note: Note, target: int = 250, max_chars: int = 450) -> list[Document]:
    base = {"source": note.source, "kind": "note", "title": note.title, "date": note.date}
    groups = _groups(
        note.sections,
        lambda s: breadcrumb(s.headings, note.title),
        max_chars,
        note.section_dates,
    )
    return _documents(groups, base, (), target, max_chars, True, note.day_headings)


def chunk_reference(
    url: str,
    title: str,
    markdown: str,
    linked_from: str,
    date: str = "",
    target: int = 250,
    max_chars: int = 450,
) -> list[Document]:
    """Chunks of a fetched page; the breadcrumb starts with the page title for context."""
    parsed = parse_markdown(markdown, pseudo_headings=False)
    base = {
        "source": url,
        "kind": "reference",
        "title": title or url,
        "date": date,
        "linked_from": linked_from,
        "url": url,
    }

    def path_of(section: Section) -> tuple[str, ...]:
        heads = section.headings
        if heads and title and heads[0].strip() == title.strip():
            heads = heads[1:]
        return tuple(heads)

    groups = _groups(parsed.sections, path_of, max_chars)
    return _documents(groups, base, (title,) if title else (), target, max_chars, False)
