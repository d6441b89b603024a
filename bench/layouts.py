"""The same journal in other layouts: does a student whose notes look different get the same
answers? The real journal (77 daily notes, ``2025-02-04.md`` with a ``## 날짜:`` heading) is
rewritten, in a work folder, as other tools write a journal, then indexed and asked its dev and
test questions (hybrid only). Prints a table per layout, writes bench/results/layouts.json.

    python bench/layouts.py --work /tmp/layouts        # indexes are kept and reused

Layouts (the notes' words are unchanged; only file names, date lines and heading levels move):

- ``files``: as the student wrote it (the reference row);
- ``notion``: a Notion export: ``TIL 2월 4일 <32-hex page id>.md``, the date as a
  ``Created: February 4, 2025 9:00 PM`` property under the title, no date heading;
- ``front-matter``: Obsidian/Jekyll: ``note-017.md`` with ``date: 2025-02-04`` in YAML front
  matter, no date heading;
- ``monthly``: one file per month (``2025-02.md``), a ``## 2월 4일 (화)`` heading per day and the
  day's headings two levels below it.

A question's gold source is mapped to the file that holds its note in each layout.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import note_settings, write_result  # noqa: E402
from bench.journal import GOLD, JOURNAL  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.eval.gold import GoldItem, load_gold  # noqa: E402
from rag.eval.runners import evaluate  # noqa: E402

_DATE_HEADING = re.compile(r"^#{1,6}\s*날짜\s*:.*$", re.M)
_HEADING = re.compile(r"^(#{1,6})(?=\s)", re.M)
_WEEKDAYS = "월화수목금토일"
COLUMNS = ("hit@1", "hit@3", "keyword_recall", "citation_accuracy", "refusal_recall",
           "false_refusal_rate")


def _day(path: Path) -> date:
    return date.fromisoformat(path.stem)


def _without_date_heading(text: str) -> str:
    return _DATE_HEADING.sub("", text, count=1)


def _notion(notes: list[Path], out: Path) -> dict[str, str]:
    names = {}
    for path in notes:
        day = _day(path)
        page_id = hashlib.md5(path.name.encode()).hexdigest()
        name = f"TIL {day.month}월 {day.day}일 {page_id}.md"
        created = f"Created: {day.strftime('%B')} {day.day}, {day.year} 9:00 PM\nTags: TIL\n"
        lines = _without_date_heading(path.read_text(encoding="utf-8")).split("\n", 1)
        # The property block sits right under the title, as Notion exports it.
        body = f"{lines[0]}\n\n{created}\n{lines[1] if len(lines) > 1 else ''}"
        (out / name).write_text(body, encoding="utf-8")
        names[path.name] = name
    return names


def _front_matter(notes: list[Path], out: Path) -> dict[str, str]:
    names = {}
    for i, path in enumerate(notes, start=1):
        name = f"note-{i:03d}.md"
        text = _without_date_heading(path.read_text(encoding="utf-8"))
        front = f"---\ndate: {_day(path).isoformat()}\ntags: [til]\n---\n"
        (out / name).write_text(front + text, encoding="utf-8")
        names[path.name] = name
    return names


def _monthly(notes: list[Path], out: Path) -> dict[str, str]:
    months: dict[str, list[Path]] = defaultdict(list)
    for path in notes:
        months[path.stem[:7]].append(path)
    names = {}
    for month, paths in months.items():
        year, number = month.split("-")
        parts = [f"# {year}년 {int(number)}월 TIL\n"]
        for path in paths:
            day = _day(path)
            text = _without_date_heading(path.read_text(encoding="utf-8"))
            # Two levels below the day heading, at most six (markdown's deepest).
            text = _HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + 2), text)
            parts.append(f"## {day.month}월 {day.day}일 ({_WEEKDAYS[day.weekday()]})\n\n{text}\n")
            names[path.name] = f"{month}.md"
        (out / f"{month}.md").write_text("\n".join(parts), encoding="utf-8")
    return names


LAYOUTS: dict[str, Callable[[list[Path], Path], dict[str, str]] | None] = {
    "files": None,
    "notion": _notion,
    "front-matter": _front_matter,
    "monthly": _monthly,
}


def _build(work: Path, layout: str) -> tuple[Settings, dict[str, str]]:
    from ingest.sync import sync_index

    root = work / layout
    corpus = root / "corpus"
    notes = sorted(JOURNAL.glob("*.md"))
    write = LAYOUTS[layout]
    if write is None:
        names = {p.name: p.name for p in notes}
        settings = note_settings(root, corpus_dir=JOURNAL)
    else:
        corpus.mkdir(parents=True, exist_ok=True)
        names = write(notes, corpus)
        settings = note_settings(root)
    sync_index(settings)
    return settings, names


def _gold(split: str, names: dict[str, str]) -> list[GoldItem]:
    return [
        replace(item, source=names.get(item.source, item.source)) if item.source else item
        for item in load_gold(GOLD[("journal", split)])
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="folder for the indexes (kept, reused)")
    parser.add_argument("--layout", choices=(*LAYOUTS, "all"), default="all")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    layouts = tuple(LAYOUTS) if args.layout == "all" else (args.layout,)
    table = Table(title="the real journal in other layouts (hybrid)")
    for label in ("layout / split", "n", *COLUMNS, "day questions", "chars"):
        table.add_column(label, justify="left" if label.startswith("layout") else "right")
    payload: dict[str, Any] = {}
    for layout in layouts:
        settings, names = _build(Path(args.work), layout)
        for split in ("dev", "test"):
            result = evaluate(_gold(split, names), settings, ["hybrid"], judge=False)
            m = result.configs["hybrid"]
            day = m["by_kind"].get("date", {})
            chars = [len(r.answer) for r in result.rows if not r.refused]
            m = {**m, "mean_answer_chars": round(statistics.fmean(chars)) if chars else None}
            payload[f"{layout}/{split}"] = m
            table.add_row(
                f"{layout} / {split}",
                str(m["n"]),
                *(f"{m[k]:.3f}" if m.get(k) is not None else "–" for k in COLUMNS),
                f"{day.get('keyword_recall', 0):.3f} ({day.get('n', 0)})",
                str(m["mean_answer_chars"]),
            )
    Console(width=160).print(table)
    name = "layouts" if args.layout == "all" else "layouts-partial"
    print(f"wrote {write_result(name, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
