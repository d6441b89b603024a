"""rag/config.py: flags > TIL_* variables > defaults, nested tuning groups, clear errors."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from rag.config import ENV, RetrievalSettings, Settings, load_settings


def test_env_variables_reach_their_group() -> None:
    settings = load_settings(
        {
            "TIL_K": "3",
            "TIL_FETCH_TIMEOUT": "2.5",
            "TIL_ALLOW_PRIVATE_HOSTS": "yes",
            "TIL_URL_REWRITES": "https://a/=http://b/",
            "TIL_BM25_ALPHA": "0.4",
        }
    )
    assert settings.retrieval.k == 3 and settings.retrieval.bm25_alpha == 0.4
    assert settings.fetch.timeout == 2.5 and settings.allow_private_hosts is True
    assert settings.url_rewrites == (("https://a/", "http://b/"),)
    # Untouched fields of a group keep their defaults.
    assert settings.retrieval.fusion == RetrievalSettings().fusion


def test_flags_beat_environment_and_none_means_unset() -> None:
    settings = load_settings(
        {"TIL_K": "3", "TIL_INDEX_DIR": "/tmp/env-index"},
        index_dir="/tmp/flag-index",
        retrieval={"k": None, "mode": "bm25"},
    )
    assert settings.index_dir == Path("/tmp/flag-index")
    assert settings.review_db == Path("/tmp/flag-index/reviews.sqlite3")
    assert settings.retrieval.k == 3 and settings.retrieval.mode == "bm25"


def test_every_env_name_points_at_a_real_field() -> None:
    for path in ENV:
        owner: object = Settings()
        for part in path.split("."):
            assert part in {f.name for f in fields(owner)}, path  # type: ignore[arg-type]
            owner = getattr(owner, part)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TIL_FUSION": "rfr"}, "use convex or rrf"),
        ({"TIL_RETRIEVER": "vector"}, "use hybrid, dense or bm25"),
        ({"TIL_BM25_ALPHA": "1.5"}, "between 0 and 1"),
    ],
)
def test_misspelt_retrieval_settings_are_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_settings(env)
