"""ingest/notes.py: discovery, dates, titles, links, encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.notes import NoteError, discover_notes, parse_note
from tests.notes_helpers import write_note

PROJECT_DIR = Path(__file__).resolve().parents[1]
SEED_NOTE = PROJECT_DIR / "corpus" / "2025-02-11.md"


def test_non_utf8_note_gives_clear_error(tmp_path: Path) -> None:
    path = write_note(tmp_path, "bad.md", "# 제목\n한글".encode("euc-kr"))
    with pytest.raises(NoteError, match=r"bad\.md: not valid UTF-8"):
        parse_note(path, tmp_path)


def test_hidden_folders_skipped(tmp_path: Path) -> None:
    write_note(tmp_path, "a.md", "# a")
    write_note(tmp_path, ".obsidian/x.md", "# x")
    write_note(tmp_path, "sub/b.md", "# b")
    assert [p.relative_to(tmp_path).as_posix() for p in discover_notes(tmp_path)] == [
        "a.md",
        "sub/b.md",
    ]


def test_markdown_by_any_of_its_names(tmp_path: Path) -> None:
    write_note(tmp_path, "2025-03-04.markdown", "# 클로저\n렉시컬 환경을 기억한다.")
    write_note(tmp_path, "EXPORT.MD", "# a")
    write_note(tmp_path, "notes.txt", "not markdown")
    write_note(tmp_path, "img.png", "")
    found = [p.relative_to(tmp_path).as_posix() for p in discover_notes(tmp_path)]
    assert found == ["2025-03-04.markdown", "EXPORT.MD"]
    assert parse_note(tmp_path / "2025-03-04.markdown", tmp_path).date == "2025-03-04"


def test_only_files_reached_without_leaving_the_corpus_are_inside(tmp_path: Path) -> None:
    from ingest.notes import outside_corpus

    corpus = tmp_path / "corpus"
    note = write_note(corpus, "sub/a.md", "# a\n")
    secret = write_note(tmp_path, "secret.md", "# secret\n")
    (corpus / "link.md").symlink_to(secret)
    (corpus / "dir").symlink_to(tmp_path)
    inner = write_note(corpus, "b.md", "# b\n")
    (corpus / "inner-link.md").symlink_to(inner)
    assert outside_corpus(note, corpus) == ""
    assert outside_corpus(corpus / "inner-link.md", corpus) == ""  # a link that stays inside
    assert outside_corpus(corpus / "link.md", corpus).startswith("links outside")
    assert outside_corpus(corpus / "dir" / "secret.md", corpus).startswith("links outside")
    # A lexical "..": below the corpus by its spelling only.
    assert outside_corpus(corpus / ".." / "secret.md", corpus).startswith("links outside")


# ---------------------------------------------------------------- a note's day, in any layout
NOTION_ID = "1a2b3c4d5e6f7890abcdef1234567890"


@pytest.mark.parametrize(
    ("name", "text", "day"),
    [
        # Obsidian / Jekyll front matter
        ("event-loop.md", "---\ntitle: 이벤트 루프\ndate: 2025-03-04\n---\n\n# 루프\n본문.\n",
         "2025-03-04"),
        ("hooks.md", "---\ncreated: 2025-03-08T21:10:00\ntags: [react]\n---\n# 훅\n본문.\n",
         "2025-03-08"),
        # A Notion export: the page id in the file name, the day in its "Created" property
        (f"TIL 3월 5일 {NOTION_ID}.md",
         "# TIL 3월 5일\n\nCreated: March 5, 2025 9:12 PM\nTags: React\n\n## 훅\n본문.\n",
         "2025-03-05"),
        # A title that is the day, a property line as a list item
        ("note.md", "# 2025년 3월 6일 (목)\n\n## 클로저\n본문.\n", "2025-03-06"),
        ("hash.md", "# 해시\n\n- **날짜**: 2025.03.07\n\n해시는 빠르다.\n", "2025-03-07"),
        ("20250309_til.md", "# 정렬\n본문.\n", "2025-03-09"),
        ("2025/03/10.md", "# 정렬\n본문.\n", "2025-03-10"),
        # YYMMDD, as Korean students often name a note; six digits that are no day are none
        ("TIL_250311.md", "# 정렬\n본문.\n", "2025-03-11"),
        ("123456.md", "# 정렬\n본문.\n", ""),
        # A date alone on a first line, however it is marked; a two-digit year on a date line
        ("a.md", "2025.03.12 수요일\n\n# 클로저\n본문.\n", "2025-03-12"),
        ("b.md", "> 2025-03-13\n\n# 클로저\n본문.\n", "2025-03-13"),
        ("c.md", "## 📅 2025-03-14\n\n# 클로저\n본문.\n", "2025-03-14"),
        ("d.md", "작성일 : 25.03.15\n\n# 클로저\n본문.\n", "2025-03-15"),
        # ... but not a line that says more, nor a date further down
        ("e.md", "2025.03.16에 배운 것은 클로저다.\n\n# 클로저\n본문.\n", ""),
        ("f.md", "# 클로저\n\n본문.\n\n본문.\n\n2025-03-17\n", ""),
        # No day anywhere: digits of a page id are no date, nor a "date:" deep in the content
        (f"해시 {NOTION_ID}.md", "# 해시\n" + "본문.\n\n" * 15 + "date: 2024-01-01 형식\n", ""),
    ],
    ids=["front-matter", "front-matter-datetime", "notion", "title", "property-item",
         "compact-name", "month-folders", "yymmdd", "six-digits", "lone-line", "lone-quote",
         "lone-emoji-heading", "short-year", "sentence", "further-down", "none"],
)
def test_a_notes_day_is_read_from_any_common_layout(
    tmp_path: Path, name: str, text: str, day: str
) -> None:
    assert parse_note(write_note(tmp_path, name, text), tmp_path).date == day


def test_front_matter_is_metadata_not_a_section(tmp_path: Path) -> None:
    from ingest.chunking import chunk_note

    text = "---\ntitle: 큐\ndate: 2025-03-04\ntags: [자료구조]\n---\n\n## 큐\n\n선입선출이다.\n"
    note = parse_note(write_note(tmp_path, "queue.md", text), tmp_path)
    docs = chunk_note(note)
    assert note.title == "큐"  # no level-1 heading: the front matter's title
    assert not any("tags" in d.page_content or "tags" in d.metadata["section"] for d in docs)
    (doc,) = docs
    # Line numbers still point into the file as written (citations open it there).
    assert text.splitlines()[doc.metadata["start_line"] - 1] == "선입선출이다."


def test_broken_front_matter_never_loses_the_note(tmp_path: Path) -> None:
    text = "---\ndate: [2025-03-04\n---\n# 스택\n\n스택은 후입선출이다.\n"
    note = parse_note(write_note(tmp_path, "2025-03-04.md", text), tmp_path)
    assert note.date == "2025-03-04"
    assert any("후입선출" in b.text for s in note.sections for b in s.blocks)


def test_the_file_name_wins_over_front_matter_and_the_disagreement_is_kept(
    tmp_path: Path,
) -> None:
    text = "---\ndate: 2025-03-03\n---\n# 스택\n본문.\n"
    note = parse_note(write_note(tmp_path, "2025-03-04.md", text), tmp_path)
    assert (note.date, note.body_date) == ("2025-03-04", "2025-03-03")


def test_a_notion_property_block_is_metadata_not_content(tmp_path: Path) -> None:
    from ingest.chunking import chunk_note

    text = (
        "# TIL 3월 5일\n\nCreated: March 5, 2025 9:12 PM\nTags: React, 훅\n\n"
        "## 훅\n\nuseState: 상태를 만든다.\n"
    )
    note = parse_note(write_note(tmp_path, f"TIL {NOTION_ID}.md", text), tmp_path)
    docs = chunk_note(note)
    assert note.date == "2025-03-05"
    assert not any("Tags" in d.page_content or "Created" in d.page_content for d in docs)
    # A "key: value" line of the content stays: only a block with a date line is metadata.
    (doc,) = docs
    assert "useState: 상태를 만든다." in doc.page_content
    assert text.splitlines()[doc.metadata["start_line"] - 1] == "useState: 상태를 만든다."
