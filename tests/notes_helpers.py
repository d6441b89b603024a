"""Small corpus builders shared by the ingestion tests."""

from __future__ import annotations

from pathlib import Path

from rag.config import Settings


def write_note(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def offline_settings(tmp_path: Path, corpus: Path, **kw: object) -> Settings:
    return Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        cache_dir=tmp_path / "cache",
        offline=True,
        **kw,
    )  # type: ignore[arg-type]
