"""Fixtures shared by the quiz tests, over the conftest's seed index (``seed_settings``).
A test module loads them with ``pytest_plugins = ("tests.quiz_fixtures",)``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from rag.config import Settings
from rag.index.store import ChunkStore
from rag.quiz import QuizItem, candidate_items


@lru_cache(maxsize=4)
def load_store(index_dir: Path) -> ChunkStore:
    """One store object per index for the whole run: the quiz analysis is cached per store
    object, so every test module then shares one analysis."""
    store = ChunkStore.load(index_dir)
    assert store is not None and len(store.docs) > 10
    return store


@pytest.fixture
def seed_store(seed_settings: Settings) -> ChunkStore:
    return load_store(seed_settings.index_dir)


@pytest.fixture
def pool(seed_store: ChunkStore, seed_settings: Settings) -> list[QuizItem]:
    """Every rule-based item of the seed note."""
    return candidate_items(seed_store, seed_settings)


@pytest.fixture
def quiz_settings(seed_settings: Settings, tmp_path: Path) -> Settings:
    """The seed index with a review database of this test's own."""
    return seed_settings.with_overrides(review_db=tmp_path / "reviews.sqlite3")
