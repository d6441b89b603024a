"""What an ingest run did: the ``ingest --json`` payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class IngestReport:
    notes: int = 0
    # Notes whose file had not changed since the last run: their chunks were kept unread.
    notes_unchanged: int = 0
    notes_failed: list[dict[str, str]] = field(default_factory=list)
    # Paths that are not notes of the corpus (a symlink leading outside it): never indexed.
    notes_skipped: list[dict[str, str]] = field(default_factory=list)
    # Notes whose date line disagrees with their file name (the file name is used).
    date_conflicts: list[dict[str, str]] = field(default_factory=list)
    # Notes with no day anywhere (file name, front matter, date line, title): a date question
    # or a day digest cannot find them, so the student is told which.
    undated: list[str] = field(default_factory=list)
    fetched: int = 0
    cached: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    added: int = 0  # chunks embedded by this run
    vectors_reused: int = 0  # a rebuild's chunks whose vector was taken over (same text)
    deleted: int = 0
    unchanged: int = 0
    total: int = 0
    rebuilt: bool = False
    rebuild_reason: str = ""
    embedding: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notes": self.notes,
            "notes_unchanged": self.notes_unchanged,
            "notes_failed": self.notes_failed,
            "notes_skipped": self.notes_skipped,
            "date_conflicts": self.date_conflicts,
            "undated": self.undated,
            "references": {"fetched": self.fetched, "cached": self.cached, "failed": self.failed},
            "chunks": {
                "added": self.added,
                "vectors_reused": self.vectors_reused,
                "deleted": self.deleted,
                "unchanged": self.unchanged,
                "total": self.total,
            },
            "rebuilt": self.rebuilt,
            "rebuild_reason": self.rebuild_reason,
            "embedding": self.embedding,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }
