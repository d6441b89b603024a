"""Quiz export: an Anki deck (``.apkg``, via genanki) and a CSV sheet.

Model and deck ids are fixed numbers and each note's guid derives from the quiz item's id:
re-exporting after new notes are added updates the existing Anki cards instead of
duplicating them (Anki matches notes by guid and note types by model id).
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rag.answer.citations import location_of
from rag.quiz.items import QuizItem

# Never change these: Anki would treat a changed id as a new note type / a new deck.
ANKI_MODEL_ID = 1_738_204_511
ANKI_DECK_ID = 1_738_204_512
ANKI_DECK_NAME = "TIL 복습 퀴즈"

CSV_COLUMNS = [
    "question",
    "answer",
    "explanation",
    "source",
    "section",
    "location",
    "type",
    "choices",
    "id",
]

_CSS = """
.card { font-family: -apple-system, "Apple SD Gothic Neo", "Noto Sans KR", sans-serif;
        font-size: 18px; text-align: left; line-height: 1.5; }
.choices { margin-top: .6em; }
.answer { font-weight: bold; font-size: 20px; }
.explanation { margin-top: .6em; }
.source { margin-top: 1em; font-size: 14px; color: #666; }
"""


def _as_dict(item: QuizItem | dict[str, Any]) -> dict[str, Any]:
    return item if isinstance(item, dict) else item.to_dict()


def _location(item: dict[str, Any]) -> str:
    return location_of(item.get("citation") or {})


def _choices_text(item: dict[str, Any]) -> str:
    return " / ".join(f"{i}) {c}" for i, c in enumerate(item.get("choices") or [], start=1))


def export_csv(items: Iterable[QuizItem | dict[str, Any]], path: str | Path) -> Path:
    """One row per item. UTF-8 with a BOM, because Excel otherwise garbles Korean."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for raw in items:
            item = _as_dict(raw)
            cit = item.get("citation") or {}
            writer.writerow(
                [
                    item.get("question", ""),
                    item.get("answer", ""),
                    item.get("explanation", ""),
                    cit.get("source", ""),
                    cit.get("section", "") or item.get("topic", ""),
                    _location(item),
                    item.get("type", ""),
                    _choices_text(item),
                    item.get("id", ""),
                ]
            )
    return path


def _html(text: str) -> str:
    return html.escape(text or "").replace("\n", "<br>")


def _anki_model() -> Any:
    import genanki

    return genanki.Model(
        ANKI_MODEL_ID,
        "TIL Quiz (til-study)",
        fields=[
            {"name": n}
            for n in ("Question", "Choices", "Answer", "Explanation", "Source", "Location", "Id")
        ],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Question}}{{#Choices}}<div class=choices>{{Choices}}</div>{{/Choices}}",
                "afmt": (
                    "{{FrontSide}}<hr id=answer><div class=answer>{{Answer}}</div>"
                    "{{#Explanation}}<div class=explanation>{{Explanation}}</div>{{/Explanation}}"
                    "<div class=source>{{Source}}<br>{{Location}}</div>"
                ),
            }
        ],
        css=_CSS,
    )


def _anki_fields(item: dict[str, Any]) -> list[str]:
    """The note's fields, in the model's order, as HTML."""
    cit = item.get("citation") or {}
    choices = "<br>".join(
        f"{i}) {_html(c)}" for i, c in enumerate(item.get("choices") or [], start=1)
    )
    where = " · ".join(x for x in (cit.get("title", ""), cit.get("section", "")) if x)
    snippet = cit.get("snippet", "")
    source = f"출처: {_html(where)}" + (f"<br>“{_html(snippet)}”" if snippet else "")
    location = _location(item)
    loc_html = (
        f'<a href="{html.escape(location, quote=True)}">{_html(location)}</a>'
        if location.startswith(("http://", "https://"))
        else _html(location)
    )
    return [
        _html(item.get("question", "")),
        choices,
        _html(item.get("answer", "")),
        _html(item.get("explanation", "")),
        source,
        loc_html,
        _html(item.get("id", "")),
    ]


def export_apkg(
    items: Iterable[QuizItem | dict[str, Any]],
    path: str | Path,
    deck_name: str = ANKI_DECK_NAME,
) -> Path:
    """Write an Anki package; the back of each card shows the answer, why, and where from."""
    import genanki

    model = _anki_model()
    deck = genanki.Deck(ANKI_DECK_ID, deck_name)
    for raw in items:
        item = _as_dict(raw)
        deck.add_note(
            genanki.Note(
                model=model,
                fields=_anki_fields(item),
                guid=genanki.guid_for("til-study", item.get("id", "")),
                tags=["til-quiz", str(item.get("type", ""))],
            )
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(str(path))
    return path
