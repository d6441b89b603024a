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
