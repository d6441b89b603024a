"""The gold question file (DESIGN.md "Gold Q&A format"): one JSON object a line.

``kind`` is a free label for the per-kind breakdown; only ``refusal`` means something (the
notes do not cover the question, so the right behaviour is to refuse, and there are no
keywords or source to check). Blank lines and lines starting with ``//`` are skipped, so a
gold file can carry comments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

REFUSAL = "refusal"


class GoldFormatError(ValueError):
    """A gold file line that does not follow DESIGN.md's format."""


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    keywords: tuple[str, ...]
    source: str
    section: str
    kind: str

    @property
    def is_refusal(self) -> bool:
        return self.kind == REFUSAL


def parse_gold_line(line: str, where: str = "") -> GoldItem:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldFormatError(f"{where}: not JSON ({exc})") from exc
    if not isinstance(row, dict):
        raise GoldFormatError(f"{where}: expected an object")
    missing = [k for k in ("id", "question", "kind") if not row.get(k)]
    if missing:
        raise GoldFormatError(f"{where}: missing {', '.join(missing)}")
    kind = str(row["kind"])
    keywords = row.get("keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise GoldFormatError(f"{where}: keywords must be a list of non-empty strings")
    if kind == REFUSAL and keywords:
        raise GoldFormatError(f"{where}: a refusal item has no keywords")
    if kind != REFUSAL and not row.get("source"):
        # Naming the kind helps when a refusal was meant and the label is misspelt.
        raise GoldFormatError(
            f"{where}: a '{kind}' item needs a source (only kind '{REFUSAL}' has none)"
        )
    return GoldItem(
        id=str(row["id"]),
        question=str(row["question"]),
        keywords=tuple(keywords),
        source=str(row.get("source") or ""),
        section=str(row.get("section") or ""),
        kind=kind,
    )


def load_gold(path: Path | str) -> list[GoldItem]:
    items: list[GoldItem] = []
    seen: set[str] = set()
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        item = parse_gold_line(line, f"{path}:{n}")
        if item.id in seen:
            raise GoldFormatError(f"{path}:{n}: duplicate id '{item.id}'")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise GoldFormatError(f"{path}: no questions")
    return items
