"""The fetched-page cache: one JSON file per URL under ``<cache_dir>/web``.

Ingestion writes it (``ingest.web``) and revalidates with ETag/Last-Modified; the evaluation
baseline reads the page texts from it, so it lives with the index, not with ingestion.
Written atomically; a corrupt file reads as missing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.index.store import atomic_write_text


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class WebCache:
    """One JSON file per URL under ``<cache_dir>/web``; written atomically; corrupt = missing."""

    FIELDS = ("url", "fetch_url", "final_url", "etag", "last_modified", "fetched_at", "title")

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, url: str) -> Path:
        return self.root / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.json"

    def load(self, url: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(url).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("url") != url:
            return None
        if not isinstance(data.get("text"), str) or not data["text"].strip():
            return None
        for key in self.FIELDS:
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                return None
        return data

    def save(self, entry: dict[str, Any]) -> None:
        text = json.dumps(entry, ensure_ascii=False, indent=1)
        atomic_write_text(self.path(entry["url"]), text)
