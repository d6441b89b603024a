"""Hrefs that are safe to put on a page: http(s) URLs, and note files inside the corpus."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlparse

from rag.text import breadcrumb


def safe_url(url: str) -> str:
    """The URL if it is http(s), else "" (a ``javascript:`` link in a note must not go live)."""
    try:
        scheme = urlparse(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in {"http", "https"} else ""


def note_href(source: str, corpus_dir: Path | None) -> str:
    """A link that opens the note file through Gradio's file route (registered by the app)."""
    if corpus_dir is None or not source:
        return ""
    path = (Path(corpus_dir) / source).resolve()
    # The source comes from our own index, but never link outside the corpus.
    if not path.is_relative_to(Path(corpus_dir).resolve()) or not path.is_file():
        return ""
    return "gradio_api/file=" + quote(str(path))


def crumbs(section: str | None) -> list[str]:
    """The headings of a section path, for display."""
    return [part.strip() for part in breadcrumb(section or "")]
