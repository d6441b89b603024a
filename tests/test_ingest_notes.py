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
