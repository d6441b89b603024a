"""Find the student's notes and parse each into title, date, sections and links.

Notes are only ever read. A note that cannot be read becomes a :class:`NoteError` naming the
file, and the rest of the corpus is still indexed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.frontmatter import split_front_matter, split_property_block
from ingest.sections import DATE_DIGITS, DATE_HEADING, Link, Section, clean_inline, parse_markdown
from rag.config import IndexSettings
from rag.text.dates import day_heading, written_day

# Notion appends the page id to an exported file's name ("TIL 3월 5일 1a2b…90.md"); its digits
# are no date.
_NOTION_ID = re.compile(r"\s+[0-9a-f]{32}$")
# A date property line is looked for this far into a note: Notion writes "Created: March 5,
# 2025 9:12 PM" under the title, templates "날짜: 2025-03-05" near the top; further down, a
# line that starts "date:" is the note's content.
_TOP_LINES = 12
# A date alone on one of the first lines, before the first topic: a title line, not a date
# somewhere in the content.
_LONE_DAY_LINES = 3
# "작성일 : 25.03.04" on a line known to be a date line: the year in two digits.
_SHORT_YEAR_DIGITS = re.compile(r"(?<![\d.])(\d{2})[.\-/](\d{1,2})[.\-/](\d{1,2})(?![\d.])")
_YYMMDD = re.compile(r"(?<![\d.])(2\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?![\d.])")


class NoteError(Exception):
    """A note that could not be read; the message names the file and says why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass
class Note:
    source: str  # path relative to the corpus root, with forward slashes
    title: str
    date: str  # "YYYY-MM-DD" or ""
    sections: list[Section]
    links: list[Link]
    body_date: str = ""  # what the note's own date line says, when it disagrees with ``date``
    # One day per section, for a note that holds several days (a week's or a month's journal in
    # one file, a heading per day); empty for a note of one day: its sections take ``date``.
    section_dates: list[str] = field(default_factory=list)
    day_headings: frozenset[str] = frozenset()  # the headings that gave those days


# Jekyll and some editors write ".markdown"; a Windows export may write ".MD".
NOTE_SUFFIXES = frozenset({".md", ".markdown"})


def is_note_name(path: str | Path) -> bool:
    """A markdown file by its name: ``.md`` or ``.markdown``, in any case."""
    return Path(path).suffix.lower() in NOTE_SUFFIXES


def discover_notes(corpus_dir: Path) -> list[Path]:
    """Every markdown file (:func:`is_note_name`) under the corpus, hidden folders skipped, in
    a stable order (links that lead outside the corpus included: :func:`outside_corpus` says
    which to skip)."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return []
    found = []
    for path in corpus_dir.rglob("*"):
        rel = path.relative_to(corpus_dir)
        if not is_note_name(path) or any(part.startswith(".") for part in rel.parts):
            continue
        if not path.is_file():
            continue
        found.append(path)
    return sorted(found, key=lambda p: p.relative_to(corpus_dir).as_posix())


def outside_corpus(path: Path, corpus_dir: Path) -> str:
    """Why ``path`` is not a note of this corpus ("" when it is): a symlink, or a file under a
    symlinked folder, that resolves outside the corpus would put any readable file of the
    machine (``/etc/passwd``) into answers and into what the app serves."""
    if _no_link_below(Path(path), Path(corpus_dir)):
        return ""
    try:
        target = Path(path).resolve(strict=True)
        root = Path(corpus_dir).resolve(strict=True)
    except OSError as exc:
        return f"cannot resolve the path ({exc.strerror or exc})"
    if not target.is_relative_to(root):
        return "links outside the corpus folder; skipped (notes must be files inside it)"
    return ""


def _no_link_below(path: Path, corpus_dir: Path) -> bool:
    """A regular file reached from the corpus folder through no symlink: inside, whatever the
    folder itself resolves to. Checking the few components under the corpus costs a third of
    resolving the whole path (2,001 notes: 0.49 s of a one-line edit's re-index)."""
    root, full = os.fspath(corpus_dir).rstrip(os.sep), os.fspath(path)
    if not full.startswith(root + os.sep):
        return False
    parts = full[len(root) + 1 :].split(os.sep)
    if ".." in parts:
        return False  # below the corpus by its spelling only: "corpus/../etc"
    step = root
    for part in parts:
        step = f"{step}{os.sep}{part}"
        if os.path.islink(step):
            return False
    return os.path.isfile(full)


def source_of(path: Path, corpus_dir: Path) -> str:
    return Path(path).relative_to(corpus_dir).as_posix()


def read_note_text(path: Path, source: str, max_bytes: int = IndexSettings.max_note_bytes) -> str:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise NoteError(
                source,
                f"too large ({size / 1e6:.1f} MB; a note may be {max_bytes / 1e6:g} MB): "
                "split it into smaller notes",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise NoteError(source, f"cannot read file ({exc.strerror or exc})") from exc
    try:
        # utf-8-sig: Windows editors prepend a BOM that would otherwise stick to the title.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NoteError(
            source,
            f"not valid UTF-8 (byte {exc.start}); save the note as UTF-8 and re-run ingest",
        ) from exc


def parse_note(
    path: Path, corpus_dir: Path, max_bytes: int = IndexSettings.max_note_bytes
) -> Note:
    source = source_of(path, corpus_dir)
    text = read_note_text(path, source, max_bytes)
    if "\x00" in text:
        raise NoteError(source, "looks like a binary file, not a markdown note")
    front, text = split_front_matter(text)
    date_line, text = split_property_block(text, _TOP_LINES)
    parsed = parse_markdown(text)
    title = ""
    heading_date = ""
    for section in parsed.sections:
        if not section.headings:
            continue
        if section.level == 1 and not section.pseudo and not title:
            title = section.headings[-1]
        if DATE_HEADING.match(section.headings[-1]) and not heading_date:
            heading_date = _day_of(section.headings[-1])
    # The note's own word for its day, most explicit first: front matter, a date line (a
    # heading anywhere, a property line at the top), a title that is a date ("# 2025년 3월 6일").
    top_date = _day_of(date_line) if date_line else ""
    body_date = (
        front.date
        or heading_date
        or top_date
        or _day_of(title, loose=False)
        or _lone_day(text, _LONE_DAY_LINES)
    )
    # A journal's files are named by their day, and date lines carry typos and copies of the
    # day before ("2025 06-05", a blank line, yesterday's date): the file name wins, the date
    # line is used only when the name has none, and a disagreement is reported.
    stem = _NOTION_ID.sub("", path.stem)
    # A journal kept in folders by month names a day by its path: "2025/03/04.md".
    name_day = written_day(stem) or written_day(_NOTION_ID.sub("", source[: -len(path.suffix)]))
    name_date = name_day.isoformat() if name_day else ""
    date = name_date or body_date or _short_name_date(stem)
    year = re.search(r"(?<!\d)20\d{2}(?!\d)", date or stem or title)
    section_dates, day_headings = _section_days(
        parsed.sections, int(year.group(0)) if year else None
    )
    if section_dates and not date:
        date = min(d for d in section_dates if d)
    return Note(
        source=source,
        title=title or front.title or path.stem,
        date=date,
        sections=parsed.sections,
        links=parsed.links,
        body_date=body_date if body_date and body_date != date and not section_dates else "",
        section_dates=section_dates,
        day_headings=day_headings,
    )


def _section_days(
    sections: list[Section], year: int | None
) -> tuple[list[str], frozenset[str]]:
    """Each section's day: that of the nearest heading above it that is only a day ("## 3월
    4일 (화)"), when the note has headings of two days or more, and those headings; ([], {})
    otherwise. A section before the first day heading keeps the note's date ("")."""
    days = []
    headings: set[str] = set()
    for section in sections:
        found = next(
            ((h, d) for h in reversed(section.headings) if (d := day_heading(h, year))), None
        )
        days.append(found[1].isoformat() if found else "")
        if found:
            headings.add(found[0])
    if len({d for d in days if d}) < 2:
        return [], frozenset()
    return days, frozenset(headings)


def _lone_day(text: str, top_lines: int) -> str:
    """The day of a line at the top that is only a date, whatever marks it: "2025.03.04
    화요일", "> 2025-03-04", "## 📅 2025-03-04", "**2025년 3월 4일**"."""
    filled = [line for line in text.split("\n") if line.strip()][:top_lines]
    for line in filled:
        day = day_heading(clean_inline(line), None)
        if day:
            return day.isoformat()
    return ""


def _short_name_date(stem: str) -> str:
    """A day in a name written ``YYMMDD`` ("TIL_250304", "250304 정렬"): Korean students write
    it so, but six digits are also other numbers, so only when nothing else names the day."""
    for m in _YYMMDD.finditer(stem):
        with contextlib.suppress(ValueError):
            return dt.date(2000 + int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    return ""


def _day_of(line: str, loose: bool = True) -> str:
    """The day a date line names: written out ("March 5, 2025", "2025년 3월 5일") or, from a
    line known to be a date line, digits read loosely ("2025 06-05")."""
    day = written_day(line)
    if day:
        return day.isoformat()
    return _loose_date(line) if loose else ""


def _loose_date(line: str) -> str:
    match = DATE_DIGITS.search(line) or _SHORT_YEAR_DIGITS.search(line)
    if not match:
        return ""
    year, month, day = (int(g) for g in match.groups())
    year += 2000 if year < 100 else 0
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def breadcrumb(headings: tuple[str, ...], title: str) -> tuple[str, ...]:
    """Heading path without the note's title and its date heading: those are metadata."""
    out = []
    for i, heading in enumerate(headings):
        if i == 0 and heading == title:
            continue
        if DATE_HEADING.match(heading):
            continue
        out.append(heading)
    return tuple(out)
