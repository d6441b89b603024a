"""Export (rag/quiz/export.py): a real Anki package (read back with sqlite3) and a CSV
sheet."""

from __future__ import annotations

import csv
import json
import sqlite3
import zipfile
from pathlib import Path

from rag.quiz import QuizItem, export_apkg, export_csv
from rag.quiz.export import ANKI_MODEL_ID

pytest_plugins = ("tests.quiz_fixtures",)


def _guids(path: Path) -> list[str]:
    target = path.with_suffix(".d")
    target.mkdir()
    with zipfile.ZipFile(path) as zf:
        zf.extract("collection.anki2", target)
    with sqlite3.connect(target / "collection.anki2") as db:
        return sorted(r[0] for r in db.execute("SELECT guid FROM notes"))


def test_export_apkg_is_an_anki_package(pool: list[QuizItem], tmp_path: Path) -> None:
    items = pool[:6]
    path = export_apkg(items, tmp_path / "deck.apkg")
    assert zipfile.is_zipfile(path)
    with zipfile.ZipFile(path) as zf:
        assert "collection.anki2" in zf.namelist()
        (tmp_path / "col").mkdir()
        zf.extract("collection.anki2", tmp_path / "col")
    with sqlite3.connect(tmp_path / "col" / "collection.anki2") as db:
        assert db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == len(items)
        fields = [r[0] for r in db.execute("SELECT flds FROM notes")]
        models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    assert str(ANKI_MODEL_ID) in models
    assert all("2025-02-11.md" in f for f in fields), "the back shows where the fact is"
    # Same items, same guids: re-importing updates cards instead of duplicating them.
    again = export_apkg(items, tmp_path / "deck2.apkg")
    assert _guids(path) == _guids(again)


def test_export_csv(pool: list[QuizItem], tmp_path: Path) -> None:
    items = pool[:7]
    path = export_csv(items, tmp_path / "quiz.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:6] == ["question", "answer", "explanation", "source", "section", "location"]
    assert len(rows) == 1 + len(items)
    assert rows[1][0] == items[0].question and rows[1][5] == items[0].citation["location"]


def test_export_takes_the_dict_form_of_items(pool: list[QuizItem], tmp_path: Path) -> None:
    """A browser state may hold items as dicts; both exports accept them."""
    items = pool[:3]
    as_objects = export_csv(items, tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    as_dicts = export_csv([i.to_dict() for i in items], tmp_path / "b.csv")
    assert as_dicts.read_text(encoding="utf-8-sig") == as_objects
    assert zipfile.is_zipfile(export_apkg([i.to_dict() for i in items], tmp_path / "d.apkg"))
